"""Dependence groups and windows, as a specification, checked against an independent implementation.

The rule (docs/rule/index.md and docs/rule/dependence-groups.md): an indicator's contribution
is ``L(s) = w log p(s)`` if seen; if not seen, each trailing "not seen" report covers the
first ``F(d) = clamp((d - start) / (end - start), 0, 1)`` of the window by its date ``d``,
and with the distinct fractions ``F_1 < ... < F_m`` (``F_0 = 0``) the indicator contributes
``sum_k W_k [log(1 - p(s) F_k) - log(1 - p(s) F_(k-1))]``, ``W_k`` the highest weight among
the looks with ``F >= F_k`` (docs/rule/absence.md). A group contributes
``L_leader + (1 - rho) sum(L_other)``, its leader the member with a status whose
contribution spreads most across scenarios (the first, on a tie).

``reference_posterior`` below is that rule written out in plain Python, from the
documentation alone: it imports nothing from the engine.
"""

from __future__ import annotations

import math
import random
import warnings
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from helpers import forecast_cli
from pytest import approx

from forecast import EvidenceRow, Group, Indicator, Question, Scenario, assess, posterior_as_of, trajectory
from forecast.analysis.influence import critical_evidence
from forecast.analysis.uncertainty import intervals
from forecast.analysis.watch import watch_list
from forecast.engine.rule import group_contribution

OPENED = date(2025, 1, 1)
CLOSES = date(2025, 12, 31)
R = {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5}
C = {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.4, 5: 0.2, 6: 0.5}


# --------------------------------------------------------------------------- the rule, independently


def fraction(question: Question, indicator: Indicator, d: date) -> float:
    start, end = indicator.window or (question.opened, question.closes)
    if end == start:
        return 1.0
    return min(max((d - start).days / (end - start).days, 0.0), 1.0)


def contributions(question: Question, rows: list[EvidenceRow], as_of: date) -> dict[str, list[float]]:
    """Each indicator with a status, and its own contribution L_i, by the documented rule."""
    counted = sorted(
        ((r.date, R[r.reliability] * C[r.credibility], k, r) for k, r in enumerate(rows) if r.date <= as_of),
        key=lambda t: t[:3],
    )
    result = {}
    for ind in question.indicators:
        mine = [(d, w, r) for d, w, _, r in counted if r.indicator == ind.id]
        if not mine:
            continue
        said = mine[-1][2].observed
        trailing = []
        for d, w, r in reversed(mine):
            if r.observed != said:
                break
            trailing.append((d, w))
        p = [ind.likelihood[s] for s in question.scenario_ids]
        if said:
            weight = max(w for _, w in trailing)
            result[ind.id] = [weight * math.log(x) for x in p]
        else:
            # Each stretch (F_(k-1), F_k] at W_k, the highest weight among the looks with F >= F_k.
            looks = [(fraction(question, ind, d), w) for d, w in trailing]
            fs = sorted({f for f, _ in looks})
            stretches = [(a, b, max(w for f, w in looks if f >= b)) for a, b in zip([0.0, *fs], fs)]
            result[ind.id] = [
                sum(w * (math.log(1 - x * b) - math.log(1 - x * a)) for a, b, w in stretches) for x in p
            ]
    return result


def combined(question: Question, own: dict[str, list[float]]) -> list[float]:
    """The sum of the contributions, each group's by the group rule."""
    n = len(question.scenarios)
    total = [0.0] * n
    for ind in question.indicators:
        if ind.group is None and ind.id in own:
            total = [a + b for a, b in zip(total, own[ind.id])]
    for gid, group in question.groups.items():
        members = [own[i.id] for i in question.indicators if i.group == gid and i.id in own]
        if not members:
            continue
        leader, best = 0, -1.0
        for k, m in enumerate(members):
            if max(m) - min(m) > best:
                leader, best = k, max(m) - min(m)
        others = [m for k, m in enumerate(members) if k != leader]
        g = [members[leader][j] + (1 - group.dependence) * sum(o[j] for o in others) for j in range(n)]
        total = [a + b for a, b in zip(total, g)]
    return total


