"""Specification of forecast.analysis: intervals, critical evidence, what to watch, changes, scoring.

The numbers are worked by hand in each test; questions are built from the model's dataclasses.
"""

from __future__ import annotations

import doctest
import math
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss

import forecast.analysis as analysis
from forecast import (
    EvidenceRow,
    Indicator,
    Question,
    Resolution,
    Scenario,
    assess,
    load_evidence,
    load_question,
    posterior_as_of,
)
from forecast.analysis import changes, influence, scoring, uncertainty, watch
from forecast.analysis.changes import compare_summaries
from forecast.analysis.influence import critical_evidence, most_influential
from forecast.analysis.scoring import calibration_bins, calibration_points, score
from forecast.analysis.uncertainty import DEFAULT_SEED, intervals, trajectory_intervals
from forecast.analysis.watch import watch_list

REPO = Path(__file__).resolve().parents[1]
OPENED = date(2025, 1, 1)
AS_OF = date(2025, 1, 31)


def day(n: int) -> date:
    """The n-th day of January 2025."""
    return date(2025, 1, n)


def make_question(
    priors: dict[str, float],
    likelihoods: dict[str, dict[str, float | tuple[float, float]]],
    *,
    resolution: Resolution | None = None,
    tripwires: tuple[str, ...] = (),
    reliability: dict[str, float] | None = None,
) -> Question:
    """A question; a likelihood given as (low, high) is a range with its midpoint as point value."""
    indicators = []
    for iid, lik in likelihoods.items():
        point = {s: (sum(v) / 2 if isinstance(v, tuple) else v) for s, v in lik.items()}
        ranges = {s: v for s, v in lik.items() if isinstance(v, tuple)}
        signals = max(point, key=point.get)
        indicators.append(Indicator(iid, f"text of {iid}", signals, point, ranges, tripwire=iid in tripwires))
    extra = {"reliability_weights": reliability} if reliability else {}
    return Question(
        id="q",
        title="A test question",
        question="Which?",
        opened=OPENED,
        # An empty default window: a "not seen" counts fully (F = 1), as the hand-worked numbers here
        # assume; windows are specified in test_rule.py.
        closes=OPENED,
        scenarios=tuple(Scenario(s, s.upper(), p) for s, p in priors.items()),
        indicators=tuple(indicators),
        resolution=resolution,
        **extra,
    )


def report(rid: str, when: date, indicator: str, observed: bool = True, grade: str = "A1") -> EvidenceRow:
    return EvidenceRow(rid, when, indicator, observed, "a source", grade[0], int(grade[1:]))


def bundled() -> tuple[Question, tuple[EvidenceRow, ...]]:
    question = load_question(REPO / "data" / "questions" / "russia-syria-bases.yaml")
    log = load_evidence(
        REPO / "data" / "evidence" / "russia-syria-bases.csv", question, today=date(2025, 3, 1)
    )
    return question, log.rows


# --------------------------------------------------------------------------- module


def test_importing_analysis_loads_no_heavy_library():
    heavy = ("matplotlib", "scipy", "pandas", "papermill", "pgmpy")
    code = f"import sys, forecast.analysis; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_public_name_exists_and_has_a_docstring():
    for name in analysis.__all__:
        obj = getattr(analysis, name)
        if callable(obj):
            assert obj.__doc__, name


def test_docstring_examples_run(monkeypatch):
    monkeypatch.chdir(REPO)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    results = [
        doctest.testmod(module, optionflags=flags)
        for module in (uncertainty, influence, watch, changes, scoring)
    ]
    assert sum(r.attempted for r in results) > 0 and sum(r.failed for r in results) == 0


# --------------------------------------------------------------------------- intervals


