"""The update rule, as a specification.

A report's weight is w = R[reliability] x C[credibility]. As of a date, an
indicator's reports (ordered by date, then weight, then row order) give it a
status, what the last one says, and a weight, the highest w among the trailing
reports that say the same. An indicator with a status adds w·log p(s) (observed)
or w·log(1 − p(s)) (not observed) to each scenario's log-probability.

The questions here have an empty default window, so a "not seen" counts fully
(F = 1); windows and dependence groups are specified in test_rule.py.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from datetime import date, timedelta
from textwrap import dedent
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pytest import approx

from forecast import (
    EvidenceRow,
    Indicator,
    Question,
    Scenario,
    assess,
    load_evidence,
    load_question,
    posterior_as_of,
    probability_words,
    trajectory,
)
from forecast.engine import compiled as engine
from forecast.engine.rule import (
    ROLE_AFTER_AS_OF,
    ROLE_COVERED_LATER,
    ROLE_SETS_STATUS,
    ROLE_SUPERSEDED,
)
from forecast.model import DEFAULT_CREDIBILITY_WEIGHTS, DEFAULT_RELIABILITY_WEIGHTS

OPENED = date(2025, 1, 1)
GRADES = tuple(f"{r}{c}" for r in "ABCDEF" for c in range(1, 7))


def day(n: int) -> date:
    """The n-th day after the question opened."""
    return OPENED + timedelta(days=n)


def question_with(
    priors: dict[str, float],
    likelihoods: dict[str, dict[str, float]],
    signals: dict[str, str] | None = None,
    reliability_weights: dict[str, float] | None = None,
) -> Question:
    """A question built directly (no file), each indicator signalling the first scenario unless told."""
    first = next(iter(priors))
    indicators = tuple(
        Indicator(iid, f"indicator {iid}", (signals or {}).get(iid, first), p)
        for iid, p in likelihoods.items()
    )
    return Question(
        id="q",
        title="Test question",
        question="Which?",
        opened=OPENED,
        # An empty default window: a "not seen" counts fully (F = 1), as the hand-worked numbers here
        # assume; windows are specified in test_rule.py.
        closes=OPENED,
        scenarios=tuple(Scenario(sid, sid.upper(), prior) for sid, prior in priors.items()),
        indicators=indicators,
        reliability_weights=reliability_weights or dict(DEFAULT_RELIABILITY_WEIGHTS),
    )


def reports(*specs: tuple) -> list[EvidenceRow]:
    """Evidence rows from ``(indicator, day, "yes"/"no", grade[, source])``, in file order from line 2."""
    rows = []
    for k, (indicator, n, said, grade, *source) in enumerate(specs):
        rows.append(
            EvidenceRow(
                id=f"e{k + 1}",
                date=day(n),
                indicator=indicator,
                observed={"yes": True, "no": False}[said],
                source=source[0] if source else "a source",
                reliability=grade[0],
                credibility=int(grade[1:]),
                line=k + 2,
            )
        )
    return rows


def default_weight(grade: str) -> float:
    return DEFAULT_RELIABILITY_WEIGHTS[grade[0]] * DEFAULT_CREDIBILITY_WEIGHTS[int(grade[1:])]


# One indicator x with P(x | a) = 0.8 and P(x | b) = 0.2, flat priors.
COIN = question_with({"a": 0.5, "b": 0.5}, {"x": {"a": 0.8, "b": 0.2}})


def coin_a(p_a: float, p_b: float, w: float) -> float:
    """P(a) in COIN for one counted factor: 0.5·p_a^w / (0.5·p_a^w + 0.5·p_b^w)."""
    return 0.5 * p_a**w / (0.5 * p_a**w + 0.5 * p_b**w)


# --------------------------------------------------------------------------- weights


def test_default_weight_is_reliability_times_credibility():
    reliability = {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5}
    credibility = {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.4, 5: 0.2, 6: 0.5}
    for r, r_weight in reliability.items():
        for c, c_weight in credibility.items():
            assert COIN.weight(r, c) == approx(r_weight * c_weight), f"{r}{c}"


def test_weight_overrides_accept_grade_keys_written_as_numbers_or_text(make_question):
    path, _ = make_question(
        dedent("""\
            id: q
            title: Weights
            question: Which?
            opened: 2025-01-01
            closes: 2025-12-31
            scenarios:
              a: {name: A, prior: 0.5}
              b: {name: B, prior: 0.5}
            indicators:
              x: {text: X, signals: a, likelihood: {a: 0.8, b: 0.2}}
            weights:
              reliability: {E: 0}
              credibility: {3: 0.1, "4": 0.2}
            """)
    )
    question = load_question(path)
    assert question.weight("A", 3) == 0.1
    assert question.weight("A", 4) == 0.2
    assert question.weight("E", 1) == 0.0
    assert question.weight("B", 2) == approx(0.64)  # grades not overridden keep their defaults


def test_audit_trail_shows_each_reports_weight():
    rows = reports(("x", 1, "yes", "B2"), ("x", 2, "yes", "D5"), ("x", 3, "no", "F6"))
    weights = [entry.weight for entry in assess(COIN, rows, day(3)).audit]
    assert weights == approx([0.8 * 0.8, 0.4 * 0.2, 0.5 * 0.5])


# --------------------------------------------------------------------------- the likelihood of a status


def test_observed_indicator_counts_its_likelihood_raised_to_the_weight():
    # B2: w = 0.8 x 0.8 = 0.64. P(a) ∝ 0.5·0.8^0.64 = 0.4335, P(b) ∝ 0.5·0.2^0.64 = 0.1785.
    posterior = posterior_as_of(COIN, reports(("x", 1, "yes", "B2")), day(1))
    a, b = 0.5 * 0.8**0.64, 0.5 * 0.2**0.64
    assert posterior["a"] == approx(a / (a + b))
    assert posterior["a"] == approx(0.70832, abs=1e-5)
    assert posterior["b"] == approx(b / (a + b))


def test_not_observed_indicator_counts_one_minus_its_likelihood_raised_to_the_weight():
    # C3: w = 0.36. P(a) ∝ 0.5·(1 − 0.8)^0.36, P(b) ∝ 0.5·(1 − 0.2)^0.36.
    posterior = posterior_as_of(COIN, reports(("x", 1, "no", "C3")), day(1))
    a, b = 0.5 * 0.2**0.36, 0.5 * 0.8**0.36
    assert posterior["a"] == approx(a / (a + b))
    assert posterior["a"] == approx(0.37776, abs=1e-5)


def test_pending_indicator_contributes_nothing():
    question = question_with({"a": 0.3, "b": 0.7}, {"x": {"a": 0.8, "b": 0.2}, "y": {"a": 0.1, "b": 0.9}})
    posterior = posterior_as_of(question, reports(("x", 1, "yes", "A1")), day(1))
    # y has no report: only x counts. P(a) ∝ 0.3·0.8, P(b) ∝ 0.7·0.2.
    assert posterior["a"] == approx(0.24 / (0.24 + 0.14))


def test_no_evidence_leaves_the_priors():
    question = question_with({"a": 0.3, "b": 0.7}, {"x": {"a": 0.8, "b": 0.2}})
    assert posterior_as_of(question, [], day(10)) == approx({"a": 0.3, "b": 0.7})


def test_range_likelihood_counts_at_its_midpoint(make_question):
    path, _ = make_question(
        dedent("""\
            id: q
            title: Ranges
            question: Which?
            opened: 2025-01-01
            closes: 2025-12-31
            scenarios:
              a: {name: A, prior: 0.5}
              b: {name: B, prior: 0.5}
            indicators:
              x: {text: X, signals: a, likelihood: {a: [0.7, 0.9], b: 0.2}}
            """)
    )
    question = load_question(path)
    posterior = posterior_as_of(question, reports(("x", 1, "yes", "A1")), day(1))
    assert posterior["a"] == approx(0.8 / (0.8 + 0.2))


def test_indicators_multiply_across_three_scenarios():
    question = question_with(
        {"a": 0.2, "b": 0.3, "c": 0.5},
        {"x": {"a": 0.9, "b": 0.5, "c": 0.1}, "y": {"a": 0.4, "b": 0.7, "c": 0.2}},
    )
    rows = reports(("x", 1, "yes", "A2"), ("y", 2, "no", "B1"))
    # x observed with w = 0.8, y not observed with w = 0.8.
    a = 0.2 * 0.9**0.8 * 0.6**0.8
    b = 0.3 * 0.5**0.8 * 0.3**0.8
    c = 0.5 * 0.1**0.8 * 0.8**0.8
    total = a + b + c
    assert posterior_as_of(question, rows, day(2)) == approx({"a": a / total, "b": b / total, "c": c / total})


def test_thousands_of_tiny_likelihoods_do_not_underflow():
    n = 5_000
    # Each of a and c has likelihood 1e-6 per indicator; b has 1e-7. In linear space all three
    # products underflow to 0 (1e-30000); in log space a and c tie and b is 10^-5000 times smaller.
    likelihoods = {f"i{k}": {"a": 1e-6, "b": 1e-7, "c": 1e-6} for k in range(n)}
    question = question_with({"a": 0.25, "b": 0.5, "c": 0.25}, likelihoods)
    rows = reports(*((f"i{k}", 1, "yes", "A1") for k in range(n)))
    posterior = posterior_as_of(question, rows, day(1))
    assert all(math.isfinite(p) for p in posterior.values())
    assert sum(posterior.values()) == approx(1.0)
    assert posterior == approx({"a": 0.5, "b": 0.0, "c": 0.5})


# --------------------------------------------------------------------------- the status rule


def test_reports_dated_after_the_as_of_date_are_ignored():
    rows = reports(("x", 1, "yes", "B2"), ("x", 5, "no", "A1"))
    assert posterior_as_of(COIN, rows, day(4))["a"] == approx(coin_a(0.8, 0.2, 0.64))


def test_report_dated_on_the_as_of_date_counts():
    rows = reports(("x", 1, "yes", "B2"), ("x", 5, "no", "A1"))
    assert posterior_as_of(COIN, rows, day(5))["a"] == approx(coin_a(0.2, 0.8, 1.0))


def test_weaker_repeat_does_not_dilute_a_strong_report():
    alone = posterior_as_of(COIN, reports(("x", 1, "yes", "A1")), day(2))
    repeated = posterior_as_of(COIN, reports(("x", 1, "yes", "A1"), ("x", 2, "yes", "E5")), day(2))
    assert repeated == approx(alone)
    assert repeated["a"] == approx(coin_a(0.8, 0.2, 1.0))  # 0.8


def test_stronger_repeat_raises_the_weight():
    rows = reports(("x", 1, "yes", "E5"), ("x", 2, "yes", "A1"))
    assert posterior_as_of(COIN, rows, day(2))["a"] == approx(coin_a(0.8, 0.2, 1.0))


def test_later_sighting_overturns_an_earlier_not_yet():
    rows = reports(("x", 1, "no", "A1"), ("x", 2, "yes", "C3"))
    state = assess(COIN, rows, day(2)).states["x"]
    assert (state.status, state.weight) == (True, approx(0.36))
    assert posterior_as_of(COIN, rows, day(2))["a"] == approx(coin_a(0.8, 0.2, 0.36))


def test_later_denial_overturns_a_rumour():
    rows = reports(("x", 1, "yes", "D5"), ("x", 2, "no", "B2"))
    state = assess(COIN, rows, day(2)).states["x"]
    assert (state.status, state.weight) == (False, approx(0.64))
    assert posterior_as_of(COIN, rows, day(2))["a"] == approx(coin_a(0.2, 0.8, 0.64))


def test_weight_is_the_highest_since_the_status_last_changed():
    # The A1 sighting was overturned on day 2, so its weight no longer counts.
    rows = reports(("x", 1, "yes", "A1"), ("x", 2, "no", "C3"), ("x", 3, "no", "B2"), ("x", 4, "no", "E5"))
    state = assess(COIN, rows, day(4)).states["x"]
    assert (state.status, state.weight) == (False, approx(0.64))
    assert state.counted is rows[2]
    assert posterior_as_of(COIN, rows, day(4))["a"] == approx(coin_a(0.2, 0.8, 0.64))


def test_same_day_reports_are_ordered_by_weight():
    # On one day the heavier report comes last, wherever it sits in the file.
    for rows in (
        reports(("x", 1, "yes", "A1"), ("x", 1, "no", "E5")),
        reports(("x", 1, "no", "E5"), ("x", 1, "yes", "A1")),
    ):
        state = assess(COIN, rows, day(1)).states["x"]
        assert (state.status, state.weight) == (True, 1.0)
        assert posterior_as_of(COIN, rows, day(1))["a"] == approx(coin_a(0.8, 0.2, 1.0))


def test_same_day_equal_weight_reports_keep_file_order():
    # A4 and D1 are different grades with the same weight, 1.0 x 0.4 = 0.4 x 1.0: the later row wins.
    rows = reports(("x", 1, "yes", "A4"), ("x", 1, "no", "D1"))
    assert assess(COIN, rows, day(1)).states["x"].status is False
    assert posterior_as_of(COIN, rows, day(1))["a"] == approx(coin_a(0.2, 0.8, 0.4))
    rows = reports(("x", 1, "no", "D1"), ("x", 1, "yes", "A4"))
    assert assess(COIN, rows, day(1)).states["x"].status is True
    assert posterior_as_of(COIN, rows, day(1))["a"] == approx(coin_a(0.8, 0.2, 0.4))


def test_indicator_without_reports_as_of_the_date_is_pending():
    rows = reports(("x", 5, "yes", "A1"))
    state = assess(COIN, rows, day(4)).states["x"]
    assert (state.status, state.status_text, state.counted, state.latest) == (None, "pending", None, None)


# --------------------------------------------------------------------------- trajectory


def test_trajectory_on_each_day_equals_the_posterior_as_of_that_day():
    question = question_with(
        {"a": 0.2, "b": 0.3, "c": 0.5},
        {"x": {"a": 0.9, "b": 0.5, "c": 0.1}, "y": {"a": 0.4, "b": 0.7, "c": 0.2}},
    )
    rows = reports(
        ("x", -3, "yes", "C3"),  # before the question opened: counts from the first day
        ("x", 2, "yes", "E5"),
        ("y", 2, "no", "B2"),
        ("y", 4, "yes", "A1"),
        ("x", 6, "no", "B3"),
        ("x", 6, "yes", "A1"),
        ("y", 9, "yes", "D4"),
        ("x", 12, "no", "A1"),  # after the as-of date
    )
    as_of = day(10)
    trajectory = assess(question, rows, as_of).trajectory
    assert trajectory.dates == tuple(day(n) for n in range(11))
    for when in trajectory.dates:
        assert trajectory.at(when) == approx(posterior_as_of(question, rows, when), abs=1e-12), when


# --------------------------------------------------------------------------- long logs, wide questions


def posterior_as_written(question: Question, rows: list[EvidenceRow], as_of: date) -> dict[str, float]:
    """The posterior from the status rule read literally: prior times each counted p or 1 - p to its weight."""
    status = status_as_written(question, rows, as_of)
    likelihood = {i.id: i.likelihood for i in question.indicators}
    logs = {
        s.id: math.log(s.prior)
        + sum(
            w * math.log(likelihood[iid][s.id] if said else 1.0 - likelihood[iid][s.id])
            for iid, (said, w) in status.items()
        )
        for s in question.scenarios
    }
    top = max(logs.values())
    total = sum(math.exp(v - top) for v in logs.values())
    return {sid: math.exp(v - top) / total for sid, v in logs.items()}


def random_reports(seed: int, indicators: list[str], n: int, span_days: int) -> list[EvidenceRow]:
    rng = np.random.default_rng(seed)
    return reports(
        *(
            (indicators[int(i)], int(d), "yes" if o else "no", GRADES[int(g)])
            for i, d, o, g in zip(
                rng.integers(0, len(indicators), n),
                rng.integers(0, span_days, n),
                rng.random(n) < 0.5,
                rng.integers(0, len(GRADES), n),
            )
        )
    )


@settings(deadline=None)
@given(st.lists(st.integers(0, 2**40 - 1), max_size=200), st.integers(1, 40))
def test_radix_argsort_is_numpys_stable_argsort_for_keys_of_any_width(keys, bits):
    key = np.array(keys, np.int64) >> (40 - bits)
    assert np.array_equal(engine._stable_argsort(key, 1 << bits), np.argsort(key, kind="stable"))


@settings(deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.booleans(), st.integers(0, 17)), max_size=300),
    st.sampled_from([1, 2, 3, 8, 64]),
)
def test_runs_top_ranks_by_a_doubling_window_are_the_scans(reports_, short_run):
    """The top rank so far in each run is the same found by doubling windows as by sequential scans."""
    reports_ = sorted(reports_, key=lambda r: r[0])  # grouped by indicator, as the runs expect
    group = np.array([g for g, _, _ in reports_], np.int16)
    observed = np.array([o for _, o, _ in reports_], bool)
    rank = np.array([r for _, _, r in reports_], np.int16)
    found = {}
    for name, limit in (("window", short_run), ("scan", -1)):
        with mock.patch.object(engine, "_SHORT_RUN", limit):
            runs = engine._Runs(group, observed, rank, 18)
        found[name] = (runs.running, runs.top, runs.marked)
    for window, scan in zip(found["window"], found["scan"]):
        assert window.dtype == scan.dtype and np.array_equal(window, scan)


def test_reports_centuries_apart_follow_the_rule_as_written():
    # 300 years of days times the weight ranks overflow one 16-bit sort key: the sort takes two passes.
    question = question_with(
        {"a": 0.3, "b": 0.7},
        {f"i{k}": {"a": 0.2 + 0.06 * k, "b": 0.8 - 0.05 * k} for k in range(10)},
    )
    rows = random_reports(7, [i.id for i in question.indicators], 400, 300 * 366)
    as_of = day(300 * 366)
    states = assess(question, rows, as_of).states
    for iid, (said, weight) in status_as_written(question, rows, as_of).items():
        assert (states[iid].status, states[iid].weight) == (said, weight), iid
    assert posterior_as_of(question, rows, as_of) == approx(
        posterior_as_written(question, rows, as_of), abs=1e-12
    )


def test_a_question_with_more_indicators_than_int16_holds_follows_the_rule_as_written():
    ids = [f"i{k}" for k in range(40_000)]
    question = question_with({"a": 0.5, "b": 0.5}, {iid: {"a": 0.6, "b": 0.3} for iid in ids})
    # Reports on the last indicators too, whose positions do not fit in 16 bits.
    rows = random_reports(11, ids[:5] + ids[-5:], 300, 30)
    assert posterior_as_of(question, rows, day(30)) == approx(
        posterior_as_written(question, rows, day(30)), abs=1e-12
    )
    path = trajectory(question, rows, day(30))
    assert path.at(day(12)) == approx(posterior_as_written(question, rows, day(12)), abs=1e-12)


# --------------------------------------------------------------------------- cross-check with pgmpy


def status_as_written(
    question: Question, rows: list[EvidenceRow], as_of: date
) -> dict[str, tuple[bool, float]]:
    """The status rule read literally: indicator id to (observed, weight), for indicators with a status."""
    counted = [
        (r.date, question.weight(r.reliability, r.credibility), k, r)
        for k, r in enumerate(rows)
        if r.date <= as_of
    ]
    status: dict[str, tuple[bool, float]] = {}
    for _, w, _, row in sorted(counted, key=lambda c: c[:3]):  # date, then weight, then row order
        said, weight = status.get(row.indicator, (None, 0.0))
        status[row.indicator] = (row.observed, max(w, weight) if said is row.observed else w)
    return status


def pgmpy_posterior(question: Question, status: dict[str, tuple[bool, float]]) -> dict[str, float]:
    """The posterior of a naive-Bayes network in pgmpy, with the reports entered as tempered likelihoods.

    The scenario is the parent; each indicator with a status is a binary child. pgmpy's virtual
    evidence multiplies P(child = c | s) by λ(c) and sums over c, which cannot give p(s)^w, so the
    child's CPD carries the tempered likelihood itself: P(child = 0 | s) = q(s), where q(s) is
    p(s)^w (observed) or (1 − p(s))^w (not observed), and P(child = 1 | s) = 1 − q(s) only makes the
    column sum to 1. Observing child = 0 as hard evidence then gives P(s | evidence) ∝ prior(s) ·
    Π q(s), exactly the rule.
    """
    with warnings.catch_warnings():  # pgmpy warns about its own deprecations on import
        warnings.simplefilter("ignore")
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.inference import VariableElimination
        from pgmpy.models import DiscreteBayesianNetwork

    n = len(question.scenarios)
    model = DiscreteBayesianNetwork([("scenario", iid) for iid in status])
    model.add_node("scenario")
    cpds = [TabularCPD("scenario", n, [[s.prior] for s in question.scenarios])]
    for iid, (observed, w) in status.items():
        p = [question.indicator(iid).likelihood[s] for s in question.scenario_ids]
        tempered = [(pj if observed else 1 - pj) ** w for pj in p]
        cpds.append(
            TabularCPD(
                iid, 2, [tempered, [1 - t for t in tempered]], evidence=["scenario"], evidence_card=[n]
            )
        )
    model.add_cpds(*cpds)
    result = VariableElimination(model).query(
        ["scenario"], evidence=dict.fromkeys(status, 0), show_progress=False
    )
    return dict(zip(question.scenario_ids, result.values.tolist()))


def random_question_and_reports(rng: np.random.Generator) -> tuple[Question, list[EvidenceRow]]:
    n_scenarios, n_indicators = int(rng.integers(2, 6)), int(rng.integers(1, 16))
    scenario_ids = [f"s{j}" for j in range(n_scenarios)]
    priors = rng.dirichlet(np.ones(n_scenarios))
    likelihoods = {
        f"i{k}": dict(zip(scenario_ids, rng.uniform(0.02, 0.98, n_scenarios).tolist()))
        for k in range(n_indicators)
    }
    question = question_with(dict(zip(scenario_ids, priors.tolist())), likelihoods)
    specs = [
        (
            f"i{rng.integers(n_indicators)}",
            int(rng.integers(0, 30)),
            str(rng.choice(["yes", "no"])),
            str(rng.choice(GRADES)),
        )
        for _ in range(int(rng.integers(1, 40)))
    ]
    return question, reports(*specs)


def test_agrees_with_a_pgmpy_naive_bayes_network_on_random_questions():
    rng = np.random.default_rng(20250101)
    for case in range(20):
        question, rows = random_question_and_reports(rng)
        as_of = day(20)
        expected = pgmpy_posterior(question, status_as_written(question, rows, as_of))
        assert posterior_as_of(question, rows, as_of) == approx(expected, abs=1e-9), f"case {case}"


# --------------------------------------------------------------------------- properties


@st.composite
def questions_with_reports(draw, grades=GRADES, distinct_ties=False, reliability_weights=None):
    """A question with 2-5 scenarios and 1-6 indicators, and up to 30 reports over 21 days.

    With ``distinct_ties``, no two reports on one indicator share both date and weight, so that
    their order is fixed by the rule alone (not by their order in the file).
    """
    n_scenarios = draw(st.integers(2, 5))
    scenario_ids = [f"s{j}" for j in range(n_scenarios)]
    raw = draw(st.lists(st.floats(0.05, 1.0), min_size=n_scenarios, max_size=n_scenarios))
    priors = {s: x / sum(raw) for s, x in zip(scenario_ids, raw)}
    probabilities = st.lists(st.floats(0.01, 0.99), min_size=n_scenarios, max_size=n_scenarios)
    n_indicators = draw(st.integers(1, 6))
    likelihoods = {f"i{k}": dict(zip(scenario_ids, draw(probabilities))) for k in range(n_indicators)}
    question = question_with(priors, likelihoods, reliability_weights=reliability_weights)
    spec = st.tuples(
        st.sampled_from(sorted(likelihoods)),
        st.integers(0, 20),
        st.sampled_from(["yes", "no"]),
        st.sampled_from(grades),
    )
    tie = (lambda s: (s[0], s[1], question.weight(s[3][0], int(s[3][1:])))) if distinct_ties else None
    specs = draw(st.lists(spec, max_size=30, unique_by=tie))
    return question, reports(*specs)


@settings(deadline=None)
@given(questions_with_reports())
def test_probabilities_sum_to_one(case):
    question, rows = case
    posterior = posterior_as_of(question, rows, day(20))
    assert sum(posterior.values()) == approx(1.0, abs=1e-12)
    assert all(0.0 <= p <= 1.0 for p in posterior.values())


@settings(deadline=None)
@given(questions_with_reports())
def test_indicator_states_follow_the_rule_as_written(case):
    question, rows = case
    states = assess(question, rows, day(15)).states
    expected = status_as_written(question, rows, day(15))
    for iid, state in states.items():
        assert (state.status, state.weight) == (expected.get(iid, (None, 0.0))), iid


@settings(deadline=None)
@given(questions_with_reports(), st.sampled_from([1, 2, 3, 7, 64]))
def test_trajectory_walked_in_blocks_gives_each_days_posterior(case, block):
    question, rows = case
    with mock.patch.object(engine, "_BLOCK", block):
        path = trajectory(question, rows, day(20))
    for when in path.dates:
        assert path.at(when) == approx(posterior_as_of(question, rows, when), abs=1e-12), when


@settings(deadline=None)
@given(questions_with_reports(distinct_ties=True), st.data())
def test_row_order_does_not_matter_without_exact_ties(case, data):
    question, rows = case
    shuffled = data.draw(st.permutations(rows))
    assert posterior_as_of(question, shuffled, day(15)) == approx(
        posterior_as_of(question, rows, day(15)), abs=1e-12
    )


@settings(deadline=None)
@given(
    questions_with_reports(
        grades=[g for g in GRADES if g[0] != "E"],
        reliability_weights={**DEFAULT_RELIABILITY_WEIGHTS, "E": 0.0},
    ),
    st.integers(0, 5),
)
def test_zero_weight_report_that_repeats_the_status_changes_nothing(case, days_later):
    question, rows = case  # E is weighted 0 and every other report weighs more
    assume(rows)
    as_of = day(30)
    before = assess(question, rows, as_of)
    last = max(rows, key=lambda r: r.date)
    status = before.states[last.indicator].status
    repeat = reports(
        (last.indicator, (last.date - OPENED).days + days_later, "yes" if status else "no", "E1")
    )
    after = assess(question, rows + repeat, as_of)
    assert after.probabilities == approx(before.probabilities, abs=1e-12)
    assert {i: (s.status, s.weight) for i, s in after.states.items()} == {
        i: (s.status, s.weight) for i, s in before.states.items()
    }


@settings(deadline=None)
@given(questions_with_reports())
def test_effects_of_counted_reports_sum_to_posterior_minus_prior(case):
    question, rows = case
    assessment = assess(question, rows, day(15))
    for s in question.scenarios:
        total = sum(e.effect[s.id] for e in assessment.audit if e.effect is not None)
        assert total == approx((assessment.probabilities[s.id] - s.prior) * 100, abs=1e-9)


# --------------------------------------------------------------------------- final state in one pass


def state_read_off_the_runs(compiled: engine.CompiledEvidence) -> dict[str, np.ndarray]:
    """Each indicator's final state read off ``compiled.runs``, the report-by-report view the analyses use."""
    runs, tables = compiled.runs, compiled.tables
    last = runs.last
    ind, observed = compiled.grouped_indicator[last], compiled.grouped_observed[last]
    counted_day = compiled.day[compiled.by_indicator[runs.latest_marked(last)]]
    n_ind, n_scen = len(compiled.question.indicators), len(compiled.scenario_ids)
    state = {
        "status": np.full(n_ind, -1, np.int8),
        "has_status": np.zeros(n_ind, bool),
        "status_weight": np.zeros(n_ind),
        "seen_by": np.full(n_ind, -1, np.int64),
        "latest_row": np.full(n_ind, -1, np.int64),
        "contribution": np.zeros((n_ind, n_scen)),
    }
    state["status"][ind] = observed
    state["has_status"][ind] = True
    state["status_weight"][ind] = tables.levels[runs.top]
    state["seen_by"][ind[~observed]] = compiled.grouped_day[last[~observed]]  # the latest look
    state["latest_row"][ind] = compiled.by_indicator[last]
    state["contribution"][ind] = tables.levels[runs.top][:, None] * tables.log_likelihood(
        ind, observed, counted_day
    )
    # A "not seen": its staircase of looks at its last report, from every "not seen" report's state.
    looks = np.flatnonzero(~compiled.grouped_observed)
    state["contribution"][ind[~observed]] = compiled._all_looks[:, np.searchsorted(looks, last[~observed])].T
    return state


