"""Charts, drawn with matplotlib's Agg canvas (no GUI, no pyplot state).

matplotlib is imported here only, and this module only by the report, so
``import forecast`` does not pay for it. Text that came from a question file
(scenario names, titles) is drawn as text: matplotlib's mathtext never reads it,
so a name with dollar signs (``Exit costs $\\frac{1}{$ or more``) is shown as written.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analysis.scoring import CalibrationBins
from ..engine.results import Trajectory

if TYPE_CHECKING:
    from ..inputs.outside import OutsideForecast

__all__ = [
    "MAX_FORECASTERS_DRAWN",
    "MIN_BIN_COUNT",
    "QUIET_DAYS",
    "Chart",
    "calibration_by_forecaster_chart",
    "calibration_chart",
    "calibration_segments",
    "quiet_stretch",
    "short_label",
    "trajectory_chart",
]

#: Marker shapes, one per outside forecaster.
_MARKERS = ("D", "s", "^", "v", "P", "X", "o", "*")
#: The first and last days matplotlib can draw.
_FIRST_DAY, _LAST_DAY = np.datetime64("0001-01-01", "D"), np.datetime64("9999-12-31", "D")
# Colour-blind-safe (Okabe-Ito) colours, one per scenario.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")


class Chart:
    """A rendered chart: inline SVG with alt text, drawn once for a laptop and once for a phone.

    ``svg`` is the wide drawing and ``svg_narrow`` the one drawn for a phone's width, with
    the same text at a size still readable there (at least 9 CSS px at 390 px); the page
    shows one or the other by the width of the screen. Both are byte-stable (a fixed hash
    salt per chart, no date), and any text from a question file in them is escaped as XML.
    """

    def __init__(self, svg: str, alt: str, svg_narrow: str | None = None) -> None:
        self.svg = svg
        self.alt = alt
        self.svg_narrow = svg_narrow

    def _repr_html_(self) -> str:
        if self.svg_narrow is None:
            return f'<figure class="chart">{self.svg}</figure>'
        return (
            f'<figure class="chart"><style>{_SWITCH_CSS}</style>'
            f'<div class="chart-wide">{self.svg}</div><div class="chart-narrow">{self.svg_narrow}</div></figure>'
        )


#: Which drawing a screen shows: the phone's below 600 px (the style travels with each chart, so a
#: notebook shows the same as the report).
_SWITCH_CSS = (
    ".chart-narrow{display:none}"
    "@media (max-width:600px){.chart-wide{display:none}.chart-narrow{display:block}}"
)
#: Font sizes in points, which are the SVG's own units: the phone's drawing is about as wide as a
#: phone's screen in CSS px, so 9 points there read as about 9 px or more.
_FONTS = {
    False: {"font.size": 10, "xtick.labelsize": 10, "ytick.labelsize": 10, "legend.fontsize": 10},
    True: {"font.size": 9.5, "xtick.labelsize": 9, "ytick.labelsize": 9, "legend.fontsize": 9},
}
_SVG_METADATA = {"Date": None, "Creator": None}


def _svg(fig, name: str, alt: str) -> str:
    """The figure as an inline ``<svg>`` element: no XML prolog or metadata, scaled to its box."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": name, "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata=_SVG_METADATA)
    text = buffer.getvalue().decode("utf-8")
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, count=1, flags=re.S)
    # matplotlib names its groups figure_1, axes_1, ...: the same names in every chart, so two charts
    # on a page would share ids. Only the ids something points at (hashed with the chart's salt) stay.
    used = set(re.findall(r"#([\w.-]+)", text))
    text = re.sub(r'\sid="([^"]*)"', lambda m: m.group(0) if m.group(1) in used else "", text)
    head_end = text.index(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", text[:head_end])
    width = float(re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+)', head).group(1))
    attributes = (
        f' role="img" aria-label="{html.escape(alt)}" class="chart-svg" focusable="false"'
        f' style="width:100%;height:auto;max-width:{width * 4 / 3:.0f}px;display:block"'
    )
    return head + attributes + text[head_end:]


def _draw(
    name: str,
    alt: str,
    draw: Callable[[Any, bool], None],
    wide: tuple[float, float],
    narrow: tuple[float, float],
) -> Chart:
    """Draw a chart twice, ``draw(fig, narrow)`` on a wide figure and on a phone's, as one :class:`Chart`."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    drawings = []
    for is_narrow, size in ((False, wide), (True, narrow)):
        with matplotlib.rc_context(_FONTS[is_narrow]):
            fig = Figure(figsize=size, layout="constrained")
            FigureCanvasAgg(fig)
            draw(fig, is_narrow)
            drawings.append(_svg(fig, f"{name}-{'narrow' if is_narrow else 'wide'}", alt))
    return Chart(drawings[0], alt, drawings[1])


def short_label(text: str, limit: int = 24) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, for a legend.

    Examples
    --------
    >>> short_label("Konstantinos Papadopoulos-Smith", 18)
    'Konstantinos Papa…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: A quiet stretch (no new evidence up to ``as_of``) longer than this many days, and than a quarter
#: of the period in which evidence arrived, is drawn compressed in a narrow panel of its own.
QUIET_DAYS = 14
#: Bins of the calibration chart holding fewer forecasts than this are drawn hollow and not joined.
MIN_BIN_COUNT = 5
#: Outside forecasters drawn on the trajectory chart at most: the ones with the newest forecasts.
MAX_FORECASTERS_DRAWN = 5
#: Marker shapes, one per analyst, so each analyst's line is told apart in every scenario's colour.
_ANALYST_MARKERS = ("o", "s", "^", "v", "D", "P", "X", "*")


def _fit_legend(fig, handles: list, columns: int) -> None:
    """A legend below the plot, in as many of ``columns`` columns as fit the chart's width."""
    renderer = fig.canvas.get_renderer()
    for ncols in range(max(columns, 1), 0, -1):
        legend = fig.legend(handles=handles, loc="outside lower center", ncols=ncols, frameon=False)
        _as_text(legend)
        if ncols == 1 or legend.get_window_extent(renderer).width <= fig.bbox.width:
            return
        legend.remove()


def _calibration_axes(ax) -> None:
    """Predicted probability against observed frequency, both 0-100%, as every calibration chart has them."""
    ax.set_xlim(0, 100)
    ax.set_ylim(-2, 102)
    ax.set_xlabel("predicted probability (%)")
    ax.set_ylabel("observed frequency (%)")


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
    resolution_date: date | None = None,
) -> Chart:
    """One line per scenario over time, evidence dates marked along the bottom.

    The chart spans the period in which evidence arrived. When no evidence
    arrived for a long stretch before ``as_of`` (more than :data:`QUIET_DAYS`
    days and more than a quarter of the evidence period), that stretch is drawn
    compressed in a narrow, shaded panel at the right, marked "no new evidence",
    so the moves stay readable. The legend sits below the plot, never on it: a
    key per scenario, per analyst and per outside forecaster drawn, names
    shortened to fit.

    Parameters
    ----------
    trajectory : Trajectory
        Daily probabilities.
    names : sequence of str
        Scenario labels, in the trajectory's scenario order; the legend keeps it.
    evidence_dates : sequence of date
        Dates of counted reports; each is marked with a tick.
    band : ndarray, optional
        ``(days, scenarios, 2)`` lower and upper bounds, drawn as shaded bands (a
        team's: the pooled 5-95% band).
    analysts : mapping of str to Trajectory, optional
        Other forecasts of the same days (each analyst's, or the team's), drawn as
        thin lines in the scenarios' colours, each with a marker shape of its own
        and a key in the legend.
    outside : sequence of OutsideForecast, optional
        Outside forecasts, drawn as markers (one shape per forecaster) in the
        scenarios' colours: those of the :data:`MAX_FORECASTERS_DRAWN` forecasters
        with the newest forecasts; the rest are counted in the legend.
    resolution_date : date, optional
        A resolved question's date: marked with a line labelled ``resolved YYYY-MM-DD``
        (the trajectory given should end there).

    Returns
    -------
    Chart
        With alt text giving each scenario's start and latest probability and
        the dates evidence arrived.
    """
    all_days = np.array(trajectory.dates, dtype="datetime64[D]")
    marks = sorted(set(evidence_dates))
    first_day, last_day = (trajectory.dates[0], trajectory.dates[-1]) if len(all_days) else (None, None)
    quiet = quiet_stretch(first_day, last_day, marks) if len(all_days) else 0
    analysts = dict(analysts or {})
    # The quiet panel draws only its own days, from the day the left panel stops showing.
    pad = np.timedelta64(max(2, (marks[-1] - first_day).days // 30), "D") if quiet else None
    quiet_start = np.datetime64(marks[-1], "D") + pad if quiet else None
    # Every line is a step: drawn through the days it changes on (and the first, the last and the
    # quiet panel's first), it is the same line, and a chart of decades without reports stays small.
    series = [trajectory.probabilities, *(t.probabilities for t in analysts.values())]
    if band is not None:
        series.append(band.reshape(len(band), -1))
    kept = _step_points(series, [] if quiet_start is None else [int(np.searchsorted(all_days, quiet_start))])
    days, probs = all_days[kept], trajectory.probabilities[kept] * 100
    band = None if band is None else band[kept]
    lines = {name: t.probabilities[kept] * 100 for name, t in analysts.items()}
    outside = list(outside or ())
    newest: dict[str, date] = {}
    for r in outside:
        newest[r.forecaster] = max(newest.get(r.forecaster, r.date), r.date)
    ranked = sorted(newest, key=lambda f: (-newest[f].toordinal(), f))
    forecasters, more = ranked[:MAX_FORECASTERS_DRAWN], len(ranked) - MAX_FORECASTERS_DRAWN

    def draw(fig, narrow: bool) -> None:
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
        from matplotlib.lines import Line2D

        if quiet:
            ax, quiet_ax = fig.subplots(1, 2, sharey=True, width_ratios=[5, 1], gridspec_kw={"wspace": 0.02})
            axes = (ax, quiet_ax)
        else:
            ax, quiet_ax = fig.add_subplot(), None
            axes = (ax,)
        handles = []
        every = max(1, len(all_days) // (5 if narrow else 8))
        for panel in axes:
            shown = slice(None) if panel is ax else slice(int(np.searchsorted(days, quiet_start)), None)
            first_shown = 0 if panel is ax else int(np.searchsorted(all_days, quiet_start))
            for j, name in enumerate(names):
                colour = PALETTE[j % len(PALETTE)]
                if band is not None:
                    panel.fill_between(
                        days[shown], band[shown, j, 0] * 100, band[shown, j, 1] * 100,
                        step="post", color=colour, alpha=0.15, lw=0,
                    )  # fmt: skip
                (line,) = panel.step(
                    days[shown], probs[shown, j], where="post", color=colour, lw=2,
                    ls=_DASHES[j % len(_DASHES)], label=short_label(name, 28),
                )  # fmt: skip
                if panel is ax:
                    handles.append(line)
                for k, (analyst, other) in enumerate(analysts.items()):
                    panel.plot(
                        days[shown], lines[analyst][shown, j], drawstyle="steps-post", color=colour, lw=1,
                        alpha=0.55,
                    )  # fmt: skip
                    # Its markers a few days apart, as markevery would place them on every day's point.
                    at = np.arange(first_shown + k * every // max(len(analysts), 1), len(all_days), every)
                    panel.plot(
                        all_days[at], other.probabilities[at, j] * 100, linestyle="none", color=colour,
                        alpha=0.55, marker=_ANALYST_MARKERS[k % len(_ANALYST_MARKERS)], markersize=4,
                    )  # fmt: skip
            for k, forecaster in enumerate(forecasters):
                rows = [r for r in outside if r.forecaster == forecaster]
                when = np.array([r.date for r in rows], dtype="datetime64[D]")
                for j, sid in enumerate(trajectory.scenario_ids):
                    panel.scatter(
                        when, [r.probabilities[sid] * 100 for r in rows], marker=_MARKERS[k % len(_MARKERS)],
                        s=36, color=PALETTE[j % len(PALETTE)], edgecolors="#222222", linewidths=0.6, zorder=4,
                    )  # fmt: skip
            panel.set_ylim(0, 100)
            panel.grid(axis="y", color="#dddddd", lw=0.8)
            panel.spines[["top", "right"]].set_visible(False)
        for k, analyst in enumerate(analysts):
            handles.append(
                Line2D([], [], color="#555555", lw=1, marker=_ANALYST_MARKERS[k % len(_ANALYST_MARKERS)],
                       markersize=4, label=short_label(analyst, 18))
            )  # fmt: skip
        for k, forecaster in enumerate(forecasters):
            handles.append(
                Line2D([], [], linestyle="none", marker=_MARKERS[k % len(_MARKERS)], markersize=6,
                       markerfacecolor="white", markeredgecolor="#222222", label=short_label(forecaster, 18))
            )  # fmt: skip
        if more > 0:
            handles.append(
                Line2D([], [], linestyle="none", label=f"and {more:,} more forecasters, in the table")
            )
        if marks:  # one collection of ticks, not an artist per date: a long log has a thousand dates
            ax.vlines(
                np.array(marks, dtype="datetime64[D]"), 0, 0.04, transform=ax.get_xaxis_transform(),
                colors="#555555", lw=1,
            )  # fmt: skip
        if resolution_date is not None:
            target = (
                quiet_ax
                if quiet_ax is not None and np.datetime64(resolution_date, "D") >= quiet_start
                else ax
            )
            target.axvline(np.datetime64(resolution_date, "D"), color="#222222", lw=1.2)
            target.annotate(
                f"resolved {resolution_date}", (np.datetime64(resolution_date, "D"), 100), xytext=(-4, -4),
                textcoords="offset points", ha="right", va="top", fontsize=9, color="#222222",
            )  # fmt: skip
        if (
            quiet_ax is None and len(days) > 1
        ):  # no margins: past the last day they could reach beyond year 9999
            ax.set_xlim(days[0], days[-1])
        elif quiet_ax is None and len(days) == 1:  # a day either side, never outside the years 1 to 9999
            ax.set_xlim(max(days[0] - 1, _FIRST_DAY), min(days[0] + 1, _LAST_DAY))
        ax.set_ylabel("probability (%)")
        locator = AutoDateLocator(maxticks=4 if narrow else 8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        if quiet_ax is not None:
            ax.set_xlim(days[0], np.datetime64(marks[-1], "D") + pad)
            quiet_ax.set_xlim(quiet_start, days[-1])
            quiet_ax.axvspan(quiet_start, days[-1], color="#eeeeee", zorder=0)
            quiet_ax.text(
                0.5, 0.5, f"no new\nevidence\n{quiet} days", transform=quiet_ax.transAxes,
                ha="center", va="center", fontsize=9, color="#333333",
            )  # fmt: skip
            quiet_ax.set_xticks([days[-1]], [str(last_day)], fontsize=9)
            quiet_ax.spines["left"].set_visible(False)
            quiet_ax.tick_params(axis="y", left=False)
            # The usual break marks: two slanted strokes where the axis is cut.
            kwargs = {"marker": [(-1, -1.5), (1, 1.5)], "markersize": 9, "linestyle": "none", "color": "#555555",
                      "mec": "#555555", "mew": 1, "clip_on": False}  # fmt: skip
            ax.plot([1], [0], transform=ax.transAxes, **kwargs)
            quiet_ax.plot([0], [0], transform=quiet_ax.transAxes, **kwargs)
        _fit_legend(fig, handles, 2 if narrow else min(len(handles), 4))

    alt = _trajectory_alt(trajectory, names, marks, quiet)
    if analysts:
        alt += " Thin lines with markers: each of " + ", ".join(analysts) + ", one marker shape each."
    if forecasters:
        alt += " Markers: outside forecasts by " + ", ".join(forecasters)
        alt += f", and {more:,} more forecasters in the table." if more > 0 else "."
    if resolution_date is not None:
        alt += f" The question resolved on {resolution_date}, marked by a line."
    height = 3.9 + 0.25 * max(0, (len(analysts) + len(forecasters) + (more > 0)) // 4)
    narrow_height = 4.4 + 0.3 * ((len(names) + len(analysts) + len(forecasters) + (more > 0) + 1) // 2)
    return _draw("trajectory", alt, draw, (8.0, height), (4.2, narrow_height))


def _step_points(series: Sequence[np.ndarray], also: Sequence[int] = ()) -> np.ndarray:
    """The rows a step line needs of these ``(days, ...)`` arrays: the first, the last, ``also``, and each
    row where any of them differs from the row before (a day without a report repeats the day before)."""
    n = len(series[0]) if series else 0
    if n == 0:
        return np.arange(0)
    changed = np.zeros(n, dtype=bool)
    changed[0] = changed[-1] = True
    for values in series:
        flat = values.reshape(n, -1)
        changed[1:] |= (flat[1:] != flat[:-1]).any(axis=1)
    changed[[k for k in also if 0 <= k < n]] = True
    return np.flatnonzero(changed)


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
    >>> chart.svg[:4], chart.svg_narrow[:4]
    ('<svg', '<svg')
    """

    def draw(fig, narrow: bool) -> None:
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
                ax.plot(
                    predicted[[at[a], at[b]]], observed[[at[a], at[b]]], color=PALETTE[0], lw=1.5, zorder=2
                )
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
                    f"n={n}", (x, y), xytext=(6, -12 if y > 90 else 6), textcoords="offset points", fontsize=9
                )
        else:
            ax.text(50, 50, "no resolved forecasts yet", ha="center", va="center", color="#555555")
        _calibration_axes(ax)
        ax.set_aspect("equal")
        ax.grid(color="#eeeeee", lw=0.8)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="upper left", frameon=False)
        if title:
            ax.set_title(title, fontsize=10, parse_math=False)

    filled = np.flatnonzero(table.count > 0)
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
    return _draw(
        "calibration-" + re.sub(r"\W+", "-", title.lower()).strip("-"), alt, draw, (5.2, 4.6), (4.2, 4.4)
    )


def calibration_by_forecaster_chart(tables: Mapping[str, tuple[CalibrationBins, int]]) -> Chart:
    """Each forecaster's calibration, the legend stating each forecaster's n.

    Every bin a forecaster has forecasts in is a point; a line joins only neighbouring
    bins that both hold at least :data:`MIN_BIN_COUNT` forecasts, and a bin with fewer is
    drawn hollow, as on :func:`calibration_chart`.

    Parameters
    ----------
    tables : mapping of str to (CalibrationBins, int)
        Per forecaster, their bins and the number of (probability, happened) points.

    Returns
    -------
    Chart
        With alt text naming every forecaster and their n.
    """

    def draw(fig, narrow: bool) -> None:
        from matplotlib.lines import Line2D

        ax = fig.add_subplot()
        ax.plot([0, 100], [0, 100], ls="--", color="#888888", lw=1, label="perfect calibration")
        handles = [ax.lines[0]]
        for k, (name, (table, n)) in enumerate(tables.items()):
            filled = np.flatnonzero(table.count > 0)
            colour, marker = PALETTE[k % len(PALETTE)], _MARKERS[k % len(_MARKERS)]
            x, y = table.mean_predicted * 100, table.frequency * 100
            for a, b in calibration_segments(table.count.tolist()):
                ax.plot(x[[a, b]], y[[a, b]], color=colour, lw=1.2)
            solid = filled[table.count[filled] >= MIN_BIN_COUNT]
            hollow = filled[table.count[filled] < MIN_BIN_COUNT]
            ax.scatter(x[solid], y[solid], marker=marker, color=colour, s=30, zorder=3)
            ax.scatter(
                x[hollow], y[hollow], marker=marker, facecolors="white", edgecolors=colour, s=30, zorder=3
            )
            handles.append(
                Line2D([], [], color=colour, marker=marker, lw=1.2, label=f"{short_label(name, 18)} (n={n})")
            )
        if tables:
            handles.append(
                Line2D([], [], linestyle="none", marker="o", markerfacecolor="white", markeredgecolor="#555555",
                       label=f"hollow: fewer than {MIN_BIN_COUNT} in the bin, not joined")
            )  # fmt: skip
        else:
            ax.text(50, 50, "no forecaster has enough points yet", ha="center", va="center", color="#555555")
        _calibration_axes(ax)
        ax.grid(color="#eeeeee", lw=0.8)
        ax.spines[["top", "right"]].set_visible(False)
        _as_text(
            fig.legend(handles=handles, loc="outside lower center", ncols=1 if narrow else 2, frameon=False)
        )
        title = "Calibration per forecaster (final forecasts of every scenario)"
        ax.set_title(title.replace(" (", "\n(") if narrow else title, fontsize=10)

    alt = "Calibration per forecaster: " + (
        "; ".join(f"{name}, n={n}" for name, (_, n) in tables.items())
        if tables
        else "none has enough points yet."
    )
    if tables:
        alt += f". Bins with fewer than {MIN_BIN_COUNT} forecasts are hollow and not joined."
    height = 4.6 + 0.2 * (len(tables) // 2)
    return _draw("calibration-by-forecaster", alt, draw, (7.6, height), (4.2, 4.6 + 0.3 * len(tables)))
