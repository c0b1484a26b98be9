"""Specification of the public scores: ``brier_score`` and ``log_score``, arrays in and arrays out.

Forecasts have the scenarios on their last axis; the outcome is the index of the scenario that
happened. Each case is worked by hand or checked against scikit-learn's own implementation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, log_loss

import forecast
from forecast.analysis import brier_score, log_score

# Three forecasts of three scenarios, and which scenario happened for each.
FORECASTS = np.array([[0.2, 0.5, 0.3], [0.7, 0.2, 0.1], [1 / 3, 1 / 3, 1 / 3]])
HAPPENED = np.array([1, 0, 2])


def test_brier_score_of_one_forecast_by_hand():
    # (0.2 - 0)^2 + (0.5 - 1)^2 + (0.3 - 0)^2 = 0.04 + 0.25 + 0.09
    assert float(brier_score([0.2, 0.5, 0.3], 1)) == pytest.approx(0.38, abs=1e-15)


def test_log_score_of_one_forecast_by_hand():
    assert float(log_score([0.2, 0.5, 0.3], 1)) == pytest.approx(math.log(2), abs=1e-15)


def test_a_single_forecast_scores_as_a_scalar():
    assert np.shape(brier_score([0.2, 0.8], 0)) == () and np.shape(log_score([0.2, 0.8], 0)) == ()


def test_scores_are_per_forecast_with_the_leading_shape():
    brier = brier_score(FORECASTS, HAPPENED)
    log = log_score(FORECASTS, HAPPENED)
    assert brier.shape == log.shape == (3,)
    assert brier.tolist() == pytest.approx([0.38, 0.3**2 + 0.2**2 + 0.1**2, 3 * (1 / 3) ** 2 + 1 - 2 / 3])
    assert log.tolist() == pytest.approx([-math.log(0.5), -math.log(0.7), math.log(3)])


def test_one_outcome_broadcasts_over_many_forecasts():
    stacked = np.stack([FORECASTS, FORECASTS[::-1]])  # shape (2, 3, 3)
    brier = brier_score(stacked, 0)
    assert brier.shape == (2, 3)
    expected = [[sum((p - (k == 0)) ** 2 for k, p in enumerate(row)) for row in block] for block in stacked]
    np.testing.assert_allclose(brier, expected, rtol=1e-12)
    np.testing.assert_allclose(log_score(stacked, 0), -np.log(stacked[..., 0]), rtol=1e-12)


def test_outcomes_broadcast_along_a_leading_axis():
    stacked = np.stack([FORECASTS, FORECASTS])  # shape (2, 3, 3): the same outcomes for each block
    assert brier_score(stacked, HAPPENED).tolist() == [brier_score(FORECASTS, HAPPENED).tolist()] * 2


def test_a_perfect_forecast_scores_zero_and_the_worst_scores_two():
    assert float(brier_score([0.0, 1.0, 0.0], 1)) == 0.0 and float(log_score([0.0, 1.0, 0.0], 1)) == 0.0
    assert float(brier_score([1.0, 0.0, 0.0], 1)) == 2.0


def test_a_zero_probability_on_what_happened_has_an_infinite_log_score_without_a_warning():
    with np.errstate(all="raise"):
        assert log_score([1.0, 0.0], 1) == math.inf


def test_binary_brier_score_is_twice_scikit_learns():
    # scikit-learn scores one of the two scenarios, (p - o)^2; the sum over both scenarios doubles it.
    p = np.array([0.9, 0.35, 0.5, 0.02, 1.0])
    happened = np.array([1, 0, 1, 1, 0])
    ours = brier_score(np.column_stack([1 - p, p]), happened)
    assert ours.mean() == pytest.approx(2 * brier_score_loss(happened, p))


def test_multiclass_brier_score_agrees_with_scikit_learn_unhalved():
    labels = [0, 1, 2]
    sklearn = brier_score_loss(HAPPENED, FORECASTS, labels=labels, scale_by_half=False)
    assert brier_score(FORECASTS, HAPPENED).mean() == pytest.approx(sklearn, abs=1e-12)


def test_log_score_agrees_with_scikit_learn():
    sklearn = log_loss(HAPPENED, FORECASTS, labels=[0, 1, 2])
    assert log_score(FORECASTS, HAPPENED).mean() == pytest.approx(sklearn, abs=1e-12)


@pytest.mark.parametrize("score", [brier_score, log_score])
@pytest.mark.parametrize(
    ("probabilities", "outcome", "message"),
    [
        ([1.2, -0.2], 0, "probabilities must be between 0 and 1"),
        ([math.nan, 1.0], 0, "probabilities must be between 0 and 1"),
        ([0.5, 0.4], 0, "must sum to 1 (within 1e-06); one sums to 0.9"),
        ([0.5, 0.5], 2, "outcome must index one of the 2 scenarios (0 to 1); got 2"),
        ([0.5, 0.5], -1, "outcome must index one of the 2 scenarios (0 to 1); got -1"),
        ([0.5, 0.5], 0.0, "outcome must be the whole-number index of the scenario that happened"),
        ([0.5, 0.5], True, "outcome must be the whole-number index of the scenario that happened"),
        ([[0.5, 0.5]] * 2, [0, 1, 0], "does not broadcast to the forecasts' leading shape (2,)"),
        (0.5, 0, "probabilities must have the scenarios on their last axis"),
    ],
    ids=["outside-0-1", "nan", "sum", "outcome-too-big", "outcome-negative", "float", "bool", "shape", "0-d"],
)
def test_bad_input_is_refused_in_a_sentence(score, probabilities, outcome, message):
    with pytest.raises(ValueError) as raised:
        score(probabilities, outcome)
    assert message in str(raised.value)


def test_a_sum_off_by_less_than_the_tolerance_is_accepted():
    assert float(brier_score([0.5, 0.5 + 5e-7], 0)) == pytest.approx(0.5, abs=1e-5)


def test_the_scores_are_public_from_the_package():
    assert forecast.brier_score is brier_score and forecast.log_score is log_score
    assert {"brier_score", "log_score"} <= set(forecast.__all__)