def assert_same_final_state(question: Question, rows: list[EvidenceRow], as_of: date) -> None:
    """The final state a compile finds as a short log (one lexsort, one packed key) is the one read
    off the runs to the last bit, and so is the one it finds as a long log (radix passes, then the
    runs), and so is the posterior."""
    expected = state_read_off_the_runs(engine.CompiledEvidence(question, rows, as_of))
    compiles = []
    for short_log in (10**9, -1):
        with mock.patch.object(engine, "_SHORT_LOG", short_log):
            compiled = engine.CompiledEvidence(question, rows, as_of)
            for name in expected:  # worked out while the log counts as short (long)
                getattr(compiled, name)
            compiled.probabilities()
        compiles.append(compiled)
    short, long = compiles
    assert np.array_equal(long.by_indicator, short.by_indicator)
    for compiled in compiles:
        for name, value in expected.items():
            got = getattr(compiled, name)
            assert got.dtype == value.dtype and got.shape == value.shape, name
            assert got.tobytes() == value.tobytes(), name
    assert long.probabilities() == short.probabilities()


def with_windows(question: Question) -> Question:
    """The question open for 60 days, so that a "not seen" counts part of its window (``F < 1``)."""
    return dataclasses.replace(question, closes=day(60))


@settings(deadline=None)
@given(questions_with_reports(), st.integers(0, 25))
def test_final_state_in_one_pass_is_the_one_read_off_the_runs(case, as_of):
    question, rows = case
    assert_same_final_state(with_windows(question), rows, day(as_of))


