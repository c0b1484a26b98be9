"""A calibrated run's pages as a reviewer sees them: the live report and the scorecard's calibration section.

The bundled data with a ``calibration.yaml``, run through ``forecast run``, laid out in headless
Chromium at 1280 and 390 px: no sideways scrolling, nothing spilling out of a cell, no serious or
critical axe-core violation, and the calibration's words where they belong.
"""

from __future__ import annotations

import pytest
from helpers import AS_OF, EXAMPLE, copy_data, forecast_cli
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)
from test_layout import _MEASURE, WIDTHS, open_page

pytestmark = pytest.mark.slow

PAGES = {"calibrated report": f"{EXAMPLE}/{AS_OF}/report.html", "scorecard": "_scorecard/report.html"}


@pytest.fixture(scope="module")
def calibrated_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("calibrated")
    data, out = copy_data(root / "data"), root / "reports"
    # The bundled resolved questions are examples; here they stand for a record of the team's own.
    for path in (data / "questions").glob("*.yaml"):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(x for x in lines if not x.startswith("illustrative:")), encoding="utf-8")
    (data / "calibration.yaml").write_text(
        "temper: 0.42\nfitted: 2026-11-30\nquestions: [harbour-bridge-reopening, riverside-festival-return]\n"
        "log_score:\n  leave_one_out: {untempered: 0.81, calibrated: 0.64}\n",
        encoding="utf-8",
    )
    result = forecast_cli("run", "--data", data, "--out", out, "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    return out


def test_the_pages_say_the_forecast_is_calibrated(calibrated_run):
    report = (calibrated_run / PAGES["calibrated report"]).read_text(encoding="utf-8")
    assert (
        "Calibrated: past forecasts were overconfident: the evidence counts at 0.42 of its stated strength "
        "(fitted on 2 resolved" in report
    )
    scorecard = (calibrated_run / PAGES["scorecard"]).read_text(encoding="utf-8")
    assert "0.42</strong> of its stated strength" in scorecard and "(in use)" in scorecard


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_no_sideways_scroll_and_nothing_spills(browser, calibrated_run, name, width):  # noqa: F811
    context, page = open_page(browser, calibrated_run / PAGES[name], width)
    try:
        found = page.evaluate(_MEASURE)
        assert found["page"]["scrollWidth"] <= found["page"]["clientWidth"], "the page scrolls sideways"
        assert found["spilling"] == [], "text spills out of these cells"
        assert found["outside"] == [], "these reach past the right edge"
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_no_serious_or_critical_accessibility_violation(browser, calibrated_run, name, width):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    context, page = open_page(browser, calibrated_run / PAGES[name], width)
    try:
        results = Axe().run(page)
        serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], results.generate_report()
    finally:
        context.close()
