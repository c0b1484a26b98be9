"""Several "not seen" reports of one indicator (docs/rule/absence.md), against independent computations.

The rule: each trailing "not seen" report covers the first ``F`` of the indicator's window;
each stretch ``(F_(k-1), F_k]`` counts at ``W_k``, the highest weight among the looks with
``F >= F_k``, and the indicator contributes
``L(s) = sum_k W_k [log(1 - p(s) F_k) - log(1 - p(s) F_(k-1))]``.

The independent computation here is the same quantity in another form: the integral
``L(s) = -int_0^1 W(x) p(s) / (1 - p(s) x) dx`` of the credited weight ``W(x)`` along the
window, taken numerically by Gauss-Legendre quadrature on each piece where ``W`` is
constant. It imports nothing from the engine.
"""

from __future__ import annotations

import itertools
import math
from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest import approx

from forecast import EvidenceRow, Indicator, Question, Scenario, assess, posterior_as_of

START = date(2026, 1, 1)
END = START + timedelta(days=100)
R = {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5}
C = {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.4, 5: 0.2, 6: 0.5}
NODES, QUADRATURE_WEIGHTS = np.polynomial.legendre.leggauss(40)


def question(p: dict[str, float], priors: dict[str, float]) -> Question:
    """One indicator, "the plant restarts", whose window is the question's 100 days."""
    return Question(
        id="plant",
        title="Plant",
        question="Does the plant restart?",
        opened=START,
        closes=END,
        scenarios=tuple(Scenario(s, s, priors[s]) for s in p),
        indicators=(Indicator("restart", "the plant restarts", next(iter(p)), p),),
    )


RESTART = question({"restart": 0.6, "none": 0.1}, {"restart": 0.3, "none": 0.7})


def look(k: int, day: int, grade: str) -> EvidenceRow:
    """A "not seen" report ``day`` days into the window (``F = day / 100``)."""
    return EvidenceRow(
        f"e{k}", START + timedelta(days=day), "restart", False, "a source", grade[0], int(grade[1])
    )


def integrated_term(p: float, looks: list[tuple[float, float]]) -> float:
    """``-int_0^1 W(x) p / (1 - p x) dx`` with ``W(x)`` the best weight among the looks with ``F >= x``."""
    edges = sorted({0.0, *(f for f, _ in looks)})
    total = 0.0
    for a, b in itertools.pairwise(edges):
        credited = max(w for f, w in looks if f >= b)
        for lo, hi in itertools.pairwise(np.linspace(a, b, 17).tolist()):  # 16 panels per piece
            x = (hi - lo) / 2 * NODES + (lo + hi) / 2
            total -= credited * (hi - lo) / 2 * float(np.sum(QUADRATURE_WEIGHTS * p / (1 - p * x)))
    return total


def integrated_posterior(q: Question, looks: list[tuple[float, float]]) -> dict[str, float]:
    p = q.indicators[0].likelihood
    logs = {s.id: math.log(s.prior) + integrated_term(p[s.id], looks) for s in q.scenarios}
    top = max(logs.values())
    odds = {s: math.exp(v - top) for s, v in logs.items()}
    return {s: v / sum(odds.values()) for s, v in odds.items()}


def grade_weight(grade: str) -> float:
    return R[grade[0]] * C[int(grade[1])]


# --------------------------------------------------------------------------- the two hand-worked cases


