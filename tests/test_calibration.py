"""The temper rule, ``forecast calibrate`` and ``calibration.yaml`` (docs/calibration.md).

The tempered posterior is checked against the plain-Python rule of tests/test_rule.py,
with its sum of contributions multiplied by τ; the fit against the scorecard's own
scoring of the tempered engine; the command on real files in tmp folders.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from helpers import DATA, EXAMPLE, copy_data_without_team, forecast_cli, tree_digest
from test_rule import combined, contributions

from forecast import (
    EvidenceRow,
    Indicator,
    Question,
    Resolution,
    Scenario,
    assess,
    load_evidence,
    load_question,
)
from forecast.analysis.calibration import TEMPER_GRID, fit_temper
from forecast.analysis.scoring import score
from forecast.analysis.uncertainty import intervals
from forecast.engine import posterior_as_of, trajectory
from forecast.errors import CalibrationFileError, JudgmentFileError, QuestionFileError
from forecast.inputs.calibration import load_calibration
from forecast.inputs.judgments import load_judgments
from forecast.inputs.validate import load_by_id, validate_data

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.calibration import write_world

AS_OF = date(2025, 2, 20)


def reference_tempered(question: Question, rows: list[EvidenceRow], as_of: date, temper: float) -> np.ndarray:
    """``softmax(log prior + τ · Σ contributions)``, the contributions by the plain rule of test_rule."""
    total = np.array(combined(question, contributions(question, rows, as_of)))
    logs = np.log([s.prior for s in question.scenarios]) + temper * total
    e = np.exp(logs - logs.max())
    return e / e.sum()


@pytest.fixture(scope="module")
def example():
    question = load_question(DATA / "questions" / f"{EXAMPLE}.yaml")
    return question, load_evidence(DATA / "evidence" / f"{EXAMPLE}.csv", question)


# ---------------------------------------------------------------- the rule


def test_the_worked_example_of_the_docs():
    """Priors 0.5/0.5; one indicator seen (0.8, 0.2), one not seen after its window (0.3, 0.6): 87.50% and 72.57%."""
    day = date(2025, 1, 1)
    q = Question(
        id="deal",
        title="Deal",
        question="Deal?",
        opened=day,
        closes=day,
        scenarios=(Scenario("deal", "Deal", 0.5), Scenario("none", "No deal", 0.5)),
        indicators=(
            Indicator("capped", "Capped presence described", "deal", {"deal": 0.8, "none": 0.2}),
            Indicator("hardened", "Demands hardened", "none", {"deal": 0.3, "none": 0.6}),
        ),
    )
    rows = [
        EvidenceRow("e1", day, "capped", True, "s", "A", 1),
        EvidenceRow("e2", day, "hardened", False, "s", "A", 1),
    ]
    assert posterior_as_of(q, rows, day)["deal"] == pytest.approx(0.875, abs=1e-12)
    tempered = posterior_as_of(replace(q, temper=0.5), rows, day)["deal"]
    assert tempered == pytest.approx(math.sqrt(0.56) / (math.sqrt(0.56) + math.sqrt(0.08)), abs=1e-12)
    assert round(tempered, 4) == 0.7257


@pytest.mark.parametrize("temper", [0.05, 0.42, 1.0, 1.7])
@pytest.mark.parametrize("as_of", [date(2024, 12, 20), date(2025, 1, 15), AS_OF])
def test_the_tempered_posterior_is_the_plain_rule_with_its_contributions_times_tau(example, temper, as_of):
    question, log = example  # groups, windows and every grade: the full rule
    tempered = replace(question, temper=temper)
    ours = np.array(list(posterior_as_of(tempered, log, as_of).values()))
    np.testing.assert_allclose(ours, reference_tempered(question, list(log.rows), as_of, temper), atol=1e-9)
    # The last day of the trajectory is the same posterior.
    path = trajectory(tempered, log, as_of)
    np.testing.assert_allclose(path.probabilities[-1], ours, atol=1e-12)


def test_every_day_of_the_trajectory_is_tempered(example):
    question, log = example
    path = trajectory(replace(question, temper=0.3), log, date(2025, 1, 10))
    for k in (0, 10, len(path.dates) - 1):
        expected = reference_tempered(question, list(log.rows), path.dates[k], 0.3)
        np.testing.assert_allclose(path.probabilities[k], expected, atol=1e-9)


def test_the_tempered_effects_add_up_to_the_move(example):
    question, log = example
    a = assess(replace(question, temper=0.42), log, AS_OF)
    effects = np.array([list(e.effect.values()) for e in a.audit if e.effect is not None]).sum(axis=0)
    prior = np.array([s.prior for s in question.scenarios])
    move = (np.array(list(a.probabilities.values())) - prior) * 100
    np.testing.assert_allclose(effects, move, atol=1e-9)


def test_temper_one_gives_the_same_bytes_as_no_temper(example):
    question, log = example
    plain = trajectory(question, log, AS_OF).probabilities
    assert trajectory(replace(question, temper=1.0), log, AS_OF).probabilities.tobytes() == plain.tobytes()


def test_each_draw_of_the_ranges_is_the_same_draw_tempered(example):
    """With the same seed, a draw at τ is softmax(log prior + τ · (log draw at 1 − log prior))."""
    question, log = example
    question = replace(question, likelihood_spread=0.05)
    untempered = intervals(question, log, AS_OF, draws=200, seed=3).draws
    tempered = intervals(replace(question, temper=0.4), log, AS_OF, draws=200, seed=3).draws
    log_prior = np.log([s.prior for s in question.scenarios])
    logs = log_prior + 0.4 * (np.log(untempered) - log_prior)
    expected = np.exp(logs - logs.max(axis=1, keepdims=True))
    np.testing.assert_allclose(tempered, expected / expected.sum(axis=1, keepdims=True), atol=1e-9)


# ---------------------------------------------------------------- where τ comes from


def _with_temper(tmp_path: Path, line: str) -> Path:
    data = copy_data_without_team(tmp_path / "data")
    path = data / "questions" / f"{EXAMPLE}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + line, encoding="utf-8")
    return data


def test_the_question_file_sets_temper(tmp_path):
    data = _with_temper(tmp_path, "temper: 0.5\n")
    question, _ = load_by_id(data, EXAMPLE)
    assert question.temper == 0.5


@pytest.mark.parametrize("value", ["0", "-1", "true", "abc", ".nan", "[0.5]"])
def test_a_bad_temper_is_a_located_error(tmp_path, value):
    data = _with_temper(tmp_path, f"temper: {value}\n")
    path = data / "questions" / f"{EXAMPLE}.yaml"
    line = len(path.read_text(encoding="utf-8").splitlines())
    with pytest.raises(QuestionFileError) as caught:
        load_question(path)
    assert f"{EXAMPLE}.yaml:{line}: " in str(caught.value)
    assert "temper" in str(caught.value)


def test_calibration_yaml_sets_temper_unless_the_question_file_does(tmp_path):
    data = copy_data_without_team(tmp_path / "data")
    (data / "calibration.yaml").write_text("temper: 0.42\nfitted: 2026-11-30\n", encoding="utf-8")
    question, _ = load_by_id(data, EXAMPLE)
    assert question.temper == 0.42
    assert question.calibration.fitted == date(2026, 11, 30)
    path = data / "questions" / f"{EXAMPLE}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "temper: 0.9\n", encoding="utf-8")
    assert load_by_id(data, EXAMPLE)[0].temper == 0.9


def test_a_judgment_file_may_not_set_temper(tmp_path):
    data = shutil.copytree(DATA, tmp_path / "data")
    folder = data / "judgments" / EXAMPLE
    path = sorted(folder.glob("*.yaml"))[0]
    text = path.read_text(encoding="utf-8") + "temper: 0.5\n"
    path.write_text(text, encoding="utf-8")
    question = load_question(data / "questions" / f"{EXAMPLE}.yaml")
    with pytest.raises(JudgmentFileError, match=rf"{path.name}:{len(text.splitlines())}: temper"):
        load_judgments(data, question)


def test_temper_applies_to_every_analyst_before_pooling(tmp_path):
    data = shutil.copytree(DATA, tmp_path / "data")
    (data / "calibration.yaml").write_text("temper: 0.5\n", encoding="utf-8")
    question, log = load_by_id(data, EXAMPLE)
    for judgment in load_judgments(data, question):
        from forecast.inputs.judgments import overlay

        analyst = overlay(question, judgment)
        assert analyst.temper == 0.5
        untempered = replace(analyst, temper=1.0)
        expected = reference_tempered(untempered, list(log.rows), AS_OF, 0.5)
        np.testing.assert_allclose(list(posterior_as_of(analyst, log, AS_OF).values()), expected, atol=1e-9)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("temper: 0\n", 1, "temper"),
        ("temper: true\n", 1, "temper"),
        ("temper: 0.5\nfitted: 2026-11-30\ntemperature: 2\n", 3, "unknown key 'temperature'"),
        ("fitted: 2026-11-30\n", 1, "temper: required"),
        ("temper: 0.5\nextremize: -2\n", 2, "extremize"),
        ("temper: 0.5\ntemper_interval: [0.6, 0.4]\n", 2, "temper_interval: expected \\[low, high\\]"),
        ("temper: 0.5\ntemper_interval: 0.4\n", 2, "temper_interval"),
        ("temper: 3\nsearched: [0.05, 2.0]\n", 2, "lies outside the searched range"),
        ("temper: 0.5\nforced: yes\n", 2, "forced: expected true or false"),
        ("temper: 0.5\nextremize_interval: [1, 2]\n", 2, "given without extremize"),
        (
            "temper: 0.5\nlog_score:\n  leave_one_out: {untempered: 1, calibrated: 0.9, gain_se: -1}\n",
            3,
            "gain_se",
        ),
        (
            "temper: 0.5\nextremize: 2\nextremize_score:\n  in_sample: {untempered: 1, calibrated: 0.9}\n",
            4,
            "temper_only and joint",
        ),
    ],
)
def test_a_bad_calibration_yaml_is_a_located_error(tmp_path, text, line, message):
    data = copy_data_without_team(tmp_path / "data")
    (data / "calibration.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CalibrationFileError, match=rf"calibration\.yaml:{line}: .*{message}"):
        load_calibration(data)
    problems = [str(p) for p in validate_data(data) if p.is_error]
    assert any(f"calibration.yaml:{line}:" in p for p in problems)
    result = forecast_cli("validate", "--data", data)
    assert result.returncode == 1
    assert f"calibration.yaml:{line}:" in result.stdout


def test_a_calibration_yaml_written_before_intervals_were_recorded_still_reads(tmp_path):
    data = copy_data_without_team(tmp_path / "data")
    (data / "calibration.yaml").write_text(FIT, encoding="utf-8")
    fitted = load_calibration(data)
    assert fitted.temper == 0.42 and fitted.log_loo == (0.81, 0.64)
    assert (fitted.temper_interval, fitted.searched, fitted.log_gain_se, fitted.forced) == (
        None,
        None,
        None,
        False,
    )


def test_calibration_yaml_reads_back_every_field_it_writes(tmp_path):
    from forecast.inputs.calibration import calibration_yaml
    from forecast.model import Calibration

    data = copy_data_without_team(tmp_path / "data")
    written = Calibration(
        temper=0.42,
        extremize=0.8,
        fitted=date(2026, 11, 30),
        questions=("a", "b"),
        log_in_sample=(0.8, 0.6),
        log_loo=(0.8, 0.65),
        temper_interval=(0.3, 0.55),
        searched=(0.05, 2.0),
        log_gain_se=0.05,
        extremize_interval=(0.5, 1.2),
        extremize_searched=(0.05, 5.0),
        extremize_in_sample=(0.6, 0.58),
        extremize_loo=(0.65, 0.64),
        extremize_gain_se=0.01,
        forced=True,
        version="0.1.0",
    )
    (data / "calibration.yaml").write_text(calibration_yaml(written), encoding="utf-8")
    assert replace(load_calibration(data), path="") == written


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_calibration_yaml_that_is_not_a_file_is_refused(tmp_path, kind):
    data = copy_data_without_team(tmp_path / "data")
    path = data / "calibration.yaml"
    path.mkdir() if kind == "folder" else os.mkfifo(path)
    with pytest.raises(CalibrationFileError, match="not a regular file"):
        load_calibration(data)
    result = forecast_cli("validate", "--data", data, timeout=60)
    assert result.returncode == 1
    assert "calibration.yaml" in result.stdout


# ---------------------------------------------------------------- the fit


def test_the_fitted_scores_are_the_scorecards_scores_of_the_tempered_engine(tmp_path):
    world = write_world(tmp_path / "world", "clustered", 4, seed=7)
    cases = []
    for qid in world.question_ids:
        q = load_question(world.data_dir / "questions" / f"{qid}.yaml")
        cases.append((q, load_evidence(world.data_dir / "evidence" / f"{qid}.csv", q)))
    fit = fit_temper(cases)
    for temper in (0.3, 1.0, 1.6):
        k = int(np.argmin(np.abs(TEMPER_GRID - temper)))
        for row, (q, log) in enumerate(cases):
            scored = score(replace(q, temper=temper), log)
            assert fit.log[row, k] == pytest.approx(scored.log_daily, abs=1e-9)
            assert fit.brier[row, k] == pytest.approx(scored.brier_daily, abs=1e-9)
    # τ minimises the mean over questions; leave-one-out fits on the others.
    assert fit.value == TEMPER_GRID[np.argmin(fit.log.mean(axis=0))]
    others = fit.log[1:].mean(axis=0)
    assert fit.loo_best[0] == np.argmin(others)


def test_the_same_world_is_the_same_bytes(tmp_path):
    a = write_world(tmp_path / "a", "clustered", 3, seed=5)
    b = write_world(tmp_path / "b", "clustered", 3, seed=5)
    assert tree_digest(a.data_dir) == tree_digest(b.data_dir)


# ---------------------------------------------------------------- the command


def test_calibrate_leaves_the_two_bundled_examples_out_and_writes_nothing(tmp_path):
    data = shutil.copytree(DATA, tmp_path / "data")
    before = tree_digest(data)
    result = forecast_cli("calibrate", "--data", data, "--write")
    assert result.returncode == 1
    assert (
        "0 resolved questions (and 2 illustrative, left out as examples); calibration needs at least 8"
        in result.stderr
    )
    assert tree_digest(data) == before


def test_calibrate_with_no_resolved_question_says_so(tmp_path):
    world = write_world(tmp_path / "world", "control", 2, seed=1)
    for path in (world.data_dir / "questions").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text[: text.index("resolution:")], encoding="utf-8")
    result = forecast_cli("calibrate", "--data", world.data_dir, "--write")
    assert result.returncode == 1
    assert "no resolved questions" in result.stderr
    assert not (world.data_dir / "calibration.yaml").exists()


def test_calibrate_write_fits_a_temper_below_one_where_indicators_co_move(tmp_path):
    world = write_world(tmp_path / "world", "clustered", 16, seed=1)
    result = forecast_cli("calibrate", "--data", world.data_dir, "--write")
    assert result.returncode == 0, result.stderr
    assert "16 resolved questions; fitted temper" in result.stdout
    written = load_calibration(world.data_dir)
    assert written.temper <= 0.6
    assert written.questions == world.question_ids
    assert written.fitted == date.today()
    assert written.log_loo[1] < written.log_loo[0]
    # The folder's questions now take it.
    question, _ = load_by_id(world.data_dir, world.question_ids[0])
    assert question.temper == written.temper


def test_calibrate_refuses_a_fit_that_is_worse_out_of_sample_unless_forced(tmp_path):
    world = write_world(tmp_path / "world", "control", 12, seed=3)
    before = tree_digest(world.data_dir)
    refused = forecast_cli("calibrate", "--data", world.data_dir, "--write")
    assert refused.returncode == 1
    assert "not written" in refused.stderr and "--force" in refused.stderr
    assert tree_digest(world.data_dir) == before
    forced = forecast_cli("calibrate", "--data", world.data_dir, "--write", "--force")
    assert forced.returncode == 0, forced.stderr
    assert load_calibration(world.data_dir).questions == world.question_ids


def test_calibrate_force_fits_a_temper_near_one_where_the_stated_model_is_true(tmp_path):
    world = write_world(tmp_path / "world", "control", 100, seed=1)
    result = forecast_cli("calibrate", "--data", world.data_dir, "--write", "--force")
    assert result.returncode == 0, result.stderr
    assert 0.65 <= load_calibration(world.data_dir).temper <= 1.35


def test_min_questions_lowers_the_bar(tmp_path):
    world = write_world(tmp_path / "world", "clustered", 3, seed=2)
    assert forecast_cli("calibrate", "--data", world.data_dir).returncode == 1
    result = forecast_cli("calibrate", "--data", world.data_dir, "--min-questions", "3")
    assert result.returncode == 0, result.stderr
    assert not (world.data_dir / "calibration.yaml").exists()  # no --write: nothing written


# ---------------------------------------------------------------- ordered scenarios


def plain_rps(forecast: list[float], happened: int) -> float:
    """Epstein's RPS, unnormalised, by a plain loop over the thresholds."""
    total, cumulative = 0.0, 0.0
    for k in range(len(forecast) - 1):
        cumulative += forecast[k]
        total += (cumulative - (1.0 if happened <= k else 0.0)) ** 2
    return total


