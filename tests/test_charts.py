"""Charts that tell the story: the quiet stretch compressed, calibration lines only where bins mean something."""

from __future__ import annotations

from datetime import date

from helpers import DATA, EXAMPLE

from forecast.analysis.scoring import calibration_bins
from forecast.publish.plots import MIN_BIN_COUNT, calibration_chart, calibration_segments, quiet_stretch
from forecast.publish.report import Report

OPENED, LAST_EVIDENCE = date(2024, 12, 8), date(2025, 2, 17)


def test_a_long_quiet_stretch_before_as_of_is_compressed():
    # 2025-02-17 to 2026-11-20: 365 + 273 + 3 days, far longer than the 71 days evidence took.
    assert quiet_stretch(OPENED, date(2026, 11, 20), [date(2024, 12, 9), LAST_EVIDENCE]) == 641
    report = Report.load(EXAMPLE, as_of="2026-11-20", data_dir=DATA)
    assert "No new evidence in the last 641 days, drawn compressed" in report.trajectory_chart().alt


def test_a_short_quiet_stretch_is_drawn_as_it_is():
    assert quiet_stretch(OPENED, date(2025, 2, 20), [LAST_EVIDENCE]) == 0  # 3 days
    assert quiet_stretch(OPENED, date(2025, 3, 20), [LAST_EVIDENCE]) == 31  # > 14 days and > 71 / 4
    assert quiet_stretch(OPENED, date(2025, 3, 1), [LAST_EVIDENCE]) == 0  # 12 days
    assert quiet_stretch(OPENED, date(2025, 2, 20), []) == 0
    chart = Report.load(EXAMPLE, as_of="2025-02-20", data_dir=DATA).trajectory_chart()
    assert "compressed" not in chart.alt


def test_calibration_lines_join_only_neighbouring_bins_with_enough_forecasts():
    assert MIN_BIN_COUNT == 5
    assert calibration_segments([0, 6, 7, 2, 5, 9, 0]) == [(1, 2), (4, 5)]
    assert calibration_segments([1, 2, 1, 2]) == []
    # Six forecasts over ten bins, as the bundled resolved questions give: no line at all, every bin named.
    table = calibration_bins(
        [(0.05, False), (0.15, False), (0.15, True), (0.6, False), (0.7, True), (0.95, True)]
    )
    chart = calibration_chart(table)
    assert calibration_segments(table.count.tolist()) == []
    assert "10-20%: 2 forecasts, 50% happened" in chart.alt
    assert "drawn hollow and not joined" in chart.alt


def test_the_same_chart_is_the_same_bytes_and_names_no_software_version():
    report = Report.load(EXAMPLE, as_of="2025-02-20", data_dir=DATA)
    first, second = report.trajectory_chart()._repr_html_(), report.trajectory_chart()._repr_html_()
    assert first == second
    assert "matplotlib" not in first.lower() and "<dc:date>" not in first and "<?xml" not in first


def test_a_label_with_dollar_signs_is_drawn_as_written(make_question, tmp_path):
    make_question(
        "id: q\ntitle: Price\nquestion: Where will it close?\nopened: 2025-01-01\ncloses: 2025-12-31\n"
        "scenarios:\n  low: {name: Under $5 (low), short: $\\frac$ or $5-$10, prior: 0.5}\n"
        "  high: {name: Over $10, prior: 0.5}\n"
        "indicators:\n  rally:\n    text: A rally\n    signals: high\n    likelihood: {low: 0.3, high: 0.7}\n",
        "id,date,indicator,observed,source,reliability,credibility\ne1,2025-01-05,rally,yes,Wire,A,1\n",
    )
    chart = Report.load("q", as_of="2025-02-01", data_dir=tmp_path).trajectory_chart()
    assert chart.svg.startswith("<svg") and "$\\frac$ or $5-$10" in chart.alt