def test_intervals_collapse_to_the_point_without_ranges():
    q = make_question({"a": 0.5, "b": 0.3, "c": 0.2}, {"x": {"a": 0.8, "b": 0.4, "c": 0.1}})
    rows = [report("e1", day(2), "x")]
    point = posterior_as_of(q, rows, AS_OF)
    result = intervals(q, rows, AS_OF)
    assert result.bounds == {s: (p, p) for s, p in point.items()}
    assert result.point == point
    assert result.ranged == 0


def test_intervals_collapse_when_only_pending_indicators_have_ranges():
    q = make_question({"a": 0.5, "b": 0.5}, {"x": {"a": 0.8, "b": 0.4}, "y": {"a": (0.1, 0.9), "b": 0.5}})
    rows = [report("e1", day(2), "x")]
    point = posterior_as_of(q, rows, AS_OF)
    assert intervals(q, rows, AS_OF).bounds == {s: (p, p) for s, p in point.items()}


def test_intervals_draw_a_range_uniformly_hand_worked_quantiles():
    # P(a) = p / (p + 0.5) rises with p ~ U(0.2, 0.8), so its 5th and 95th percentiles are those of p
    # mapped through it: p = 0.23 and p = 0.77.
    q = make_question({"a": 0.5, "b": 0.5}, {"x": {"a": (0.2, 0.8), "b": 0.5}})
    result = intervals(q, [report("e1", day(2), "x")], AS_OF, draws=20000)
    low, high = result.bounds["a"]
    assert low == pytest.approx(0.23 / 0.73, abs=0.005)
    assert high == pytest.approx(0.77 / 1.27, abs=0.005)
    assert result.draws[:, 0].min() >= 0.2 / 0.7 and result.draws[:, 0].max() <= 0.8 / 1.3
    assert result.ranged == 1


def test_intervals_of_an_absent_indicator_use_one_minus_the_drawn_likelihood():
    # Not observed: P(a) = (1 - p) / ((1 - p) + 0.5), falling in p; 1 - p ~ U(0.2, 0.8) again.
    q = make_question({"a": 0.5, "b": 0.5}, {"x": {"a": (0.2, 0.8), "b": 0.5}})
    result = intervals(q, [report("e1", day(2), "x", observed=False)], AS_OF, draws=20000)
    assert result.bounds["a"][0] == pytest.approx(0.23 / 0.73, abs=0.005)
    assert result.bounds["a"][1] == pytest.approx(0.77 / 1.27, abs=0.005)


def ranged_case() -> tuple[Question, list[EvidenceRow]]:
    q = make_question(
        {"a": 0.25, "b": 0.4, "c": 0.35},
        {
            "x": {"a": (0.6, 0.8), "b": 0.5, "c": 0.25},
            "y": {"a": 0.3, "b": (0.5, 0.7), "c": 0.2},
            "z": {"a": (0.35, 0.55), "b": 0.7, "c": 0.9},
        },
    )
    rows = [
        report("e1", day(2), "x", grade="B2"),
        report("e2", day(3), "y"),
        report("e3", day(3), "z", observed=False, grade="C3"),
        report("e4", day(5), "z", grade="B3"),
        report("e5", day(8), "x", observed=False, grade="D4"),
    ]
    return q, rows


def test_intervals_contain_the_point_estimate():
    q, rows = ranged_case()
    result = intervals(q, rows, AS_OF)
    for s, (low, high) in result.bounds.items():
        assert low < result.point[s] < high


def test_intervals_are_reproducible_with_the_default_seed_and_change_with_another():
    q, rows = ranged_case()
    first = intervals(q, rows, AS_OF)
    assert intervals(q, rows, AS_OF, seed=DEFAULT_SEED).bounds == first.bounds
    assert intervals(q, rows, AS_OF, seed=1).bounds != first.bounds


@pytest.mark.parametrize(("kwargs", "message"), [({"draws": 0}, "draws"), ({"level": (95, 5)}, "level")])
def test_intervals_refuse_bad_monte_carlo_settings(kwargs, message):
    q, rows = ranged_case()
    with pytest.raises(ValueError, match=message):
        intervals(q, rows, AS_OF, **kwargs)


