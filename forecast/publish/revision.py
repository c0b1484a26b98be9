"""The record of every publication: what a report was made from, and why a revision differs from the one before.

A report published for a (question, as-of date) that already has one is a
**revision** of it (docs/record.md). This module holds what that takes:

- :class:`Inputs`, the digests of the inputs a report was made from (each evidence
  report's id and content digest, the question file, each analyst's judgment file,
  the temper and the pool's extremizing, the suite's version), written beside the
  report as ``inputs.json``;
- the question's ledger of when each evidence report (id and content digest) was
  first seen, ``OUT/<question>/evidence-seen.jsonl``, so that a backfill (a report
  dated before an earlier publication, first seen after it) is known as one;
- :func:`causes`, which compares a report's inputs with those of the revision
  before and says, in words, what changed;
- :func:`same_numbers`, which decides whether a rerun changed anything published.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..inputs.judgments import judgment_paths
from ..inputs.validate import question_path
from ..model import EvidenceLog, EvidenceRow, Question
from ..store import INPUTS_RECORD, SEEN_LEDGER, append_text, read_json, read_regular_text

__all__ = [
    "NOT_NUMBERS",
    "NO_INPUT_CHANGED",
    "Cause",
    "Inputs",
    "causes",
    "file_sha256",
    "gather_inputs",
    "read_inputs",
    "read_seen",
    "record_seen",
    "revised_line",
    "row_digest",
    "same_numbers",
    "utc_now",
]

#: The version of ``inputs.json``.
INPUTS_VERSION = 1
#: Hex digits of an evidence report's content digest.
_ROW_DIGITS = 16
#: Between the fields of a row, for its digest.
_SEPARATOR = "\x1f"
#: How many reports a cause names before it counts the rest.
_NAMED = 5

#: Keys of ``summary.json`` that are not what a report published but how it compares with others (and the
#: threshold it alerts at), or what its revision is: a rerun that differs only in these publishes nothing new.
NOT_NUMBERS = frozenset(
    {
        "revision",
        "revises",
        "previous",
        "changes",
        "moves",
        "alert",
        "alerts",
        "alert_threshold",
        "inbox_unreviewed",
        "schema_version",
    }
)


def utc_now() -> str:
    """The time now, UTC, as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def row_digest(row: EvidenceRow) -> str:
    """The digest of one evidence report's content: every field of its row (its line number aside).

    BLAKE2b of 8 bytes, in hex, over the fields joined by the unit separator (U+001F),
    its extra columns last as ``name=value`` in name order: a 100,000-report log is
    digested in a fraction of a second.

    Examples
    --------
    >>> from datetime import date
    >>> row = EvidenceRow("t1", date(2025, 1, 2), "talks", True, "Reuters", "B", 2)
    >>> len(row_digest(row)), row_digest(row) == row_digest(row)
    (16, True)
    """
    parts = [
        row.id, row.date.isoformat(), row.indicator, "yes" if row.observed else "no", row.source,
        row.reliability, str(row.credibility), row.url, row.summary,
    ]  # fmt: skip
    if row.extra:
        parts.extend(f"{k}={v}" for k, v in sorted(row.extra.items()))
    text = _SEPARATOR.join(parts).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(text, digest_size=_ROW_DIGITS // 2).hexdigest()


@dataclass(frozen=True)
class Inputs:
    """The digests of what a report was made from, as ``inputs.json`` holds them."""

    #: The suite's version.
    forecast: str
    #: SHA-256 of the question file's bytes (``None``: it could not be read).
    question_file: str | None
    #: Analyst name to the SHA-256 of their judgment file.
    judgments: Mapping[str, str]
    temper: float
    extremize: float
    #: Evidence report id to (content digest, its date).
    evidence: Mapping[str, tuple[str, str]]
    #: When these inputs were read (UTC): the first sight of any report the ledger has not seen.
    seen: str = field(default="")

    def to_json(self) -> str:
        """The text of ``inputs.json``: one line, keys sorted (the same bytes for the same inputs and time)."""
        data = {
            "inputs": INPUTS_VERSION,
            "forecast": self.forecast,
            "question_file": self.question_file,
            "judgments": dict(self.judgments),
            "temper": self.temper,
            "extremize": self.extremize,
            "seen": self.seen,
            "evidence": {i: list(v) for i, v in self.evidence.items()},
        }
        return json.dumps(data, ensure_ascii=True, separators=(",", ":"), sort_keys=True) + "\n"

    @classmethod
    def from_mapping(cls, data: Any) -> Inputs:
        """Read ``inputs.json``'s object; ``ValueError`` if it is not one."""
        try:
            if data["inputs"] != INPUTS_VERSION:
                raise ValueError("version")
            evidence = {str(i): (str(v[0]), str(v[1])) for i, v in data["evidence"].items()}
            temper, extremize = data["temper"], data["extremize"]
            if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (temper, extremize)):
                raise ValueError("temper")
            question_file = data["question_file"]
            return cls(
                forecast=str(data["forecast"]),
                question_file=None if question_file is None else str(question_file),
                judgments={str(k): str(v) for k, v in data["judgments"].items()},
                temper=float(temper),
                extremize=float(extremize),
                evidence=evidence,
                seen=str(data.get("seen", "")),
            )
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise ValueError(f"not an inputs record: {exc}") from None


