"""A question's forecast as of a date, compiled once, and every analysis of it.

:func:`assess` compiles a question's evidence as of a date once
(:class:`~forecast.engine.CompiledEvidence`) and returns an :class:`Assessment`
that reads everything off that one compile: the probabilities, the indicator
states, the audit trail and the trajectory, and the analyses (uncertainty
ranges, critical evidence, what to watch, the score), each computed the first
time it is asked for and kept for the same arguments. ``a.frames`` shows it all
as pandas DataFrames (:mod:`forecast.frames`; pandas is imported only then).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from . import analysis
from .engine.compiled import CompiledEvidence, Evidence, compile_evidence
from .engine.dates import as_of_date
from .engine.frozen import read_only
from .engine.results import AuditEntry, ChecklistItem, IndicatorState, Trajectory
from .engine.rule import softmax
from .model import Question

if TYPE_CHECKING:  # pandas is imported by forecast.frames only
    from .frames import Frames

__all__ = ["Assessment", "assess"]

T = TypeVar("T")


class Assessment:
    """A question's forecast as of a date, and everything that explains it.

    Built from one :class:`~forecast.engine.CompiledEvidence` (``compiled``); the
    constructor only keeps it, and every number is computed the first time it is
    read and then kept. The analyses that take arguments are kept once per
    distinct arguments. Treat it as read-only.

    Parameters
    ----------
    compiled : CompiledEvidence
        The question's evidence compiled as of the date (:func:`assess` makes it).

    Attributes
    ----------
    question : Question
    as_of : date
    compiled : CompiledEvidence
    """

    def __init__(self, compiled: CompiledEvidence) -> None:
        self.compiled = compiled
        self.question: Question = compiled.question
        self.as_of: date = compiled.as_of
        self._kept: dict[Hashable, Any] = {}

    def __repr__(self) -> str:
        return f"<Assessment of {self.question.id!r} as of {self.as_of.isoformat()}>"

    def _once(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, the first time ``key`` is asked for; the same object after."""
        if key not in self._kept:
            self._kept[key] = compute()
        return self._kept[key]

    # ------------------------------------------------------------------ the forecast

    @cached_property
    def probabilities(self) -> Mapping[str, float]:
        """Scenario id to probability as of the date (the values sum to 1); read-only."""
        return read_only(self.compiled.probabilities())

    @cached_property
    def uncalibrated_probabilities(self) -> Mapping[str, float] | None:
        """The probabilities under the rule as stated (temper 1), where the question is tempered; else ``None``.

        See docs/calibration.md: a question takes its ``temper`` from its file or from the
        data folder's ``calibration.yaml``.
        """
        from .inputs.calibration import uncalibrated

        if not self.question.tempered:
            return None
        return read_only(
            compile_evidence(uncalibrated(self.question), self.compiled.evidence, self.as_of).probabilities()
        )

    @property
    def priors(self) -> Mapping[str, float]:
        """Scenario id to probability before any evidence: the question's priors; read-only."""
        return read_only({s.id: s.prior for s in self.question.scenarios})

    @cached_property
    def states(self) -> Mapping[str, IndicatorState]:
        """Each indicator's state as of the date, by id in question order; read-only."""
        return read_only(self.compiled.indicator_states())

    @cached_property
    def audit(self) -> tuple[AuditEntry, ...]:
        """Every report of the log, in file order, with its weight, role and effect.

        Reports dated after the date are listed as ``"after as-of"``, with no effect.
        """
        return self.audited.audit_trail(self.effects)

    @property
    def audited(self) -> CompiledEvidence:
        """The compile whose weights, roles and order the audit shows: ``compiled`` (a team's: its first analyst's).

        Its ``rows`` are the counted reports in file order, the rows of :attr:`effects`.
        """
        return self.compiled

    @cached_property
    def effects(self) -> np.ndarray:
        """The audit's effects as one array: each counted report's change of each probability, in points.

        One row per counted report in file order (``audited.rows``), one column per
        scenario in question order; ``audit`` holds the same numbers report by report.
        """
        effects = self.compiled.effects()
        effects.flags.writeable = False
        return effects

    def audit_entries(self, positions: Sequence[int]) -> list[AuditEntry]:
        """``[audit[k] for k in positions]``, building only those entries (a long log's page shows a few)."""
        if "audit" in self.__dict__:
            return [self.audit[k] for k in positions]
        return self.audited.audit_entries(positions, self.effects)

    @cached_property
    def trajectory(self) -> Trajectory:
        """The daily probabilities from the question's opening (or the date, if earlier) to the date."""
        return self.compiled.daily_trajectory()

    @property
    def evidence_counted(self) -> int:
        """How many reports are dated on or before the date (and so counted)."""
        return self.compiled.n

    @property
    def latest_report(self) -> date | None:
        """The date of the latest report counted (dated on or before ``as_of``), if any."""
        return self.compiled.latest_report

    @property
    def evidence_age_days(self) -> int | None:
        """How old the latest counted report is at ``as_of``, in days (``None`` without evidence)."""
        return None if self.latest_report is None else (self.as_of - self.latest_report).days

    @property
    def stale(self) -> bool:
        """Whether the latest counted report is older than the question's ``stale_after_days`` at ``as_of``."""
        age = self.evidence_age_days
        return age is not None and age > self.question.stale_after_days

    @property
    def closed_unresolved(self) -> bool:
        """Whether ``as_of`` is past the question's ``closes`` date and it has no resolution."""
        return self.question.resolution is None and self.as_of > self.question.closes

    @property
    def leading(self) -> str:
        """The id of the most probable scenario (the first one listed, on a tie)."""
        return max(self.question.scenario_ids, key=lambda s: self.probabilities[s])

    @property
    def tripwires_fired(self) -> tuple[str, ...]:
        """Ids of tripwire indicators observed as of the date."""
        return tuple(
            i.id for i in self.question.indicators if i.tripwire and self.states[i.id].status is True
        )

    def checklist(self, scenario_id: str) -> list[ChecklistItem]:
        """The indicators that signal ``scenario_id``, in question order.

        Each with its diagnosticity, ``P(observed | scenario)`` over the prior-weighted
        ``P(observed | any other scenario)``, with this view's priors and likelihoods.
        """
        priors = self.priors
        rest = [s for s in priors if s != scenario_id]
        items = []
        for ind in self.question.indicators:
            if ind.signals != scenario_id:
                continue
            likelihood = self.likelihood(ind.id)
            elsewhere = sum(priors[s] * likelihood[s] for s in rest) / sum(priors[s] for s in rest)
            items.append(ChecklistItem(self.states[ind.id], likelihood[scenario_id] / elsewhere))
        return items

    def likelihood(self, indicator: str) -> Mapping[str, float]:
        """``P(observed | scenario)`` of an indicator in this view: the question's (a team's: the analysts' mean)."""
        return self.question.indicator(indicator).likelihood

    # ------------------------------------------------------------------ the analyses

    def intervals(self, draws: int = 2000, seed: int = analysis.DEFAULT_SEED) -> analysis.Intervals:
        """5th-95th percentiles of each scenario's probability over the ranged likelihoods.

        See :func:`forecast.analysis.intervals`; kept per ``(draws, seed)``.
        """
        return self._once(
            ("intervals", draws, seed),
            lambda: analysis.intervals(self.question, self.compiled, self.as_of, draws=draws, seed=seed),
        )

    def trajectory_band(
        self, draws: int = 2000, seed: int = analysis.DEFAULT_SEED
    ) -> analysis.TrajectoryBand:
        """The daily trajectory with its 5th-95th percentile band.

        See :func:`forecast.analysis.trajectory_intervals`; kept per ``(draws, seed)``.
        """
        return self._once(
            ("trajectory_band", draws, seed),
            lambda: analysis.trajectory_intervals(
                self.question, self.compiled, self.as_of, draws=draws, seed=seed
            ),
        )

    # The analyses below read the view's forecast through ``models`` and ``pool``: one model's
    # numbers as they are, a team's pooled (forecast.team). Every number is that view's.

    @property
    def models(self) -> tuple[CompiledEvidence, ...]:
        """The compiles whose forecasts make this view's forecast: here, ``compiled`` alone.

        A team's are its analysts' (:class:`forecast.team.TeamAssessment`). They share the
        evidence, so their reports, statuses, windows and groups are the same.
        """
        return (self.compiled,)

    def pool(self, forecasts: np.ndarray) -> np.ndarray:
        """This view's forecast from its models' ``(models, ..., scenarios)``: here, the one model's."""
        return forecasts[0]

    def pool_chances(self, chances: np.ndarray) -> np.ndarray:
        """This view's chance of a report under each scenario from its models' ``(models, ..., scenarios)``."""
        return chances[0]

    def _now(self) -> np.ndarray:
        return self.pool(np.stack([softmax(c.final_log_posterior()) for c in self.models]))

    def critical(self, threshold_points: float = 10.0) -> analysis.Influences:
        """The indicators, groups and reports whose removal changes the leader or moves a scenario
        by ``threshold_points`` or more; with ``0``, every one of them.

        The forecast without each is this view's (a team's: the pool of the analysts'
        forecasts without it). See :func:`forecast.analysis.critical_evidence`; kept per threshold.
        """
        return self._once(("critical", float(threshold_points)), lambda: self._critical(threshold_points))

    def _critical(self, threshold_points: float) -> analysis.Influences:
        left_out = [analysis.leave_one_out(c) for c in self.models]
        without = self.pool(np.stack([softmax(x.log_without) for x in left_out]))
        return analysis.critical_items(
            self.question, self.audited, left_out[0], without, self._now(), threshold_points
        )

    @cached_property
    def most_influential(self) -> dict[str, analysis.Influence | None]:
        """Per scenario, the indicator whose removal would move it most, either way (see :func:`forecast.analysis.most_influential`)."""
        counted, without = zip(*(analysis.indicators_left_out(c) for c in self.models))
        pooled = self.pool(np.stack([softmax(w) for w in without]))
        return analysis.influential_items(self.question, counted[0], pooled, self._now())

    def watch(self, top: int | None = None) -> list[analysis.WatchItem]:
        """The indicators still open, most informative first (see :func:`forecast.analysis.watch_list`).

        *If seen*, *if absent* and the information gain are this view's forecasts. The
        full list is computed once; ``top`` keeps its first ``top`` items.
        """
        if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 0):
            raise ValueError(f"top must be a whole number of at least 0 or None, got {top!r}")
        items = self._once(("watch",), self._watch_list)
        return list(items if top is None else items[:top])

    def _watch_list(self) -> list[analysis.WatchItem]:
        arrays = [analysis.watch_arrays(c.question, c, self.as_of) for c in self.models]
        return analysis.watch_items(
            self.question,
            arrays[0],
            self._now(),
            self.pool_chances(np.stack([a.q for a in arrays])),
            self.pool(np.stack([a.if_observed for a in arrays])),
            self.pool(np.stack([a.if_absent for a in arrays])),
        )

    @cached_property
    def score(self) -> analysis.Score | None:
        """The scores against the resolution, once the question has resolved on or before ``as_of``.

        ``None`` before. The forecast scored is the one as of the resolution date (this
        compile itself when ``as_of`` is that date); see :func:`forecast.analysis.score`.
        """
        resolution = self.question.resolution
        if resolution is None or self.as_of < resolution.date:
            return None
        return analysis.score(self.question, self.compiled)

    def comparable(self) -> dict[str, Any]:
        """The numbers another run's ``summary.json`` is compared on (see :func:`forecast.analysis.compare_summaries`)."""
        return {
            "question": self.question.id,
            "as_of": self.as_of.isoformat(),
            "probabilities": dict(self.probabilities),
            "leading": self.leading,
            "evidence_ids": [row.id for row in self.audited.rows],
            "indicator_status": {i: st.status_text for i, st in self.states.items()},
            "tripwires_fired": list(self.tripwires_fired),
        }

    def changes(
        self,
        previous_summary: Mapping[str, Any] | None,
        threshold_points: float | None = None,
        previous_ids: Collection[str] | None = None,
    ) -> analysis.Changes:
        """What changed since a previous run, given that run's ``summary.json`` (``None``: none).

        ``threshold_points`` defaults to the question's ``alert_threshold``. ``previous_ids``
        are the ids the previous run counted, where its summary does not list them (see
        :func:`forecast.analysis.compare_summaries`). Kept per distinct previous summary
        (by its JSON), threshold and ids.
        """
        threshold = self.question.alert_threshold if threshold_points is None else float(threshold_points)
        # In their order, as the reports no longer in the log are listed.
        ids = None if previous_ids is None else tuple(previous_ids)
        key = ("changes", json.dumps(previous_summary, sort_keys=True, default=str), threshold, ids)
        return self._once(
            key,
            lambda: analysis.compare_summaries(
                self.comparable(), previous_summary, threshold_points=threshold, previous_ids=ids
            ),
        )

    # ------------------------------------------------------------------ as tables

    @cached_property
    def frames(self) -> Frames:
        """The assessment as pandas DataFrames (:class:`forecast.frames.Frames`), built when first read."""
        from .frames import Frames

        return Frames(self)


def assess(question: Question, evidence: Evidence, as_of: date | str | None = None) -> Assessment:
    """Everything the suite says about a question as of a date.

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog, iterable of EvidenceRow, or CompiledEvidence
        A compile of this question as of this date is used as it is.
    as_of : date, str, datetime or pandas.Timestamp, optional
        Defaults to today. An ISO string (``"2025-02-20"``) is read as a date; a
        ``datetime`` or ``Timestamp`` is taken as its date (an aware one in its own
        zone); anything else is a ``TypeError``. Reports dated later are listed in
        the audit trail as ``"after as-of"`` and not counted.

    Returns
    -------
    Assessment
        Probabilities, each indicator's state, the audit trail (in file order), the
        daily trajectory from the question's opening to ``as_of``, and the analyses,
        all from one compile of the evidence.

    Examples
    --------
    >>> from datetime import date
    >>> from forecast import load_evidence, load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> a = assess(q, load_evidence("data/evidence/russia-syria-bases.csv", q), date(2025, 3, 1))
    >>> a.leading, [w.indicator for w in a.watch(top=1)]
    ('partial', ['formal-withdrawal-or-termination'])
    """
    return Assessment(compile_evidence(question, evidence, as_of_date(as_of)))
