"""Evidence logs (CSV): the one reader, used by ``validate``, ``run`` and ``evidence add``.

A log must be a regular UTF-8 file of at most :data:`MAX_EVIDENCE_BYTES`; each
row is checked against its question (indicator, date, grades, a yes/no), and
every problem is located as ``FILE:LINE: what was expected``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from operator import itemgetter
from pathlib import Path

from ..errors import EvidenceFileError, display_path
from ..model import (
    EvidenceLog,
    EvidenceRow,
    Question,
)
from .questions import check_file_date
from .safe_yaml import Located, decode_utf8, is_missing, read_regular_file

__all__ = [
    "EVIDENCE_COLUMNS",
    "FORMULA_PREFIXES",
    "MAX_EVIDENCE_BYTES",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "csv_records",
    "evidence_row",
    "load_evidence",
    "parse_evidence",
    "read_evidence_file",
    "read_evidence_rows",
]


#: Evidence logs larger than this are refused, by ``validate``, ``run`` and ``evidence add`` alike.
MAX_EVIDENCE_BYTES = 64 << 20


REQUIRED_COLUMNS = ("id", "date", "indicator", "observed", "source", "reliability", "credibility")


OPTIONAL_COLUMNS = ("url", "summary")


#: The evidence log's columns, in the order a new log is written.
EVIDENCE_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


#: A cell starting with one of these may run as a formula when the log is opened in a spreadsheet
#: (OWASP, "CSV injection"); ``evidence add`` writes such text with a quote (') in front.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)


_OBSERVED = {"yes": True, "no": False}


_CREDIBILITY = {str(k): k for k in range(1, 7)}


_HTTP = re.compile(r"^https?://", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _log_date(text: str) -> date:
    """A log's date cell, checked once per distinct text (a long log repeats its dates)."""
    return check_file_date(text)


def csv_records(text: str, where: Located) -> Iterable[tuple[int, list[str]]]:
    """Yield (first line, fields) for each non-blank record; stop at a malformed one."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_end = 0
    try:
        for fields in reader:  # a loop, not next() per record: a long log is read in C
            start, previous_end = previous_end + 1, reader.line_num
            if any(map(str.strip, fields)):
                yield start, fields
    except csv.Error as exc:
        message = str(exc)
        if "unexpected end of data" in message or "EOF" in message:
            message = "a quoted field is never closed; expected a closing double quote"
        where.error(previous_end + 1, f"CSV syntax error: {message}")


def load_evidence(path: str | Path, question: Question, *, today: date | None = None) -> EvidenceLog:
    """Load and validate a question's evidence log.

    Parameters
    ----------
    path : str or Path
        ``DATA/evidence/<id>.csv``. A missing file is an empty log.
    question : Question
        The question the log belongs to; indicators are checked against it.
    today : date, optional
        Rows dated after this are warned about. Defaults to today's date.

    Returns
    -------
    EvidenceLog
        The rows in file order, with warnings for rows dated before the question
        opened or in the future, and for columns the suite does not use. The rows
        are also read into the columns the engine works on, once, as the log loads.

    Raises
    ------
    EvidenceFileError
        With every problem found, each as ``FILE:LINE: message``.
    """
    log = read_evidence_rows(path, question, today)
    log.columns()
    return log


def read_evidence_rows(path: str | Path, question: Question, today: date | None) -> EvidenceLog:
    """The log's rows, checked, without their columns (which need numpy): what ``validate`` reads."""
    path = Path(path)
    shown = display_path(path)
    if is_missing(path):
        return EvidenceLog(path=shown)
    _, text = read_evidence_file(path)
    return parse_evidence(text, question, Located(shown), today or date.today())


def read_evidence_file(path: str | Path) -> tuple[bytes, str]:
    """The bytes of an evidence log and its text, read as every command reads a log.

    The log must be a regular file of at most :data:`MAX_EVIDENCE_BYTES`, in UTF-8
    (a byte order mark is dropped from the text).

    Returns
    -------
    (bytes, str)
        The file as it is on disk, and its text.

    Raises
    ------
    EvidenceFileError
        The file is not a regular file, is too large, cannot be read or is not
        UTF-8; located as ``FILE:LINE: message``.
    """
    where = Located(display_path(path))
    raw = read_regular_file(path, MAX_EVIDENCE_BYTES, where)
    text = decode_utf8(raw, where) if raw is not None else None
    if raw is None or text is None:
        raise EvidenceFileError(where.problems)
    return raw, text


