"""The update rule's parts that depend on the question alone.

Each indicator is one yes/no child of the scenario in a naive-Bayes model. A
report's weight is ``w = R[reliability] * C[credibility]``. An indicator's
reports are ordered by date, then weight, then row order; its status is what the
last report says, and its weight the highest ``w`` among the trailing reports
that say the same. An observed indicator contributes ``L(s) = w * log p(s)`` to each scenario's
log-probability. A "not seen" one contributes, over its trailing "not seen" reports
with window fractions ``F_1 < ... < F_m`` (``F_0 = 0``; ``F(d)`` is the fraction of
the indicator's window passed by the report's date ``d``),
``L(s) = sum_k W_k [log(1 - p(s) F_k) - log(1 - p(s) F_(k-1))]``, ``W_k`` being the
highest weight among the reports with ``F >= F_k``: each stretch of the window counts
at the weight of the best look that covers it (:func:`heavier_before`,
:func:`absence_contribution`).
Indicators of a dependence group contribute ``L_leader + (1 - rho) * sum(L_other)``,
the leader being the member with a status whose ``L`` spreads most across scenarios.
Every contribution is multiplied by the question's temper τ before it is added to
the log-prior (``posterior ∝ prior · exp(τ · Σ contributions)``): the tables below hold
``τ · log p`` and ``τ · log(1 - p)``, so every analysis that reads them is tempered alike,
and a group's leader is the same (τ > 0 scales every spread by the same factor).

Here: the role names, the codes of a status, :class:`RuleTables` (a question's
weights, log-likelihoods and windows as arrays, cached per question), and the
group rule itself (:func:`group_contribution`), made of three pieces that work on
arrays of any leading shape (:func:`group_total`, :func:`group_leader`,
:func:`group_rule`), so that every path that applies it applies the same arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..model import Question

__all__ = [
    "ROLE_AFTER_AS_OF",
    "ROLE_CORROBORATES",
    "ROLE_COVERED_EARLIER",
    "ROLE_COVERED_LATER",
    "ROLE_LABELS",
    "ROLE_NAMES",
    "ROLE_SETS_STATUS",
    "ROLE_SUPERSEDED",
    "absence_contribution",
    "group_contribution",
    "group_contribution_draws",
    "group_leader",
    "group_rule",
    "group_total",
    "heavier_before",
    "rule_tables",
    "softmax",
]


ROLE_SETS_STATUS = "sets status"


ROLE_CORROBORATES = "corroborates"


ROLE_SUPERSEDED = "superseded"


ROLE_AFTER_AS_OF = "after as-of"


#: A "not seen" whose whole stretch of the window a later look of at least its weight covers.
ROLE_COVERED_LATER = "covered by a later look"


#: A "not seen" that reached no further into the window than an earlier, stronger look.
ROLE_COVERED_EARLIER = "covered by an earlier look"


PENDING, ABSENT, OBSERVED = -1, 0, 1


#: What happened to each report, in the words the evidence log (the page, evidence.csv, the frames) shows.
ROLE_LABELS = {
    ROLE_SETS_STATUS: "counted",
    ROLE_CORROBORATES: "same event as a counted report",
    ROLE_SUPERSEDED: "overtaken by a later report",
    ROLE_AFTER_AS_OF: "after the as-of date",
    ROLE_COVERED_LATER: "adds nothing: a later look at least as strong",
    ROLE_COVERED_EARLIER: "adds nothing: an earlier, stronger look",
}


#: Role names by their codes (0 to 4), as ``CompiledEvidence.role`` looks them up.
ROLE_NAMES = np.array(
    [ROLE_SUPERSEDED, ROLE_CORROBORATES, ROLE_SETS_STATUS, ROLE_COVERED_LATER, ROLE_COVERED_EARLIER],
    dtype=object,
)


def softmax(log_weights: np.ndarray) -> np.ndarray:
    """Normalise log-weights along the last axis into probabilities, without overflow."""
    shifted = log_weights - log_weights.max(axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)


@dataclass(frozen=True, slots=True)
class RuleTables:
    """What the rule needs from a question, as arrays: the same for every log and date."""

    scenario_ids: tuple[str, ...]
    log_prior: np.ndarray
    p: np.ndarray
    p_by_scenario: np.ndarray
    #: ``-p``, so that ``log(1 - p F)`` is one product and one ``log1p``
    minus_p: np.ndarray
    #: the same, transposed and contiguous: one row per scenario
    minus_p_by_scenario: np.ndarray
    log_p: np.ndarray
    log_not_p: np.ndarray
    #: each indicator's window, for ``F(d) = clip((d - start) / span, 0, 1)``; an empty window has a
    #: start far in the past, so that ``F`` is 1 on every date
    window_start: np.ndarray
    window_span: np.ndarray
    #: per indicator, its group's number (-1: ungrouped); the groups' members and dependence
    group_of: np.ndarray
    groups: tuple[tuple[np.ndarray, float], ...]
    ungrouped: np.ndarray
    #: ``[log(1 - p); log p]``: row ``i`` for "not observed", ``i + indicators`` for "observed"
    log_table: np.ndarray
    #: the same, transposed and contiguous: one row per scenario
    log_table_by_scenario: np.ndarray
    index: Mapping[str, int]
    #: the distinct report weights ``R[r] * C[c]``, ascending, and each grade pair's rank among them
    levels: np.ndarray
    rank_of_grades: Mapping[tuple[str, int], int]
    #: τ: ``log_table`` and :meth:`log_likelihood` are multiplied by it (``log_p`` and ``log_not_p`` are not)
    temper: float = 1.0

    @classmethod
    def of(cls, question: Question) -> RuleTables:
        scenario_ids = question.scenario_ids
        lik = np.array([[i.likelihood[s] for s in scenario_ids] for i in question.indicators], float).reshape(
            len(question.indicators), len(scenario_ids)
        )
        log_p, log_not_p = np.log(lik), np.log1p(-lik)
        temper = float(question.temper)
        log_table = np.concatenate([log_not_p, log_p])
        if temper != 1.0:
            log_table *= temper
        # w = R[reliability] * C[credibility], the product Question.weight takes, once per pair of grades.
        weights = {
            (r, c): r_weight * c_weight
            for r, r_weight in question.reliability_weights.items()
            for c, c_weight in question.credibility_weights.items()
        }
        levels = np.unique(np.fromiter(weights.values(), float, len(weights)))
        rank_of = {w: k for k, w in enumerate(levels.tolist())}
        windows = [question.window_of(i) for i in question.indicators]
        start = np.array([a.toordinal() for a, _ in windows], float)
        span = np.array([(b - a).days for a, b in windows], float)
        empty = span <= 0
        start[empty], span[empty] = -1e12, 1.0
        group_ids = list(question.groups)
        group_of = np.array(
            [group_ids.index(i.group) if i.group in group_ids else -1 for i in question.indicators], np.intp
        )
        groups = tuple(
            (np.flatnonzero(group_of == g), float(question.groups[gid].dependence))
            for g, gid in enumerate(group_ids)
        )
        return cls(
            scenario_ids=scenario_ids,
            log_prior=np.log([s.prior for s in question.scenarios]),
            p=lik,
            p_by_scenario=np.ascontiguousarray(lik.T),
            minus_p=-lik,
            minus_p_by_scenario=np.ascontiguousarray(-lik.T),
            window_start=start,
            window_span=span,
            group_of=group_of,
            groups=groups,
            ungrouped=np.flatnonzero(group_of < 0),
            log_p=log_p,
            log_not_p=log_not_p,
            log_table=log_table,
            log_table_by_scenario=np.ascontiguousarray(log_table.T),
            index={iid: k for k, iid in enumerate(question.indicator_ids)},
            levels=levels,
            rank_of_grades={grades: rank_of[w] for grades, w in weights.items()},
            temper=temper,
        )

    def fraction(self, indicator: np.ndarray, day: np.ndarray) -> np.ndarray:
        """``F(d)``: the fraction of each indicator's window passed by each date (ordinals)."""
        # np.take, not fancy indexing: much faster with the engine's 16-bit indicator numbers.
        f = day - np.take(self.window_start, indicator)
        f /= np.take(self.window_span, indicator)
        # Clipped to [0, 1] by two ufuncs: the same values as np.clip, without its Python wrapper.
        np.maximum(f, 0.0, out=f)
        return np.minimum(f, 1.0, out=f)

    def log_likelihood(self, indicator: np.ndarray, observed: np.ndarray, day: np.ndarray) -> np.ndarray:
        """``τ log p`` (observed) or ``τ log(1 - p F(d))`` (not seen by ``d``), one row per report."""
        n_ind = len(self.p)
        table = self.log_table[indicator + n_ind * observed]
        # F for every row, fewer numpy calls than picking the "not seen" rows first; only the rows
        # "not seen" part-way through their window (F < 1) differ from the table's log(1 - p).
        f = self.fraction(indicator, day)
        rows = ((f < 1.0) & np.logical_not(observed)).nonzero()[0]
        if rows.size:
            minus_pf = self.minus_p[indicator[rows]]
            minus_pf *= f[rows, None]
            table[rows] = self.tempered(np.log1p(minus_pf))
        return table

    def tempered(self, logs: np.ndarray) -> np.ndarray:
        """``τ · logs``, in place (``logs`` itself where τ is 1)."""
        if self.temper != 1.0:
            logs *= self.temper
        return logs

    def combine(self, contribution: np.ndarray, has_status: np.ndarray) -> np.ndarray:
        """The sum over indicators of their contributions, each group's by the group rule."""
        if not self.groups:
            return contribution.sum(axis=0)
        total = contribution[self.ungrouped].sum(axis=0)
        for members, rho in self.groups:
            total += group_contribution(contribution[members], has_status[members], rho)
        return total


