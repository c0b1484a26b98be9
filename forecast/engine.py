"""The update rule: posterior, trajectory and audit trail of a question.

Each indicator is one yes/no child of the scenario in a naive-Bayes model. A
report's weight is ``w = R[reliability] * C[credibility]``. An indicator's
reports are ordered by date, then weight, then row order; its status is what the
last report says, and its weight the highest ``w`` among the trailing reports
that say the same. An indicator with a status adds ``w * log p(s)`` (observed) or
``w * log(1 - p(s))`` (not observed) to each scenario's log-probability.

Everything is computed in log space and vectorised over reports with numpy, so a
log of a hundred thousand reports costs milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from .model import EvidenceLog, EvidenceRow, Indicator, Question

__all__ = [
    "ROLE_AFTER_AS_OF",
    "ROLE_CORROBORATES",
    "ROLE_SETS_STATUS",
    "ROLE_SUPERSEDED",
    "Assessment",
    "AuditEntry",
    "ChecklistItem",
    "IndicatorState",
    "Trajectory",
    "assess",
    "posterior_as_of",
    "softmax",
]

ROLE_SETS_STATUS = "sets status"
ROLE_CORROBORATES = "corroborates"
ROLE_SUPERSEDED = "superseded"
ROLE_AFTER_AS_OF = "after as-of"

_PENDING, _ABSENT, _OBSERVED = -1, 0, 1


def softmax(log_weights: np.ndarray) -> np.ndarray:
    """Normalise log-weights along the last axis into probabilities, without overflow."""
    shifted = log_weights - log_weights.max(axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)


@dataclass(frozen=True, slots=True)
class IndicatorState:
    """Where an indicator stands as of a date.

    ``status`` is ``True`` (observed), ``False`` (looked for, not seen) or ``None``
    (pending: no report yet). ``weight`` is the weight its status counts with,
    ``counted`` the report that weight comes from and ``latest`` its latest report.
    """

    indicator: Indicator
    status: bool | None
    weight: float
    counted: EvidenceRow | None
    latest: EvidenceRow | None

    @property
    def status_text(self) -> str:
        return {True: "observed", False: "not observed", None: "pending"}[self.status]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One evidence row's part in the forecast.

    ``effect`` maps each scenario to the change in its probability, in percentage
    points, when this report was applied after those before it (``None`` for a
    report dated after the as-of date).
    """

    row: EvidenceRow
    weight: float
    role: str
    effect: Mapping[str, float] | None
    order: int | None


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """An indicator on a scenario's checklist, with its status and diagnosticity.

    ``diagnosticity`` is the likelihood ratio P(observed | scenario) /
    P(observed | any other scenario, weighted by prior): how strongly seeing it
    points to this scenario rather than the rest.
    """

    state: IndicatorState
    diagnosticity: float


@dataclass(frozen=True, slots=True)
class Trajectory:
    """Daily probabilities: ``probabilities[k, j]`` is scenario ``j`` on ``dates[k]``."""

    dates: tuple[date, ...]
    scenario_ids: tuple[str, ...]
    probabilities: np.ndarray

    def at(self, day: date) -> dict[str, float]:
        """The probabilities on ``day``."""
        k = (day - self.dates[0]).days
        if not 0 <= k < len(self.dates):
            raise KeyError(day)
        return dict(zip(self.scenario_ids, self.probabilities[k].tolist()))


@dataclass(frozen=True)
class Assessment:
    """A question's forecast as of a date, and everything that explains it."""

    question: Question
    as_of: date
    probabilities: Mapping[str, float]
    states: Mapping[str, IndicatorState]
    audit: tuple[AuditEntry, ...]
    trajectory: Trajectory
    evidence_counted: int

    @property
    def leading(self) -> str:
        """The id of the most probable scenario (the first one listed, on a tie)."""
        return max(self.question.scenario_ids, key=lambda s: self.probabilities[s])

    @property
    def tripwires_fired(self) -> tuple[str, ...]:
        """Ids of tripwire indicators observed as of the date."""
        return tuple(
            i.id for i in self.question.indicators if i.tripwire and self.states[i.id].status is True
        )

    def checklist(self, scenario_id: str) -> list[ChecklistItem]:
        """The indicators that signal ``scenario_id``, in question order."""
        priors = {s.id: s.prior for s in self.question.scenarios}
        rest = [s for s in priors if s != scenario_id]
        items = []
        for ind in self.question.indicators:
            if ind.signals != scenario_id:
                continue
            elsewhere = sum(priors[s] * ind.likelihood[s] for s in rest) / sum(priors[s] for s in rest)
            items.append(ChecklistItem(self.states[ind.id], ind.likelihood[scenario_id] / elsewhere))
        return items