def test_trajectory_band_collapses_to_the_engine_trajectory_without_ranges():
    q = make_question({"a": 0.5, "b": 0.5}, {"x": {"a": 0.8, "b": 0.4}})
    rows = [report("e1", day(3), "x"), report("e2", day(6), "x", observed=False)]
    band = trajectory_intervals(q, rows, AS_OF)
    expected = assess(q, rows, AS_OF).trajectory
    assert band.dates == expected.dates
    assert np.array_equal(band.band[:, :, 0], expected.probabilities)
    assert np.array_equal(band.band[:, :, 1], expected.probabilities)


def test_trajectory_band_on_each_day_equals_that_days_intervals():
    # Statuses flip (z absent then observed, x observed then absent) and weights change on the way.
    q, rows = ranged_case()
    band = trajectory_intervals(q, rows, AS_OF)
    assert band.band.shape == (31, 3, 2)
    for k, when in enumerate(band.dates):
        bounds = intervals(q, rows, when).bounds
        expected = np.array([bounds[s] for s in q.scenario_ids])
        np.testing.assert_allclose(band.band[k], expected, rtol=0, atol=1e-12)


def test_trajectory_band_of_the_bundled_example_equals_the_intervals_on_report_days():
    question, rows = bundled()
    as_of = date(2025, 3, 1)
    band = trajectory_intervals(question, rows, as_of, draws=500)
    for when in sorted({r.date for r in rows}):
        bounds = intervals(question, rows, when, draws=500).bounds
        expected = np.array([bounds[s] for s in question.scenario_ids])
        np.testing.assert_allclose(band.band[(when - question.opened).days], expected, atol=1e-12)


def test_trajectory_band_before_the_first_report_is_the_prior():
    q, rows = ranged_case()
    band = trajectory_intervals(q, rows, AS_OF)
    assert band.band[0, :, 0] == pytest.approx([0.25, 0.4, 0.35])
    assert np.array_equal(band.band[0, :, 0], band.band[0, :, 1])


# --------------------------------------------------------------------------- critical evidence


def two_indicators() -> tuple[Question, list[EvidenceRow]]:
    # Both observed at A1 (w = 1): P(a) ∝ 0.5 * 0.8 * 0.3 = 0.12, P(b) ∝ 0.5 * 0.2 * 0.6 = 0.06.
    q = make_question({"a": 0.5, "b": 0.5}, {"x": {"a": 0.8, "b": 0.2}, "y": {"a": 0.3, "b": 0.6}})
    return q, [report("e1", day(2), "x"), report("e2", day(3), "y")]


def test_leaving_out_each_indicator_hand_worked():
    q, rows = two_indicators()
    found = {(i.kind, i.id): i for i in critical_evidence(q, rows, AS_OF, threshold_points=10)}
    # Without x: a ∝ 0.3, b ∝ 0.6, so a falls from 2/3 to 1/3 and b leads.
    without_x = found["indicator", "x"]
    assert without_x.probabilities_without["a"] == pytest.approx(1 / 3)
    assert without_x.change["a"] == pytest.approx(-100 / 3)
    assert without_x.change["b"] == pytest.approx(100 / 3)
    assert without_x.leader_changes and without_x.leading_without == "b"
    # Without y: a ∝ 0.8, b ∝ 0.2, so a rises from 2/3 to 0.8 (13.3 points); a still leads.
    without_y = found["indicator", "y"]
    assert without_y.probabilities_without["a"] == pytest.approx(0.8)
    assert without_y.change["a"] == pytest.approx(80 - 200 / 3)
    assert not without_y.leader_changes
    # Each indicator has one report, so leaving the report out is the same.
    assert found["report", "e1"].probabilities_without == pytest.approx(without_x.probabilities_without)
    assert found["report", "e1"].row is rows[0]


