"""What moved since the previous report, and whether it is an alert."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .points import at_least

__all__ = ["Changes", "compare_summaries"]


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed between two runs' summaries.

    ``moves[s]`` is scenario ``s``'s move in percentage points (current minus
    previous), for the scenarios both summaries give. ``status_changes`` maps an
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
    evidence_added: tuple[str, ...]
    evidence_removed: tuple[str, ...]
    status_changes: Mapping[str, tuple[str, str]]
    tripwires_fired: tuple[str, ...]
    alert: bool
    alerting: tuple[str, ...]
    threshold_points: float

    @property
    def leader_changed(self) -> bool:
        """Whether the leading scenario differs from the previous run's (false on a first run)."""
        return self.previous_leading is not None and self.previous_leading != self.leading


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

    ids_now, ids_before = _listing(current, "evidence_ids"), _listing(before, "evidence_ids")
    status_now, status_before = _mapping(current, "indicator_status"), _mapping(before, "indicator_status")
    fired_before = set(_listing(before, "tripwires_fired"))
    return Changes(
        question=str(current.get("question", "")),
        as_of=str(current.get("as_of", "")),
        previous_as_of=before.get("as_of"),
        moves=moves,
        leading=current.get("leading"),
        previous_leading=before.get("leading"),
        evidence_added=tuple(i for i in ids_now if i not in set(ids_before)),
        evidence_removed=tuple(i for i in ids_before if i not in set(ids_now)),
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
