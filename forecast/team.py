"""Analyst teams: each analyst's forecast, their logarithmic pool, and where they differ.

The team forecast is the logarithmic pool of the N analysts' forecasts,
``team(s) ∝ (Π_i p_i(s))^(a/N)``, computed in log space; ``a`` is the question's
``pool: {extremize: a}`` (default 1, the geometric mean). Each analyst's
forecast is the engine run on the shared evidence with the question overlaid by
that analyst's judgments (:func:`forecast.inputs.judgments.overlay`).

The spread of a scenario is the highest analyst's probability minus the lowest.
A judgment drives the spread by how much the spread, summed over scenarios,
would shrink if its analyst used the question's value instead.

The pool itself is :func:`forecast.engine.pool.log_pool`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property

import numpy as np

from . import analysis
from .assessment import Assessment, assess
from .engine.compiled import CompiledEvidence, Evidence, compile_evidence
from .engine.dates import as_of_date
from .engine.frozen import read_only
from .engine.pool import log_pool, spread
from .engine.results import IndicatorState, Trajectory
from .engine.rule import softmax
from .inputs.judgments import Judgment, JudgmentKey, changed_keys, describe_judgment, overlay
from .model import Question

__all__ = ["AnalystForecast", "SpreadDriver", "TeamAssessment", "TeamForecast"]


@dataclass(frozen=True)
class AnalystForecast:
    """One analyst's judgments, the question as they see it, and its forecast."""

    judgment: Judgment
    question: Question
    assessment: Assessment

    @property
    def analyst(self) -> str:
        return self.judgment.analyst


@dataclass(frozen=True, slots=True)
class SpreadDriver:
    """A judgment an analyst changed, and how much the spread would shrink without it.

    ``shrink`` is in points: the spread summed over scenarios now, minus that sum if
    the analyst used the question's value for this judgment.
    """

    analyst: str
    key: JudgmentKey
    description: str
    shrink: float


