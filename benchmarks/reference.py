"""The update rule as a plain pure-Python loop over reports: the engine's yardstick.

This is written to be obviously correct, not clever. It walks the reports in the
rule's order (date, then weight, then row order), keeps each indicator's status,
weight and contribution in dictionaries, keeps a running sum of the contributions,
and writes down the posterior every time a day ends. It is also not deliberately
slow: each report costs a few dictionary look-ups and one pass over the scenarios.

The rule (see :mod:`forecast.engine`): a report weighs ``w = R[reliability] *
C[credibility]``; an indicator's status is what its last report says and its weight
the highest ``w`` among the trailing reports that say the same; it contributes
``w * log p(s)`` to each scenario's log-probability if observed. If not seen, each
trailing "not seen" report covers the first ``F(d)`` of the window (the part passed
by its date ``d``); with the distinct fractions ``F_1 < ... < F_m`` and ``F_0 = 0``,
the indicator contributes ``sum_k W_k [log(1 - p(s) F_k) - log(1 - p(s) F_(k-1))]``,
``W_k`` being the highest weight among the looks with ``F >= F_k``. A
dependence group contributes ``L_leader + (1 - rho) * sum(L_other)`` over its members
with a status, the leader being the one whose contribution spreads most (the first,
on a tie). The posterior is proportional to ``prior * exp(sum)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from forecast.model import EvidenceRow, Question

__all__ = ["ReferenceResult", "not_seen_term", "reference_assessment", "softmax"]


@dataclass(frozen=True)
class ReferenceResult:
    """The posterior as of the date, on every day from the opening up to it, and the final states.

    ``status`` maps each indicator with a report to whether it was last observed,
    ``weight`` to the weight that status counts with (for a "not seen", its best look's),
    and ``fraction`` to ``F``, the part of its window its latest look covers (1 for a sighting).
    ``looks`` maps each "not seen" indicator to the ``(F, w)`` of its looks that can count,
    ``F`` ascending: its contribution is :func:`not_seen_term` of them.
    """

    scenario_ids: tuple[str, ...]
    probabilities: list[float]
    dates: list[date]
    trajectory: list[list[float]]
    status: dict[str, bool]
    weight: dict[str, float]
    fraction: dict[str, float]
    looks: dict[str, list[tuple[float, float]]]


def softmax(log_weights: Sequence[float]) -> list[float]:
    """Probabilities proportional to ``exp(log_weights)``, shifted by the maximum to avoid overflow."""
    top = max(log_weights)
    weights = [math.exp(v - top) for v in log_weights]
    total = sum(weights)
    return [v / total for v in weights]


def not_seen_term(p, looks: list[tuple[float, float]]):
    """``sum_k W_k [log(1 - p F_k) - log(1 - p F_(k-1))]`` over the looks ``(F, w)``: each stretch of
    the window at the weight of the best look that covers it. ``p`` may be a number or a numpy array."""
    import numpy as np

    fractions = sorted({f for f, _ in looks})
    total = 0.0
    before = 0.0
    for f in fractions:
        best = max(w for g, w in looks if g >= f)
        total = total + best * (np.log1p(-p * f) - np.log1p(-p * before))
        before = f
    return total


def reference_assessment(question: Question, rows: Sequence[EvidenceRow], as_of: date) -> ReferenceResult:
    """The posterior as of ``as_of`` and the daily trajectory from the question's opening."""
    scenario_ids = question.scenario_ids
    log_prior = [math.log(s.prior) for s in question.scenarios]
    log_if_observed = {i.id: [math.log(i.likelihood[s]) for s in scenario_ids] for i in question.indicators}
    likelihood = {i.id: [i.likelihood[s] for s in scenario_ids] for i in question.indicators}
    window = {i.id: question.window_of(i) for i in question.indicators}
    group_of = {i.id: i.group for i in question.indicators if i.group is not None}
    members = {g: [i.id for i in question.indicators if i.group == g] for g in question.groups}
    group_value = {g: [0.0] * len(scenario_ids) for g in question.groups}

    def fraction(indicator: str, day: date) -> float:
        start, end = window[indicator]
        if end <= start:
            return 1.0
        return min(max((day - start).days / (end - start).days, 0.0), 1.0)

    def not_seen(indicator: str, seen_looks: list[tuple[float, float]]) -> list[float]:
        # Each stretch (F_(k-1), F_k] at the weight of the best look that covers it.
        fractions = sorted({f for f, _ in seen_looks})
        total = [0.0] * len(scenario_ids)
        before = 0.0
        for f in fractions:
            best = max(w for g, w in seen_looks if g >= f)
            for j, p in enumerate(likelihood[indicator]):
                total[j] += best * (math.log1p(-p * f) - math.log1p(-p * before))
            before = f
        return total

    def group_contribution(group: str) -> list[float]:
        rows = [contribution[i] for i in members[group] if i in contribution]
        spreads = [max(r) - min(r) for r in rows]
        leader = spreads.index(max(spreads))
        rho = question.groups[group].dependence
        return [
            rows[leader][j] + (1 - rho) * sum(r[j] for k, r in enumerate(rows) if k != leader)
            for j in range(len(scenario_ids))
        ]

    # The rule's order: date, then weight, then row order in the file.
    counted = [
        (row.date, question.weight(row.reliability, row.credibility), k, row)
        for k, row in enumerate(rows)
        if row.date <= as_of
    ]
    counted.sort(key=lambda report: report[:3])

    status: dict[str, bool] = {}
    weight: dict[str, float] = {}
    # (F, w) of the trailing "not seen" reports that can still count: a look that a later one of at
    # least its weight covers is dropped, as it would never be the best look over any stretch.
    looks: dict[str, list[tuple[float, float]]] = {}
    latest_day: dict[str, date] = {}
    contribution: dict[str, list[float]] = {}
    no_contribution = [0.0] * len(scenario_ids)
    running = [0.0] * len(scenario_ids)  # sum of every indicator's current contribution

    start = min(question.opened, as_of)
    day = start
    dates: list[date] = []
    trajectory: list[list[float]] = []

    def end_day() -> None:
        nonlocal day
        dates.append(day)
        trajectory.append(softmax([p + r for p, r in zip(log_prior, running)]))
        day += timedelta(days=1)

    for report_date, w, _, row in counted:
        # Reports dated before the opening are applied before the first day ends.
        while day < report_date:
            end_day()
        indicator = row.indicator
        if status.get(indicator) != row.observed:
            status[indicator], weight[indicator], looks[indicator] = row.observed, w, []
        weight[indicator] = max(weight[indicator], w)
        latest_day[indicator] = report_date
        if row.observed:
            new = [weight[indicator] * v for v in log_if_observed[indicator]]
        else:
            kept = looks[indicator]
            while kept and kept[-1][1] <= w:
                kept.pop()
            kept.append((fraction(indicator, report_date), w))
            new = not_seen(indicator, looks[indicator])
        group = group_of.get(indicator)
        if group is None:
            old = contribution.get(indicator, no_contribution)
            running = [r + (n - o) for r, n, o in zip(running, new, old)]
            contribution[indicator] = new
        else:
            contribution[indicator] = new
            old, group_value[group] = group_value[group], group_contribution(group)
            running = [r + (n - o) for r, n, o in zip(running, group_value[group], old)]
    while day <= as_of:
        end_day()

    probabilities = softmax([p + r for p, r in zip(log_prior, running)])
    fractions = {i: 1.0 if status[i] else fraction(i, latest_day[i]) for i in status}
    absent_looks = {i: sorted(looks[i]) for i in status if not status[i]}
    return ReferenceResult(
        scenario_ids, probabilities, dates, trajectory, status, weight, fractions, absent_looks
    )