def parse_evidence(text: str, question: Question, where: Located, today: date) -> EvidenceLog:
    """Check the text of an evidence log against its question.

    Parameters
    ----------
    text : str
        The log's text, as :func:`read_evidence_file` returns it.
    question : Question
        The question the log belongs to.
    where : Located
        Collects the problems, named after the log's file.
    today : date
        Rows dated after this are warned about.

    Returns
    -------
    EvidenceLog
        The rows in file order, with the warnings in ``where``.

    Raises
    ------
    EvidenceFileError
        With every problem found, each as ``FILE:LINE: message``.
    """
    records = iter(csv_records(text, where))
    header_line, header = next(records, (1, None))
    if header is None:
        if not where.has_errors:
            where.error(1, f"file has no header row; expected the columns {', '.join(EVIDENCE_COLUMNS)}")
        raise EvidenceFileError(where.problems)
    header = [h.strip() for h in header]
    for name in sorted({h for h in header if header.count(h) > 1}):
        where.error(header_line, f"column {name!r} appears more than once")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        where.error(
            header_line,
            f"missing required column {', '.join(repr(m) for m in missing)}; the header has {', '.join(header)}",
        )
        raise EvidenceFileError(where.problems)
    extra = tuple(h for h in header if h not in EVIDENCE_COLUMNS and h)
    for name in extra:
        where.warn(
            header_line,
            f"column {name!r} is not one the suite uses; it is kept and shown (check its spelling if "
            f"you meant one of {', '.join(EVIDENCE_COLUMNS)})",
        )
        if name[0] in _FORMULA_FIRST:
            where.warn(
                header_line,
                f"column {name!r} starts with {name[0]!r}, so a spreadsheet may run it as a formula; "
                "rename it (the suite writes it with a quote (') in front)",
            )

    rows: list[EvidenceRow] = []
    first_seen: dict[str, int] = {}
    indicators = set(question.indicator_ids)
    # A row with nothing to say about it is read here, with no message built; any other row is
    # read by evidence_row, which finds every problem in it. The checks are evidence_row's, so
    # both read a row the same way; this way a long log costs a few microseconds a row.
    grades = {g for g in question.reliability_weights if isinstance(g, str) and g == g.upper()}
    opened, dates = question.opened, {}
    window = {i.id: question.window_of(i) for i in question.indicators}
    formula, row_of, append = _FORMULA_FIRST, EvidenceRow, rows.append
    n_fields = len(header)
    # The cells the suite reads, by position; an optional column the log lacks reads as "" (the
    # cell past the last, appended to each row's cells below).
    column = {name: k for k, name in enumerate(header)}
    cells_of = itemgetter(*(column.get(name, n_fields) for name in EVIDENCE_COLUMNS))
    extra_at = tuple(column[name] for name in extra)
    for line, fields in records:
        if len(fields) != n_fields:
            where.error(line, f"expected {n_fields} fields as in the header, found {len(fields)}")
            continue
        stripped = list(map(str.strip, fields))
        stripped.append("")
        row_id, day, indicator, seen, source, reliability, grade, url, summary = cells_of(stripped)
        when = dates.get(day)
        if when is None:
            with contextlib.suppress(ValueError):  # evidence_row says why
                when = dates[day] = _log_date(day)
        observed = _OBSERVED.get(seen)
        credibility = _CREDIBILITY.get(grade)
        if (
            row_id
            and row_id[0] not in formula
            and row_id not in first_seen
            and when is not None
            and opened <= when <= today
            and indicator in indicators
            and window[indicator][0] <= when <= window[indicator][1]
            and observed is not None
            and source
            and source[0] not in formula
            and reliability in grades
            and credibility is not None
            and (not url or _HTTP.match(url))  # so it does not start as a formula either
            and (not summary or summary[0] not in formula)
            and (not extra or not any(stripped[k][:1] in formula for k in extra_at if stripped[k]))
        ):
            first_seen[row_id] = line
            append(
                row_of(
                    row_id, when, indicator, observed, source, reliability, credibility, url, summary,
                    {name: stripped[k] for name, k in zip(extra, extra_at)} if extra else {}, line,
                )
            )  # fmt: skip
            continue
        cells = dict(zip(header, stripped))
        row = evidence_row(cells, line, question, indicators, first_seen, where, today, extra)
        if row is not None:
            append(row)
    if where.has_errors:
        raise EvidenceFileError(where.problems)
    return EvidenceLog(
        rows=tuple(rows),
        path=where.path,
        extra_columns=extra,
        warnings=tuple(where.problems),
    )


