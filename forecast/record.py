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
from .errors import ArgumentError, OutputFolderError, display_path
from .inputs.questions import QUESTION_ID

if TYPE_CHECKING:
    import numpy as np
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
            raise ArgumentError(f"{name} must be an ISO date such as 2025-01-31, got {value!r}") from None
    raise TypeError(f"{name} must be a date or an ISO date string, got {type(value).__name__}")


def _wanted(questions: str | Iterable[str] | None) -> set[str] | None:
    """The question ids asked for: a bare string is one id; each must be a question id."""
    if questions is None:
        return None
    ids = [questions] if isinstance(questions, str) else list(questions)
    for question in ids:
        if not isinstance(question, str) or not QUESTION_ID.match(question):
            raise ArgumentError(
                f"questions: {question!r} is not a question id (lower-case letters, digits and '-'); "
                "expected an id or a list of ids"
            )
    return set(ids)


def _days(values: list[str | None]) -> np.ndarray:
    """ISO days as ``datetime64[s]``, which holds every date from year 1 to 9999; NaT for none or not a date."""
    import numpy as np

    def day(value: str | None) -> np.datetime64:
        try:
            return np.datetime64(date.fromisoformat(value), "s")
        except (TypeError, ValueError):
            return np.datetime64("NaT", "s")

    parsed = {value: day(value) for value in set(values)}  # a few distinct days, many rows
    return np.array([parsed[value] for value in values], dtype="datetime64[s]")


def history(
    out_dir: str | Path,
    questions: str | Iterable[str] | None = None,
    since: date | str | None = None,
    *,
    revisions: bool = False,
) -> pd.DataFrame:
    """Every published report in ``out_dir``, one row per question, date and scenario.

    Parameters
    ----------
    out_dir : str or Path
        The output folder of ``forecast run`` (OUT).
    questions : str or iterable of str, optional
        Only this question id, or these ids (default: every question in OUT).
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

        - ``question`` (str), ``as_of`` (``datetime64[s]``, which holds any date
          from year 1 to 9999, where nanoseconds would end in 1677 and 2262), ``scenario`` (its id),
          ``probability`` (0 to 1): what the report published;
        - ``move``: the scenario's move in points since the report it was compared
          with when it was made (NaN for a report that had none);
        - ``leading``: the report's leading scenario; ``alert``: whether the report
          raised an alert;
        - ``title``, ``scenario_name``: for display;
        - ``resolved``: the scenario the question resolved to, where any of its
          reports knows it (else ``None``), and ``resolution_date`` (``datetime64[s]``,
          NaT when unresolved).

        A report whose ``summary.json`` cannot be read (missing, not a regular file,
        not JSON, no probabilities) is left out, as the index leaves it out.

    Raises
    ------
    OutputFolderError
        For an ``out_dir`` that does not exist or is not a folder (a ``FileNotFoundError`` too).
    ArgumentError
        For a ``since`` that is not an ISO date, or a question that is not a question id
        (a ``ValueError`` too).

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
    wanted = _wanted(questions)
    if not out_dir.is_dir():
        raise OutputFolderError(
            f"{display_path(out_dir)}: no such folder; expected the output folder of forecast run (OUT)"
        )
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
    # Seconds, not pandas' default nanoseconds: a report may be dated 1600-01-01 (before 1677-09-21).
    frame["as_of"] = pd.Series(_days(frame["as_of"].tolist()), index=frame.index)
    frame["resolution_date"] = pd.Series(_days(frame["resolution_date"].tolist()), index=frame.index)
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
    frame["as_of"] = pd.Series(_days(columns["as_of"]), index=frame.index)  # as history() gives it
    frame["revision"] = frame["revision"].astype("int64")
    frame["published"] = pd.to_datetime(frame["published"], format="%Y-%m-%dT%H:%M:%SZ", utc=True)
    frame["probability"] = frame["probability"].astype("float64")
    return frame
