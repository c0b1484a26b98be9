"""A report's main tables as plain columns, and as CSV for spreadsheets, without pandas.

The four tables written beside a report's ``summary.json`` (``scenarios.csv``,
``trajectory.csv``, ``effects.csv``, ``checklist.csv``) are built here from an
:class:`~forecast.Assessment` as lists of Python values, so that a scheduled
report writes them without importing pandas. :mod:`forecast.frames` shows the
same tables as DataFrames, built from these.

Probabilities are fractions (0 to 1); effects are percentage points.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .analysis import DEFAULT_SEED
from .inputs.append import spreadsheet_safe
from .store import CHECKLIST_CSV, EFFECTS_CSV, SCENARIOS_CSV, TRAJECTORY_CSV, atomic_write_text
from .words import probability_words

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy as np

    from .analysis import Influence, Intervals, WatchItem
    from .engine.compiled import CompiledEvidence
    from .engine.results import AuditEntry, ChecklistItem, IndicatorState, Trajectory
    from .model import Question


class ForecastView(Protocol):
    """What the tables and frames read of a forecast: the attributes of :class:`forecast.Assessment`.

    A protocol, so that this module and :mod:`forecast.frames` need not import
    :mod:`forecast.assessment` (which builds them): data flows one way, with no import circle.
    A team's view and one analyst's both have all of it.
    """

    question: Question
    as_of: date

    @property
    def probabilities(self) -> Mapping[str, float]: ...
    @property
    def priors(self) -> Mapping[str, float]: ...
    @property
    def states(self) -> Mapping[str, IndicatorState]: ...
    @property
    def trajectory(self) -> Trajectory: ...
    @property
    def effects(self) -> np.ndarray: ...
    @property
    def audited(self) -> CompiledEvidence: ...
    @property
    def audit(self) -> tuple[AuditEntry, ...]: ...
    def intervals(self, draws: int = ..., seed: int = ...) -> Intervals: ...
    def checklist(self, scenario_id: str) -> list[ChecklistItem]: ...
    def critical(self, threshold_points: float = ...) -> Sequence[Influence]: ...
    def watch(self, top: int | None = ...) -> list[WatchItem]: ...


__all__ = [
    "CSV_TABLES",
    "ForecastView",
    "Table",
    "cell_text",
    "checklist_table",
    "effects_table",
    "scenarios_table",
    "table_csv",
    "trajectory_table",
    "write_tables",
]


@dataclass(frozen=True)
class Table:
    """A table as plain columns: an index (named) and, by name in order, one list of values per column."""

    index_name: str
    index: list[Any]
    columns: dict[str, list[Any]]


def scenarios_table(a: ForecastView, draws: int = 2000, seed: int = DEFAULT_SEED) -> Table:
    """One row per scenario (index ``scenario``, question order).

    Columns: ``name``, ``short`` (its label), ``prior``, ``probability``, ``low`` and
    ``high`` (the 5th and 95th percentiles over the ranged likelihoods,
    :meth:`forecast.Assessment.intervals` with ``draws`` and ``seed``), and ``words``
    (the ICD-203 words of the probability). Where no likelihood of an indicator with
    a status is given as a range, ``low`` and ``high`` equal ``probability``. A tempered
    forecast (docs/calibration.md) adds ``uncalibrated``: the probability at temper 1.
    """
    bounds = a.intervals(draws, seed).bounds
    scenarios = a.question.scenarios
    return Table(
        "scenario",
        [s.id for s in scenarios],
        {
            "name": [s.name for s in scenarios],
            "short": [s.label for s in scenarios],
            "prior": [float(a.priors[s.id]) for s in scenarios],
            "probability": [float(a.probabilities[s.id]) for s in scenarios],
            "low": [float(bounds[s.id][0]) for s in scenarios],
            "high": [float(bounds[s.id][1]) for s in scenarios],
            "words": [probability_words(a.probabilities[s.id]) for s in scenarios],
        }
        # calibration: a tempered forecast carries the forecast at temper 1 beside it (docs/calibration.md)
        | (
            {}
            if a.uncalibrated_probabilities is None
            else {"uncalibrated": [float(a.uncalibrated_probabilities[s.id]) for s in scenarios]}
        ),
    )


def trajectory_table(a: ForecastView) -> Table:
    """The daily probabilities (index ``date``), one column per scenario.

    From the question's opening (or the as-of date, if earlier) to the as-of date;
    the last row is the assessment's probabilities.
    """
    t = a.trajectory
    return Table(
        "date", list(t.dates), {s: t.probabilities[:, j].tolist() for j, s in enumerate(t.scenario_ids)}
    )


def effects_table(a: ForecastView) -> Table:
    """Each counted report's effect in points (index ``report``, file order), one column per scenario.

    A report's effect is the change in each probability when it was applied after
    the reports before it (in the rule's order), so each column adds up to that
    scenario's move from its prior, ``(probability - prior) * 100``. Reports dated
    after the as-of date are not counted and not listed.
    """
    return Table(
        "report",
        [row.id for row in a.audited.rows],
        {s: a.effects[:, j].tolist() for j, s in enumerate(a.question.scenario_ids)},
    )


def checklist_table(a: ForecastView) -> Table:
    """One row per indicator (index ``indicator``, question order).

    Columns: ``signals`` (the scenario it points to), ``status`` (``"observed"``,
    ``"not observed"`` or ``"pending"``), ``weight`` (that its status counts with; 0
    while pending), ``latest`` (date of its latest report, ``None`` without one),
    ``diagnosticity`` (as in :meth:`forecast.Assessment.checklist`), ``tripwire``,
    ``group`` (empty if none), ``window_start`` and ``window_end``.
    """
    question = a.question
    diagnosticity = {
        item.state.indicator.id: item.diagnosticity for s in question.scenario_ids for item in a.checklist(s)
    }
    indicators = question.indicators
    states = [a.states[i.id] for i in indicators]
    windows = [st.window or (question.opened, question.closes) for st in states]
    return Table(
        "indicator",
        [i.id for i in indicators],
        {
            "signals": [i.signals for i in indicators],
            "status": [st.status_text for st in states],
            "weight": [float(st.weight) for st in states],
            "latest": [None if st.latest is None else st.latest.date for st in states],
            "diagnosticity": [float(diagnosticity[i.id]) for i in indicators],
            "tripwire": [bool(i.tripwire) for i in indicators],
            "group": [i.group or "" for i in indicators],
            "window_start": [w[0] for w in windows],
            "window_end": [w[1] for w in windows],
        },
    )


def cell_text(value: Any) -> str:
    """One value as a CSV cell: numbers with ten decimals, dates ``YYYY-MM-DD``, booleans yes/no.

    ``None`` and NaN are empty; text that a spreadsheet could run as a formula gets a
    quote (') in front (:func:`forecast.inputs.append.spreadsheet_safe`).
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):  # datetime too, and pandas' Timestamp: the day is what a table holds
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.10f}"
    if isinstance(value, int):
        return str(value)
    if value is None:
        return ""
    return spreadsheet_safe(str(value))