class TeamForecast:
    """The analysts' forecasts of one question as of one date, and their pool.

    Parameters
    ----------
    question : Question
        The question file's question (the analysts' judgments are overlaid on it).
    evidence : EvidenceLog, iterable of EvidenceRow, or CompiledEvidence
        The shared evidence log (a compile of it is compiled afresh for each analyst's question).
    judgments : sequence of Judgment
        At least one; from :func:`forecast.inputs.judgments.load_judgments`.
    as_of : date

    Examples
    --------
    >>> from datetime import date
    >>> from forecast.inputs.validate import load_by_id
    >>> from forecast.inputs.judgments import load_judgments
    >>> q, log = load_by_id("data", "russia-syria-bases")
    >>> team = TeamForecast(q, log, load_judgments("data", q), date(2025, 2, 20))
    >>> sorted(team.analyst_probabilities) == [a.analyst for a in team.analysts]
    True
    """

    def __init__(
        self, question: Question, evidence: Evidence, judgments: Sequence[Judgment], as_of: date
    ) -> None:
        if not judgments:
            raise ValueError("a team forecast needs at least one analyst's judgments")
        as_of = as_of_date(as_of)
        self.question, self.evidence, self.as_of = question, evidence, as_of
        self.extremize = question.extremize
        self.analysts = tuple(
            AnalystForecast(j, q, assess(q, evidence, as_of))
            for j, q in ((j, overlay(question, j)) for j in judgments)
        )

    def analyst(self, name: str) -> AnalystForecast:
        """The forecast of the analyst ``name`` (``KeyError`` if there is none)."""
        for a in self.analysts:
            if a.analyst == name:
                return a
        raise KeyError(name)

    # ------------------------------------------------------------------ the pool

    def _matrix(self, probabilities: Sequence[Mapping[str, float]]) -> np.ndarray:
        return np.array([[p[s] for s in self.question.scenario_ids] for p in probabilities], float)

    @cached_property
    def probabilities(self) -> dict[str, float]:
        """The team forecast: the pool of the analysts' forecasts."""
        pooled = log_pool(self._matrix([a.assessment.probabilities for a in self.analysts]), self.extremize)
        return dict(zip(self.question.scenario_ids, pooled.tolist()))

    @cached_property
    def analyst_probabilities(self) -> dict[str, dict[str, float]]:
        """Each analyst's name mapped to their probabilities, scenarios in question order."""
        return {a.analyst: dict(a.assessment.probabilities) for a in self.analysts}

    @cached_property
    def spread(self) -> dict[str, float]:
        """Per scenario, the highest analyst's probability minus the lowest (a fraction, not points)."""
        values = spread(self._matrix([a.assessment.probabilities for a in self.analysts]))
        return dict(zip(self.question.scenario_ids, values.tolist()))

    @cached_property
    def analyst_range(self) -> Mapping[str, tuple[float, float]]:
        """Per scenario, the lowest and the highest analyst's probability (fractions, not points)."""
        matrix = self._matrix([a.assessment.probabilities for a in self.analysts])
        return read_only(
            {
                s: (float(lo), float(hi))
                for s, lo, hi in zip(self.question.scenario_ids, matrix.min(axis=0), matrix.max(axis=0))
            }
        )

    @cached_property
    def trajectory(self) -> Trajectory:
        """The pool of the analysts' trajectories, day by day."""
        first = self.analysts[0].assessment.trajectory
        daily = np.stack([a.assessment.trajectory.probabilities for a in self.analysts])
        return Trajectory(first.dates, first.scenario_ids, log_pool(daily, self.extremize))

    @cached_property
    def assessment(self) -> TeamAssessment:
        """The team's forecast as an :class:`~forecast.Assessment` (see :class:`TeamAssessment`)."""
        return TeamAssessment(self)

    @cached_property
    def priors(self) -> dict[str, float]:
        """The pool of the analysts' priors: the team's forecast before any evidence."""
        priors = [[s.prior for s in a.question.scenarios] for a in self.analysts]
        return dict(zip(self.question.scenario_ids, log_pool(priors, self.extremize).tolist()))

    def pooled_effects(self) -> list[list[float]]:
        """Per report in the rule's order, the change of the pooled forecast in points."""
        return self._pooled_effects().tolist()

    def _pooled_effects(self) -> np.ndarray:
        logs = []
        for a in self.analysts:
            compiled = a.assessment.compiled
            # Row 0 before any report, row k + 1 after the report of rank k.
            logs.append(softmax(np.vstack([compiled.log_prior, compiled.log_after])))
        pooled = log_pool(np.stack(logs), self.extremize)
        return (pooled[1:] - pooled[:-1]) * 100.0

    def intervals(self, draws: int, seed: int) -> analysis.Intervals:
        """The 5th-95th percentiles of the pool of each analyst's Monte Carlo draws, draw by draw."""
        per_analyst = [a.assessment.intervals(draws, seed) for a in self.analysts]
        pooled = log_pool(np.stack([i.draws for i in per_analyst]), self.extremize)
        ids = self.question.scenario_ids
        level = per_analyst[0].level
        low, high = np.percentile(pooled, level, axis=0)
        ranged = max(i.ranged for i in per_analyst)
        if not ranged:
            bounds = {s: (p, p) for s, p in self.probabilities.items()}
        else:
            bounds = {s: (lo, hi) for s, lo, hi in zip(ids, low.tolist(), high.tolist())}
        return analysis.Intervals(
            scenario_ids=ids,
            point=dict(self.probabilities),
            bounds=bounds,
            level=level,
            draws=pooled,
            ranged=ranged,
        )

    # ------------------------------------------------------------------ disagreement

    def drivers(self, limit: int | None = 10) -> list[SpreadDriver]:
        """The judgments that drive the spread most, largest shrink first.

        For each judgment an analyst changed from the question's value, the analyst's
        forecast is recomputed with that one judgment set back to the question's, and
        the spread, summed over scenarios, compared with the spread now.
        """
        ids = self.question.scenario_ids
        current = self._matrix([a.assessment.probabilities for a in self.analysts])
        now = float(spread(current).sum())
        found = []
        for k, a in enumerate(self.analysts):
            for key in changed_keys(self.question, a.judgment):
                reverted = overlay(self.question, a.judgment.without(key))
                # The question file's own compile, when the reverted question is the file's question.
                p = compile_evidence(reverted, self.assessment.compiled, self.as_of).probabilities()
                matrix = current.copy()
                matrix[k] = [p[s] for s in ids]
                shrink = (now - float(spread(matrix).sum())) * 100.0
                found.append(
                    SpreadDriver(a.analyst, key, describe_judgment(self.question, a.judgment, key), shrink)
                )
        found.sort(key=lambda d: (-d.shrink, d.analyst, d.key))
        return found if limit is None else found[:limit]

    def score(self) -> analysis.Score:
        """The team forecast's scores against the resolution (the trajectory up to the resolution date).

        The skills compare with the pool of the analysts' priors. ``as_of`` must be on or
        after the resolution date.
        """
        resolution = self.question.resolution
        if resolution is None or not self.question.opened <= resolution.date <= self.as_of:
            raise ValueError(
                f"question {self.question.id!r} has not resolved between its opening and {self.as_of}"
            )
        days = (resolution.date - self.trajectory.dates[0]).days + 1
        daily = self.trajectory.probabilities[:days]
        prior = np.array([self.priors[s] for s in self.question.scenario_ids])
        return analysis.score_forecasts(self.question, daily, analysis.eve_forecast(daily, prior), prior)


