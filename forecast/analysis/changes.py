"""What moved since the previous report, and whether it is an alert."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .points import at_least

__all__ = ["Changes", "compare_summaries", "evidence_digest"]


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed between two runs' summaries.

    ``moves[s]`` is scenario ``s``'s move in percentage points (current minus
    previous), for the scenarios both summaries give. ``evidence_added`` and
    ``evidence_removed`` are ``None`` where they cannot be known: the previous
    summary lists no ids (a long log's compact summary) and its ids were not found
    elsewhere. ``status_changes`` maps an
    indicator to ``(before, now)``. ``tripwires_fired`` lists the tripwires fired
    now that had not fired before. ``alert`` is true when a scenario moved by at
    least ``threshold_points``; ``alerting`` lists those scenarios.
    """

    question: str
    as_of: str
    previous_as_of: str | None
    moves: Mapping[str, float]
    leading: str | None
    previous_leading: str | None
    evidence_added: tuple[str, ...] | None
    evidence_removed: tuple[str, ...] | None
    status_changes: Mapping[str, tuple[str, str]]
    tripwires_fired: tuple[str, ...]
    alert: bool
    alerting: tuple[str, ...]
    threshold_points: float

    @property
    def leader_changed(self) -> bool:
        """Whether the leading scenario differs from the previous run's (false on a first run)."""
        return self.previous_leading is not None and self.previous_leading != self.leading


def evidence_digest(ids: Iterable[str]) -> str:
    """The digest of a set of report ids, as ``summary.json`` holds it in ``evidence_digest``.

    The SHA-256, in lower-case hex, of the ids sorted (by code point) and joined
    with line feeds (``\\n``, none after the last), encoded as UTF-8. The same
    ids in any order give the same digest; so does ``LC_ALL=C sort`` of the ids,
    one a line, piped without its final newline into ``sha256sum``.

    Examples
    --------
    >>> evidence_digest(["e2", "e1"]) == evidence_digest(["e1", "e2"])
    True
    >>> evidence_digest([])[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()


def _digest(summary: Mapping[str, Any], ids: list[Any]) -> str | None:
    """A summary's ``evidence_digest``, or the digest of its ids where it lists every one it counted."""
    digest = summary.get("evidence_digest")
    if isinstance(digest, str):
        return digest
    if _lists_ids(summary, ids):
        return evidence_digest(ids)
    return None


def _lists_ids(summary: Mapping[str, Any], ids: list[Any]) -> bool:
    """Whether a summary lists every report it counted (a compact one lists none: docs/formats/summary-json.md)."""
    counted = summary.get("evidence_counted")
    if "evidence_ids" not in summary:
        return not counted  # nothing counted, or (version 0) the count not given either
    return not isinstance(counted, int) or isinstance(counted, bool) or counted == len(ids) or bool(ids)


def _mapping(summary: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = summary.get(key)
    return value if isinstance(value, Mapping) else {}


def _listing(summary: Mapping[str, Any], key: str) -> list[Any]:
    value = summary.get(key)
    return list(value) if isinstance(value, (list, tuple)) else []


def compare_summaries(
    current: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    *,
    threshold_points: float = 10.0,
    previous_ids: Collection[str] | None = None,
) -> Changes:
    """What changed since the previous run, from two ``summary.json`` dicts.

    Parameters
    ----------
    current, previous : dict
        Summaries with the keys ``question``, ``as_of``, ``probabilities`` (scenario
        id to probability), ``leading``, ``evidence_ids``, ``indicator_status``
        (indicator id to ``"observed"``, ``"not observed"`` or ``"pending"``) and
        ``tripwires_fired``. A missing key counts as empty (an indicator missing
        from ``indicator_status`` as pending), so summaries written by older
        versions compare without error. ``previous`` is ``None`` on a first run.
    threshold_points : float, default 10
        The move, in percentage points, that raises an alert.
    previous_ids : collection of str, optional
        The ids the previous report counted, where its summary does not list them
        (a compact summary of a long log; :func:`forecast.publish.summary.counted_ids`
        reads them from its ``evidence.csv``). Without them, the evidence added and
        removed is ``None`` (unknown), unless both summaries have the same
        ``evidence_digest`` and count: then nothing was added or removed.

    Returns
    -------
    Changes

    Examples
    --------
    >>> before = {"as_of": "2025-02-01", "probabilities": {"a": 0.5, "b": 0.5}, "evidence_ids": ["e1"]}
    >>> now = {"as_of": "2025-02-08", "probabilities": {"a": 0.62, "b": 0.38}, "evidence_ids": ["e1", "e2"]}
    >>> changes = compare_summaries(now, before, threshold_points=10)
    >>> {s: round(m, 1) for s, m in changes.moves.items()}, changes.evidence_added, changes.alerting
    ({'a': 12.0, 'b': -12.0}, ('e2',), ('a', 'b'))
    """
    if not threshold_points >= 0:
        raise ValueError(
            f"threshold_points must be a number of points of at least 0, got {threshold_points!r}"
        )
    before: Mapping[str, Any] = previous if isinstance(previous, Mapping) else {}
    now_p, before_p = _mapping(current, "probabilities"), _mapping(before, "probabilities")
    moves = {s: (float(p) - float(before_p[s])) * 100.0 for s, p in now_p.items() if s in before_p}
    alerting = tuple(s for s, m in moves.items() if at_least(np.array(m), threshold_points))

    ids_now = _listing(current, "evidence_ids")
    ids_before: list[Any] | None = _listing(before, "evidence_ids")
    if not _lists_ids(before, ids_before):  # a compact summary: its ids are elsewhere
        digest_before = _digest(before, ids_before)
        if before.get("evidence_counted") == len(ids_now) and digest_before == evidence_digest(ids_now):
            ids_before = ids_now  # the same reports: nothing added or removed, and nothing read
        else:
            ids_before = None if previous_ids is None else list(previous_ids)
    added: tuple[str, ...] | None = None
    removed: tuple[str, ...] | None = None
    if ids_before is not None:
        set_now, set_before = set(ids_now), set(ids_before)
        added = tuple(i for i in ids_now if i not in set_before)
        removed = tuple(i for i in ids_before if i not in set_now)
    status_now, status_before = _mapping(current, "indicator_status"), _mapping(before, "indicator_status")
    fired_before = set(_listing(before, "tripwires_fired"))
    return Changes(
        question=str(current.get("question", "")),
        as_of=str(current.get("as_of", "")),
        previous_as_of=before.get("as_of"),
        moves=moves,
        leading=current.get("leading"),
        previous_leading=before.get("leading"),
        evidence_added=added,
        evidence_removed=removed,
        status_changes={
            i: (status_before.get(i, "pending"), s)
            for i, s in status_now.items()
            if status_before.get(i, "pending") != s
        },
        tripwires_fired=tuple(t for t in _listing(current, "tripwires_fired") if t not in fired_before),
        alert=bool(alerting),
        alerting=alerting,
        threshold_points=float(threshold_points),
    )
