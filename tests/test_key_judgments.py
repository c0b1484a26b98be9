"""The key judgments that open every report, and the confidence rule of docs/key-judgments.md."""

from __future__ import annotations

import pytest

from forecast.publish.brief import confidence

# The worked example of docs/key-judgments.md: 2.40 of 4.20 weight from A-B sources (57%), Reuters 22 of
# 40 points of the leader's movement (55%), 3 days old of 60, a range 16 points wide, analysts 18 apart.
EXAMPLE = dict(
    counted_weight=4.2,
    ab_weight=2.4,
    movement=40.0,
    top_source="Reuters",
    top_source_movement=22.0,
    evidence_age_days=3,
    stale_after_days=60,
    range_points=16.0,
    analysts_spread_points=18.0,
)


def test_the_worked_example_has_two_concerns_and_low_confidence():
    c = confidence(**EXAMPLE)
    assert (c.level, c.concerns) == ("low", 2)
    assert c.reasons == (
        "57% of counted weight from A–B sources; one source (Reuters) carries most of the move, 55% (concern); "
        "latest evidence 3 days old (stale after 60 days); 5–95% range 16 points wide; analysts span 18 points (concern)."
    )


def test_the_example_with_the_analysts_within_15_points_is_moderate():
    assert confidence(**{**EXAMPLE, "analysts_spread_points": 15.0}).level == "moderate"


def test_the_example_with_no_source_carrying_most_of_the_move_as_well_is_high():
    c = confidence(**{**EXAMPLE, "analysts_spread_points": 15.0, "top_source_movement": 18.0})  # 45%
    assert (c.level, c.concerns) == ("high", 0)
    assert "carries the largest part of the move, 45%" in c.reasons and "(concern)" not in c.reasons


@pytest.mark.parametrize(
    ("age", "concerns"),
    [(30, 0), (31, 1), (60, 1), (61, 2)],  # half of 60 is the first threshold, 60 itself the second (stale)
)
def test_evidence_older_than_half_its_stale_limit_is_one_concern_and_stale_evidence_two(age, concerns):
    c = confidence(
        **{**EXAMPLE, "analysts_spread_points": None, "top_source_movement": 0.0, "evidence_age_days": age}
    )
    assert c.concerns == concerns
    assert c.level == ("high", "moderate", "low")[concerns]


def test_under_half_the_weight_from_a_b_sources_is_a_concern():
    # 2.0 of 4.2 is 47.6%: below the 50% the rule asks for.
    c = confidence(
        **{**EXAMPLE, "ab_weight": 2.0, "analysts_spread_points": None, "top_source_movement": 0.0}
    )
    assert (c.level, c.concerns) == ("moderate", 1) and "48% of counted weight" in c.reasons


def test_a_range_wider_than_20_points_is_a_concern_and_no_range_is_none():
    base = {**EXAMPLE, "analysts_spread_points": None, "top_source_movement": 0.0}
    assert confidence(**{**base, "range_points": 20.0}).concerns == 0
    assert confidence(**{**base, "range_points": 21.0}).concerns == 1
    assert "no 5–95% range" in confidence(**{**base, "range_points": None}).reasons


def test_no_evidence_counted_is_low_confidence_whatever_else():
    c = confidence(**{**EXAMPLE, "evidence_age_days": None, "counted_weight": 0.0, "ab_weight": 0.0})
    assert c.level == "low" and "the forecast is the priors" in c.reasons


def test_the_analysts_spread_is_an_input_only_for_a_team():
    assert "analysts span" not in confidence(**{**EXAMPLE, "analysts_spread_points": None}).reasons
