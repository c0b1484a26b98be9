"""Target 2: the engine's final posterior against pgmpy's exact inference.

The equivalent network has the scenario as the parent and one binary child per
indicator with a status. The child's CPD carries the tempered likelihood: in
state 0 it has ``p(s) ** w`` if the indicator was observed (``(1 - p(s) F) ** w`` if
not), in state 1 the complement; every child is observed in state 0. So the
posterior is ``prior * prod(p ** w)``, exactly the engine's rule once each
indicator's status and weight are known.

pgmpy is handed those statuses and weights (from the reference loop); the engine
works them out from the reports itself. Only ``VariableElimination.query`` is
timed for pgmpy, with its default (``"greedy"``, an einsum contraction)
elimination order; building the network and its CPDs is timed separately and
reported, not counted. The engine, likewise, is handed the log as
:func:`forecast.load_evidence` returns it (rows read into columns as it loaded);
an information line hands it a plain list of rows instead, so that reading them
is timed too.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from forecast import posterior_as_of
from forecast.model import Question

from .harness import Line, Options, Target, assert_close, register, sampling, time_side_by_side
from .reference import ReferenceResult, not_seen_term, reference_assessment
from .synthetic import make_workload

__all__ = ["pgmpy_network"]

TARGET = Target(">=", 100)
SCENARIO = "scenario"


def _import_pgmpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pgmpy 1.1 warns about its own renames on import
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.inference import VariableElimination
        from pgmpy.models import DiscreteBayesianNetwork
    return DiscreteBayesianNetwork, TabularCPD, VariableElimination


def pgmpy_network(question: Question, reference: ReferenceResult):
    """pgmpy's ``DiscreteBayesianNetwork`` for the indicators with a status, and its evidence."""
    DiscreteBayesianNetwork, TabularCPD, _ = _import_pgmpy()
    with_status = [i for i in question.indicators if i.id in reference.status]
    model = DiscreteBayesianNetwork([(SCENARIO, i.id) for i in with_status])
    n = len(question.scenarios)
    cpds = [TabularCPD(SCENARIO, n, [[s.prior] for s in question.scenarios])]
    for indicator in with_status:
        p = np.array([indicator.likelihood[s] for s in question.scenario_ids])
        if reference.status[indicator.id]:
            tempered = p ** reference.weight[indicator.id]
        else:  # each stretch of the window at the weight of the best look that covers it
            tempered = np.exp(not_seen_term(p, reference.looks[indicator.id]))
        cpds.append(
            TabularCPD(indicator.id, 2, [tempered, 1.0 - tempered], evidence=[SCENARIO], evidence_card=[n])
        )
    model.add_cpds(*cpds)
    model.check_model()
    return model, {i.id: 0 for i in with_status}


def _compare(options: Options, n_indicators: int, n_reports: int) -> dict:
    """Time pgmpy's query against the engine on a loaded log and on a list of rows."""
    VariableElimination = _import_pgmpy()[2]
    workload = make_workload(n_reports, n_indicators, 5, 365)
    question, rows, as_of = workload.question, workload.rows, workload.as_of
    reference = reference_assessment(question, rows, as_of)
    if len(reference.status) != n_indicators:
        raise AssertionError(f"{n_indicators - len(reference.status)} indicators have no status")

    start = time.perf_counter()
    model, evidence = pgmpy_network(question, reference)
    inference = VariableElimination(model)
    build = time.perf_counter() - start
    loaded = workload.loaded_log()

    def pgmpy_posterior() -> np.ndarray:
        return inference.query([SCENARIO], evidence=evidence, show_progress=False).values

    def engine_posterior() -> list[float]:
        return list(posterior_as_of(question, loaded, as_of).values())

    def engine_posterior_from_rows() -> list[float]:
        return list(posterior_as_of(question, rows, as_of).values())

    difference = max(
        assert_close("pgmpy posterior", pgmpy_posterior(), reference.probabilities),
        assert_close("engine posterior", engine_posterior(), reference.probabilities),
        assert_close("engine posterior from rows", engine_posterior_from_rows(), reference.probabilities),
    )
    repeats = options.repeats_or(full=7, quick=3)
    timings = time_side_by_side(
        {"pgmpy": pgmpy_posterior, "engine": engine_posterior, "engine on rows": engine_posterior_from_rows},
        repeats,
    )
    return {
        "timings": timings,
        "build": build,
        "repeats": repeats,
        "details": {
            "n_indicators": n_indicators,
            "n_reports": n_reports,
            "n_scenarios": 5,
            "pgmpy_build_seconds": build,
            "max_abs_difference": difference,
            "seconds": {name: list(t.samples) for name, t in timings.items()},
            "calls_per_sample": {name: t.calls for name, t in timings.items()},
            "statistic": "best of repeats; a sample is the mean of calls_per_sample calls",
        },
    }


def _line(compared: dict, engine: str, label: str, target: Target | None, what: str) -> Line:
    timings, details = compared["timings"], compared["details"]
    ours, theirs = timings[engine].best, timings["pgmpy"].best
    return Line(
        benchmark="engine-vs-peer",
        label=label,
        value=theirs / ours,
        target=target,
        ours=ours,
        theirs=theirs,
        what=(
            f"{details['n_indicators']} indicators with a status × 5 scenarios from "
            f"{details['n_reports']:,} reports. Engine: {what} "
            f"pgmpy: VariableElimination.query(['scenario'], evidence=every child in state 0) only; "
            f"building the network, CPDs and VariableElimination took {compared['build'] * 1e3:.0f} ms, "
            f"not counted. {sampling(timings)}; posteriors checked equal to 1e-9."
        ),
        details=details,
    )


@register("engine-vs-peer", 2, "Engine vs pgmpy's VariableElimination")
def engine_vs_peer(options: Options) -> list[Line]:
    n_indicators = 50 if options.quick else 200
    # One report per indicator is the network's information exactly; five per
    # indicator shows what the rule itself costs the engine (pgmpy's network is the same).
    one, five = (
        _compare(options, n_indicators, n_indicators),
        _compare(options, n_indicators, 5 * n_indicators),
    )
    loaded = "forecast.posterior_as_of(question, log, as_of) on the log as load_evidence returns it, the whole rule from the reports."
    return [
        _line(one, "engine", f"posterior_as_of() vs pgmpy, {n_indicators:,} reports", TARGET, loaded),
        _line(
            one,
            "engine on rows",
            f"posterior_as_of() on a list of rows vs pgmpy, {n_indicators:,} reports",
            None,
            "forecast.posterior_as_of(question, rows, as_of) on a plain list of EvidenceRow objects, read "
            "into columns in each call. For information.",
        ),
        _line(five, "engine", f"posterior_as_of() vs pgmpy, {5 * n_indicators:,} reports", None, loaded),
    ]