def softmax(logs: list[float]) -> list[float]:
    top = max(logs)
    e = [math.exp(v - top) for v in logs]
    return [v / sum(e) for v in e]


def reference_posterior(question: Question, rows: list[EvidenceRow], as_of: date) -> dict[str, float]:
    total = combined(question, contributions(question, rows, as_of))
    logs = [math.log(s.prior) + t for s, t in zip(question.scenarios, total)]
    return dict(zip(question.scenario_ids, softmax(logs)))


def rule_order(question: Question, rows: list[EvidenceRow], as_of: date) -> list[EvidenceRow]:
    return [
        r
        for _, _, _, r in sorted(
            (r.date, R[r.reliability] * C[r.credibility], k, r) for k, r in enumerate(rows) if r.date <= as_of
        )
    ]


# --------------------------------------------------------------------------- building questions


def make_question(indicators, groups=None, priors=None, opened=OPENED, closes=CLOSES) -> Question:
    priors = priors or {"a": 0.5, "b": 0.5}
    return Question(
        id="q",
        title="Test question",
        question="Which?",
        opened=opened,
        closes=closes,
        scenarios=tuple(Scenario(s, s.upper(), p) for s, p in priors.items()),
        indicators=tuple(indicators),
        groups={g: Group(g, "", rho) for g, rho in (groups or {}).items()},
    )


def indicator(iid, likelihood, group=None, window=None, signals="a") -> Indicator:
    return Indicator(iid, f"indicator {iid}", signals, likelihood, group=group, window=window)


def report(k, iid, when, observed, grade="A1") -> EvidenceRow:
    return EvidenceRow(f"e{k}", when, iid, observed, "source", grade[0], int(grade[1]), line=k + 1)


def random_case(seed: int, rho: float) -> tuple[Question, list[EvidenceRow], list[date]]:
    """A random question (groups of dependence rho, some windows) and log, and as-of dates to check."""
    rng = random.Random(seed)
    scenario_ids = [f"s{j}" for j in range(rng.randint(2, 4))]
    raw = [rng.uniform(0.2, 1) for _ in scenario_ids]
    priors = {s: x / sum(raw) for s, x in zip(scenario_ids, raw)}
    n_ind = rng.randint(3, 8)
    group_of = {}
    for g in range(rng.randint(1, 2)):
        for k in rng.sample(range(n_ind), rng.randint(2, 3)):
            group_of.setdefault(k, f"g{g}")
    indicators = []
    for k in range(n_ind):
        window = None
        if rng.random() < 0.5:
            start = OPENED + timedelta(days=rng.randint(-30, 200))
            window = (start, start + timedelta(days=rng.randint(1, 200)))
        likelihood = {s: round(rng.uniform(0.02, 0.98), 3) for s in scenario_ids}
        indicators.append(indicator(f"i{k}", likelihood, group_of.get(k), window, rng.choice(scenario_ids)))
    groups = {g: rho for g in set(group_of.values())}
    question = make_question(indicators, groups, priors)
    rows = []
    for k in range(rng.randint(5, 40)):
        when = OPENED + timedelta(days=rng.randint(-10, 400))
        grade = rng.choice("ABCDEF") + str(rng.randint(1, 6))
        rows.append(report(k, rng.choice(indicators).id, when, rng.random() < 0.45, grade))
    as_ofs = [OPENED + timedelta(days=n) for n in (0, 40, 120, 250, 420)]
    return question, rows, as_ofs


# --------------------------------------------------------------------------- hand-worked cases

B2 = 0.8 * 0.8
SHELLING = {"collapses": 0.8, "holds": 0.4}
CEASEFIRE = {"collapses": 0.4, "holds": 0.6}


def four_outlets(grouped: bool, rho: float = 1.0) -> tuple[Question, list[EvidenceRow]]:
    group = "shelling" if grouped else None
    indicators = [indicator(f"outlet-{k}", SHELLING, group, signals="collapses") for k in range(4)]
    question = make_question(indicators, {"shelling": rho} if grouped else None, CEASEFIRE)
    rows = [report(k, f"outlet-{k}", OPENED + timedelta(days=10), True, "B2") for k in range(4)]
    return question, rows


