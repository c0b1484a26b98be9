"""Calibration that cannot fool itself: the interval, the standard error, the tie rule and the gate.

Each statistic is checked against an independent computation written here with numpy from
the per-question scores (a plain loop over the grid for the tie rule and leave-one-out, the
bootstrap redrawn resample by resample), and the gate through the real command line.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from helpers import DATA, forecast_cli, tree_digest

from benchmarks.calibration import write_world
from forecast.analysis.calibration import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    TEMPER_GRID,
    ScoreCurve,
    fit_folder,
    resolved_cases,
)
from forecast.inputs.calibration import load_calibration

# ---------------------------------------------------------------- an independent computation


def plain_choice(means: np.ndarray, tempers: np.ndarray, extremizes: np.ndarray | None = None) -> int:
    """The best mean; among those within 1e-12 of it, the closest to τ = 1 (and a = 1), then the smaller."""
    a = np.ones_like(tempers) if extremizes is None else extremizes
    best = min(means)
    tied = [g for g in range(len(means)) if means[g] <= best + 1e-12]
    return min(tied, key=lambda g: (round(abs(tempers[g] - 1) + abs(a[g] - 1), 12), tempers[g], a[g]))


def plain_gain_and_se(log: np.ndarray, tempers: np.ndarray) -> tuple[float, float]:
    """Leave each question out, fit on the rest, score it; the paired gain over τ = 1 and its standard error."""
    n = len(log)
    one = int(np.flatnonzero(np.isclose(tempers, 1.0))[0])
    gains = []
    for q in range(n):
        rest = np.delete(log, q, axis=0).mean(axis=0)
        gains.append(log[q, one] - log[q, plain_choice(rest, tempers)])
    gains = np.array(gains)
    return gains.mean(), np.sqrt(((gains - gains.mean()) ** 2).sum() / (n - 1)) / np.sqrt(n)


def plain_jackknife_se(log: np.ndarray, tempers: np.ndarray) -> float:
    """Delete each question in turn, redo the whole leave-one-out gain on the rest; the jackknife spread."""
    n = len(log)
    deleted = np.array([plain_gain_and_se(np.delete(log, i, axis=0), tempers)[0] for i in range(n)])
    return float(np.sqrt((n - 1) / n * ((deleted - deleted.mean()) ** 2).sum()))


def plain_interval(log: np.ndarray, tempers: np.ndarray) -> tuple[float, float]:
    """Resample the questions with replacement, one resample at a time, fit each; the 5th and 95th percentiles."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    n, fitted = len(log), []
    for _ in range(BOOTSTRAP_RESAMPLES):
        drawn = rng.integers(0, n, size=n)
        fitted.append(tempers[plain_choice(log[drawn].mean(axis=0), tempers)])
    return tuple(np.percentile(fitted, [5, 95]))


@pytest.fixture(scope="module")
def clustered_fit(tmp_path_factory):
    world = write_world(tmp_path_factory.mktemp("clustered"), "clustered", 12, seed=3)
    return fit_folder(resolved_cases(world.data_dir), 8)


def test_the_interval_is_the_bootstrap_over_questions_computed_independently(clustered_fit):
    t = clustered_fit.temper
    assert t.interval == pytest.approx(plain_interval(t.log, TEMPER_GRID), abs=1e-12)
    assert t.interval[0] <= t.value <= t.interval[1]


def test_the_standard_error_is_the_paired_one_of_the_held_out_gain_computed_independently(clustered_fit):
    t = clustered_fit.temper
    gain, se = plain_gain_and_se(t.log, TEMPER_GRID)
    assert t.gain == pytest.approx(gain, abs=1e-12)
    assert t.gain_se == pytest.approx(se, abs=1e-12)
    assert t.log_loo[0] - t.log_loo[1] == pytest.approx(gain, abs=1e-12)


def test_the_jackknife_standard_error_redoes_the_leave_one_out_gain_without_each_question(clustered_fit):
    t = clustered_fit.temper
    assert t.gain_jackknife_se == pytest.approx(plain_jackknife_se(t.log, TEMPER_GRID), abs=1e-12)