def long_log_case(seed: int) -> tuple[Question, list[EvidenceRow]]:
    """A question of 60 indicators and a log of 5,000 or more reports: some indicators without a
    report, many with dozens, a third of the log after the as-of date (day 60)."""
    ids = [f"i{k}" for k in range(60)]
    rng = np.random.default_rng(seed)
    question = question_with(
        {"a": 0.2, "b": 0.3, "c": 0.5},
        {iid: dict(zip("abc", rng.uniform(0.05, 0.95, 3).tolist())) for iid in ids},
    )
    return with_windows(question), random_reports(seed, ids[: 40 + 5 * seed], 5000 + 300 * seed, 90)


@pytest.mark.parametrize("seed", range(4))
def test_final_state_in_one_pass_is_the_one_read_off_the_runs_on_long_logs(seed):
    assert_same_final_state(*long_log_case(seed), day(60))


def assert_packed_sort_matches_the_stable_sorts(
    question: Question, rows: list[EvidenceRow], as_of: date
) -> None:
    """The order one sort of packed keys gives (and the fields read off the keys) is the one the
    stable sorts give (a lexsort on a short log, radix passes on a long one), and so, to the bit,
    is the trajectory."""
    packed = engine.CompiledEvidence(question, rows, as_of)
    for short_log in (10**9, -1):
        with (
            mock.patch.object(engine, "_SHORT_LOG", short_log),
            mock.patch.object(engine.CompiledEvidence, "_packed_order", return_value=None),
        ):
            sorted_ = engine.CompiledEvidence(question, rows, as_of)
            expected = sorted_.daily_log_posterior(OPENED, as_of)
        for name in ("by_indicator", "grouped_indicator", "grouped_observed", "_grouped_rank", "grouped_day"):
            got, want = getattr(packed, name), getattr(sorted_, name)
            assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), name
        assert packed.daily_log_posterior(OPENED, as_of).tobytes() == expected.tobytes()
    assert packed.indicator.tobytes() == sorted_.indicator.tobytes()
    assert packed._rank.tobytes() == sorted_._rank.tobytes()