class TeamAssessment(Assessment):
    """The team's forecast as an :class:`~forecast.Assessment` of the question file's question.

    Every number is the team's: the pool of the analysts' forecasts
    (:class:`TeamForecast`). Probabilities, priors, trajectory, intervals and score
    are pooled; each report's effect is the change in the pooled forecast as it is
    applied (the same order for every analyst, as the order depends only on dates,
    grades and rows), so the effects add up to the pooled move from the pooled
    priors. The leave-one-out analyses re-pool the analysts' forecasts without the
    report, indicator or group; *if seen* and *if absent* pool the analysts'
    forecasts after the hypothetical report, the chance of a report is the team's
    forecast times the analysts' mean chance under each scenario, and the
    information gain is the pooled forecast's. The trajectory band is the
    percentiles of the pooled draws. Indicator states do not depend on judgments,
    so they are the question's.

    Parameters
    ----------
    team : TeamForecast
    """

    def __init__(self, team: TeamForecast) -> None:
        # The team's evidence as given: a compile of the question file's question is used as it is.
        super().__init__(compile_evidence(team.question, team.evidence, team.as_of))
        self.team = team

    @property
    def models(self) -> tuple[CompiledEvidence, ...]:
        """Each analyst's compile, in the order of ``team.analysts``."""
        return tuple(a.assessment.compiled for a in self.team.analysts)

    def pool(self, forecasts: np.ndarray) -> np.ndarray:
        """The logarithmic pool of the analysts' forecasts (with the question's ``extremize``)."""
        return log_pool(forecasts, self.team.extremize)

    def pool_chances(self, chances: np.ndarray) -> np.ndarray:
        """The analysts' mean chance of a report under each scenario."""
        return np.mean(chances, axis=0)

    @cached_property
    def probabilities(self) -> Mapping[str, float]:
        return read_only(self.team.probabilities)

    @cached_property
    def uncalibrated_probabilities(self) -> Mapping[str, float] | None:
        """The pool of the analysts' forecasts under the rule as stated (temper 1), where it is tempered."""
        from .inputs.calibration import uncalibrated

        team, question = self.team, self.team.question
        if not question.tempered:
            return None
        judgments = [a.judgment for a in team.analysts]
        return read_only(
            TeamForecast(uncalibrated(question), team.evidence, judgments, team.as_of).probabilities
        )

    @property
    def priors(self) -> Mapping[str, float]:
        return read_only(self.team.priors)

    @cached_property
    def states(self) -> Mapping[str, IndicatorState]:
        base = self.team.analysts[0].assessment
        return read_only({i.id: replace(base.states[i.id], indicator=i) for i in self.question.indicators})

    def likelihood(self, indicator: str) -> Mapping[str, float]:
        """The analysts' mean ``P(observed | scenario)`` of an indicator (the checklists' diagnosticity uses it)."""
        analysts = self.team.analysts
        return {
            s: sum(a.question.indicator(indicator).likelihood[s] for a in analysts) / len(analysts)
            for s in self.question.scenario_ids
        }

    @property
    def audited(self) -> CompiledEvidence:
        # The first analyst's weights and roles (the order is every analyst's), with the pooled effects.
        return self.team.analysts[0].assessment.compiled

    @cached_property
    def effects(self) -> np.ndarray:
        pooled = self.team._pooled_effects()  # in the rule's order: into file order, as the audit lists them
        effects = np.empty_like(pooled)
        effects[self.audited.order] = pooled
        effects.flags.writeable = False
        return effects

    @cached_property
    def trajectory(self) -> Trajectory:
        return self.team.trajectory

    def intervals(self, draws: int = 2000, seed: int = analysis.DEFAULT_SEED) -> analysis.Intervals:
        """The 5th-95th percentiles of the pool of each analyst's Monte Carlo draws, draw by draw."""
        return self._once(("intervals", draws, seed), lambda: self.team.intervals(draws, seed))

    def trajectory_band(
        self, draws: int = 2000, seed: int = analysis.DEFAULT_SEED
    ) -> analysis.TrajectoryBand:
        """The pooled trajectory with the 5th-95th percentiles of the pooled draws, day by day.

        Each analyst's draws after each report day (the draws of :meth:`intervals`, same
        seed) are pooled draw by draw, as the team's intervals are.
        """
        return self._once(("trajectory_band", draws, seed), lambda: self._band(draws, seed))

    def _band(self, draws: int, seed: int) -> analysis.TrajectoryBand:
        per_analyst = [
            analysis.report_day_draws(c.question, c, draws, seed, always=True) for c in self.models
        ]
        report_days = per_analyst[0][0]
        stacked = np.stack(np.broadcast_arrays(*(d for _, d in per_analyst)))
        return analysis.band_by_day(self.trajectory, report_days, self.pool(stacked), (5.0, 95.0))

    @cached_property
    def score(self) -> analysis.Score | None:
        resolution = self.question.resolution
        if resolution is None or self.as_of < resolution.date:
            return None
        return self.team.score()
