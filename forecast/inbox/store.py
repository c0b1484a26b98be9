"""The inbox: ``DATA/inbox/<question>.csv``, the candidates a forecaster accepts or rejects.

One row per item and indicator it may bear on, best first::

    id,question,indicator,score,published,url,title,quote,status,source,item

``status`` is ``new``, ``accepted`` or ``rejected``; ``item`` is the digest of the
item's text (:attr:`forecast.inbox.fetch.Item.digest`), by which an item already
seen under another address is known again. The file is rewritten whole,
atomically, under its own lock (:func:`forecast.inputs.append.held_lock`, as
``forecast evidence add`` writes a log), and its free text is written safe for a
spreadsheet (:func:`forecast.inputs.append.spreadsheet_safe`).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import EvidenceWriteError, InvalidInputError, Problem, display_path
from ..inputs.append import csv_line, held_lock, spreadsheet_safe
from ..inputs.questions import QUESTION_ID
from ..store import atomic_write_bytes, read_regular_text
from .match import Candidate

__all__ = [
    "INBOX_COLUMNS",
    "MAX_INBOX_BYTES",
    "STATUSES",
    "InboxError",
    "InboxRow",
    "add_candidates",
    "find_row",
    "inbox_path",
    "mark",
    "read_inbox",
    "set_status",
    "unreviewed_count",
]

INBOX_COLUMNS = (
    "id",
    "question",
    "indicator",
    "score",
    "published",
    "url",
    "title",
    "quote",
    "status",
    "source",
    "item",
)
STATUSES = ("new", "accepted", "rejected")
#: An inbox larger than this is refused (reject or accept what is in it, or start it again).
MAX_INBOX_BYTES = 64 << 20
_FREE_TEXT = ("url", "title", "quote", "source")


class InboxError(InvalidInputError):
    """An inbox file that cannot be read, or an id that is not in it."""


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One candidate of the inbox: an item that may bear on an indicator."""

    id: str
    question: str
    indicator: str
    score: float
    published: str
    url: str
    title: str
    quote: str
    status: str
    source: str
    item: str
    line: int = 0

    def values(self) -> list[str]:
        """The row's fields in :data:`INBOX_COLUMNS` order, as written."""
        return [
            self.id,
            self.question,
            self.indicator,
            f"{self.score:.4f}",
            self.published,
            *(spreadsheet_safe(getattr(self, name)) for name in ("url", "title", "quote")),
            self.status,
            spreadsheet_safe(self.source),
            self.item,
        ]


def inbox_path(data_dir: str | Path, question_id: str) -> Path:
    """``DATA/inbox/<question>.csv`` (:class:`InboxError` for an id that is not a question id)."""
    if not QUESTION_ID.match(str(question_id)):
        raise InboxError(
            [Problem(str(question_id), 0, "not a question id (lower-case letters, digits and '-')")]
        )
    return Path(data_dir) / "inbox" / f"{question_id}.csv"


def read_inbox(data_dir: str | Path, question_id: str) -> list[InboxRow]:
    """The inbox of a question, in file order (best first); empty if there is none.

    Raises
    ------
    InboxError
        The file is not a readable inbox; each problem located as ``FILE:LINE: message``.
    """
    path = inbox_path(data_dir, question_id)
    if not path.exists() and not path.is_symlink():
        return []
    shown = display_path(path)
    text = read_regular_text(path, MAX_INBOX_BYTES)
    if text is None:
        raise InboxError(
            [Problem(shown, 0, f"not a readable UTF-8 file of at most {MAX_INBOX_BYTES:,} bytes")]
        )
    return _parse(text.removeprefix("\ufeff"), shown)


def _unquoted(text: str) -> str:
    """A free-text field as it was before :func:`spreadsheet_safe` put a quote in front."""
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text


