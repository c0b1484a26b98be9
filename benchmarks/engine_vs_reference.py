"""Target 1: the engine against a plain pure-Python loop over reports.

Both compute the posterior as of the last day and the daily trajectory from the
question's opening for the same synthetic log. Before anything is timed, the
engine's numbers are checked against the reference's: the final posterior and
every day of the trajectory, to 1e-9.

Both sides start from the same in-memory log. The reference walks its
``EvidenceRow`` objects; the engine is handed an :class:`~forecast.model.EvidenceLog`
of those rows and reads them into columns (one pass per field) before the rule
runs on arrays. The target line times a fresh log, so reading the rows into
columns is inside the engine's time. A log keeps its columns, so every later call
on it skips that; a second line times that case, and a third the public
:func:`forecast.assess`, which also builds indicator states and an audit entry per
report. Those two are for information.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np

from forecast import assess, posterior_as_of, trajectory
from forecast.model import EvidenceLog, EvidenceRow, Question

from .harness import Line, Options, Target, assert_close, register, time_side_by_side
from .reference import reference_assessment
from .synthetic import Workload, make_workload

__all__ = ["check_engine_matches_reference", "engine_posterior_and_trajectory"]

TARGET = Target(">=", 50)
FULL = {"n_reports": 100_000, "n_indicators": 1_000, "n_scenarios": 5, "n_days": 1096}
QUICK = {"n_reports": 5_000, "n_indicators": 100, "n_scenarios": 5, "n_days": 365}


def engine_posterior_and_trajectory(
    question: Question, evidence: EvidenceLog | Iterable[EvidenceRow], as_of: date
) -> tuple[np.ndarray, np.ndarray]:
    """The engine's posterior as of ``as_of`` and its trajectory from the opening, through the public API.

    One call, :func:`forecast.trajectory`: its last day is the posterior as of ``as_of``.
    """
    path = trajectory(question, evidence, as_of)
    return path.probabilities[-1], path.probabilities


def check_engine_matches_reference(workload: Workload, tolerance: float = 1e-9) -> dict[str, float]:
    """Raise :class:`~benchmarks.harness.MismatchError` unless the engine's paths match the reference.

    Returns the largest differences found, by what was compared.
    """
    question, rows, as_of = workload.question, workload.rows, workload.as_of
    reference = reference_assessment(question, rows, as_of)
    assessment = assess(question, rows, as_of)
    if list(assessment.trajectory.dates) != reference.dates:
        raise AssertionError("assess: trajectory dates differ from the reference's")
    posterior, path = engine_posterior_and_trajectory(question, EvidenceLog(rows=tuple(rows)), as_of)
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
        "posterior_as_of": assert_close(
            "posterior_as_of", list(posterior_as_of(question, rows, as_of).values()), reference.probabilities
        ),
        "trajectory, last day": assert_close("trajectory, last day", posterior, reference.probabilities),
        "trajectory": assert_close("trajectory", path, reference.trajectory, tolerance),
    }


@register("engine-vs-reference", 1, "Engine vs a plain pure-Python reference")
def engine_vs_reference(options: Options) -> list[Line]:
    sizes = QUICK if options.quick else FULL
    workload = make_workload(**sizes)
    differences = check_engine_matches_reference(workload)
    question, rows, as_of = workload.question, tuple(workload.rows), workload.as_of
    warm = EvidenceLog(rows=rows)
    warm.columns()
    timings = time_side_by_side(
        {
            "reference": lambda: reference_assessment(question, rows, as_of),
            # A new log each call: its columns are built inside the timed call.
            "trajectory": lambda: engine_posterior_and_trajectory(question, EvidenceLog(rows=rows), as_of),
            "trajectory, columns kept": lambda: engine_posterior_and_trajectory(question, warm, as_of),
            "assess": lambda: assess(question, EvidenceLog(rows=rows), as_of),
        },
        options.repeats_or(full=7, quick=3),
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
    how = (
        f"Reference: benchmarks.reference loop over the same log's EvidenceRow objects. Best of "
        f"{len(timings['reference'].samples)}, interleaved; {size}; results checked equal to 1e-9."
    )
    lines = []
    for name, label, target, what in (
        (
            "trajectory",
            "trajectory() on a new log vs reference loop",
            TARGET,
            "forecast.trajectory(question, EvidenceLog(rows=rows), as_of) on a new log each call: reading "
            "the rows into columns (one pass per field) is included. Its last day is the posterior.",
        ),
        (
            "trajectory, columns kept",
            "trajectory(), columns already read, vs reference",
            None,
            "The same call on a log whose columns were read by an earlier call (as every call after the "
            "first on one loaded log): the rule on arrays alone. For information.",
        ),
        (
            "assess",
            "assess() on a new log vs reference loop",
            None,
            "forecast.assess on a new log: posterior, trajectory, indicator states and the audit trail (an "
            "AuditEntry with a dict of effects per report). For information: the target is posterior "
            "and trajectory.",
        ),
    ):
        ours = timings[name].best
        lines.append(
            Line(
                benchmark="engine-vs-reference",
                label=label,
                value=reference / ours,
                target=target,
                ours=ours,
                theirs=reference,
                what=f"{what} {how}",
                details=details,
            )
        )
    return lines