def test_the_jackknife_standard_error_of_the_hand_worked_example_in_the_docs():
    # docs/calibration.md: three questions, τ in {0.5, 1}; question a carries the gain.
    log = np.array([[0.5, 1.0], [0.7, 0.8], [0.95, 0.9]])
    curve = ScoreCurve(np.array([0.5, 1.0]), ("a", "b", "c"), log, log)
    assert curve.loo_gains.tolist() == pytest.approx([0.5, 0.1, -0.05])
    assert curve.gain == pytest.approx(0.55 / 3)
    assert curve.gain_se == pytest.approx(np.sqrt(0.161667 / 2 / 3), abs=1e-6)
    # with a, b, c deleted in turn the gain is -0.025, -0.025 and 0.3
    assert curve.gain_jackknife_se == pytest.approx(np.sqrt(2 / 3 * 0.0704167), abs=1e-6)


def test_a_gain_above_its_paired_standard_error_but_below_its_jackknife_one_is_not_written(tmp_path):
    # Eight questions where the stated model is true (seed 15): the fit, τ = 0.11, gains 0.356 ± 0.339
    # held out, but one question carries it; with each question deleted in turn the gain swings widely.
    world = write_world(tmp_path / "world", "control", 8, seed=15)
    t = fit_folder(resolved_cases(world.data_dir), 8).temper
    gain, se = plain_gain_and_se(t.log, TEMPER_GRID)
    jackknife = plain_jackknife_se(t.log, TEMPER_GRID)
    assert se <= gain < jackknife
    result = forecast_cli("calibrate", "--data", world.data_dir, "--write")
    assert result.returncode == 1 and "not written" in result.stderr
    assert f"{gain:+.4f}, below its jackknife standard error {jackknife:.4f}" in result.stderr
    assert load_calibration(world.data_dir) is None


def test_the_fit_and_every_held_out_fit_follow_the_tie_rule(clustered_fit):
    t = clustered_fit.temper
    assert t.best == plain_choice(t.log.mean(axis=0), TEMPER_GRID)
    for q in range(t.n):
        assert t.loo_best[q] == plain_choice(np.delete(t.log, q, axis=0).mean(axis=0), TEMPER_GRID)


def _curve(means_per_tau: list[float], tempers: list[float]) -> ScoreCurve:
    log = np.array([means_per_tau, means_per_tau])  # two questions scoring alike
    return ScoreCurve(np.array(tempers), ("a", "b"), log, log)


def test_a_flat_curve_gives_tau_one_not_the_smallest():
    curve = _curve([0.7] * len(TEMPER_GRID), list(TEMPER_GRID))
    assert curve.value == 1.0 and curve.flat


@pytest.mark.parametrize(
    "scores, expected",
    [
        ([0.5, 0.6, 0.5, 0.6, 0.5], 1.0),  # 1 among the best
        ([0.5, 0.6, 0.6, 0.6, 0.5], 0.5),  # 0.5 and 1.5 as close: the smaller
        ([0.6, 0.5, 0.6, 0.5 + 5e-13, 0.6], 0.75),  # within 1e-12 is a tie: 0.75 and 1.25, the smaller
        ([0.6, 0.6, 0.6, 0.5, 0.5 - 2e-12], 1.5),  # beyond 1e-12 is not a tie
    ],
)
def test_a_tie_goes_to_the_value_closest_to_one(scores, expected):
    curve = _curve(scores, [0.5, 0.75, 1.0, 1.25, 1.5])
    assert curve.value == expected
    assert curve.grid[curve.best] == [0.5, 0.75, 1.0, 1.25, 1.5][plain_choice(np.array(scores), curve.grid)]


def test_a_joint_tie_goes_toward_a_equal_to_one():
    tempers, extremizes = np.repeat([0.5, 1.0], 3), np.tile([0.5, 1.0, 2.0], 2)
    log = np.array([[0.4, 0.4, 0.4, 0.9, 0.9, 0.9]] * 2)
    curve = ScoreCurve(tempers, ("a", "b"), log, log, extremizes)
    assert (curve.value, curve.extremize) == (0.5, 1.0)


# ---------------------------------------------------------------- the gate, through the command line


def _without_evidence(world) -> None:
    for path in (world.data_dir / "evidence").glob("*.csv"):
        path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")


