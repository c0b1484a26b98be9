"""The temper τ (and the pool's exponent ``a``) fitted on resolved questions, with the fit's uncertainty.

The tempered rule is ``posterior(s) ∝ prior(s) · exp(τ · Σ contributions)``
(docs/calibration.md). A question is replayed once, untempered, as its reports publish
it: the question file's model, or, where it has judgment files, every analyst's
forecast, pooled. Its daily log-posterior at any τ is then ``log prior + τ · C_d``
(per analyst), so a whole grid of τ costs one softmax per day and τ, and the pool at
exponent ``a`` one more. A question's score is its daily-averaged log score from its
opening to its resolution date, as the scorecard's hindcast scores it.

The fit minimises the mean score over questions on a grid; among the values whose
mean is within 1e-12 of the best, the one closest to 1 is chosen. Leave-one-question-out
refits on the others and scores the question left out; the paired standard error of
that held-out gain is computed over questions, with a jackknife standard error of the whole
leave-one-out procedure beside it, and a bootstrap over questions
(:data:`BOOTSTRAP_RESAMPLES` resamples, seed :data:`BOOTSTRAP_SEED`) gives a 90% interval
for the fitted values. :meth:`FolderFit.decision` is the gate that says whether a fit
may be written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from ..engine.compiled import Evidence, compile_evidence
from ..inputs.evidence import load_evidence
from ..inputs.judgments import Judgment, load_judgments, overlay
from ..inputs.questions import load_question
from ..inputs.validate import evidence_path, question_ids, question_path
from ..model import EvidenceLog, Question

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "BOOTSTRAP_SEED",
    "EXTREMIZE_GRID",
    "INTERVAL",
    "SHOWN_TEMPERS",
    "TEMPER_GRID",
    "TIE",
    "Decision",
    "FolderFit",
    "Replay",
    "ScoreCurve",
    "TemperFit",
    "bootstrap_indices",
    "daily_scores",
    "fit_folder",
    "fit_grid",
    "fit_table",
    "fit_temper",
    "replay",
    "resolved_cases",
    "untempered_daily_logs",
]


#: τ from 0.05 to 2 in steps of 0.01.
TEMPER_GRID = np.arange(5, 201) / 100.0

#: the pool's exponent ``a`` from 0.05 to 5 in steps of 0.05 (fitted jointly with every τ of the grid).
EXTREMIZE_GRID = np.arange(1, 101) / 20.0

#: mean scores within this of the best are a tie, which goes to the value closest to 1.
TIE = 1e-12

#: the bootstrap over questions: this many resamples, drawn from ``numpy.random.default_rng(BOOTSTRAP_SEED)``.
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20241201

#: the coverage of the reported interval (its ends are the 5th and 95th percentiles of the resamples' fits).
INTERVAL = 0.90

#: "nothing to learn": the words said where every value of the grid scores the same.
NOTHING_TO_LEARN = "nothing to learn: the resolved questions carry no evidence that separates the scenarios"


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
        The multipliers ``k`` (values of τ).

    Returns
    -------
    log, brier : ndarray, shape (K,)
        Means over the days of ``-ln f_d(resolved)`` and of ``Σ_s (f_d(s) - 1[s = resolved])²``.
    """
    log_p = _log_softmax(log_prior + factors[:, None, None] * cumulative[None])  # (K, days, scenarios)
    return _scores_of(log_p, resolved)


def _scores_of(log_p: np.ndarray, resolved: int) -> tuple[np.ndarray, np.ndarray]:
    """Daily-averaged log and Brier scores of log-forecasts ``(..., days, scenarios)``."""
    log = -log_p[..., resolved].mean(axis=-1)
    p = np.exp(log_p)
    p[..., resolved] -= 1.0
    brier = (p * p).sum(axis=-1).mean(axis=-1)
    return log, brier


# ---------------------------------------------------------------- a question, replayed


