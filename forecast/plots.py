"""Charts, drawn with matplotlib's Agg canvas (no GUI, no pyplot state).

matplotlib is imported here only, and this module only by the report, so
``import forecast`` does not pay for it.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from datetime import date

import numpy as np

from .engine import Trajectory

__all__ = ["Chart", "trajectory_chart"]

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
    ax.set_ylabel("probability (%)")
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.grid(axis="y", color="#dddddd", lw=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    last = trajectory.probabilities[-1] if len(trajectory.dates) else []
    alt = "Probability of each scenario over time. Latest: " + "; ".join(
        f"{name} {p:.0%}" for name, p in zip(names, last)
    )
    return Chart(buffer.getvalue(), alt)