def test_rps_matches_a_plain_implementation():
    rng = np.random.default_rng(0)
    forecasts = rng.dirichlet(np.ones(4), size=50)
    outcomes = rng.integers(0, 4, size=50)
    from forecast.analysis.scoring import ranked_probability_score

    ours = ranked_probability_score(forecasts, outcomes)
    expected = [plain_rps(f.tolist(), int(o)) for f, o in zip(forecasts, outcomes)]
    np.testing.assert_allclose(ours, expected, atol=1e-12)
    assert float(ranked_probability_score([0.2, 0.5, 0.3], 0)) == pytest.approx(0.73)
    assert float(ranked_probability_score([0.2, 0.5, 0.3], 1)) == pytest.approx(0.13)


def test_an_ordered_question_is_scored_with_rps(tmp_path, example):
    data = _with_temper(tmp_path, "ordered: true\n")
    question, log = load_by_id(data, EXAMPLE)
    assert question.ordered
    question = replace(question, resolution=Resolution("partial", date(2025, 3, 1)))
    scored = score(question, log)
    daily = trajectory(question, log, date(2025, 3, 1)).probabilities
    expected = np.mean([plain_rps(p.tolist(), 1) for p in daily])
    assert scored.rps_daily == pytest.approx(expected, abs=1e-12)
    assert score(replace(question, ordered=False), log).rps_daily is None