def table_csv(table: Table) -> str:
    """A table as CSV text, the same bytes for the same table (see :func:`cell_text`).

    The index is the first column, headed by its name.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([cell_text(table.index_name), *(cell_text(c) for c in table.columns)])
    columns = [_column_text(values[: len(table.index)]) for values in table.columns.values()]
    writer.writerows(zip(map(cell_text, table.index), *columns))
    return out.getvalue()


def _column_text(values: Sequence[Any]) -> list[str]:
    """:func:`cell_text` of each value of a column; a column of floats (most of a long table) in one pass."""
    if all(type(v) is float for v in values):
        return [f"{v:.10f}" if v == v else "" for v in values]  # v != v: NaN, an empty cell
    return list(map(cell_text, values))


#: The tables written beside a report's summary.json, by file name.
CSV_TABLES: dict[str, Callable[..., Table]] = {
    SCENARIOS_CSV: scenarios_table,
    TRAJECTORY_CSV: trajectory_table,
    EFFECTS_CSV: effects_table,
    CHECKLIST_CSV: checklist_table,
}


def write_tables(
    a: ForecastView, folder: str | Path, draws: int = 2000, seed: int = DEFAULT_SEED
) -> list[Path]:
    """Write the :data:`CSV_TABLES` of ``a`` into ``folder``, each atomically; returns their paths.

    ``draws`` and ``seed`` are those of the ``low``/``high`` columns of ``scenarios.csv``.
    """
    paths = []
    for name, build in CSV_TABLES.items():
        table = build(a, draws, seed) if build is scenarios_table else build(a)
        path = Path(folder) / name
        atomic_write_text(path, table_csv(table))
        paths.append(path)
    return paths
