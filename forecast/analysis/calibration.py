"""The temper τ fitted on resolved questions: how far the team's evidence deserves trust.

The tempered rule is ``posterior(s) ∝ prior(s) · exp(τ · Σ contributions)``
(docs/calibration.md). A question is compiled once, untempered; its daily
log-posterior at any τ is then ``log prior + τ · C_d``, with ``C_d`` the cumulative
contributions by day ``d``, so a whole grid of τ costs one softmax per day and τ.
A question's score at τ is its daily-averaged log score from its opening to its
resolution date, as the scorecard scores it; τ minimises the mean over questions on
a grid of 0.01 steps, and leave-one-question-out estimates the gain out of sample.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from ..engine.compiled import Evidence, compile_evidence
from ..engine.rule import softmax
from ..inputs.evidence import load_evidence
from ..inputs.judgments import Judgment, load_judgments, overlay
from ..inputs.questions import load_question
from ..inputs.validate import evidence_path, question_ids, question_path
from ..model import EvidenceLog, Question

__all__ = [
    "EXTREMIZE_GRID",
    "SHOWN_TEMPERS",
    "TEMPER_GRID",
    "FolderFit",
    "ScoreCurve",
    "TemperFit",
    "daily_scores",
    "fit_folder",
    "fit_grid",
    "fit_table",
    "fit_temper",
    "pool_curve",
    "resolved_cases",
    "untempered_daily_logs",
]


#: τ from 0.05 to 2 in steps of 0.01.
TEMPER_GRID = np.arange(5, 201) / 100.0


#: the pool's exponent ``a`` from 0.05 to 5 in steps of 0.01.
EXTREMIZE_GRID = np.arange(5, 501) / 100.0


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    top = logits.max(axis=-1, keepdims=True)
    shifted = logits - top
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def untempered_daily_logs(question: Question, evidence: Evidence) -> tuple[np.ndarray, np.ndarray]:
    """A resolved question's log-prior and its cumulative untempered contributions on each scored day.

    The question's own ``temper`` is set aside. Returns ``(log_prior, C)``, ``C`` of shape
    ``(days, scenarios)`` for the days from ``min(opened, resolution)`` to the resolution date,
    so that the log-posterior of day ``d`` at τ is ``log_prior + τ · C[d]``.
    """
    resolution = question.resolution
    if resolution is None:
        raise ValueError(f"question {question.id!r} has no resolution; calibration needs resolved questions")
    untempered = replace(question, temper=1.0, calibration=None)
    compiled = compile_evidence(untempered, evidence, resolution.date)
    logs = compiled.daily_log_posterior(min(question.opened, resolution.date), resolution.date)
    return compiled.log_prior, logs - compiled.log_prior


def daily_scores(
    log_prior: np.ndarray, cumulative: np.ndarray, resolved: int, factors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The daily-averaged log and Brier scores of the forecasts ``softmax(log_prior + k · C_d)``, one per ``k``.

    Parameters
    ----------
    log_prior : ndarray, shape (scenarios,)
    cumulative : ndarray, shape (days, scenarios)
    resolved : int
        The index of the scenario that happened.
    factors : ndarray, shape (K,)
        The multipliers ``k`` (values of τ, or of a pool's exponent with a zero log-prior).

    Returns
    -------
    log, brier : ndarray, shape (K,)
        Means over the days of ``-ln f_d(resolved)`` and of ``Σ_s (f_d(s) - 1[s = resolved])²``.
    """
    logits = log_prior + factors[:, None, None] * cumulative[None]  # (K, days, scenarios)
    log_p = _log_softmax(logits)
    log = -log_p[:, :, resolved].mean(axis=1)
    p = np.exp(log_p)
    p[:, :, resolved] -= 1.0
    brier = np.einsum("kds,kds->kd", p, p).mean(axis=1)
    return log, brier


