"""Appending a report to a question's evidence log, safely.

``forecast evidence add`` is the one command that changes a user's data, and
only by appending a row. The log is read by the loader every command uses
(:func:`forecast.inputs.evidence.read_evidence_file`: a regular UTF-8 file under the size
limit), the row is validated against the question and the whole log as it would
read afterwards, and the log is then replaced atomically, so a refused row
leaves the file byte-for-byte as it was.

- **One lock per log.** The lock file sits beside the log (``.<log>.lock``), so
  every writer of one log shares it, whatever its temporary folder.
- **Symlinks are written through**: the file a symlinked log points to is
  replaced, atomically, and the link is kept.
- **Nothing is dropped**: a ``url`` or ``summary`` given for a log without that
  column adds the column (empty on earlier rows), in the same atomic rewrite.
- **Text is safe in a spreadsheet**: a field that starts like a formula
  (``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a
  quote (') in front, as OWASP advises against CSV injection.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import EvidenceFileError, EvidenceWriteError, Problem, display_path
from ..model import EvidenceRow, Question
from ..store import atomic_write_bytes
from .evidence import (
    EVIDENCE_COLUMNS,
    FORMULA_PREFIXES,
    MAX_EVIDENCE_BYTES,
    OPTIONAL_COLUMNS,
    parse_evidence,
    read_evidence_file,
)
from .questions import QUESTION_ID, load_question
from .safe_yaml import Located, is_missing
from .validate import evidence_path, question_path

__all__ = [
    "append_evidence",
    "csv_line",
    "held_lock",
    "lock_path",
    "log_lock",
    "next_row_id",
    "spreadsheet_safe",
]

_NUMBERED = re.compile(r"^(.*?)(\d+)$")
_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)
_BOM = b"\xef\xbb\xbf"
#: The fields a person writes freely; the others are validated against a closed set.
_FREE_TEXT = ("source", "url", "summary")


def next_row_id(existing: list[str]) -> str:
    """A fresh row id in the style of the existing ones (``e031`` after ``e030``; ``e001`` to start)."""
    taken = set(existing)
    prefix, width, start = "e", 3, 1
    for row_id in reversed(existing):
        match = _NUMBERED.match(row_id)
        if match:
            prefix, width = match.group(1), len(match.group(2))
            same = [int(m.group(2)) for i in existing if (m := _NUMBERED.match(i)) and m.group(1) == prefix]
            start = max(same) + 1
            break
    n = start
    while f"{prefix}{n:0{width}d}" in taken:
        n += 1
    return f"{prefix}{n:0{width}d}"


def _refuse_formula_names(extra: dict[str, str], shown: str) -> None:
    """Refuse an extra column's name that a spreadsheet could run as a formula, or that holds a control character.

    A value so written is kept with a quote in front; a name becomes the log's header, which
    every spreadsheet reads, so it is refused instead.
    """
    problems = [
        Problem(
            shown,
            0,
            f"--extra {name!r}: a column name may not start with {name[:1]!r} (a spreadsheet may run it as "
            f"a formula: {', '.join(repr(c) for c in FORMULA_PREFIXES)}) nor hold a control character; "
            "choose a name such as analyst",
        )
        for name in extra
        if not name or name[0] in _FORMULA_FIRST or any(ord(c) < 32 or ord(c) == 127 for c in name)
    ]
    if problems:
        raise EvidenceFileError(problems)


def spreadsheet_safe(text: str) -> str:
    """``text`` with a quote (') in front if a spreadsheet could run it as a formula.

    Examples
    --------
    >>> spreadsheet_safe("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> spreadsheet_safe("Reuters")
    'Reuters'
    """
    return f"'{text}" if text[:1] in _FORMULA_FIRST else text


def lock_path(log: str | Path) -> Path:
    """The lock file of an evidence log: beside the file the log is (a symlink is followed)."""
    target = Path(os.path.realpath(log))
    return target.with_name(f".{target.name}.lock")


def log_lock(log: str | Path):
    """The lock that every writer of ``log`` takes (a :class:`filelock.FileLock`)."""
    from filelock import FileLock

    return FileLock(str(lock_path(log)))


@contextlib.contextmanager
def held_lock(path: str | Path, lock_timeout: float = 60.0) -> Iterator[None]:
    """Hold the lock of the file ``path`` (:func:`log_lock`) for the block: every writer of it takes this one.

    Raises
    ------
    EvidenceWriteError
        Another writer held the lock for over ``lock_timeout`` seconds, or the
        lock file cannot be created beside ``path``.
    """
    from filelock import Timeout

    lock = log_lock(path)
    try:
        lock.acquire(timeout=lock_timeout)
    except Timeout:  # first: filelock's Timeout is an OSError too
        raise EvidenceWriteError(
            f"another writer has held the lock {display_path(lock.lock_file)} for over {lock_timeout:g} s; "
            "try again when it has finished"
        ) from None
    except OSError as exc:
        raise EvidenceWriteError(
            f"cannot create the lock file {display_path(lock.lock_file)} beside the log: {exc.strerror or exc}"
        ) from None
    try:
        yield
    finally:
        lock.release()


def append_evidence(
    data_dir: str | Path,
    question_id: str,
    *,
    date: str,
    indicator: str,
    observed: str,
    source: str,
    reliability: str,
    credibility: str | int,
    url: str = "",
    summary: str = "",
    extra: dict[str, str] | None = None,
    today: datetime.date | None = None,
    lock_timeout: float = 60.0,
    allow_future: bool = False,
) -> tuple[EvidenceRow, tuple[Problem, ...]]:
    """Validate one report and append it to the question's evidence log with a fresh id.

    Parameters
    ----------
    data_dir : str or Path
        The folder with ``questions/`` and ``evidence/``.
    question_id : str
        The question the report belongs to.
    date, indicator, observed, source, reliability, credibility, url, summary : str
        The row's fields, as they would be written in the CSV file.
    extra : dict of str to str, optional
        Values of the log's other columns (``analyst``, ...). Each must be a column
        of the log's header; a new log gets them as columns after the standard ones.
    today : date, optional
        For the refusal of a row dated in the future (default: today).
    lock_timeout : float
        How long to wait for another writer of the same log, in seconds.
    allow_future : bool
        Accept a row dated after ``today`` (with a warning), such as a scheduled
        event; without it such a date (2027 typed for 2025) is refused.

    Returns
    -------
    (EvidenceRow, tuple of Problem)
        The row as it now stands in the log, and warnings about it (a field
        written with a quote in front, a column added to the log).

    Raises
    ------
    QuestionFileError
        The question file is missing or invalid.
    EvidenceFileError
        The row, or the existing log, is invalid; the log is unchanged.
    EvidenceWriteError
        The log could not be locked or written; the log is unchanged.

    Examples
    --------
    >>> row, warnings = append_evidence("data", "russia-syria-bases", date="2025-02-21",
    ...     indicator="limited-presence-deal-near", observed="yes", source="Wire",
    ...     reliability="B", credibility=2)  # doctest: +SKIP
    """
    if not QUESTION_ID.match(question_id):
        raise EvidenceFileError(
            [Problem(question_id, 0, "not a question id (lower-case letters, digits and '-')")]
        )
    question = load_question(question_path(data_dir, question_id))
    path = evidence_path(data_dir, question_id)
    shown = display_path(path)
    today = today or datetime.date.today()
    given = {
        "date": date,
        "indicator": indicator,
        "observed": observed,
        "source": source,
        "reliability": reliability,
        "credibility": str(credibility),
        "url": url,
        "summary": summary,
    }
    extra = dict(extra or {})
    _refuse_formula_names(extra, shown)
    _refuse_text_that_is_not_utf8(
        {**{f"--{k}": v for k, v in given.items()}, **{f"--extra {k}=": v for k, v in extra.items()}}, shown
    )
    # Free text as the loader reads it back (without surrounding blanks), then safe in a spreadsheet.
    fields = {k: spreadsheet_safe(v.strip()) if k in _FREE_TEXT else v for k, v in given.items()}
    extra = {k: spreadsheet_safe(v.strip()) for k, v in extra.items()}
    with held_lock(path, lock_timeout):
        candidate, row, warnings = _appended(path, shown, question, fields, today, extra)
        if row.date > today and not allow_future:
            raise EvidenceFileError(
                [
                    Problem(
                        shown,
                        0,
                        f"--date {row.date} is after today ({today}); check the year, or pass --allow-future "
                        "to add a report dated ahead",
                    )
                ]
            )
        try:
            atomic_write_bytes(os.path.realpath(path), candidate)
        except OSError as exc:
            raise EvidenceWriteError(f"cannot write {shown}: {exc.strerror or exc}") from None
    notes = [
        Problem(
            shown,
            row.line,
            f"{name} starts with {given[name].strip()[0]!r}; written with a quote (') in front so that "
            "a spreadsheet cannot run it as a formula",
            "warning",
        )
        for name in _FREE_TEXT
        if fields[name] != given[name].strip()
    ]
    return row, (*warnings, *notes)


def _refuse_text_that_is_not_utf8(fields: dict[str, str], shown: str) -> None:
    """Arguments a terminal passed in another encoding arrive as lone surrogates; say so, once each.

    ``fields`` maps each argument as the user wrote it (``--source``, ``--extra analyst=``) to its value.
    """
    problems = []
    for name, value in fields.items():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            byte = ord(value[exc.start]) - 0xDC00 if 0xDC80 <= ord(value[exc.start]) <= 0xDCFF else None
            shown_byte = f" (byte 0x{byte:02x})" if byte is not None else ""
            problems.append(
                Problem(shown, 0, f"{name} is not UTF-8 text{shown_byte}; the log holds UTF-8 only")
            )
    if problems:
        raise EvidenceFileError(problems)


def _appended(
    path: Path,
    shown: str,
    question: Question,
    fields: dict[str, str],
    today: datetime.date,
    extra: dict[str, str] | None = None,
) -> tuple[bytes, EvidenceRow, tuple[Problem, ...]]:
    """The log's new bytes with the row appended, the row as read back, and warnings about it."""
    raw, text = (b"", "") if is_missing(path) else read_evidence_file(path)
    added: list[str] = []
    if text.strip():
        ids = [r.id for r in parse_evidence(text, question, Located(shown), today).rows]
        newline = "\r\n" if "\r\n" in text else "\n"
        header = _header(text)
        added = [c for c in OPTIONAL_COLUMNS if fields[c] and c not in header]
        if added:  # rewrite the whole file, with the new columns empty on every earlier row
            text = _with_columns(text, added)
            header += added
        bom = _BOM if raw.startswith(_BOM) else b""
        prefix = bom + text.encode("utf-8")
        if not prefix.endswith((b"\n", b"\r")):
            prefix += newline.encode()
    else:
        header, ids, newline = [*EVIDENCE_COLUMNS, *(extra or {})], [], "\n"
        prefix = csv_line(header, newline).encode("utf-8")
    unknown = [k for k in extra or {} if k not in header]
    if unknown:
        raise EvidenceFileError(
            [
                Problem(
                    shown,
                    1,
                    f"column {k!r} is not in the log's header ({', '.join(header)}); add it to the header first",
                )
                for k in unknown
            ]
        )
    values = {"id": next_row_id(ids), **(extra or {}), **fields}
    candidate = prefix + csv_line([values.get(h, "") for h in header], newline).encode("utf-8")
    if len(candidate) > MAX_EVIDENCE_BYTES:
        raise EvidenceFileError(
            [
                Problem(
                    shown,
                    0,
                    f"the log would grow past {MAX_EVIDENCE_BYTES:,} bytes, the limit; start a new question",
                )
            ]
        )
    log = parse_evidence(candidate.decode("utf-8-sig"), question, Located(shown), today)
    row = log.rows[-1]
    warnings = [p for p in log.warnings if p.line == row.line]
    if not text.strip():  # a new log: what is said of its header (a column the suite does not use), once, now
        warnings = [p for p in log.warnings if p.line == 1] + warnings
    warnings += [
        Problem(shown, 1, f"column {name!r} added to the log; earlier rows leave it empty", "warning")
        for name in added
    ]
    return candidate, row, tuple(warnings)


def _header(text: str) -> list[str]:
    """The column names: the first record with anything in it (the loader has checked it)."""
    for fields in csv.reader(io.StringIO(text, newline="")):
        if any(f.strip() for f in fields):
            return [f.strip() for f in fields]
    return []


def _with_columns(text: str, names: list[str]) -> str:
    """``text`` with the columns ``names`` added at the end: named in the header, empty on every row.

    Only a comma per new field (and the names, on the header) is inserted before
    each record's line ending, so every existing byte, quoting included, stays as
    it was.
    """
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(iter(lines), strict=True)
    ends = [reader.line_num - 1 for fields in reader if any(f.strip() for f in fields)]
    for k, index in enumerate(ends):
        line = lines[index]
        body = line.rstrip("\r\n")
        added = "".join(f",{name}" for name in names) if k == 0 else "," * len(names)
        lines[index] = body + added + line[len(body) :]
    return "".join(lines)


def csv_line(values: list[str], newline: str = "\n") -> str:
    """One CSV record of ``values``, ending with ``newline`` (the writer every appended row goes through)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerow(values)
    return buffer.getvalue()
