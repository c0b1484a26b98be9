"""Scores per forecaster on resolved questions: each analyst's model, the team, outside forecasters.

Every forecaster is scored with the same daily-averaged Brier and log scores as
:func:`forecast.analysis.score`: the mean over the days scored of
``sum_s (f_s - o_s)^2`` and of ``-ln f_resolved``. The model forecasts (each
analyst's and the team's) are scored every day from the question's opening to
its resolution date; an outside forecaster from the day of their first forecast
(or the opening, if later) to the resolution date, each day's forecast being
their last one so far (carried forward). A forecaster's leaderboard score is
the mean over the questions they forecast.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from .analysis.scoring import CalibrationBins, calibration_bins, score_forecasts
from .engine.compiled import Evidence
from .inputs.judgments import Judgment, overlay
from .inputs.outside import OutsideForecasts
from .model import Question

if TYPE_CHECKING:  # imported when called: the team builds on the analyses
    from .team import TeamForecast

__all__ = [
    "MIN_CALIBRATION_POINTS",
    "TEAM",
    "ForecasterScore",
    "LeaderboardRow",
    "calibration_by_forecaster",
    "carried_forward",
    "forecaster_scores",
    "leaderboard",
]

#: The team forecast's name on the leaderboard.
TEAM = "team"
#: A forecaster's calibration is charted from this many (probability, happened) points.
MIN_CALIBRATION_POINTS = 6


@dataclass(frozen=True, slots=True)
class ForecasterScore:
    """One forecaster's daily-averaged scores on one resolved question.

    ``kind`` is ``"team"``, ``"analyst"`` or ``"outside"``; ``final`` is the
    forecast as of the resolution date, for calibration.
    """

    forecaster: str
    kind: str
    question: str
    resolved: str
    days: int
    brier_daily: float
    log_daily: float
    final: dict[str, float]


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    """A forecaster's mean daily Brier and log scores over the questions they forecast.

    ``rank`` is their place among the forecasters scored on the same questions as the
    team (1 is best); ``None`` for one scored on other questions, whose means are not
    comparable and who is listed after the ranked, unranked.
    """

    forecaster: str
    kind: str
    questions: int
    days: int
    brier_daily: float
    log_daily: float
    rank: int | None = None


def carried_forward(
    question: Question, outside: OutsideForecasts, forecaster: str
) -> tuple[date, np.ndarray] | None:
    """A forecaster's daily forecasts up to the resolution date, each their latest so far.

    Returns
    -------
    (date, ndarray) or None
        The first day scored (their first forecast, or the opening if later) and one
        row per day to the resolution date inclusive, scenarios in question order;
        ``None`` when they made no forecast by the resolution date.

    Examples
    --------
    >>> from forecast.model import Resolution, Scenario
    >>> from forecast.inputs.outside import OutsideForecast
    >>> q = Question("q", "t", "?", date(2024, 1, 1), date(2024, 1, 9),
    ...              (Scenario("a", "A", 0.5), Scenario("b", "B", 0.5)), (),
    ...              resolution=Resolution("a", date(2024, 1, 4)))
    >>> log = OutsideForecasts((OutsideForecast(date(2024, 1, 2), "x", {"a": 0.6, "b": 0.4}),
    ...                         OutsideForecast(date(2024, 1, 4), "x", {"a": 0.9, "b": 0.1})))
    >>> start, daily = carried_forward(q, log, "x")
    >>> start, daily[:, 0].tolist()
    (datetime.date(2024, 1, 2), [0.6, 0.6, 0.9])
    """
    end = question.resolution.date
    rows = [r for r in outside.by_forecaster(forecaster) if r.date <= end]
    if not rows:
        return None
    start = max(rows[0].date, question.opened)
    ids = question.scenario_ids
    daily, k = [], 0
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        while k + 1 < len(rows) and rows[k + 1].date <= day:
            k += 1
        daily.append([rows[k].probabilities[s] for s in ids])
    return start, np.array(daily, float)


def _score(question: Question, forecaster: str, kind: str, daily: np.ndarray) -> ForecasterScore:
    prior = np.array([s.prior for s in question.scenarios])
    s = score_forecasts(question, daily, daily[-1], prior)
    return ForecasterScore(
        forecaster=forecaster,
        kind=kind,
        question=question.id,
        resolved=question.resolution.scenario,
        days=s.days,
        brier_daily=s.brier_daily,
        log_daily=s.log_daily,
        final=dict(zip(question.scenario_ids, daily[-1].tolist())),
    )


def forecaster_scores(
    question: Question,
    evidence: Evidence,
    judgments: Sequence[Judgment],
    outside: OutsideForecasts,
    *,
    team: TeamForecast | None = None,
) -> list[ForecasterScore]:
    """Every forecaster's scores on one resolved question: the team, each analyst, each outside forecaster.

    The team forecast is the analysts' logarithmic pool, or the question file's own
    model where there are no judgment files. ``evidence`` may be the question's
    compile as of its resolution date, which the question file's own model then
    reads as it is (see :func:`~forecast.engine.compile_evidence`). ``team``, the
    analysts' forecast as of the resolution date, is built here unless given.
    """
    from .engine.compiled import trajectory
    from .team import TeamForecast

    end = question.resolution.date
    scores = []
    if judgments:
        team = team or TeamForecast(question, evidence, judgments, end)
        scores.append(_score(question, TEAM, "team", _until(team.trajectory.probabilities, question, end)))
        for a in team.analysts:
            daily = _until(a.assessment.trajectory.probabilities, question, end)
            scores.append(_score(overlay(question, a.judgment), f"model: {a.analyst}", "analyst", daily))
    else:
        daily = _until(trajectory(question, evidence, end).probabilities, question, end)
        scores.append(_score(question, TEAM, "team", daily))
    for forecaster in outside.forecasters:
        carried = carried_forward(question, outside, forecaster)
        if carried is not None:
            scores.append(_score(question, forecaster, "outside", carried[1]))
    return scores


def _until(daily: np.ndarray, question: Question, end: date) -> np.ndarray:
    return daily[: (end - question.opened).days + 1]


def leaderboard(scores: Iterable[ForecasterScore]) -> list[LeaderboardRow]:
    """Each forecaster's mean daily Brier and log scores over their questions: the ranked first, best first.

    Means over different questions are not comparable, so only the forecasters scored
    on the same questions as the team (or, without a team, as the forecaster with the
    most questions) are ranked, best (lowest mean daily Brier) first; the others follow,
    unranked, most questions first.

    Examples
    --------
    >>> a = ForecasterScore("team", "team", "q1", "x", 10, 0.2, 0.5, {})
    >>> b = ForecasterScore("team", "team", "q2", "x", 10, 0.4, 0.7, {})
    >>> c = ForecasterScore("poll", "outside", "q1", "x", 5, 0.1, 0.3, {})
    >>> [(r.forecaster, r.questions, r.rank) for r in leaderboard([a, b, c])]
    [('team', 2, 1), ('poll', 1, None)]
    """
    by_forecaster: dict[str, list[ForecasterScore]] = {}
    for s in scores:
        by_forecaster.setdefault(s.forecaster, []).append(s)
    sets = {name: frozenset(s.question for s in items) for name, items in by_forecaster.items()}
    if TEAM in sets:
        reference = sets[TEAM]
    else:
        reference = max(sets.values(), key=lambda q: (len(q), sorted(q)), default=frozenset())
    rows = [
        LeaderboardRow(
            forecaster=name,
            kind=items[0].kind,
            questions=len(items),
            days=sum(s.days for s in items),
            brier_daily=float(np.mean([s.brier_daily for s in items])),
            log_daily=float(np.mean([s.log_daily for s in items])),
        )
        for name, items in by_forecaster.items()
    ]
    ranked = sorted(
        (r for r in rows if sets[r.forecaster] == reference), key=lambda r: (r.brier_daily, r.forecaster)
    )
    others = sorted(
        (r for r in rows if sets[r.forecaster] != reference),
        key=lambda r: (-r.questions, r.brier_daily, r.forecaster),
    )
    return [replace(r, rank=k) for k, r in enumerate(ranked, 1)] + others


def calibration_by_forecaster(
    scores: Iterable[ForecasterScore], bins: int = 5
) -> dict[str, tuple[CalibrationBins, int]]:
    """Per forecaster with at least :data:`MIN_CALIBRATION_POINTS` points, their calibration bins and n.

    Each resolved question gives one point per scenario: the forecaster's final
    forecast of it and whether it happened.
    """
    points: dict[str, list[tuple[float, bool]]] = {}
    for s in scores:
        points.setdefault(s.forecaster, []).extend((p, sid == s.resolved) for sid, p in s.final.items())
    return {
        name: (calibration_bins(pairs, bins), len(pairs))
        for name, pairs in sorted(points.items())
        if len(pairs) >= MIN_CALIBRATION_POINTS
    }
