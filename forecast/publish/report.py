"""The report of one question as of one date: what the notebook shows and summary.json holds.

:class:`Report` gathers the assessment, the previous report's summary and the
analysis, and renders each section as HTML through Jinja templates with
autoescaping on (:mod:`forecast.publish.html`), so text that came from evidence logs is
always shown inert.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .. import analysis
from ..assessment import Assessment, assess
from ..catalog import read_catalog
from ..engine.compiled import CompiledEvidence
from ..engine.results import Trajectory
from ..engine.rule import (
    ROLE_AFTER_AS_OF,
    ROLE_COVERED_EARLIER,
    ROLE_COVERED_LATER,
    ROLE_LABELS,
    ROLE_SETS_STATUS,
    ROLE_SUPERSEDED,
)
from ..inbox.store import unreviewed_count
from ..inputs.judgments import Judgment, judgment_of, load_judgments
from ..inputs.outside import OutsideForecasts, forecasts_path, load_outside_forecasts
from ..inputs.validate import load_by_id, parse_as_of
from ..model import EvidenceLog, Question
from ..store import (
    EVIDENCE_CSV,
    INPUTS_RECORD,
    SUMMARY,
    atomic_write_text,
    atomic_writer,
    json_number,
    report_dir,
)
from ..tables import write_tables
from ..team import TeamForecast
from ..words import grade_words, percent, probability_words
from . import sections
from .brief import Confidence, confidence, shown_span
from .calibrated import calibration_note
from .html import OUTSIDE_CSV, Html, safe_url, shown_text
from .revision import NO_INPUT_CHANGED, Inputs, causes, gather_inputs, read_inputs, read_seen, revised_line
from .summary import (
    COMPACT_ABOVE,
    ChangeRecord,
    ConfidenceRecord,
    CriticalItem,
    ResolutionRecord,
    RevisionRecord,
    ScoreRecord,
    Summary,
    WatchEntry,
    counted_ids,
    previous_report,
    read_summary,
)

__all__ = [
    "OUTSIDE_CSV",
    "REVERSAL_ID",
    "ROLE_LABELS",
    "SHOWN_DRIVERS",
    "SHOWN_OUTSIDE",
    "Html",
    "Report",
    "safe_url",
]
#: How many outside forecasts the page shows, newest first, as the evidence log shows 150 reports.
SHOWN_OUTSIDE = 150
#: How many of the judgments that drive the spread the page shows, largest first.
SHOWN_DRIVERS = 10

#: A pending indicator is named under "what would change it" if a report of it would move the leading
#: scenario by at least this much (one point); the brief says so when none would.
SIGNPOST_AT_LEAST = 0.01
#: The bottom line names the runner-up too when it is within this many points of the leader (as shown).
NEAR_TIE_POINTS = 5
#: The id of the one report "what would change it" adds to a copy of the log to weigh a reversal: a
#: confirmed report of an indicator's other status on the as-of date (never written anywhere).
REVERSAL_ID = "hypothetical-reversal"


class Report:
    """Everything shown about one question as of one date.

    Built from inputs already read; :meth:`load` reads them from a data folder (and
    the previous report from an output folder), as ``update.ipynb`` does. The
    constructor reads and writes nothing; :meth:`write_summary`,
    :meth:`write_evidence_csv` and :meth:`write_frames` write.

    Parameters
    ----------
    question : Question
        The question file's question.
    evidence : EvidenceLog
        Its evidence log.
    as_of : date
    judgments : sequence of Judgment, optional
        The analysts' judgment files of the question (none: the question file's own model).
    outside : OutsideForecasts, optional
        The question's outside forecasts (none by default).
    previous : Summary, optional
        The summary of the report to compare with (:func:`forecast.publish.summary.previous_summary`);
        ``None`` for no comparison.
    previous_folder : str or Path, optional
        The folder of that report: where its summary is compact (a log of more than
        :data:`~forecast.publish.summary.COMPACT_ABOVE` reports), the ids it counted
        are read from the ``evidence.csv`` there, to tell which reports were added since.
        Without it (or without that file) that is unknown, and the page says so.
    alert_threshold : float, optional
        A move of this many percentage points or more is an alert; defaults to
        the question's ``alert_threshold`` (10).
    draws, seed : int
        Monte Carlo draws and seed for the uncertainty intervals (fixed seed:
        the same inputs render the same report).
    watch : int
        How many pending indicators "What to watch next" shows.
    log_newest, log_strongest : int
        A log longer than ``log_newest + log_strongest`` reports is shown in part:
        its ``log_newest`` reports and the ``log_strongest`` others with the
        largest effect on any scenario. The full log is in :data:`EVIDENCE_CSV`.
    analyst : str, optional
        With judgment files, ``None`` or ``""`` shows the team view (the pool of
        every analyst's forecast); an analyst's name shows that analyst's own
        forecast, with the team's beside it.

    Raises
    ------
    ForecastError
        For an ``analyst`` who has no judgment file of this question.
    """

    @classmethod
    def load(
        cls,
        question_id: str,
        as_of: date | str | None = None,
        data_dir: str | Path = "data",
        reports_dir: str | Path | None = None,
        **options: Any,
    ) -> Report:
        """Read a question's files by id, and the report to compare with, then build its :class:`Report`.

        Parameters
        ----------
        question_id : str
            The question's id (its file stem).
        as_of : date or str, optional
            ISO date; ``None`` or ``""`` means today.
        data_dir : str or Path
            The folder with ``questions/``, ``evidence/``, ``judgments/`` and ``forecasts/``.
        reports_dir : str or Path, optional
            Where earlier reports are kept, to compare with the latest one before
            ``as_of``; ``None`` for no comparison.
        **options
            The constructor's keyword arguments (``alert_threshold``, ``draws``, ``seed``,
            ``watch``, ``log_newest``, ``log_strongest``, ``analyst``).

        Raises
        ------
        QuestionFileError, EvidenceFileError, JudgmentFileError, OutsideForecastFileError
            As the loaders do, located as ``FILE:LINE: message``.
        """
        as_of = parse_as_of(as_of)
        question, evidence = load_by_id(data_dir, question_id)
        previous = previous_report(reports_dir, question_id, as_of)
        published = published_inputs = None
        if reports_dir and not options.get("analyst"):  # a revision is of the published (team) view
            folder = report_dir(reports_dir, question_id, as_of)
            published = read_summary(folder / SUMMARY)
            published_inputs = None if published is None else read_inputs(folder)
        return cls(
            question,
            evidence,
            as_of,
            judgments=load_judgments(data_dir, question),
            outside=load_outside_forecasts(forecasts_path(data_dir, question_id), question),
            previous=None if previous is None else previous.summary,
            previous_folder=None if previous is None else previous.folder,
            inputs=gather_inputs(question, evidence, data_dir),
            published=published,
            published_inputs=published_inputs,
            previous_inputs=None if previous is None else read_inputs(previous.folder),
            seen=read_seen(reports_dir, question_id),
            record=_first_publications(reports_dir, question, as_of),
            **{"inbox_unreviewed": unreviewed_count(data_dir, question_id), **options},
        )

    def __init__(
        self,
        question: Question,
        evidence: EvidenceLog,
        as_of: date,
        *,
        judgments: Sequence[Judgment] = (),
        outside: OutsideForecasts | None = None,
        previous: Summary | None = None,
        previous_folder: str | Path | None = None,
        alert_threshold: float | None = None,
        draws: int = 2000,
        seed: int = analysis.DEFAULT_SEED,
        watch: int = 5,
        log_newest: int = 100,
        log_strongest: int = 50,
        analyst: str | None = None,
        inbox_unreviewed: int = 0,
        inputs: Inputs | None = None,
        published: Summary | None = None,
        published_inputs: Inputs | None = None,
        previous_inputs: Inputs | None = None,
        seen: Mapping[tuple[str, str], str] | None = None,
        record: Sequence[tuple[date, Mapping[str, float]]] | None = None,
    ) -> None:
        self.as_of = as_of
        #: Items in the question's news inbox not yet reviewed: said in the key judgments, no number uses it.
        self.inbox_unreviewed = inbox_unreviewed
        self.question, self.evidence = question, evidence
        #: The question file's own question, whatever the view.
        self.base_question = self.question
        self.outside: OutsideForecasts = outside if outside is not None else OutsideForecasts()
        #: The analysts' forecasts and their pool; ``None`` for a question without judgment files.
        self.team: TeamForecast | None = (
            TeamForecast(self.question, self.evidence, judgments, self.as_of) if judgments else None
        )
        self.analyst = analyst or None
        self._judgments = tuple(judgments)
        self.previous = self._previous_report = previous
        self.previous_folder = None if previous_folder is None else Path(previous_folder)
        if self.analyst is not None:
            judgment_of(judgments, self.analyst, question.id)  # or which analysts there are
            own = self.team.analyst(self.analyst)
            self.question, self.assessment = own.question, own.assessment
            self.previous = _as_analyst(self.previous, self.analyst)
        elif self.team is not None:
            self.assessment = self.team.assessment
        else:
            self.assessment = assess(self.question, self.evidence, self.as_of)
        self.alert_threshold = (
            self.question.alert_threshold if alert_threshold is None else float(alert_threshold)
        )
        self.draws, self.seed, self.watch = draws, seed, watch
        self.log_newest, self.log_strongest = log_newest, log_strongest
        self.inputs = inputs
        #: The report already published for this date, which this one would revise (none in an analyst's view).
        self.published = None if self.analyst is not None else published
        self.published_inputs, self.previous_inputs = published_inputs, previous_inputs
        self.seen = dict(seen or {})
        #: Each as-of date's first publication of the question (the track record), for a settled report's eve.
        self.record = list(record or ())

    # ------------------------------------------------------------------ numbers

    def _numbers(self) -> dict[str, Any]:
        a, q = self.assessment, self.question
        return {
            "question": q.id,
            "title": q.title,
            "as_of": a.as_of.isoformat(),
            "probabilities": dict(a.probabilities),
            "leading": a.leading,
            "leading_name": q.scenario(a.leading).name,
            "leading_words": probability_words(a.probabilities[a.leading]),
            "scenario_names": {s.id: s.name for s in q.scenarios},
            "scenario_labels": {s.id: s.label for s in q.scenarios},
            "scenario_order": list(q.scenario_ids),
            "evidence_counted": a.evidence_counted,
            "evidence_ids": self._counted_ids,
            "indicator_status": {i: st.status_text for i, st in a.states.items()},
            "tripwires_fired": list(a.tripwires_fired),
        }

    @cached_property
    def _counted_ids(self) -> list[str]:
        return [row.id for row in self.assessment.audited.rows]

    @cached_property
    def evidence_digest(self) -> str:
        """The digest of the counted reports' ids (:func:`forecast.analysis.evidence_digest`)."""
        return analysis.evidence_digest(self._counted_ids)

    @cached_property
    def changes(self) -> analysis.Changes:
        """What changed since the previous report (moves, new evidence, status changes, alert).

        Where the previous summary is compact, the reports added are found from the ids in
        its ``evidence.csv`` (read only if its digest differs from this report's); if that
        cannot be read, ``evidence_added`` and ``evidence_removed`` are ``None``: unknown.
        """
        previous = None if self.previous is None else self.previous.as_dict()
        ids = None
        if self.previous is not None and not self.previous.ids_listed and self.previous_folder is not None:
            same = (self.previous.evidence_counted, self.previous.evidence_digest) == (
                self.assessment.evidence_counted,
                self.evidence_digest,
            )
            if not same:
                ids = counted_ids(self.previous_folder, self.previous)
        return self.assessment.changes(previous, threshold_points=self.alert_threshold, previous_ids=ids)

    @property
    def moves(self) -> dict[str, float] | None:
        """Each scenario's move in points since the previous report (``None`` if there is none)."""
        return None if self.previous is None else dict(self.changes.moves)

    @property
    def alerts(self) -> list[str]:
        """Scenarios that moved by the alert threshold or more since the previous report, or from what the
        revision this one replaces published (in the question's order).

        None once the question has resolved: a settled question raises no alert.
        """
        if self.score is not None:
            return []
        alerting = set(self.changes.alerting) | set(self.revises.alerts if self.revises else ())
        return [s for s in self.question.scenario_ids if s in alerting]

    # ------------------------------------------------------------------ the record (docs/record.md)

    @property
    def revision(self) -> int:
        """Which publication of this date's report this is: 1 for the first."""
        return 1 if self.published is None else self.published.revision + 1

    @cached_property
    def revision_causes(self) -> list[str]:
        """What changed in the inputs since the revision this one replaces, in words (empty for revision 1)."""
        if self.published is None or self.inputs is None:
            return []
        p = self.published
        found = causes(
            self.published_inputs,
            self.inputs,
            self.seen,
            before_ids=p.evidence_ids if p.ids_listed else None,
            before_temper=p.temper,
        )
        return [c.text for c in found] or [NO_INPUT_CHANGED]

    @cached_property
    def revises(self) -> RevisionRecord | None:
        """The revision this report replaces: what it published, why they differ, what moved past the threshold."""
        if self.published is None:
            return None
        published = self.published.probabilities
        moved = analysis.compare_summaries(
            {"probabilities": dict(self.assessment.probabilities)},
            {"probabilities": published},
            threshold_points=self.alert_threshold,
        ).alerting
        return RevisionRecord(self.published.revision, dict(published), tuple(self.revision_causes), moved)

    @cached_property
    def move_causes(self) -> list[str]:
        """How the forecast is made, changed since the report compared with (the temper, the question file...)."""
        if self.previous is None or self.inputs is None:
            return []
        before = self.previous_inputs
        if before is None:  # an earlier version's report: its summary still says its temper
            found = causes(None, self.inputs, self.seen, before_temper=self._previous_report.temper)
        else:
            found = causes(before, self.inputs, self.seen)
        return [c.text for c in found if c.method]

    @property
    def revised_alert(self) -> str | None:
        """The alert of a revision that moved a scenario past the threshold, in words (else ``None``)."""
        r = self.revises
        if r is None or not r.alerts or self.score is not None:
            return None
        q = self.question
        return revised_line(
            self.as_of.isoformat(), q.scenario_ids, {s.id: s.name for s in q.scenarios},
            r.probabilities, self.assessment.probabilities, r.alerts, r.causes,
        )  # fmt: skip

    @property
    def revision_line(self) -> str | None:
        """The key judgments' line naming the revision (``None`` for revision 1)."""
        r = self.revises
        if r is None:
            return None
        q, now = self.question, self.assessment.probabilities
        moved = [
            f"{s.label} {r.probabilities.get(s.id, 0.0) * 100:.0f}% → {now[s.id] * 100:.0f}%"
            for s in q.scenarios
            if round(r.probabilities.get(s.id, 0.0) * 100) != round(now[s.id] * 100)
        ]
        what = f"; it moved {', '.join(moved)}" if moved else ", with the same probabilities to the percent"
        why = f", after {'; '.join(r.causes)}" if r.causes else ""
        return (
            f"This is revision {self.revision} of the report as of {self.as_of}: it replaces revision "
            f"{r.revision}, which stays published{what}{why}."
        )

    @property
    def team_view(self) -> bool:
        """Whether this report shows the pool of several analysts' forecasts."""
        return self.team is not None and self.analyst is None

    @cached_property
    def intervals(self) -> analysis.Intervals:
        """5th-95th percentile of each scenario's probability over the ranged likelihoods."""
        return self.assessment.intervals(self.draws, self.seed)

    @property
    def ranges_given(self) -> int:
        """How many likelihoods the question gives as a range (every one, with a ``likelihood_spread``)."""
        return sum(len(i.ranges) for i in self.question.indicators)

    @cached_property
    def critical(self) -> list[analysis.Influence]:
        """Indicators and reports whose removal would change the leader or move a scenario 10+ points."""
        return self.assessment.critical()

    @cached_property
    def most_influential(self) -> dict[str, analysis.Influence | None]:
        """Per scenario, the indicator whose removal would lower it most."""
        return self.assessment.most_influential

    @cached_property
    def watch_items(self) -> list[analysis.WatchItem]:
        """Pending indicators ranked by expected information gain."""
        return self.assessment.watch()

    @cached_property
    def score(self) -> analysis.Score | None:
        """Scores of a resolved question, if the resolution date has been reached."""
        return self.assessment.score

    @cached_property
    def resolution(self) -> dict[str, Any] | None:
        """How the question resolved and what the forecast gave it, once resolved (else ``None``).

        ``probability_on_eve`` is the resolved scenario's probability as of the day
        before the resolution date (the prior, if the question resolved the day it
        opened): the forecast before the outcome could be known.
        """
        if self.score is None:
            return None
        r, q = self.question.resolution, self.question
        eve = r.date - timedelta(days=1)
        replayed = self._eve_probabilities()
        p_eve, brier_final, eve_published, replayed_on_eve = (
            replayed[r.scenario], self.score.brier_final, None, None,
        )  # fmt: skip
        standing = self.published_eve
        if standing is not None:  # the eve as published: the record, not today's replay (docs/record.md)
            eve_published = standing[0].isoformat()
            p_eve = standing[1][r.scenario]
            brier_final = float(analysis.brier_score([standing[1][s] for s in q.scenario_ids],
                                                     q.scenario_ids.index(r.scenario)))  # fmt: skip
            replayed_on_eve = None if replayed[r.scenario] == p_eve else replayed[r.scenario]
        return {
            "scenario": r.scenario,
            "name": q.scenario(r.scenario).name,
            "label": q.scenario(r.scenario).label,
            "date": r.date.isoformat(),
            "eve": eve.isoformat(),
            "probability_on_eve": p_eve,
            "note": r.note,
            "brier_final": brier_final,
            "brier_prior": self.score.brier_prior,
            "eve_published": eve_published,
            "replayed_on_eve": replayed_on_eve,
        }

    @cached_property
    def published_eve(self) -> tuple[date, dict[str, float]] | None:
        """The publication standing on the eve of the resolution date, as first published: (as-of date,
        probabilities); ``None`` where none was published by the eve, or no record was given."""
        resolution = self.question.resolution
        if resolution is None or not self.record:
            return None
        eve, ids = resolution.date - timedelta(days=1), set(self.question.scenario_ids)
        standing = [(d, dict(p)) for d, p in self.record if d <= eve and set(p) == ids]
        return max(standing, key=lambda x: x[0]) if standing else None

    # ------------------------------------------------------------------ calibration (docs/calibration.md)

    @property
    def uncalibrated_probabilities(self) -> dict[str, float] | None:
        """The forecast under the rule as stated (temper 1), where this one is tempered; else ``None``."""
        plain = self.assessment.uncalibrated_probabilities
        return None if plain is None else dict(plain)

    @cached_property
    def calibration_note(self) -> str | None:
        """What the bottom line and the probabilities say about the temper (``None`` at temper 1)."""
        return calibration_note(self.question, self.uncalibrated_probabilities)

    # ------------------------------------------------------------------ /calibration

    @property
    def previous_replaced(self) -> bool:
        """Whether the comparison is with the report of the same date, which this one replaces."""
        return self.previous is not None and self.previous.as_of == self.as_of.isoformat()

    def summary_record(self) -> Summary:
        """The numbers of this report, as written to ``summary.json`` (:mod:`forecast.publish.summary`)."""
        c = self.changes
        a = self.assessment
        n = self._numbers()
        settled = self.score is not None
        return Summary(
            question=n["question"],
            title=n["title"],
            as_of=n["as_of"],
            probabilities=n["probabilities"],
            leading=n["leading"],
            leading_name=n["leading_name"],
            leading_words=n["leading_words"],
            scenario_names=n["scenario_names"],
            scenario_labels=n["scenario_labels"],
            scenario_order=tuple(n["scenario_order"]),
            evidence_counted=n["evidence_counted"],
            # A long log's summary stays small: its count and digest, the ids in evidence.csv.
            evidence_ids=() if n["evidence_counted"] > COMPACT_ABOVE else tuple(n["evidence_ids"]),
            evidence_digest=self.evidence_digest,
            indicator_status=n["indicator_status"],
            tripwires_fired=tuple(n["tripwires_fired"]),
            latest_report_date=None if a.latest_report is None else a.latest_report.isoformat(),
            evidence_age_days=a.evidence_age_days,
            stale_after_days=self.question.stale_after_days,
            stale=a.stale and not settled,  # a settled question's evidence cannot go stale
            closes=self.question.closes.isoformat(),
            closed_unresolved=a.closed_unresolved,
            ranges_given=self.ranges_given,
            intervals={s: (b[0], b[1]) for s, b in self.intervals.bounds.items()},
            critical_evidence=tuple(
                CriticalItem(i.kind, i.id, i.indicator, dict(i.change), i.leading_without, i.leader_changes)
                for i in self.critical
            ),
            most_influential={s: (i.indicator if i else None) for s, i in self.most_influential.items()},
            most_influential_move={s: (i.change[s] if i else None) for s, i in self.most_influential.items()},
            priors=dict(a.priors),
            confidence=None if settled else self._confidence_record(),
            watch=tuple(
                WatchEntry(
                    w.indicator,
                    w.p_reported,
                    w.not_yet,
                    w.information_bits,
                    dict(w.if_observed),
                    dict(w.if_absent),
                )
                for w in ([] if settled else self.watch_items[: self.watch])
            ),
            moves=self.moves,
            changes=None
            if self.previous is None
            else ChangeRecord(
                previous_as_of=c.previous_as_of,
                evidence_added=None if c.evidence_added is None else tuple(c.evidence_added),
                evidence_removed=None if c.evidence_removed is None else tuple(c.evidence_removed),
                status_changes={i: (v[0], v[1]) for i, v in c.status_changes.items()},
                tripwires_newly_fired=tuple(c.tripwires_fired),
                leader_changed=c.leader_changed,
                previous_replaced=self.previous_replaced,
                causes=tuple(self.move_causes),
            ),
            alert_threshold=self.alert_threshold,
            alert=bool(self.alerts),
            alerts=tuple(self.alerts),
            score=None if self.score is None else ScoreRecord(**_score_dict(self.score)),
            resolution=None if self.resolution is None else ResolutionRecord(**self.resolution),
            # One level: no chain of every earlier report.
            previous=None if self.previous is None else self.previous.as_previous(),
            temper=self.question.temper,
            uncalibrated_probabilities=self.uncalibrated_probabilities,
            inbox_unreviewed=self.inbox_unreviewed,
            revision=self.revision,
            revises=self.revises,
            **self._team_numbers(),
        )

    def _confidence_record(self) -> ConfidenceRecord:
        c = self.confidence
        return ConfidenceRecord(c.level, c.concern_names, dict(c.figures))

    def summary(self) -> dict[str, Any]:
        """The numbers of this report, as JSON data: :meth:`summary_record` as ``summary.json`` holds it."""
        return self.summary_record().as_dict()

    def _team_numbers(self) -> dict[str, Any]:
        # Only with judgment files, so that a question without them keeps its summary as it was.
        if self.team is None:
            return {}
        numbers: dict[str, Any] = {"analysts": self.team.analyst_probabilities}
        if self.analyst is not None:
            numbers["analyst"] = self.analyst
            numbers["team_probabilities"] = dict(self.team.probabilities)
        return numbers

    def write_summary(self, path: str | Path = "summary.json") -> Path:
        """Write :meth:`summary_record` as ``summary.json``, and the full evidence log beside it.

        Both are written atomically (the log by :meth:`write_evidence_csv`); returns the summary's path.
        """
        path = Path(path)
        self.write_evidence_csv(path.with_name(EVIDENCE_CSV))
        if self.outside.as_of(self.as_of):
            self.write_outside_csv(path.with_name(OUTSIDE_CSV))
        if self.inputs is not None:
            atomic_write_text(path.with_name(INPUTS_RECORD), self.inputs.to_json())
        atomic_write_text(path, self.summary_record().to_json())
        return path

    def write_frames(self, folder: str | Path = ".") -> list[Path]:
        """Write the report's main tables as CSV into ``folder``, beside ``summary.json``.

        ``scenarios.csv``, ``trajectory.csv``, ``effects.csv`` and ``checklist.csv``
        (:func:`forecast.tables.write_tables`, with this report's draws and seed), for
        spreadsheet users; the same bytes as :meth:`forecast.frames.Frames.write_csv`
        without importing pandas. Each is written atomically, and the same inputs give
        the same bytes. Returns their paths.
        """
        return write_tables(self.assessment, folder, self.draws, self.seed)

    # ------------------------------------------------------------------ sections

    def _scenario_rows(self) -> list[dict[str, Any]]:
        a = self.assessment
        return [
            {
                "id": s.id,
                "name": s.name,
                "label": s.label,
                "description": s.description,
                "probability": a.probabilities[s.id],
                # The forecast's starting point: a team's is the pool of its analysts' priors.
                "prior": a.priors[s.id],
                "move": None if self.moves is None else self.moves.get(s.id, 0.0),
                "alert": s.id in self.alerts,
                # Moved past the threshold since the report compared with (a revision's own alert aside).
                "move_alert": self.score is None and s.id in self.changes.alerting,
                "interval": self.intervals.bounds[s.id],
            }
            # One order everywhere, the question file's, so a scenario keeps its place as it rises and falls.
            for s in self.question.scenarios
        ]

    def bottom_line(self) -> Html:
        """Bottom line up front: leading scenario, its probability and words, the move since last time."""
        return self.build_bottom_line().render()

    def build_bottom_line(self) -> sections.BottomLine:
        """The data of :meth:`bottom_line`."""
        a = self.assessment
        tripwires = [self.question.indicator(i) for i in a.tripwires_fired]
        return sections.BottomLine(
            question=self.question,
            as_of=a.as_of,
            leading=self.question.scenario(a.leading),
            p=a.probabilities[a.leading],
            scenarios=self._scenario_rows(),
            previous=self.previous,
            moves=self.moves,
            alerts=self.alerts,
            threshold=self.alert_threshold,
            tripwires=[(t, a.states[t.id].latest) for t in tripwires],
            counted=a.evidence_counted,
            resolution=self.resolution,
            replaced=self.previous_replaced,
            team=self._team_line(),
            latest=a.latest_report,
            age=a.evidence_age_days,
            stale=a.stale and self.score is None,
            closed_unresolved=a.closed_unresolved,
            calibration=self.calibration_note,
            key_judgments=self.build_key_judgments(),
            revised=self.revised_alert,
            latest_report=self._latest_counted(),
        )

    def _latest_counted(self) -> dict[str, Any] | None:
        """The latest report whose role is *counted* (not a repeat, not one overtaken), and the newest report
        when that is another: what "the latest counted" names."""
        audited = self.assessment.audited
        rows, roles = audited.rows, audited.role.tolist()
        counted = [k for k, role in enumerate(roles) if role == ROLE_SETS_STATUS]
        if not counted:
            return None
        latest = max(counted, key=lambda k: (rows[k].date, k))
        newest = max(range(len(rows)), key=lambda k: (rows[k].date, k))
        row = rows[latest]
        return {
            "id": row.id,
            "source": row.source,
            "date": row.date,
            "age": (self.assessment.as_of - row.date).days,
            "newest": None if newest == latest or rows[newest].date == row.date else rows[newest],
            "newest_role": ROLE_LABELS.get(roles[newest], roles[newest]),
        }

    # ------------------------------------------------------------------ key judgments

    def build_key_judgments(self) -> sections.KeyJudgments:
        """The brief that opens the report (docs/key-judgments.md), rendered by :meth:`bottom_line`."""
        a, q = self.assessment, self.question
        leading = q.scenario(a.leading)
        settled = self.resolution is not None
        movers, since = ([], None) if settled else self._movers()
        signposts = [] if settled else self._signposts()
        # The grades the brief shows: its movers', a flagged reversal's, and the A1 its signposts assume.
        shown = {m.grade for m in movers} | self._overturn_grades() | ({"A1"} if signposts else set())
        return sections.KeyJudgments(
            as_of=a.as_of,
            opened=q.opened,
            closes=q.closes,
            days_left=(q.closes - a.as_of).days,
            leading=leading,
            scenarios=self._scenario_rows(),
            confidence=None if settled else self.confidence,
            movers=movers,
            movers_since=since,
            signposts=signposts,
            analysts=self.analysts_range,
            outside_line=None if settled else self._outside_line(),
            resolution=self.resolution,
            eve_probabilities=self._eve_as_shown() if settled else None,
            runner_up=None if settled else self._runner_up(),
            criteria=[(s.name, s.description or None) for s in q.scenarios],
            grades=[(g, grade_words(g)) for g in sorted(shown)],
            outside_range=[] if settled else self._outside_range(),
            extremize=None if self.team is None else self.team.extremize,
            overturned=None if settled else self._overturned(),
            near_tie_points=NEAR_TIE_POINTS,
            inbox_unreviewed=0 if settled else self.inbox_unreviewed,
            revision=self.revision_line,
            method_changes=[] if settled else self.move_causes,
        )

    def _runner_up(self) -> dict[str, Any] | None:
        """The scenario next to the leader, where they are within :data:`NEAR_TIE_POINTS` as the page shows them."""
        a = self.assessment
        rows = sorted(self._scenario_rows(), key=lambda r: -r["probability"])
        if len(rows) < 2:
            return None
        lead, second = rows[0], rows[1]
        if round(lead["probability"] * 100) - round(second["probability"] * 100) > NEAR_TIE_POINTS:
            return None
        return second if lead["id"] == a.leading else None

    def _outside_range(self) -> list[dict[str, Any]]:
        """In the team view, the scenarios whose pooled figure is outside the analysts' lowest–highest, as shown."""
        ranges = self.analysts_range
        if not ranges:
            return []
        found = []
        for row in self._scenario_rows():
            low, high = ranges[row["id"]]
            shown = round(row["probability"] * 100)
            if shown < round(low * 100) or shown > round(high * 100):
                found.append({"label": row["label"], "p": row["probability"], "low": low, "high": high})
        return found

    @cached_property
    def _overturn(self) -> tuple[Any, Any, str, float] | None:
        """The counted report with the largest move when it arrived, where it overturned a stronger report.

        Returns that report, the strongest earlier report of the other status on its indicator
        that it overtook, the scenario it moved most and the move; ``None`` where the largest
        move is not of that kind.
        """
        a, audited = self.assessment, self.assessment.audited
        if not audited.rows or not a.effects.size:
            return None
        largest = np.abs(a.effects).max(axis=1)
        k = int(np.argmax(largest))
        roles, weights, rows = audited.role.tolist(), audited.weight.tolist(), audited.rows
        if roles[k] != ROLE_SETS_STATUS or largest[k] < 0.05:
            return None
        weak = rows[k]
        overtaken = [
            j for j, r in enumerate(rows)
            if roles[j] == ROLE_SUPERSEDED and r.indicator == weak.indicator and r.observed != weak.observed
            and r.date <= weak.date
        ]  # fmt: skip
        if not overtaken:
            return None
        strong = max(overtaken, key=lambda j: (weights[j], rows[j].date))
        if weights[strong] <= weights[k]:
            return None
        j = int(np.abs(a.effects[k]).argmax())
        return weak, rows[strong], self.question.scenarios[j].label, float(a.effects[k, j])

    def _overturn_grades(self) -> set[str]:
        found = self._overturn if self.resolution is None else None
        return set() if found is None else {found[0].grade, found[1].grade}

    def _overturned(self) -> dict[str, Any] | None:
        """What the key judgments flag when the largest move rests on a weak report that overturned a strong one."""
        found = self._overturn
        if found is None:
            return None
        weak, strong, scenario, points = found
        return {
            "weak": weak,
            "strong": strong,
            "indicator": self.question.indicator(weak.indicator).text,
            "scenario": scenario,
            "points": points,
        }

    def _eve_probabilities(self) -> dict[str, float]:
        """The forecast as it stood on the eve of the resolution date (the priors, if it resolved the day it opened)."""
        eve = self.question.resolution.date - timedelta(days=1)
        trajectory = self.assessment.trajectory
        if trajectory.dates and trajectory.dates[0] <= eve:
            return dict(trajectory.at(eve))
        return dict(self.assessment.priors)

    def _eve_as_shown(self) -> dict[str, float]:
        """The eve's forecast as the page shows it: as published where it was, else today's replay."""
        standing = self.published_eve
        return dict(standing[1]) if standing is not None else self._eve_probabilities()

    @property
    def analysts_range(self) -> dict[str, tuple[float, float]] | None:
        """In the team view, each scenario's lowest and highest analyst's probability (else ``None``)."""
        return self.team.analyst_range if self.team_view else None

    @cached_property
    def confidence(self) -> Confidence:
        """How much the forecast can be relied on, by the rule of docs/key-judgments.md.

        The weights and the leading scenario's movement are those of the counted reports
        (role *counted*): a report later overtaken, or one that repeats a counted one, is
        not in them. The widths are judged on the whole percents the page shows.
        """
        a, q = self.assessment, self.question
        audited = a.audited
        rows = audited.rows
        counted = [k for k, role in enumerate(audited.role.tolist()) if role == ROLE_SETS_STATUS]
        weights = audited.weight.tolist()
        counted_weight = sum(weights[k] for k in counted)
        ab_weight = sum(weights[k] for k in counted if rows[k].reliability in "AB")
        by_source: dict[str, float] = {}
        if a.effects.size:
            column = q.scenario_ids.index(a.leading)
            sizes = np.abs(a.effects[:, column]).tolist()
            for k in counted:
                by_source[rows[k].source] = by_source.get(rows[k].source, 0.0) + sizes[k]
        top = max(by_source, key=lambda k: (by_source[k], k), default=None)
        low, high = self.intervals.bounds[a.leading]
        spread = None
        if self.team_view:
            spread = shown_span(*self.team.analyst_range[a.leading])
        return confidence(
            counted_weight=counted_weight,
            ab_weight=ab_weight,
            movement=sum(by_source.values()),
            top_source=None if top is None else shown_text(top),
            top_source_movement=by_source.get(top, 0.0),
            evidence_age_days=a.evidence_age_days,
            stale_after_days=q.stale_after_days,
            range_points=shown_span(low, high) if self.intervals.ranged else None,
            analysts_spread_points=spread,
        )

    def _movers(self, top: int = 3) -> tuple[list[sections.Mover], str | None]:
        """The reports that moved the forecast most since the previous report (from the priors, if none)."""
        a, q = self.assessment, self.question
        rows = a.audited.rows
        if not rows or not a.effects.size:
            return [], None
        since = None
        effects = a.effects
        largest = np.abs(effects).max(axis=1)
        # The largest first, ties in file order: a stable sort of the negated sizes.
        order = np.argsort(-largest, kind="stable")
        if self.previous is not None and self.changes.evidence_added is not None:  # else: from the priors
            added = set(self.changes.evidence_added)
            order = [k for k in order.tolist() if rows[k].id in added]
            since = self.changes.previous_as_of
        movers = []
        for k in list(order[:top]):
            if largest[k] < 0.05:  # rounds to no move
                break
            j = int(np.abs(effects[k]).argmax())
            r = rows[k]
            movers.append(
                sections.Mover(
                    r.id, r.date, r.source, r.grade, r.summary, q.indicator(r.indicator).text,
                    q.scenarios[j].label, float(effects[k, j]),
                )
            )  # fmt: skip
        return movers, since

    def _signposts(self, top: int = 2) -> list[sections.Signpost]:
        """What would change the forecast most: the reports that would move the leading scenario most.

        A pending indicator's report (seen, or confirmed absent at its window's end, as
        "What to watch next" works them out), or a reversal: a confirmed A1 report, dated
        the as-of date, that overturns an indicator's status (a report that it did not
        happen after all, or a sighting after "not seen"). Each indicator once, by its
        larger move; the ``top`` largest, and any single report that would change the
        leading scenario, which is always named.
        """
        a, q = self.assessment, self.question
        lead, p = a.leading, a.probabilities[a.leading]
        options = []
        for w in self.watch_items:
            by = w.window[1] if w.window else q.closes
            for seen, after in ((True, w.if_observed), (False, w.if_absent)):
                options.append((abs(after[lead] - p), seen, by, after, w.indicator, w.text, False))
        for indicator, after in self._reversals().items():
            seen = not a.states[indicator].status
            options.append(
                (abs(after[lead] - p), seen, a.as_of, after, indicator, q.indicator(indicator).text, True)
            )
        best: dict[str, tuple] = {}
        for option in sorted(options, key=lambda o: (-o[0], o[4], not o[1])):
            best.setdefault(option[4], option)  # each indicator once, its larger move
        ranked = [o for o in best.values() if o[0] >= SIGNPOST_AT_LEAST]
        # A report that would change the leader is named even where the leader itself barely moves.
        flips = [o for o in best.values() if max(o[3], key=o[3].get) != lead]
        chosen = ranked[:top] + [o for o in flips[:1] if o not in ranked[:top]]
        return [
            sections.Signpost(
                indicator, text, seen, None if seen or reversal else max(by, a.as_of), q.scenario(lead).label,
                after[lead], after[lead] > p, reversal=reversal,
                new_leader=None if max(after, key=after.get) == lead
                else q.scenario(max(after, key=after.get)).label,
            )
            for _, seen, by, after, indicator, text, reversal in chosen
        ]  # fmt: skip

    def _reversals(self) -> dict[str, dict[str, float]]:
        """Per indicator with a status, the forecast after a confirmed A1 report of the other status on the as-of date."""
        a = self.assessment
        pending = {
            w.indicator for w in self.watch_items
        }  # "not seen yet": a sighting is already a watch item
        with_status = [i for i, st in a.states.items() if st.status is not None and i not in pending]
        if not with_status or not self.evidence.rows:
            return {}
        template = self.evidence.rows[0]
        found = {}
        for indicator in with_status:
            row = replace(
                template, id=REVERSAL_ID, date=a.as_of, indicator=indicator,
                observed=not a.states[indicator].status, reliability="A", credibility=1,
                url="", summary="", extra={},
            )  # fmt: skip
            found[indicator] = self._forecast_with(row)
        return found

    def _forecast_with(self, row: Any) -> dict[str, float]:
        """This view's forecast (the team's pool, one analyst's, or the question's) with one more report."""
        log = replace(self.evidence, rows=(*self.evidence.rows, row))
        if self.team is None:
            return dict(assess(self.question, log, self.as_of).probabilities)
        team = TeamForecast(self.base_question, log, self._judgments, self.as_of)
        if self.analyst is not None:
            return dict(team.analyst(self.analyst).assessment.probabilities)
        return dict(team.probabilities)

    def _outside_line(self) -> str | None:
        """How far the latest outside forecasts stand from this report's forecast of the leading scenario."""
        rows = self.outside.as_of(self.as_of)
        if not rows:
            return None
        a = self.assessment
        lead, p = a.leading, a.probabilities[a.leading]
        latest = {}
        for r in rows:  # sorted by date then forecaster: the last of each is its latest
            latest[r.forecaster] = r
        label = self.question.scenario(lead).label
        whose = "the team's" if self.team_view else f"{self.analyst}'s" if self.analyst else "this forecast's"
        gaps = sorted(((r.probabilities[lead] - p) * 100, f) for f, r in latest.items())

        def gap(x: float) -> str:
            return f"{abs(x):.0f} points {'above' if x >= 0 else 'below'}"

        if len(latest) <= 3:
            each = [
                f"{percent(latest[f].probabilities[lead])} ({f}, {latest[f].date}; {gap(x)})" for x, f in gaps
            ]
            one = len(each) == 1
            return (f"The latest outside forecast{'' if one else 's'} give{'s' if one else ''} {label} "
                    f"{' and '.join(each)}, against {whose} {percent(p)}.")  # fmt: skip
        newest = max(r.date for r in latest.values())
        return (
            f"The latest outside forecasts ({len(latest)} forecasters, the newest {newest}) give {label} from "
            f"{gap(gaps[0][0])} to {gap(gaps[-1][0])} {whose} {percent(p)}."
        )

    def _team_line(self) -> dict[str, Any] | None:
        """What the bottom line says about the team: whose forecast this is, and the pool beside it."""
        if self.team is None:
            return None
        pooled = self.team.probabilities
        leading = max(self.base_question.scenario_ids, key=pooled.get)
        return {
            "analyst": self.analyst,
            "analysts": [a.analyst for a in self.team.analysts],
            "extremize": self.team.extremize,
            "leading": self.base_question.scenario(leading),
            "p": pooled[leading],
            "spread": max(self.team.spread.values()),
        }

    def probability_table(self) -> Html:
        """Each scenario's probability with its ICD-203 words, prior and move."""
        return self.build_probability_table().render()

    def build_probability_table(self) -> sections.ProbabilityTable:
        """The data of :meth:`probability_table`."""
        return sections.ProbabilityTable(
            scenarios=self._scenario_rows(),
            has_previous=self.previous is not None,
            ranged=self.intervals.ranged,
            ranges_given=self.ranges_given,
            spread=self.question.likelihood_spread,
            draws=self.draws,
            calibration=self.calibration_note,
            analysts=self.analysts_range,
        )

    @property
    def content(self) -> sections.ReportContent:
        """Every section of the report as data (:mod:`forecast.publish.sections`), in page order."""
        return sections.ReportContent(
            key_judgments=self.build_key_judgments(),
            bottom_line=self.build_bottom_line(),
            changes=self.build_changes(),
            probabilities=self.build_probability_table(),
            outside=self.build_outside_table(),
            disagreement=self.build_disagreement(),
            critical=self.build_critical_evidence(),
            watch=self.build_watch_list(),
            checklists=self.build_checklists(),
            evidence=self.build_evidence_log(),
            scoring=self.build_scoring(),
        )

    def trajectory_chart(self):
        """The trajectory chart (one line per scenario, evidence dates marked)."""
        from .plots import trajectory_chart

        a = self.assessment
        dates = [row.date for row in a.audited.rows]
        band = None
        if self.intervals.ranged:  # a team's: the percentiles of the pooled draws
            band = self.assessment.trajectory_band(self.draws, self.seed).band
        analysts = {}
        if self.team is not None:
            analysts = {
                x.analyst: x.assessment.trajectory for x in self.team.analysts if x.analyst != self.analyst
            }
            if self.analyst is not None:
                analysts["team"] = self.team.trajectory
        trajectory, end = a.trajectory, self.chart_end
        outside = [r for r in self.outside.as_of(end) if r.date >= trajectory.dates[0]]
        if end < self.as_of:  # a settled question's chart ends at its resolution date
            trajectory, dates = _until(trajectory, end), [d for d in dates if d <= end]
            analysts = {name: _until(t, end) for name, t in analysts.items()}
            band = None if band is None else band[: len(trajectory.dates)]
        return trajectory_chart(
            trajectory,
            [s.label for s in self.question.scenarios],
            dates,
            band,
            analysts=analysts,
            outside=outside,
            resolution_date=end if end < self.as_of or self.score is not None else None,
        )

    @property
    def chart_end(self) -> date:
        """The last day the trajectory chart shows: the resolution date once the question has resolved, else the as-of date."""
        if self.score is not None:
            return min(self.as_of, self.question.resolution.date)
        return self.as_of

    def checklists(self) -> Html:
        """The indicator checklist of each scenario, with status and diagnosticity."""
        return self.build_checklists().render()

    def build_checklists(self) -> sections.Checklists:
        """The data of :meth:`checklists`."""
        a = self.assessment
        return sections.Checklists(
            sections=[(s, a.checklist(s.id)) for s in self.question.scenarios],
            groups=self.question.groups,
            default_window=(self.question.opened, self.question.closes),
            as_of=a.as_of,
        )

    def shown_evidence(self) -> list:
        """The audit entries the evidence log shows, newest first.

        Every report, when there are at most ``log_newest + log_strongest``; else the
        ``log_newest`` reports and the ``log_strongest`` others whose largest effect
        on a scenario is largest (ties: the newer first), so that the page and the
        notebook stay small however long the log grows.
        """
        a = self.assessment
        audited = a.audited
        source = audited.source
        # Newest first by (date, rule order, line): a stable sort of the negated keys, as sorted(reverse=True)
        # keeps reports with equal keys in file order. Reports after the as-of date have no place (-1).
        order = np.full(len(source), -1, np.int64)
        order[audited.kept] = audited.rank
        by = np.lexsort(
            (
                -np.fromiter((row.line for row in source), np.int64, len(source)),
                -order,
                -np.fromiter((row.date.toordinal() for row in source), np.int64, len(source)),
            )
        )
        if len(source) <= self.log_newest + self.log_strongest:
            return a.audit_entries(by.tolist())
        # Each report's largest effect on a scenario (0 for one not counted).
        largest = np.zeros(len(source))
        if a.effects.size:
            largest[audited.kept] = np.abs(a.effects).max(axis=1)
        rest = by[self.log_newest :]
        # The largest first, ties newer first: what a stable sort of the negated effects gives.
        strongest = np.argsort(-largest[rest], kind="stable")[: self.log_strongest]
        return a.audit_entries(by[: self.log_newest].tolist() + rest[np.sort(strongest)].tolist())

    def evidence_log(self) -> Html:
        """The evidence log with each report's grade, weight, role and effect, newest first (see :meth:`shown_evidence`)."""
        return self.build_evidence_log().render()

    def build_evidence_log(self) -> sections.EvidenceLog:
        """The data of :meth:`evidence_log`."""
        a = self.assessment
        entries = self.shown_evidence()
        return sections.EvidenceLog(
            entries=entries,
            roles=ROLE_LABELS,
            explained=_role_explanations(a, {e.row.id for e in entries}),
            total=len(a.audited.source),
            newest=min(self.log_newest, len(entries)),
            csv_name=EVIDENCE_CSV,
            scenarios=self.question.scenarios,
            indicators={i.id: i for i in self.question.indicators},
            extra_columns=self.evidence.extra_columns,
            as_of=a.as_of,
        )

    def write_evidence_csv(self, path: str | Path = EVIDENCE_CSV) -> Path:
        """Write every report of the log, in file order, with its weight, role and effect (atomically).

        The columns are the log's own, then ``weight``, ``role`` and one
        ``effect:<scenario id>`` column per scenario in percentage points (empty for
        a report not counted). Text that a spreadsheet could run as a formula is
        written with a quote (') in front.
        """
        from ..inputs.append import spreadsheet_safe

        extra = self.evidence.extra_columns
        scenario_ids = self.question.scenario_ids
        no_effect = [""] * len(scenario_ids)
        path = Path(path)
        with atomic_writer(path) as raw:
            handle = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(
                ["id", "date", "indicator", "observed", "source", "reliability", "credibility", "url", "summary",
                 *map(spreadsheet_safe, extra), "weight", "role", *(f"effect:{s}" for s in scenario_ids)]
            )  # fmt: skip
            safe, a = spreadsheet_safe, self.assessment
            audited = a.audited
            # What the audit says of each report, read off the arrays it is built from: a long log's
            # rows are written without building an entry per report.
            weights, roles = audited.weight.tolist(), audited.role.tolist()
            # Formatted as one flat list, then regrouped by report: no Python loop per report.
            flat = list(map("{:.4f}".format, a.effects.ravel().tolist()))
            effect_text = list(zip(*(flat[j :: len(scenario_ids)] for j in range(len(scenario_ids)))))
            for r, j in zip(audited.source, audited.counted_position.tolist()):  # in file order
                if j < 0:
                    weight, role, effects = (
                        audited.question.weight(r.reliability, r.credibility),
                        ROLE_AFTER_AS_OF,
                        no_effect,
                    )
                else:
                    weight, role, effects = weights[j], roles[j], effect_text[j]
                writer.writerow(
                    [safe(r.id), r.date.isoformat(), r.indicator, "yes" if r.observed else "no", safe(r.source),
                     r.reliability, r.credibility, safe(r.url), safe(r.summary), *(safe(r.extra.get(c, "")) for c in extra),
                     f"{weight:.4f}", ROLE_LABELS.get(role, role), *effects]
                )  # fmt: skip
            handle.flush()
            handle.detach()  # atomic_writer closes the file
        return path

    def write_outside_csv(self, path: str | Path = OUTSIDE_CSV) -> Path:
        """Write every outside forecast dated on or before the report's date, oldest first (atomically).

        Columns ``date``, ``forecaster``, one per scenario (its probability, as given), and
        one ``model:<scenario id>`` per scenario: this report's forecast of the same date (empty
        before the trajectory starts). Text a spreadsheet could run as a formula gets a quote (').
        """
        from ..inputs.append import spreadsheet_safe

        ids = self.question.scenario_ids
        trajectory = self.assessment.trajectory
        first = trajectory.dates[0]
        path = Path(path)
        with atomic_writer(path) as raw:
            handle = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["date", "forecaster", *ids, *(f"model:{s}" for s in ids)])
            for r in self.outside.as_of(self.as_of):
                model = trajectory.at(r.date) if r.date >= first else None
                writer.writerow(
                    [r.date.isoformat(), spreadsheet_safe(r.forecaster), *(repr(float(r.probabilities[s])) for s in ids),
                     *("" if model is None else f"{model[s]:.6f}" for s in ids)]
                )  # fmt: skip
            handle.flush()
            handle.detach()
        return path

    def changes_since_previous(self) -> Html:
        """Moves, new evidence, status changes and newly fired tripwires since the previous report."""
        return self.build_changes().render()

    def build_changes(self) -> sections.Changes:
        """The data of :meth:`changes_since_previous`."""
        return sections.Changes(
            changes=self.changes,
            previous=self.previous,
            replaced=self.previous_replaced,
            scenarios=self._scenario_rows(),
            indicators={i.id: i for i in self.question.indicators},
            counted=self.assessment.evidence_counted,
        )

    def critical_evidence(self) -> Html:
        """What the forecast rests on: leave-one-out over indicators and reports."""
        return self.build_critical_evidence().render()

    def build_critical_evidence(self) -> sections.CriticalEvidence:
        """The data of :meth:`critical_evidence`."""
        names = {s.id: s.label for s in self.question.scenarios}
        return sections.CriticalEvidence(
            critical=self.critical,
            most_influential=[(s, names[s], i) for s, i in self.most_influential.items()],
            names=names,
            indicators={i.id: i for i in self.question.indicators},
            groups=self.question.groups,
        )

    def watch_next(self) -> Html:
        """Pending indicators that would move the forecast most if reported, best first.

        Empty once the question has resolved: there is nothing left to watch.
        """
        content = self.build_watch_list()
        return Html("") if content is None else content.render()

    def build_watch_list(self) -> sections.WatchList | None:
        """The data of :meth:`watch_next` (``None`` once the question has resolved)."""
        if self.score is not None:
            return None
        return sections.WatchList(
            items=self.watch_items[: self.watch],
            pending=len(self.watch_items),
            scenarios=self.question.scenarios,
            groups=self.question.groups,
        )

    def disagreement(self) -> Html | None:
        """Where the analysts differ: their forecasts and moves, the spread, what drives it, their notes.

        ``None`` (nothing to display) for a question without judgment files.
        """
        content = self.build_disagreement()
        return None if content is None else content.render()

    def build_disagreement(self) -> sections.Disagreement | None:
        """The data of :meth:`disagreement` (``None`` without judgment files)."""
        if self.team is None:
            return None
        team, q = self.team, self.base_question
        before = (self._previous_report.analysts if self._previous_report else None) or {}
        rows = []
        for x in team.analysts:
            now, previous = x.assessment.probabilities, before.get(x.analyst)
            moves = None
            if isinstance(previous, dict) and all(isinstance(previous.get(s), (int, float)) for s in now):
                moves = {s: (now[s] - float(previous[s])) * 100 for s in now}
            rows.append({"name": x.analyst, "probabilities": now, "moves": moves, "note": x.judgment.note})
        drivers = team.drivers(limit=None)
        return sections.Disagreement(
            scenarios=q.scenarios,
            analysts=rows,
            team=team.probabilities,
            spread=team.spread,
            drivers=drivers[:SHOWN_DRIVERS],
            more=max(0, len(drivers) - SHOWN_DRIVERS),
            extremize=team.extremize,
            previous_as_of=self._previous_report.as_of if self._previous_report else None,
        )

    def outside_forecasts(self) -> Html | None:
        """Outside forecasts as of the report's date, beside the model's forecast on the same dates.

        ``None`` (nothing to display) for a question without outside forecasts as of its date.
        """
        content = self.build_outside_table()
        return None if content is None else content.render()

    def build_outside_table(self) -> sections.OutsideTable | None:
        """The data of :meth:`outside_forecasts` (``None`` without outside forecasts as of the date)."""
        rows = self.outside.as_of(self.as_of)
        if not rows:
            return None
        trajectory = self.assessment.trajectory
        first = trajectory.dates[0]
        newest = sorted(rows, key=lambda r: (r.date, r.forecaster), reverse=True)[:SHOWN_OUTSIDE]
        listed = [{"row": r, "model": trajectory.at(r.date) if r.date >= first else None} for r in newest]
        return sections.OutsideTable(
            scenarios=self.question.scenarios,
            rows=listed,
            model_name="team" if self.team_view else (self.analyst or "model"),
            path=f"forecasts/{self.base_question.id}.csv",
            total=len(rows),
            csv_name=OUTSIDE_CSV,
        )

    def scoring(self) -> Html:
        """Scores against the resolution, once the question has resolved (empty before)."""
        content = self.build_scoring()
        return Html("") if content is None else content.render()

    def build_scoring(self) -> sections.Scoring | None:
        """The data of :meth:`scoring` (``None`` before the question resolves)."""
        if self.score is None:
            return None
        return sections.Scoring(
            score=self.score,
            resolution=self.question.resolution,
            names={s.id: s.name for s in self.question.scenarios},
            eve=self.resolution,
        )


