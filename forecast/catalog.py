"""Each question's catalog: one line per published report, so that history costs a run nothing.

``OUT/<question>/catalog.jsonl`` lists a question's reports with what the index,
the history page and :func:`forecast.history` need of each: its date, its
probabilities, its moves and alerts, its leading scenario, its title and
scenario names, its resolution. Those readers then open one small file per
question instead of one summary per report.

The format, one JSON object a line::

    {"catalog":1,"question":"russia-syria-bases"}
    {"check":"<16 hex>","entry":{"as_of":"2025-02-20","stamp":[size,mtime_ns],...}}

``check`` is the first 16 hex digits of the SHA-256 of the ``entry`` text as
written, and ``stamp`` is the size and modification time of the report's
``summary.json`` when the entry was made from it (the quick check of rsync and
make: a copy that keeps times, such as ``cp -p`` or a backup, keeps it too). A line whose check fails (cut short, edited by
hand) is not trusted: its report is read again from its summary. Lines may come
in any order; of two with the same date, the later one stands (a rerun of a day
appends its new entry).

The catalog is never the record: the summaries are. It is brought up to date
whenever it is read, from the question folder's listing (report folders added,
copied in or deleted) and, where the reader asks, each summary's stamp (a
summary replaced or edited). Only what changed is read again; a catalog that is
missing, not a regular file or not a catalog at all is rebuilt from the
summaries. Each repair is said in :attr:`Catalog.notes`.

It is written only under the question's lock (:func:`forecast.store.question_lock`):
by the job that publishes a report, which appends the report's line, and by the
index, which saves a repair when the question's lock is free. Appends are a
single ``write`` of a whole line; a reader that meets a last line still being
written takes it as cut short and reads that report's summary instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .store import (
    PUBLISHED_STAMP,
    SUMMARY,
    LinkInOut,
    atomic_write_text,
    finite_number,
    peek_summary,
    question_lock,
    read_regular_text,
    refuse_links,
    report_dir,
    report_listing,
    revision_dir,
)

__all__ = [
    "CATALOG",
    "CATALOG_VERSION",
    "Catalog",
    "CatalogEntry",
    "RevisionEntry",
    "entry_from_summary",
    "mark_checked",
    "read_catalog",
    "refresh_catalog",
    "update_catalog",
]

#: The catalog's file name, in each question's folder.
CATALOG = "catalog.jsonl"
#: The version of the catalog's format, in its first line.
CATALOG_VERSION = 1
_CHECK_DIGITS = 16
_LINE_HEAD = '{"check":"'
_ENTRY_HEAD = '","entry":'
_BODY_START = len(_LINE_HEAD) + _CHECK_DIGITS + len(_ENTRY_HEAD)
_DATE_HEAD = '{"as_of":"'
_STAMP_HEAD = '","stamp":['
_KEPT_HEAD = '],"kept":['
_NO_CATALOG = f"there was no {CATALOG}"

Stamp = tuple[int, int]


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class RevisionEntry:
    """An earlier revision of a report, kept as it was published in ``OUT/<question>/<as_of>@r<n>/``."""

    revision: int
    #: When it was published (UTC, ISO 8601), where recorded.
    published: str | None
    probabilities: Mapping[str, float]
    #: Why it differs from the revision before it, in words (none for the first publication).
    causes: tuple[str, ...]
    alert: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "published": self.published,
            "probabilities": dict(self.probabilities),
            "causes": list(self.causes),
            "alert": self.alert,
        }

    @classmethod
    def from_json(cls, data: Any) -> RevisionEntry:
        published = data["published"]
        return cls(
            revision=_revision(data["revision"]),
            published=None if published is None else _text(published),
            probabilities=_frozen({str(s): _probability(p) for s, p in data["probabilities"].items()}),
            causes=tuple(_text(c) for c in data["causes"]),
            alert=_boolean(data["alert"]),
        )


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One report of a question, as its catalog line holds it.

    ``moves`` and ``alert`` are the report's own: against the report it compared
    with when it was made (``None`` and ``False`` for a report that had none).
    """

    as_of: date
    #: ``summary.json``'s size and modification time (ns) when the entry was made from it.
    stamp: Stamp
    probabilities: Mapping[str, float]
    #: The scenarios in the question file's order.
    order: tuple[str, ...]
    leading: str
    moves: Mapping[str, float] | None
    alert: bool
    title: str
    names: Mapping[str, str]
    labels: Mapping[str, str]
    threshold: float
    #: The scenario the question resolved to and its date, when the report knew it.
    resolved: str | None = None
    resolution_date: str | None = None
    #: Whether the summary, as stamped, was checked against its schema (by the job that published
    #: it, or by the index that read it): a reader that finds the same stamp need not check it again.
    checked: bool = False
    #: The numbers of the date's kept revisions (``<as_of>@r<n>/``) listed when the entry was made.
    kept: tuple[int, ...] = ()
    #: Which publication of the date this report is (1 for the first), when it was published (UTC,
    #: where recorded) and why it differs from the revision before it (docs/record.md).
    revision: int = 1
    published: str | None = None
    causes: tuple[str, ...] = ()
    #: The date's earlier revisions, oldest first, as kept.
    earlier: tuple[RevisionEntry, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The entry as its line's ``entry`` object (``as_of`` first, then ``stamp``, then ``kept``)."""
        return {
            "as_of": self.as_of.isoformat(),
            "stamp": list(self.stamp),
            "kept": list(self.kept),
            "probabilities": dict(self.probabilities),
            "order": list(self.order),
            "leading": self.leading,
            "moves": None if self.moves is None else dict(self.moves),
            "alert": self.alert,
            "title": self.title,
            "names": dict(self.names),
            "labels": dict(self.labels),
            "threshold": self.threshold,
            "resolved": self.resolved,
            "resolution_date": self.resolution_date,
            "checked": self.checked,
            "revision": self.revision,
            "published": self.published,
            "causes": list(self.causes),
            "earlier": [e.as_json() for e in self.earlier],
        }

    def revisions(self) -> list[RevisionEntry]:
        """Every revision of the date, oldest first, this one (the latest) last."""
        return [
            *self.earlier,
            RevisionEntry(self.revision, self.published, self.probabilities, self.causes, self.alert),
        ]

    @classmethod
    def from_json(cls, data: Any) -> CatalogEntry:
        """The entry a line's ``entry`` object holds; ``ValueError`` if it is not one."""
        try:
            probabilities = {str(s): _probability(p) for s, p in data["probabilities"].items()}
            order = tuple(str(s) for s in data["order"])
            if sorted(order) != sorted(probabilities) or not probabilities:
                raise ValueError("order")
            moves = data["moves"]
            return cls(
                as_of=date.fromisoformat(data["as_of"]),
                stamp=_stamp(data["stamp"]),
                probabilities=_frozen(probabilities),
                order=order,
                leading=_one_of(data["leading"], probabilities),
                moves=None if moves is None else _frozen({str(s): _finite(v) for s, v in moves.items()}),
                alert=_boolean(data["alert"]),
                title=_text(data["title"]),
                names=_frozen({str(k): _text(v) for k, v in data["names"].items()}),
                labels=_frozen({str(k): _text(v) for k, v in data["labels"].items()}),
                threshold=_threshold(data["threshold"]),
                resolved=None if data["resolved"] is None else _text(data["resolved"]),
                resolution_date=None if data["resolution_date"] is None else _text(data["resolution_date"]),
                checked=_boolean(data["checked"]),
                # A line written before revisions were kept: the first publication, none kept.
                kept=tuple(_revision(n) for n in data.get("kept", ())),
                revision=_revision(data.get("revision", 1)),
                published=None if data.get("published") is None else _text(data["published"]),
                causes=tuple(_text(c) for c in data.get("causes", ())),
                earlier=tuple(RevisionEntry.from_json(e) for e in data.get("earlier", ())),
            )
        except (KeyError, TypeError, AttributeError, OverflowError) as exc:
            raise ValueError(f"not a catalog entry: {exc}") from None

    def line(self) -> str:
        """The entry's line in the catalog, with its check, ending in a newline."""
        # ASCII, every other character escaped: a title with a lone surrogate still hashes and writes.
        body = json.dumps(self.as_json(), ensure_ascii=True, separators=(",", ":"), allow_nan=False)
        return f"{_LINE_HEAD}{_check(body)}{_ENTRY_HEAD}{body}}}\n"


def _check(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:_CHECK_DIGITS]


def _finite(value: Any) -> float:
    number = finite_number(value)
    if number is None:
        raise ValueError(f"not a finite number: {value!r}")
    return number


def _threshold(value: Any) -> float:
    number = _finite(value)
    if number < 0:  # a move of at least a negative number of points: every report an alert, and no rule
        raise ValueError(f"not a threshold of at least 0 points: {value!r}")
    return number


def _probability(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"not a probability: {value!r}")
    return float(value)


def _stamp(value: Any) -> Stamp:
    if not isinstance(value, list) or len(value) != 2 or not all(type(v) is int for v in value):
        raise ValueError(f"not a stamp: {value!r}")
    return (value[0], value[1])


def _revision(value: Any) -> int:
    if type(value) is not int or value < 1:
        raise ValueError(f"not a revision number: {value!r}")
    return value


def _one_of(value: Any, options: Mapping[str, Any]) -> str:
    if value not in options:
        raise ValueError(f"{value!r} is not a scenario")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"not true or false: {value!r}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"not text: {value!r}")
    return value


def _stamp_of(path: Path) -> Stamp | None:
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return (status.st_size, status.st_mtime_ns)


def entry_from_summary(as_of: date, data: Mapping[str, Any], stamp: Stamp, question_id: str) -> CatalogEntry:
    """The catalog entry of a report from its summary, as :func:`forecast.store.peek_summary` reads it.

    Keys a summary lacks, or holds in a shape an older version wrote, take the
    defaults a listing gives them: the scenarios by id, the leading one by
    probability, the question id as title, no moves, no alert.
    """
    probabilities = data["probabilities"]
    order = data.get("scenario_order")
    order = [str(s) for s in order] if isinstance(order, list) else []
    if sorted(order) != sorted(probabilities):
        order = sorted(probabilities)
    moves = data.get("moves")
    if isinstance(moves, dict):
        moves = {str(s): m for s, v in moves.items() if (m := finite_number(v)) is not None}
    else:
        moves = None
    leading = data.get("leading")
    if leading not in probabilities:
        leading = max(order, key=probabilities.get)
    alert = data.get("alert")
    alert = alert if isinstance(alert, bool) else bool(data.get("alerts"))
    title = data.get("title") if isinstance(data.get("title"), str) else question_id
    resolution = data.get("resolution")
    resolved = resolution_date = None
    if isinstance(resolution, dict) and isinstance(resolution.get("scenario"), str):
        resolved = resolution["scenario"]
        resolution_date = resolution.get("date") if isinstance(resolution.get("date"), str) else None
    threshold = finite_number(data.get("alert_threshold"))
    threshold = threshold if threshold is not None and threshold >= 0 else 10.0

    def texts(key: str) -> dict[str, str]:
        value = data.get(key)
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    revision = data.get("revision")
    revision = revision if type(revision) is int and revision >= 1 else 1
    revises = data.get("revises")
    causes = revises.get("causes") if isinstance(revises, dict) else None
    causes = tuple(str(c) for c in causes) if isinstance(causes, list) else ()

    return CatalogEntry(
        as_of=as_of,
        stamp=stamp,
        probabilities=_frozen(probabilities),
        order=tuple(order),
        leading=str(leading),
        moves=None if moves is None else _frozen(moves),
        alert=alert,
        title=title,
        names=_frozen(texts("scenario_names")),
        labels=_frozen(texts("scenario_labels")),
        threshold=threshold,
        resolved=resolved,
        resolution_date=resolution_date,
        revision=revision,
        causes=causes,
    )


def _published(folder: Path) -> str | None:
    """When the report in ``folder`` was published (its ``published.txt``), or ``None``."""
    text = read_regular_text(folder / PUBLISHED_STAMP, limit=200)
    text = None if text is None else text.strip()
    return text if text and len(text) == 20 and text.isascii() and text.endswith("Z") else None


def _entry_from_disk(
    path: Path, question_id: str, as_of: date, kept: tuple[int, ...] = ()
) -> CatalogEntry | None:
    """A report's entry read from its ``summary.json`` at ``path``; ``None`` when it cannot be read.

    The stamp is taken before the summary is read: a summary replaced in between
    leaves an older stamp, so the next check reads it again rather than missing it.
    The date's kept revisions ``kept`` are read too (a kept one that cannot be read is left out).
    """
    stamp = _stamp_of(path)
    data = peek_summary(path) if stamp is not None else None
    if data is None:
        return None
    try:
        entry = entry_from_summary(as_of, data, stamp, question_id)
    except Exception:  # any summary someone put in OUT: unreadable, never a crash
        return None
    earlier = []
    out_dir = path.parent.parent.parent
    for n in kept:
        folder = revision_dir(out_dir, question_id, as_of, n)
        old = peek_summary(folder / SUMMARY)
        if old is None:
            continue
        try:
            made = entry_from_summary(as_of, old, (0, 0), question_id)
        except Exception:
            continue
        earlier.append(RevisionEntry(n, _published(folder), made.probabilities, made.causes, made.alert))
    return replace(entry, kept=kept, published=_published(path.parent), earlier=tuple(earlier))


@dataclass
class _Line:
    """A line of the file: its check verified, and its entry parsed, only when its entry is asked for."""

    as_of: date
    body: str
    text: str
    verified: bool
    stamp: Stamp | None = None
    entry: CatalogEntry | None = None

    def parsed(self) -> CatalogEntry | None:
        """The line's entry; ``None`` if its text does not match its check. ``ValueError`` if it is no entry."""
        if self.entry is None:
            if not self.verified and self.text[len(_LINE_HEAD) : len(_LINE_HEAD) + _CHECK_DIGITS] != _check(
                self.body
            ):
                return None
            self.verified = True
            try:
                data = json.loads(self.body)
            except RecursionError:
                raise ValueError("nested too deeply") from None
            self.entry = CatalogEntry.from_json(data)
        return self.entry

    def recorded_kept(self) -> tuple[int, ...] | None:
        """The kept revisions as written, read off the line without parsing it (``()``: a line without them)."""
        start = len(_DATE_HEAD) + 10 + len(_STAMP_HEAD)
        end = self.body.find("]", start)
        if end < 0 or self.body[len(_DATE_HEAD) + 10 : start] != _STAMP_HEAD:
            return None
        if self.body[end : end + len(_KEPT_HEAD)] != _KEPT_HEAD:
            return ()
        close = self.body.find("]", end + len(_KEPT_HEAD))
        listed = self.body[end + len(_KEPT_HEAD) : close]
        try:
            return tuple(int(n) for n in listed.split(",")) if listed else ()
        except ValueError:
            return None

    def recorded_stamp(self) -> Stamp | None:
        """The stamp as written, read off the line without parsing it (``None``: not in the usual place)."""
        if self.stamp is None:
            start = len(_DATE_HEAD) + 10 + len(_STAMP_HEAD)
            if self.body[len(_DATE_HEAD) + 10 : start] != _STAMP_HEAD:
                return None
            end = self.body.find("]", start)
            try:
                self.stamp = _stamp([int(v) for v in self.body[start:end].split(",")])
            except ValueError:
                return None
        return self.stamp


@dataclass
class Catalog:
    """A question's catalog as read, brought up to date with its report folders.

    What did not match the file is listed (``problems`` with the file itself,
    report folders ``added``, ``changed`` or ``gone``) and said in :attr:`notes`;
    ``dirty`` is whether the file should be rewritten to match.
    """

    question: str
    path: Path
    _lines: dict[date, _Line | CatalogEntry] = field(default_factory=dict)
    #: What was wrong with the file itself (missing, not a catalog, lines that fail their check).
    problems: list[str] = field(default_factory=list)
    #: Reports not in the file, whose summaries changed since, and in the file but no longer on disk.
    added: list[date] = field(default_factory=list)
    changed: list[date] = field(default_factory=list)
    gone: list[date] = field(default_factory=list)
    #: Lines whose check failed (edited by hand, or damaged): their reports were read from the summaries.
    bad_lines: int = 0
    #: Whether the file was usable at all (else every entry was read from the summaries).
    rebuilt: bool = False
    dirty: bool = False
    #: Report folders whose summary cannot be read (they have no entry).
    unreadable: list[date] = field(default_factory=list)
    #: Each date's kept revisions, as listed (``<as_of>@r<n>/``).
    kept: dict[date, tuple[int, ...]] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """What was repaired, in words (empty when the file was in step with the reports)."""
        notes = list(self.problems)
        if self.bad_lines:
            n = self.bad_lines
            notes.insert(
                0,
                f"{n} line{'s' * (n != 1)} of {CATALOG} did not match {'their' if n != 1 else 'its'} check "
                "(edited by hand?)",
            )
        if self.rebuilt:
            if notes:
                notes[-1] += (
                    f": rebuilt from {len(self._lines)} summar{'ies' if len(self._lines) != 1 else 'y'}"
                )
            return notes
        for dates, what in (
            (self.added, "not in the catalog, read from {its} summar{y}"),
            (self.changed, "whose summar{y} changed since catalogued, read again"),
            (self.gone, "catalogued but no longer there, dropped"),
        ):
            if dates:
                one = len(dates) == 1
                notes.append(
                    f"{_reports(len(dates))} "
                    + what.format(its="its" if one else "their", y="y" if one else "ies")
                )
        return notes

    def dates(self) -> list[date]:
        """The dates of the question's reports with a readable summary, oldest first."""
        return sorted(self._lines)

    def entry(self, as_of: date) -> CatalogEntry | None:
        """The report of ``as_of``; its summary is read instead when its line does not parse."""
        item = self._lines.get(as_of)
        if isinstance(item, _Line):
            try:
                item = item.parsed()
            except ValueError:
                return self._reread(as_of, self.changed)
            if item is None:  # its check failed
                self.bad_lines += 1
                return self._reread(as_of, [])
            self._lines[as_of] = item
        return item

    def entries(self) -> list[CatalogEntry]:
        """Every report, oldest first."""
        return [e for e in (self.entry(d) for d in self.dates()) if e is not None]

    def __len__(self) -> int:
        return len(self._lines)

    def fresh(self, as_of: date) -> CatalogEntry | None:
        """The entry of ``as_of`` once its summary's stamp is checked: read again if the summary changed."""
        item = self._lines.get(as_of)
        if item is None:
            return None
        recorded = item.recorded_stamp() if isinstance(item, _Line) else item.stamp
        if recorded is not None and recorded == _stamp_of(self._summary(as_of)):
            return self.entry(as_of)
        return self._reread(as_of, self.changed)

    def text(self) -> str:
        """The file that matches this catalog: the header, then every entry by date."""
        header = json.dumps({"catalog": CATALOG_VERSION, "question": self.question}, separators=(",", ":"))
        lines = []
        for as_of in self.dates():
            item = self._lines[as_of]
            if isinstance(item, _Line) and item.entry is None and item.verified:
                lines.append(item.text)  # as it was: its check held
            else:
                entry = self.entry(as_of)
                if entry is not None:
                    lines.append(entry.line())
        return header + "\n" + "".join(lines)

    def _summary(self, as_of: date) -> Path:
        return report_dir(self.path.parent.parent, self.question, as_of) / SUMMARY

    def _reread(self, as_of: date, kind: list[date]) -> CatalogEntry | None:
        """Read the report of ``as_of`` from its summary, counting it as ``kind`` (added or changed)."""
        entry = _entry_from_disk(self._summary(as_of), self.question, as_of, self.kept.get(as_of, ()))
        had_line = self._lines.pop(as_of, None) is not None or kind is self.changed
        if entry is None:
            self.unreadable.append(as_of)
            # A folder without a readable summary has no line: it is news only if it had one.
            if had_line:
                self.dirty = True
                kind.append(as_of)
            return None
        self._lines[as_of] = entry
        self.dirty = True
        kind.append(as_of)
        return entry


def _parse_file(text: str, question_id: str, verify: bool) -> tuple[dict[date, _Line], int, bool] | None:
    """A catalog file's lines by date, how many failed their check, and whether the last was cut short.

    ``None`` if the file is no catalog of the question. Each line's check is verified
    here when ``verify``, else when its entry is first asked for (:meth:`_Line.parsed`).
    """
    lines = text.split("\n")
    try:
        header = json.loads(lines[0])
    except ValueError:
        header = None
    if not (
        isinstance(header, dict)
        and header.get("catalog") == CATALOG_VERSION
        and header.get("question") == question_id
    ):
        return None
    parsed: dict[date, _Line] = {}
    bad = 0
    # The text after the last newline is a line cut short (or still being appended): not counted.
    rest = lines[1:]
    whole, cut = (rest[:-1], rest[-1]) if rest else ([], "")
    for line in whole:
        if not line:
            continue
        body = line[_BODY_START:-1]
        if (
            not line.startswith(_LINE_HEAD)
            or line[_BODY_START - len(_ENTRY_HEAD) : _BODY_START] != _ENTRY_HEAD
            or not line.endswith("}")
            or not body.startswith(_DATE_HEAD)
            or (verify and line[len(_LINE_HEAD) : len(_LINE_HEAD) + _CHECK_DIGITS] != _check(body))
        ):
            bad += 1
            continue
        try:
            as_of = date.fromisoformat(body[len(_DATE_HEAD) : len(_DATE_HEAD) + 10])
        except ValueError:
            bad += 1
            continue
        parsed[as_of] = _Line(as_of, body, line + "\n", verified=verify)
    return parsed, bad, bool(cut)


def _reports(n: int) -> str:
    return f"{n} report{'s' * (n != 1)}"


def read_catalog(out_dir: str | Path, question_id: str, *, stamps: bool = True) -> Catalog:
    """A question's catalog, brought up to date with its report folders (nothing is written).

    Parameters
    ----------
    out_dir : str or Path
        The output folder (OUT).
    question_id : str
        The question.
    stamps : bool
        Check every report's ``summary.json`` against the stamp its entry was made
        from, and read again those that changed (a ``stat`` per report). Without it
        only the folder's listing is compared: folders added or deleted are noticed,
        a summary changed in place only when :meth:`Catalog.fresh` checks its entry.

    Returns
    -------
    Catalog
        Every report whose summary can be read; ``notes`` says what was repaired.
    """
    out_dir = Path(out_dir)
    catalog = Catalog(question_id, out_dir / question_id / CATALOG)
    on_disk, catalog.kept = report_listing(out_dir, question_id)
    link = os.path.islink(catalog.path)
    text = None if link else read_regular_text(catalog.path)
    parsed = None if text is None else _parse_file(text, question_id, verify=stamps)
    if parsed is None:
        lines: dict[date, _Line] = {}
        catalog.rebuilt = bool(on_disk)
        if link:  # not read, and never written through (see forecast.store.refuse_links)
            catalog.problems.append(str(LinkInOut(CATALOG)))
        elif text is not None:
            catalog.problems.append(f"{CATALOG} is not a version-{CATALOG_VERSION} catalog of this question")
        elif os.path.lexists(catalog.path):
            catalog.problems.append(f"{CATALOG} is not a readable regular file")
        elif on_disk:
            catalog.problems.append(_NO_CATALOG)
    else:
        lines, catalog.bad_lines, cut = parsed
        if cut:
            catalog.problems.append(f"the last line of {CATALOG} was cut short")
    on_disk_set = set(on_disk)
    catalog.gone = sorted(d for d in lines if d not in on_disk_set)
    for as_of in on_disk:
        line = lines.get(as_of)
        if line is None:
            catalog._reread(as_of, catalog.added)
        elif (
            # A revision kept (or one deleted) since, from the listing; a summary replaced, from its stamp.
            line.recorded_kept() != catalog.kept.get(as_of, ())
            or (stamps and line.recorded_stamp() != _stamp_of(catalog._summary(as_of)))
        ):
            catalog._reread(as_of, catalog.changed)
        else:
            catalog._lines[as_of] = line
    catalog.dirty = bool(
        catalog.problems or catalog.bad_lines or catalog.added or catalog.changed or catalog.gone
    )
    return catalog


def update_catalog(out_dir: str | Path, question_id: str, published: date | None = None) -> Catalog:
    """Bring a question's catalog file up to date; call only while holding the question's lock.

    ``published`` is the date of the report just published, whose summary its job
    checked against the schema: when it is all that differs from the file, its entry
    is appended as one line (marked checked) and no note is made.
    Anything else is repaired by rewriting the file atomically, and said in the
    returned catalog's :attr:`~Catalog.notes`.
    """
    catalog = read_catalog(out_dir, question_id)
    if published is not None and catalog.problems == [_NO_CATALOG] and set(catalog.added) == {published}:
        # A question's first report: its catalog starts with it, which is no repair.
        catalog.problems, catalog.rebuilt = [], False
    if published is not None and published in catalog.added + catalog.changed:
        # The report just published is expected news, not a repair; its job checked its summary.
        catalog.added = [d for d in catalog.added if d != published]
        catalog.changed = [d for d in catalog.changed if d != published]
        entry = catalog.entry(published)
        if entry is not None:
            entry = replace(entry, checked=True)
            catalog._lines[published] = entry
        if (
            not (
                catalog.problems
                or catalog.bad_lines
                or catalog.added
                or catalog.changed
                or catalog.gone
                or catalog.rebuilt
            )
            and entry is not None
            and _append(Path(out_dir), catalog.path, entry.line())
        ):
            catalog.dirty = False
            return catalog
    if catalog.dirty:
        atomic_write_text(catalog.path, catalog.text(), within=out_dir)
        catalog.dirty = False
    return catalog


def _append(out_dir: Path, path: Path, line: str) -> bool:
    """Append ``line`` to the catalog in one ``write``; ``False`` if it is not a regular file to append to.

    A link, at the catalog or on the way to it, is never appended through (``False``).
    """
    flags = os.O_RDWR | os.O_APPEND | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        refuse_links(out_dir, path)
        fd = os.open(path, flags)
    except OSError:
        return False
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            return False
        if status.st_size and os.pread(fd, 1, status.st_size - 1) != b"\n":
            return False  # the last line is cut short: appending would spoil this one too
        data = line.encode("utf-8")
        return os.write(fd, data) == len(data)
    except OSError:
        return False
    finally:
        os.close(fd)


def refresh_catalog(out_dir: str | Path, question_id: str) -> Catalog:
    """A question's catalog for the index: checked by its listing, and saved if repaired and its lock is free.

    Only the folder's listing is compared (see :func:`read_catalog`). A catalog that
    had to be repaired is brought up to date on disk (:func:`update_catalog`) when the
    question's lock can be taken at once; a job at work on the question will do it
    itself, and meanwhile the repair read here serves.
    """
    catalog = read_catalog(out_dir, question_id, stamps=False)
    if not catalog.dirty:
        return catalog
    with _lock_if_free(out_dir, question_id) as free:
        if free:
            try:
                return update_catalog(out_dir, question_id)
            except OSError:  # OUT cannot be written: the repair serves this read
                pass
    return catalog


def mark_checked(out_dir: str | Path, entry: CatalogEntry, question_id: str) -> bool:
    """Record that ``entry``'s summary, as stamped, matched its schema: its line is appended again, checked.

    Done only when the question's lock can be taken at once and the summary's stamp
    is still the entry's; the later line stands, so readers need not check it again.
    Returns whether it was recorded.
    """
    out_dir = Path(out_dir)
    path = report_dir(out_dir, question_id, entry.as_of) / SUMMARY
    with _lock_if_free(out_dir, question_id) as free:
        return (
            free
            and _stamp_of(path) == entry.stamp
            and _append(out_dir, out_dir / question_id / CATALOG, replace(entry, checked=True).line())
        )


@contextlib.contextmanager
def _lock_if_free(out_dir: str | Path, question_id: str) -> Iterator[bool]:
    """The question's lock, taken without waiting: ``True`` while held, ``False`` if another job has it."""
    from filelock import Timeout

    lock = question_lock(out_dir, question_id)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