def heavier_before(key: np.ndarray, first: np.ndarray) -> np.ndarray:
    """For each position, the latest earlier position in its run whose key is strictly greater (-1: none).

    ``first`` marks where each run begins. With ``key`` the weight rank of the "not seen"
    reports of each run in the rule's order, that is each look's nearest earlier look of a
    higher weight in its run: the look below it on the staircase of the best looks.

    Found by pointer jumping, every position at once: each unresolved position keeps a
    candidate whose key, and every key between it and the position, is no greater than its
    own; the candidate's own candidate (or its answer, once found) is then a candidate too.
    A position is resolved when its candidate is heavier, or there is none. Most answers are
    the position just before, or none (a run's first look), so few positions are searched,
    and each pass halves their distance to their answer or steps down a staircase.
    """
    n = len(key)
    if n < 2:
        return np.full(n, -1, np.int64)
    pointer = np.arange(-1, n - 1, dtype=np.int64)
    pointer[first.nonzero()[0]] = -1
    # Searched: a position after one no heavier in its own run. (Positions are picked by index
    # and ``take`` throughout: a boolean mask as an index is slow on masks without a pattern.)
    searched = np.less_equal(key[:-1], key[1:])
    searched &= ~first[1:]
    searched = searched.nonzero()[0]
    searched += 1
    own = key.take(searched)
    while searched.size:
        candidate = pointer.take(pointer.take(searched))
        pointer[searched] = candidate
        # A candidate no heavier than the position: all between it and the position are no heavier either.
        left = key.take(candidate) <= own  # ``take`` wraps -1 to the last key; ``candidate >= 0`` decides
        left &= candidate >= 0
        left = left.nonzero()[0]
        searched, own = searched.take(left), own.take(left)
    return pointer


