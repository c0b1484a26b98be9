"""Pages as a reviewer sees them on a laptop (1280 px) and a phone (390 px), in headless Chromium.

Every page the run writes (the index, a live report with an earlier one to compare with, a resolved
report and the scorecard) is laid out at both widths and checked for sideways scrolling, for text that
spills out of its table cell, and by axe-core for serious or critical accessibility violations.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import AS_OF, EXAMPLE, copy_data, forecast_cli, read_json
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.slow

EARLIER = "2025-02-05"
RESOLVED = "riverside-festival-return"
WIDTHS = (1280, 390)
PAGES = {
    "index": "index.html",
    "live report": f"{EXAMPLE}/{AS_OF}/report.html",
    "resolved report": f"{RESOLVED}/{AS_OF}/report.html",
    "scorecard": "_scorecard/report.html",
}

#: Elements that scroll sideways (overflow-x: auto) on purpose: their content may be wider than they are.
_SCROLL_BOXES = ".table-scroll"

_MEASURE = """() => {
  const page = {scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth};
  const spilling = [];
  for (const cell of document.querySelectorAll('td, th')) {
    const style = getComputedStyle(cell);
    if (style.display === 'none') continue;
    // A cell's content spills when it needs more room than the cell has (1 px for rounding).
    if (cell.scrollWidth > cell.clientWidth + 1 || cell.scrollHeight > cell.clientHeight + 1) {
      spilling.push(cell.outerHTML.slice(0, 160));
    }
  }
  // Anything outside a scroll box that reaches past the right edge of the viewport.
  const outside = [];
  for (const el of document.querySelectorAll('main *, header *, footer *')) {
    if (el.closest('SCROLL_BOXES')) continue;
    const box = el.getBoundingClientRect();
    if (box.width && box.right > page.clientWidth + 1) outside.push(el.outerHTML.slice(0, 160));
  }
  return {page, spilling, outside};
}""".replace("SCROLL_BOXES", _SCROLL_BOXES)


@pytest.fixture(scope="module")
def two_day_run(tmp_path_factory):
    """The bundled data run as of an earlier date and then as of AS_OF, so the report has a comparison."""
    root = tmp_path_factory.mktemp("layout")
    data, out = copy_data(root / "data"), root / "reports"
    for as_of in (EARLIER, AS_OF):
        result = forecast_cli("run", "--data", data, "--out", out, "--as-of", as_of)
        assert result.returncode == 0, result.stderr
    return out


def open_page(browser, path: Path, width: int):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return context, page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_no_sideways_scroll_and_nothing_spills_out_of_a_cell(browser, two_day_run, name, width):  # noqa: F811
    context, page = open_page(browser, two_day_run / PAGES[name], width)
    try:
        found = page.evaluate(_MEASURE)
        assert found["page"]["clientWidth"] == width
        assert found["page"]["scrollWidth"] <= found["page"]["clientWidth"], "the page scrolls sideways"
        assert found["spilling"] == [], "text spills out of these cells"
        assert found["outside"] == [], "these reach past the right edge"
        assert page.locator("table").count() > 0
        # The collapsed sections, opened, fit too.
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        found = page.evaluate(_MEASURE)
        assert found["page"]["scrollWidth"] <= found["page"]["clientWidth"], (
            "an opened section scrolls sideways"
        )
        assert found["spilling"] == [] and found["outside"] == []
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_no_serious_or_critical_accessibility_violation(browser, two_day_run, name, width):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    context, page = open_page(browser, two_day_run / PAGES[name], width)
    try:
        results = Axe().run(page)
        serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], results.generate_report()
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        results = Axe().run(page)
        serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], results.generate_report()
    finally:
        context.close()


def test_the_accessibility_check_finds_what_it_should(browser, tmp_path):  # noqa: F811
    """A page built with known faults (an image without alt text, grey on grey) fails: the check is live."""
    from axe_playwright_python.sync_playwright import Axe

    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>bad</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<p style="color:#bbb;background:#ccc">hard to read</p></main></body></html>',
        encoding="utf-8",
    )
    context, page = open_page(browser, bad, 1280)
    try:
        found = {v["id"] for v in Axe().run(page).response["violations"]}
    finally:
        context.close()
    assert {"image-alt", "color-contrast"} <= found


def test_the_layout_check_sees_a_cell_that_spills(browser, tmp_path):  # noqa: F811
    """The bug reviewers met: a nowrap header in a narrow column prints over its neighbours."""
    bad = tmp_path / "spill.html"
    bad.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>spill</title><style>th { max-width: 3rem; white-space: nowrap;'
        " overflow: hidden }</style></head><body><main><table><tr><th>Partial deal (~3,000 troops)</th></tr>"
        "</table></main></body></html>",
        encoding="utf-8",
    )
    context, page = open_page(browser, bad, 390)
    try:
        assert page.evaluate(_MEASURE)["spilling"]
    finally:
        context.close()


def test_the_resolved_report_leads_with_its_resolution(browser, two_day_run):  # noqa: F811
    from forecast.engine.compiled import posterior_as_of
    from forecast.inputs.validate import load_by_id

    context, page = open_page(browser, two_day_run / PAGES["resolved report"], 1280)
    try:
        first = page.locator("#key-judgments > p").first
        assert "resolution-lead" in first.get_attribute("class")
        lead = first.inner_text()
        # The forecast on the eve of the resolution, worked out independently of the report.
        question, evidence = load_by_id(two_day_run.parent / "data", RESOLVED)
        from datetime import date

        eve = posterior_as_of(question, evidence, date(2024, 7, 19))["cancelled"]
        assert lead.startswith(
            f"Resolved: Cancelled on 2024-07-20; the forecast gave it {eve * 100:.0f}% on the eve"
        )
        text = page.inner_text("main")
        assert ".." not in text.replace("...", "")
        # The forecast as it stood on the eve follows the outcome; nothing speaks as if the question were live.
        assert text.index("Resolved: Cancelled") < text.index(
            "The forecast as it stood on the eve, 2024-07-19"
        )
        assert (
            "as it stands" not in text and "What to watch next" not in text and "Stale evidence" not in text
        )
        assert "Confidence:" not in text and page.locator(".alert").count() == 0
    finally:
        context.close()
    index_context, index = open_page(browser, two_day_run / "index.html", 1280)
    try:
        card = index.locator(f"#q-{RESOLVED}")
        assert card.locator("p").first.inner_text().startswith("Resolved: Cancelled on 2024-07-20")
    finally:
        index_context.close()


def test_scenarios_keep_one_order_and_their_short_labels_everywhere(browser, two_day_run):  # noqa: F811
    summary = read_json(two_day_run / EXAMPLE / AS_OF / "summary.json")
    labels = [summary["scenario_labels"][s] for s in summary["scenario_order"]]
    assert labels == ["Keeps bases", "Partial deal", "Full exit"]  # as the question file lists them
    context, page = open_page(browser, two_day_run / PAGES["live report"], 1280)
    try:
        rows = page.eval_on_selector_all(
            "table.probabilities tbody th", "ths => ths.map(t => t.firstChild.textContent.trim())"
        )
        assert rows == labels
        effects = page.eval_on_selector_all(
            "table.evidence-log th.effect", "ths => ths.map(t => t.textContent.trim())"
        )
        assert effects == labels
        alt = page.get_attribute("figure.chart svg >> nth=0", "aria-label")
        assert [alt.index(label) for label in labels] == sorted(alt.index(label) for label in labels)
    finally:
        context.close()
    context, index = open_page(browser, two_day_run / "index.html", 1280)
    try:
        rows = index.eval_on_selector_all(
            f"#q-{EXAMPLE} table.probabilities tbody th", "ths => ths.map(t => t.textContent.trim())"
        )
        assert rows == labels
    finally:
        context.close()


def test_a_report_prints_without_the_navigation_and_with_every_table_in_full(browser, two_day_run):  # noqa: F811
    context, page = open_page(browser, two_day_run / PAGES["live report"], 1280)
    try:
        page.emulate_media(media="print")
        assert page.locator("header.site").is_hidden()
        overflow = page.eval_on_selector_all(
            ".table-scroll", "els => els.map(e => getComputedStyle(e).overflowX)"
        )
        assert overflow and set(overflow) == {"visible"}
        # The collapsed sections open on paper.
        for section in (
            "#full-evidence-log table",
            "#checklists table",
            "#outside-forecasts table",
            "#drivers table",
        ):
            assert page.locator(section).first.is_visible(), section
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    finally:
        context.close()


@pytest.fixture(scope="module")
def long_names_run(tmp_path_factory):
    """The example question without its short labels, so its long scenario names head every table, with
    its analysts and outside forecasts: the report's widest tables."""
    import re

    root = tmp_path_factory.mktemp("long-names")
    data, out = copy_data(root / "data"), root / "reports"
    path = data / "questions" / f"{EXAMPLE}.yaml"
    path.write_text(re.sub(r"(?m)^ +short: .*\n", "", path.read_text(encoding="utf-8")), encoding="utf-8")
    result = forecast_cli("run", "--data", data, "--out", out, "--as-of", AS_OF, "--question", EXAMPLE)
    assert result.returncode == 0, result.stderr
    return out / EXAMPLE / AS_OF / "report.html"


def test_the_analysts_and_outside_forecast_tables_scroll_in_their_own_box_on_a_phone(browser, long_names_run):  # noqa: F811
    context, page = open_page(browser, long_names_run, 390)
    try:
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        assert "Partial deal (~3,000 troops)" in page.inner_text("table.outside thead")
        for table in ("table.analysts", "table.drivers", "table.outside"):
            assert page.locator(f".table-scroll > {table}").count() == 1, table
        found = page.evaluate(_MEASURE)
        assert found["page"]["scrollWidth"] <= found["page"]["clientWidth"], "the page scrolls sideways"
        assert found["outside"] == [], "these reach past the right edge"
    finally:
        context.close()