@settings(deadline=None)
@given(questions_with_reports(), st.integers(0, 25))
def test_one_sort_of_packed_keys_is_the_stable_sorts_order(case, as_of):
    question, rows = case
    assume(any(row.date <= day(as_of) for row in rows))
    assert_packed_sort_matches_the_stable_sorts(with_windows(question), rows, day(as_of))


@pytest.mark.parametrize("seed", range(3))
def test_one_sort_of_packed_keys_is_the_stable_sorts_order_on_long_logs(seed):
    assert_packed_sort_matches_the_stable_sorts(*long_log_case(seed), day(60))


def test_a_report_on_an_indicator_the_question_lacks_is_named():
    rows = reports(("x", 1, "yes", "A1"), ("ghost", 2, "no", "B2"))
    with pytest.raises(KeyError, match="ghost"):
        posterior_as_of(COIN, rows, day(5))
    # Dated after the as-of date, it is not counted, so not looked up.
    assert posterior_as_of(COIN, rows, day(1)) == posterior_as_of(COIN, rows[:1], day(1))


def test_a_grade_the_question_does_not_weigh_is_named():
    question = dataclasses.replace(
        COIN,
        reliability_weights={r: w for r, w in DEFAULT_RELIABILITY_WEIGHTS.items() if r != "F"},
        credibility_weights={c: w for c, w in DEFAULT_CREDIBILITY_WEIGHTS.items() if c != 6},
    )
    rows = reports(("x", 1, "yes", "A1"), ("x", 2, "no", "F2"), ("x", 3, "no", "B6"))
    with pytest.raises(KeyError, match="F"):
        posterior_as_of(question, rows, day(2))
    with pytest.raises(KeyError, match="6"):
        posterior_as_of(question, rows[::2], day(3))
    assert posterior_as_of(question, rows, day(1)) == posterior_as_of(question, rows[:1], day(1))