def test_critical_evidence_keeps_moves_of_at_least_the_threshold_largest_first():
    q, rows = two_indicators()
    found = [(i.kind, i.id) for i in critical_evidence(q, rows, AS_OF, threshold_points=15)]
    assert found == [("indicator", "x"), ("report", "e1")]
    found = [(i.kind, i.id) for i in critical_evidence(q, rows, AS_OF, threshold_points=10)]
    assert found == [("indicator", "x"), ("report", "e1"), ("indicator", "y"), ("report", "e2")]


def test_critical_evidence_keeps_a_small_move_that_changes_the_leader():
    # a ∝ 0.49 * 0.52 = 0.2548 leads b ∝ 0.51 * 0.48 = 0.2448 by 2 points; without x the prior has b ahead.
    q = make_question({"a": 0.49, "b": 0.51}, {"x": {"a": 0.52, "b": 0.48}})
    found = critical_evidence(q, [report("e1", day(2), "x")], AS_OF, threshold_points=10)
    assert [i.id for i in found] == ["x", "e1"]
    assert all(i.leader_changes and i.largest_move < 10 for i in found)


def test_leaving_out_a_later_denial_restores_the_earlier_sighting():
    q = make_question({"a": 0.5, "b": 0.5}, {"x": {"a": 0.8, "b": 0.2}})
    rows = [report("e1", day(2), "x"), report("e2", day(3), "x", observed=False, grade="B2")]
    found = {i.id: i for i in critical_evidence(q, rows, AS_OF, threshold_points=0)}
    # Now: not observed at w = 0.8 * 0.8 = 0.64. Without e2: observed at w = 1, so P(a) = 0.8.
    now_a = 0.2**0.64 / (0.2**0.64 + 0.8**0.64)
    assert posterior_as_of(q, rows, AS_OF)["a"] == pytest.approx(now_a)
    assert found["e2"].probabilities_without["a"] == pytest.approx(0.8)
    assert found["e2"].change["a"] == pytest.approx((0.8 - now_a) * 100)
    assert found["e2"].leader_changes
    # Without e1 the denial still stands alone: nothing changes.
    assert found["e1"].probabilities_without["a"] == pytest.approx(now_a)


def test_leaving_out_the_report_whose_weight_counts_falls_back_to_the_next_strongest():
    q = make_question({"a": 0.5, "b": 0.5}, {"x": {"a": 0.8, "b": 0.2}})
    rows = [report("e1", day(2), "x", grade="A1"), report("e2", day(3), "x", grade="C3")]
    found = {i.id: i for i in critical_evidence(q, rows, AS_OF, threshold_points=0)}
    # Observed at max(1, 0.36) = 1, so P(a) = 0.8; without e1 the weight is 0.6 * 0.6 = 0.36.
    assert found["e1"].probabilities_without["a"] == pytest.approx(0.8**0.36 / (0.8**0.36 + 0.2**0.36))
    assert found["e2"].probabilities_without["a"] == pytest.approx(0.8)


def test_leaving_out_a_lone_contrary_report_joins_the_runs_around_it():
    q = make_question({"a": 0.5, "b": 0.5}, {"x": {"a": 0.8, "b": 0.2}})
    rows = [
        report("e1", day(2), "x", grade="A1"),
        report("e2", day(3), "x", observed=False, grade="F6"),
        report("e3", day(4), "x", grade="C3"),
    ]
    found = {i.id: i for i in critical_evidence(q, rows, AS_OF, threshold_points=0)}
    now_a = 0.8**0.36 / (0.8**0.36 + 0.2**0.36)
    # Without e2 the sightings e1 and e3 are one run, counted at w = 1.
    assert found["e2"].probabilities_without["a"] == pytest.approx(0.8)
    # Without e1 nothing changes; without e3 the denial (w = 0.5 * 0.5) is the status.
    assert found["e1"].probabilities_without["a"] == pytest.approx(now_a)
    assert found["e3"].probabilities_without["a"] == pytest.approx(0.2**0.25 / (0.2**0.25 + 0.8**0.25))