def test_ordered_must_be_true_or_false(tmp_path):
    data = _with_temper(tmp_path, "ordered: 3\n")
    with pytest.raises(QuestionFileError, match="ordered"):
        load_question(data / "questions" / f"{EXAMPLE}.yaml")


# ---------------------------------------------------------------- reports say so

FIT = (
    "temper: 0.42\nfitted: 2026-11-30\nquestions: [a, b, c, d, e, f, g, h, i, j, k, l, m, n]\n"
    "log_score:\n  leave_one_out: {untempered: 0.81, calibrated: 0.64}\n"
)


def test_a_calibrated_report_says_so_and_by_how_much(tmp_path, example):
    from forecast.publish.report import Report

    question, log = example
    data = copy_data_without_team(tmp_path / "data")
    (data / "calibration.yaml").write_text(FIT, encoding="utf-8")
    report = Report.load(EXAMPLE, as_of=AS_OF.isoformat(), data_dir=data, draws=100)
    plain = posterior_as_of(question, log, AS_OF)
    leading = max(plain, key=plain.get)
    said = (
        "Calibrated: past forecasts were overconfident: the evidence counts at 0.42 of its stated strength (fitted on 14 resolved questions "
        "on 2026-11-30; cross-validated log score 0.81 → 0.64). Uncalibrated: "
        f"{question.scenario(leading).label} {plain[leading] * 100:.0f}%."
    )
    assert said in str(report.bottom_line()).replace("&amp;", "&")
    assert said in str(report.probability_table())
    summary = report.summary()
    assert summary["temper"] == 0.42
    assert summary["uncalibrated_probabilities"] == pytest.approx(plain, abs=1e-12)
    expected = reference_tempered(question, list(log.rows), AS_OF, 0.42)
    np.testing.assert_allclose(list(summary["probabilities"].values()), expected, atol=1e-9)
    from forecast.tables import scenarios_table

    table = scenarios_table(report.assessment, 100)
    assert table.columns["uncalibrated"] == pytest.approx(list(plain.values()), abs=1e-12)