@dataclass(frozen=True)
class Replay:
    """A resolved question's published forecast, replayed untempered, ready for any τ and ``a``.

    ``log_priors[m]`` and ``cumulative[m]`` are member ``m``'s log-prior ``(scenarios,)`` and
    cumulative untempered contributions ``(days, scenarios)``: the question file's model (one
    member), or each analyst of a team. A team's forecast at ``(τ, a)`` is the pool
    ``softmax(a · mean_m log softmax(log_prior_m + τ · C_m))``; without judgment files the
    forecast is the model's, whatever ``a``.
    """

    question: str
    resolved: int
    log_priors: np.ndarray
    cumulative: np.ndarray
    team: bool
    #: the pool's exponent the question file gives (1 without one): the ``a`` of the τ-only fit
    extremize: float = 1.0

    def log_forecasts(self, tempers: np.ndarray) -> np.ndarray:
        """Each member's daily log-forecast at each τ, ``(members, K, days, scenarios)``."""
        logits = self.log_priors[:, None, None, :] + tempers[None, :, None, None] * self.cumulative[:, None]
        return _log_softmax(logits)

    def scores(
        self, tempers: np.ndarray, extremizes: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Daily log and Brier scores at every ``(τ, a)``, ``(K, A)``, and the final forecast's log score ``(K, A)``.

        ``extremizes`` of ``None`` is the question's own exponent alone (``A = 1``).
        """
        members = self.log_forecasts(tempers)
        values = np.array([self.extremize]) if extremizes is None else np.asarray(extremizes, float)
        if not self.team:
            log, brier = _scores_of(members[0], self.resolved)
            final = -members[0][:, -1, self.resolved]
            shape = (len(tempers), len(values))
            return (
                np.broadcast_to(log[:, None], shape).copy(),
                np.broadcast_to(brier[:, None], shape).copy(),
                np.broadcast_to(final[:, None], shape).copy(),
            )
        mean_log = members.mean(axis=0)  # (K, days, scenarios)
        log = np.empty((len(tempers), len(values)))
        brier, final = np.empty_like(log), np.empty_like(log)
        for k, a in enumerate(values):
            pooled = _log_softmax(a * mean_log)
            log[:, k], brier[:, k] = _scores_of(pooled, self.resolved)
            final[:, k] = -pooled[:, -1, self.resolved]
        return log, brier, final

    def final_forecasts(self, tempers: np.ndarray) -> np.ndarray:
        """The final day's forecast at each τ (at the question's own ``a``), ``(K, scenarios)``."""
        members = self.log_forecasts(tempers)[:, :, -1, :]
        if not self.team:
            return np.exp(members[0])
        return np.exp(_log_softmax(self.extremize * members.mean(axis=0)))


def replay(question: Question, evidence: Evidence, judgments: Sequence[Judgment] = ()) -> Replay:
    """Replay a resolved question untempered: the model's forecast, or with ``judgments`` every analyst's.

    The question's own ``temper`` is set aside (the fit is of τ); its own ``pool: {extremize: a}``
    is kept as the ``a`` of the τ-only fit.
    """
    resolved = question.scenario_ids.index(question.resolution.scenario) if question.resolution else -1
    members = [overlay(question, j) for j in judgments] if judgments else [question]
    priors, cumulative = [], []
    for member in members:
        log_prior, c = untempered_daily_logs(member, evidence)
        priors.append(log_prior)
        cumulative.append(c)
    return Replay(
        question.id, resolved, np.array(priors), np.array(cumulative), bool(judgments), question.extremize
    )


# ---------------------------------------------------------------- the fit over a grid


def bootstrap_indices(n: int, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """The questions drawn, with replacement, for each resample: ``(resamples, n)`` indices.

    ``numpy.random.default_rng(seed).integers(0, n, size=(resamples, n))``: anyone can redraw them.
    """
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


@dataclass(frozen=True)
class ScoreCurve:
    """Each question's mean daily scores at every point of a grid, and the fit they give.

    ``log[q, g]`` and ``brier[q, g]`` are question ``q``'s scores at the grid's point ``g``,
    which is ``τ = grid[g]`` and, for a joint fit, ``a = extremizes[g]`` (``None``: a is not
    fitted). ``neutral`` is the point τ = 1 (and a = 1): the forecast as published untempered.
    """

    grid: np.ndarray
    questions: tuple[str, ...]
    log: np.ndarray
    brier: np.ndarray
    extremizes: np.ndarray | None = None

    # ------------------------------------------------------------ the tie rule

    @cached_property
    def _rank(self) -> np.ndarray:
        """Each point's place in the order of preference on a tie: closest to 1 first, then the smaller."""
        a = np.ones_like(self.grid) if self.extremizes is None else self.extremizes
        distance = np.round(np.abs(self.grid - 1.0) + np.abs(a - 1.0), 12)
        order = np.lexsort((a, self.grid, distance))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank

    def choose(self, means: np.ndarray) -> np.ndarray:
        """The chosen point of each row of mean scores ``(..., G)``: the best, a tie going to the one closest to 1."""
        means = np.asarray(means, float)
        tied = means <= means.min(axis=-1, keepdims=True) + TIE
        return np.argmin(np.where(tied, self._rank, np.iinfo(np.int64).max), axis=-1)

    @cached_property
    def neutral(self) -> int:
        return int(np.argmin(self._rank))

    @cached_property
    def best(self) -> int:
        """The index of the point minimising the mean log score over questions (a tie goes toward 1)."""
        return int(self.choose(self.log.mean(axis=0)))

    @property
    def value(self) -> float:
        """The fitted τ."""
        return float(self.grid[self.best])

    @property
    def extremize(self) -> float | None:
        """The fitted ``a`` (``None`` where a is not fitted)."""
        return None if self.extremizes is None else float(self.extremizes[self.best])

    @property
    def n(self) -> int:
        return len(self.questions)

    @cached_property
    def flat(self) -> bool:
        """Does every point score the same (within :data:`TIE`)? Then there is nothing to learn."""
        mean = self.log.mean(axis=0)
        return bool(mean.max() - mean.min() <= TIE)

    @property
    def searched(self) -> tuple[float, float]:
        """The range of τ searched."""
        return float(self.grid.min()), float(self.grid.max())

    @property
    def extremize_searched(self) -> tuple[float, float] | None:
        return (
            None if self.extremizes is None else (float(self.extremizes.min()), float(self.extremizes.max()))
        )

    @property
    def at_edge(self) -> list[str]:
        """Which fitted values lie at an end of their searched range: ``["τ"]``, ``["a"]``, both or none."""
        edges = []
        if self.value in self.searched:
            edges.append("τ")
        if self.extremizes is not None and self.extremize in self.extremize_searched:
            edges.append("a")
        return edges

    # ------------------------------------------------------------ out of sample

    @cached_property
    def loo_best(self) -> np.ndarray:
        """Per question, the index of the point fitted on the other questions."""
        n = self.n
        if n < 2:
            return np.full(n, self.best)
        others = (self.log.sum(axis=0)[None, :] - self.log) / (n - 1)
        return self.choose(others)

    @cached_property
    def loo_gains(self) -> np.ndarray:
        """Per question, its log score untempered minus its log score at the value fitted on the others."""
        rows = np.arange(self.n)
        return self.log[:, self.neutral] - self.log[rows, self.loo_best]

    @property
    def gain(self) -> float:
        """The held-out gain: the mean of :attr:`loo_gains` (positive: the fit helps out of sample)."""
        return float(self.loo_gains.mean())

    @property
    def gain_se(self) -> float:
        """The paired standard error of the held-out gain over questions: ``sd(gains, ddof=1) / √n``."""
        if self.n < 2:
            return float("nan")
        return float(self.loo_gains.std(ddof=1) / np.sqrt(self.n))

    @cached_property
    def gain_jackknife_se(self) -> float:
        """The jackknife standard error of the held-out gain, the whole leave-one-out procedure redone.

        The gain with question ``i`` deleted, ``gain₍ᵢ₎``, is the leave-one-out gain of the other
        ``n - 1`` questions: each ``j ≠ i`` scored at the point fitted on the ``n - 2`` questions
        other than ``i`` and ``j``. Then ``se = √((n - 1)/n · Σᵢ (gain₍ᵢ₎ - mean gain₍.₎)²)``.
        Unlike :attr:`gain_se`, it sees that the per-question gains are not independent (each is
        fitted on all the others), so one question that moves every other fit widens it.
        ``nan`` below 3 questions.
        """
        n = self.n
        if n < 3:
            return float("nan")
        total = self.log.sum(axis=0)
        rows = np.arange(n)
        deleted = np.empty(n)
        for i in range(n):
            others = (total[None, :] - self.log[i][None, :] - self.log) / (n - 2)
            keep = rows != i
            at = self.choose(others[keep])
            deleted[i] = float((self.log[keep, self.neutral] - self.log[rows[keep], at]).mean())
        return float(np.sqrt((n - 1) / n * ((deleted - deleted.mean()) ** 2).sum()))

    def _pairs(self, scores: np.ndarray, at: np.ndarray) -> tuple[float, float]:
        rows = np.arange(self.n)
        return float(scores[:, self.neutral].mean()), float(scores[rows, at].mean())

    @property
    def log_in_sample(self) -> tuple[float, float]:
        """The mean log score untempered and at the fitted point."""
        return self._pairs(self.log, np.full(self.n, self.best))

    @property
    def brier_in_sample(self) -> tuple[float, float]:
        return self._pairs(self.brier, np.full(self.n, self.best))

    @property
    def log_loo(self) -> tuple[float, float]:
        """The mean log score untempered and, leave-one-question-out, at the point fitted on the others."""
        return self._pairs(self.log, self.loo_best)

    @property
    def brier_loo(self) -> tuple[float, float]:
        return self._pairs(self.brier, self.loo_best)

    def mean_log_at(self, value: float, extremize: float = 1.0) -> float:
        """The mean log score at the grid's point nearest τ = ``value`` (and a = ``extremize``)."""
        a = np.ones_like(self.grid) if self.extremizes is None else self.extremizes
        return float(self.log[:, int(np.argmin(np.abs(self.grid - value) + np.abs(a - extremize)))].mean())

    # ------------------------------------------------------------ the bootstrap

    @cached_property
    def resampled(self) -> np.ndarray:
        """The point fitted on each bootstrap resample of the questions, ``(BOOTSTRAP_RESAMPLES,)``."""
        draws = bootstrap_indices(self.n)
        chosen = np.empty(len(draws), dtype=np.int64)
        for start in range(0, len(draws), 100):  # 100 resamples at a time: the means are (100, grid)
            block = draws[start : start + 100]
            counts = np.stack([np.bincount(row, minlength=self.n) for row in block]).astype(float)
            chosen[start : start + 100] = self.choose(counts @ self.log / self.n)
        return chosen

    def _interval(self, values: np.ndarray) -> tuple[float, float]:
        tail = 100 * (1 - INTERVAL) / 2
        lo, hi = np.percentile(values[self.resampled], [tail, 100 - tail])
        return float(lo), float(hi)

    @property
    def interval(self) -> tuple[float, float]:
        """The 90% bootstrap interval of τ: the 5th and 95th percentiles of the resamples' fitted τ."""
        return self._interval(self.grid)

    @property
    def extremize_interval(self) -> tuple[float, float] | None:
        return None if self.extremizes is None else self._interval(self.extremizes)


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
    """Fit τ on resolved questions' own models: the grid value minimising the mean daily log score.

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


# ---------------------------------------------------------------- a data folder


@dataclass(frozen=True)
class Decision:
    """What the gate decided: which fit is written (``"temper"``, ``"joint"`` or ``None``) and why."""

    writes: str | None
    #: every reason a fit is held back, in words with its numbers
    reasons: tuple[str, ...]
    #: the curve is flat: τ = 1, and there is nothing to learn
    nothing_to_learn: bool = False


@dataclass(frozen=True)
class FolderFit:
    """``forecast calibrate``'s fit of a data folder.

    ``temper`` fits τ alone on every question's published forecast (the pool at the question's
    own ``a`` where it has judgment files); ``final`` fits τ on the final forecasts alone;
    ``joint`` fits τ and the pool's ``a`` together, where enough questions have judgment files.
    """

    temper: ScoreCurve
    final: ScoreCurve
    joint: ScoreCurve | None
    #: questions that have judgment files, of those fitted
    team_questions: int
    #: the illustrative questions left out of the fit
    examples: tuple[str, ...] = ()
    #: each fitted question's replay, in the order of ``temper.questions``
    replays: tuple[Replay, ...] = ()

    @property
    def extremize(self) -> ScoreCurve | None:
        """The joint fit of τ and a (``None`` where too few questions have judgment files)."""
        return self.joint

    @property
    def worse_out_of_sample(self) -> bool:
        """Does the fitted τ score worse, leave-one-question-out, than τ = 1?"""
        return self.temper.gain < 0

    @cached_property
    def extremize_gains(self) -> np.ndarray | None:
        """Per question, the held-out score of the τ-only fit minus that of the joint fit (what ``a`` adds)."""
        if self.joint is None:
            return None
        rows = np.arange(self.temper.n)
        only = self.temper.log[rows, self.temper.loo_best]
        return only - self.joint.log[rows, self.joint.loo_best]

    @property
    def extremize_gain(self) -> tuple[float, float] | None:
        """What ``a`` adds out of sample beyond τ alone: the mean gain and its paired standard error."""
        gains = self.extremize_gains
        if gains is None:
            return None
        se = float(gains.std(ddof=1) / np.sqrt(len(gains))) if len(gains) > 1 else float("nan")
        return float(gains.mean()), se

    def _gate(self, curve: ScoreCurve, what: str) -> list[str]:
        """Why ``curve``'s fit may not be written (empty: it may)."""
        reasons = []
        gain, se = curve.gain, curve.gain_se
        if not (gain > 0 and gain >= se):
            reasons.append(
                f"the held-out gain of the {what} is {gain:+.4f} ± {se:.4f} (standard error) in mean daily "
                "log score; a fit is written only when its held-out gain is positive and at least its "
                "standard error"
            )
        elif not gain >= curve.gain_jackknife_se:
            reasons.append(
                f"the held-out gain of the {what} is {gain:+.4f}, below its jackknife standard error "
                f"{curve.gain_jackknife_se:.4f} (the leave-one-out fit redone with each question deleted); "
                "the gains of single questions are not independent, and a fit is written only when its "
                "held-out gain is at least both standard errors"
            )
        for edge in curve.at_edge:
            lo, hi = curve.searched if edge == "τ" else curve.extremize_searched
            value = curve.value if edge == "τ" else curve.extremize
            reasons.append(
                f"the fitted {edge} = {value:.2f} lies at an end of the searched range [{lo:.2f}, {hi:.2f}]: "
                f"the best {edge} may lie beyond the searched range"
            )
        return reasons

    @cached_property
    def decision(self) -> Decision:
        """The gate: the joint fit where ``a`` adds at least its standard error, else τ alone, else nothing."""
        t = self.temper
        if t.flat:
            return Decision(None, (NOTHING_TO_LEARN,), nothing_to_learn=True)
        temper_reasons = self._gate(t, "fitted temper")
        if t.value == 1.0 and not t.at_edge:
            temper_reasons = [
                f"the best τ is 1 (mean daily log score {t.log_in_sample[0]:.4f}): nothing to change"
            ]
        if self.joint is not None:
            joint_reasons = self._gate(self.joint, "joint fit of τ and a")
            gain, se = self.extremize_gain
            if not (gain > 0 and gain >= se):
                joint_reasons.append(
                    f"the pool's a = {self.joint.extremize:.2f} adds {gain:+.4f} ± {se:.4f} held out beyond τ "
                    "alone; a is written only when that is positive and at least its standard error"
                )
            if not joint_reasons:
                return Decision("joint", ())
            if not temper_reasons:
                return Decision("temper", tuple(f"a is not written: {r}" for r in joint_reasons))
            return Decision(None, (*temper_reasons, *(f"a: {r}" for r in joint_reasons)))
        if not temper_reasons:
            return Decision("temper", ())
        return Decision(None, tuple(temper_reasons))

    @property
    def written_curve(self) -> ScoreCurve:
        """The fit that ``--write`` writes: the gate's choice, or under ``--force`` the fullest one."""
        if self.decision.writes == "temper":
            return self.temper
        if self.decision.writes == "joint" or self.joint is not None:
            return self.joint
        return self.temper


