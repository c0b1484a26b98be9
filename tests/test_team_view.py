"""One model per view: every analysis of a team's report is the team's pooled forecast.

Leave-one-out re-pools the analysts' forecasts without the report, indicator or group;
*if seen* / *if absent* pool the analysts' forecasts after a hypothetical A1 report; the
information gain is the pooled forecast's; the band is the percentiles of the pooled
draws. Each is checked against an independent computation: the plain rule and pool of
``test_team`` on generated teams, and, on the bundled team question, each analyst's
forecast recompiled from a log with the report removed or added, pooled by hand.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from helpers import AS_OF as AS_OF_TEXT
from helpers import DATA, forecast_cli
from test_team import (
    CASES,
    generated_team,
    independent_groups,
    independent_overlay,
    independent_pool,
    independent_posterior,
)

from forecast import assess
from forecast.inputs.judgments import load_judgments, overlay
from forecast.inputs.validate import load_by_id
from forecast.model import EvidenceLog
from forecast.publish.report import Report
from forecast.team import TeamForecast

TEAM_QUESTION = "russia-syria-bases"
AS_OF = date.fromisoformat(AS_OF_TEXT)


def independent_team(question, judgments, rows, as_of, extremize):
    """The pool of the analysts' forecasts, by the plain rule, on ``rows``."""
    forecasts = []
    for j in judgments.values():
        priors, point = independent_overlay(question, j)
        forecasts.append(independent_posterior(priors, point, rows, as_of, independent_groups(question, j)))
    return independent_pool(forecasts, extremize)


def entropy_bits(p):
    return -sum(v * math.log2(v) for v in p.values() if v > 0)


@pytest.mark.parametrize(("seed", "extremize"), CASES[:6])
def test_leaving_evidence_out_repools_the_analysts_forecasts_without_it(tmp_path, seed, extremize):
    data, question, rows, judgments = generated_team(seed, tmp_path, extremize)
    as_of = date(2024, 2, 15)
    report = Report.load("generated", as_of=as_of, data_dir=data, draws=50)
    team = report.assessment
    now = independent_team(question, judgments, rows, as_of, extremize)
    members = {g: m for g, (m, _) in question["groups"].items()}
    checked = 0
    for item in team.critical(threshold_points=0):
        if item.kind == "report":
            kept = [r for r in rows if r["id"] != item.id]
        elif item.kind == "indicator":
            kept = [r for r in rows if r["indicator"] != item.id]
        else:
            kept = [r for r in rows if r["indicator"] not in members[item.id]]
        without = independent_team(question, judgments, kept, as_of, extremize)
        assert item.probabilities_without == pytest.approx(without, abs=1e-9)
        assert item.change == pytest.approx({s: (without[s] - now[s]) * 100 for s in now}, abs=1e-7)
        checked += 1
    counted = [r for r in rows if r["date"] <= as_of]
    assert checked >= len(counted)  # every counted report, and every indicator with a status
    # summary.json keeps its keys and its sign (without minus with), now with the team's numbers.
    for entry in report.summary()["critical_evidence"]:
        item = next(
            i for i in team.critical(threshold_points=0) if (i.kind, i.id) == (entry["kind"], entry["id"])
        )
        assert entry["change"] == pytest.approx(item.change, abs=1e-9)


@pytest.mark.parametrize(("seed", "extremize"), CASES[:6])
def test_if_seen_and_if_absent_pool_the_analysts_after_a_hypothetical_a1_report(tmp_path, seed, extremize):
    data, question, rows, judgments = generated_team(seed, tmp_path, extremize)
    as_of = date(2024, 1, 10)
    q, log = load_by_id(data, "generated")
    team = TeamForecast(q, log, load_judgments(data, q), as_of).assessment
    now = independent_team(question, judgments, rows, as_of, extremize)
    counted = {r["indicator"] for r in rows if r["date"] <= as_of}
    pending = [i for i in question["likelihood"] if i not in counted]
    items = {w.indicator: w for w in team.watch()}
    assert set(items) == set(pending)
    for indicator in pending:
        hypothetical = {
            "id": "h",
            "date": as_of,
            "indicator": indicator,
            "reliability": "A",
            "credibility": 1,
        }
        seen = independent_team(
            question, judgments, [*rows, {**hypothetical, "observed": True}], as_of, extremize
        )
        absent = independent_team(
            question, judgments, [*rows, {**hypothetical, "observed": False}], as_of, extremize
        )
        w = items[indicator]
        assert dict(w.if_observed) == pytest.approx(seen, abs=1e-9)
        assert dict(w.if_absent) == pytest.approx(absent, abs=1e-9)
        # The chance of a report: the team's forecast times the analysts' mean chance under each scenario.
        mean_p = {
            s: sum(independent_overlay(question, j)[1][indicator][s] for j in judgments.values())
            / len(judgments)
            for s in now
        }
        p_reported = sum(now[s] * mean_p[s] for s in now)
        assert w.p_reported == pytest.approx(p_reported, abs=1e-9)
        gain = entropy_bits(now) - (p_reported * entropy_bits(seen) + (1 - p_reported) * entropy_bits(absent))
        assert w.information_bits == pytest.approx(gain, abs=1e-9)


