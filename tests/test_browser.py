"""Reports as reviewers see them: real pages in headless Chromium (Debian's, never a downloaded one)."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from helpers import AS_OF, EXAMPLE, copy_data, forecast_cli, read_json

pytestmark = pytest.mark.slow

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
_REQUIRED = os.environ.get("FORECAST_REQUIRE_BROWSER") == "1"
_LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if _REQUIRED:
            pytest.fail("FORECAST_REQUIRE_BROWSER=1 but no chromium is installed (apt-get install chromium)")
        pytest.skip(
            "no system Chromium installed (apt-get install chromium); set FORECAST_REQUIRE_BROWSER=1 to fail instead"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=_LAUNCH_ARGS)
        yield browser
        browser.close()


#: The rendered width and height of each chart a reader can see (a chart is drawn for a laptop and for a
#: phone, and the page shows the one that fits).
VISIBLE_SIZES = """svgs => svgs.map(s => s.getBoundingClientRect()).filter(r => r.width > 0).map(r => [r.width, r.height])"""
#: The smallest text, in CSS px as drawn, of each chart a reader can see.
SMALLEST_CHART_TEXT = """svgs => svgs.filter(s => s.getBoundingClientRect().width > 0).map(s =>
    Math.min(...Array.from(s.querySelectorAll('text')).map(t =>
        parseFloat(getComputedStyle(t).fontSize) * Math.hypot(t.getScreenCTM().a, t.getScreenCTM().b))))"""


class Page:
    """A loaded page and every console error or page error it raised."""

    def __init__(self, browser, path: Path) -> None:
        self.errors: list[str] = []
        self.page = browser.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")

    def links(self) -> list[str]:
        return self.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")

    def text(self) -> str:
        return self.page.inner_text("body")

    def open_sections(self) -> None:
        """Open every collapsed section as a reader does: by clicking its summary."""
        for summary in self.page.locator("details > summary").all():
            summary.click()


def assert_links_work(page: Page) -> None:
    for href in page.links():
        url = urlparse(href)
        assert url.scheme in ("file", "http", "https"), href
        if url.scheme == "file":
            assert Path(unquote(url.path)).exists(), f"broken link {href}"


def test_the_index_shows_the_question_its_probabilities_and_working_links(browser, bundled_run):
    page = Page(browser, bundled_run.out / "index.html")
    summary = read_json(bundled_run.out / EXAMPLE / AS_OF / "summary.json")
    text = page.text()
    assert summary["title"] in text
    for scenario, p in summary["probabilities"].items():
        assert page.page.inner_text(f'[data-scenario="{scenario}"]') == f"{p * 100:.0f}%"
        assert summary["scenario_labels"][scenario] in text  # the short label, as in every table
    assert_links_work(page)
    page.page.click(f"text={summary['title']}")
    page.page.wait_for_load_state("load")
    assert page.page.url.endswith(f"{EXAMPLE}/{AS_OF}/report.html")
    assert page.errors == []


def test_the_report_shows_bottom_line_probabilities_and_a_loaded_chart_without_code(browser, bundled_run):
    page = Page(browser, bundled_run.out / EXAMPLE / AS_OF / "report.html")
    summary = read_json(bundled_run.out / EXAMPLE / AS_OF / "summary.json")
    text = page.text()
    assert summary["title"] in text
    assert page.page.inner_text(".bottom-line .leading") == summary["leading_name"]
    for scenario, p in summary["probabilities"].items():
        assert page.page.inner_text(f'.bottom-line [data-scenario="{scenario}"]') == f"{p * 100:.0f}%"
    charts = page.page.eval_on_selector_all("figure.chart svg", VISIBLE_SIZES)
    assert charts and all(w > 300 and h > 100 for w, h in charts)
    assert page.page.locator(".jp-InputArea, .input_area, .jp-CodeCell .jp-Editor").count() == 0
    assert "report = Report.load(" not in text and "import" not in text
    assert page.page.locator("script").count() == 0
    assert_links_work(page)
    assert page.errors == []


HOSTILE = {
    "summary": '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> & friends',
    "source": '<b onmouseover="window.__pwned = 3">Bold claims</b>',
    "url": "javascript:window.__pwned = 4",
}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """A run whose evidence log carries script, event handlers and a javascript: URL, as pasted from the web."""
    root = tmp_path_factory.mktemp("hostile")
    data, out = copy_data(root / "data"), root / "out"
    log = data / "evidence" / f"{EXAMPLE}.csv"
    with log.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerow(
            [
                "x1",
                "2025-02-19",
                "no-settlement-yet",
                "yes",
                HOSTILE["source"],
                "C",
                "3",
                HOSTILE["url"],
                HOSTILE["summary"],
            ]
        )
    result = forecast_cli("run", "--data", data, "--out", out, "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("page_path", ["index.html", f"{EXAMPLE}/{AS_OF}/report.html"])
def test_hostile_evidence_text_is_shown_inert(browser, hostile_run, page_path):
    page = Page(browser, hostile_run / page_path)
    page.page.hover("body")
    assert page.page.evaluate("typeof window.__pwned") == "undefined"
    assert page.page.locator("script, img[onerror], [onmouseover]").count() == 0
    assert page.page.locator('a[href^="javascript:"]').count() == 0
    assert page.errors == []
    if page_path.endswith("report.html"):
        page.open_sections()
        assert page.page.evaluate("typeof window.__pwned") == "undefined"
        row = page.page.locator("#evidence-x1")
        assert HOSTILE["summary"] in row.inner_text()
        assert HOSTILE["source"] in row.inner_text()
        assert row.locator("a").count() == 0  # a javascript: URL is shown as text, not a link
        html = (hostile_run / page_path).read_text(encoding="utf-8")
        assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html
        assert "<script" not in html.lower()


def test_the_report_shows_the_analysis_sections(browser, bundled_run):
    page = Page(browser, bundled_run.out / EXAMPLE / AS_OF / "report.html")
    summary = read_json(bundled_run.out / EXAMPLE / AS_OF / "summary.json")
    headings = page.page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent.trim())")
    for heading in ("Since the previous report", "Probabilities", "How the forecast moved",
                    "What the forecast rests on", "What to watch next", "Indicator checklists", "Evidence log"):  # fmt: skip
        assert heading in headings
    for scenario, (low, high) in summary["intervals"].items():
        assert (
            page.page.inner_text(f'.interval[data-scenario="{scenario}"]')
            == f"{low * 100:.0f}%–{high * 100:.0f}%"
        )
    watch_rows = page.page.locator("table.watch-list tbody tr")
    assert watch_rows.count() == len(summary["watch"]) > 0
    assert page.page.locator(".critical h3", has_text="Most influential indicator").is_visible()
    assert page.errors == []


def test_the_scorecard_page_shows_scores_and_a_loaded_calibration_chart(browser, bundled_run):
    page = Page(browser, bundled_run.out / "_scorecard" / "report.html")
    scorecard = read_json(bundled_run.out / "_scorecard" / "scorecard.json")
    text = page.text()
    assert "Scorecard of resolved questions" in text
    charts = page.page.eval_on_selector_all("figure.chart svg", VISIBLE_SIZES)
    assert charts and all(w > 100 for w, _ in charts)
    assert "Calibration" in text
    assert scorecard and page.page.locator("script").count() == 0
    assert_links_work(page)
    assert page.errors == []


def test_the_report_shows_the_analysts_their_spread_and_notes(browser, bundled_run):
    page = Page(browser, bundled_run.out / EXAMPLE / AS_OF / "report.html")
    summary = read_json(bundled_run.out / EXAMPLE / AS_OF / "summary.json")
    analysts = summary["analysts"]
    section = page.page.locator("section#analysts")
    assert section.is_visible()
    assert section.locator("h2").inner_text() == "Where the analysts differ"
    assert section.locator("tr.analyst-row").count() == len(analysts) == 3
    for name, probabilities in analysts.items():
        row = section.locator(f'tr.analyst-row[data-analyst="{name}"]')
        for scenario, p in probabilities.items():
            assert row.locator(f'[data-scenario="{scenario}"]').inner_text() == f"{p * 100:.0f}%"
    for scenario in summary["probabilities"]:
        values = [a[scenario] for a in analysts.values()]
        spread = (max(values) - min(values)) * 100
        assert section.locator(f'.spread[data-scenario="{scenario}"]').inner_text() == f"{spread:.1f}"
    assert section.locator("tr.driver-row").count() > 0
    notes = section.locator("dl.analyst-notes").inner_text()
    assert "base rates" in notes and "non-diagnostic" in notes and "Bloomberg" in notes
    assert "pooled from 3 analysts" in page.page.inner_text(".bottom-line .team-line")
    alt = page.page.get_attribute("figure.chart svg >> nth=0", "aria-label")
    assert "Thin lines with markers: each of basil, mira, tomas, one marker shape each" in alt
    # Each analyst has a key of their own in the chart's legend, in both drawings.
    for drawing in page.page.locator("figure.chart >> nth=0").locator("svg").all():
        legend = drawing.evaluate("s => s.textContent")
        assert all(name in legend for name in ("basil", "mira", "tomas"))
    assert page.errors == []


def test_the_report_shows_outside_forecasts_beside_the_model_and_on_the_chart(browser, bundled_run):
    page = Page(browser, bundled_run.out / EXAMPLE / AS_OF / "report.html")
    with (bundled_run.data / "forecasts" / f"{EXAMPLE}.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["date"] <= AS_OF]
    page.open_sections()
    section = page.page.locator("#outside-forecasts")
    assert section.is_visible()
    assert section.locator("tr.outside-row").count() == len(rows) > 0
    assert section.locator("tr.model-row").count() == len(rows)
    first = section.locator("tr.outside-row").first
    newest = max(rows, key=lambda r: r["date"])
    assert newest["forecaster"] in first.inner_text() and newest["date"] in first.inner_text()
    assert first.locator('[data-scenario="partial"]').inner_text() == f"{float(newest['partial']) * 100:.0f}%"
    alt = page.page.get_attribute("figure.chart svg >> nth=0", "aria-label")
    assert "Markers: outside forecasts by Illustrative: prediction market, Illustrative: analysts poll" in alt
    assert page.errors == []


def test_the_index_shows_each_scenarios_spread_beside_the_team_forecast(browser, bundled_run):
    page = Page(browser, bundled_run.out / "index.html")
    summary = read_json(bundled_run.out / EXAMPLE / AS_OF / "summary.json")
    card = page.page.locator(f"#q-{EXAMPLE}")
    for scenario, p in summary["probabilities"].items():
        assert card.locator(f'.probability[data-scenario="{scenario}"]').inner_text() == f"{p * 100:.0f}%"
        values = [a[scenario] for a in summary["analysts"].values()]
        assert (
            card.locator(f'.spread[data-scenario="{scenario}"]').inner_text()
            == f"{(max(values) - min(values)) * 100:.0f}"
        )
    assert "Analysts' spread (pts)" in card.inner_text()
    assert page.errors == []


def test_the_scorecard_lists_the_bundled_examples_apart_and_off_the_leaderboard(browser, bundled_run):
    page = Page(browser, bundled_run.out / "_scorecard" / "report.html")
    scorecard = read_json(bundled_run.out / "_scorecard" / "scorecard.json")
    # Both bundled resolved questions are illustrative: listed apart, scored, and on no leaderboard.
    assert sorted(scorecard["examples"]) == ["harbour-bridge-reopening", "riverside-festival-return"]
    assert all(q["illustrative"] for q in scorecard["questions"])
    assert "leaderboard" not in scorecard
    assert page.page.locator("tr.leaderboard-row").count() == 0
    assert page.page.locator('table.examples tr[data-illustrative="true"]').count() == 2
    assert "No resolved questions of the record yet" in page.page.inner_text(".bottom-line")
    assert page.errors == []


def test_the_report_shows_evidence_age_groups_and_windows(browser, bundled_run):
    page = Page(browser, bundled_run.out / EXAMPLE / AS_OF / "report.html")
    basis = page.page.inner_text(".bottom-line .basis")
    latest = read_json(bundled_run.out / EXAMPLE / AS_OF / "summary.json")["latest_report_date"]
    assert (
        f"the latest counted is e032 (Kyiv Independent citing Bloomberg (unnamed sources)), dated {latest}"
        in basis
    )
    assert page.page.locator(".checklists table").first.is_hidden()  # collapsed until opened
    page.open_sections()
    checklists = page.page.locator(".checklists")
    assert checklists.locator(".group", has_text="Russia draws down its forces").count() == 2
    assert checklists.locator(".window", has_text="Window: 2024-12-08 to 2025-01-08").is_visible()
    assert page.errors == []


# --------------------------------------------------------------------------- key judgments (docs/key-judgments.md)


@pytest.fixture(scope="module")
def solo_run(tmp_path_factory):
    """The bundled question without its analysts and outside forecasts: the question file's own forecast."""
    from helpers import copy_data_without_team

    root = tmp_path_factory.mktemp("solo")
    data, out = copy_data_without_team(root / "data"), root / "reports"
    result = forecast_cli("run", "--data", data, "--out", out, "--as-of", AS_OF, "--question", EXAMPLE)
    assert result.returncode == 0, result.stderr
    return out