class _Compiled:
    """A question's evidence as arrays, ordered for the rule, up to a date."""

    def __init__(self, question: Question, rows: Sequence[EvidenceRow], as_of: date) -> None:
        self.question = question
        self.scenario_ids = question.scenario_ids
        self.log_prior = np.log([s.prior for s in question.scenarios])
        lik = np.array([[i.likelihood[s] for s in self.scenario_ids] for i in question.indicators])
        self.log_p, self.log_not_p = np.log(lik), np.log1p(-lik)
        index = {iid: k for k, iid in enumerate(question.indicator_ids)}
        #: positions in ``rows`` of the reports counted as of the date, in file order
        self.kept = [k for k, r in enumerate(rows) if r.date <= as_of]
        self.rows = [rows[k] for k in self.kept]
        n = len(self.rows)
        self.n = n
        self.indicator = np.fromiter((index[r.indicator] for r in self.rows), np.int64, n)
        self.day = np.fromiter((r.date.toordinal() for r in self.rows), np.int64, n)
        self.observed = np.fromiter((r.observed for r in self.rows), bool, n)
        weights = {}
        for r in self.rows:
            key = (r.reliability, r.credibility)
            if key not in weights:
                weights[key] = question.weight(*key)
        self.weight = np.fromiter((weights[(r.reliability, r.credibility)] for r in self.rows), float, n)
        self._apply_rule()

    def _apply_rule(self) -> None:
        n, S = self.n, len(self.scenario_ids)
        # Global order: date, then weight, then row order in the file.
        self.order = np.lexsort((np.arange(n), self.weight, self.day))
        # The same order, grouped by indicator (a stable sort keeps it within each group).
        by_ind = self.order[np.argsort(self.indicator[self.order], kind="stable")]
        ind, obs, w = self.indicator[by_ind], self.observed[by_ind], self.weight[by_ind]
        first = np.ones(n, bool)
        first[1:] = ind[1:] != ind[:-1]
        last = np.ones(n, bool)
        last[:-1] = first[1:]
        # A run is a stretch of one indicator's reports that say the same thing.
        new_run = first.copy()
        new_run[1:] |= obs[1:] != obs[:-1]
        run = np.cumsum(new_run) - 1
        # Running maximum of w within each run, exactly: ranks of w offset by run.
        levels, rank = np.unique(w, return_inverse=True)
        key = run * max(len(levels), 1) + rank
        running = levels[np.maximum.accumulate(key) - run * max(len(levels), 1)] if n else w
        contribution = running[:, None] * np.where(obs[:, None], self.log_p[ind], self.log_not_p[ind])
        before = np.zeros_like(contribution)
        before[1:] = contribution[:-1]
        before[first] = 0.0
        # Scatter each report's change back to its place in the global order and add up.
        position = np.empty(n, np.int64)
        position[self.order] = np.arange(n)
        delta = np.empty((n, S))
        delta[position[by_ind]] = contribution - before
        self.log_after = self.log_prior + np.cumsum(delta, axis=0)
        self.day_sorted = self.day[self.order]

        # Final state per indicator: its last report in rule order.
        n_ind = len(self.question.indicators)
        self.status = np.full(n_ind, _PENDING, np.int8)
        self.status[ind[last]] = obs[last].astype(np.int8)
        self.status_weight = np.zeros(n_ind)
        self.status_weight[ind[last]] = running[last]
        self.contribution = np.zeros((n_ind, S))
        self.contribution[ind[last]] = contribution[last]
        self.latest_row = np.full(n_ind, -1, np.int64)
        self.latest_row[ind[last]] = by_ind[last]

        # Roles: the report whose weight counts sets the status; the rest of its run corroborate;
        # reports before the final run were superseded.
        segment = np.cumsum(first) - 1
        ends = np.flatnonzero(last)
        in_final_run = run == run[ends][segment]
        candidates = np.flatnonzero(in_final_run & (w == running[ends][segment]))
        _, first_candidate = np.unique(segment[candidates], return_index=True)
        self.role = np.full(n, ROLE_SUPERSEDED, dtype=object)
        self.role[by_ind[in_final_run]] = ROLE_CORROBORATES
        setters = by_ind[candidates[first_candidate]]
        self.role[setters] = ROLE_SETS_STATUS
        self.counted_row = np.full(n_ind, -1, np.int64)
        self.counted_row[ind[candidates[first_candidate]]] = setters

    def final_log_posterior(self) -> np.ndarray:
        return self.log_prior + self.contribution.sum(axis=0)

    def trajectory(self, start: date, end: date) -> Trajectory:
        days = np.arange(start.toordinal(), end.toordinal() + 1)
        idx = np.searchsorted(self.day_sorted, days, side="right") - 1
        if self.n:
            logs = np.where((idx >= 0)[:, None], self.log_after[np.maximum(idx, 0)], self.log_prior)
        else:
            logs = np.broadcast_to(self.log_prior, (len(days), len(self.log_prior)))
        dates = tuple(start + timedelta(days=k) for k in range(len(days)))
        return Trajectory(dates, self.scenario_ids, softmax(logs))

    def effects(self) -> np.ndarray:
        """Change of each scenario's probability, in points, as each report is applied in order."""
        after = softmax(self.log_after)
        before = np.vstack([softmax(self.log_prior)[None, :], after[:-1]]) if self.n else after
        effect = np.empty_like(after)
        effect[self.order] = (after - before) * 100.0
        return effect