def test_an_uncalibrated_report_says_nothing_of_it(tmp_path):
    from forecast.publish.report import Report

    data = copy_data_without_team(tmp_path / "data")
    report = Report.load(EXAMPLE, as_of=AS_OF.isoformat(), data_dir=data, draws=100)
    assert report.calibration_note is None
    assert "calibration-note" not in str(report.bottom_line())
    assert report.summary()["temper"] == 1.0 and "uncalibrated_probabilities" not in report.summary()


def test_the_team_pool_is_of_the_tempered_analysts(tmp_path):
    from forecast.engine.pool import log_pool
    from forecast.inputs.judgments import overlay
    from forecast.publish.report import Report

    data = shutil.copytree(DATA, tmp_path / "data")
    (data / "calibration.yaml").write_text(FIT, encoding="utf-8")
    report = Report.load(EXAMPLE, as_of=AS_OF.isoformat(), data_dir=data, draws=100)
    question, log = load_by_id(data, EXAMPLE)
    analysts = [
        reference_tempered(replace(overlay(question, j), temper=1.0), list(log.rows), AS_OF, 0.42)
        for j in load_judgments(data, question)
    ]
    expected = log_pool(np.array(analysts), question.extremize)
    np.testing.assert_allclose(list(report.summary()["probabilities"].values()), expected, atol=1e-9)
    assert report.calibration_note.startswith(
        "Calibrated: past forecasts were overconfident: the evidence counts at 0.42"
    )