@pytest.mark.parametrize(
    ("grouped", "rho", "collapses"),
    [
        (False, 1.0, 0.7972171945),
        (True, 1.0, 0.5095361154),
        (True, 0.5, 0.6689788956),
        (True, 0.0, 0.7972171945),
    ],
)
def test_four_outlets_of_one_development_are_counted_once_when_grouped(grouped, rho, collapses):
    # docs/rule/dependence-groups.md: log odds = log(0.4/0.6) + k * 0.64 * log 2, with k = 4 ungrouped, 1 + 3(1 - rho) grouped.
    question, rows = four_outlets(grouped, rho)
    k = 4 if not grouped else 1 + 3 * (1 - rho)
    odds = math.exp(math.log(0.4 / 0.6) + k * B2 * math.log(2))
    assert odds / (1 + odds) == approx(collapses, abs=1e-9)
    got = posterior_as_of(question, rows, OPENED + timedelta(days=20))["collapses"]
    assert got == approx(odds / (1 + odds), abs=1e-12)


def test_grouped_at_rho_1_four_outlets_move_exactly_as_one_report():
    question, rows = four_outlets(grouped=True)
    single = make_question([indicator("outlet-0", SHELLING, signals="collapses")], None, CEASEFIRE)
    as_of = OPENED + timedelta(days=20)
    assert posterior_as_of(question, rows, as_of) == approx(
        posterior_as_of(single, rows[:1], as_of), abs=1e-12
    )


def test_the_leader_is_the_member_with_the_widest_spread():
    # m1 seen (A1): L = log(0.9), log(0.3) -> spread 1.0986; m2 seen (A1): log(0.6), log(0.5) -> 0.1823.
    question = make_question(
        [indicator("m1", {"a": 0.9, "b": 0.3}, "g"), indicator("m2", {"a": 0.6, "b": 0.5}, "g")], {"g": 0.5}
    )
    rows = [report(0, "m2", OPENED, True), report(1, "m1", OPENED, True)]
    got = posterior_as_of(question, rows, OPENED)
    log_odds = math.log(0.9 / 0.3) + 0.5 * math.log(0.6 / 0.5)
    assert got["a"] == approx(1 / (1 + math.exp(-log_odds)), abs=1e-12)


def test_a_tie_in_spread_goes_to_the_first_member_in_file_order():
    # Equal spreads: the leader is m1 (a-favouring); the other counts (1 - rho) = 0.25.
    question = make_question(
        [indicator("m1", {"a": 0.8, "b": 0.4}, "g"), indicator("m2", {"a": 0.4, "b": 0.8}, "g")], {"g": 0.75}
    )
    rows = [report(0, "m2", OPENED, True), report(1, "m1", OPENED, True)]
    log_odds = math.log(2) + 0.25 * math.log(0.5)
    assert posterior_as_of(question, rows, OPENED)["a"] == approx(1 / (1 + math.exp(-log_odds)), abs=1e-12)


def test_rho_0_gives_the_same_numbers_as_no_group():
    rows = [report(0, "m1", OPENED, True, "B2"), report(1, "m2", OPENED + timedelta(days=3), False, "C3")]
    members = [{"a": 0.7, "b": 0.2}, {"a": 0.35, "b": 0.6}]
    grouped = make_question([indicator(f"m{k + 1}", p, "g") for k, p in enumerate(members)], {"g": 0.0})
    plain = make_question([indicator(f"m{k + 1}", p) for k, p in enumerate(members)])
    as_of = OPENED + timedelta(days=30)
    assert posterior_as_of(grouped, rows, as_of) == approx(posterior_as_of(plain, rows, as_of), abs=1e-12)


def test_a_not_seen_at_the_window_start_moves_nothing():
    window = (date(2025, 3, 1), date(2025, 5, 1))
    question = make_question(
        [indicator("x", {"a": 0.9, "b": 0.1}, window=window)], priors={"a": 0.3, "b": 0.7}
    )
    rows = [report(0, "x", window[0], False)]
    assert posterior_as_of(question, rows, date(2025, 6, 1)) == approx({"a": 0.3, "b": 0.7}, abs=1e-15)