# --------------------------------------------------------------------------- audit trail


def test_audit_trail_gives_each_row_its_role_in_file_order():
    rows = reports(
        ("x", 1, "yes", "A1"),  # overturned on day 2
        ("x", 2, "no", "C3"),  # a look that the heavier, later B2 covers
        ("x", 3, "no", "B2"),  # the latest look, the heaviest
        ("x", 9, "yes", "E5"),  # after the as-of date
    )
    audit = assess(COIN, rows, day(5)).audit
    assert [entry.row for entry in audit] == rows
    assert [entry.role for entry in audit] == [
        ROLE_SUPERSEDED,
        ROLE_COVERED_LATER,
        ROLE_SETS_STATUS,
        ROLE_AFTER_AS_OF,
    ]
    assert (audit[3].effect, audit[3].order) == (None, None)


def test_audit_effects_are_the_changes_as_reports_are_applied_in_order():
    question = question_with({"a": 0.5, "b": 0.5}, {"x": {"a": 0.8, "b": 0.2}, "y": {"a": 0.3, "b": 0.6}})
    rows = reports(("x", 1, "yes", "B2"), ("y", 2, "no", "A1"), ("x", 3, "no", "C3"))
    # After x seen (w 0.64):        P(a) = 0.8^.64 / (0.8^.64 + 0.2^.64)                = 0.70832
    # After y not seen (w 1):       P(a) = 0.8^.64·0.7 / (0.8^.64·0.7 + 0.2^.64·0.4)    = 0.80951
    # After x not seen (w 0.36), replacing the sighting:
    #                               P(a) = 0.2^.36·0.7 / (0.2^.36·0.7 + 0.8^.36·0.4)    = 0.51513
    p1 = 0.8**0.64 / (0.8**0.64 + 0.2**0.64)
    p2 = 0.8**0.64 * 0.7 / (0.8**0.64 * 0.7 + 0.2**0.64 * 0.4)
    p3 = 0.2**0.36 * 0.7 / (0.2**0.36 * 0.7 + 0.8**0.36 * 0.4)
    audit = assess(question, rows, day(3)).audit
    assert [e.effect["a"] for e in audit] == approx([(p1 - 0.5) * 100, (p2 - p1) * 100, (p3 - p2) * 100])
    assert [e.effect["a"] for e in audit] == approx([20.832, 10.119, -29.438], abs=1e-3)
    assert [e.effect["b"] for e in audit] == approx([-(p1 - 0.5) * 100, -(p2 - p1) * 100, -(p3 - p2) * 100])
    assert [e.role for e in audit] == [ROLE_SUPERSEDED, ROLE_SETS_STATUS, ROLE_SETS_STATUS]