def test_the_scorecard_shows_the_temper_its_curve_and_both_calibrations(tmp_path):
    from forecast.publish.scorecard import Scorecard

    world = write_world(tmp_path / "world", "clustered", 10, seed=4)
    assert forecast_cli("calibrate", "--data", world.data_dir, "--write", "--force").returncode == 0
    temper = load_calibration(world.data_dir).temper
    card = Scorecard.load(world.data_dir)
    numbers = card.summary()["temper"]
    assert numbers["temper"] == temper and numbers["questions_fitted_on"] == 10
    cases = [load_by_id(world.data_dir, q) for q in world.question_ids]
    for value in ("0.50", "1.00", f"{temper:.2f}"):
        expected = np.mean([score(replace(q, temper=float(value)), log).log_daily for q, log in cases])
        assert numbers["curve"][value] == pytest.approx(expected, abs=1e-9)
    assert numbers["log_daily"]["calibrated"] < numbers["log_daily"]["untempered"]
    html = str(card.temper_table())
    lo, hi = load_calibration(world.data_dir).temper_interval
    assert (
        f"{temper:.2f}</strong> (90%: {lo:.2f}–{hi:.2f}) of its stated strength" in html
        and "(in use)" in html
    )
    assert ("This fit was forced" in html) == numbers["forced"]
    # The record's diagnostics: τ daily and on final forecasts, the reliability diagram, Murphy.
    diagnostics = card.summary()["diagnostics"]
    assert diagnostics["questions"] == 10 and diagnostics["temper_daily"]["value"] == temper
    assert "Reliability" in str(card.diagnostics_table()) and card.diagnostics_chart().svg[:4] == "<svg"
    assert card.temper_chart().svg[:4] == "<svg"
    # Each question is scored as its reports published it: tempered.
    by_id = {q.id: (q, log) for q, log in cases}
    for r in card.resolved:
        q, log = by_id[r.question.id]
        assert r.score.log_daily == pytest.approx(score(replace(q, temper=temper), log).log_daily, abs=1e-9)
    assert len(card.resolved) == 10