def test_leaving_out_a_report_equals_recomputing_without_it():
    rng = np.random.default_rng(7)
    q = make_question(
        {"a": 0.3, "b": 0.3, "c": 0.4},
        {
            "x": {"a": 0.8, "b": 0.3, "c": 0.1},
            "y": {"a": 0.2, "b": 0.6, "c": 0.5},
            "z": {"a": 0.5, "b": 0.4, "c": 0.9},
        },
    )
    grades = ["A1", "B2", "C3", "F6", "B1", "A2"]  # B1 and A2 tie at 0.8
    cases = [bundled()]
    for _ in range(60):
        n = int(rng.integers(1, 12))
        cases.append(
            (
                q,
                [
                    report(
                        f"e{k}",
                        day(int(rng.integers(2, 6))),
                        str(rng.choice(["x", "y", "z"])),
                        bool(rng.random() < 0.6),
                        str(rng.choice(grades)),
                    )
                    for k in range(n)
                ],
            )
        )
    for question, rows in cases:
        found = {
            i.id: i
            for i in critical_evidence(question, rows, date(2025, 3, 1), threshold_points=0)
            if i.kind == "report"
        }
        assert set(found) == {r.id for r in rows}
        for r in rows:
            expected = posterior_as_of(
                question, [other for other in rows if other is not r], date(2025, 3, 1)
            )
            assert found[r.id].probabilities_without == pytest.approx(expected, abs=1e-12)


def test_critical_evidence_ignores_reports_after_the_as_of_date():
    q, rows = two_indicators()
    found = critical_evidence(q, rows, day(2), threshold_points=0)
    assert {(i.kind, i.id) for i in found} == {("indicator", "x"), ("report", "e1")}


def test_most_influential_names_the_indicator_whose_removal_moves_each_scenario_most_either_way():
    q, rows = two_indicators()
    result = most_influential(q, rows, AS_OF)
    # With both, a = 2/3. Without x: a = 1/3 (-33.3 points); without y: a = 0.8 (+13.3). x moves a most.
    assert result["a"].id == "x" and result["a"].change["a"] == pytest.approx(-100 / 3)
    # b = 1/3 with both. Without y it falls to 0.2 (-13.3: y holds it up); without x it rises to 2/3
    # (+33.3: x holds it down). The larger move, either way, is x's, and its sign says it holds b down.
    assert result["b"].id == "x" and result["b"].change["b"] == pytest.approx(100 / 3)


def test_most_influential_counts_an_indicator_that_holds_a_scenario_down():
    q = make_question({"a": 0.5, "b": 0.5}, {"x": {"a": 0.8, "b": 0.2}})
    result = most_influential(q, [report("e1", day(2), "x")], AS_OF)
    # b falls from 50% to 20% with x: leaving x out moves it back up 30 points.
    assert result["a"].id == "x" and result["a"].change["a"] == pytest.approx(-30)
    assert result["b"].id == "x" and result["b"].change["b"] == pytest.approx(30)


def test_most_influential_is_none_without_evidence():
    q = make_question({"a": 0.5, "b": 0.5}, {"x": {"a": 0.8, "b": 0.2}})
    assert most_influential(q, [], AS_OF) == {"a": None, "b": None}


# --------------------------------------------------------------------------- what to watch


def entropy_bits(*p: float) -> float:
    return -sum(x * math.log2(x) for x in p if x > 0)


