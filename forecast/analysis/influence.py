"""What the forecast rests on: leave-one-out over indicators, groups and reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..engine.compiled import CompiledEvidence, Evidence, compile_evidence
from ..engine.rule import softmax
from ..model import EvidenceRow, Question
from .points import at_least

__all__ = [
    "Influence",
    "Influences",
    "LeaveOneOut",
    "critical_evidence",
    "critical_items",
    "indicators_left_out",
    "influential_items",
    "leave_one_out",
    "most_influential",
]


@dataclass(frozen=True, slots=True)
class Influence:
    """What the forecast would be without one indicator or one report.

    ``kind`` is ``"indicator"`` (its contribution dropped, its group, if any,
    re-formed by the group rule without it), ``"group"`` (every member dropped) or
    ``"report"`` (the report removed and its indicator's status and weight
    re-derived by the rule); ``id`` is the indicator's, the group's or the report's
    id, and ``indicator`` the indicator's id (empty for a group). ``change[s]`` is how many
    percentage points scenario ``s`` would move if it were left out (without minus
    with): negative where this evidence is holding the scenario up.

    The numbers are kept as ``without`` and ``moves`` (tuples), in the order of
    ``scenario_ids``; the mappings are built when read, so that a long list of
    items costs little to make.
    """

    kind: str
    id: str
    indicator: str
    scenario_ids: tuple[str, ...]
    without: Sequence[float]
    moves: Sequence[float]
    leading_without: str
    leader_changes: bool
    row: EvidenceRow | None = None

    @property
    def probabilities_without(self) -> dict[str, float]:
        """Each scenario's probability without this evidence."""
        return dict(zip(self.scenario_ids, self.without))

    @property
    def change(self) -> dict[str, float]:
        """Each scenario's move, in points, if this evidence were left out."""
        return dict(zip(self.scenario_ids, self.moves))

    @property
    def largest_move(self) -> float:
        """The largest move of any scenario, in points (absolute value)."""
        return max(abs(v) for v in self.moves)


def indicators_left_out(compiled: CompiledEvidence) -> tuple[np.ndarray, np.ndarray]:
    """Indicators with a status (question order), and the log-posterior without each of them.

    A group member left out leaves its group to the others, by the group rule.
    """
    counted = np.flatnonzero(compiled.has_status)
    nothing = np.zeros((len(counted), len(compiled.scenario_ids)))
    return counted, compiled.log_posterior_replacing(counted, nothing, np.zeros(len(counted), bool))


def _reports_that_can_matter(compiled: CompiledEvidence) -> np.ndarray:
    """The reports whose removal can change their indicator's status or weight, by position in
    ``compiled.by_indicator``.

    Per indicator: the one whose weight counts, for a sighting (removing a report that
    only corroborates leaves the same maximum), or each look that covers a stretch of its
    own, for a "not seen" (removing a look that adds nothing leaves the same staircase);
    and the last report before the final run (removing it can join the final run to the
    run before). Reports superseded earlier cannot reach the status.
    """
    runs = compiled.runs
    _, setters = runs.setters()
    has_earlier_run = runs.final_start > np.flatnonzero(runs.first)
    looks = compiled.final_looks_counted()
    return np.union1d(np.union1d(setters, looks), runs.final_start[has_earlier_run] - 1)


def _log_posterior_without_each_report(compiled: CompiledEvidence) -> np.ndarray:
    """The log-posterior without each counted report, in ``compiled.rows`` order."""
    total = compiled.final_log_posterior()
    result = np.repeat(total[None, :], compiled.n, axis=0)
    positions = _reports_that_can_matter(compiled)
    if positions.size:
        reports = compiled.by_indicator[positions]
        indicator = compiled.indicator[reports]
        contribution, has_status = compiled.contribution_without(positions)
        result[reports] = compiled.log_posterior_replacing(indicator, contribution, has_status)
    return result


def _influence(
    question: Question,
    kind: str,
    item: str,
    indicator: str,
    row: EvidenceRow | None,
    probabilities: np.ndarray,
    now: np.ndarray,
) -> Influence:
    scenario_ids = question.scenario_ids
    leader = int(np.argmax(probabilities))
    return Influence(
        kind=kind,
        id=item,
        indicator=indicator,
        scenario_ids=scenario_ids,
        without=tuple(probabilities.tolist()),
        moves=tuple(((probabilities - now) * 100.0).tolist()),
        leading_without=scenario_ids[leader],
        leader_changes=leader != int(np.argmax(now)),
        row=row,
    )