def test_a_scorecard_without_calibration_yaml_is_as_it_was(tmp_path):
    from forecast.publish.scorecard import Scorecard

    world = write_world(tmp_path / "world", "control", 3, seed=4)
    card = Scorecard.load(world.data_dir)
    assert "temper" not in card.summary()
    assert str(card.temper_table()) == "" and card.temper_chart() is None


# ---------------------------------------------------------------- the pool


def _with_analysts(world) -> None:
    """Two analysts per question, with their own priors (everything else the question file's)."""
    for qid in world.question_ids:
        folder = world.data_dir / "judgments" / qid
        folder.mkdir(parents=True)
        (folder / "ana.yaml").write_text("priors: {low: 0.5, middle: 0.3, high: 0.2}\n", encoding="utf-8")
        (folder / "ben.yaml").write_text("priors: {low: 0.2, middle: 0.3, high: 0.5}\n", encoding="utf-8")


def test_calibrate_fits_tau_and_the_pools_exponent_jointly_on_the_analysts_pool(tmp_path):
    from forecast.analysis.calibration import fit_folder, resolved_cases
    from forecast.analysis.scoring import log_score
    from forecast.engine.pool import log_pool
    from forecast.inputs.judgments import overlay

    world = write_world(tmp_path / "world", "clustered", 6, seed=11)
    _with_analysts(world)
    result = forecast_cli("calibrate", "--data", world.data_dir, "--min-questions", "6", "--write", "--force")
    assert result.returncode == 0, result.stderr
    assert "pool of 6 team questions, τ and a fitted jointly" in result.stdout
    fitted = load_calibration(world.data_dir)
    joint = fit_folder(resolved_cases(world.data_dir), 6).joint
    assert (fitted.temper, fitted.extremize) == (joint.value, joint.extremize)
    assert fitted.extremize_interval is not None and fitted.extremize_gain_se is not None
    # Independently, at a few points of the joint grid: each analyst's trajectory by the engine at τ,
    # pooled by log_pool at a, its daily log score averaged over questions.
    cases = []
    for qid in world.question_ids:
        q = load_question(world.data_dir / "questions" / f"{qid}.yaml")
        log = load_evidence(world.data_dir / "evidence" / f"{qid}.csv", q)
        cases.append((q, log, load_judgments(world.data_dir, q)))
    for temper, a in ((0.3, 0.5), (1.0, 1.0), (joint.value, joint.extremize)):
        means = []
        for q, log, judgments in cases:
            end = q.resolution.date
            paths = [
                trajectory(replace(overlay(q, j), temper=temper), log, end).probabilities for j in judgments
            ]
            means.append(
                log_score(log_pool(np.stack(paths), a), q.scenario_ids.index(q.resolution.scenario)).mean()
            )
        assert joint.mean_log_at(temper, a) == pytest.approx(np.mean(means), abs=1e-9)
    assert joint.mean_log_at(joint.value, joint.extremize) == pytest.approx(
        joint.log.mean(axis=0).min(), abs=1e-12
    )
    # The folder's questions take it, unless their file sets their own.
    question, _ = load_by_id(world.data_dir, world.question_ids[0])
    assert question.extremize == fitted.extremize
    path = world.data_dir / "questions" / f"{world.question_ids[0]}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "pool: {extremize: 1.5}\n", encoding="utf-8")
    assert load_by_id(world.data_dir, world.question_ids[0])[0].extremize == 1.5