def test_information_gain_two_scenarios_by_hand():
    # y is reported but non-diagnostic (0.5 either way), so the forecast stays at the prior 60/40.
    q = make_question({"a": 0.6, "b": 0.4}, {"x": {"a": 0.8, "b": 0.3}, "y": {"a": 0.5, "b": 0.5}})
    (item,) = watch_list(q, [report("e1", day(2), "y")], AS_OF)
    assert item.indicator == "x"
    # P(seen) = 0.6 * 0.8 + 0.4 * 0.3 = 0.6; seen: a = 0.48 / 0.6 = 0.8; absent: a = 0.12 / 0.4 = 0.3.
    assert item.p_reported == pytest.approx(0.6)
    assert item.if_observed["a"] == pytest.approx(0.8)
    assert item.if_absent["a"] == pytest.approx(0.3)
    expected = entropy_bits(0.6, 0.4) - (0.6 * entropy_bits(0.8, 0.2) + 0.4 * entropy_bits(0.3, 0.7))
    assert item.information_bits == pytest.approx(expected)


def test_watch_list_uses_the_weight_of_an_a1_report():
    q = make_question({"a": 0.5, "b": 0.5}, {"x": {"a": 0.8, "b": 0.2}}, reliability={"A": 0.5})
    (item,) = watch_list(q, [], AS_OF)
    assert item.if_observed["a"] == pytest.approx(0.8**0.5 / (0.8**0.5 + 0.2**0.5))


def test_watch_list_ranks_by_gain_with_ties_in_question_order():
    q = make_question(
        {"a": 0.5, "b": 0.5},
        {
            "weak": {"a": 0.55, "b": 0.45},
            "seen": {"a": 0.9, "b": 0.1},
            "twin1": {"a": 0.9, "b": 0.2},
            "twin2": {"a": 0.9, "b": 0.2},
        },
    )
    items = watch_list(q, [report("e1", day(2), "seen", observed=False)], AS_OF)
    assert [i.indicator for i in items] == ["twin1", "twin2", "weak"]
    assert items[0].information_bits == items[1].information_bits > items[2].information_bits > 0
    assert [i.indicator for i in watch_list(q, [], AS_OF, top=1)] == ["seen"]


# --------------------------------------------------------------------------- changes since last run


def test_compare_summaries_lists_moves_new_evidence_status_changes_and_tripwires():
    previous = {
        "question": "q",
        "as_of": "2025-01-10",
        "probabilities": {"a": 0.5, "b": 0.3, "c": 0.2},
        "leading": "a",
        "evidence_counted": 2,
        "evidence_ids": ["e1", "e2"],
        "indicator_status": {"x": "observed", "y": "pending", "z": "pending"},
        "tripwires_fired": ["x"],
    }
    current = {
        "question": "q",
        "as_of": "2025-01-17",
        "probabilities": {"a": 0.35, "b": 0.45, "c": 0.2},
        "leading": "b",
        "evidence_counted": 4,
        "evidence_ids": ["e1", "e2", "e3", "e4"],
        "indicator_status": {"x": "observed", "y": "not observed", "z": "observed"},
        "tripwires_fired": ["x", "z"],
    }
    changes = compare_summaries(current, previous, threshold_points=10)
    assert changes.moves == pytest.approx({"a": -15.0, "b": 15.0, "c": 0.0})
    assert changes.evidence_added == ("e3", "e4")
    assert changes.evidence_removed == ()
    assert changes.status_changes == {"y": ("pending", "not observed"), "z": ("pending", "observed")}
    assert changes.tripwires_fired == ("z",)
    assert changes.alert and changes.alerting == ("a", "b")
    assert changes.leader_changed
    assert changes.previous_as_of == "2025-01-10"


def test_compare_summaries_alerts_at_exactly_the_threshold():
    # 0.6 - 0.5 is 0.09999999999999998 in floating point; it is still a 10-point move.
    changes = compare_summaries(
        {"probabilities": {"a": 0.6, "b": 0.4}}, {"probabilities": {"a": 0.5, "b": 0.5}}
    )
    assert changes.alerting == ("a", "b")
    quiet = compare_summaries(
        {"probabilities": {"a": 0.59, "b": 0.41}}, {"probabilities": {"a": 0.5, "b": 0.5}}
    )
    assert not quiet.alert and quiet.alerting == ()