_LAYOUT = """() => {
  const kj = document.querySelector('#key-judgments');
  const order = [...document.querySelector('.bottom-line').children].map(e => e.id || e.className);
  return {
    kjBottom: kj.getBoundingClientRect().bottom + window.scrollY,
    height: document.documentElement.scrollHeight,
    sideways: document.documentElement.scrollWidth > document.documentElement.clientWidth,
    order,
    openDetails: document.querySelectorAll('details[open]').length,
  };
}"""


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("run", ["team", "solo"])
def test_the_report_opens_with_its_key_judgments_and_stays_short(browser, bundled_run, solo_run, run, width):
    from axe_playwright_python.sync_playwright import Axe

    out = bundled_run.out if run == "team" else solo_run
    context = browser.new_context(
        viewport={"width": width, "height": 900}, bypass_csp=True
    )  # for axe's script
    try:
        page = context.new_page()
        page.goto((out / EXAMPLE / AS_OF / "report.html").as_uri())
        page.wait_for_load_state("load")
        found = page.evaluate(_LAYOUT)
        # Only the title, the question and any alert come before the key judgments.
        assert found["order"][: found["order"].index("key-judgments")] == ["question-title", "question-text"]
        assert found["openDetails"] == 0 and not found["sideways"]
        if width == 1280:
            assert found["kjBottom"] <= 1000, found
        else:
            assert found["height"] <= 12_000, found
        text = page.inner_text("#key-judgments")
        assert "closes 2027-06-30, 860 days left" in text
        assert "Confidence: " in text and "of counted weight from A–B sources" in text
        assert page.locator("#key-judgments .signpost").count() in (1, 2, 3)
        assert page.locator("#key-judgments .mover").count() in (2, 3)
        if run == "team":
            assert page.locator("#key-judgments .analysts-range").count() == 3
            assert "latest outside forecasts give" in text
        # The probabilities table: each scenario's name, probability and Prior in view, no sideways scroll in its box.
        table = page.evaluate(_PROBABILITIES)
        assert table["rows"] == 3 and not table["sideways"], table
        assert all(table["visible"]), table
        violations = Axe().run(page).response["violations"]
        assert violations == [], [v["id"] for v in violations]
    finally:
        context.close()