def _parse(text: str, shown: str) -> list[InboxRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[Problem] = []
    rows: list[InboxRow] = []
    header: list[str] | None = None
    ids: set[str] = set()
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header = [f.strip() for f in fields]
            missing = [c for c in INBOX_COLUMNS if c not in header]
            if missing:
                problems.append(
                    Problem(
                        shown, line, f"header lacks {', '.join(missing)}; expected {','.join(INBOX_COLUMNS)}"
                    )
                )
                break
            continue
        if len(fields) != len(header):
            problems.append(Problem(shown, line, f"expected {len(header)} fields, found {len(fields)}"))
            continue
        value = dict(zip(header, fields))
        try:
            score = float(value["score"])
        except ValueError:
            problems.append(Problem(shown, line, f"score {value['score']!r} is not a number"))
            continue
        if value["status"] not in STATUSES:
            problems.append(
                Problem(shown, line, f"status {value['status']!r}; expected one of {', '.join(STATUSES)}")
            )
            continue
        if value["id"] in ids:
            problems.append(Problem(shown, line, f"id {value['id']!r} is used twice"))
            continue
        ids.add(value["id"])
        rows.append(
            InboxRow(
                **{
                    c: _unquoted(value[c]) if c in _FREE_TEXT else value[c]
                    for c in INBOX_COLUMNS
                    if c != "score"
                },
                score=score,
                line=line,
            )
        )
    if problems:
        raise InboxError(problems)
    return rows


def _write(path: Path, rows: Sequence[InboxRow]) -> None:
    data = csv_line(list(INBOX_COLUMNS)) + "".join(csv_line(r.values()) for r in rows)
    try:
        atomic_write_bytes(os.path.realpath(path), data.encode("utf-8"))
    except OSError as exc:
        raise EvidenceWriteError(f"cannot write {display_path(path)}: {exc.strerror or exc}") from None


def _ranked(rows: Iterable[InboxRow]) -> list[InboxRow]:
    """Best first; among equal scores, the older row first."""
    rows = list(rows)
    return sorted(rows, key=lambda r: (-r.score, _number(r.id)))


def _number(row_id: str) -> int:
    digits = row_id.lstrip("c")
    return int(digits) if digits.isdigit() else 0


def add_candidates(
    data_dir: str | Path, question_id: str, candidates: Iterable[Candidate], *, lock_timeout: float = 60.0
) -> list[InboxRow]:
    """Add the candidates of items not seen before to the question's inbox; returns the rows added.

    An item is seen if the inbox has a row with its address or its text's digest,
    whatever that row's status: fetching again adds nothing.

    Raises
    ------
    InboxError
        The inbox is not readable (it is left as it was).
    EvidenceWriteError
        It could not be locked or written.
    """
    path = inbox_path(data_dir, question_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with held_lock(path, lock_timeout):
        rows = read_inbox(data_dir, question_id)
        seen_urls = {r.url for r in rows if r.url}
        seen_items = {r.item for r in rows}
        taken = {(r.item, r.indicator) for r in rows}
        next_number = max((_number(r.id) for r in rows), default=0) + 1
        added: list[InboxRow] = []
        for c in candidates:
            item, digest = c.item, c.item.digest
            if (item.url and item.url in seen_urls) or digest in seen_items or (digest, c.indicator) in taken:
                continue
            added.append(
                InboxRow(
                    id=f"c{next_number:04d}",
                    question=question_id,
                    indicator=c.indicator,
                    score=c.score,
                    published="" if item.published is None else item.published.isoformat(),
                    url=item.url,
                    title=item.title,
                    quote=c.quote,
                    status="new",
                    source=item.source,
                    item=digest,
                )
            )
            next_number += 1
            taken.add((digest, c.indicator))
        if added:
            _write(path, _ranked([*rows, *added]))
    return added


def set_status(
    data_dir: str | Path, question_id: str, row_id: str, status: str, *, lock_timeout: float = 60.0
) -> InboxRow:
    """Mark one candidate ``accepted`` or ``rejected`` (or ``new`` again); returns it as it now reads.

    Raises
    ------
    InboxError
        No row has that id, or the inbox is not readable.
    """
    if status not in STATUSES:
        raise ValueError(f"status {status!r}; expected one of {', '.join(STATUSES)}")
    path = inbox_path(data_dir, question_id)
    with held_lock(path, lock_timeout):
        return mark(data_dir, question_id, row_id, status)


def mark(data_dir: str | Path, question_id: str, row_id: str, status: str) -> InboxRow:
    """:func:`set_status` for a caller that already holds the inbox's lock."""
    path = inbox_path(data_dir, question_id)
    rows = read_inbox(data_dir, question_id)
    found = find_row(rows, row_id, path)
    changed = replace(found, status=status)
    if changed != found:
        _write(path, [changed if r.id == row_id else r for r in rows])
    return changed


def find_row(rows: Sequence[InboxRow], row_id: str, path: Path) -> InboxRow:
    """The row with id ``row_id`` (:class:`InboxError` naming the inbox if there is none)."""
    for row in rows:
        if row.id == row_id:
            return row
    raise InboxError(
        [Problem(display_path(path), 0, f"no candidate with id {row_id!r}; 'forecast inbox list' shows them")]
    )


def unreviewed_count(data_dir: str | Path, question_id: str) -> int:
    """How many items have a candidate still ``new`` in the question's inbox (an item counts once).

    An inbox that cannot be read counts 0: the inbox never stops a report.
    """
    try:
        rows = read_inbox(data_dir, question_id)
    except InboxError:
        return 0
    return len({r.item for r in rows if r.status == "new"})
