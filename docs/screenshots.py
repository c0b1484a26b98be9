"""Regenerate the README's screenshots from the bundled data: ``make docs``.

Runs ``forecast`` on a clean copy of the bundled examples (:data:`BUNDLED`, each file as
committed at ``HEAD``, read with ``git show``: never a question of the user's own in
``data/``, nor an uncommitted edit) twice, as of 2025-02-05 and then 2025-02-20, so that the second report has an earlier one to compare with
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
#: The bundled examples, the only files the screenshots are made from (tests/test_edges.py checks the
#: list against the files committed under data/).
BUNDLED = (
    "data/evidence/harbour-bridge-reopening.csv",
    "data/evidence/riverside-festival-return.csv",
    "data/evidence/russia-syria-bases.csv",
    "data/forecasts/harbour-bridge-reopening.csv",
    "data/forecasts/riverside-festival-return.csv",
    "data/forecasts/russia-syria-bases.csv",
    "data/judgments/harbour-bridge-reopening/ines.yaml",
    "data/judgments/harbour-bridge-reopening/omar.yaml",
    "data/judgments/russia-syria-bases/basil.yaml",
    "data/judgments/russia-syria-bases/mira.yaml",
    "data/judgments/russia-syria-bases/tomas.yaml",
    "data/questions/harbour-bridge-reopening.yaml",
    "data/questions/riverside-festival-return.yaml",
    "data/questions/russia-syria-bases.yaml",
)


def bundled_data(dest: Path, repo: Path = REPO, revision: str = "HEAD") -> Path:
    """A data folder ``dest`` holding the :data:`BUNDLED` files as committed at ``revision``, and nothing else.

    Raises
    ------
    RuntimeError
        Where a file cannot be read from git (not a clone, or the file not committed).
    """
    for name in BUNDLED:
        shown = subprocess.run(
            ["git", "-C", str(repo), "show", f"{revision}:{name}"], capture_output=True, check=False
        )
        if shown.returncode != 0:
            why = shown.stderr.decode("utf-8", "replace").strip()
            raise RuntimeError(f"cannot read {name} as committed at {revision}: {why}")
        target = dest / Path(name).relative_to("data")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(shown.stdout)
    return dest


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
        try:
            bundled_data(data)
        except RuntimeError as exc:
            print(f"docs: {exc}; the screenshots are made in a git clone", file=sys.stderr)
            return 1
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