def test_two_looks_b2_early_and_b3_late_count_each_stretch_at_its_best_look():
    rows = [look(0, 16, "B2"), look(1, 80, "B3")]
    # L(restart) = 0.64 log(0.904) + 0.48 (log 0.52 - log 0.904) = -0.33003
    # L(none)    = 0.64 log(0.984) + 0.48 (log 0.92 - log 0.984) = -0.04260
    restart = 0.64 * math.log(0.904) + 0.48 * (math.log(0.52) - math.log(0.904))
    none = 0.64 * math.log(0.984) + 0.48 * (math.log(0.92) - math.log(0.984))
    assert (restart, none) == approx((-0.33003, -0.04260), abs=1e-5)
    expected = 0.3 * math.exp(restart) / (0.3 * math.exp(restart) + 0.7 * math.exp(none))
    got = posterior_as_of(RESTART, rows, END)
    assert got["restart"] == approx(expected, abs=1e-12)
    assert got["restart"] == approx(0.24329, abs=1e-5)
    assert got == approx(integrated_posterior(RESTART, [(0.16, 0.64), (0.80, 0.48)]), abs=1e-12)


def test_an_a1_look_early_and_a_b3_look_late():
    rows = [look(0, 16, "A1"), look(1, 80, "B3")]
    restart = math.log(0.904) + 0.48 * (math.log(0.52) - math.log(0.904))  # -0.36637
    none = math.log(0.984) + 0.48 * (math.log(0.92) - math.log(0.984))  # -0.04841
    expected = 0.3 * math.exp(restart) / (0.3 * math.exp(restart) + 0.7 * math.exp(none))
    got = posterior_as_of(RESTART, rows, END)
    assert got["restart"] == approx(expected, abs=1e-12)
    assert got["restart"] == approx(0.23771, abs=1e-5)
    assert got == approx(integrated_posterior(RESTART, [(0.16, 1.0), (0.80, 0.48)]), abs=1e-12)


def test_adding_the_early_look_to_the_late_one_does_not_raise_the_likelier_scenario():
    late = posterior_as_of(RESTART, [look(1, 80, "B3")], END)["restart"]
    for grade in ("B2", "A1", "C3", "E5"):
        both = posterior_as_of(RESTART, [look(0, 16, grade), look(1, 80, "B3")], END)["restart"]
        assert both <= late, grade
    assert late == approx(0.24580, abs=1e-5)


def test_one_look_or_looks_of_equal_weight_count_as_the_latest_look():
    alone = posterior_as_of(RESTART, [look(1, 80, "B2")], END)
    several = posterior_as_of(RESTART, [look(0, 16, "B2"), look(1, 50, "B2"), look(2, 80, "B2")], END)
    assert several == approx(alone, abs=1e-15)
    term = {s: 0.64 * math.log(1 - p * 0.8) for s, p in RESTART.indicators[0].likelihood.items()}
    expected = (
        0.3 * math.exp(term["restart"]) / (0.3 * math.exp(term["restart"]) + 0.7 * math.exp(term["none"]))
    )
    assert alone["restart"] == approx(expected, abs=1e-12)


def test_the_roles_say_which_looks_count_and_which_add_nothing():
    rows = [look(0, 10, "C3"), look(1, 16, "B2"), look(2, 80, "B3"), look(3, 120, "C3"), look(4, 130, "E5")]
    # C3 at 10%: the later, heavier B2 covers it. B2, B3 and C3 past the end (F = 1) each add a stretch;
    # the E5 after it, also at F = 1, reaches no further than the stronger C3.
    a = assess(RESTART, rows, END + timedelta(days=40))
    assert [e.role for e in a.audit] == [
        "covered by a later look",
        "sets status",
        "sets status",
        "sets status",
        "covered by an earlier look",
    ]
    assert a.states["restart"].counted.id == "e3"  # the latest look that counts
    assert a.states["restart"].seen_by == START + timedelta(days=130)  # the latest look
    assert a.states["restart"].fraction == 1.0


# --------------------------------------------------------------------------- against the integral, at random


looks_strategy = st.lists(
    st.tuples(st.integers(-10, 120), st.sampled_from(["A1", "B2", "B3", "C3", "D4", "E5", "F6", "A5", "E1"])),
    min_size=1,
    max_size=8,
)


