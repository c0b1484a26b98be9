"""Target 1: the engine against a plain pure-Python loop over reports.

Both compute the posterior as of the last day and the daily trajectory from the
question's opening for the same synthetic log. Before anything is timed, the
engine's numbers are checked against the reference's: the final posterior and
every day of the trajectory, to 1e-9.

Two engine lines are timed: :func:`forecast.assess`, the public API, which also
builds every indicator's state and the audit trail (a record per report); and
the posterior and trajectory alone, through the engine's private ``_Compiled``,
which is the same work the reference does.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from forecast import assess
from forecast.engine import _Compiled, softmax
from forecast.model import EvidenceRow, Question

from .harness import Line, Options, Target, assert_close, register, time_side_by_side
from .reference import reference_assessment
from .synthetic import Workload, make_workload

__all__ = ["check_engine_matches_reference", "engine_posterior_and_trajectory"]

TARGET = Target(">=", 50)
FULL = {"n_reports": 100_000, "n_indicators": 1_000, "n_scenarios": 5, "n_days": 1096}
QUICK = {"n_reports": 5_000, "n_indicators": 100, "n_scenarios": 5, "n_days": 365}


def engine_posterior_and_trajectory(
    question: Question, rows: list[EvidenceRow], as_of: date
) -> tuple[np.ndarray, np.ndarray]:
    """The engine's posterior as of ``as_of`` and its trajectory from the opening, nothing else."""
    compiled = _Compiled(question, rows, as_of)
    trajectory = compiled.trajectory(min(question.opened, as_of), as_of)
    return softmax(compiled.final_log_posterior()), trajectory.probabilities


def check_engine_matches_reference(workload: Workload, tolerance: float = 1e-9) -> dict[str, float]:
    """Raise :class:`~benchmarks.harness.MismatchError` unless both engine paths match the reference.

    Returns the largest differences found, by what was compared.
    """
    question, rows, as_of = workload.question, workload.rows, workload.as_of
    reference = reference_assessment(question, rows, as_of)
    assessment = assess(question, rows, as_of)
    if list(assessment.trajectory.dates) != reference.dates:
        raise AssertionError("assess: trajectory dates differ from the reference's")
    posterior, trajectory = engine_posterior_and_trajectory(question, rows, as_of)
    return {
        "assess posterior": assert_close(
            "assess posterior",
            [assessment.probabilities[s] for s in question.scenario_ids],
            reference.probabilities,
            tolerance,
        ),
        "assess trajectory": assert_close(
            "assess trajectory", assessment.trajectory.probabilities, reference.trajectory, tolerance
        ),
        "posterior": assert_close("posterior", posterior, reference.probabilities, tolerance),
        "trajectory": assert_close("trajectory", trajectory, reference.trajectory, tolerance),
    }


@register("engine-vs-reference", 1, "Engine vs a plain pure-Python reference")
def engine_vs_reference(options: Options) -> list[Line]:
    sizes = QUICK if options.quick else FULL
    workload = make_workload(**sizes)
    differences = check_engine_matches_reference(workload)
    question, rows, as_of = workload.question, workload.rows, workload.as_of
    timings = time_side_by_side(
        {
            "reference": lambda: reference_assessment(question, rows, as_of),
            "assess": lambda: assess(question, rows, as_of),
            "posterior+trajectory": lambda: engine_posterior_and_trajectory(question, rows, as_of),
        },
        options.repeats_or(full=5, quick=3),
    )
    reference = timings["reference"].best
    size = (
        f"{sizes['n_reports']:,} reports, {sizes['n_indicators']:,} indicators × "
        f"{sizes['n_scenarios']} scenarios, {workload.days:,} days"
    )
    details = {
        **sizes,
        "days": workload.days,
        "max_abs_difference": differences,
        "seconds": {name: list(t.samples) for name, t in timings.items()},
        "statistic": "best of repeats",
    }
    how = f"best of {len(timings['reference'].samples)}, interleaved; {size}; results checked equal to 1e-9."
    lines = []
    for name, label, what in (
        (
            "assess",
            "assess() vs reference loop",
            "forecast.assess(question, rows, as_of): posterior, trajectory, indicator states and the "
            "audit trail (a record per report), against the reference's posterior and trajectory only.",
        ),
        (
            "posterior+trajectory",
            "posterior+trajectory vs reference loop",
            "engine _Compiled(question, rows, as_of) + .trajectory() + softmax of the final "
            "log-posterior: the same outputs the reference computes.",
        ),
    ):
        ours = timings[name].best
        lines.append(
            Line(
                benchmark="engine-vs-reference",
                label=label,
                value=reference / ours,
                target=TARGET,
                ours=ours,
                theirs=reference,
                what=f"{what} {how}",
                details=details,
            )
        )
    return lines