def _rows_of(evidence: EvidenceLog | Iterable[EvidenceRow]) -> list[EvidenceRow]:
    return list(evidence.rows if isinstance(evidence, EvidenceLog) else evidence)


def posterior_as_of(
    question: Question, evidence: EvidenceLog | Iterable[EvidenceRow], as_of: date | None = None
) -> dict[str, float]:
    """Scenario probabilities as of a date.

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog or iterable of EvidenceRow
        Reports dated after ``as_of`` are ignored.
    as_of : date, optional
        Defaults to today.

    Returns
    -------
    dict
        Scenario id to probability; the values sum to 1.

    Examples
    --------
    >>> from forecast import load_question, load_evidence
    >>> q = load_question("data/questions/russia-syria-bases.yaml")  # doctest: +SKIP
    >>> posterior_as_of(q, load_evidence("data/evidence/russia-syria-bases.csv", q))  # doctest: +SKIP
    {'keep': 0.27..., 'partial': 0.58..., 'exit': 0.14...}
    """
    compiled = _Compiled(question, _rows_of(evidence), as_of or date.today())
    return dict(zip(question.scenario_ids, softmax(compiled.final_log_posterior()).tolist()))


def assess(
    question: Question, evidence: EvidenceLog | Iterable[EvidenceRow], as_of: date | None = None
) -> Assessment:
    """Everything the suite says about a question as of a date.

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog or iterable of EvidenceRow
    as_of : date, optional
        Defaults to today. Reports dated later are listed in the audit trail as
        ``"after as-of"`` and not counted.

    Returns
    -------
    Assessment
        Probabilities, each indicator's state, the audit trail (in file order),
        and the daily trajectory from the question's opening to ``as_of``.
    """
    as_of = as_of or date.today()
    rows = _rows_of(evidence)
    compiled = _Compiled(question, rows, as_of)
    probabilities = dict(zip(question.scenario_ids, softmax(compiled.final_log_posterior()).tolist()))

    counted = compiled.rows
    states = {}
    for k, ind in enumerate(question.indicators):
        status = None if compiled.status[k] == _PENDING else bool(compiled.status[k])
        states[ind.id] = IndicatorState(
            indicator=ind,
            status=status,
            weight=float(compiled.status_weight[k]),
            counted=counted[compiled.counted_row[k]] if compiled.counted_row[k] >= 0 else None,
            latest=counted[compiled.latest_row[k]] if compiled.latest_row[k] >= 0 else None,
        )

    effects = compiled.effects()
    rank = np.empty(compiled.n, np.int64)
    rank[compiled.order] = np.arange(compiled.n)
    audit_of = {}
    for k, row in enumerate(counted):
        audit_of[compiled.kept[k]] = AuditEntry(
            row=row,
            weight=float(compiled.weight[k]),
            role=str(compiled.role[k]),
            effect=dict(zip(question.scenario_ids, effects[k].tolist())),
            order=int(rank[k]),
        )
    audit = tuple(
        audit_of.get(k)
        or AuditEntry(row, question.weight(row.reliability, row.credibility), ROLE_AFTER_AS_OF, None, None)
        for k, row in enumerate(rows)
    )
    start = min(question.opened, as_of)
    return Assessment(
        question=question,
        as_of=as_of,
        probabilities=probabilities,
        states=states,
        audit=audit,
        trajectory=compiled.trajectory(start, as_of),
        evidence_counted=compiled.n,
    )
