"""Charts, drawn with matplotlib's Agg canvas (no GUI, no pyplot state).

matplotlib is imported here only, and this module only by the report, so
``import forecast`` does not pay for it. Text that came from a question file
(scenario names, titles) is drawn as text: matplotlib's mathtext never reads it,
so a name with dollar signs (``Exit costs $\\frac{1}{$ or more``) is shown as written.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from ..analysis.scoring import CalibrationBins
from ..engine.results import Trajectory

if TYPE_CHECKING:
    from ..inputs.outside import OutsideForecast

__all__ = [
    "MIN_BIN_COUNT",
    "QUIET_DAYS",
    "Chart",
    "calibration_by_forecaster_chart",
    "calibration_chart",
    "calibration_segments",
    "quiet_stretch",
    "trajectory_chart",
]

#: Marker shapes, one per outside forecaster.
_MARKERS = ("D", "s", "^", "v", "P", "X", "o", "*")
#: The first and last days matplotlib can draw.
_FIRST_DAY, _LAST_DAY = np.datetime64("0001-01-01", "D"), np.datetime64("9999-12-31", "D")
# Colour-blind-safe (Okabe-Ito) colours, one per scenario.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")


class Chart:
    """A rendered chart: PNG bytes with alt text, shown as an ``<img>`` in notebooks and reports."""

    def __init__(self, png: bytes, alt: str) -> None:
        self.png = png
        self.alt = alt

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.png).decode("ascii")
        return (
            f'<figure class="chart"><img src="data:image/png;base64,{data}" '
            f'alt="{html.escape(self.alt)}"></figure>'
        )


#: A quiet stretch (no new evidence up to ``as_of``) longer than this many days, and than a quarter
#: of the period in which evidence arrived, is drawn compressed in a narrow panel of its own.
QUIET_DAYS = 14
#: Bins of the calibration chart holding fewer forecasts than this are drawn hollow and not joined.
MIN_BIN_COUNT = 5
#: PNG metadata: no software version, so the same chart is the same bytes on any matplotlib.
_PNG_METADATA = {"Software": None}


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata=_PNG_METADATA)
    return buffer.getvalue()


def _as_text(legend) -> None:
    """Draw a legend's labels as plain text, never as mathtext (labels come from question files)."""
    for text in legend.get_texts():
        text.set_parse_math(False)