@dataclass(frozen=True)
class ScoreCurve:
    """Each question's mean daily scores at every value of a grid, and the fit they give.

    ``log[q, k]`` and ``brier[q, k]`` are question ``q``'s scores at ``grid[k]``; ``neutral``
    is the index of the grid's 1 (the unchanged forecast).
    """

    grid: np.ndarray
    questions: tuple[str, ...]
    log: np.ndarray
    brier: np.ndarray

    @cached_property
    def neutral(self) -> int:
        return int(np.argmin(np.abs(self.grid - 1.0)))

    @cached_property
    def best(self) -> int:
        """The index of the value minimising the mean log score over questions (the smallest on a tie)."""
        return int(np.argmin(self.log.mean(axis=0)))

    @property
    def value(self) -> float:
        """The fitted value."""
        return float(self.grid[self.best])

    @cached_property
    def loo_best(self) -> np.ndarray:
        """Per question, the index of the value fitted on the other questions."""
        n = len(self.questions)
        if n < 2:
            return np.full(n, self.best)
        others = (self.log.sum(axis=0)[None, :] - self.log) / (n - 1)
        return np.argmin(others, axis=1)

    def _pairs(self, scores: np.ndarray, at: np.ndarray) -> tuple[float, float]:
        rows = np.arange(len(self.questions))
        return float(scores[:, self.neutral].mean()), float(scores[rows, at].mean())

    @property
    def log_in_sample(self) -> tuple[float, float]:
        """The mean log score at 1 and at the fitted value."""
        return self._pairs(self.log, np.full(len(self.questions), self.best))

    @property
    def brier_in_sample(self) -> tuple[float, float]:
        return self._pairs(self.brier, np.full(len(self.questions), self.best))

    @property
    def log_loo(self) -> tuple[float, float]:
        """The mean log score at 1 and, leave-one-question-out, at the value fitted on the others."""
        return self._pairs(self.log, self.loo_best)

    @property
    def brier_loo(self) -> tuple[float, float]:
        return self._pairs(self.brier, self.loo_best)

    def mean_log_at(self, value: float) -> float:
        """The mean log score at the grid's value nearest ``value``."""
        return float(self.log[:, int(np.argmin(np.abs(self.grid - value)))].mean())


#: The fit of the temper: a :class:`ScoreCurve` over :data:`TEMPER_GRID`.
TemperFit = ScoreCurve


def fit_grid(curves: Iterable[tuple[str, np.ndarray, np.ndarray, int]], grid: np.ndarray) -> ScoreCurve:
    """A :class:`ScoreCurve` from each question's ``(id, log_prior, cumulative, resolved)``."""
    ids, logs, briers = [], [], []
    for question_id, log_prior, cumulative, resolved in curves:
        log, brier = daily_scores(log_prior, cumulative, resolved, grid)
        ids.append(question_id)
        logs.append(log)
        briers.append(brier)
    shape = (len(ids), len(grid))
    return ScoreCurve(grid, tuple(ids), np.array(logs).reshape(shape), np.array(briers).reshape(shape))


def fit_temper(cases: Iterable[tuple[Question, Evidence]], grid: np.ndarray = TEMPER_GRID) -> ScoreCurve:
    """Fit τ on resolved questions: the grid value minimising the mean daily log score.

    Parameters
    ----------
    cases : iterable of (Question, Evidence)
        Resolved questions and their evidence; each question's own ``temper`` is ignored.
    grid : ndarray, default :data:`TEMPER_GRID`
        The candidate values of τ, ascending.

    Returns
    -------
    ScoreCurve
        ``value`` is the fitted τ; ``log_in_sample`` and ``log_loo`` compare it with τ = 1.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from datetime import date
    >>> from forecast import Resolution, load_evidence, load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> q = replace(q, resolution=Resolution("partial", date(2025, 3, 1)))
    >>> fit = fit_temper([(q, load_evidence("data/evidence/russia-syria-bases.csv", q))])
    >>> fit.value >= 1.0  # the evidence pointed the right way: counting it more scores better
    True
    """

    def curves() -> Iterable[tuple[str, np.ndarray, np.ndarray, int]]:
        for question, evidence in cases:
            log_prior, cumulative = untempered_daily_logs(question, evidence)
            yield (
                question.id,
                log_prior,
                cumulative,
                question.scenario_ids.index(question.resolution.scenario),
            )

    return fit_grid(curves(), grid)


def pool_curve(
    question: Question, daily_probabilities: Sequence[np.ndarray]
) -> tuple[str, np.ndarray, np.ndarray, int]:
    """A team question's ``(id, log_prior, cumulative, resolved)`` for fitting the pool's exponent.

    ``daily_probabilities`` holds each analyst's daily forecast (tempered as reported). The
    pool at exponent ``a`` is ``softmax(a · mean_i log p_i)``, so the "log-prior" is zero and the
    "cumulative" is the analysts' mean log-probability (``log_pool`` at ``a`` equals
    ``softmax(0 + a · C)``).
    """
    stacked = np.stack([np.asarray(p, float) for p in daily_probabilities])
    with np.errstate(divide="ignore"):
        mean_log = np.log(stacked).mean(axis=0)
    zero = np.zeros(stacked.shape[-1])
    return question.id, zero, mean_log, question.scenario_ids.index(question.resolution.scenario)


