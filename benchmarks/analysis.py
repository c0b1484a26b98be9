"""Target 3: the analysis functions against their floors.

- **Monte Carlo intervals.** :func:`forecast.analysis.intervals` with every likelihood
  given as a range (2,000 draws × 1,000 indicators × 5 scenarios) against what numpy
  needs just to draw that many uniforms and take their logarithm, in place. Before
  timing, every draw's posterior is checked, to 1e-9, against one computed straight
  from the definition with the same uniforms.
- **Leave-one-out.** :func:`forecast.analysis.critical_evidence` over 10,000
  indicators (every indicator and every report left out in turn) against one
  posterior, :func:`forecast.posterior_as_of`, of the same log. Before timing, a
  smaller case is checked: every leave-one-out posterior against the reference
  loop run on the log without that indicator or report.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from forecast import posterior_as_of
from forecast.model import EvidenceRow, Question

from .harness import Line, Options, Target, assert_close, register, sampling, time_side_by_side
from .reference import not_seen_term, reference_assessment
from .synthetic import make_workload

__all__ = ["check_intervals", "check_leave_one_out"]

TARGET = Target("<=", 3)
SEED = 20241208


def _uniform_logs(draws: int, entries: int, seed: int) -> np.ndarray:
    """The floor: ``draws x entries`` uniforms and their logarithm, in place."""
    sample = np.random.default_rng(seed).random((draws, entries))
    return np.log(sample, out=sample)


def _posterior_draws_by_definition(
    question: Question, rows: list[EvidenceRow], as_of: date, draws: int, seed: int
) -> np.ndarray:
    """Each draw's posterior, straight from the definition, every likelihood ranged.

    Draw ``d`` takes likelihood ``low + (high - low) * U[d, k, j]`` for indicator ``k``
    and scenario ``j``; the uniforms are those :func:`forecast.analysis.intervals`
    documents: one per draw and ranged entry, from ``default_rng(seed).random``, in
    question then scenario order.
    """
    ids = question.scenario_ids
    reference = reference_assessment(question, rows, as_of)
    low = np.array([[i.ranges[s][0] for s in ids] for i in question.indicators])
    high = np.array([[i.ranges[s][1] for s in ids] for i in question.indicators])
    uniforms = np.random.default_rng(seed).random((draws, low.size)).reshape(draws, *low.shape)
    p = low + (high - low) * uniforms
    # A "not seen" counts its looks stretch by stretch (the reference's), its weights inside the sum.
    weight = np.array(
        [reference.weight.get(i.id, 0.0) if i.id not in reference.looks else 1.0 for i in question.indicators]
    )
    logs = np.log(p)
    for k, indicator in enumerate(question.indicators):
        if indicator.id in reference.looks:
            logs[:, k] = not_seen_term(p[:, k], reference.looks[indicator.id])
    total = np.log([s.prior for s in question.scenarios]) + np.einsum("k,dkj->dj", weight, logs)
    total -= total.max(axis=1, keepdims=True)
    probabilities = np.exp(total)
    return probabilities / probabilities.sum(axis=1, keepdims=True)


def check_intervals(question: Question, rows: list[EvidenceRow], as_of: date, draws: int) -> float:
    """Raise unless every draw of ``intervals`` matches the definition; return the largest difference."""
    from forecast.analysis.uncertainty import intervals

    result = intervals(question, rows, as_of, draws=draws, seed=SEED)
    expected = _posterior_draws_by_definition(question, rows, as_of, draws, SEED)
    return assert_close("Monte Carlo draws", result.draws, expected)


def check_leave_one_out(question: Question, rows: list[EvidenceRow], as_of: date) -> float:
    """Raise unless every leave-one-out posterior matches the reference without that evidence."""
    from forecast.analysis.influence import critical_evidence

    influences = critical_evidence(question, rows, as_of, threshold_points=0.0)
    kinds = [i.kind for i in influences]
    reference = reference_assessment(question, rows, as_of)
    counted = [r for r in rows if r.date <= as_of]
    if kinds.count("indicator") != len(reference.status) or kinds.count("report") != len(counted):
        raise AssertionError(
            f"expected every indicator with a status ({len(reference.status)}) and every counted report "
            f"({len(counted)}) at threshold 0, got {kinds.count('indicator')} and {kinds.count('report')}"
        )
    worst = 0.0
    for influence in influences:
        if influence.kind == "indicator":
            kept = [r for r in rows if r.indicator != influence.id]
        else:
            kept = [r for r in rows if r is not influence.row]
        expected = reference_assessment(question, kept, as_of).probabilities
        got = [influence.probabilities_without[s] for s in question.scenario_ids]
        worst = max(worst, assert_close(f"without {influence.kind} {influence.id}", got, expected))
    return worst


@register("intervals-vs-floor", 3, "Monte Carlo intervals vs drawing the uniforms and their log")
def intervals_vs_floor(options: Options) -> list[Line]:
    from forecast.analysis.uncertainty import intervals

    n_indicators, n_scenarios, draws = (200, 5, 500) if options.quick else (1_000, 5, 2_000)
    n_reports = 5 * n_indicators
    workload = make_workload(n_reports, n_indicators, n_scenarios, 365, ranged=True)
    question, rows, as_of = workload.question, workload.rows, workload.as_of
    difference = check_intervals(question, rows, as_of, draws)
    entries = n_indicators * n_scenarios
    repeats = options.repeats_or(full=7, quick=3)
    timings = time_side_by_side(
        {
            "intervals": lambda: intervals(question, rows, as_of, draws=draws, seed=SEED),
            "floor": lambda: _uniform_logs(draws, entries, SEED),
        },
        repeats,
    )
    ours, theirs = timings["intervals"].best, timings["floor"].best
    return [
        Line(
            benchmark="intervals-vs-floor",
            label="intervals() / uniforms + log",
            value=ours / theirs,
            target=TARGET,
            ours=ours,
            theirs=theirs,
            what=(
                f"forecast.analysis.intervals(question, rows, as_of, draws={draws:,}) with every likelihood "
                f"ranged ({n_indicators:,} indicators × {n_scenarios} scenarios, all with a status, from "
                f"{n_reports:,} reports; compiling the log is included) against "
                f"np.log(default_rng(seed).random(({draws:,}, {entries:,})), out=...). {sampling(timings)}; "
                "every draw checked against the definition to 1e-9."
            ),
            details={
                "n_indicators": n_indicators,
                "n_scenarios": n_scenarios,
                "n_reports": n_reports,
                "draws": draws,
                "max_abs_difference": difference,
                "seconds": {name: list(t.samples) for name, t in timings.items()},
                "calls_per_sample": {name: t.calls for name, t in timings.items()},
                "statistic": "best of repeats; a sample is the mean of calls_per_sample calls",
            },
        )
    ]


@register("leave-one-out", 3, "Leave-one-out (critical evidence) vs one posterior")
def leave_one_out(options: Options) -> list[Line]:
    from forecast.analysis.influence import critical_evidence

    check = make_workload(400, 200, 3, 90, seed=11, spill_days=5)
    difference = check_leave_one_out(check.question, check.rows, check.as_of)

    n_indicators = 1_000 if options.quick else 10_000
    n_reports = 2 * n_indicators
    workload = make_workload(n_reports, n_indicators, 5, 365)
    question, rows, as_of = workload.question, workload.rows, workload.as_of
    repeats = options.repeats_or(full=5, quick=3)
    timings = time_side_by_side(
        {
            "critical_evidence": lambda: critical_evidence(question, rows, as_of),
            "posterior": lambda: posterior_as_of(question, rows, as_of),
        },
        repeats,
    )
    ours, theirs = timings["critical_evidence"].best, timings["posterior"].best
    return [
        Line(
            benchmark="leave-one-out",
            label="critical_evidence() / posterior_as_of()",
            value=ours / theirs,
            target=TARGET,
            ours=ours,
            theirs=theirs,
            what=(
                f"forecast.analysis.critical_evidence(question, rows, as_of): each of {n_indicators:,} "
                f"indicators and each of {n_reports:,} reports left out in turn (5 scenarios), against one "
                f"forecast.posterior_as_of on the same log. {sampling(timings)}. Checked first on "
                "200 indicators and 400 reports: every leave-one-out posterior against the reference loop "
                "run without that evidence, to 1e-9."
            ),
            details={
                "n_indicators": n_indicators,
                "n_reports": n_reports,
                "n_scenarios": 5,
                "max_abs_difference": difference,
                "seconds": {name: list(t.samples) for name, t in timings.items()},
                "calls_per_sample": {name: t.calls for name, t in timings.items()},
                "statistic": "best of repeats; a sample is the mean of calls_per_sample calls",
            },
        )
    ]