def test_compare_summaries_treats_missing_keys_of_an_old_summary_as_empty():
    current = {
        "as_of": "2025-01-17",
        "probabilities": {"a": 0.7, "b": 0.3},
        "evidence_ids": ["e1"],
        "indicator_status": {"x": "observed", "y": "pending"},
        "tripwires_fired": ["x"],
    }
    changes = compare_summaries(current, {"as_of": "2025-01-10"}, threshold_points=10)
    assert changes.moves == {}
    assert not changes.alert
    assert changes.evidence_added == ("e1",)
    assert changes.status_changes == {"x": ("pending", "observed")}
    assert changes.tripwires_fired == ("x",)
    assert not changes.leader_changed


def test_compare_summaries_on_a_first_run():
    changes = compare_summaries({"probabilities": {"a": 0.7, "b": 0.3}, "evidence_ids": ["e1"]}, None)
    assert changes.moves == {} and not changes.alert
    assert changes.previous_as_of is None
    assert changes.evidence_added == ("e1",)


# --------------------------------------------------------------------------- scoring


def three_scenarios_resolved() -> tuple[Question, list[EvidenceRow]]:
    # Opened 1 Jan, resolved 'b' on 3 Jan; one A1 sighting on 2 Jan.
    q = make_question(
        {"a": 0.5, "b": 0.3, "c": 0.2},
        {"x": {"a": 0.2, "b": 0.6, "c": 0.2}},
        resolution=Resolution("b", day(3)),
    )
    return q, [report("e1", day(2), "x"), report("late", day(9), "x", observed=False)]


def test_brier_and_log_scores_three_scenarios_by_hand():
    q, rows = three_scenarios_resolved()
    result = score(q, rows)
    # Posterior ∝ 0.1, 0.18, 0.04 (sum 0.32): 0.3125, 0.5625, 0.125. The report of 9 Jan is too late.
    final = 0.3125**2 + (0.5625 - 1) ** 2 + 0.125**2  # 0.3046875
    prior = 0.5**2 + (0.3 - 1) ** 2 + 0.2**2  # 0.78
    assert result.days == 3
    assert result.brier_final == pytest.approx(0.3046875)
    assert result.brier_final == pytest.approx(final)
    assert result.brier_prior == pytest.approx(prior)
    # Daily: the prior on 1 Jan, the posterior on 2 and 3 Jan.
    assert result.brier_daily == pytest.approx((prior + 2 * final) / 3)
    assert result.log_final == pytest.approx(-math.log(0.5625))
    assert result.log_prior == pytest.approx(-math.log(0.3))
    assert result.log_daily == pytest.approx((-math.log(0.3) - 2 * math.log(0.5625)) / 3)
    assert result.skill_final == pytest.approx(1 - final / prior)
    assert result.skill_daily == pytest.approx(1 - (prior + 2 * final) / 3 / prior)
    assert result.resolved == "b" and result.resolution_date == day(3)


def test_brier_scores_agree_with_scikit_learn():
    # The multi-category Brier is the sum over scenarios of scikit-learn's binary Brier of each
    # scenario (mean of (f - o)^2 over forecasts); for the daily score, over the days.
    question, rows = bundled()
    q = replace(question, resolution=Resolution("partial", date(2025, 3, 1)))
    result = score(q, rows)
    trajectory = assess(q, rows, date(2025, 3, 1)).trajectory.probabilities
    final = posterior_as_of(q, rows, date(2025, 3, 1))
    outcomes = [1 if s == "partial" else 0 for s in q.scenario_ids]
    days = len(trajectory)
    daily = sum(brier_score_loss([o] * days, trajectory[:, j], pos_label=1) for j, o in enumerate(outcomes))
    assert result.brier_daily == pytest.approx(daily)
    assert result.brier_final == pytest.approx(
        sum(brier_score_loss([o], [final[s]], pos_label=1) for s, o in zip(q.scenario_ids, outcomes))
    )
    # scikit-learn's own multiclass Brier (labels in alphabetical order, [0, 2] scale) agrees too.
    labels = sorted(q.scenario_ids)
    columns = [q.scenario_ids.index(s) for s in labels]
    multiclass = brier_score_loss(
        ["partial"] * days, trajectory[:, columns], labels=labels, scale_by_half=False
    )
    assert result.brier_daily == pytest.approx(multiclass)