def test_twelve_questions_without_evidence_have_nothing_to_learn_write_nothing_and_keep_tau_one(tmp_path):
    world = write_world(tmp_path / "world", "control", 12, seed=2)
    _without_evidence(world)
    before = tree_digest(world.data_dir)
    result = forecast_cli("calibrate", "--data", world.data_dir, "--write")
    assert result.returncode == 1
    assert "12 resolved questions; fitted temper 1.00" in result.stdout
    assert (
        "nothing to learn: the resolved questions carry no evidence that separates the scenarios"
        in result.stderr
    )
    assert tree_digest(world.data_dir) == before


def test_a_dependent_world_writes_tau_below_0_6_with_its_interval_standard_error_and_searched_range(tmp_path):
    world = write_world(tmp_path / "world", "clustered", 16, seed=1)
    result = forecast_cli("calibrate", "--data", world.data_dir, "--write")
    assert result.returncode == 0, result.stderr
    fitted = load_calibration(world.data_dir)
    assert fitted.temper <= 0.6 and not fitted.forced
    lo, hi = fitted.temper_interval
    assert lo <= fitted.temper <= hi < 1.0
    assert fitted.searched == (0.05, 2.0) and fitted.searched[0] <= fitted.temper <= fitted.searched[1]
    gain = fitted.log_loo[0] - fitted.log_loo[1]
    assert fitted.log_gain_se > 0 and gain >= fitted.log_gain_se
    text = (world.data_dir / "calibration.yaml").read_text(encoding="utf-8")
    assert "temper_interval: [" in text and "gain_se: " in text and "searched: [0.05, 2.0]" in text
    assert f"(90%: {lo:.2f}–{hi:.2f}; searched 0.05–2.00)" in result.stdout


@pytest.mark.parametrize("kind, seed", [("control", 3), ("control", 5), ("clustered", 2), ("clustered", 6)])
def test_no_fit_is_written_without_force_unless_its_held_out_gain_is_at_least_both_standard_errors(
    tmp_path, kind, seed
):
    world = write_world(tmp_path / "world", kind, 8, seed=seed)
    fit = fit_folder(resolved_cases(world.data_dir), 8).temper
    result = forecast_cli("calibrate", "--data", world.data_dir, "--write")
    written = load_calibration(world.data_dir)
    if written is None:
        assert result.returncode == 1 and "not written" in result.stderr
        gain, se = plain_gain_and_se(fit.log, TEMPER_GRID)
        jackknife = plain_jackknife_se(fit.log, TEMPER_GRID)
        assert gain < se or gain < jackknife or gain <= 0 or fit.value in (0.05, 2.0)
        assert (
            f"{gain:+.4f} ± {se:.4f}" in result.stderr
            or f"below its jackknife standard error {jackknife:.4f}" in result.stderr
            or "searched range" in result.stderr
        )
    else:
        assert result.returncode == 0
        gain = written.log_loo[0] - written.log_loo[1]
        assert gain >= written.log_gain_se and gain >= plain_jackknife_se(fit.log, TEMPER_GRID)


def test_a_fit_held_back_by_the_gate_is_written_under_force_and_marked_forced(tmp_path):
    world = write_world(tmp_path / "world", "control", 12, seed=3)
    refused = forecast_cli("calibrate", "--data", world.data_dir, "--write")
    assert refused.returncode == 1 and "pass --force" in refused.stderr
    assert not (world.data_dir / "calibration.yaml").exists()
    forced = forecast_cli("calibrate", "--data", world.data_dir, "--write", "--force")
    assert forced.returncode == 0, forced.stderr
    written = load_calibration(world.data_dir)
    assert written.forced
    assert "forced: true" in (world.data_dir / "calibration.yaml").read_text(encoding="utf-8")


def test_a_too_timid_world_writes_no_tau_at_the_end_of_the_range_without_force(tmp_path):
    world = write_world(tmp_path / "world", "timid", 12, seed=1)
    before = tree_digest(world.data_dir)
    result = forecast_cli("calibrate", "--data", world.data_dir, "--write")
    assert "fitted temper 2.00" in result.stdout
    assert result.returncode == 1
    assert "the best τ may lie beyond the searched range" in result.stderr
    assert tree_digest(world.data_dir) == before
    forced = forecast_cli("calibrate", "--data", world.data_dir, "--write", "--force")
    assert forced.returncode == 0
    written = load_calibration(world.data_dir)
    assert written.temper == 2.0 and written.forced and written.searched == (0.05, 2.0)


