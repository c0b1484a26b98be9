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

from .analysis import CalibrationBins
from .engine import Trajectory

if TYPE_CHECKING:
    from .outside import OutsideForecast

__all__ = ["Chart", "calibration_chart", "trajectory_chart"]

#: Marker shapes, one per outside forecaster.
_MARKERS = ("D", "s", "^", "v", "P", "X", "o", "*")
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

    Parameters
    ----------
    trajectory : Trajectory
        Daily probabilities.
    names : sequence of str
        Scenario names, in the trajectory's scenario order.
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
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 3.6), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    days = np.array(trajectory.dates, dtype="datetime64[D]")
    probs = trajectory.probabilities * 100
    for j, name in enumerate(names):
        colour = PALETTE[j % len(PALETTE)]
        if band is not None:
            ax.fill_between(days, band[:, j, 0] * 100, band[:, j, 1] * 100, color=colour, alpha=0.15, lw=0)
        ax.step(days, probs[:, j], where="post", color=colour, lw=2, label=name)
        for other in (analysts or {}).values():
            ax.step(days, other.probabilities[:, j] * 100, where="post", color=colour, lw=1, alpha=0.35)
    if analysts:
        ax.plot([], [], color="#555555", lw=1, alpha=0.35, label="each of " + ", ".join(analysts))
    ids = trajectory.scenario_ids
    forecasters = list(dict.fromkeys(r.forecaster for r in outside))
    for k, forecaster in enumerate(forecasters):
        marker = _MARKERS[k % len(_MARKERS)]
        rows = [r for r in outside if r.forecaster == forecaster]
        when = np.array([r.date for r in rows], dtype="datetime64[D]")
        for j, sid in enumerate(ids):
            values = [r.probabilities[sid] * 100 for r in rows]
            ax.scatter(
                when,
                values,
                marker=marker,
                s=36,
                color=PALETTE[j % len(PALETTE)],
                edgecolors="#222222",
                linewidths=0.6,
                zorder=4,
            )
        ax.scatter([], [], marker=marker, s=36, color="white", edgecolors="#222222", label=forecaster)
    for d in sorted(set(evidence_dates)):
        ax.axvline(np.datetime64(d, "D"), ymin=0, ymax=0.04, color="#555555", lw=1)
    ax.set_ylim(0, 100)
    if len(days) > 1:  # no margins: past the last day they could reach beyond matplotlib's year 9999
        ax.set_xlim(days[0], days[-1])
    ax.set_ylabel("probability (%)")
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.grid(axis="y", color="#dddddd", lw=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    _as_text(ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    last = trajectory.probabilities[-1] if len(trajectory.dates) else []
    alt = "Probability of each scenario over time. Latest: " + "; ".join(
        f"{name} {p:.0%}" for name, p in zip(names, last)
    )
    if analysts:
        alt += ". Faint lines: " + ", ".join(analysts)
    if forecasters:
        alt += ". Markers: outside forecasts by " + ", ".join(forecasters)
    return Chart(buffer.getvalue(), alt)


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
        ax.plot(predicted, observed, color=PALETTE[0], lw=1.5, zorder=2)
        ax.scatter(
            predicted, observed, s=30 + 25 * np.sqrt(counts), color=PALETTE[0], zorder=3, label="forecasts"
        )
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
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    edges = table.edges * 100
    bins = [
        f"{edges[k]:.0f}-{edges[k + 1]:.0f}%: {table.count[k]} forecast{'' if table.count[k] == 1 else 's'}, "
        f"{table.frequency[k]:.0%} happened"
        for k in filled.tolist()
    ]
    alt = "Calibration: predicted probability against observed frequency. " + (
        "; ".join(bins) if bins else "No resolved forecasts yet."
    )
    return Chart(buffer.getvalue(), alt)


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
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    alt = "Calibration per forecaster: " + (
        "; ".join(f"{name}, n={n}" for name, (_, n) in tables.items())
        if tables
        else "none has enough points yet."
    )
    return Chart(buffer.getvalue(), alt)
