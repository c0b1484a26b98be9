"""The Python API takes the dates a pandas user has at hand, and hands out results nobody can change.

``assess(q, log, as_of)`` takes a date, an ISO string, a datetime (naive or aware, taken
as its own date in its own zone) or a pandas Timestamp, and refuses anything else at the
call with a ``TypeError`` naming ``as_of``. Every mapping an assessment hands out is
read-only and every array has ``writeable = False``, so no caller can change a kept number
that the report, the frames and ``summary.json`` read.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from helpers import DATA, EXAMPLE

from forecast import assess
from forecast.inputs.judgments import load_judgments
from forecast.inputs.validate import load_by_id
from forecast.team import TeamForecast

DAY = date(2025, 2, 20)


@pytest.fixture(scope="module")
def inputs():
    return load_by_id(DATA, EXAMPLE)


@pytest.mark.parametrize(
    "as_of",
    [
        DAY,
        "2025-02-20",
        datetime(2025, 2, 20, 9, 30),
        datetime(2025, 2, 20, 23, 59, tzinfo=timezone(timedelta(hours=-8))),  # still the 20th there
        pd.Timestamp("2025-02-20 18:00"),
        pd.Timestamp("2025-02-20 01:00", tz="Asia/Tokyo"),
    ],
    ids=["date", "iso", "naive", "aware", "timestamp", "aware-timestamp"],
)
def test_as_of_may_be_any_form_of_the_day_and_gives_that_days_forecast(inputs, as_of):
    q, log = inputs
    a = assess(q, log, as_of)
    assert a.as_of == DAY and type(a.as_of) is date
    assert dict(a.probabilities) == dict(assess(q, log, DAY).probabilities)
    assert a.trajectory.dates[-1] == DAY  # comparing dates with dates: no datetime inside
    assert len(a.frames.trajectory) == len(a.trajectory.dates)


def test_an_aware_datetime_is_taken_in_its_own_zone(inputs):
    q, log = inputs
    late_in_new_york = datetime(2025, 2, 20, 22, 0, tzinfo=timezone(timedelta(hours=-5)))  # the 21st in UTC
    assert assess(q, log, late_in_new_york).as_of == DAY


@pytest.mark.parametrize(
    "as_of", [20250220, 2025.0, np.datetime64("2025-02-20"), [2025, 2, 20], b"2025-02-20"]
)
def test_anything_else_is_refused_at_the_call_naming_as_of(inputs, as_of):
    q, log = inputs
    with pytest.raises(TypeError, match="as_of"):
        assess(q, log, as_of)


def test_a_string_that_is_not_a_date_names_as_of(inputs):
    q, log = inputs
    with pytest.raises(ValueError, match="as_of '20/02/2025' is not a date"):
        assess(q, log, "20/02/2025")


def test_a_team_takes_the_same_forms(inputs):
    q, log = inputs
    team = TeamForecast(q, log, load_judgments(DATA, q), "2025-02-20")
    assert team.as_of == DAY and team.assessment.as_of == DAY


def test_probabilities_priors_and_states_are_read_only(inputs):
    q, log = inputs
    a = assess(q, log, DAY)
    leading = a.leading
    for mapping in (a.probabilities, a.priors, a.states):
        with pytest.raises(TypeError):
            mapping[next(iter(mapping))] = 0.99
    assert a.leading == leading
    assert dict(a.frames.scenarios["probability"]) == pytest.approx(dict(a.probabilities))


def test_a_teams_mappings_are_read_only_and_the_pool_cannot_be_changed_through_them(inputs):
    q, log = inputs
    team = TeamForecast(q, log, load_judgments(DATA, q), DAY)
    before = dict(team.assessment.probabilities)
    with pytest.raises(TypeError):
        team.assessment.probabilities["keep"] = 0.99
    assert dict(team.probabilities) == before


def test_every_array_an_assessment_hands_out_is_frozen(inputs):
    q, log = inputs
    a = assess(q, log, DAY)
    intervals = a.intervals(draws=100)
    band = a.trajectory_band(draws=100)
    arrays = [a.trajectory.probabilities, a.effects, intervals.draws, band.point, band.band]
    for array in arrays:
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[(0,) * array.ndim] = 0.5
    for mapping in (intervals.point, intervals.bounds, a.watch()[0].if_observed, a.watch()[0].if_absent):
        with pytest.raises(TypeError):
            mapping[next(iter(mapping))] = 0.5


def test_leave_one_out_items_are_made_when_read_and_behave_as_a_list(inputs):
    q, log = inputs
    items = assess(q, log, DAY).critical(threshold_points=0)
    as_list = list(items)
    assert len(items) == len(as_list) > 3
    assert items[0] == as_list[0] and items[-1] == as_list[-1] and items[1:3] == as_list[1:3]
    assert items == as_list and as_list == list(items)
    assert items.moves.shape == (len(items), len(q.scenario_ids)) and not items.moves.flags.writeable
    for k, item in enumerate(as_list):
        assert list(item.moves) == items.moves[k].tolist()
        assert item.change == {s: m for s, m in zip(q.scenario_ids, item.moves)}
    with pytest.raises(IndexError):
        items[len(items)]