def _role_explanations(a: Assessment, ids: set[str] | None = None) -> dict[str, str]:
    """Per report id (of those in ``ids``, when given), a few words that make its move read right next to its role.

    Effects are moves at the time a report arrived (they add up to the move from
    the priors). A report later overtaken moved the forecast then, and the report
    that overtook it undid that. Of the reports of one event, the first moved the
    forecast; a stronger one later adds only what its higher grade adds, and the
    counted report is the strongest; repeats add nothing.

    The words are read off the compile's arrays (each indicator's reports in the rule's
    order, in runs that say the same), so a long log costs a few passes in numpy and a
    few words per report shown, not a Python object per report.
    """
    c = a.audited
    source, rows = c.source, c.rows
    wanted = [k for k, row in enumerate(source) if ids is None or row.id in ids]
    counted_at = c.counted_position[np.asarray(wanted, np.int64)].tolist() if wanted else []
    words: dict[str, str] = {}
    if c.n:
        by, runs = c.by_indicator, c.runs
        place = np.empty(c.n, np.int64)  # where each counted report stands in ``by``
        place[by] = np.arange(c.n)
        segment = np.cumsum(runs.first) - 1  # its indicator's stretch of ``by``
        run_starts = np.flatnonzero(runs.new_run)
        moved = (np.abs(a.effects) >= 0.05).any(axis=1)
        role, setter = c.role, c.counted_row
    for k, j in zip(wanted, counted_at):
        row_id = source[k].id
        if j < 0:
            words[row_id] = "not counted"
            continue
        p = int(place[j])
        g = int(segment[p])
        last, final = int(runs.last[g]), int(runs.final_start[g])
        if role[j] == ROLE_SUPERSEDED:
            # The report that overtook it: the first of the next run, which says the opposite.
            q = int(run_starts[np.searchsorted(run_starts, p, side="right")])  # a superseded run has a next
            later = rows[by[q]].id
            words[row_id] = (
                f"its move was undone by {later}" if moved[j] else f"adds nothing; {later} overtook it"
            )
            continue
        if not c.grouped_observed[p]:
            # A look of the final "not seen" run: which stretch of the window it covers, or what covers it.
            words_for_look = _look_words(c, p, final, last, str(role[j]))
            if words_for_look:
                words[row_id] = words_for_look
            continue
        # Corroborates or sets the status: a report of the final run, which its indicator's status counts.
        counted = int(setter[c.grouped_indicator[p]])
        if counted < 0 or last == final:
            continue
        first = int(by[final])
        if j == first:
            if j != counted:
                words[row_id] = f"first report of this event; {rows[counted].id} now counts it"
        elif not moved[j]:
            words[row_id] = f"repeats {rows[first].id}; adds nothing"
        elif j == counted:
            words[row_id] = f"its move is what its higher grade adds to {rows[first].id}'s"
        else:
            words[row_id] = f"a stronger report of {rows[first].id}'s event; {rows[counted].id} now counts it"
    return words


