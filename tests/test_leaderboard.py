"""The scorecard's leaderboard, as a specification, on a question small enough to score by hand.

A question opens on 1 January and resolves as "a" on 5 January (five days scored), with
no evidence, so each model forecast is its priors every day. Two analysts: ana (a 0.8)
and ben (a 0.2); the team is their geometric mean. An outside forecaster gives
(0.6, 0.4) on 3 January and (0.9, 0.1) on 5 January, scored from 3 January on with
the forecast carried forward.
"""

from __future__ import annotations

import math
from textwrap import dedent

import pytest

from forecast.publish.scorecard import Scorecard

QUESTION = """\
id: q
title: A question scored by hand
question: Which?
opened: 2024-01-01
closes: 2024-12-31
scenarios:
  a: {name: A, prior: 0.5}
  b: {name: B, prior: 0.5}
indicators:
  sign: {text: A sign, signals: a, likelihood: {a: 0.7, b: 0.3}}
resolution: {scenario: a, date: 2024-01-05}
"""


@pytest.fixture
def card(tmp_path):
    data = tmp_path / "data"
    (data / "questions").mkdir(parents=True)
    (data / "questions" / "q.yaml").write_text(QUESTION)
    (data / "judgments" / "q").mkdir(parents=True)
    (data / "judgments" / "q" / "ana.yaml").write_text("priors: {a: 0.8, b: 0.2}\n")
    (data / "judgments" / "q" / "ben.yaml").write_text("priors: {a: 0.2, b: 0.8}\n")
    (data / "forecasts").mkdir()
    (data / "forecasts" / "q.csv").write_text(
        dedent("""\
        date,forecaster,a,b
        2024-01-03,crowd,0.6,0.4
        2024-01-05,crowd,0.9,0.1
        2024-01-09,crowd,0.1,0.9
        """)
    )
    return Scorecard.load(data)


def brier(p_a: float) -> float:
    return (1 - p_a) ** 2 + (0 - (1 - p_a)) ** 2


def test_each_forecaster_is_scored_on_the_same_daily_rule(card):
    rows = {r.forecaster: r for r in card.leaderboard}
    assert set(rows) == {"team", "model: ana", "model: ben", "crowd"}
    assert rows["model: ana"].brier_daily == pytest.approx(brier(0.8), abs=1e-12)
    assert rows["model: ben"].brier_daily == pytest.approx(brier(0.2), abs=1e-12)
    assert rows["model: ana"].log_daily == pytest.approx(-math.log(0.8), abs=1e-12)
    # The pool of (0.8, 0.2) and (0.2, 0.8): sqrt(0.16) for both, so 0.5 each.
    assert rows["team"].brier_daily == pytest.approx(brier(0.5), abs=1e-12)
    assert rows["team"].days == rows["model: ana"].days == 5


def test_an_outside_forecast_is_carried_forward_from_the_first_to_the_resolution_date(card):
    crowd = next(r for r in card.leaderboard if r.forecaster == "crowd")
    # 3 and 4 January: (0.6, 0.4); 5 January: (0.9, 0.1); the forecast of 9 January is after resolution.
    assert crowd.days == 3
    assert crowd.brier_daily == pytest.approx((2 * brier(0.6) + brier(0.9)) / 3, abs=1e-12)
    assert crowd.log_daily == pytest.approx(-(2 * math.log(0.6) + math.log(0.9)) / 3, abs=1e-12)


def test_the_leaderboard_is_ordered_by_mean_daily_brier(card):
    assert [r.forecaster for r in card.leaderboard] == ["model: ana", "crowd", "team", "model: ben"]


def test_calibration_is_per_forecaster_with_its_number_of_points(card):
    # One resolved question with two scenarios gives two points each: too few to chart.
    assert card.calibration_by_forecaster == {}
    summary = card.summary()
    assert summary["calibration_by_forecaster"] == {}
    assert [r["forecaster"] for r in summary["leaderboard"]] == ["model: ana", "crowd", "team", "model: ben"]


def test_a_bad_judgment_file_skips_only_that_question(tmp_path):
    data = tmp_path / "data"
    (data / "questions").mkdir(parents=True)
    (data / "questions" / "q.yaml").write_text(QUESTION)
    (data / "questions" / "r.yaml").write_text(QUESTION.replace("id: q", "id: r"))
    (data / "judgments" / "q").mkdir(parents=True)
    (data / "judgments" / "q" / "ana.yaml").write_text("priors: {a: 0.8, b: 0.3}\n")
    card = Scorecard.load(data)
    assert [r.question.id for r in card.resolved] == ["r"]
    (skipped,) = card.skipped
    assert skipped.question == "q" and "judgments/q/ana.yaml:1: priors sum to 1.1" in skipped.reason


def test_a_question_with_analysts_is_scored_on_the_team_forecast_its_reports_published(tmp_path):
    """ana gives a 0.8 and ben 0.5, with no evidence: the team is sqrt(0.4) / (sqrt(0.4) + sqrt(0.1)) = 2/3
    for a every day, where the question file's own priors give 0.5; the scorecard's row is the team's."""
    data = tmp_path / "data"
    (data / "questions").mkdir(parents=True)
    (data / "questions" / "q.yaml").write_text(QUESTION)
    (data / "judgments" / "q").mkdir(parents=True)
    (data / "judgments" / "q" / "ana.yaml").write_text("priors: {a: 0.8, b: 0.2}\n")
    (data / "judgments" / "q" / "ben.yaml").write_text("priors: {a: 0.5, b: 0.5}\n")
    card = Scorecard.load(data)
    (entry,) = card.summary()["questions"]
    assert entry["brier_daily"] == pytest.approx(brier(2 / 3), abs=1e-12)
    assert entry["brier_final"] == pytest.approx(brier(2 / 3), abs=1e-12)
    assert entry["brier_prior"] == pytest.approx(brier(2 / 3), abs=1e-12)  # the pool of the analysts' priors
    assert entry["p_resolved_final"] == pytest.approx(2 / 3, abs=1e-12)
    team = next(r for r in card.leaderboard if r.forecaster == "team")
    assert entry["brier_daily"] == pytest.approx(team.brier_daily, abs=1e-12)
    # Calibration bins the team's final forecasts: 2/3 for a (it happened), 1/3 for b.
    assert card.calibration.count.tolist() == [0, 0, 0, 1, 0, 0, 1, 0, 0, 0]
    assert card.calibration.frequency[3] == 0 and card.calibration.frequency[6] == 1
