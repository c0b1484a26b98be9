"""Synthetic questions and evidence logs, built directly as :mod:`forecast.model` objects.

Everything is drawn from a seeded :class:`numpy.random.Generator`, so a size and a
seed always give the same question and the same log. The log reads like a real
one: rows are in date order (the order an analyst appends them), with every
Admiralty grade, both outcomes, and several reports per indicator per day at the
larger sizes, so the rule's tie-breaks (weight, then row order) are exercised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from forecast.model import (
    DEFAULT_CREDIBILITY_WEIGHTS,
    DEFAULT_RELIABILITY_WEIGHTS,
    EvidenceLog,
    EvidenceRow,
    Indicator,
    Question,
    Scenario,
)

__all__ = ["OPENED", "Workload", "make_evidence", "make_question", "make_workload"]

#: Every synthetic question opens on this date.
OPENED = date(2022, 1, 1)
_RELIABILITIES = tuple(DEFAULT_RELIABILITY_WEIGHTS)
_CREDIBILITIES = tuple(DEFAULT_CREDIBILITY_WEIGHTS)
#: Likelihoods are drawn from this range, so that log p and log(1 - p) stay finite.
_LIKELIHOOD_RANGE = (0.05, 0.95)
#: Half-width of a ranged likelihood ``(p - h, p + h)``, clipped to the range above.
_RANGE_HALF_WIDTH = 0.04


@dataclass(frozen=True)
class Workload:
    """A question, its evidence rows in file order, and the date to assess it as of."""

    question: Question
    rows: list[EvidenceRow]
    as_of: date

    def loaded_log(self) -> EvidenceLog:
        """The rows as :func:`forecast.load_evidence` returns them: a log with its columns already read."""
        log = EvidenceLog(rows=tuple(self.rows))
        log.columns()
        return log

    @property
    def days(self) -> int:
        """Days in the trajectory, from the opening to the as-of date inclusive."""
        return (self.as_of - self.question.opened).days + 1


def make_question(
    rng: np.random.Generator, n_indicators: int, n_scenarios: int, n_days: int, *, ranged: bool = False
) -> Question:
    """A question with Dirichlet priors and uniformly drawn likelihoods.

    With ``ranged=True`` every likelihood is also given as a range around its point
    value (the point value is the range's midpoint, as :mod:`forecast.inputs` does).
    """
    scenario_ids = [f"s{j}" for j in range(n_scenarios)]
    priors = rng.dirichlet(np.full(n_scenarios, 2.0))
    scenarios = tuple(
        Scenario(id=sid, name=f"Scenario {j}", prior=float(p))
        for j, (sid, p) in enumerate(zip(scenario_ids, priors))
    )
    likelihoods = rng.uniform(*_LIKELIHOOD_RANGE, size=(n_indicators, n_scenarios))
    indicators = []
    width = len(str(max(n_indicators - 1, 0)))
    for k, row in enumerate(likelihoods):
        points = dict(zip(scenario_ids, row.tolist()))
        ranges = {}
        if ranged:
            half = np.minimum(_RANGE_HALF_WIDTH, np.minimum(row - 0.01, 0.99 - row))
            ranges = {sid: (p - h, p + h) for sid, p, h in zip(scenario_ids, row.tolist(), half.tolist())}
        indicators.append(
            Indicator(
                id=f"i{k:0{width}d}",
                text=f"Indicator {k}",
                signals=scenario_ids[int(row.argmax())],
                likelihood=points,
                ranges=ranges,
            )
        )
    return Question(
        id="synthetic",
        title="Synthetic benchmark question",
        question="Which scenario?",
        opened=OPENED,
        closes=OPENED + timedelta(days=n_days - 1),
        scenarios=scenarios,
        indicators=tuple(indicators),
    )


def make_evidence(
    rng: np.random.Generator, question: Question, n_reports: int, first: date, last: date
) -> list[EvidenceRow]:
    """``n_reports`` rows dated uniformly from ``first`` to ``last``, in date order.

    When there are at least as many reports as indicators, every indicator has one.
    """
    n_days = (last - first).days + 1
    days = np.sort(rng.integers(0, n_days, size=n_reports))
    n_indicators = len(question.indicators)
    if n_reports >= n_indicators:
        # Every indicator gets at least one report, so every one has a status.
        extra = rng.integers(0, n_indicators, size=n_reports - n_indicators)
        indicator = rng.permutation(np.concatenate([np.arange(n_indicators), extra]))
    else:
        indicator = rng.integers(0, n_indicators, size=n_reports)
    observed = rng.random(n_reports) < 0.5
    reliability = rng.integers(0, len(_RELIABILITIES), size=n_reports)
    credibility = rng.integers(0, len(_CREDIBILITIES), size=n_reports)
    # Rows of one day share a date object (a loaded log would not); it only makes generation
    # cheaper, and neither the engine nor the reference can tell.
    dates = [first + timedelta(days=d) for d in range(n_days)]
    indicator_ids = question.indicator_ids
    width = len(str(n_reports))
    return [
        EvidenceRow(
            id=f"r{k:0{width}d}",
            date=dates[d],
            indicator=indicator_ids[i],
            observed=bool(o),
            source="synthetic",
            reliability=_RELIABILITIES[r],
            credibility=_CREDIBILITIES[c],
        )
        for k, (d, i, o, r, c) in enumerate(
            zip(
                days.tolist(),
                indicator.tolist(),
                observed.tolist(),
                reliability.tolist(),
                credibility.tolist(),
            )
        )
    ]


def make_workload(
    n_reports: int,
    n_indicators: int,
    n_scenarios: int,
    n_days: int,
    *,
    seed: int = 20240601,
    ranged: bool = False,
    spill_days: int = 0,
) -> Workload:
    """A question and its log, assessed as of its last day.

    ``spill_days`` > 0 dates some reports up to that many days before the opening and
    after the as-of date, to exercise the edges of the trajectory.
    """
    rng = np.random.default_rng(seed)
    question = make_question(rng, n_indicators, n_scenarios, n_days, ranged=ranged)
    as_of = question.opened + timedelta(days=n_days - 1)
    spill = timedelta(days=spill_days)
    rows = make_evidence(rng, question, n_reports, question.opened - spill, as_of + spill)
    return Workload(question, rows, as_of)