def test_audit_effects_on_the_bundled_example_match_applying_reports_one_at_a_time(bundled_data):
    question = load_question(bundled_data / "questions" / "russia-syria-bases.yaml")
    log = load_evidence(
        bundled_data / "evidence" / "russia-syria-bases.csv", question, today=date(2025, 3, 1)
    )
    as_of = date(2025, 1, 15)
    audit = assess(question, log, as_of).audit
    applied = sorted((e for e in audit if e.order is not None), key=lambda e: e.order)
    assert len(applied) < len(audit)  # some reports are after the as-of date
    before = {s.id: s.prior for s in question.scenarios}
    for k, entry in enumerate(applied):
        after = posterior_as_of(question, [e.row for e in applied[: k + 1]], as_of)
        assert entry.effect == approx({s: (after[s] - before[s]) * 100 for s in after}, abs=1e-9), (
            entry.row.id
        )
        before = after
    total = {s.id: sum(e.effect[s.id] for e in applied) for s in question.scenarios}
    final = posterior_as_of(question, log, as_of)
    assert total == approx({s.id: (final[s.id] - s.prior) * 100 for s in question.scenarios}, abs=1e-9)


# --------------------------------------------------------------------------- checklist


CHECKLIST_QUESTION = question_with(
    {"a": 0.2, "b": 0.3, "c": 0.5},
    {
        "x": {"a": 0.9, "b": 0.3, "c": 0.6},
        "y": {"a": 0.5, "b": 0.2, "c": 0.1},
        "w": {"a": 0.1, "b": 0.9, "c": 0.5},
        "z": {"a": 0.7, "b": 0.7, "c": 0.35},
    },
    signals={"x": "a", "y": "a", "w": "b", "z": "a"},
)