def file_sha256(path: Path) -> str | None:
    """The SHA-256 of the regular file at ``path`` in hex, or ``None`` where it cannot be read.

    A FIFO or a device is ``None`` too: reading one would hang or exhaust memory (the
    loaders refuse them before any digest is taken).
    """
    if not path.is_file():
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def gather_inputs(question: Question, evidence: EvidenceLog, data_dir: str | Path | None) -> Inputs:
    """The :class:`Inputs` of a report of ``question`` from ``evidence`` (files read under ``data_dir``).

    The question carries the temper and extremizing it was given (its file's, or
    the data folder's ``calibration.yaml``).
    """
    folder = None if data_dir is None else Path(data_dir)
    judgments = {}
    if folder is not None:
        for path in judgment_paths(folder, question.id):
            digest = file_sha256(path)
            if digest is not None:
                judgments[path.stem] = digest
    return Inputs(
        forecast=__version__,
        question_file=None if folder is None else file_sha256(question_path(folder, question.id)),
        judgments=judgments,
        temper=float(question.temper),
        extremize=float(question.extremize),
        evidence={row.id: (row_digest(row), row.date.isoformat()) for row in evidence.rows},
        seen=utc_now(),
    )


def read_inputs(folder: str | Path) -> Inputs | None:
    """The ``inputs.json`` in a report folder, or ``None`` (an earlier version's report has none)."""
    data = read_json(Path(folder) / INPUTS_RECORD)
    if data is None:
        return None
    try:
        return Inputs.from_mapping(data)
    except ValueError:
        return None


# --------------------------------------------------------------------------- first seen


def read_seen(out_dir: str | Path | None, question_id: str) -> dict[tuple[str, str], str]:
    """When each evidence report (id, content digest) of a question was first seen, from its ledger.

    Lines that cannot be read are skipped; of two for one report, the earlier time stands.
    """
    if not out_dir:
        return {}
    text = read_regular_text(Path(out_dir) / question_id / SEEN_LEDGER)
    seen: dict[tuple[str, str], str] = {}
    for line in (text or "").splitlines():
        try:
            item = json.loads(line)
            key, when = (str(item["id"]), str(item["digest"])), str(item["first_seen"])
        except (ValueError, KeyError, TypeError, RecursionError):
            continue
        if key not in seen or when < seen[key]:
            seen[key] = when
    return seen


def record_seen(out_dir: str | Path, question_id: str, inputs: Inputs) -> int:
    """Add to the question's ledger every report of ``inputs`` it has not seen, as first seen at ``inputs.seen``.

    Call while holding the question's lock. Returns how many were added.
    """
    known = read_seen(out_dir, question_id)
    new = [
        json.dumps(
            {"id": i, "digest": digest, "date": day, "first_seen": inputs.seen},
            ensure_ascii=True,
            separators=(",", ":"),
        )
        + "\n"
        for i, (digest, day) in inputs.evidence.items()
        if (i, digest) not in known
    ]
    if new and inputs.seen:
        append_text(Path(out_dir) / question_id / SEEN_LEDGER, "".join(new), within=out_dir)
    return len(new)


# --------------------------------------------------------------------------- causes


@dataclass(frozen=True)
class Cause:
    """One thing that changed between two reports' inputs, in words.

    ``kind`` is one of ``"evidence added"``, ``"evidence changed"``, ``"evidence
    removed"``, ``"question file"``, ``"judgments"``, ``"temper"``, ``"extremize"``,
    ``"version"`` and ``"unrecorded"``; ``method`` is whether it is a change of how
    the forecast is made rather than of the evidence.
    """

    kind: str
    text: str
    ids: tuple[str, ...] = ()

    @property
    def method(self) -> bool:
        return self.kind in ("temper", "extremize", "version", "question file", "judgments")


def _day(timestamp: str | None) -> str | None:
    return timestamp[:10] if timestamp else None


def _number(x: float) -> str:
    return f"{x:g}"


def _reports(ids: Sequence[str], evidence: Mapping[str, tuple[str, str]], seen: Mapping, what: str) -> str:
    named = []
    for i in ids[:_NAMED]:
        digest, day = evidence.get(i, ("", ""))
        first = _day(seen.get((i, digest))) if digest else None
        when = [f"dated {day}"] if day else []
        if first and what != "removed":
            when.append(f"first seen {first}")
        named.append(f"{i} ({', '.join(when)})" if when else i)
    more = len(ids) - len(named)
    listed = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 and not more else ", ".join(named)
    if more:
        listed += f" and {more:,} more"
    noun = "report" if len(ids) == 1 else "reports"
    return f"{noun} {listed}" if what == "added" else f"{noun} {listed} {what}"