_PROBABILITIES = """() => {
  const box = document.querySelector('table.probabilities').closest('.table-scroll');
  const right = box.getBoundingClientRect().right;
  const rows = [...document.querySelectorAll('table.probabilities tbody tr')];
  const seen = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right <= right + 0.5; };
  return {
    rows: rows.length,
    sideways: box.scrollWidth > box.clientWidth,
    visible: rows.flatMap(tr => [tr.querySelector('th'), tr.querySelector('td.probability-cell'), tr.querySelector('td.prior')].map(seen)),
  };
}"""


def test_a_1_mb_outside_forecast_file_gives_a_page_under_2_mb_with_every_row_in_its_csv(browser, tmp_path):
    import random
    from datetime import date, timedelta

    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    path = data / "forecasts" / f"{EXAMPLE}.csv"
    rng = random.Random(11)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["date", "forecaster", "keep", "partial", "exit"])
        for k in range(25_000):  # 135 forecasters, one forecast a day each, up to 2025-02-20
            keep, partial = rng.randint(1, 40), rng.randint(1, 50)
            day = date(2024, 8, 19) + timedelta(days=k // 135)
            writer.writerow([day.isoformat(), f"Forecaster {k % 135:03d}", f"0.{keep:02d}", f"0.{partial:02d}",
                             f"{1 - keep / 100 - partial / 100:.2f}"])  # fmt: skip
    assert path.stat().st_size > 1_000_000
    result = forecast_cli("run", "--data", data, "--out", out, "--as-of", AS_OF, "--question", EXAMPLE)
    assert result.returncode == 0, result.stderr
    report = out / EXAMPLE / AS_OF / "report.html"
    assert report.stat().st_size < 2_000_000
    with (report.parent / "outside_forecasts.csv").open(encoding="utf-8") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == 25_000
    page = Page(browser, report)
    page.open_sections()
    assert page.page.locator("tr.outside-row").count() == 150
    assert "the other 24,850 are left out of the page" in page.page.inner_text("#outside-forecasts")
    assert_links_work(page)
    assert page.errors == []


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("page_path", [f"{EXAMPLE}/{AS_OF}/report.html", "_scorecard/report.html"])
def test_chart_text_is_at_least_9_css_px_on_a_laptop_and_a_phone(browser, bundled_run, page_path, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto((bundled_run.out / page_path).as_uri())
    page.wait_for_load_state("load")
    smallest = page.eval_on_selector_all("figure.chart svg", SMALLEST_CHART_TEXT)
    assert smallest and min(smallest) >= 9, smallest
    # One drawing of each chart is shown, sized to the screen: no chart is wider than the page.
    sizes = page.eval_on_selector_all("figure.chart svg", VISIBLE_SIZES)
    assert sizes and all(w <= width for w, _ in sizes)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.close()
