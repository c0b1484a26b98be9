"""An assessment as pandas DataFrames, for analysts who work in pandas or a spreadsheet.

``forecast.assess(q, log, as_of).frames`` is a :class:`Frames`; each frame is
built from the assessment the first time it is read. This is the only module
that imports pandas, so ``import forecast`` and ``forecast.assess`` never do.

Probabilities are fractions (0 to 1); moves and effects are percentage points.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .analysis import DEFAULT_SEED
from .engine.rule import ROLE_LABELS
from .store import atomic_write_text
from .tables import (
    CSV_TABLES,
    ForecastView,
    Table,
    checklist_table,
    effects_table,
    scenarios_table,
    table_csv,
    trajectory_table,
)

__all__ = ["DATE_DTYPE", "Frames", "frame_csv"]

#: Dates are held to the second, not the nanosecond, so that every date a question may hold
#: (years 1 to 9999) fits; nanoseconds would end in 2262.
DATE_DTYPE = "datetime64[s]"


def _datetimes(values) -> np.ndarray:
    """Dates (or ``None``, as ``NaT``) as a :data:`DATE_DTYPE` array."""
    return np.array(list(values), dtype="datetime64[D]").astype(DATE_DTYPE)


def _dates(values) -> pd.Series:
    """Dates (or ``None``) as a :data:`DATE_DTYPE` series, ``NaT`` for ``None``."""
    return pd.Series(_datetimes(values))


def _frame(table: Table, dtypes: dict[str, str], index_dtype: str | None = str) -> pd.DataFrame:
    """A :class:`~forecast.tables.Table` as a DataFrame; ``dtypes`` by column, ``"date"`` for dates."""
    columns = {
        name: _dates(values) if dtypes.get(name) == "date" else pd.Series(values, dtype=dtypes.get(name))
        for name, values in table.columns.items()
    }
    index = pd.Index(table.index, name=table.index_name, dtype=index_dtype)
    return pd.DataFrame(columns).set_axis(index)


def frame_csv(frame: pd.DataFrame) -> str:
    """A frame as CSV text, as :func:`forecast.tables.table_csv` writes a table: the same bytes for the same frame.

    The index is the first column (headed by its name). Numbers are written with ten
    decimals, dates as ``YYYY-MM-DD`` (empty for none), booleans as ``yes``/``no``,
    and text that a spreadsheet could run as a formula with a quote (') in front.
    """
    table = Table(
        frame.index.name or "",
        [_plain(v) for v in frame.index],
        {str(c): [_plain(v) for v in frame[c]] for c in frame.columns},
    )
    return table_csv(table)


def _plain(value: Any) -> Any:
    """numpy and pandas scalars as Python ones (``NaT`` as ``None``), so that each is written by its kind."""
    if value is pd.NaT:
        return None
    return value.item() if hasattr(value, "item") and not isinstance(value, pd.Timestamp) else value


class Frames:
    """The DataFrames of one :class:`~forecast.Assessment`, built lazily.

    Parameters
    ----------
    assessment : Assessment
        Or anything else with its attributes (:class:`forecast.tables.ForecastView`).
    draws, seed : int
        The Monte Carlo draws and seed of the ``low``/``high`` columns of :attr:`scenarios`.

    Examples
    --------
    >>> from datetime import date
    >>> from forecast import assess, load_evidence, load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> a = assess(q, load_evidence("data/evidence/russia-syria-bases.csv", q), date(2025, 2, 20))
    >>> a.frames.scenarios[["prior", "probability"]].round(3)
              prior  probability
    scenario
    keep       0.25        0.067
    partial    0.40        0.787
    exit       0.35        0.146
    >>> a.frames.effects.sum().round(1).to_dict()  # each scenario's move from its prior, in points
    {'keep': -18.3, 'partial': 38.7, 'exit': -20.4}
    """

    def __init__(self, assessment: ForecastView, draws: int = 2000, seed: int = DEFAULT_SEED) -> None:
        self.assessment = assessment
        self.draws, self.seed = draws, seed

    @property
    def _ids(self) -> list[str]:
        return list(self.assessment.question.scenario_ids)

    @cached_property
    def scenarios(self) -> pd.DataFrame:
        """One row per scenario (index ``"scenario"``, question order): see :func:`forecast.tables.scenarios_table`.

        Columns: ``name``, ``short``, ``prior``, ``probability``, ``low``, ``high`` and ``words``;
        ``low`` and ``high`` with this object's draws and seed; a tempered forecast adds
        ``uncalibrated``, the probability at temper 1 (docs/calibration.md).
        """
        return _frame(scenarios_table(self.assessment, self.draws, self.seed), {})

    @cached_property
    def trajectory(self) -> pd.DataFrame:
        """The daily probabilities: a ``DatetimeIndex`` named ``"date"`` by one column per scenario.

        From the question's opening (or the as-of date, if earlier) to the as-of date;
        the last row is the assessment's probabilities.
        """
        table = trajectory_table(self.assessment)
        return pd.DataFrame(
            table.columns,
            index=pd.DatetimeIndex(_datetimes(table.index), name=table.index_name),
            dtype="float64",
        ).rename_axis(columns="scenario")

    @cached_property
    def evidence(self) -> pd.DataFrame:
        """One row per report of the log, in file order (reports after the as-of date too).

        Columns: ``id``, ``date`` (``datetime64``), ``indicator``, ``observed`` (bool),
        ``source``, ``reliability``, ``credibility`` (int), ``weight`` (float), ``role``
        (in the evidence log's words: ``"counted"``, ``"same event as a counted
        report"``, ``"adds nothing: a later look at least as strong"``, ``"adds nothing:
        an earlier, stronger look"``, ``"overtaken by a later report"``, ``"after the
        as-of date"``),
        ``url``, ``summary``, then the log's extra columns (text, empty where a row
        has none).
        """
        audit = self.assessment.audit
        rows = [e.row for e in audit]
        extra: list[str] = []
        for r in rows:
            extra.extend(c for c in r.extra if c not in extra)
        columns = {
            "id": pd.Series([r.id for r in rows], dtype=str),
            "date": _dates(r.date for r in rows),
            "indicator": pd.Series([r.indicator for r in rows], dtype=str),
            "observed": pd.Series([bool(r.observed) for r in rows], dtype=bool),
            "source": pd.Series([r.source for r in rows], dtype=str),
            "reliability": pd.Series([r.reliability for r in rows], dtype=str),
            "credibility": pd.Series([int(r.credibility) for r in rows], dtype="int64"),
            "weight": pd.Series([float(e.weight) for e in audit], dtype="float64"),
            "role": pd.Series([ROLE_LABELS.get(e.role, e.role) for e in audit], dtype=str),
            "url": pd.Series([r.url for r in rows], dtype=str),
            "summary": pd.Series([r.summary for r in rows], dtype=str),
        }
        for c in extra:
            columns.setdefault(c, pd.Series([r.extra.get(c, "") for r in rows], dtype=str))
        return pd.DataFrame(columns)

    @cached_property
    def effects(self) -> pd.DataFrame:
        """Each counted report's effect, in percentage points: index the report id (``"report"``),
        one column per scenario (see :func:`forecast.tables.effects_table`).

        Each column adds up to that scenario's move from its prior, ``(probability -
        prior) * 100``. Reports dated after the as-of date are not listed; the rows are
        in file order.
        """
        table = effects_table(self.assessment)
        return _frame(table, dict.fromkeys(table.columns, "float64")).rename_axis(columns="scenario")

    @cached_property
    def checklist(self) -> pd.DataFrame:
        """One row per indicator (index ``"indicator"``, question order): see :func:`forecast.tables.checklist_table`.

        Columns: ``signals``, ``status``, ``weight``, ``latest`` (``NaT`` without a
        report), ``diagnosticity``, ``tripwire``, ``group``, ``window_start`` and ``window_end``.
        """
        dtypes = {
            "signals": str,
            "status": str,
            "weight": "float64",
            "latest": "date",
            "diagnosticity": "float64",
            "tripwire": bool,
            "group": str,
            "window_start": "date",
            "window_end": "date",
        }
        return _frame(checklist_table(self.assessment), dtypes)

    @cached_property
    def influence(self) -> pd.DataFrame:
        """Leave-one-out over every indicator with a status, every group and every counted report.

        Columns: ``kind`` (``"indicator"``, ``"group"`` or ``"report"``), ``id``,
        ``indicator`` (empty for a group), ``without:<scenario>`` with each scenario's
        probability without that evidence, and ``added:<scenario>`` with the points that
        evidence adds to it now (with minus without, as the report's "points it added";
        ``summary.json``'s ``change`` is the opposite sign, the move if it were left out).
        Largest move first, as :meth:`forecast.Assessment.critical` with a threshold of 0.
        """
        ids = self._ids
        items = self.assessment.critical(threshold_points=0)
        described = [(i.kind, i.id, i.indicator) for i in items]
        frame = pd.DataFrame(
            {
                "kind": pd.Series([d[0] for d in described], dtype=str),
                "id": pd.Series([d[1] for d in described], dtype=str),
                "indicator": pd.Series([d[2] for d in described], dtype=str),
            }
        )
        without = np.asarray([i.without for i in items], float).reshape(len(items), len(ids))
        moves = np.asarray([i.moves for i in items], float).reshape(len(items), len(ids))
        for j, s in enumerate(ids):
            frame[f"without:{s}"] = pd.Series(without[:, j], dtype="float64")
        for j, s in enumerate(ids):
            frame[f"added:{s}"] = pd.Series(-moves[:, j], dtype="float64")
        return frame

    @cached_property
    def drivers(self) -> pd.DataFrame:
        """A team's judgments that drive the analysts' spread, all of them, largest first.

        Columns: ``analyst``, ``judgment`` (its key, such as ``likelihood/ind/keep``),
        ``description`` and ``shrink`` (how many points the spread, summed over
        scenarios, would shrink if the analyst used the question's value). Empty for a
        view that is not a team's. The report shows the first ten and says how many more.
        """
        team = getattr(self.assessment, "team", None)
        drivers = team.drivers(limit=None) if team is not None else []
        return pd.DataFrame(
            {
                "analyst": pd.Series([d.analyst for d in drivers], dtype=str),
                "judgment": pd.Series(["/".join(d.key) for d in drivers], dtype=str),
                "description": pd.Series([d.description for d in drivers], dtype=str),
                "shrink": pd.Series([float(d.shrink) for d in drivers], dtype="float64"),
            }
        )

    @cached_property
    def watch(self) -> pd.DataFrame:
        """The indicators still open, most informative first (index ``"indicator"``).

        Columns: ``text``, ``signals``, ``tripwire``, ``not_yet`` (not seen yet, its
        window still open), ``p_reported``, ``information_bits`` (the expected
        information gain of a report, in bits), then ``if_seen:<scenario>`` and
        ``if_absent:<scenario>``: each scenario's probability after an A1 report that it
        was seen, or confirmed absent (see :func:`forecast.analysis.watch_list`).
        """
        ids = self._ids
        items = self.assessment.watch()
        frame = pd.DataFrame(
            {
                "text": pd.Series([w.text for w in items], dtype=str),
                "signals": pd.Series([w.signals for w in items], dtype=str),
                "tripwire": pd.Series([bool(w.tripwire) for w in items], dtype=bool),
                "not_yet": pd.Series([bool(w.not_yet) for w in items], dtype=bool),
                "p_reported": pd.Series([float(w.p_reported) for w in items], dtype="float64"),
                "information_bits": pd.Series([float(w.information_bits) for w in items], dtype="float64"),
            }
        )
        for s in ids:
            frame[f"if_seen:{s}"] = pd.Series([float(w.if_observed[s]) for w in items], dtype="float64")
        for s in ids:
            frame[f"if_absent:{s}"] = pd.Series([float(w.if_absent[s]) for w in items], dtype="float64")
        return frame.set_axis(pd.Index([w.indicator for w in items], name="indicator", dtype=str))

    def write_csv(self, folder: str | Path) -> list[Path]:
        """Write the frames of :data:`forecast.tables.CSV_TABLES` into ``folder`` (each atomically); returns their paths.

        The bytes are those :func:`forecast.tables.write_tables` writes for the same assessment.
        """
        attributes = {name: build.__name__.removesuffix("_table") for name, build in CSV_TABLES.items()}
        paths = []
        for name, attribute in attributes.items():
            path = Path(folder) / name
            atomic_write_text(path, frame_csv(getattr(self, attribute)))
            paths.append(path)
        return paths
