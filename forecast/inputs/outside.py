"""Outside forecasts: ``DATA/forecasts/<question-id>.csv``, direct probability forecasts, dated.

This module is the one reader of outside-forecast logs. Each row is one
forecaster's probabilities on one date: a person's judgement, a crowd such as a
Metaculus community forecast, or a market. The columns are ``date``,
``forecaster`` and one per scenario id; each row sums to 1 within 1e-6. Every
mistake is reported as ``FILE:LINE: what was expected``. Only the standard
library is imported, so ``forecast validate`` stays quick.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ..errors import OutsideForecastFileError, Problem, display_path
from ..model import Question
from .evidence import csv_records
from .questions import check_file_date
from .safe_yaml import MAX_FILE_BYTES, Located, decode_utf8, is_missing, read_regular_file

__all__ = [
    "ROW_TOLERANCE",
    "OutsideForecast",
    "OutsideForecasts",
    "check_outside_forecasts",
    "forecasts_path",
    "load_outside_forecasts",
]

#: How far a row's probabilities may sum from 1.
ROW_TOLERANCE = 1e-6

#: A forecast dated further than this before the question opened or after it closes is warned of (1900, 9999).
_FAR = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class OutsideForecast:
    """One forecaster's probabilities on one date."""

    date: date
    forecaster: str
    probabilities: Mapping[str, float]
    line: int = 0


@dataclass(frozen=True, slots=True)
class OutsideForecasts:
    """A question's outside forecasts, sorted by date then forecaster."""

    rows: tuple[OutsideForecast, ...] = ()
    path: str = ""
    #: Warnings about the log (a forecast dated more than a year outside the question's life).
    warnings: tuple[Problem, ...] = ()

    @property
    def forecasters(self) -> tuple[str, ...]:
        """The forecasters, in order of their first forecast."""
        return tuple(dict.fromkeys(r.forecaster for r in self.rows))

    def as_of(self, day: date) -> tuple[OutsideForecast, ...]:
        """The forecasts dated on or before ``day``."""
        return tuple(r for r in self.rows if r.date <= day)

    def by_forecaster(self, forecaster: str) -> tuple[OutsideForecast, ...]:
        """One forecaster's forecasts, oldest first."""
        return tuple(r for r in self.rows if r.forecaster == forecaster)


def forecasts_path(data_dir: str | Path, question_id: str) -> Path:
    """The outside-forecast log of ``question_id`` under ``data_dir``."""
    return Path(data_dir) / "forecasts" / f"{question_id}.csv"


def load_outside_forecasts(path: str | Path, question: Question) -> OutsideForecasts:
    """Load and validate a question's outside-forecast log.

    Parameters
    ----------
    path : str or Path
        ``DATA/forecasts/<id>.csv``. A missing file is an empty log.
    question : Question
        The scenario columns are checked against it.

    Returns
    -------
    OutsideForecasts

    Raises
    ------
    OutsideForecastFileError
        With every problem found, each as ``FILE:LINE: message``.

    Examples
    --------
    >>> from forecast import load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> log = load_outside_forecasts("data/forecasts/russia-syria-bases.csv", q)
    >>> log.forecasters[:1]
    ('Illustrative: prediction market',)
    """
    path = Path(path)
    shown = display_path(path)
    if is_missing(path):
        return OutsideForecasts(path=shown)
    where = Located(shown)
    raw = read_regular_file(path, MAX_FILE_BYTES, where)
    text = decode_utf8(raw, where) if raw is not None else None
    if text is None:
        raise OutsideForecastFileError(where.problems)
    rows = _parse(text, question, where)
    if where.has_errors:
        raise OutsideForecastFileError(where.problems)
    early, late = question.opened - _FAR, question.closes + _FAR
    for row in rows:
        if not early <= row.date <= late:
            where.warn(
                row.line,
                f"dated {row.date}, more than a year outside the question's life "
                f"[{question.opened}, {question.closes}]; check the date",
            )
    return OutsideForecasts(
        tuple(sorted(rows, key=lambda r: (r.date, r.forecaster))), shown, tuple(where.problems)
    )


def _parse(text: str, question: Question, where: Located) -> list[OutsideForecast]:
    ids = question.scenario_ids
    expected = ", ".join(("date", "forecaster", *ids))
    records = iter(csv_records(text, where))
    header_line, header = next(records, (1, None))
    if header is None:
        if not where.has_errors:
            where.error(1, f"file has no header row; expected the columns {expected}")
        return []
    header = [h.strip() for h in header]
    problems = len(where.problems)
    for name in sorted({h for h in header if header.count(h) > 1}):
        where.error(header_line, f"column {name!r} appears more than once")
    missing = [c for c in ("date", "forecaster", *ids) if c not in header]
    if missing:
        where.error(
            header_line, f"missing column {', '.join(map(repr, missing))}; expected the columns {expected}"
        )
    for name in header:
        if name not in ("date", "forecaster", *ids):
            where.error(
                header_line,
                f"column {name!r} is not a scenario of the question; expected the columns {expected}",
            )
    if len(where.problems) > problems:
        return []

    rows: list[OutsideForecast] = []
    seen: dict[tuple[date, str], int] = {}
    for line, fields in records:
        if len(fields) != len(header):
            where.error(line, f"expected {len(header)} fields as in the header, found {len(fields)}")
            continue
        row = _row(dict(zip(header, (f.strip() for f in fields))), ids, line, seen, where)
        if row is not None:
            rows.append(row)
    return rows


def _row(
    cells: dict[str, str], ids: Sequence[str], line: int, seen: dict[tuple[date, str], int], where: Located
) -> OutsideForecast | None:
    before = len(where.problems)
    when = None
    try:
        when = check_file_date(cells["date"])
    except ValueError as exc:
        where.error(line, f"date: {exc}")
    forecaster = cells["forecaster"]
    if not forecaster:
        where.error(line, "forecaster is empty; expected who made the forecast")
    probabilities = {}
    for sid in ids:
        try:
            p = float(cells[sid])
        except ValueError:
            where.error(line, f"{sid}: expected a probability between 0 and 1, got {cells[sid]!r}")
            continue
        if not (math.isfinite(p) and 0 <= p <= 1):
            where.error(line, f"{sid}: expected a probability between 0 and 1, got {cells[sid]!r}")
            continue
        probabilities[sid] = p
    if len(where.problems) > before:
        return None
    total = math.fsum(probabilities.values())
    if abs(total - 1) > ROW_TOLERANCE:
        where.error(line, f"probabilities sum to {total:.6g}; expected 1 (within {ROW_TOLERANCE:g})")
        return None
    key = (when, forecaster)
    if key in seen:
        where.error(line, f"{forecaster!r} already has a forecast dated {when} on line {seen[key]}")
        return None
    seen[key] = line
    return OutsideForecast(when, forecaster, probabilities, line)


def check_outside_forecasts(data_dir: str | Path, question: Question) -> list[Problem]:
    """Every problem in the question's outside-forecast log (for ``forecast validate``)."""
    try:
        log = load_outside_forecasts(forecasts_path(data_dir, question.id), question)
    except OutsideForecastFileError as exc:
        return list(exc.problems)
    return list(log.warnings)
