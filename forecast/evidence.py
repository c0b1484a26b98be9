"""Appending a report to a question's evidence log, safely.

``forecast evidence add`` is the one command that changes a user's data, and
only by appending a row: the row is validated against the question and the
whole log as it would read afterwards, then the log is replaced atomically
under a lock, so a refused row leaves the file byte-for-byte as it was and two
concurrent appends both land.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
import tempfile
from pathlib import Path

from .errors import EvidenceFileError, Problem, display_path
from .load import (
    EVIDENCE_COLUMNS,
    QUESTION_ID,
    _Located,
    _parse_evidence,
    evidence_path,
    load_question,
    question_path,
)
from .model import EvidenceRow
from .store import atomic_write_bytes

__all__ = ["append_evidence", "next_row_id"]

_NUMBERED = re.compile(r"^(.*?)(\d+)$")


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


def _lock_for(path: Path):
    from filelock import FileLock

    # The lock lives outside DATA, so that nothing but the log itself is ever written there.
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:24]
    return FileLock(str(Path(tempfile.gettempdir()) / f"forecast-evidence-{digest}.lock"))


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
        For the warning about rows dated in the future.

    Returns
    -------
    (EvidenceRow, tuple of Problem)
        The row as it now stands in the log, and any warnings about it.

    Raises
    ------
    QuestionFileError
        The question file is missing or invalid.
    EvidenceFileError
        The row (or the existing log) is invalid; the log is unchanged.
    """
    if not QUESTION_ID.match(question_id):
        raise EvidenceFileError(
            [Problem(question_id, 0, "not a question id (lower-case letters, digits and '-')")]
        )
    question = load_question(question_path(data_dir, question_id))
    path = evidence_path(data_dir, question_id)
    fields = {
        "date": date,
        "indicator": indicator,
        "observed": observed,
        "source": source,
        "reliability": reliability,
        "credibility": str(credibility),
        "url": url,
        "summary": summary,
    }
    with _lock_for(path).acquire(timeout=lock_timeout):
        raw = path.read_bytes() if path.exists() else b""
        text = raw.decode("utf-8-sig") if raw else ""
        where = _Located(display_path(path))
        if text.strip():
            existing = _parse_evidence(text, question, where, today or datetime.date.today())
            header = next(csv.reader(io.StringIO(text, newline="")))
            header = [h.strip() for h in header]
            ids = [r.id for r in existing.rows]
            newline = "\r\n" if b"\r\n" in raw else "\n"
            prefix = raw if raw.endswith((b"\n", b"\r")) else raw + newline.encode()
        else:
            header, ids, newline = [*EVIDENCE_COLUMNS, *(extra or {})], [], "\n"
            prefix = _csv_line(header, newline).encode("utf-8")
        unknown = [k for k in extra or {} if k not in header]
        if unknown:
            raise EvidenceFileError(
                [
                    Problem(
                        display_path(path),
                        1,
                        f"column {k!r} is not in the log's header ({', '.join(header)}); "
                        "add it to the header first",
                    )
                    for k in unknown
                ]
            )
        values = {"id": next_row_id(ids), **(extra or {}), **fields}
        line = _csv_line([values.get(h, "") for h in header], newline).encode("utf-8")
        candidate = prefix + line
        check = _Located(display_path(path))
        log = _parse_evidence(candidate.decode("utf-8-sig"), question, check, today or datetime.date.today())
        row = log.rows[-1]
        new_line_warnings = tuple(p for p in log.warnings if p.line == row.line)
        atomic_write_bytes(path, candidate)
    return row, new_line_warnings


def _csv_line(values: list[str], newline: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerow(values)
    return buffer.getvalue()