def absence_contribution(logs: np.ndarray, weight: np.ndarray, below: np.ndarray) -> np.ndarray:
    """Each look's "not seen" contribution once it is applied, from its staircase of best looks.

    ``logs[..., r]`` is ``τ log(1 - p F_r)`` for look ``r`` (on the last axis, one column per
    look: scenario-major), ``weight[r]`` its weight and ``below[r]`` the look below it on the
    staircase (:func:`heavier_before`; -1: none). Look ``r`` covers the stretch from ``F_below``
    to ``F_r`` at its weight, and the looks below it the stretches before that, so its
    contribution is ``w_r (logs_r - logs_below) + contribution_below`` (``w_r logs_r`` at the
    bottom): taken up the staircases a step at a time, every look whose look below is done at once.
    """
    total = logs * weight
    pending = np.flatnonzero(below >= 0)
    if not pending.size:
        return total
    rows = total.reshape(-1, total.shape[-1])  # a view: one row per scenario (one row for 1-d logs)
    done = np.ones(len(below), bool)
    done[pending] = False
    under = below.take(pending)
    while pending.size:
        ready = done.take(under)
        now, later = ready.nonzero()[0], (~ready).nonzero()[0]
        looks, steps = pending.take(now), under.take(now)
        step = np.take(logs, looks, axis=-1)
        step -= np.take(logs, steps, axis=-1)
        step *= weight.take(looks)
        step += np.take(total, steps, axis=-1)
        # Row by row, by an assignment to an intp index: far faster than a scatter of columns or a put.
        for row, values in zip(rows, step.reshape(-1, len(looks))):
            row[looks] = values
        done[looks] = True
        pending, under = pending.take(later), under.take(later)
    return total


