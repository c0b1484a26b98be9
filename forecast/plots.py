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
from collections.abc import Sequence
from datetime import date

import numpy as np

from .analysis import CalibrationBins
from .engine import Trajectory

__all__ = ["Chart", "calibration_chart", "trajectory_chart"]

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