@dataclass(frozen=True)
class FolderFit:
    """``forecast calibrate``'s fit of a data folder: τ, and the pool's exponent where it was fitted."""

    temper: ScoreCurve
    extremize: ScoreCurve | None
    #: questions that have judgment files, of those fitted
    team_questions: int

    @property
    def worse_out_of_sample(self) -> bool:
        """Does the fitted τ score worse, leave-one-question-out, than τ = 1?"""
        untempered, calibrated = self.temper.log_loo
        return calibrated > untempered


def resolved_cases(data_dir: str | Path) -> list[tuple[Question, EvidenceLog, tuple]]:
    """Every resolved question of a data folder with its evidence log and judgments, by id.

    Raises
    ------
    InvalidInputError
        As the loaders do, for the first question whose files are not valid.
    """
    cases = []
    for question_id in question_ids(data_dir):
        question = load_question(question_path(data_dir, question_id))
        if question.resolution is None:
            continue
        evidence = load_evidence(evidence_path(data_dir, question_id), question)
        cases.append((question, evidence, load_judgments(data_dir, question)))
    return cases


def fit_folder(
    cases: Sequence[tuple[Question, Evidence, Sequence[Judgment]]], min_questions: int
) -> FolderFit:
    """Fit τ on every case, and the pool's exponent (at the fitted τ) where ``min_questions`` have judgments."""
    fit = fit_temper((q, e) for q, e, _ in cases)
    teams = [(q, e, j) for q, e, j in cases if j]
    extremize = None
    if len(teams) >= min_questions:

        def curves() -> Iterable[tuple[str, np.ndarray, np.ndarray, int]]:
            for question, evidence, judgments in teams:
                tempered = replace(question, temper=fit.value, calibration=None)
                daily = []
                for judgment in judgments:
                    analyst = overlay(tempered, judgment)
                    compiled = compile_evidence(analyst, evidence, question.resolution.date)
                    start = min(question.opened, question.resolution.date)
                    daily.append(softmax(compiled.daily_log_posterior(start, question.resolution.date)))
                yield pool_curve(question, daily)

        extremize = fit_grid(curves(), EXTREMIZE_GRID)
    return FolderFit(fit, extremize, len(teams))


#: The values of τ whose scores the table shows, beside the fitted one.
SHOWN_TEMPERS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


def fit_table(fit: FolderFit) -> str:
    """What ``forecast calibrate`` prints: the fit, the scores in and out of sample, and the curve."""
    t = fit.temper
    lines = [
        f"{len(t.questions)} resolved questions; fitted temper {t.value:.2f}",
        "",
        "mean daily score            τ = 1   fitted",
        f"log, in sample             {t.log_in_sample[0]:7.4f}  {t.log_in_sample[1]:7.4f}",
        f"log, leave-one-out         {t.log_loo[0]:7.4f}  {t.log_loo[1]:7.4f}",
        f"Brier, in sample           {t.brier_in_sample[0]:7.4f}  {t.brier_in_sample[1]:7.4f}",
        f"Brier, leave-one-out       {t.brier_loo[0]:7.4f}  {t.brier_loo[1]:7.4f}",
        "",
        "τ        mean daily log score",
    ]
    shown = sorted(set(SHOWN_TEMPERS) | {round(t.value, 2)})
    for value in shown:
        mark = "  (fitted)" if value == round(t.value, 2) else ""
        lines.append(f"{value:<8.2f} {t.mean_log_at(value):.4f}{mark}")
    if fit.extremize is not None:
        e = fit.extremize
        lines += [
            "",
            f"pool of {fit.team_questions} team questions: fitted extremize {e.value:.2f}",
            f"log, in sample             {e.log_in_sample[0]:7.4f}  {e.log_in_sample[1]:7.4f}",
            f"log, leave-one-out         {e.log_loo[0]:7.4f}  {e.log_loo[1]:7.4f}",
        ]
    return "\n".join(lines)