def _outside_window(when: date, observed: bool, window: tuple[date, date]) -> str | None:
    """What to say of a report dated outside its indicator's window; ``None`` inside it.

    The rule is not changed by the date (see docs/nothing-lost.md): a sighting counts
    in full, ``w log p(s)``, though ``p(s)`` is the chance of seeing it within the
    window; a "not seen" counts ``w log(1 - p(s) F(d))``, with ``F`` 0 before the
    window and 1 after it.
    """
    start, end = window
    if start <= when <= end:
        return None
    where = (
        f"before its indicator's window [{start}, {end}]"
        if when < start
        else f"after its indicator's window [{start}, {end}] ended"
    )
    if observed:
        return (
            f"a sighting dated {when}, {where}; it counts in full, as if seen within the window "
            "(p(s) is the chance of seeing it within the window): check the date, or the window"
        )
    if when < start:
        return f"'not seen' dated {when}, {where}; it counts for nothing, as none of the window has passed"
    return f"'not seen' dated {when}, {where}; it counts as not seen in the whole window"


def evidence_row(
    cells: dict[str, str],
    line: int,
    question: Question,
    indicators: set[str],
    first_seen: dict[str, int],
    where: Located,
    today: date,
    extra: tuple[str, ...],
) -> EvidenceRow | None:
    before = len(where.problems)
    row_id = cells["id"]
    if not row_id:
        where.error(line, "id is empty; expected an id unique in the file")
    elif row_id in first_seen:
        where.error(line, f"id {row_id!r} is already used on line {first_seen[row_id]}; ids must be unique")
    else:
        first_seen[row_id] = line
    when = None
    try:
        when = _log_date(cells["date"])
    except ValueError as exc:
        where.error(line, f"date: {exc}")
    if cells["indicator"] not in indicators:
        where.error(
            line,
            f"indicator {cells['indicator']!r} is not in the question's checklist; "
            f"expected one of {', '.join(sorted(indicators))}",
        )
    observed = _OBSERVED.get(cells["observed"].lower())
    if observed is None:
        where.error(
            line, f"observed {cells['observed']!r} must be 'yes' (seen) or 'no' (looked for, not seen)"
        )
    if not cells["source"]:
        where.error(line, "source is empty; expected who reported it")
    reliability = cells["reliability"].upper()
    if reliability not in question.reliability_weights:
        where.error(line, f"reliability {cells['reliability']!r} is not an Admiralty grade (A-F)")
    credibility = (
        int(cells["credibility"]) if cells["credibility"] in {"1", "2", "3", "4", "5", "6"} else None
    )
    if credibility is None:
        where.error(line, f"credibility {cells['credibility']!r} is not an Admiralty grade (1-6)")
    if len(where.problems) > before:
        return None
    url = cells.get("url", "")
    if url and not _HTTP.match(url):
        where.warn(line, f"url {url!r} is not an http(s) address; it is shown as text, not as a link")
    for name in ("id", "source", "url", "summary", *extra):
        value = cells.get(name)
        if value and value[0] in _FORMULA_FIRST:
            where.warn(
                line,
                f"{name} starts with {value[0]!r}, so a spreadsheet may run it as a formula; "
                "start it with a quote (') as `forecast evidence add` does",
            )
    if when < question.opened:
        where.warn(line, f"dated {when}, before the question opened on {question.opened}")
    elif when > today:
        where.warn(line, f"dated {when}, after today ({today})")
    outside = _outside_window(when, observed, question.window_of(question.indicator(cells["indicator"])))
    if outside is not None and when >= question.opened:
        where.warn(line, outside)
    return EvidenceRow(
        id=row_id,
        date=when,
        indicator=cells["indicator"],
        observed=observed,
        source=cells["source"],
        reliability=reliability,
        credibility=credibility,
        url=url,
        summary=cells.get("summary", ""),
        extra={name: cells[name] for name in extra},
        line=line,
    )
