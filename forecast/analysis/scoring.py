"""Scores of resolved questions: Brier and log scores, and calibration.

:func:`brier_score` and :func:`log_score` take arrays and give arrays, as the
scoringrules library does: forecasts of shape ``(..., n_scenarios)`` and the
index of the scenario that happened, one score per forecast. Every other score
here is computed by them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import ArrayLike

from ..engine.compiled import Evidence, compile_evidence
from ..engine.rule import softmax
from ..model import Question

__all__ = [
    "SUM_TOLERANCE",
    "CalibrationBins",
    "Score",
    "brier_score",
    "calibration_bins",
    "calibration_points",
    "eve_forecast",
    "log_score",
    "ranked_probability_score",
    "score",
    "score_forecasts",
    "score_published",
]


@dataclass(frozen=True, slots=True)
class Score:
    """How well a resolved question was forecast.

    Brier scores are multi-category, ``sum_s (f_s - o_s)^2`` with ``o`` one-hot on
    the resolved scenario: 0 is perfect, 2 the worst. Log scores are
    ``-ln f_resolved``: 0 is perfect, lower is better, and a zero probability on
    what happened scores infinity. ``*_final`` score the forecast of the eve of the
    resolution date (the priors for a question that resolved the day it opened), so
    that no report dated on or after the resolution date enters them; ``*_daily`` average the daily forecasts from the opening to
    the resolution date inclusive (``days`` of them); ``*check_prior`` score the priors
    alone (the same every day). ``skill_* = 1 - brier_* / brier_prior``: 1 is
    perfect, 0 no better than the priors, negative worse.
    """

    question: str
    resolved: str
    resolution_date: date
    days: int
    brier_final: float
    brier_daily: float
    brier_prior: float
    log_final: float
    log_daily: float
    log_prior: float
    skill_final: float
    skill_daily: float
    #: for an ``ordered: true`` question, the ranked probability score as of the resolution date and
    #: averaged over the days (:func:`ranked_probability_score`); ``None`` otherwise
    rps_final: float | None = None
    rps_daily: float | None = None


#: How far a forecast's probabilities may sum from 1, as the loaders allow.
SUM_TOLERANCE = 1e-6


def _checked(probabilities: ArrayLike, outcome: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """The forecasts as floats and the outcomes broadcast to their leading shape, or a ValueError."""
    p = np.asarray(probabilities, dtype=float)
    if p.ndim == 0 or p.shape[-1] == 0:
        raise ValueError(
            f"probabilities must have the scenarios on their last axis (shape (..., n_scenarios)), got shape {p.shape}"
        )
    if not np.all((p >= 0) & (p <= 1)):
        raise ValueError("probabilities must be between 0 and 1")
    total = p.sum(axis=-1)
    if not np.all(np.abs(total - 1) <= SUM_TOLERANCE):
        worst = float(np.ravel(total)[np.argmax(np.ravel(np.abs(total - 1)))])
        raise ValueError(
            f"each forecast's probabilities must sum to 1 (within {SUM_TOLERANCE:g}); one sums to {worst:.10g}"
        )
    o = np.asarray(outcome)
    if o.dtype == bool or not np.issubdtype(o.dtype, np.integer):
        raise ValueError(
            f"outcome must be the whole-number index of the scenario that happened, got {outcome!r}"
        )
    n = p.shape[-1]
    if np.any((o < 0) | (o >= n)):
        raise ValueError(f"outcome must index one of the {n} scenarios (0 to {n - 1}); got {outcome!r}")
    try:
        o = np.broadcast_to(o, p.shape[:-1])
    except ValueError:
        raise ValueError(
            f"outcome of shape {o.shape} does not broadcast to the forecasts' leading shape {p.shape[:-1]}"
        ) from None
    return p, o


def brier_score(probabilities: ArrayLike, outcome: ArrayLike) -> np.ndarray:
    """The multi-category Brier score of each forecast: ``sum_s (p_s - 1[s = outcome])^2``.

    Parameters
    ----------
    probabilities : array_like, shape (..., n_scenarios)
        Forecasts, one per leading element; each between 0 and 1 and summing to 1
        (within 1e-6) over the last axis.
    outcome : int or array_like of int
        The index of the scenario that happened, broadcastable to the leading
        shape ``probabilities.shape[:-1]``.

    Returns
    -------
    ndarray, shape probabilities.shape[:-1]
        Each forecast's score (a NumPy scalar for a single forecast): 0 is
        perfect, 2 the worst. This is Brier's
        original score, summed over the scenarios; for two scenarios it is twice
        the binary score ``(p - o)^2`` of one of them (what
        ``sklearn.metrics.brier_score_loss`` reports).

    Raises
    ------
    ValueError
        If a probability is outside [0, 1], a forecast does not sum to 1, an
        outcome is not the index of a scenario, or the shapes do not broadcast.

    See Also
    --------
    log_score

    References
    ----------
    G. W. Brier, "Verification of forecasts expressed in terms of probability",
    Monthly Weather Review 78 (1950) 1-3.

    Examples
    --------
    >>> round(float(brier_score([0.2, 0.5, 0.3], 1)), 4)
    0.38
    >>> brier_score([[1.0, 0.0], [0.5, 0.5]], [0, 1]).tolist()
    [0.0, 0.5]
    """
    p, o = _checked(probabilities, outcome)
    hit = np.arange(p.shape[-1]) == o[..., np.newaxis]
    return np.sum((p - hit) ** 2, axis=-1)[()]


def log_score(probabilities: ArrayLike, outcome: ArrayLike) -> np.ndarray:
    """The logarithmic score of each forecast: ``-ln p_outcome``, in nats.

    Parameters
    ----------
    probabilities : array_like, shape (..., n_scenarios)
        Forecasts, one per leading element; each between 0 and 1 and summing to 1
        (within 1e-6) over the last axis.
    outcome : int or array_like of int
        The index of the scenario that happened, broadcastable to the leading
        shape ``probabilities.shape[:-1]``.

    Returns
    -------
    ndarray, shape probabilities.shape[:-1]
        Each forecast's score (a NumPy scalar for a single forecast): 0 is
        perfect, lower is better, and a zero
        probability on what happened scores infinity (without a warning). This
        is the negative of Good's logarithmic score, the convention of
        ``sklearn.metrics.log_loss`` (which clips probabilities away from 0).

    Raises
    ------
    ValueError
        If a probability is outside [0, 1], a forecast does not sum to 1, an
        outcome is not the index of a scenario, or the shapes do not broadcast.

    See Also
    --------
    brier_score

    References
    ----------
    I. J. Good, "Rational decisions", Journal of the Royal Statistical Society,
    Series B 14 (1952) 107-114.

    Examples
    --------
    >>> round(float(log_score([0.2, 0.5, 0.3], 1)), 4)
    0.6931
    >>> log_score([[1.0, 0.0], [0.5, 0.5]], [1, 0]).tolist()
    [inf, 0.6931471805599453]
    """
    p, o = _checked(probabilities, outcome)
    with np.errstate(divide="ignore"):
        return -np.log(np.take_along_axis(p, o[..., np.newaxis], axis=-1)[..., 0])[()]


def ranked_probability_score(probabilities: ArrayLike, outcome: ArrayLike) -> np.ndarray:
    """The ranked probability score of forecasts of ordered scenarios: ``Σ_k (F_k - O_k)²``.

    ``F_k`` is the forecast's cumulative probability of the first ``k`` scenarios and
    ``O_k`` is 1 once ``k`` reaches the scenario that happened, for ``k`` from 1 to
    ``n - 1`` (unnormalised). 0 is perfect; a forecast close to what happened scores
    better than one far from it.

    Parameters
    ----------
    probabilities : array_like, shape (..., n_scenarios)
        Forecasts with the scenarios in their order, from one end to the other.
    outcome : int or array_like of int
        The index of the scenario that happened.

    Returns
    -------
    ndarray, shape probabilities.shape[:-1]

    References
    ----------
    E. S. Epstein, "A scoring system for probability forecasts of ranked categories",
    Journal of Applied Meteorology 8 (1969) 985-987.

    Examples
    --------
    >>> round(float(ranked_probability_score([0.2, 0.5, 0.3], 0)), 4)
    0.73
    >>> round(float(ranked_probability_score([0.2, 0.5, 0.3], 1)), 4)
    0.13
    """
    p, o = _checked(probabilities, outcome)
    cumulative = np.cumsum(p, axis=-1)[..., :-1]
    happened = (np.arange(p.shape[-1] - 1) >= o[..., np.newaxis]).astype(float)
    return np.sum((cumulative - happened) ** 2, axis=-1)[()]


def score(question: Question, evidence: Evidence) -> Score:
    """Brier and log scores of a resolved question's forecasts, against the priors.

    Parameters
    ----------
    question : Question
        A question with a ``resolution``.
    evidence : EvidenceLog, iterable of EvidenceRow, or CompiledEvidence
        Reports dated after the resolution date are ignored. A compile of this
        question as of the resolution date is used as it is (see
        :func:`~forecast.engine.compile_evidence`).

    Returns
    -------
    Score
        See :class:`Score` for the definitions; lower Brier and log scores are better.

    Raises
    ------
    ValueError
        If the question has no resolution, or it names no scenario of the question,
        or it is dated before the question opened.

    References
    ----------
    G. W. Brier, "Verification of forecasts expressed in terms of probability",
    Monthly Weather Review 78 (1950) 1-3.

    Examples
    --------
    >>> from datetime import date
    >>> from forecast import Resolution, load_evidence, load_question
    >>> from dataclasses import replace
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> q = replace(q, resolution=Resolution("partial", date(2025, 3, 1)))
    >>> s = score(q, load_evidence("data/evidence/russia-syria-bases.csv", q))
    >>> round(s.brier_final, 3), round(s.brier_prior, 3), round(s.skill_final, 2)
    (0.071, 0.545, 0.87)
    """
    resolution = question.resolution
    if resolution is None:
        raise ValueError(
            f"question {question.id!r} has no resolution; scoring needs a resolved question "
            "(a resolution with the scenario that happened and its date)"
        )
    ids = question.scenario_ids
    if resolution.scenario not in ids:
        raise ValueError(
            f"question {question.id!r} resolved as {resolution.scenario!r}, which is not a scenario; "
            f"expected one of {', '.join(ids)}"
        )
    if resolution.date < question.opened:
        raise ValueError(
            f"question {question.id!r} resolved on {resolution.date}, before it opened on {question.opened}"
        )
    compiled = compile_evidence(question, evidence, resolution.date)
    prior = np.array([s.prior for s in question.scenarios])
    daily = compiled.daily_trajectory().probabilities
    return score_forecasts(question, daily, eve_forecast(daily, prior), prior)


def eve_forecast(daily: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """The forecast the final scores score: that of the eve of the resolution date.

    ``daily`` is the forecast of each day from the opening to the resolution date
    inclusive; the eve is the day before the last. A question that resolved the day
    it opened has no eve: the priors stand for it. No report dated on or after the
    resolution date enters it (docs/record.md).

    Examples
    --------
    >>> eve_forecast(np.array([[0.5, 0.5], [0.7, 0.3], [1.0, 0.0]]), np.array([0.5, 0.5])).tolist()
    [0.7, 0.3]
    """
    return daily[-2] if len(daily) >= 2 else prior


def score_forecasts(question: Question, daily: np.ndarray, final: np.ndarray, prior: np.ndarray) -> Score:
    """The :class:`Score` of given forecasts of a resolved question: what :func:`score` reports.

    Parameters
    ----------
    question : Question
        A question with a valid ``resolution`` (as :func:`score` checks).
    daily : ndarray, shape (days, scenarios)
        The forecast of each day scored, in the question's scenario order.
    final : ndarray, shape (scenarios,)
        The forecast as of the resolution date.
    prior : ndarray, shape (scenarios,)
        The forecast before any evidence, which the skills compare with.

    Returns
    -------
    Score
    """
    resolution = question.resolution
    ids = question.scenario_ids
    resolved = ids.index(resolution.scenario)
    brier_prior = float(brier_score(prior, resolved))
    brier_final = float(brier_score(final, resolved))
    brier_daily = float(brier_score(daily, resolved).mean())
    skill = (lambda b: 1.0 - b / brier_prior) if brier_prior > 0 else (lambda b: math.nan)
    return Score(
        question=question.id,
        resolved=resolution.scenario,
        resolution_date=resolution.date,
        days=len(daily),
        brier_final=brier_final,
        brier_daily=brier_daily,
        brier_prior=brier_prior,
        log_final=float(log_score(final, resolved)),
        log_daily=float(log_score(daily, resolved).mean()),
        log_prior=float(log_score(prior, resolved)),
        skill_final=skill(brier_final),
        skill_daily=skill(brier_daily),
        rps_final=float(ranked_probability_score(final, resolved)) if question.ordered else None,
        rps_daily=float(ranked_probability_score(daily, resolved).mean()) if question.ordered else None,
    )


def score_published(
    question: Question, published: Iterable[tuple[date, Mapping[str, float]]], prior: np.ndarray
) -> Score:
    """The :class:`Score` of the forecasts a resolved question published: its track record.

    Each publication, given by its as-of date and its probabilities, stands from that
    date until the next published date; the days from the opening before the first
    publication are scored at ``prior``. The daily scores run from the opening to the
    resolution date inclusive, as :func:`score`'s; the final scores score the eve's
    standing forecast (:func:`eve_forecast`), so a publication dated on or after the
    resolution date never enters them. Publications whose scenarios are not the
    question's are left out.

    Parameters
    ----------
    question : Question
        A question with a valid ``resolution``.
    published : iterable of (date, mapping)
        The forecasts as first published (each as-of date's revision 1).
    prior : ndarray, shape (scenarios,)
        The forecast before any publication, in the question's scenario order.

    Examples
    --------
    >>> from forecast.model import Resolution, Scenario
    >>> q = Question("q", "t", "?", date(2024, 1, 1), date(2024, 1, 9),
    ...              (Scenario("a", "A", 0.5), Scenario("b", "B", 0.5)), (),
    ...              resolution=Resolution("a", date(2024, 1, 4)))
    >>> s = score_published(q, [(date(2024, 1, 2), {"a": 0.8, "b": 0.2}), (date(2024, 1, 4), {"a": 1.0, "b": 0.0})],
    ...                     np.array([0.5, 0.5]))
    >>> round(s.brier_final, 2), s.days  # the eve, 2024-01-03, stood at the publication of 2024-01-02
    (0.08, 4)
    """
    resolution = question.resolution
    ids = question.scenario_ids
    usable = sorted(
        ((day, [float(p[s]) for s in ids]) for day, p in published if set(p) == set(ids)), key=lambda x: x[0]
    )
    days = (resolution.date - question.opened).days + 1
    daily = np.empty((max(days, 1), len(ids)))
    standing, k = np.asarray(prior, dtype=float), 0
    for offset in range(len(daily)):
        day = question.opened + timedelta(days=offset)
        while k < len(usable) and usable[k][0] <= day:
            standing = np.array(usable[k][1])
            k += 1
        daily[offset] = standing
    return score_forecasts(question, daily, eve_forecast(daily, prior), prior)


@dataclass(frozen=True, slots=True)
class CalibrationBins:
    """Forecast probabilities binned against how often the outcome happened.

    Bin ``k`` covers ``[edges[k], edges[k + 1])``, the last one closed on the
    right. ``count[k]`` forecasts fell in it, with mean ``mean_predicted[k]``, and
    ``frequency[k]`` of them happened; both are NaN for an empty bin.
    """

    edges: np.ndarray
    count: np.ndarray
    mean_predicted: np.ndarray
    frequency: np.ndarray


def calibration_bins(
    forecasts: Sequence[tuple[float, bool]] | np.ndarray,
    bins: int = 10,
    *,
    outcomes: Sequence[bool] | np.ndarray | None = None,
) -> CalibrationBins:
    """Calibration table: predicted probability bins against observed frequency.

    Parameters
    ----------
    forecasts : sequence of (probability, happened) pairs, or array
        The pairs (an ``(n, 2)`` array works too); or, with ``outcomes``, the
        probabilities alone.
    bins : int, default 10
        Number of equal-width bins on [0, 1].
    outcomes : sequence of bool or array, optional
        Whether each forecast outcome happened, when ``forecasts`` holds only the
        probabilities.

    Returns
    -------
    CalibrationBins

    Raises
    ------
    ValueError
        If a probability is outside [0, 1], an outcome is not true/false (1/0),
        the lengths differ, or ``bins`` is not a whole number of at least 1.

    Examples
    --------
    >>> table = calibration_bins([(0.1, False), (0.15, True), (0.8, True), (1.0, True)], bins=2)
    >>> table.count.tolist(), table.frequency.tolist()
    ([2, 2], [0.5, 1.0])
    """
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a whole number of at least 1, got {bins!r}")
    if outcomes is None:
        pairs = np.asarray(forecasts, dtype=float)
        if pairs.size == 0:
            pairs = pairs.reshape(0, 2)
        if pairs.ndim != 2 or pairs.shape[1] != 2:
            raise ValueError("forecasts must be (probability, happened) pairs, or pass outcomes= separately")
        probability, happened = pairs[:, 0], pairs[:, 1]
    else:
        probability = np.asarray(forecasts, dtype=float).ravel()
        happened = np.asarray(outcomes, dtype=float).ravel()
        if probability.shape != happened.shape:
            raise ValueError(
                f"expected one outcome per forecast, got {len(probability)} forecasts and {len(happened)} outcomes"
            )
    if not np.all((probability >= 0) & (probability <= 1)):
        raise ValueError("forecast probabilities must be between 0 and 1")
    if not np.all((happened == 0) | (happened == 1)):
        raise ValueError("outcomes must be true or false (1 or 0)")
    edges = np.arange(bins + 1) / bins
    # Against the edges themselves, so that 0.3 lands in [0.3, 0.4) although 0.3 * 10 != 3 exactly.
    index = np.minimum(np.searchsorted(edges, probability, side="right") - 1, bins - 1)
    count = np.bincount(index, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_predicted = np.bincount(index, weights=probability, minlength=bins) / count
        frequency = np.bincount(index, weights=happened, minlength=bins) / count
    return CalibrationBins(edges=edges, count=count, mean_predicted=mean_predicted, frequency=frequency)


def calibration_points(
    questions_with_evidence: Iterable[tuple[Question, Evidence]],
) -> list[tuple[float, bool]]:
    """(probability, happened) pairs from every scenario of every resolved question.

    Each resolved question gives one pair per scenario: its final forecast, as
    of the resolution date, and whether that scenario is the one that happened.
    Final rather than daily forecasts, so that a long-open question does not
    outweigh a short one with many near-identical days. Unresolved questions are
    skipped.

    Parameters
    ----------
    questions_with_evidence : iterable of (Question, evidence)

    Returns
    -------
    list of (float, bool)
        In the order given, scenarios in question order; ready for
        :func:`calibration_bins`.

    Examples
    --------
    >>> from datetime import date
    >>> from dataclasses import replace
    >>> from forecast import Resolution, load_evidence, load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> q = replace(q, resolution=Resolution("partial", date(2025, 3, 1)))
    >>> log = load_evidence("data/evidence/russia-syria-bases.csv", q)
    >>> [(round(p, 2), happened) for p, happened in calibration_points([(q, log)])]
    [(0.07, False), (0.79, True), (0.15, False)]
    """
    points = []
    for question, evidence in questions_with_evidence:
        if question.resolution is None:
            continue
        compiled = compile_evidence(question, evidence, question.resolution.date)
        final = softmax(compiled.final_log_posterior()).tolist()
        points.extend((p, s == question.resolution.scenario) for s, p in zip(question.scenario_ids, final))
    return points