# ---------------------------------------------------------------- forecast run


def test_forecast_run_publishes_a_calibrated_report(tmp_path):
    data = copy_data_without_team(tmp_path / "data")
    (data / "calibration.yaml").write_text(FIT, encoding="utf-8")
    out = tmp_path / "out"
    result = forecast_cli(
        "run", "--data", data, "--out", out, "--as-of", AS_OF.isoformat(), "--question", EXAMPLE
    )
    assert result.returncode == 0, result.stderr
    folder = out / EXAMPLE / AS_OF.isoformat()
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["temper"] == 0.42 and summary["schema_version"] == 4
    assert set(summary["uncalibrated_probabilities"]) == set(summary["probabilities"])
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert (
        page.count(
            "Calibrated: past forecasts were overconfident: the evidence counts at 0.42 of its stated strength"
        )
        == 2
    )


def test_forecast_run_refuses_a_bad_calibration_yaml_before_any_kernel(tmp_path):
    data = copy_data_without_team(tmp_path / "data")
    (data / "calibration.yaml").write_text("temper: -1\n", encoding="utf-8")
    out = tmp_path / "out"
    result = forecast_cli(
        "run", "--data", data, "--out", out, "--as-of", AS_OF.isoformat(), "--question", EXAMPLE
    )
    assert result.returncode == 1
    assert "calibration.yaml:1: temper" in result.stdout + result.stderr
    assert not (out / EXAMPLE / AS_OF.isoformat() / "summary.json").exists()