def _look_words(c: CompiledEvidence, p: int, final: int, last: int, role: str) -> str | None:
    """A few words on a "not seen" report of a final run (at ``p`` of ``c.by_indicator``, the run
    being ``final`` to ``last``): what covers it, or the stretch of the window it adds."""
    by, rows, rank = c.by_indicator, c.rows, c.grouped_rank
    if role == ROLE_COVERED_LATER:
        later = next(q for q in range(p + 1, last + 1) if rank[q] >= rank[p])
        return f"{rows[by[later]].id}, a later look at least as strong, covers all it covers"
    if role == ROLE_COVERED_EARLIER:
        earlier = next(q for q in range(p - 1, final - 1, -1) if rank[q] > rank[p])
        return f"{rows[by[earlier]].id}, a stronger look, had reached as far"
    if role != ROLE_SETS_STATUS or final == last:
        return None
    day = c.grouped_day[final : p + 1].astype(float)
    f = c.tables.fraction(c.grouped_indicator[final : p + 1], day).tolist()
    heavier = [q for q in range(final, p) if rank[q] > rank[p]]
    reach = f[heavier[-1] - final] if heavier else 0.0
    return f"covers {reach:.0%} to {f[-1]:.0%} of its window at its own weight"


def _first_publications(
    reports_dir: str | Path | None, question: Question, as_of: date
) -> list[tuple[date, Mapping[str, float]]]:
    """A settled question's first publications in ``reports_dir`` (none for a question still open)."""
    if not reports_dir or question.resolution is None or as_of < question.resolution.date:
        return []
    entries = read_catalog(reports_dir, question.id).entries()
    return [(e.as_of, e.revisions()[0].probabilities) for e in entries]


def _until(trajectory: Trajectory, end: date) -> Trajectory:
    """``trajectory`` up to and including ``end``."""
    keep = max(0, (end - trajectory.dates[0]).days + 1)
    return Trajectory(trajectory.dates[:keep], trajectory.scenario_ids, trajectory.probabilities[:keep])


def _as_analyst(previous: Summary | None, analyst: str) -> Summary | None:
    """The previous summary seen from one analyst: their probabilities in place of the team's."""
    if previous is None:
        return previous
    mine = (previous.analysts or {}).get(analyst)
    if mine is None:
        return None
    return replace(previous, probabilities=mine)


def _score_dict(score: analysis.Score) -> dict[str, Any]:
    return {
        "resolved": score.resolved,
        "resolution_date": score.resolution_date.isoformat(),
        "days": score.days,
        "brier_final": score.brier_final,
        "brier_daily": score.brier_daily,
        "brier_prior": score.brier_prior,
        "log_final": json_number(score.log_final),
        "log_daily": json_number(score.log_daily),
        "log_prior": json_number(score.log_prior),
        "skill_final": json_number(score.skill_final),
        "skill_daily": json_number(score.skill_daily),
    }