# ---------------------------------------------------------------- what is fitted


def test_the_bundled_illustrative_questions_are_not_in_the_fit(tmp_path):
    data = shutil.copytree(DATA, tmp_path / "data")
    write_world(data, "clustered", 16, seed=1)
    result = forecast_cli("calibrate", "--data", data, "--write", "--force")
    assert result.returncode == 0, result.stderr
    assert "16 resolved questions" in result.stdout
    assert (
        "left out as examples (illustrative: true): harbour-bridge-reopening, riverside-festival-return"
        in (result.stdout)
    )
    fitted = load_calibration(data)
    assert len(fitted.questions) == 16
    assert not {"harbour-bridge-reopening", "riverside-festival-return"} & set(fitted.questions)


def _with_analysts(data_dir, question_ids) -> None:
    for qid in question_ids:
        folder = data_dir / "judgments" / qid
        folder.mkdir(parents=True)
        (folder / "ana.yaml").write_text("priors: {low: 0.5, middle: 0.3, high: 0.2}\n", encoding="utf-8")
        (folder / "ben.yaml").write_text("priors: {low: 0.2, middle: 0.3, high: 0.5}\n", encoding="utf-8")


def test_with_judgment_files_calibrate_in_sample_untempered_equals_the_scorecard_hindcast(tmp_path):
    from forecast.publish.scorecard import Scorecard

    world = write_world(tmp_path / "world", "clustered", 8, seed=9)
    _with_analysts(world.data_dir, world.question_ids[:5])  # five team questions, three of the model alone
    card = Scorecard.load(world.data_dir)
    hindcast = card.summary()["hindcast"]["log_daily"]
    result = forecast_cli("calibrate", "--data", world.data_dir, "--write", "--force")
    assert result.returncode == 0, result.stderr
    assert "5 of them scored on the team's pool (judgment files)" in result.stdout
    written = load_calibration(world.data_dir)
    assert written.log_in_sample[0] == pytest.approx(hindcast, abs=1e-6)  # written to six decimals
    assert f"log, in sample              {hindcast:.4f}" in result.stdout


# ---------------------------------------------------------------- diagnostics


def test_the_murphy_decomposition_adds_up_where_each_bin_holds_one_forecast_value():
    from forecast.publish.calibrated import murphy

    rng = np.random.default_rng(4)
    p = rng.choice([0.05, 0.35, 0.65, 0.95], size=400)
    o = (rng.random(400) < p).astype(float)
    d = murphy(p, o, np.linspace(0, 1, 11))
    # Independently: reliability, resolution and uncertainty by a plain loop over the distinct forecasts.
    base = o.mean()
    rel = sum((p == v).sum() * (v - o[p == v].mean()) ** 2 for v in np.unique(p)) / len(p)
    res = sum((p == v).sum() * (o[p == v].mean() - base) ** 2 for v in np.unique(p)) / len(p)
    assert d["reliability"] == pytest.approx(rel, abs=1e-12)
    assert d["resolution"] == pytest.approx(res, abs=1e-12)
    assert d["uncertainty"] == pytest.approx(base * (1 - base), abs=1e-12)
    assert d["brier"] == pytest.approx(d["reliability"] - d["resolution"] + d["uncertainty"], abs=1e-12)


def test_the_reliability_diagram_leaves_bins_of_fewer_than_five_undrawn(clustered_fit, tmp_path):
    from forecast.publish.calibrated import MIN_DRAWN
    from forecast.publish.scorecard import Scorecard

    world = write_world(tmp_path / "world", "clustered", 12, seed=3)
    numbers = Scorecard.load(world.data_dir).summary()["diagnostics"]
    assert numbers["temper_daily"]["value"] == clustered_fit.temper.value
    assert numbers["temper_final"]["value"] == clustered_fit.final.value
    for name in ("untempered", "leave_one_out_tempered"):
        counts = numbers[name]["count"]
        assert all(c == 0 or c >= MIN_DRAWN for c in counts)
        assert all((c == 0) == (f is None) for c, f in zip(counts, numbers[name]["frequency"]))
