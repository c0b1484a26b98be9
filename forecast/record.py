"""The published record: every report in an output folder, as one pandas DataFrame.

:func:`history` answers "what did we say, and when, across all our questions"
from each question's catalog (:mod:`forecast.catalog`): one small file per
question, checked against the question's report folders and their summaries'
stamps, so that a year of daily reports for a hundred questions is quick to
read. A report whose catalog line is missing or out of step is read from its
``summary.json`` instead (nothing is written), and a summary that cannot be read
is skipped, as the index skips it. pandas is imported only when it is called, so
that a scheduled run never loads it for this.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .catalog import read_catalog
from .inputs.questions import QUESTION_ID

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FIRST_PUBLICATION", "HISTORY_COLUMNS", "REVISION_COLUMNS", "history"]

#: The columns of :func:`history`, in order.
HISTORY_COLUMNS = (
    "question",
    "as_of",
    "scenario",
    "probability",
    "move",
    "leading",
    "alert",
    "title",
    "scenario_name",
    "resolved",
    "resolution_date",
)


#: The columns of ``history(revisions=True)``, in order.
REVISION_COLUMNS = ("question", "as_of", "revision", "published", "cause", "scenario", "probability")
#: The cause of a date's first publication, in the ``cause`` column.
FIRST_PUBLICATION = "first publication"


def _as_date(value: date | str | None, name: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime) or hasattr(value, "to_pydatetime"):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name} must be an ISO date such as 2025-01-31, got {value!r}") from None
    raise TypeError(f"{name} must be a date or an ISO date string, got {type(value).__name__}")


def history(
    out_dir: str | Path,
    questions: Iterable[str] | None = None,
    since: date | str | None = None,
    *,
    revisions: bool = False,
) -> pd.DataFrame:
    """Every published report in ``out_dir``, one row per question, date and scenario.

    Parameters
    ----------
    out_dir : str or Path
        The output folder of ``forecast run`` (OUT).
    questions : iterable of str, optional
        Only these question ids (default: every question in OUT).
    since : date or str, optional
        Only reports dated on or after this day (a ``date`` or an ISO string).
    revisions : bool, default False
        Every publication of every date instead (docs/record.md): one row per
        question, date, revision and scenario, with the columns
        :data:`REVISION_COLUMNS`: ``revision`` (1 for the first publication),
        ``published`` (when, a UTC timestamp; NaT where an earlier version did not
        record it), ``cause`` (what changed since the revision before, in words;
        ``"first publication"`` for revision 1), ``scenario`` and ``probability``.

    Returns
    -------
    pandas.DataFrame
        In long form, sorted by question, ``as_of`` and the question's scenario order:

        - ``question`` (str), ``as_of`` (datetime64), ``scenario`` (its id),
          ``probability`` (0 to 1): what the report published;
        - ``move``: the scenario's move in points since the report it was compared
          with when it was made (NaN for a report that had none);
        - ``leading``: the report's leading scenario; ``alert``: whether the report
          raised an alert;
        - ``title``, ``scenario_name``: for display;
        - ``resolved``: the scenario the question resolved to, where any of its
          reports knows it (else ``None``), and ``resolution_date`` (datetime64, NaT
          when unresolved).

        A report whose ``summary.json`` cannot be read (missing, not a regular file,
        not JSON, no probabilities) is left out, as the index leaves it out.

    Raises
    ------
    ValueError
        For a ``since`` that is not an ISO date.

    Examples
    --------
    >>> import forecast, tempfile
    >>> frame = forecast.history(tempfile.mkdtemp())
    >>> list(frame.columns[:4]), len(frame)
    (['question', 'as_of', 'scenario', 'probability'], 0)

    After ``forecast run --out reports``, the latest probability of each question's
    leading scenario is ``frame[frame.scenario == frame.leading].groupby("question").last()``.
    """
    import pandas as pd

    out_dir = Path(out_dir)
    start = _as_date(since, "since")
    wanted = None if questions is None else set(questions)
    ids = []
    if out_dir.is_dir():
        with os.scandir(out_dir) as entries:
            ids = sorted(
                e.name
                for e in entries
                if QUESTION_ID.match(e.name) and (wanted is None or e.name in wanted) and e.is_dir()
            )
    if revisions:
        return _revisions(out_dir, ids, start)
    columns: dict[str, list[Any]] = {name: [] for name in HISTORY_COLUMNS}
    for question in ids:
        entries = [e for e in read_catalog(out_dir, question).entries() if start is None or e.as_of >= start]
        first_row = len(columns["question"])
        # The question's outcome belongs to every one of its rows, also those dated before it was known.
        known = [e for e in entries if e.resolved is not None]
        resolved = known[-1].resolved if known else None
        resolution_date = known[-1].resolution_date if known else None
        for entry in entries:
            day = entry.as_of.isoformat()
            moves = entry.moves or {}
            for scenario in entry.order:
                columns["question"].append(question)
                columns["as_of"].append(day)
                columns["scenario"].append(scenario)
                columns["probability"].append(entry.probabilities[scenario])
                columns["move"].append(moves.get(scenario, math.nan))
                columns["leading"].append(entry.leading)
                columns["alert"].append(entry.alert)
                columns["title"].append(entry.title)
                columns["scenario_name"].append(entry.names.get(scenario, scenario))
        count = len(columns["question"]) - first_row
        columns["resolved"].extend([resolved] * count)
        columns["resolution_date"].extend([resolution_date] * count)
    frame = pd.DataFrame(columns, columns=list(HISTORY_COLUMNS))
    frame["as_of"] = pd.to_datetime(frame["as_of"], format="%Y-%m-%d").astype("datetime64[ns]")
    frame["resolution_date"] = pd.to_datetime(
        frame["resolution_date"], format="%Y-%m-%d", errors="coerce"
    ).astype("datetime64[ns]")
    frame["probability"] = frame["probability"].astype("float64")
    frame["move"] = frame["move"].astype("float64")
    frame["alert"] = frame["alert"].astype(bool)
    return frame


def _revisions(out_dir: Path, ids: list[str], start: date | None) -> pd.DataFrame:
    """``history(revisions=True)``: every revision of every report of the questions ``ids``."""
    import pandas as pd

    columns: dict[str, list[Any]] = {name: [] for name in REVISION_COLUMNS}
    for question in ids:
        for entry in read_catalog(out_dir, question).entries():
            if start is not None and entry.as_of < start:
                continue
            day = entry.as_of.isoformat()
            for revision in entry.revisions():
                cause = "; ".join(revision.causes) if revision.revision > 1 else FIRST_PUBLICATION
                for scenario in entry.order:
                    if scenario not in revision.probabilities:
                        continue
                    columns["question"].append(question)
                    columns["as_of"].append(day)
                    columns["revision"].append(revision.revision)
                    columns["published"].append(revision.published)
                    columns["cause"].append(cause)
                    columns["scenario"].append(scenario)
                    columns["probability"].append(revision.probabilities[scenario])
    frame = pd.DataFrame(columns, columns=list(REVISION_COLUMNS))
    frame["as_of"] = pd.to_datetime(frame["as_of"], format="%Y-%m-%d").astype("datetime64[ns]")
    frame["revision"] = frame["revision"].astype("int64")
    frame["published"] = pd.to_datetime(frame["published"], format="%Y-%m-%dT%H:%M:%SZ", utc=True)
    frame["probability"] = frame["probability"].astype("float64")
    return frame
