"""An assessment as pandas DataFrames, for analysts who work in pandas or a spreadsheet.

``forecast.assess(q, log, as_of).frames`` is a :class:`Frames`; each frame is
built from the assessment the first time it is read. This is the only module
that imports pandas, so ``import forecast`` and ``forecast.assess`` never do.

Probabilities are fractions (0 to 1); moves and effects are percentage points.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .analysis import DEFAULT_SEED
from .engine.rule import ROLE_LABELS
from .inputs.append import spreadsheet_safe
from .store import CHECKLIST_CSV, EFFECTS_CSV, SCENARIOS_CSV, TRAJECTORY_CSV, atomic_write_text
from .words import probability_words

if TYPE_CHECKING:
    from .assessment import Assessment

__all__ = ["CSV_FRAMES", "Frames", "frame_csv"]

#: The frames written as CSV beside a report's summary.json, by file name.
CSV_FRAMES = {
    SCENARIOS_CSV: "scenarios",
    TRAJECTORY_CSV: "trajectory",
    EFFECTS_CSV: "effects",
    CHECKLIST_CSV: "checklist",
}


#: Dates are held to the second, not the nanosecond, so that every date a question may hold
#: (years 1 to 9999) fits; nanoseconds would end in 2262.
DATE_DTYPE = "datetime64[s]"


def _datetimes(values) -> np.ndarray:
    """Dates (or ``None``, as ``NaT``) as a :data:`DATE_DTYPE` array."""
    return np.array(list(values), dtype="datetime64[D]").astype(DATE_DTYPE)


def _dates(values) -> pd.Series:
    """Dates (or ``None``) as a :data:`DATE_DTYPE` series, ``NaT`` for ``None``."""
    return pd.Series(_datetimes(values))


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return "" if pd.isna(value) else f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.10f}"
    if isinstance(value, int):
        return str(value)
    if value is None or value is pd.NaT:
        return ""
    return spreadsheet_safe(str(value))


def frame_csv(frame: pd.DataFrame) -> str:
    """A frame as CSV text, the same bytes for the same frame.

    The index is the first column (headed by its name). Numbers are written with ten
    decimals, dates as ``YYYY-MM-DD`` (empty for none), booleans as ``yes``/``no``,
    and text that a spreadsheet could run as a formula with a quote (') in front.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([_cell(frame.index.name or ""), *(_cell(str(c)) for c in frame.columns)])
    for index, *values in frame.itertuples(name=None):
        writer.writerow([_cell(_plain(index)), *(_cell(_plain(v)) for v in values)])
    return out.getvalue()


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones, so that each is formatted by its kind."""
    return value.item() if hasattr(value, "item") and not isinstance(value, pd.Timestamp) else value


class Frames:
    """The DataFrames of one :class:`~forecast.Assessment`, built lazily.

    Parameters
    ----------
    assessment : Assessment
    draws, seed : int
        The Monte Carlo draws and seed of the ``low``/``high`` columns of :attr:`scenarios`.
    """

    def __init__(self, assessment: Assessment, draws: int = 2000, seed: int = DEFAULT_SEED) -> None:
        self.assessment = assessment
        self.draws, self.seed = draws, seed

    @property
    def _ids(self) -> list[str]:
        return list(self.assessment.question.scenario_ids)

    @cached_property
    def scenarios(self) -> pd.DataFrame:
        """One row per scenario (index ``"scenario"``, question order).

        Columns: ``name``, ``short`` (its label), ``prior``, ``probability``, ``low`` and
        ``high`` (the 5th and 95th percentiles over the ranged likelihoods,
        :meth:`forecast.Assessment.intervals`), and ``words`` (the ICD-203 words of the
        probability). Where no likelihood of an indicator with a status is given as a
        range, ``low`` and ``high`` equal ``probability``.
        """
        a = self.assessment
        bounds = a.intervals(self.draws, self.seed).bounds
        scenarios = a.question.scenarios
        frame = pd.DataFrame(
            {
                "name": [s.name for s in scenarios],
                "short": [s.label for s in scenarios],
                "prior": [float(a.priors[s.id]) for s in scenarios],
                "probability": [float(a.probabilities[s.id]) for s in scenarios],
                "low": [float(bounds[s.id][0]) for s in scenarios],
                "high": [float(bounds[s.id][1]) for s in scenarios],
                "words": [probability_words(a.probabilities[s.id]) for s in scenarios],
            },
            index=pd.Index(self._ids, name="scenario"),
        )
        return frame

    @cached_property
    def trajectory(self) -> pd.DataFrame:
        """The daily probabilities: a ``DatetimeIndex`` named ``"date"`` by one column per scenario.

        From the question's opening (or the as-of date, if earlier) to the as-of date;
        the last row is the assessment's probabilities.
        """
        t = self.assessment.trajectory
        return pd.DataFrame(
            t.probabilities,
            index=pd.DatetimeIndex(_datetimes(t.dates), name="date"),
            columns=pd.Index(list(t.scenario_ids), name="scenario"),
        )

    @cached_property
    def evidence(self) -> pd.DataFrame:
        """One row per report of the log, in file order (reports after the as-of date too).

        Columns: ``id``, ``date`` (``datetime64``), ``indicator``, ``observed`` (bool),
        ``source``, ``reliability``, ``credibility`` (int), ``weight`` (float), ``role``
        (in the evidence log's words: ``"counted"``, ``"same event as a counted
        report"``, ``"overtaken by a later report"``, ``"after the as-of date"``),
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
        one column per scenario.

        A report's effect is the change in each probability when it was applied after
        the reports before it (in the rule's order), so each column adds up to that
        scenario's move from its prior, ``(probability - prior) * 100``. Reports dated
        after the as-of date are not counted and not listed; the rows are in file order.
        """
        ids = self._ids
        counted = [e for e in self.assessment.audit if e.effect is not None]
        return pd.DataFrame(
            [[e.effect[s] for s in ids] for e in counted],
            index=pd.Index([e.row.id for e in counted], name="report", dtype=str),
            columns=pd.Index(ids, name="scenario"),
            dtype="float64",
        )

    @cached_property
    def checklist(self) -> pd.DataFrame:
        """One row per indicator (index ``"indicator"``, question order).

        Columns: ``signals`` (the scenario it points to), ``status`` (``"observed"``,
        ``"not observed"`` or ``"pending"``), ``weight`` (that its status counts with; 0
        while pending), ``latest`` (date of its latest report, ``NaT`` without one),
        ``diagnosticity`` (as in :meth:`forecast.Assessment.checklist`), ``tripwire``,
        ``group`` (empty if none), ``window_start`` and ``window_end``.
        """
        a = self.assessment
        question = a.question
        diagnosticity = {
            item.state.indicator.id: item.diagnosticity
            for s in question.scenario_ids
            for item in a.checklist(s)
        }
        indicators = question.indicators
        states = [a.states[i.id] for i in indicators]
        windows = [st.window or (question.opened, question.closes) for st in states]
        return pd.DataFrame(
            {
                "signals": pd.Series([i.signals for i in indicators], dtype=str),
                "status": pd.Series([st.status_text for st in states], dtype=str),
                "weight": pd.Series([float(st.weight) for st in states], dtype="float64"),
                "latest": _dates(None if st.latest is None else st.latest.date for st in states),
                "diagnosticity": pd.Series([float(diagnosticity[i.id]) for i in indicators], dtype="float64"),
                "tripwire": pd.Series([bool(i.tripwire) for i in indicators], dtype=bool),
                "group": pd.Series([i.group or "" for i in indicators], dtype=str),
                "window_start": _dates(w[0] for w in windows),
                "window_end": _dates(w[1] for w in windows),
            }
        ).set_axis(pd.Index([i.id for i in indicators], name="indicator", dtype=str))

    @cached_property
    def influence(self) -> pd.DataFrame:
        """Leave-one-out over every indicator with a status, every group and every counted report.

        Columns: ``kind`` (``"indicator"``, ``"group"`` or ``"report"``), ``id``,
        ``indicator`` (empty for a group), one column per scenario with its probability
        without that evidence, and ``change:<scenario>`` with the move in points if it
        were left out (without minus with). Largest move first, as
        :meth:`forecast.Assessment.critical` with a threshold of 0.
        """
        ids = self._ids
        items = self.assessment.critical(threshold_points=0)
        frame = pd.DataFrame(
            {
                "kind": pd.Series([i.kind for i in items], dtype=str),
                "id": pd.Series([i.id for i in items], dtype=str),
                "indicator": pd.Series([i.indicator for i in items], dtype=str),
            }
        )
        for j, s in enumerate(ids):
            frame[s] = pd.Series([float(i.without[j]) for i in items], dtype="float64")
        for j, s in enumerate(ids):
            frame[f"change:{s}"] = pd.Series([float(i.moves[j]) for i in items], dtype="float64")
        return frame

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
        """Write :attr:`scenarios`, :attr:`trajectory`, :attr:`effects` and :attr:`checklist` into
        ``folder`` as ``scenarios.csv``, ``trajectory.csv``, ``effects.csv`` and ``checklist.csv``
        (each atomically, by :func:`frame_csv`); returns their paths.
        """
        paths = []
        for name, attribute in CSV_FRAMES.items():
            path = Path(folder) / name
            atomic_write_text(path, frame_csv(getattr(self, attribute)))
            paths.append(path)
        return paths