def causes(
    before: Inputs | None,
    now: Inputs,
    seen: Mapping[tuple[str, str], str],
    *,
    before_ids: Sequence[str] | None = None,
    before_temper: float | None = None,
) -> list[Cause]:
    """What changed from the inputs ``before`` to ``now``, in words, evidence first.

    Parameters
    ----------
    before : Inputs or None
        The inputs of the report before (``None``: it was published by an earlier
        version, which kept no record; then ``before_ids`` and ``before_temper``,
        from its summary, say what they can).
    now : Inputs
    seen : mapping
        When each (id, content digest) was first seen (:func:`read_seen`); a report
        the ledger has not seen is first seen now (``now.seen``).

    Examples
    --------
    >>> a = Inputs("1.0", "q", {}, 1.0, 1.0, {"t1": ("d1", "2025-01-02")}, "2025-02-01T00:00:00Z")
    >>> b = Inputs("1.0", "q", {}, 0.35, 1.0, {"t1": ("d1", "2025-01-02")}, "2025-03-01T00:00:00Z")
    >>> [c.text for c in causes(a, b, {})]
    ['temper 1 → 0.35']
    """
    seen = {**{(i, d): now.seen for i, (d, _) in now.evidence.items()}, **seen}
    found: list[Cause] = []
    if before is None:
        if before_ids is not None:
            old = set(before_ids)
            added = [i for i in now.evidence if i not in old]
            removed = sorted(old - set(now.evidence))
            if added:
                found.append(
                    Cause("evidence added", _reports(added, now.evidence, seen, "added"), tuple(added))
                )
            if removed:
                found.append(
                    Cause("evidence removed", _reports(removed, {}, seen, "removed"), tuple(removed))
                )
        if before_temper is not None and before_temper != now.temper:
            found.append(Cause("temper", f"temper {_number(before_temper)} → {_number(now.temper)}"))
        found.append(
            Cause(
                "unrecorded", "the inputs of the report before were not recorded (an earlier version made it)"
            )
        )
        return found
    added = [i for i in now.evidence if i not in before.evidence]
    changed = [
        i for i in now.evidence if i in before.evidence and before.evidence[i][0] != now.evidence[i][0]
    ]
    removed = [i for i in before.evidence if i not in now.evidence]
    if added:
        found.append(Cause("evidence added", _reports(added, now.evidence, seen, "added"), tuple(added)))
    if changed:
        found.append(
            Cause("evidence changed", _reports(changed, now.evidence, seen, "changed"), tuple(changed))
        )
    if removed:
        found.append(
            Cause("evidence removed", _reports(removed, before.evidence, seen, "removed"), tuple(removed))
        )
    if before.question_file != now.question_file:
        found.append(Cause("question file", "the question file edited"))
    analysts = sorted(set(before.judgments) | set(now.judgments))
    edited = [a for a in analysts if before.judgments.get(a) != now.judgments.get(a)]
    for a in edited:
        how = "added" if a not in before.judgments else "removed" if a not in now.judgments else "edited"
        found.append(Cause("judgments", f"{a}'s judgments {how}", (a,)))
    if before.temper != now.temper:
        found.append(Cause("temper", f"temper {_number(before.temper)} → {_number(now.temper)}"))
    if before.extremize != now.extremize:
        found.append(
            Cause(
                "extremize", f"the pool's extremizing {_number(before.extremize)} → {_number(now.extremize)}"
            )
        )
    if before.forecast != now.forecast:
        found.append(Cause("version", f"forecast {before.forecast} → {now.forecast}"))
    return found


#: The cause of a revision whose recorded inputs are all as they were.
NO_INPUT_CHANGED = "none of its recorded inputs changed (the software it runs on may have)"


# --------------------------------------------------------------------------- what a rerun changed


def _without(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in NOT_NUMBERS}


def same_numbers(new: Mapping[str, Any], published: Mapping[str, Any]) -> bool:
    """Whether two summaries publish the same numbers: every key but :data:`NOT_NUMBERS` equal.

    Only the keys both have are compared where ``published`` is of an older
    version (its ``schema_version`` is lower), so an upgrade that adds a key is no
    revision by itself.
    """
    a, b = _without(new), _without(published)
    if published.get("schema_version") != new.get("schema_version"):
        shared = set(a) & set(b)
        a, b = {k: a[k] for k in shared}, {k: b[k] for k in shared}
    return a == b


def revised_line(
    as_of: str,
    order: Sequence[str],
    names: Mapping[str, str],
    before: Mapping[str, float],
    after: Mapping[str, float],
    moved: Sequence[str],
    said: Sequence[str],
) -> str:
    """The alert of a revision in words.

    Examples
    --------
    >>> revised_line("2026-05-01", ["c"], {"c": "Collapse"}, {"c": 0.44}, {"c": 0.08}, ["c"],
    ...              ["report t12 (dated 2026-04-20, first seen 2026-12-07)"])
    'Revised: the forecast published for 2026-05-01 moved Collapse 44% → 8% after report t12 (dated 2026-04-20, first seen 2026-12-07)'
    """
    moves = ", ".join(
        f"{names.get(s, s)} {before.get(s, 0.0) * 100:.0f}% → {after.get(s, 0.0) * 100:.0f}%"
        for s in order
        if s in moved
    )
    why = f" after {'; '.join(said)}" if said else ""
    return f"Revised: the forecast published for {as_of} moved {moves}{why}"