@settings(deadline=None, max_examples=150)
@given(looks_strategy, st.floats(0.01, 0.99), st.floats(0.01, 0.99))
def test_the_engine_is_the_integral_of_the_credited_weight(looks, p_a, p_b):
    q = question({"a": p_a, "b": p_b}, {"a": 0.5, "b": 0.5})
    rows = [look(k, d, g) for k, (d, g) in enumerate(looks)]
    fractions = [(min(max(d / 100, 0.0), 1.0), grade_weight(g)) for d, g in looks]
    assert posterior_as_of(q, rows, END + timedelta(days=30)) == approx(
        integrated_posterior(q, fractions), abs=1e-10
    )


# --------------------------------------------------------------------------- the property


def log_odds(q: Question, rows: list[EvidenceRow]) -> float:
    got = posterior_as_of(q, rows, END + timedelta(days=30))
    return math.log(got["a"]) - math.log(got["b"])


@settings(deadline=None, max_examples=200)
@given(
    looks_strategy,
    st.tuples(st.integers(-10, 120), st.sampled_from(["A1", "B2", "C3", "E5", "F6", "A6", "E1"])),
    st.floats(0.02, 0.98),
    st.floats(0.0, 1.0),
)
def test_adding_any_not_seen_report_never_raises_the_likelier_scenario(looks, added, p_a, share):
    p_b = p_a * share  # "a" is the scenario under which the indicator is likelier
    q = question({"a": p_a, "b": max(p_b, 0.001)}, {"a": 0.5, "b": 0.5})
    rows = [look(k, d, g) for k, (d, g) in enumerate(looks)]
    before = log_odds(q, rows)
    after = log_odds(q, [*rows, look(len(rows), *added)])
    assert after <= before + 1e-12


# --------------------------------------------------------------------------- simpler rules fail it


def strongest_term_per_scenario(p: float, looks: list[tuple[float, float]]) -> float:
    return min(w * math.log(1 - p * f) for f, w in looks)


def latest_look_wins(p: float, looks: list[tuple[float, float]]) -> float:
    f, w = max(looks, key=lambda look: look[0])
    return w * math.log(1 - p * f)


def odds_under(rule, looks: list[tuple[float, float]], likelier: float, less: float) -> float:
    return rule(likelier, looks) - rule(less, looks)


def test_the_strongest_term_per_scenario_fails_when_an_earlier_heavier_look_is_added():
    late = [(0.80, 0.48)]  # B3 at 80%
    with_early = [(0.45, 1.0), *late]  # and an A1 at 45%
    before = odds_under(strongest_term_per_scenario, late, 0.9, 0.2)
    after = odds_under(strongest_term_per_scenario, with_early, 0.9, 0.2)
    assert after - before == approx(0.0106, abs=1e-4)  # the likelier scenario gains: the property fails
    # The rule as documented lowers it.
    assert integrated_term(0.9, with_early) - integrated_term(0.2, with_early) < (
        integrated_term(0.9, late) - integrated_term(0.2, late)
    )


def test_the_latest_look_winning_fails_when_a_later_lighter_look_is_added():
    early = [(0.80, 1.0)]  # A1 at 80%
    with_late = [*early, (0.85, 0.36)]  # and a C3 at 85%
    before = odds_under(latest_look_wins, early, 0.9, 0.2)
    after = odds_under(latest_look_wins, with_late, 0.9, 0.2)
    assert after > before  # the likelier scenario gains: the property fails
    assert integrated_term(0.9, with_late) - integrated_term(0.2, with_late) < (
        integrated_term(0.9, early) - integrated_term(0.2, early)
    )


def test_the_strongest_weight_at_its_own_date_fails_it_too():
    # The rule until now kept B2 at 16% and threw away the later B3: restart 28.87%, above B3's 24.58%.
    old = {s: 0.64 * math.log(1 - p * 0.16) for s, p in RESTART.indicators[0].likelihood.items()}
    restart = 0.3 * math.exp(old["restart"]) / (0.3 * math.exp(old["restart"]) + 0.7 * math.exp(old["none"]))
    assert restart == approx(0.28873, abs=1e-5)
    assert restart > posterior_as_of(RESTART, [look(1, 80, "B3")], END)["restart"]