@pytest.mark.parametrize("when", [date(2025, 5, 1), date(2025, 5, 20)])
def test_a_not_seen_at_or_after_the_window_end_moves_exactly_as_a_final_no(when):
    window = (date(2025, 3, 1), date(2025, 5, 1))
    question = make_question(
        [indicator("x", {"a": 0.9, "b": 0.1}, window=window)], priors={"a": 0.3, "b": 0.7}
    )
    got = posterior_as_of(question, [report(0, "x", when, False, "B2")], date(2025, 6, 1))
    log_odds = math.log(0.3 / 0.7) + B2 * (math.log(0.1) - math.log(0.9))
    assert got["a"] == approx(1 / (1 + math.exp(-log_odds)), abs=1e-12)


def test_a_not_seen_part_way_counts_the_part_of_the_window_passed():
    # 2025-03-16 is 15 of 61 days into the window: F = 15/61, likelihood 1 - p F.
    window = (date(2025, 3, 1), date(2025, 5, 1))
    question = make_question(
        [indicator("x", {"a": 0.9, "b": 0.1}, window=window)], priors={"a": 0.3, "b": 0.7}
    )
    got = posterior_as_of(question, [report(0, "x", date(2025, 3, 16), False)], date(2025, 6, 1))
    f = 15 / 61
    log_odds = math.log(0.3 / 0.7) + math.log(1 - 0.9 * f) - math.log(1 - 0.1 * f)
    assert got["a"] == approx(1 / (1 + math.exp(-log_odds)), abs=1e-12)


def test_a_later_weaker_look_adds_its_own_stretch_and_an_earlier_equal_look_adds_nothing():
    window = (date(2025, 3, 1), date(2025, 5, 1))  # 61 days
    question = make_question([indicator("x", {"a": 0.9, "b": 0.1}, window=window)])
    rows = [
        report(0, "x", date(2025, 3, 10), False, "A1"),  # F 9/61: the A1 look after it covers it
        report(1, "x", date(2025, 3, 20), False, "A1"),  # F 19/61, at weight 1
        report(2, "x", date(2025, 4, 10), False, "C3"),  # F 40/61: only it covers 19/61 to 40/61, at 0.36
    ]
    a = assess(question, rows, date(2025, 6, 1))
    assert a.states["x"].seen_by == date(2025, 4, 10)  # the latest look
    assert a.states["x"].fraction == approx(40 / 61)
    assert a.states["x"].counted.id == "e2"
    assert [e.role for e in a.audit] == ["covered by a later look", "sets status", "sets status"]

    def term(p: float) -> float:
        early, late = math.log(1 - p * 19 / 61), math.log(1 - p * 40 / 61)
        return 1.0 * early + 0.36 * (late - early)

    expected = 0.5 * math.exp(term(0.9)) / (0.5 * math.exp(term(0.9)) + 0.5 * math.exp(term(0.1)))
    assert a.probabilities["a"] == approx(expected, abs=1e-12)


def test_an_empty_default_window_counts_a_not_seen_fully():
    question = make_question([indicator("x", {"a": 0.9, "b": 0.1})], closes=OPENED)
    got = posterior_as_of(question, [report(0, "x", OPENED, False)], OPENED)
    assert got["a"] == approx(0.1 / (0.1 + 0.9), abs=1e-12)


# --------------------------------------------------------------------------- against the independent rule