def critical_evidence(
    question: Question,
    evidence: Evidence,
    as_of: date | None = None,
    *,
    threshold_points: float = 10.0,
) -> Influences:
    """The indicators and reports the forecast hangs on.

    Leaves out, one at a time, (a) each indicator with a status (its whole
    contribution, its group re-formed without it), (b) each dependence group with
    a member that has a status (the whole group), so that redundant evidence
    cannot hide, and (c) each counted report (the report removed, and its
    indicator's status and weight re-derived by the engine's rule: removing a
    later denial restores an earlier sighting). Keeps those whose removal changes
    the leading scenario or moves any scenario by at least ``threshold_points``.

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog, iterable of EvidenceRow, or CompiledEvidence
        A compile of this question as of this date (:attr:`forecast.Assessment.compiled`)
        is used as it is, not compiled again (see :func:`~forecast.engine.compile_evidence`).
    as_of : date, optional
        Defaults to today.
    threshold_points : float, default 10
        The move, in percentage points, that makes an item critical.

    Returns
    -------
    Influences
        A sequence of :class:`Influence`, made as they are read. Largest move first; on a tie, indicators (question order), then groups
        (question order), then reports (file order).

    Notes
    -----
    Leaving out indicators costs ``O(indicators x scenarios)``: the total
    log-posterior minus each indicator's row of contributions. Leaving out reports
    compiles, once, a log of at most two cases per indicator (the only reports
    whose removal can change a status or weight), so it is linear in the log.

    Examples
    --------
    >>> from datetime import date
    >>> from forecast import load_evidence, load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> log = load_evidence("data/evidence/russia-syria-bases.csv", q)
    >>> [(i.kind, i.id) for i in critical_evidence(q, log, date(2025, 3, 1), threshold_points=7)]
    [('indicator', 'limited-presence-deal-near'), ('report', 'e032'), ('indicator', 'syria-leaders-want-russia-to-stay'), ('report', 'e021')]
    """
    _check_threshold(threshold_points)
    compiled = compile_evidence(question, evidence, as_of)
    items = leave_one_out(compiled)
    now = softmax(compiled.final_log_posterior())
    return critical_items(question, compiled, items, softmax(items.log_without), now, threshold_points)


def _check_threshold(threshold_points: float) -> None:
    if not threshold_points >= 0:
        raise ValueError(
            f"threshold_points must be a number of points of at least 0, got {threshold_points!r}"
        )


@dataclass(frozen=True, slots=True)
class LeaveOneOut:
    """Every piece of evidence that can be left out, and the log-posterior without each.

    The rows of ``log_without`` are the indicators with a status (``counted``, by
    position in the question), then the groups with a member that has one (``groups``,
    by position in ``question.groups``), then every counted report (``compiled.rows``
    order). Status, weights, windows and groups do not depend on an analyst's
    judgments, so every analyst of a team has the same rows: their forecasts without
    each item can be pooled row by row.
    """

    counted: np.ndarray
    groups: np.ndarray
    log_without: np.ndarray

    @property
    def n_indicators(self) -> int:
        return len(self.counted)


def leave_one_out(compiled: CompiledEvidence) -> LeaveOneOut:
    """The log-posterior without each indicator, group and report (see :class:`LeaveOneOut`)."""
    counted, without_indicator = indicators_left_out(compiled)
    groups, without_group = compiled.log_posterior_without_each_group()
    log_without = np.vstack([without_indicator, without_group, _log_posterior_without_each_report(compiled)])
    return LeaveOneOut(counted, np.asarray(groups, np.intp), log_without)


def critical_items(
    question: Question,
    compiled: CompiledEvidence,
    items: LeaveOneOut,
    without: np.ndarray,
    now: np.ndarray,
    threshold_points: float,
) -> Influences:
    """The items of ``items`` whose removal changes the leader or moves a scenario by ``threshold_points``.

    ``without[k]`` is the forecast without item ``k`` (one view's: a model's, or a
    team's pool) and ``now`` the forecast with everything; ``compiled`` names the
    reports. Largest move first, as :func:`critical_evidence` orders them.
    """
    _check_threshold(threshold_points)
    change = (without - now) * 100.0
    critical = (np.argmax(without, axis=1) != np.argmax(now)) | at_least(change, threshold_points).any(axis=1)
    selected = np.flatnonzero(critical)
    selected = selected[np.argsort(-np.abs(change[selected]).max(axis=1), kind="stable")]
    return Influences(question, compiled, items, selected, without[selected], change[selected], now)