def resolved_cases(data_dir: str | Path) -> list[tuple[Question, EvidenceLog, tuple]]:
    """Every resolved question of a data folder with its evidence log and judgments, by id.

    Illustrative questions are included (:func:`fit_folder` sets them apart).

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


def _curve(
    replays: Sequence[Replay], tempers: np.ndarray, extremizes: np.ndarray | None, final: bool = False
):
    logs, briers = [], []
    for r in replays:
        log, brier, last = r.scores(tempers, extremizes)
        logs.append((last if final else log).reshape(-1))
        briers.append(brier.reshape(-1))
    shape = (len(replays), len(tempers) * (1 if extremizes is None else len(extremizes)))
    grid = tempers if extremizes is None else np.repeat(tempers, len(extremizes))
    a = None if extremizes is None else np.tile(extremizes, len(tempers))
    ids = tuple(r.question for r in replays)
    return ScoreCurve(grid, ids, np.array(logs).reshape(shape), np.array(briers).reshape(shape), a)


def fit_folder(
    cases: Sequence[tuple[Question, Evidence, Sequence[Judgment]]], min_questions: int
) -> FolderFit:
    """Fit τ on the published forecasts of every case that is not illustrative, and τ with ``a`` jointly
    where ``min_questions`` of them have judgments."""
    record = [(q, e, j) for q, e, j in cases if not q.illustrative]
    examples = tuple(q.id for q, _, _ in cases if q.illustrative)
    replays = tuple(replay(q, e, j) for q, e, j in record)
    temper = _curve(replays, TEMPER_GRID, None)
    final = _curve(replays, TEMPER_GRID, None, final=True)
    teams = sum(1 for r in replays if r.team)
    joint = _curve(replays, TEMPER_GRID, EXTREMIZE_GRID) if teams >= min_questions else None
    return FolderFit(temper, final, joint, teams, examples, replays)


#: The values of τ whose scores the table shows, beside the fitted one.
SHOWN_TEMPERS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


def _fmt_interval(interval: tuple[float, float]) -> str:
    return f"{interval[0]:.2f}–{interval[1]:.2f}"


def fit_table(fit: FolderFit) -> str:
    """What ``forecast calibrate`` prints: the fit with its interval, the scores in and out of sample,
    the held-out gain with its standard error, the fit on final forecasts, the curve and the gate."""
    t = fit.temper
    lo, hi = t.searched
    lines = [
        f"{t.n} resolved questions; fitted temper {t.value:.2f} "
        f"(90%: {_fmt_interval(t.interval)}; searched {lo:.2f}–{hi:.2f})",
    ]
    if fit.examples:
        lines.append(f"left out as examples (illustrative: true): {', '.join(fit.examples)}")
    if fit.team_questions:
        lines.append(f"{fit.team_questions} of them scored on the team's pool (judgment files)")
    lines += [
        "",
        "mean daily score            τ = 1   fitted",
        f"log, in sample             {t.log_in_sample[0]:7.4f}  {t.log_in_sample[1]:7.4f}",
        f"log, leave-one-out         {t.log_loo[0]:7.4f}  {t.log_loo[1]:7.4f}",
        f"Brier, in sample           {t.brier_in_sample[0]:7.4f}  {t.brier_in_sample[1]:7.4f}",
        f"Brier, leave-one-out       {t.brier_loo[0]:7.4f}  {t.brier_loo[1]:7.4f}",
        f"held-out gain (log)        {t.gain:+.4f} ± {t.gain_se:.4f} (paired standard error)",
        "",
        f"fitted on final forecasts alone: temper {fit.final.value:.2f} (90%: {_fmt_interval(fit.final.interval)})",
        "",
        "τ        mean daily log score",
    ]
    shown = sorted(set(SHOWN_TEMPERS) | {round(t.value, 2)})
    for value in shown:
        mark = "  (fitted)" if value == round(t.value, 2) else ""
        lines.append(f"{value:<8.2f} {t.mean_log_at(value):.4f}{mark}")
    if fit.joint is not None:
        j = fit.joint
        gain, se = fit.extremize_gain
        word = "softened" if j.extremize < 1 else "extremized" if j.extremize > 1 else "unchanged"
        lines += [
            "",
            f"pool of {fit.team_questions} team questions, τ and a fitted jointly: temper {j.value:.2f} "
            f"(90%: {_fmt_interval(j.interval)}), a {j.extremize:.2f} ({word}; "
            f"90%: {_fmt_interval(j.extremize_interval)}; searched "
            f"{j.extremize_searched[0]:.2f}–{j.extremize_searched[1]:.2f})",
            f"log, in sample             {j.log_in_sample[0]:7.4f}  {j.log_in_sample[1]:7.4f}",
            f"log, leave-one-out         {j.log_loo[0]:7.4f}  {j.log_loo[1]:7.4f}",
            f"held-out gain (log)        {j.gain:+.4f} ± {j.gain_se:.4f}",
            f"what a adds beyond τ alone {gain:+.4f} ± {se:.4f}",
        ]
    decision = fit.decision
    lines.append("")
    if decision.writes == "joint":
        lines.append(
            "the gate: τ and a pass (held-out gain at least its paired and jackknife standard errors)"
        )
    elif decision.writes == "temper":
        lines.append("the gate: τ passes (held-out gain at least its paired and jackknife standard errors)")
    else:
        lines.append("the gate: nothing to write")
    lines += [f"  {reason}" for reason in decision.reasons]
    return "\n".join(lines)