def test_a_question_that_fails_before_reading_its_inputs_still_has_calibration_yaml_in_the_manifest(tmp_path):
    import hashlib

    data = copy_data_without_team(tmp_path / "data")
    calibration = data / "calibration.yaml"
    calibration.write_text("temper: 0.5\n", encoding="utf-8")
    question = data / "questions" / f"{EXAMPLE}.yaml"
    question.write_text(question.read_text(encoding="utf-8") + "\n  [unclosed\n", encoding="utf-8")
    out = tmp_path / "out"
    result = forecast_cli(
        "run", "--data", data, "--out", out, "--as-of", AS_OF.isoformat(), "--question", EXAMPLE
    )
    assert result.returncode == 1
    (manifest,) = (out / "runs").glob("*.json")
    inputs = json.loads(manifest.read_text(encoding="utf-8"))["inputs"]
    hashes = {Path(path).name: digest for path, digest in inputs.items()}
    assert hashes["calibration.yaml"] == hashlib.sha256(calibration.read_bytes()).hexdigest()
    assert hashes[f"{EXAMPLE}.yaml"] == hashlib.sha256(question.read_bytes()).hexdigest()


# ---------------------------------------------------------------- leave-one-out and what to watch, tempered


def test_leave_one_out_is_tempered(example):
    from forecast.analysis.influence import critical_evidence

    question, log = example
    rows = [r for r in log.rows if r.date <= AS_OF]
    tempered = replace(question, temper=0.42)
    items = critical_evidence(tempered, log, AS_OF, threshold_points=0.0)
    checked = set()
    for item in items:
        if item.kind == "report":
            kept = [r for r in rows if r.id != item.id]
        elif item.kind == "indicator":
            kept = [r for r in rows if r.indicator != item.id]
        else:
            members = {i.id for i in question.members(item.id)}
            kept = [r for r in rows if r.indicator not in members]
        np.testing.assert_allclose(item.without, reference_tempered(question, kept, AS_OF, 0.42), atol=1e-9)
        checked.add(item.kind)
    assert checked == {"report", "indicator", "group"}


def test_what_to_watch_is_tempered(example):
    from forecast.analysis.watch import watch_list

    question, log = example
    rows = [r for r in log.rows if r.date <= AS_OF]
    items = watch_list(replace(question, temper=0.42), log, AS_OF)
    pending = [w for w in items if not w.not_yet]
    assert pending
    for w in pending:
        seen = EvidenceRow("w", AS_OF, w.indicator, True, "s", "A", 1)
        expected = reference_tempered(question, [*rows, seen], AS_OF, 0.42)
        np.testing.assert_allclose(list(w.if_observed.values()), expected, atol=1e-9)
        end = question.window_of(question.indicator(w.indicator))[1]
        absent = EvidenceRow("w", end, w.indicator, False, "s", "A", 1)
        expected = reference_tempered(question, [*rows, absent], max(end, AS_OF), 0.42)
        np.testing.assert_allclose(list(w.if_absent.values()), expected, atol=1e-9)


def test_calibrate_write_gives_the_same_bytes_twice(tmp_path):
    world = write_world(tmp_path / "world", "clustered", 8, seed=1)
    assert forecast_cli("calibrate", "--data", world.data_dir, "--write", "--force").returncode == 0
    first = (world.data_dir / "calibration.yaml").read_bytes()
    assert forecast_cli("calibrate", "--data", world.data_dir, "--write", "--force").returncode == 0
    assert (world.data_dir / "calibration.yaml").read_bytes() == first


def test_the_calibration_benchmark_runs_and_checks_its_curves_against_the_engine(tmp_path):
    import subprocess

    out = tmp_path / "latest.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "calibration", "--out", str(out)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["errors"] == []  # the fit's scores matched the engine's to 1e-9
    by_label = {r["label"]: r for r in document["results"]}
    assert by_label["clustered world: fitted τ"]["value"] <= 0.6
    assert by_label["clustered world: held-out log score gain"]["value"] >= 10.0


@pytest.mark.parametrize("n", ["1", "0", "two"])
def test_min_questions_below_two_is_a_usage_error_since_leave_one_out_needs_two(tmp_path, n):
    result = forecast_cli("calibrate", "--data", tmp_path, "--min-questions", n)
    assert result.returncode == 2
    assert "at least 2 (leave-one-question-out needs two questions)" in result.stderr
    assert "Traceback" not in result.stderr