def group_total(contribution: np.ndarray, has_status: np.ndarray | None = None) -> np.ndarray:
    """The sum of the members' contributions, in member order, over the members axis (``-2``).

    ``contribution`` is ``(..., members, scenarios)``; with ``has_status`` (``(..., members)``)
    only the members with a status count (the others add an exact zero).
    """
    if has_status is not None:
        contribution = np.where(has_status[..., None], contribution, 0.0)
    return contribution.sum(axis=-2)


def group_leader(contribution: np.ndarray, has_status: np.ndarray | None = None) -> np.ndarray:
    """The leader's position on the members axis (``-2``) of ``contribution`` ``(..., members, scenarios)``.

    The leader is the member (with a status, given ``has_status``) whose contribution
    spreads most, ``max(L) - min(L)`` across scenarios; the first, on a tie.
    """
    spread = contribution.max(axis=-1) - contribution.min(axis=-1)
    if has_status is not None:
        spread[~has_status] = -np.inf
    return np.argmax(spread, axis=-1)


def group_rule(total: np.ndarray, leader: np.ndarray, rho: float) -> np.ndarray:
    """``L_leader + (1 - rho) * sum(L_other)``, from the members' total and the leader's contribution."""
    return (1.0 - rho) * total + rho * leader


def group_contribution_draws(contribution: np.ndarray, has_status: np.ndarray, rho: float) -> np.ndarray:
    """:func:`group_contribution` for many draws at once: ``contribution`` is ``(draws, members, scenarios)``."""
    members = contribution[:, has_status]
    if not members.shape[1]:
        return np.zeros((contribution.shape[0], contribution.shape[2]))
    leader = members[np.arange(len(members)), group_leader(members)]
    return group_rule(group_total(members), leader, rho)


def group_contribution(contribution: np.ndarray, has_status: np.ndarray, rho: float) -> np.ndarray:
    """A group's contribution ``L_leader + (1 - rho) * sum(L_other)`` over its members with a status.

    The leader is the member with the largest spread ``max(L) - min(L)``; the first, on a tie.
    """
    members = contribution[has_status]
    if not len(members):
        return np.zeros(contribution.shape[1])
    return group_rule(group_total(members), members[int(group_leader(members))], rho)


#: The tables of the questions compiled last, by ``id``, each kept with its question so that the
#: id cannot be reused while cached. Questions are frozen (and unhashable), so identity is the key.
_TABLES: dict[int, tuple[Question, RuleTables]] = {}


_TABLES_KEPT = 16


def rule_tables(question: Question) -> RuleTables:
    cached = _TABLES.get(id(question))
    if cached is not None and cached[0] is question:
        return cached[1]
    tables = RuleTables.of(question)
    while len(_TABLES) >= _TABLES_KEPT:
        _TABLES.pop(next(iter(_TABLES)))
    _TABLES[id(question)] = (question, tables)
    return tables