def test_checklist_lists_a_scenarios_indicators_with_status_and_latest_report():
    rows = reports(
        ("x", 1, "yes", "B2", "Reuters"),
        ("y", 2, "no", "A1", "Met office"),
        ("x", 4, "yes", "C3", "A blog"),
        ("w", 4, "yes", "A1", "Harbour log"),
    )
    items = assess(CHECKLIST_QUESTION, rows, day(5)).checklist("a")
    assert [item.state.indicator.id for item in items] == ["x", "y", "z"]  # w signals b
    assert [item.state.status_text for item in items] == ["observed", "not observed", "pending"]
    latest = [(i.state.latest.date, i.state.latest.source) if i.state.latest else None for i in items]
    assert latest == [(day(4), "A blog"), (day(2), "Met office"), None]


def test_checklist_diagnosticity_is_likelihood_over_prior_weighted_mean_of_the_others():
    items = assess(CHECKLIST_QUESTION, [], day(5)).checklist("a")
    # Others are b (prior 0.3) and c (prior 0.5):
    #   x: 0.9 / ((0.3·0.3 + 0.5·0.6) / 0.8) = 0.9 / 0.4875  = 1.8462
    #   y: 0.5 / ((0.3·0.2 + 0.5·0.1) / 0.8) = 0.5 / 0.1375  = 3.6364
    #   z: 0.7 / ((0.3·0.7 + 0.5·0.35) / 0.8) = 0.7 / 0.48125 = 1.4545
    assert [item.diagnosticity for item in items] == approx([0.9 / 0.4875, 0.5 / 0.1375, 0.7 / 0.48125])


# --------------------------------------------------------------------------- words


@pytest.mark.parametrize(
    ("p", "words"),
    [
        (0.0, "almost no chance"),
        (0.0499, "almost no chance"),
        (0.05, "very unlikely"),
        (0.1999, "very unlikely"),
        (0.2, "unlikely"),
        (0.4499, "unlikely"),
        (0.45, "roughly even chance"),
        (0.55, "roughly even chance"),
        (0.5501, "likely"),
        (0.7999, "likely"),
        (0.8, "very likely"),
        (0.9499, "very likely"),
        (0.95, "almost certain"),
        (1.0, "almost certain"),
    ],
)
def test_probability_words_follow_the_icd_203_bands(p, words):
    assert probability_words(p) == words


@pytest.mark.parametrize("p", [-0.01, 1.01, math.nan])
def test_probability_words_refuse_what_is_not_a_probability(p):
    with pytest.raises(ValueError, match="probability between 0 and 1"):
        probability_words(p)