def _bundled_team(as_of=AS_OF):
    q, log = load_by_id(DATA, TEAM_QUESTION)
    judgments = load_judgments(DATA, q)
    assert judgments, "the bundled team question has judgment files"
    return q, log, judgments, TeamForecast(q, log, judgments, as_of)


def _pool_by_hand(q, judgments, log, as_of, extremize):
    """Each analyst's forecast compiled afresh from ``log``, pooled in plain Python."""
    forecasts = [dict(assess(overlay(q, j), log, as_of).probabilities) for j in judgments]
    return independent_pool(forecasts, extremize)


def test_the_bundled_team_reports_leave_one_out_and_watch_figures_of_the_pool(tmp_path):
    q, log, judgments, _team = _bundled_team()
    out = tmp_path / "out"
    done = forecast_cli(
        "run", "--data", str(DATA), "--out", str(out), "--as-of", AS_OF_TEXT, "--question", TEAM_QUESTION
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads((out / TEAM_QUESTION / AS_OF.isoformat() / "summary.json").read_text())
    now = _pool_by_hand(q, judgments, log, AS_OF, q.extremize)
    assert summary["probabilities"] == pytest.approx(now, abs=1e-9)
    assert summary["critical_evidence"], "the bundled team question has critical evidence"
    for entry in summary["critical_evidence"]:
        if entry["kind"] == "report":
            kept = [r for r in log.rows if r.id != entry["id"]]
        elif entry["kind"] == "indicator":
            kept = [r for r in log.rows if r.indicator != entry["id"]]
        else:
            members = {i.id for i in q.indicators if i.group == entry["id"]}
            kept = [r for r in log.rows if r.indicator not in members]
        without = _pool_by_hand(q, judgments, replace(log, rows=tuple(kept)), AS_OF, q.extremize)
        assert entry["change"] == pytest.approx({s: (without[s] - now[s]) * 100 for s in now}, abs=1e-7)
    # The question file's own model gives other figures: the page used to show those.
    own = {(i.kind, i.id): i.change for i in assess(q, log, AS_OF).critical(threshold_points=0)}
    assert any(
        max(abs(entry["change"][s] - own[(entry["kind"], entry["id"])][s]) for s in now) > 0.5
        for entry in summary["critical_evidence"]
    )
    assert summary["watch"]
    for entry in summary["watch"]:
        indicator = q.indicator(entry["indicator"])
        window_end = q.window_of(indicator)[1]
        seen_row = _a1(log, indicator.id, AS_OF, True)
        absent_row = _a1(log, indicator.id, max(window_end, AS_OF), False)
        # Reports dated after as-of are not counted, so the absent one is judged as of its own date.
        seen = _pool_by_hand(q, judgments, replace(log, rows=(*log.rows, seen_row)), AS_OF, q.extremize)
        assert entry["if_observed"] == pytest.approx(seen, abs=1e-9)
        if window_end <= AS_OF:
            absent = _pool_by_hand(
                q, judgments, replace(log, rows=(*log.rows, absent_row)), AS_OF, q.extremize
            )
            assert entry["if_absent"] == pytest.approx(absent, abs=1e-9)


def _a1(log: EvidenceLog, indicator: str, day: date, observed: bool):
    template = log.rows[0]
    return replace(
        template,
        id="hypothetical",
        date=day,
        indicator=indicator,
        observed=observed,
        reliability="A",
        credibility=1,
    )


def test_the_team_band_is_the_percentiles_of_the_pooled_draws():
    q, _log, _judgments, team = _bundled_team()
    band = team.assessment.trajectory_band(draws=400, seed=7)
    # On the last day the band equals the team's intervals, whose draws are pooled draw by draw.
    intervals = team.assessment.intervals(draws=400, seed=7)
    pooled = intervals.draws
    for j, s in enumerate(q.scenario_ids):
        low, high = np.percentile(pooled[:, j], (5, 95))
        assert band.band[-1, j].tolist() == pytest.approx([low, high], abs=1e-9)
        assert intervals.bounds[s] == pytest.approx((low, high), abs=1e-9)
    assert band.point[-1].tolist() == pytest.approx(
        [team.probabilities[s] for s in q.scenario_ids], abs=1e-12
    )
    assert (band.band[:, :, 0] <= band.band[:, :, 1]).all()


def test_the_analysts_range_is_the_lowest_and_highest_analyst():
    q, _log, _judgments, team = _bundled_team()
    for s in q.scenario_ids:
        values = [a.assessment.probabilities[s] for a in team.analysts]
        assert team.analyst_range[s] == (min(values), max(values))


@pytest.mark.parametrize(("seed", "extremize"), CASES[:3])
def test_the_frames_keep_every_judgment_that_drives_the_spread(tmp_path, seed, extremize):
    data, _question, _rows, _judgments = generated_team(seed, tmp_path, extremize)
    q, log = load_by_id(data, "generated")
    team = TeamForecast(q, log, load_judgments(data, q), date(2024, 4, 30))
    frame = team.assessment.frames.drivers
    every = team.drivers(limit=None)
    assert len(frame) == len(every) and len(team.drivers()) == min(10, len(every))
    assert frame["shrink"].tolist() == pytest.approx([d.shrink for d in every])
    assert frame["analyst"].tolist() == [d.analyst for d in every]
    assert len(assess(q, log, date(2024, 4, 30)).frames.drivers) == 0  # not a team: no drivers
