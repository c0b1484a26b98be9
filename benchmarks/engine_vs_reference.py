"""Target 1: the engine against a plain pure-Python loop over reports.

Both compute the posterior as of the last day and the daily trajectory from the
question's opening for the same synthetic log. Before anything is timed, the
engine's numbers are checked against the reference's: the final posterior and
every day of the trajectory, to 1e-9.

Both sides start from the same loaded log and neither's loading is timed. The
reference walks its ``EvidenceRow`` objects; the engine is handed the
:class:`~forecast.model.EvidenceLog` as :func:`forecast.load_evidence` returns it,
with the rows already read into columns as it loaded. Every call then matches the
log against the question, sorts it into the rule's order, applies the rule and
builds the trajectory from scratch; only the question's own tables (log
likelihoods, weight ranks) are kept between calls, as the reference could keep its
dictionaries. Two lines are for information: the same call on a log built from the
rows inside the call (reading the rows into columns is then timed too), and the
public :func:`forecast.assess`, which also builds indicator states and an audit
entry per report.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np

from forecast import assess, posterior_as_of, trajectory
from forecast.model import EvidenceLog, EvidenceRow, Question

from .harness import Line, Options, Target, assert_close, register, sampling, time_side_by_side
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


def assessed(question, evidence, as_of):
    """:func:`forecast.assess` with what it computes lazily read: probabilities, states, audit, trajectory."""
    a = assess(question, evidence, as_of)
    return a.probabilities, a.states, a.audit, a.trajectory


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
    loaded = workload.loaded_log()
    timings = time_side_by_side(
        {
            "reference": lambda: reference_assessment(question, rows, as_of),
            "trajectory": lambda: engine_posterior_and_trajectory(question, loaded, as_of),
            # A new log each call: reading the rows into columns is inside the timed call.
            "trajectory on a new log": lambda: engine_posterior_and_trajectory(
                question, EvidenceLog(rows=rows), as_of
            ),
            "assess": lambda: assessed(question, loaded, as_of),
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
        "calls_per_sample": {name: t.calls for name, t in timings.items()},
        "statistic": "best of repeats; a sample is the mean of calls_per_sample calls",
    }
    how = (
        f"Reference: benchmarks.reference loop over the same log's EvidenceRow objects. "
        f"{sampling(timings)}; {size}; results checked equal to 1e-9."
    )
    lines = []
    for name, label, target, what in (
        (
            "trajectory",
            "trajectory() on a loaded log vs reference loop",
            TARGET,
            "forecast.trajectory(question, log, as_of) on the log as load_evidence returns it (its rows "
            "read into columns as it loaded); everything else is done in each call. Its last day is the "
            "posterior.",
        ),
        (
            "trajectory on a new log",
            "trajectory() on a log built in the call vs reference",
            None,
            "The same call handed EvidenceLog(rows=rows) new each time, so reading 100,000 row objects "
            "into columns (one pass per field) is timed too: what a log built by hand costs on its "
            "first call. For information.",
        ),
        (
            "assess",
            "assess() on a loaded log vs reference loop",
            None,
            "forecast.assess on the loaded log: posterior, trajectory, indicator states and the audit trail "
            "(an AuditEntry with a dict of effects per report). For information: the target is posterior "
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