# --------------------------------------------------------------------------- the checklist and what to watch


def test_what_to_watch_starts_from_the_latest_look():
    from forecast.analysis.watch import watch_list

    rows = [look(0, 16, "B2"), look(1, 80, "B3")]
    as_of = START + timedelta(days=85)  # the window is open until day 100
    (item,) = watch_list(RESTART, rows, as_of)
    now = posterior_as_of(RESTART, rows, as_of)
    p = RESTART.indicators[0].likelihood
    still_seen = {s: p[s] * (1 - 0.8) / (1 - p[s] * 0.8) for s in p}  # from the latest look, F = 0.8
    assert item.not_yet
    assert item.p_reported == approx(sum(now[s] * still_seen[s] for s in p), abs=1e-12)
    # Confirmed absent: an A1 look at the window's end, added to the two looks, covers the whole window.
    absent = {s: 0.3 if s == "restart" else 0.7 for s in p}
    absent = {s: absent[s] * (1 - p[s]) for s in p}
    assert item.if_absent == approx({s: v / sum(absent.values()) for s, v in absent.items()}, abs=1e-12)


def test_the_indicator_state_the_checklist_shows_is_the_latest_look():
    # The page's words for it are checked on the bundled question (tests/test_report.py).
    state = assess(RESTART, [look(0, 16, "A1"), look(1, 80, "B3")], START + timedelta(days=85)).states[
        "restart"
    ]
    assert (state.seen_by, state.fraction) == (START + timedelta(days=80), approx(0.8))


def test_the_temper_multiplies_the_staircase_as_any_contribution():
    from dataclasses import replace

    tempered = replace(RESTART, temper=0.5)
    restart = 0.5 * (0.64 * math.log(0.904) + 0.48 * (math.log(0.52) - math.log(0.904)))
    none = 0.5 * (0.64 * math.log(0.984) + 0.48 * (math.log(0.92) - math.log(0.984)))
    expected = 0.3 * math.exp(restart) / (0.3 * math.exp(restart) + 0.7 * math.exp(none))
    got = posterior_as_of(tempered, [look(0, 16, "B2"), look(1, 80, "B3")], END)
    assert got["restart"] == approx(expected, abs=1e-12)


def test_a_group_leads_with_the_member_whose_staircase_spreads_most():
    from dataclasses import replace

    from forecast import Group

    second = Indicator(
        "flaring", "gas flaring at the plant", "restart", {"restart": 0.5, "none": 0.3}, group="g"
    )
    q = replace(
        RESTART,
        indicators=(replace(RESTART.indicators[0], group="g"), second),
        groups={"g": Group("g", "", 1.0)},
    )
    rows = [look(0, 16, "B2"), look(1, 80, "B3"), replace(look(2, 80, "A1"), indicator="flaring")]
    plant = {
        s: 0.64 * math.log(1 - p * 0.16) + 0.48 * (math.log(1 - p * 0.8) - math.log(1 - p * 0.16))
        for s, p in {"restart": 0.6, "none": 0.1}.items()
    }
    flaring = {s: math.log(1 - p * 0.8) for s, p in {"restart": 0.5, "none": 0.3}.items()}
    spread = {k: max(v.values()) - min(v.values()) for k, v in {"plant": plant, "flaring": flaring}.items()}
    leader = plant if spread["plant"] >= spread["flaring"] else flaring  # at dependence 1, the leader alone
    expected = (
        0.3
        * math.exp(leader["restart"])
        / (0.3 * math.exp(leader["restart"]) + 0.7 * math.exp(leader["none"]))
    )
    assert posterior_as_of(q, rows, END)["restart"] == approx(expected, abs=1e-12)