@pytest.mark.parametrize("rho", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("seed", range(25))
def test_the_engine_agrees_with_the_independent_rule_at_several_dates(seed, rho):
    question, rows, as_ofs = random_case(seed, rho)
    assert any(r.observed is False for r in rows) or not rows
    path = trajectory(question, rows, as_ofs[-1])
    for as_of in as_ofs:
        expected = reference_posterior(question, rows, as_of)
        assert posterior_as_of(question, rows, as_of) == approx(expected, abs=1e-9)
        assert path.at(as_of) == approx(expected, abs=1e-9)


@pytest.mark.parametrize("rho", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("seed", range(10))
def test_each_effect_is_the_move_of_applying_that_report_and_they_add_up_to_the_whole_move(seed, rho):
    question, rows, as_ofs = random_case(seed, rho)
    as_of = as_ofs[3]
    a = assess(question, rows, as_of)
    ordered = rule_order(question, rows, as_of)
    before = {s.id: s.prior for s in question.scenarios}
    for k, row in enumerate(ordered):
        after = reference_posterior(question, ordered[: k + 1], as_of)
        effect = next(e.effect for e in a.audit if e.row is row)
        assert effect == approx({s: (after[s] - before[s]) * 100 for s in after}, abs=1e-7)
        before = after
    for s in question.scenario_ids:
        total = sum(e.effect[s] for e in a.audit if e.effect is not None)
        assert total == approx((a.probabilities[s] - question.scenario(s).prior) * 100, abs=1e-9)


@pytest.mark.parametrize("rho", [1.0, 0.5])
@pytest.mark.parametrize("seed", range(8))
def test_leave_one_out_equals_the_rule_without_that_evidence(seed, rho):
    question, rows, as_ofs = random_case(seed, rho)
    as_of = as_ofs[3]
    now = reference_posterior(question, rows, as_of)
    for item in critical_evidence(question, rows, as_of, threshold_points=0):
        if item.kind == "report":
            kept = [r for r in rows if r is not item.row]
            expected = reference_posterior(question, kept, as_of)
        else:
            dropped = {item.id} if item.kind == "indicator" else {i.id for i in question.members(item.id)}
            expected = reference_posterior(question, [r for r in rows if r.indicator not in dropped], as_of)
        assert item.probabilities_without == approx(expected, abs=1e-9)
        assert item.change == approx({s: (expected[s] - now[s]) * 100 for s in now}, abs=1e-7)


def test_leave_one_out_lists_a_redundant_group_whose_members_each_move_nothing():
    question, rows = four_outlets(grouped=True)
    items = critical_evidence(question, rows, OPENED + timedelta(days=20), threshold_points=5)
    assert [(i.kind, i.id) for i in items] == [("group", "shelling")]


def test_what_to_watch_keeps_a_not_seen_yet_with_its_window_open():
    window = (date(2025, 3, 1), date(2025, 5, 1))
    question = make_question(
        [indicator("x", {"a": 0.9, "b": 0.1}, window=window)], priors={"a": 0.3, "b": 0.7}
    )
    rows = [report(0, "x", date(2025, 3, 16), False, "B2")]
    (item,) = watch_list(question, rows, date(2025, 4, 1))
    assert item.not_yet
    now = reference_posterior(question, rows, date(2025, 4, 1))
    f = 15 / 61
    still = {s: p * (1 - f) / (1 - p * f) for s, p in {"a": 0.9, "b": 0.1}.items()}
    assert item.p_reported == approx(sum(now[s] * still[s] for s in now), abs=1e-12)
    # Confirmed absent: an A1 report at the window's end.
    absent = reference_posterior(question, [*rows, report(1, "x", window[1], False, "A1")], window[1])
    assert item.if_absent == approx(absent, abs=1e-12)
    seen = reference_posterior(
        question, [*rows, report(1, "x", date(2025, 4, 1), True, "A1")], date(2025, 4, 1)
    )
    assert item.if_observed == approx(seen, abs=1e-12)
    assert watch_list(question, rows, date(2025, 5, 2)) == []


def test_the_same_inputs_give_the_same_numbers():
    question, rows, as_ofs = random_case(3, 0.5)
    first = assess(question, rows, as_ofs[3])
    again = assess(question, list(rows), as_ofs[3])
    assert first.probabilities == again.probabilities
    assert [e.effect for e in first.audit] == [e.effect for e in again.audit]
    assert (first.trajectory.probabilities == again.trajectory.probabilities).all()


# --------------------------------------------------------------------------- pgmpy: virtual evidence


@pytest.mark.parametrize("seed", range(6))
def test_each_group_as_virtual_evidence_on_one_child_node_gives_the_same_posterior(seed):
    with warnings.catch_warnings():  # pgmpy warns about its own deprecations on import
        warnings.simplefilter("ignore")
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.inference import VariableElimination
        from pgmpy.models import DiscreteBayesianNetwork

    question, rows, as_ofs = random_case(seed, 0.5)
    as_of = as_ofs[3]
    own = contributions(question, rows, as_of)
    # One child per ungrouped indicator and one per group, each observed in state 1 with
    # P(child = 1 | s) proportional to exp(its contribution), the group's by the group rule.
    children = {i.id: own[i.id] for i in question.indicators if i.group is None and i.id in own}
    for gid in question.groups:
        sub = replace(question, indicators=question.members(gid), groups={gid: question.groups[gid]})
        if any(i.id in own for i in sub.indicators):
            children[f"group-{gid}"] = combined(sub, own)
    ids = question.scenario_ids
    model = DiscreteBayesianNetwork([("scenario", child) for child in children])
    model.add_node("scenario")
    cpds = [TabularCPD("scenario", len(ids), [[s.prior] for s in question.scenarios])]
    for child, logs in children.items():
        top = max(logs)
        likelihood = [math.exp(v - top) for v in logs]
        cpds.append(
            TabularCPD(
                child,
                2,
                [[1 - x for x in likelihood], likelihood],
                evidence=["scenario"],
                evidence_card=[len(ids)],
            )
        )
    model.add_cpds(*cpds)
    result = VariableElimination(model).query(
        ["scenario"], evidence=dict.fromkeys(children, 1), show_progress=False
    )
    got = posterior_as_of(question, rows, as_of)
    assert [got[s] for s in ids] == approx(list(result.values), abs=1e-9)


# --------------------------------------------------------------------------- validate: the four outlets


FOUR_OUTLETS = """\
id: ceasefire
title: Ceasefire
question: Does the ceasefire hold?
opened: 2025-01-01
closes: 2099-12-31
scenarios:
  collapses: {name: It collapses, prior: 0.4}
  holds: {name: It holds, prior: 0.6}
indicators:
  outlet-a: {text: Shelling resumes (outlet A), signals: collapses, likelihood: {collapses: 0.8, holds: 0.4}GROUP}
  outlet-b: {text: Shelling resumes (outlet B), signals: collapses, likelihood: {collapses: 0.78, holds: 0.42}GROUP}
  outlet-c: {text: Shelling resumes (outlet C), signals: collapses, likelihood: {collapses: 0.8, holds: 0.4}GROUP}
  outlet-d: {text: Shelling resumes (outlet D), signals: collapses, likelihood: {collapses: 0.82, holds: 0.38}GROUP}
"""


def test_validate_warns_that_four_ungrouped_look_alikes_may_be_one_development(tmp_path):
    (tmp_path / "data" / "questions").mkdir(parents=True)
    (tmp_path / "data" / "questions" / "ceasefire.yaml").write_text(FOUR_OUTLETS.replace("GROUP", ""))
    result = forecast_cli("validate", "--data", "data", cwd=tmp_path)
    assert result.returncode == 0
    (line,) = result.stdout.splitlines()
    assert line.startswith(
        "data/questions/ceasefire.yaml:10: warning: indicators 'outlet-a', 'outlet-b', 'outlet-c', 'outlet-d' look like the same signal"
    )
    assert "declare a group" in line


def test_validate_is_quiet_once_the_four_are_grouped(tmp_path):
    (tmp_path / "data" / "questions").mkdir(parents=True)
    text = (
        FOUR_OUTLETS.replace("GROUP", ", group: shelling") + "groups:\n  shelling: {text: Shelling resumes}\n"
    )
    (tmp_path / "data" / "questions" / "ceasefire.yaml").write_text(text)
    result = forecast_cli("validate", "--data", "data", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


def test_validate_warns_on_a_question_past_its_close_without_a_resolution(tmp_path):
    (tmp_path / "data" / "questions").mkdir(parents=True)
    text = FOUR_OUTLETS.replace("GROUP", ", group: shelling").replace("2099-12-31", "2025-06-30")
    (tmp_path / "data" / "questions" / "ceasefire.yaml").write_text(text + "groups:\n  shelling: {}\n")
    result = forecast_cli("validate", "--data", "data", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == (
        "data/questions/ceasefire.yaml:5: warning: question 'ceasefire' closed on 2025-06-30 and has no "
        "resolution; add resolution: (scenario, date, note) or move closes\n"
    )


def ranged(question: Question, seed: int) -> Question:
    """The question with some likelihoods given as ranges around their point values."""
    rng = random.Random(seed)
    indicators = []
    for ind in question.indicators:
        ranges = {
            s: (max(p - 0.05, 0.01), min(p + 0.05, 0.99))
            for s, p in ind.likelihood.items()
            if rng.random() < 0.5
        }
        indicators.append(replace(ind, ranges=ranges))
    return replace(question, indicators=tuple(indicators))


@pytest.mark.parametrize("rho", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("seed", range(4))
def test_the_trajectory_band_on_each_report_day_equals_that_days_intervals(seed, rho):
    from forecast.analysis.uncertainty import trajectory_intervals

    question, rows, as_ofs = random_case(seed, rho)
    question = ranged(question, seed)
    band = trajectory_intervals(question, rows, as_ofs[3], draws=200)
    for when in sorted({r.date for r in rows if OPENED <= r.date <= as_ofs[3]}):
        bounds = intervals(question, rows, when, draws=200).bounds
        k = (when - OPENED).days
        for j, s in enumerate(question.scenario_ids):
            assert tuple(band.band[k, j]) == approx(bounds[s], abs=1e-9)


@pytest.mark.parametrize("rho", [1.0, 0.5])
@pytest.mark.parametrize("seed", range(3))
def test_each_interval_draw_is_the_rule_applied_to_the_drawn_likelihoods(seed, rho):
    import numpy as np

    from forecast.analysis.uncertainty import DEFAULT_SEED

    question, rows, as_ofs = random_case(seed, rho)
    question = ranged(question, seed)
    band = intervals(question, rows, as_ofs[3], draws=20)
    # The draws take one U(0, 1) per ranged likelihood, in question then scenario order.
    entries = [
        (k, s) for k, ind in enumerate(question.indicators) for s in question.scenario_ids if s in ind.ranges
    ]
    uniforms = np.random.default_rng(DEFAULT_SEED).random((20, len(entries)))
    for d in range(20):
        likelihoods = [dict(ind.likelihood) for ind in question.indicators]
        for (k, s), u in zip(entries, uniforms[d]):
            low, high = question.indicators[k].ranges[s]
            likelihoods[k][s] = low + (high - low) * u
        drawn = replace(
            question,
            indicators=tuple(replace(i, likelihood=p) for i, p in zip(question.indicators, likelihoods)),
        )
        expected = reference_posterior(drawn, rows, as_ofs[3])
        assert list(band.draws[d]) == approx([expected[s] for s in question.scenario_ids], abs=1e-9)


@pytest.mark.parametrize("rho", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("seed", range(6))
def test_what_to_watch_is_the_rule_applied_to_the_hypothetical_a1_reports(seed, rho):
    question, rows, as_ofs = random_case(seed, rho)
    as_of = as_ofs[2]
    rows = [r for r in rows if r.date <= as_of]  # a hypothetical absence may be dated later
    now = reference_posterior(question, rows, as_of)
    items = watch_list(question, rows, as_of)
    assert items
    for item in items:
        ind = question.indicator(item.indicator)
        end = (ind.window or (question.opened, question.closes))[1]
        seen = reference_posterior(question, [*rows, report(999, ind.id, as_of, True)], as_of)
        absent = reference_posterior(question, [*rows, report(999, ind.id, end, False)], max(end, as_of))
        assert item.if_observed == approx(seen, abs=1e-9)
        assert item.if_absent == approx(absent, abs=1e-9)
        own = contributions(question, rows, as_of)
        if item.not_yet:
            f = fraction(
                question, ind, max(r.date for r in rows if r.indicator == ind.id and r.date <= as_of)
            )
            assert ind.id in own and end > as_of
        else:
            f = 0.0
            assert ind.id not in own
        still = {s: ind.likelihood[s] * (1 - f) / (1 - ind.likelihood[s] * f) for s in now}
        assert item.p_reported == approx(sum(now[s] * still[s] for s in now), abs=1e-9)


# --------------------------------------------------------------------------- the group rule, all reports at once


def group_changes_one_by_one(compiled) -> np.ndarray:
    """How each grouped report moves its group's contribution, one report at a time, as the rule reads.

    The plain loop the engine's vectorised ``_group_changes`` must match to the bit: each report,
    in the rule's order, replaces its indicator's contribution in its group, and the group's
    contribution is recomputed by :func:`forecast.engine.rule.group_contribution`.
    """
    positions = compiled.grouped_positions
    n_scen = len(compiled.scenario_ids)
    applied = compiled.applied(positions).T
    rows = compiled.by_indicator[positions]
    in_order = np.lexsort((rows, compiled._rank[rows], compiled.day[rows]))
    tables, indicator = compiled.tables, compiled.grouped_indicator[positions]
    slot_of = {int(i): (g, s) for g, (members, _) in enumerate(tables.groups) for s, i in enumerate(members)}
    contribution = [np.zeros((len(m), n_scen)) for m, _ in tables.groups]
    has_status = [np.zeros(len(m), bool) for m, _ in tables.groups]
    current = [np.zeros(n_scen) for _ in tables.groups]
    changes = np.empty((len(positions), n_scen))
    for k in in_order.tolist():
        g, slot = slot_of[int(indicator[k])]
        contribution[g][slot] = applied[k]
        has_status[g][slot] = True
        now = group_contribution(contribution[g], has_status[g], tables.groups[g][1])
        changes[k] = now - current[g]
        current[g] = now
    return changes.T


def long_grouped_case(seed: int, rho: float) -> tuple[Question, list[EvidenceRow]]:
    """A random question with up to three groups of two to five members, some sharing likelihoods (ties
    for the leader), and a log of hundreds of reports on few dates (many same-day reports)."""
    rng = random.Random(seed)
    scenario_ids = [f"s{j}" for j in range(rng.randint(2, 4))]
    n_ind = rng.randint(4, 12)
    group_of = {}
    for g in range(rng.randint(1, 3)):
        for k in rng.sample(range(n_ind), rng.randint(2, min(5, n_ind))):
            group_of.setdefault(k, f"g{g}")
    shared = {s: round(rng.uniform(0.02, 0.98), 3) for s in scenario_ids}
    indicators = []
    for k in range(n_ind):
        window = None
        if rng.random() < 0.5:
            start = OPENED + timedelta(days=rng.randint(-30, 60))
            window = (start, start + timedelta(days=rng.randint(1, 90)))
        likelihood = (
            dict(shared)
            if rng.random() < 0.3
            else {s: round(rng.uniform(0.02, 0.98), 3) for s in scenario_ids}
        )
        indicators.append(indicator(f"i{k}", likelihood, group_of.get(k), window, rng.choice(scenario_ids)))
    raw = [rng.uniform(0.2, 1) for _ in scenario_ids]
    question = make_question(
        indicators,
        {g: rho for g in set(group_of.values())},
        {s: x / sum(raw) for s, x in zip(scenario_ids, raw)},
    )
    rows = [
        report(
            k,
            rng.choice(indicators).id,
            OPENED + timedelta(days=rng.randint(-5, 120)),
            rng.random() < 0.5,
            rng.choice("ABCDEF") + str(rng.randint(1, 6)),
        )
        for k in range(rng.randint(50, 600))
    ]
    return question, rows


@pytest.mark.parametrize("rho", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("seed", range(12))
def test_grouped_reports_move_their_group_exactly_as_the_rule_applied_one_report_at_a_time(seed, rho):
    if seed % 2:
        question, rows, as_ofs = random_case(seed, rho)
        as_of = as_ofs[3]
    else:
        question, rows = long_grouped_case(seed, rho)
        as_of = OPENED + timedelta(days=100)
    compiled = assess(question, rows, as_of).compiled
    assert np.array_equal(compiled._group_changes, group_changes_one_by_one(compiled))
    # And the effects still add up to the whole move, to the last bit the sum allows.
    a = assess(question, rows, as_of)
    for s in question.scenario_ids:
        total = sum(e.effect[s] for e in a.audit if e.effect is not None)
        assert total == approx((a.probabilities[s] - question.scenario(s).prior) * 100, abs=1e-9)
