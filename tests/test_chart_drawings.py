"""Charts a reviewer can read: who is who, nothing covered, nothing unescaped, small bins not joined.

Each chart is drawn twice, for a laptop and for a phone. These tests catch both figures as they are
saved and check them with matplotlib's own extents, and read the SVG that reaches the page.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from forecast.analysis import calibration_bins
from forecast.engine.results import Trajectory
from forecast.inputs.outside import OutsideForecast
from forecast.publish import plots

DAYS = tuple(date(2025, 1, 1) + timedelta(days=k) for k in range(60))
IDS = ("keep", "partial", "exit")
NAMES = ("Russia keeps its bases", "Partial deal", "Full exit")


def trajectory(seed: int) -> Trajectory:
    rng = np.random.default_rng(seed)
    raw = rng.uniform(0.1, 1, size=(len(DAYS), len(IDS)))
    return Trajectory(DAYS, IDS, raw / raw.sum(axis=1, keepdims=True))


@pytest.fixture
def figures(monkeypatch):
    """Every figure a chart saves, in order (the laptop's, then the phone's)."""
    caught = []
    real = plots._svg

    def catch(fig, name, alt):
        fig.canvas.draw()
        caught.append(fig)
        return real(fig, name, alt)

    monkeypatch.setattr(plots, "_svg", catch)
    return caught


def legend_texts(fig) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def assert_legend_clear_of_the_plot(fig) -> None:
    renderer = fig.canvas.get_renderer()
    for legend in fig.legends:
        box = legend.get_window_extent(renderer)
        for ax in fig.axes:
            assert not box.overlaps(ax.get_window_extent(renderer)), "the legend covers the plot"
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width + 0.5, "the legend runs off the chart"


def test_each_analyst_has_a_key_of_their_own_and_long_names_are_shortened(figures):
    analysts = {
        "Konstantinos Papadopoulos-Smith": trajectory(1),
        "Maria-Antonietta Fitzgerald-Oyelaran": trajectory(2),
        "tomas": trajectory(3),
    }
    chart = plots.trajectory_chart(trajectory(0), NAMES, [DAYS[5], DAYS[30]], analysts=analysts)
    assert len(figures) == 2
    for fig in figures:
        texts = legend_texts(fig)
        assert all(name in texts for name in NAMES)  # no scenario key is dropped
        assert "Konstantinos Papa…" in texts and "Maria-Antonietta …" in texts and "tomas" in texts
        assert_legend_clear_of_the_plot(fig)
        # Each analyst's lines carry a marker shape of their own, the same in every scenario's colour.
        shapes = {
            str(line.get_marker())
            for line in fig.axes[0].get_lines()
            if str(line.get_marker()) not in ("None", "")
        }
        assert len(shapes) >= 3
    assert "each of Konstantinos Papadopoulos-Smith, Maria-Antonietta Fitzgerald-Oyelaran, tomas" in chart.alt


def test_only_the_newest_outside_forecasters_are_drawn_and_the_rest_are_counted(figures):
    outside = [
        OutsideForecast(
            forecaster=f"forecaster {k:03d}",
            date=DAYS[k % len(DAYS)],
            probabilities={"keep": 0.2, "partial": 0.5, "exit": 0.3},
            line=k + 2,
        )
        for k in range(135)
    ]
    chart = plots.trajectory_chart(trajectory(0), NAMES, [DAYS[2]], outside=outside)
    newest = sorted(
        {r.forecaster for r in outside},
        key=lambda f: (-max(r.date for r in outside if r.forecaster == f).toordinal(), f),
    )[:5]
    for fig in figures:
        texts = legend_texts(fig)
        assert all(name in texts for name in NAMES)
        assert [t for t in texts if t.startswith("forecaster")] == newest
        assert "and 130 more forecasters, in the table" in texts
        assert_legend_clear_of_the_plot(fig)
    assert "and 130 more forecasters in the table" in chart.alt


def test_names_from_question_files_are_escaped_in_the_svg():
    hostile = ("<script>alert(1)</script>", 'Tom & "Jerry"', "$\\frac{1}{2}$ or more")
    chart = plots.trajectory_chart(trajectory(0), hostile, [DAYS[3]], analysts={"<b>x</b>": trajectory(4)})
    for svg in (chart.svg, chart.svg_narrow):
        assert "<script" not in svg and "<b>" not in svg
        assert "&lt;script&gt;" in svg and "Tom &amp;" in svg and "$\\frac{1}{2}$ or more" in svg
    assert 'aria-label="How the forecast moved' in chart.svg and "&lt;script&gt;" in chart.svg.split(">")[0]


def test_a_resolved_question_is_marked_where_it_resolved():
    chart = plots.trajectory_chart(trajectory(0), NAMES, [DAYS[3]], resolution_date=DAYS[-1])
    for svg in (chart.svg, chart.svg_narrow):
        assert f"resolved {DAYS[-1]}" in svg
    assert f"resolved on {DAYS[-1]}" in chart.alt


def test_the_same_chart_is_the_same_bytes_and_two_charts_share_no_ids():
    first = plots.trajectory_chart(trajectory(0), NAMES, [DAYS[3]])._repr_html_()
    assert first == plots.trajectory_chart(trajectory(0), NAMES, [DAYS[3]])._repr_html_()
    other = plots.calibration_chart(calibration_bins([(0.1, False), (0.8, True)], bins=5))._repr_html_()
    import re

    ids = re.findall(r'\sid="([^"]+)"', first + other)
    assert len(ids) == len(set(ids))


def test_per_forecaster_calibration_joins_only_bins_of_five_or_more(figures):
    points = (
        [(0.05, False)] * 6
        + [(0.25, True)] * 2
        + [(0.35, False)] * 3
        + [(0.45, True)] * 7
        + [(0.55, True)] * 5
    )
    table = calibration_bins(points, bins=10)
    plots.calibration_by_forecaster_chart({"ana": (table, len(points))})
    counts = table.count.tolist()
    expected = plots.calibration_segments(counts)  # [(4, 5)]: only 45% and 55% hold five or more side by side
    assert expected == [(4, 5)]
    for fig in figures:
        joined = [
            line
            for line in fig.axes[0].get_lines()
            if len(line.get_xdata()) == 2 and line.get_linestyle() == "-"
        ]
        assert len(joined) == len(expected)
        assert_legend_clear_of_the_plot(fig)