def test_brier_of_the_hand_case_agrees_with_scikit_learn():
    q, rows = three_scenarios_resolved()
    result = score(q, rows)
    days = np.array([[0.5, 0.3, 0.2], [0.3125, 0.5625, 0.125], [0.3125, 0.5625, 0.125]])
    outcomes = [0, 1, 0]
    expected = sum(brier_score_loss([o] * 3, days[:, j], pos_label=1) for j, o in enumerate(outcomes))
    assert result.brier_daily == pytest.approx(expected)


def test_scoring_an_unresolved_question_is_refused():
    q, rows = two_indicators()
    with pytest.raises(ValueError, match="has no resolution"):
        score(q, rows)


# --------------------------------------------------------------------------- calibration


def test_calibration_bins_by_hand():
    points = [(0.0, False), (0.05, False), (0.3, True), (0.35, False), (0.95, True), (1.0, True)]
    table = calibration_bins(points, bins=10)
    assert table.edges.tolist() == pytest.approx([k / 10 for k in range(11)])
    # 0.3 opens bin 3 (not bin 2); 1.0 closes the last bin.
    assert table.count.tolist() == [2, 0, 0, 2, 0, 0, 0, 0, 0, 2]
    assert table.mean_predicted[[0, 3, 9]].tolist() == pytest.approx([0.025, 0.325, 0.975])
    assert table.frequency[[0, 3, 9]].tolist() == pytest.approx([0.0, 0.5, 1.0])
    empty = [1, 2, 4, 5, 6, 7, 8]
    assert np.isnan(table.frequency[empty]).all() and np.isnan(table.mean_predicted[empty]).all()


def test_calibration_bins_take_probabilities_and_outcomes_separately():
    pairs = calibration_bins([(0.2, True), (0.7, False), (0.75, True)], bins=4)
    arrays = calibration_bins(np.array([0.2, 0.7, 0.75]), bins=4, outcomes=np.array([True, False, True]))
    assert pairs.count.tolist() == arrays.count.tolist() == [1, 0, 1, 1]
    np.testing.assert_array_equal(pairs.frequency, arrays.frequency)


def test_calibration_bins_of_no_forecasts_are_all_empty():
    table = calibration_bins([], bins=5)
    assert table.count.tolist() == [0] * 5 and np.isnan(table.frequency).all()


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([(1.2, True)],), {}, "between 0 and 1"),
        (([(0.2, 2)],), {}, "true or false"),
        (([(0.2, True)], 0), {}, "bins"),
        (([0.2, 0.3],), {"outcomes": [True]}, "one outcome per forecast"),
    ],
)
def test_calibration_bins_refuse_bad_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        calibration_bins(*args, **kwargs)


def test_calibration_points_take_each_scenarios_final_forecast_of_resolved_questions():
    resolved, rows = three_scenarios_resolved()
    unresolved, other_rows = two_indicators()
    points = calibration_points([(resolved, rows), (unresolved, other_rows)])
    assert [happened for _, happened in points] == [False, True, False]
    assert [p for p, _ in points] == pytest.approx([0.3125, 0.5625, 0.125])


def test_trajectory_dates_run_from_opening_to_as_of():
    q, rows = ranged_case()
    band = trajectory_intervals(q, rows, day(10), draws=100)
    assert band.dates[0] == OPENED and band.dates[-1] == day(10)
    assert band.dates[1] - band.dates[0] == timedelta(days=1)