class Influences(Sequence[Influence]):
    """Leave-one-out items as arrays: an :class:`Influence` is made only when one is read.

    A list of thousands of items costs its arrays only; iterating, indexing or
    slicing makes the items asked for (so a page that shows ten makes ten). It
    compares equal to any sequence of the same items. ``without`` and ``moves``
    hold every item's numbers as read-only arrays, one row per item, for tables.
    """

    __slots__ = ("_compiled", "_items", "_now", "_question", "_selected", "moves", "without")

    def __init__(
        self,
        question: Question,
        compiled: CompiledEvidence,
        items: LeaveOneOut,
        selected: np.ndarray,
        without: np.ndarray,
        moves: np.ndarray,
        now: np.ndarray,
    ) -> None:
        self._question, self._compiled, self._items = question, compiled, items
        self._selected, self._now = selected, now
        without.flags.writeable = moves.flags.writeable = False
        self.without, self.moves = without, moves

    def __len__(self) -> int:
        return len(self._selected)

    def __getitem__(self, k):  # type: ignore[override]
        if isinstance(k, slice):
            return [self._make(j) for j in range(*k.indices(len(self)))]
        n = len(self)
        if not -n <= k < n:
            raise IndexError(k)
        return self._make(k % n)

    def __iter__(self):
        return map(self._make, range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Influences: {len(self)} items>"

    def _describe(self, j: int) -> tuple[str, str, str, EvidenceRow | None]:
        """Item ``j``'s kind, id, indicator and report."""
        position, items = int(self._selected[j]), self._items
        if position < items.n_indicators:
            iid = self._question.indicators[int(items.counted[position])].id
            return "indicator", iid, iid, None
        position -= items.n_indicators
        if position < len(items.groups):
            return "group", list(self._question.groups)[int(items.groups[position])], "", None
        row = self._compiled.source[int(self._compiled.kept[position - len(items.groups)])]
        return "report", row.id, row.indicator, row

    def _make(self, j: int) -> Influence:
        kind, item, indicator, row = self._describe(j)
        return _influence(self._question, kind, item, indicator, row, self.without[j], self._now)


def most_influential(
    question: Question, evidence: Evidence, as_of: date | None = None
) -> dict[str, Influence | None]:
    """For each scenario, the indicator whose leaving out would move it most, either way.

    That is the indicator whose removal (dropping its contribution, its group, if
    any, re-formed without it) would change the scenario's probability the most,
    up or down: the evidence that scenario's figure rests on most, whether it holds
    the scenario up or holds it down. The signed move is the item's
    ``change[scenario]`` (the forecast without it minus the forecast with it).

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog, iterable of EvidenceRow, or CompiledEvidence
        A compile of this question as of this date (:attr:`forecast.Assessment.compiled`)
        is used as it is, not compiled again (see :func:`~forecast.engine.compile_evidence`).
    as_of : date, optional
        Defaults to today.

    Returns
    -------
    dict
        Scenario id to :class:`Influence` (kind ``"indicator"``), or ``None`` when
        no indicator has a status, or leaving out none of them would move that
        scenario at all. On a tie the indicator listed first in the question wins.

    Notes
    -----
    One compile plus ``O(indicators x scenarios)`` array work.

    Examples
    --------
    >>> from datetime import date
    >>> from forecast import load_evidence, load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> log = load_evidence("data/evidence/russia-syria-bases.csv", q)
    >>> found = most_influential(q, log, date(2025, 3, 1))
    >>> {s: (i.id, round(i.change[s], 1)) for s, i in found.items()}
    {'keep': ('syria-seeks-revised-terms', 2.4), 'partial': ('limited-presence-deal-near', -9.0), 'exit': ('syria-leaders-want-russia-to-stay', 8.9)}
    """
    compiled = compile_evidence(question, evidence, as_of)
    counted, without = indicators_left_out(compiled)
    return influential_items(question, counted, softmax(without), softmax(compiled.final_log_posterior()))


def influential_items(
    question: Question, counted: np.ndarray, without: np.ndarray, now: np.ndarray
) -> dict[str, Influence | None]:
    """Per scenario, the indicator of ``counted`` whose removal moves it most, either way (``without[k]``:
    the forecast without indicator ``counted[k]``, in one view), or ``None`` if none moves it."""
    result: dict[str, Influence | None] = {}
    for j, scenario in enumerate(question.scenario_ids):
        size = np.abs(without[:, j] - now[j]) if counted.size else np.zeros(0)
        k = int(np.argmax(size)) if size.size else -1  # the first in question order on a tie
        if k < 0 or size[k] == 0:
            result[scenario] = None
            continue
        iid = question.indicators[int(counted[k])].id
        result[scenario] = _influence(question, "indicator", iid, iid, None, without[k], now)
    return result