def trajectory_chart(
    trajectory: Trajectory,
    names: Sequence[str],
    evidence_dates: Sequence[date] = (),
    band: np.ndarray | None = None,
    *,
    analysts: Mapping[str, Trajectory] | None = None,
    outside: Sequence[OutsideForecast] = (),
) -> Chart:
    """One line per scenario over time, evidence dates marked along the bottom.

    The chart spans the period in which evidence arrived. When no evidence
    arrived for a long stretch before ``as_of`` (more than :data:`QUIET_DAYS`
    days and more than a quarter of the evidence period), that stretch is drawn
    compressed in a narrow, shaded panel at the right, marked "no new evidence",
    so the moves stay readable.

    Parameters
    ----------
    trajectory : Trajectory
        Daily probabilities.
    names : sequence of str
        Scenario labels, in the trajectory's scenario order; the legend keeps it.
    evidence_dates : sequence of date
        Dates of counted reports; each is marked with a tick.
    band : ndarray, optional
        ``(days, scenarios, 2)`` lower and upper bounds, drawn as shaded bands.
    analysts : mapping of str to Trajectory, optional
        Other forecasts of the same days (each analyst's, or the team's), drawn as
        faint lines in the scenarios' colours.
    outside : sequence of OutsideForecast, optional
        Outside forecasts, drawn as markers (one shape per forecaster) in the
        scenarios' colours.

    Returns
    -------
    Chart
        With alt text giving each scenario's start and latest probability and
        the dates evidence arrived.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    days = np.array(trajectory.dates, dtype="datetime64[D]")
    probs = trajectory.probabilities * 100
    marks = sorted(set(evidence_dates))
    first_day, last_day = (trajectory.dates[0], trajectory.dates[-1]) if len(days) else (None, None)
    quiet = quiet_stretch(first_day, last_day, marks) if len(days) else 0

    fig = Figure(figsize=(8.0, 3.9), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    if quiet:
        ax, quiet_ax = fig.subplots(1, 2, sharey=True, width_ratios=[5, 1], gridspec_kw={"wspace": 0.02})
        axes = (ax, quiet_ax)
    else:
        ax, quiet_ax = fig.add_subplot(), None
        axes = (ax,)
    lines = []
    outside = list(outside or ())
    forecasters = list(dict.fromkeys(r.forecaster for r in outside))
    # The quiet panel draws only its own days, from the day the left panel stops showing.
    pad = np.timedelta64(max(2, (marks[-1] - first_day).days // 30), "D") if quiet else None
    quiet_start = np.datetime64(marks[-1], "D") + pad if quiet else None
    for panel in axes:
        shown = slice(None) if panel is ax else slice(int(np.searchsorted(days, quiet_start)), None)
        for j, name in enumerate(names):
            colour = PALETTE[j % len(PALETTE)]
            if band is not None:
                panel.fill_between(
                    days[shown],
                    band[shown, j, 0] * 100,
                    band[shown, j, 1] * 100,
                    step="post",
                    color=colour,
                    alpha=0.15,
                    lw=0,
                )
            (line,) = panel.step(
                days[shown],
                probs[shown, j],
                where="post",
                color=colour,
                lw=2,
                ls=_DASHES[j % len(_DASHES)],
                label=name,
            )
            if panel is ax:
                lines.append(line)
            for other in (analysts or {}).values():
                panel.step(
                    days[shown],
                    other.probabilities[shown, j] * 100,
                    where="post",
                    color=colour,
                    lw=1,
                    alpha=0.35,
                )
        for k, forecaster in enumerate(forecasters):
            rows = [r for r in outside if r.forecaster == forecaster]
            when = np.array([r.date for r in rows], dtype="datetime64[D]")
            for j, sid in enumerate(trajectory.scenario_ids):
                panel.scatter(
                    when,
                    [r.probabilities[sid] * 100 for r in rows],
                    marker=_MARKERS[k % len(_MARKERS)],
                    s=36,
                    color=PALETTE[j % len(PALETTE)],
                    edgecolors="#222222",
                    linewidths=0.6,
                    zorder=4,
                )
        panel.set_ylim(0, 100)
        panel.grid(axis="y", color="#dddddd", lw=0.8)
        panel.spines[["top", "right"]].set_visible(False)
    if analysts:
        lines += ax.plot([], [], color="#555555", lw=1, alpha=0.35, label="each of " + ", ".join(analysts))
    for k, forecaster in enumerate(forecasters):
        marker = _MARKERS[k % len(_MARKERS)]
        lines.append(
            ax.scatter([], [], marker=marker, s=36, color="white", edgecolors="#222222", label=forecaster)
        )
    for d in marks:
        ax.axvline(np.datetime64(d, "D"), ymin=0, ymax=0.04, color="#555555", lw=1)
    if quiet_ax is None and len(days) > 1:  # no margins: past the last day they could reach beyond year 9999
        ax.set_xlim(days[0], days[-1])
    elif quiet_ax is None and len(days) == 1:  # a day either side, never outside the years 1 to 9999
        ax.set_xlim(max(days[0] - 1, _FIRST_DAY), min(days[0] + 1, _LAST_DAY))
    ax.set_ylabel("probability (%)")
    locator = AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    if quiet_ax is not None:
        ax.set_xlim(days[0], np.datetime64(marks[-1], "D") + pad)
        quiet_ax.set_xlim(quiet_start, days[-1])
        quiet_ax.axvspan(quiet_start, days[-1], color="#eeeeee", zorder=0)
        quiet_ax.text(
            0.5, 0.5, f"no new\nevidence\n{quiet} days", transform=quiet_ax.transAxes,
            ha="center", va="center", fontsize=8, color="#333333",
        )  # fmt: skip
        quiet_ax.set_xticks([days[-1]], [str(last_day)], fontsize=8)
        quiet_ax.spines["left"].set_visible(False)
        quiet_ax.tick_params(axis="y", left=False)
        # The usual break marks: two slanted strokes where the axis is cut.
        kwargs = {"marker": [(-1, -1.5), (1, 1.5)], "markersize": 9, "linestyle": "none", "color": "#555555",
                  "mec": "#555555", "mew": 1, "clip_on": False}  # fmt: skip
        ax.plot([1], [0], transform=ax.transAxes, **kwargs)
        quiet_ax.plot([0], [0], transform=quiet_ax.transAxes, **kwargs)
    _as_text(fig.legend(handles=lines, loc="outside lower center", ncols=min(len(names), 4), frameon=False))
    alt = _trajectory_alt(trajectory, names, marks, quiet)
    if analysts:
        alt += " Faint lines: " + ", ".join(analysts) + "."
    if forecasters:
        alt += " Markers: outside forecasts by " + ", ".join(forecasters) + "."
    return Chart(_png(fig), alt)


def quiet_stretch(start: date, as_of: date, evidence_dates: Sequence[date]) -> int:
    """The days from the last evidence to ``as_of`` that the trajectory chart compresses (0: none).

    A stretch is compressed when it is longer than :data:`QUIET_DAYS` days and
    longer than a quarter of the period from ``start`` to the last evidence.

    Examples
    --------
    >>> quiet_stretch(date(2024, 12, 8), date(2026, 11, 20), [date(2024, 12, 9), date(2025, 2, 17)])
    641
    >>> quiet_stretch(date(2024, 12, 8), date(2025, 2, 20), [date(2024, 12, 9), date(2025, 2, 17)])
    0
    """
    if not evidence_dates:
        return 0
    last = max(evidence_dates)
    quiet = (as_of - last).days
    return quiet if quiet > QUIET_DAYS and quiet > max((last - start).days, 1) / 4 else 0


def calibration_segments(counts: Sequence[int]) -> list[tuple[int, int]]:
    """The pairs of neighbouring bins the calibration chart joins with a line.

    Only neighbours that both hold at least :data:`MIN_BIN_COUNT` forecasts are
    joined; a line through a bin of one or two forecasts would claim a trend
    that is not there.

    Examples
    --------
    >>> calibration_segments([0, 6, 7, 2, 5, 9, 0])
    [(1, 2), (4, 5)]
    """
    return [
        (k, k + 1)
        for k in range(len(counts) - 1)
        if counts[k] >= MIN_BIN_COUNT and counts[k + 1] >= MIN_BIN_COUNT
    ]


#: Line styles by scenario, so lines differ by more than colour.
_DASHES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 2)), (0, (8, 2)))


def _trajectory_alt(trajectory: Trajectory, names: Sequence[str], marks: Sequence[date], quiet: int) -> str:
    if not len(trajectory.dates):
        return "How the forecast moved: no days to show."
    first, last = trajectory.probabilities[0], trajectory.probabilities[-1]
    moves = "; ".join(f"{name} from {a:.0%} to {b:.0%}" for name, a, b in zip(names, first, last))
    text = f"How the forecast moved from {trajectory.dates[0]} to {trajectory.dates[-1]}: {moves}."
    if marks:
        text += f" Evidence arrived on {len(marks)} day{'' if len(marks) == 1 else 's'}, from {marks[0]} to {marks[-1]}."
    if quiet:
        text += f" No new evidence in the last {quiet} days, drawn compressed at the right."
    return text


def calibration_chart(table: CalibrationBins, *, title: str = "") -> Chart:
    """Predicted probability against observed frequency, one point per non-empty bin.

    The diagonal is perfect calibration: of the forecasts of about 30%, 30%
    happened. Each point is drawn at its bin's mean forecast and sized by, and
    annotated with, the number of forecasts in it.

    Parameters
    ----------
    table : CalibrationBins
        From :func:`forecast.analysis.calibration_bins`.
    title : str, optional
        Drawn above the chart.

    Returns
    -------
    Chart
        With alt text listing every non-empty bin.

    Examples
    --------
    >>> from forecast.analysis import calibration_bins
    >>> chart = calibration_chart(calibration_bins([(0.1, False), (0.8, True)], bins=5))
    >>> chart.png[:4]
    b'\\x89PNG'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 4.6), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot([0, 100], [0, 100], ls="--", color="#888888", lw=1, label="perfect calibration")
    filled = np.flatnonzero(table.count > 0)
    predicted = table.mean_predicted[filled] * 100
    observed = table.frequency[filled] * 100
    counts = table.count[filled]
    if len(filled):
        solid = counts >= MIN_BIN_COUNT
        # A line only joins neighbouring bins that both hold enough forecasts to mean something.
        at = {b: k for k, b in enumerate(filled.tolist())}
        for a, b in calibration_segments(table.count.tolist()):
            ax.plot(predicted[[at[a], at[b]]], observed[[at[a], at[b]]], color=PALETTE[0], lw=1.5, zorder=2)
        size = 30 + 25 * np.sqrt(counts)
        if solid.any():
            ax.scatter(
                predicted[solid], observed[solid], s=size[solid], color=PALETTE[0], zorder=3,
                label=f"bins of {MIN_BIN_COUNT}+ forecasts",
            )  # fmt: skip
        if (~solid).any():
            ax.scatter(
                predicted[~solid], observed[~solid], s=size[~solid], facecolors="white", edgecolors=PALETTE[0],
                lw=1.5, zorder=3, label=f"fewer than {MIN_BIN_COUNT}: too few to judge",
            )  # fmt: skip
        for x, y, n in zip(predicted, observed, counts):
            ax.annotate(
                f"n={n}", (x, y), xytext=(6, -12 if y > 90 else 6), textcoords="offset points", fontsize=8
            )
    else:
        ax.text(50, 50, "no resolved forecasts yet", ha="center", va="center", color="#555555")
    ax.set_xlim(0, 100)
    ax.set_ylim(-2, 102)
    ax.set_xlabel("predicted probability (%)")
    ax.set_ylabel("observed frequency (%)")
    ax.set_aspect("equal")
    ax.grid(color="#eeeeee", lw=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    if title:
        ax.set_title(title, fontsize=10, parse_math=False)
    edges = table.edges * 100
    bins = [
        f"{edges[k]:.0f}-{edges[k + 1]:.0f}%: {table.count[k]} forecast{'' if table.count[k] == 1 else 's'}, "
        f"{table.frequency[k]:.0%} happened"
        for k in filled.tolist()
    ]
    alt = "Calibration: predicted probability against observed frequency. " + (
        "; ".join(bins) if bins else "No resolved forecasts yet."
    )
    if len(filled) and (table.count[filled] < MIN_BIN_COUNT).any():
        alt += f". Bins with fewer than {MIN_BIN_COUNT} forecasts are drawn hollow and not joined: too few to judge"
    return Chart(_png(fig), alt)


def calibration_by_forecaster_chart(tables: Mapping[str, tuple[CalibrationBins, int]]) -> Chart:
    """Each forecaster's calibration as one line, the legend stating each forecaster's n.

    Parameters
    ----------
    tables : mapping of str to (CalibrationBins, int)
        Per forecaster, their bins and the number of (probability, happened) points.

    Returns
    -------
    Chart
        With alt text naming every forecaster and their n.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.6, 4.6), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot([0, 100], [0, 100], ls="--", color="#888888", lw=1, label="perfect calibration")
    for k, (name, (table, n)) in enumerate(tables.items()):
        filled = np.flatnonzero(table.count > 0)
        colour = PALETTE[k % len(PALETTE)]
        ax.plot(
            table.mean_predicted[filled] * 100,
            table.frequency[filled] * 100,
            marker=_MARKERS[k % len(_MARKERS)],
            color=colour,
            lw=1.2,
            label=f"{name} (n={n})",
        )
    if not tables:
        ax.text(50, 50, "no forecaster has enough points yet", ha="center", va="center", color="#555555")
    ax.set_xlim(0, 100)
    ax.set_ylim(-2, 102)
    ax.set_xlabel("predicted probability (%)")
    ax.set_ylabel("observed frequency (%)")
    ax.grid(color="#eeeeee", lw=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    ax.set_title("Calibration per forecaster (final forecasts of every scenario)", fontsize=10)
    alt = "Calibration per forecaster: " + (
        "; ".join(f"{name}, n={n}" for name, (_, n) in tables.items())
        if tables
        else "none has enough points yet."
    )
    return Chart(_png(fig), alt)
