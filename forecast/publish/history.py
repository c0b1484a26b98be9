"""A question's page of every report, ``OUT/<question>/history.html``: a chart and a table, from its catalog.

The page is written by the scheduler's own process after each run of the
question, so it is drawn from the question's catalog (:mod:`forecast.catalog`)
without reading a summary, and its chart is plain SVG written here, without
matplotlib: what a run costs stays what it was, whatever the history.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date

from .. import __version__
from ..analysis.changes import compare_summaries
from ..catalog import Catalog, CatalogEntry
from ..store import REVISION_MARK
from .html import Html, page_html, render_template
from .plots import PALETTE, Chart

__all__ = ["HISTORY_PAGE", "history_chart", "history_page"]

#: A question's page of every report, beside its report folders.
HISTORY_PAGE = "history.html"
#: Stroke patterns, one per scenario, so lines are told apart without colour (as the report's chart).
_DASHES = ("", "6 3", "8 3 2 3", "2 3", "10 2", "4 2 1 2")
#: Reports drawn as dots too, where there are few enough to see each one.
_DOTS_UP_TO = 60


def history_chart(
    entries: Sequence[CatalogEntry], order: Sequence[str], names: dict[str, str], alerts: Sequence[date] = ()
) -> Chart:
    """Each scenario's published probability, report by report, as inline SVG drawn wide and narrow.

    A step line per scenario: each report's probability holds until the next
    report. A resolved question's date is marked with a line labelled
    ``resolved YYYY-MM-DD``; the reports dated in ``alerts`` are marked along the top.
    The drawing is the same bytes for the same reports.
    """
    resolution = next((e for e in reversed(entries) if e.resolved is not None), None)
    resolved_on = _day(resolution.resolution_date) if resolution is not None else None
    first, last = entries[0].as_of, entries[-1].as_of
    if resolved_on is not None:
        first, last = min(first, resolved_on), max(last, resolved_on)
    labels = [names.get(s, s) for s in order]
    alt = (
        f"Published probabilities of {len(entries)} report{'s' * (len(entries) != 1)} from {entries[0].as_of} "
        f"to {entries[-1].as_of}: "
        + "; ".join(
            f"{label} from {entries[0].probabilities.get(s, 0) * 100:.0f}% to "
            f"{entries[-1].probabilities.get(s, 0) * 100:.0f}%"
            for s, label in zip(order, labels, strict=True)
        )
        + "."
    )
    if alerts:
        alt += f" {len(alerts)} report{'s' * (len(alerts) != 1)} raised an alert, marked along the top."
    if resolution is not None:
        alt += f" Resolved: {names.get(resolution.resolved, resolution.resolved)}" + (
            f" on {resolved_on}." if resolved_on else "."
        )
    drawings = [
        _svg(entries, order, labels, first, last, resolved_on, sorted(alerts), alt, width=width, font=font)
        for width, font in ((960, 12), (360, 11))
    ]
    return Chart(drawings[0], alt, drawings[1])


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _svg(
    entries: Sequence[CatalogEntry],
    order: Sequence[str],
    labels: Sequence[str],
    first: date,
    last: date,
    resolved_on: date | None,
    alerts: Sequence[date],
    alt: str,
    *,
    width: int,
    font: int,
) -> str:
    left, right, top = 3.4 * font, 12, 1.6 * font
    plot_height = 150 if width < 500 else 190
    # A little room after the last report, so that its probabilities show as a step of their own.
    span = max((last - first).days, 1) * 1.03
    plot_width = width - left - right
    single = first == last  # one report (and no other date): a point in the middle, not a line

    def x(day: date) -> float:
        if single:
            return left + plot_width / 2
        return left + plot_width * (day - first).days / span

    def y(p: float) -> float:
        return top + plot_height * (1 - p)

    parts = []
    for tick in (0, 0.25, 0.5, 0.75, 1):
        parts.append(
            f'<line x1="{left:.1f}" x2="{width - right:.1f}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="#dddddd" stroke-width="1"/>'
            f'<text x="{left - 6:.1f}" y="{y(tick) + font * 0.35:.1f}" text-anchor="end">{tick * 100:.0f}%</text>'
        )
    ticks = _date_ticks(first, last, 3 if width < 500 else 6)
    for day in ticks:
        # The first and last labels run inwards, so that no date is cut off at the chart's edge.
        anchor = (
            "middle" if len(ticks) == 1 else "start" if day == first else "end" if day == last else "middle"
        )
        parts.append(
            f'<line x1="{x(day):.1f}" x2="{x(day):.1f}" y1="{y(0):.1f}" y2="{y(0) + 4:.1f}" stroke="#555555"/>'
            f'<text x="{x(day):.1f}" y="{y(0) + 6 + font:.1f}" text-anchor="{anchor}">{day.isoformat()}</text>'
        )
    for j, scenario in enumerate(order):
        colour = PALETTE[j % len(PALETTE)]
        points = []
        for k, entry in enumerate(entries):
            p = entry.probabilities.get(scenario)
            if p is None:
                continue
            if points:
                points.append(f"{x(entry.as_of):.1f},{points[-1].split(',')[1]}")
            points.append(f"{x(entry.as_of):.1f},{y(p):.1f}")
            if k == len(entries) - 1 and not single:  # the last report holds to the chart's end
                points.append(f"{width - right:.1f},{y(p):.1f}")
        dash = f' stroke-dasharray="{_DASHES[j % len(_DASHES)]}"' if _DASHES[j % len(_DASHES)] else ""
        if len(points) > 1:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{" ".join(points)}"/>'
            )
        if len(entries) <= _DOTS_UP_TO or len(points) == 1:
            parts.extend(
                f'<circle cx="{x(e.as_of):.1f}" cy="{y(e.probabilities[scenario]):.1f}" r="2.5" fill="{colour}"/>'
                for e in entries
                if scenario in e.probabilities
            )
    parts.extend(
        f'<path d="M{x(d) - 4:.1f},{top - 9:.1f}h8l-4,6z" fill="#b00020"><title>alert {d}</title></path>'
        for d in alerts
    )
    if resolved_on is not None:
        parts.append(
            f'<line x1="{x(resolved_on):.1f}" x2="{x(resolved_on):.1f}" y1="{y(1):.1f}" y2="{y(0):.1f}" '
            f'stroke="#222222" stroke-width="1.2"/>'
            + (  # the label on the side with room for it, so that it is never cut off
                f'<text x="{x(resolved_on) - 4:.1f}" y="{y(1) + font:.1f}" text-anchor="end">resolved {resolved_on}</text>'
                if x(resolved_on) > width / 2
                else f'<text x="{x(resolved_on) + 4:.1f}" y="{y(1) + font:.1f}" text-anchor="start">resolved {resolved_on}</text>'
            )
        )
    # The legend below the plot, as many keys a row as fit.
    legend_top = y(0) + 3.4 * font
    key_width = 40 + max(len(label) for label in labels) * font * 0.6
    per_row = max(1, int((width - left) // key_width))
    for j, label in enumerate(labels):
        row, column = divmod(j, per_row)
        kx, ky = left + column * key_width, legend_top + row * 1.6 * font
        dash = f' stroke-dasharray="{_DASHES[j % len(_DASHES)]}"' if _DASHES[j % len(_DASHES)] else ""
        parts.append(
            f'<line x1="{kx:.1f}" x2="{kx + 24:.1f}" y1="{ky - font * 0.35:.1f}" y2="{ky - font * 0.35:.1f}" '
            f'stroke="{PALETTE[j % len(PALETTE)]}" stroke-width="2"{dash}/>'
            f'<text x="{kx + 30:.1f}" y="{ky:.1f}">{html.escape(label)}</text>'
        )
    rows = -(-len(labels) // per_row)
    height = legend_top + (rows - 1) * 1.6 * font + font
    if alerts:
        parts.append(
            f'<path d="M{left:.1f},{height + 0.4 * font:.1f}h8l-4,6z" fill="#b00020"/>'
            f'<text x="{left + 12:.1f}" y="{height + font:.1f}">a report that raised an alert</text>'
        )
        height += 1.6 * font
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 4:.0f}" role="img" '
        f'aria-label="{html.escape(alt)}" class="chart-svg" focusable="false" '
        f'style="width:100%;height:auto;max-width:{width}px;display:block" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="{font}" fill="#222222">'
        + "".join(parts)
        + "</svg>"
    )


def _date_ticks(first: date, last: date, most: int) -> list[date]:
    """At most ``most`` evenly spaced dates from ``first`` to ``last``, both included."""
    span = (last - first).days
    if span == 0:
        return [first]
    count = min(most, span + 1)
    return sorted({date.fromordinal(first.toordinal() + round(k * span / (count - 1))) for k in range(count)})


def history_page(catalog: Catalog) -> str | None:
    """The HTML of ``OUT/<question>/history.html`` from the question's catalog; ``None`` without a report.

    Every report, newest first, with its probabilities and its move against the
    report just before it by date (as the index card works it out), below a chart
    of the same numbers.
    """
    entries = catalog.entries()
    if not entries:
        return None
    latest = entries[-1]
    order = [s for s in latest.order if s in latest.probabilities]
    order += sorted(set().union(*(e.probabilities for e in entries)) - set(order))
    # Each scenario by the name of its latest report: one renamed keeps its old name up to the rename.
    names = {s: n for e in entries for s, n in {**e.names, **e.labels}.items()}
    rows = []
    for k, entry in enumerate(entries):
        before = entries[k - 1] if k else None
        changes = (
            None
            if before is None
            else compare_summaries(
                {"probabilities": dict(entry.probabilities)},
                {"probabilities": dict(before.probabilities)},
                threshold_points=entry.threshold,
            )
        )
        day = entry.as_of.isoformat()
        newest = entry.revision
        rows.append(
            {
                "as_of": day,
                "probabilities": entry.probabilities,
                "leading": entry.leading,
                "moves": None if changes is None else dict(changes.moves),
                "alert": bool(changes and changes.alerting),
                "revisions": [
                    {
                        "revision": v.revision,
                        "published": v.published.replace("T", " ").removesuffix("Z") if v.published else None,
                        "probabilities": v.probabilities,
                        "cause": "; ".join(v.causes) if v.revision > 1 else "first publication",
                        "href": f"{day if v.revision == newest else f'{day}{REVISION_MARK}{v.revision}'}/report.html",
                    }
                    for v in entry.revisions()
                ],
            }
        )
    chart_names = {s: names.get(s, s) for s in order}
    settled = next((e for e in reversed(entries) if e.resolved is not None), None)
    resolution = (
        None
        if settled is None
        else {"name": latest.names.get(settled.resolved, settled.resolved), "date": settled.resolution_date}
    )
    alerts = [date.fromisoformat(r["as_of"]) for r in rows if r["alert"]]
    body = render_template(
        "history.html.j2",
        title=latest.title,
        rows=list(reversed(rows)),
        order=order,
        names=names,
        skipped=len(catalog.unreadable),
        revised=[r for r in reversed(rows) if len(r["revisions"]) > 1],
        resolution=resolution,
        chart=Html(history_chart(entries, order, chart_names, alerts=alerts)._repr_html_()),
    )
    footer = (
        f"forecast {__version__}. Each date links to its report; its numbers are in summary.json beside it."
    )
    return page_html(f"{latest.title}: every report", body, [("../index.html", "All questions")], footer)
