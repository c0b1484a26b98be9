"""Calibration in a synthetic world whose truth is known, and the speed of the fit.

:func:`write_world` writes real question files and evidence logs, with resolutions,
into a data folder, from a seed. Each question has three scenarios and lasts 120 days;
its true scenario is drawn from its priors. An indicator's event, if it happens, happens
at a time uniform over the question's life, so a stated likelihood ``p(s)`` is exactly
the true ``P(seen by the end | s)`` and ``1 - p(s) F(d)`` the true chance of not having
seen it by day ``d``: the engine's own model of a "not yet". A monitoring sweep every
10 days (and on the last day) reports every indicator not yet reported seen: "yes" once
its event has happened, "no" otherwise, graded A1. Nothing is reported between sweeps,
so a log tells no more than its reports say, and where the indicators are independent
the engine's forecast is exactly the posterior given the log.

- ``"clustered"``: the indicators come in clusters of four that fire together: a cluster
  happens with probability ``q(s)`` at one time, and each member is then seen with its
  own probability ``r`` (0.8 to 1). Each member's stated likelihood is its true marginal
  ``q(s) · r``, and no group is declared: the rule counts one development four times.
- ``"control"``: the indicators really are independent given the scenario.
- ``"timid"``: independent indicators whose stated likelihoods are too timid: each is a
  quarter of the way from the indicator's mean over scenarios to its true value, so the
  evidence deserves more than its stated strength (the best τ lies beyond 2).

The benchmark fits τ on one world and scores it on another of the same kind (a held-out
world, another seed): the fitted τ and the held-out change in the mean daily log score.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from .harness import Line, Options, Target, assert_close, register

__all__ = ["KINDS", "WORLDS", "World", "fit_world", "held_out_gain", "write_world"]

#: The kinds of world the held-out study compares.
WORLDS = ("clustered", "control")

#: Every kind of world :func:`write_world` builds.
KINDS = (*WORLDS, "timid")

#: How much of its distance from the mean a "timid" world's stated likelihood keeps.
_TIMIDITY = 0.25

_OPENED = date(2024, 1, 1)
_DAYS = 120
#: The days of the monitoring sweeps: every 10 days, and the last day of the question.
_SWEEPS = (*range(10, _DAYS - 1, 10), _DAYS - 1)
_CLUSTER = 4
_SCENARIOS = ("low", "middle", "high")


@dataclass(frozen=True)
class World:
    """A written world: its data folder and its question ids."""

    data_dir: Path
    question_ids: tuple[str, ...]


def _priors(rng: np.random.Generator) -> list[float]:
    priors = np.round(rng.dirichlet(np.full(3, 4.0)), 3)
    priors = np.clip(priors, 0.05, None)
    priors[-1] = round(1.0 - priors[:-1].sum(), 3)
    return priors.tolist()


def _likelihoods(
    rng: np.random.Generator, kind: str, n_indicators: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stated likelihoods ``p`` ``(indicators, scenarios)``, each indicator's cluster, each cluster's
    ``q`` ``(clusters, scenarios)`` and each indicator's ``r``, with ``p = q[cluster] · r`` exactly."""
    if kind == "control":
        q = np.round(rng.uniform(0.05, 0.9, size=(n_indicators, 3)), 3)
        return q, np.arange(n_indicators), q, np.ones(n_indicators)
    if kind == "timid":
        q = np.round(rng.uniform(0.02, 0.98, size=(n_indicators, 3)), 3)
        mean = q.mean(axis=1, keepdims=True)
        stated = np.round(mean + _TIMIDITY * (q - mean), 4)
        return stated, np.arange(n_indicators), q, np.ones(n_indicators)
    n_clusters = -(-n_indicators // _CLUSTER)
    q = np.round(rng.uniform(0.05, 0.95, size=(n_clusters, 3)), 2)
    r = rng.choice([0.8, 0.9, 1.0], size=n_indicators)
    cluster = np.arange(n_indicators) // _CLUSTER
    return np.round(q[cluster] * r[:, None], 4), cluster, q, r


def _question_yaml(question_id: str, priors: list[float], p: np.ndarray, truth: int) -> str:
    closes = _OPENED + timedelta(days=_DAYS - 1)
    lines = [
        f"id: {question_id}",
        f"title: Synthetic question {question_id}",
        "question: Which of three scenarios?",
        f"opened: {_OPENED.isoformat()}",
        f"closes: {closes.isoformat()}",
        "scenarios:",
    ]
    for sid, prior in zip(_SCENARIOS, priors):
        lines += [f"  {sid}:", f"    name: Scenario {sid}", f"    prior: {prior}"]
    lines.append("indicators:")
    for k, row in enumerate(p):
        lines += [
            f"  i{k:02d}:",
            f"    text: Indicator {k}",
            f"    signals: {_SCENARIOS[int(np.argmax(row))]}",
            "    likelihood: {" + ", ".join(f"{s}: {v}" for s, v in zip(_SCENARIOS, row.tolist())) + "}",
        ]
    lines += ["resolution:", f"  scenario: {_SCENARIOS[truth]}", f"  date: {closes.isoformat()}"]
    return "\n".join(lines) + "\n"


def _evidence_csv(
    rng: np.random.Generator, kind: str, cluster: np.ndarray, q: np.ndarray, r: np.ndarray, truth: int
) -> str:
    n = len(cluster)
    # A cluster happens with q(truth), at a time uniform over the question's life (so that by day c it
    # has happened with probability q · c / (days - 1): the rule's F); each member is then seen with its r.
    fired = rng.random(len(q)) < q[:, truth]
    seen = fired[cluster] & (rng.random(n) < r)
    when = rng.uniform(0.0, _DAYS - 1, size=len(q))[cluster]
    # Each sweep reports every indicator not reported seen yet: "yes" once it has happened, else "no".
    # Nothing is reported between sweeps, so a log says no more than its reports do.
    rows = []
    for k in range(n):
        for sweep in _SWEEPS:
            if seen[k] and when[k] <= sweep:
                rows.append((sweep, k, "yes"))
                break
            rows.append((sweep, k, "no"))
    rows.sort()
    out = ["id,date,indicator,observed,source,reliability,credibility"]
    for j, (d, k, said) in enumerate(rows):
        out.append(f"r{j:03d},{(_OPENED + timedelta(days=d)).isoformat()},i{k:02d},{said},monitor,A,1")
    return "\n".join(out) + "\n"


def write_world(
    data_dir: str | Path, kind: str, n_questions: int, seed: int, n_indicators: int = 12
) -> World:
    """Write a synthetic world of resolved questions into ``data_dir`` (``questions/`` and ``evidence/``).

    Parameters
    ----------
    data_dir : str or Path
    kind : {"clustered", "control", "timid"}
    n_questions : int
    seed : int
        The same seed, kind and sizes write the same bytes.
    n_indicators : int, default 12

    Returns
    -------
    World
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    data_dir = Path(data_dir)
    (data_dir / "questions").mkdir(parents=True, exist_ok=True)
    (data_dir / "evidence").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    ids = []
    for number in range(n_questions):
        question_id = f"{kind}-{seed}-{number:03d}"
        priors = _priors(rng)
        p, cluster, q, r = _likelihoods(rng, kind, n_indicators)
        truth = int(rng.choice(3, p=np.array(priors) / sum(priors)))
        (data_dir / "questions" / f"{question_id}.yaml").write_text(
            _question_yaml(question_id, priors, p, truth), encoding="utf-8"
        )
        (data_dir / "evidence" / f"{question_id}.csv").write_text(
            _evidence_csv(rng, kind, cluster, q, r, truth), encoding="utf-8"
        )
        ids.append(question_id)
    return World(data_dir, tuple(ids))


def fit_world(data_dir: str | Path):  # -> FolderFit
    """Load a world's resolved questions and fit τ, as ``forecast calibrate`` does."""
    from forecast.analysis.calibration import fit_folder, resolved_cases

    return fit_folder(resolved_cases(data_dir), min_questions=8)


def held_out_gain(temper: float, held_out: str | Path) -> tuple[float, float]:
    """The mean daily log score of a held-out world at τ = 1 and at ``temper``."""
    fit = fit_world(held_out).temper
    return fit.mean_log_at(1.0), fit.mean_log_at(temper)


def _against_engine_per_temper(data_dir: Path, n: int) -> Line:
    """The fit's curves against the reference: the engine run afresh, and scored, at every τ of the grid."""
    from dataclasses import replace

    from forecast.analysis.calibration import TEMPER_GRID, fit_temper, resolved_cases
    from forecast.analysis.scoring import score

    cases = [(q, e) for q, e, _ in resolved_cases(data_dir)[:n]]
    start = time.perf_counter()
    fit = fit_temper(cases)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    reference = np.array(
        [[score(replace(q, temper=float(t)), e).log_daily for t in TEMPER_GRID] for q, e in cases]
    )
    theirs = time.perf_counter() - start
    assert_close("daily log scores on the τ grid", fit.log, reference)
    return Line(
        "calibration",
        f"fit_temper on {n} questions vs the engine rerun at each of {len(TEMPER_GRID)} values of τ",
        theirs / ours,
        "×",
        Target(">=", 10.0),
        ours=ours,
        theirs=theirs,
        what="the same daily log scores (to 1e-9): one compile per question, every τ a softmax, against "
        "score() of the question at each τ",
    )


@register("calibration", 21, "Calibration: τ fitted in synthetic worlds, held-out gain, and the fit's speed")
def calibration(options: Options) -> list[Line]:
    import tempfile

    # τ is fitted on 200 questions (60 pin it only roughly where the model is true: benchmarks/README.md)
    # and scored on 200 others; the speed is that of 60 questions, the size the target names.
    n, n_held_out, n_timed = (40, 60, 20) if options.quick else (200, 200, 60)
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        timed = write_world(Path(tmp) / "timed", "clustered", n_timed, seed=1)
        start = time.perf_counter()
        fit_world(timed.data_dir)
        seconds = time.perf_counter() - start
        lines.append(_against_engine_per_temper(timed.data_dir, 6 if options.quick else 12))
        lines.append(
            Line(
                "calibration",
                f"forecast calibrate's fit of {n_timed} questions × 12 indicators",
                seconds,
                "s",
                Target("<=", 10.0, "s"),
                ours=seconds,
                what="loading the folder and fitting τ with leave-one-question-out, in process",
            )
        )
        for kind in WORLDS:
            train = write_world(Path(tmp) / f"{kind}-train", kind, n, seed=1)
            test = write_world(Path(tmp) / f"{kind}-test", kind, n_held_out, seed=101)
            temper = fit_world(train.data_dir).temper.value
            before, after = held_out_gain(temper, test.data_dir)
            gain = 100.0 * (1.0 - after / before)
            details = {
                "questions": n,
                "held_out_questions": n_held_out,
                "indicators": 12,
                "temper": temper,
                "held_out_log": [before, after],
            }
            held_out = Line(
                "calibration",
                f"{kind} world: held-out log score gain",
                gain,
                "%",
                Target(">=", 10.0 if kind == "clustered" else -1.0, "%"),
                what=f"1 − (mean daily log score at τ = {temper:.2f}) / (at τ = 1), on {n_held_out} held-out questions",
                details=details,
            )
            if kind == "clustered":
                fitted = Line(
                    "calibration",
                    "clustered world: fitted τ",
                    temper,
                    "",
                    Target("<=", 0.6, ""),
                    what=f"τ fitted on {n} questions whose indicators fire in clusters of 4, no groups declared",
                    details=details,
                )
            else:
                fitted = Line(
                    "calibration",
                    "control world: |τ − 1|",
                    abs(temper - 1.0),
                    "",
                    Target("<=", 0.35, ""),
                    what=f"τ = {temper:.2f}, fitted on {n} questions where the stated model is true",
                    details=details,
                )
            lines += [fitted, held_out]
    return lines


# ---------------------------------------------------------------- the small-N study

#: The numbers of resolved questions of the small-N study, and its seeds per size.
SMALL_SIZES = (8, 12, 20)
SMALL_SEEDS = 20

#: The two worlds of the small-N study: where τ < 1 helps, and where the stated model is true.
SMALL_WORLDS = {"dependent": "clustered", "true-model": "control"}


def _todays_gate(log: np.ndarray, grid: np.ndarray) -> tuple[float, bool]:
    """The gate as it was before the interval: τ the smallest minimiser, written when its
    leave-one-out score is not worse than τ = 1. Returns ``(τ, writes)``."""
    n = len(log)
    one = int(np.argmin(np.abs(grid - 1.0)))
    best = int(np.argmin(log.mean(axis=0)))
    others = np.argmin((log.sum(axis=0)[None, :] - log) / (n - 1), axis=1)
    loo = log[np.arange(n), others].mean()
    return float(grid[best]), bool(loo <= log[:, one].mean())


def small_n_study(root: Path, seeds: int = SMALL_SEEDS, sizes=SMALL_SIZES, held_out: int = 200) -> dict:
    """How often each gate writes, and writes a fit that helps or hurts held-out data, over seeds.

    For each world and size, ``seeds`` worlds of that many questions (seeds 1 to ``seeds``) are
    fitted as ``forecast calibrate`` fits them; a fit "helps" or "hurts" by the change it makes
    to the mean daily log score of a held-out world of ``held_out`` questions (seed 101).

    Returns
    -------
    dict
        ``{world: {size: {"new": {...}, "today": {...}}}}``, each gate's ``writes``, ``helps``,
        ``hurts`` (seeds out of ``seeds``) and the fitted ``tempers``.
    """
    from forecast.analysis.calibration import TEMPER_GRID, fit_folder, resolved_cases

    results: dict = {}
    for world, kind in SMALL_WORLDS.items():
        test = write_world(root / f"{kind}-held-out", kind, held_out, seed=101)
        curve = fit_world(test.data_dir).temper.log.mean(axis=0)
        one = int(np.argmin(np.abs(TEMPER_GRID - 1.0)))

        def held_out_gain(temper: float, curve: np.ndarray = curve, one: int = one) -> float:
            return float(curve[one] - curve[int(np.argmin(np.abs(TEMPER_GRID - temper)))])

        results[world] = {}
        for size in sizes:
            new = {"writes": 0, "helps": 0, "hurts": 0, "tempers": []}
            today = {"writes": 0, "helps": 0, "hurts": 0, "tempers": []}
            for seed in range(1, seeds + 1):
                train = write_world(root / f"{kind}-{size}-{seed}", kind, size, seed=seed)
                fit = fit_folder(resolved_cases(train.data_dir), min_questions=8)
                for gate, (temper, writes) in (
                    (new, (fit.temper.value, fit.decision.writes is not None)),
                    (today, _todays_gate(fit.temper.log, TEMPER_GRID)),
                ):
                    gate["tempers"].append(temper)
                    if writes:
                        gain = held_out_gain(temper)
                        gate["writes"] += 1
                        gate["helps"] += gain > 0
                        gate["hurts"] += gain < 0
            results[world][size] = {"new": new, "today": today}
    return results


@register(
    "calibration-small-n",
    22,
    "Calibration at small N: how often the gate writes, and writes a fit that hurts, over 20 seeds",
)
def calibration_small_n(options: Options) -> list[Line]:
    import tempfile

    seeds, held_out = (5, 60) if options.quick else (SMALL_SEEDS, 200)
    with tempfile.TemporaryDirectory() as tmp:
        study = small_n_study(Path(tmp), seeds=seeds, held_out=held_out)
    lines = []
    for world in SMALL_WORLDS:
        for size, gates in study[world].items():
            new, today = gates["new"], gates["today"]
            details = {
                "seeds": seeds,
                "held_out_questions": held_out,
                "new": {k: v for k, v in new.items()},
                "today": {k: v for k, v in today.items()},
            }
            said = (
                f"writes {new['writes']}, helps {new['helps']}, hurts {new['hurts']} of {seeds} "
                f"(today's gate: writes {today['writes']}, helps {today['helps']}, hurts {today['hurts']})"
            )
            if world == "true-model":
                lines.append(
                    Line(
                        "calibration-small-n",
                        f"true-model world, N = {size}: seeds writing a fit that hurts held-out data",
                        float(new["hurts"]),
                        f"of {seeds}",
                        Target("<=", 1.0 if seeds == SMALL_SEEDS else seeds / 20, f"of {seeds}"),
                        what=said,
                        details=details,
                    )
                )
            else:
                target = Target(">=", 12.0, f"of {seeds}") if size == 20 and seeds == SMALL_SEEDS else None
                lines.append(
                    Line(
                        "calibration-small-n",
                        f"dependent world, N = {size}: seeds writing a helpful fit",
                        float(new["helps"]),
                        f"of {seeds}",
                        target,
                        what=said,
                        details=details,
                    )
                )
    return lines
