"""Regenerate the README's screenshots from the bundled data: ``make docs``.

Runs ``forecast`` on a private copy of ``data/`` twice, as of 2025-02-05 and
then 2025-02-20, so that the second report has an earlier one to compare with
(and, for the bundled question, an alert), then photographs the pages in
headless Chromium (Debian's, as the browser tests use) at 1280 px wide:

- ``docs/report.png``: the top of the Russia-Syria report as of 2025-02-20;
- ``docs/index.png``: the index page after that run;
- ``docs/report-phone.png``: the same report at a phone's 390 px.

Usage: ``python docs/screenshots.py [--out-dir docs]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUESTION = "russia-syria-bases"
EARLIER, AS_OF = "2025-02-05", "2025-02-20"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def _run(data: Path, out: Path, as_of: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "forecast", "run", "--data", str(data), "--out", str(out), "--as-of", as_of],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _shoot(browser, page_path: Path, png: Path, width: int, height: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
    page.goto(page_path.as_uri())
    page.wait_for_load_state("load")
    page.screenshot(path=str(png), full_page=False)
    page.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=REPO / "docs")
    args = parser.parse_args(argv)
    chromium = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
    if chromium is None:
        print("docs: no Chromium installed (apt-get install chromium)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "data", Path(tmp) / "reports"
        shutil.copytree(REPO / "data", data)
        _run(data, out, EARLIER)
        _run(data, out, AS_OF)
        report = out / QUESTION / AS_OF / "report.html"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            _shoot(browser, report, args.out_dir / "report.png", 1280, 1100)
            _shoot(browser, out / "index.html", args.out_dir / "index.png", 1280, 900)
            _shoot(browser, report, args.out_dir / "report-phone.png", 390, 844)
            browser.close()
    for name in ("report.png", "index.png", "report-phone.png"):
        print(args.out_dir / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
