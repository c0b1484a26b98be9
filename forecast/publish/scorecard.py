"""The scorecard: how well every resolved question was forecast, and how calibrated the forecasts were.

:class:`Scorecard` loads every question under a data folder that has a
``resolution``, scores it with :func:`forecast.analysis.score`, and bins the
final forecasts of all their scenarios with
:func:`forecast.analysis.calibration_bins`. A question with judgment files is
scored on its team forecast, the analysts' pool, against the pool of their
priors, as its report scores it; without them, on the question file's model. Unresolved questions are counted
but not scored; a question file or log that does not load is listed with its
error and skipped, so one bad file never hides the others' scores. Each section
renders as HTML through the package's autoescaping templates, for
``notebooks/scorecard.ipynb``; :meth:`Scorecard.summary` holds the numbers
written to ``scorecard.json``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis.scoring import CalibrationBins, Score, calibration_bins, score_published
from ..assessment import Assessment, assess
from ..catalog import read_catalog
from ..errors import ForecastError
from ..inputs.calibration import apply_calibration, load_calibration
from ..inputs.evidence import load_evidence
from ..inputs.judgments import Judgment, load_team_inputs
from ..inputs.outside import OutsideForecasts
from ..inputs.questions import load_question
from ..inputs.validate import evidence_path, question_ids, question_path
from ..leaderboard import (
    ForecasterScore,
    LeaderboardRow,
    calibration_by_forecaster,
    forecaster_scores,
    leaderboard,
)
from ..model import Calibration, EvidenceLog, Question
from ..store import atomic_write_text, json_number
from ..team import TeamForecast
from .calibrated import Diagnostics, TemperSection
from .html import Html, render_template
from .summary import current_report

__all__ = ["MIN_QUESTIONS_TO_JUDGE", "QuestionInputs", "ResolvedQuestion", "Scorecard", "SkippedQuestion"]

#: With fewer resolved questions than this, the scorecard gives the scores without a verdict on skill.
MIN_QUESTIONS_TO_JUDGE = 10

_SCORE_FIELDS = (
    "brier_final",
    "brier_daily",
    "brier_prior",
    "log_final",
    "log_daily",
    "log_prior",
    "skill_final",
    "skill_daily",
)


@dataclass(frozen=True, slots=True)
class PublishedRecord:
    """What a resolved question published before it resolved, and the score of it (docs/record.md)."""

    #: The score of the forecasts as first published (each as-of date's revision 1).
    score: Score
    #: The eve's standing forecast's probability of what happened.
    p_resolved: float
    #: As-of dates published before the resolution date, oldest first.
    dates: tuple[date, ...]

    @property
    def before_resolution(self) -> bool:
        """Whether anything was published as of a date before the resolution date."""
        return bool(self.dates)


@dataclass(frozen=True, slots=True)
class ResolvedQuestion:
    """A resolved question, its evidence log, its assessment as of the resolution date and its score.

    The assessment is the forecast its reports publish today: the team's
    (:class:`~forecast.team.TeamAssessment`) where the question has judgment
    files, the question file's own model otherwise; its score is the **hindcast**,
    today's inputs and rule replayed. ``published`` is the track record, read from
    the output folder's reports (``None`` where the scorecard was given no output
    folder): where there is one, :attr:`score` is its score.
    """

    question: Question
    evidence: EvidenceLog
    assessment: Assessment
    published: PublishedRecord | None = None

    @property
    def hindcast(self) -> Score:
        """Today's inputs and rule replayed (:attr:`forecast.Assessment.score` as of the resolution date)."""
        return self.assessment.score

    @property
    def score(self) -> Score:
        """The question's scores: the published record's, or the hindcast's without an output folder."""
        return self.hindcast if self.published is None else self.published.score

    @property
    def p_resolved(self) -> float:
        """The final forecast's (the eve's) probability of the scenario that happened."""
        if self.published is not None:
            return self.published.p_resolved
        return math.exp(-self.score.log_final)


def published_record(
    question: Question, publications: Sequence[tuple[date, Mapping[str, float]]], prior: Mapping[str, float]
) -> PublishedRecord:
    """The :class:`PublishedRecord` of a resolved question from its publications (as-of date, probabilities).

    Each publication stands from its as-of date to the next; the days before the
    first are scored at ``prior`` (:func:`forecast.analysis.score_published`).
    """
    ids = question.scenario_ids
    resolution = question.resolution
    score = score_published(question, publications, np.array([prior[s] for s in ids]))
    before = tuple(sorted(d for d, p in publications if d < resolution.date and set(p) == set(ids)))
    return PublishedRecord(score, math.exp(-score.log_final), before)


def first_publications(out_dir: str | Path, question_id: str) -> list[tuple[date, Mapping[str, float]]]:
    """Each as-of date's first publication of a question in an output folder: (date, probabilities), by date."""
    entries = read_catalog(out_dir, question_id).entries()
    return [(e.as_of, e.revisions()[0].probabilities) for e in entries]


@dataclass(frozen=True, slots=True)
class SkippedQuestion:
    """A question file that could not be scored, with the first line of its error."""

    question: str
    reason: str


def _one_line(exc: BaseException, data_dir: Path | None = None) -> str:
    """The first line of an error; paths relative to the data folder (the page is published, the
    server's folders are not its business)."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if data_dir is None else text.replace(f"{data_dir}{os.sep}", "")


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _means(scores: Sequence[Score]) -> dict[str, float] | None:
    """Each score's mean (the skills those of the means), ``None`` for no scores."""
    if not scores:
        return None
    means = {f: _mean([getattr(s, f) for s in scores]) for f in _SCORE_FIELDS}
    for when in ("final", "daily"):
        means[f"skill_{when}"] = 1.0 - means[f"brier_{when}"] / means["brier_prior"]
    return means


@dataclass(frozen=True, slots=True)
class QuestionInputs:
    """What the scorecard reads of one resolved question: its files, loaded."""

    question: Question
    evidence: EvidenceLog
    judgments: tuple[Judgment, ...] = ()
    outside: OutsideForecasts = field(default_factory=OutsideForecasts)
    #: Each as-of date's first publication (:func:`first_publications`); ``None``: no output folder read.
    published: tuple[tuple[date, Mapping[str, float]], ...] | None = None


class Scorecard:
    """Scores of every resolved question, and their calibration.

    Built from inputs already read; :meth:`load` reads them from a data folder, as
    ``scorecard.ipynb`` does. The constructor reads and writes nothing;
    :meth:`write_summary` writes.

    Parameters
    ----------
    questions : sequence of QuestionInputs
        The resolved questions, loaded.
    unresolved : sequence of str, optional
        Ids of the questions that loaded but have no resolution yet.
    skipped : sequence of SkippedQuestion, optional
        Question files that failed to load, with the first line of their error.
    links : mapping of str to str, optional
        Each question's latest report, as a link from ``OUT/_scorecard/``; a question
        without one is not linked.
    bins : int, default 10
        Number of equal-width probability bins of the calibration table.

    Examples
    --------
    >>> card = Scorecard.load("data")  # doctest: +SKIP
    >>> [r.question.id for r in card.resolved]  # doctest: +SKIP
    ['harbour-bridge-reopening', 'riverside-festival-return']
    """

    @classmethod
    def load(
        cls, data_dir: str | Path = "data", reports_dir: str | Path | None = None, *, bins: int = 10
    ) -> Scorecard:
        """Read every resolved question under ``data_dir`` (and its latest report's link), then score them.

        Parameters
        ----------
        data_dir : str or Path
            The folder with ``questions/``, ``evidence/``, ``judgments/`` and ``forecasts/``.
        reports_dir : str or Path, optional
            The output folder of ``forecast run``; when given, each question's title
            links to its latest report there, as seen from ``OUT/_scorecard/``.
        bins : int, default 10

        A question whose files cannot be read is listed in :attr:`skipped`, with the
        first line of its error, its paths relative to ``data_dir``.
        """
        data_dir = Path(data_dir)
        inputs, unresolved, skipped, links = [], [], [], {}
        # calibration: the data folder's calibration.yaml, if any, tempers the forecasts scored, as it
        # tempers the reports (docs/calibration.md)
        fitted = None
        try:
            fitted = load_calibration(data_dir)
        except ForecastError as exc:
            skipped.append(SkippedQuestion("calibration.yaml", _one_line(exc, data_dir)))
        for question_id in question_ids(data_dir):
            try:
                question = apply_calibration(load_question(question_path(data_dir, question_id)), fitted)
                if question.resolution is None:
                    unresolved.append(question_id)
                    continue
                evidence = load_evidence(evidence_path(data_dir, question_id), question)
                judgments, outside = load_team_inputs(data_dir, question)
            except (ForecastError, ValueError, OSError) as exc:
                skipped.append(SkippedQuestion(question_id, _one_line(exc, data_dir)))
                continue
            published = tuple(first_publications(reports_dir, question_id)) if reports_dir else None
            inputs.append(QuestionInputs(question, evidence, tuple(judgments), outside, published))
            if reports_dir:
                latest = current_report(reports_dir, question_id)
                if latest is not None:
                    links[question_id] = f"../{question_id}/{latest.as_of}/report.html"
        return cls(inputs, unresolved=unresolved, skipped=skipped, links=links, bins=bins, fitted=fitted)

    def __init__(
        self,
        questions: Sequence[QuestionInputs],
        *,
        unresolved: Sequence[str] = (),
        skipped: Sequence[SkippedQuestion] = (),
        links: Mapping[str, str] | None = None,
        bins: int = 10,
        fitted: Calibration | None = None,
    ) -> None:
        self.bins = bins
        #: the data folder's calibration.yaml, if any: the calibration section shows it
        self.fitted = fitted
        self.links = dict(links or {})
        resolved, skipped = [], list(skipped)
        forecasters: list[ForecasterScore] = []
        self._judgments: dict[str, tuple[Judgment, ...]] = {}
        #: Whether any resolved question has judgment files or outside forecasts (a leaderboard to show).
        self.has_forecasters = False
        for given in questions:
            question, evidence, judgments, outside = (
                given.question,
                given.evidence,
                given.judgments,
                given.outside,
            )
            try:
                end = question.resolution.date
                # One compile as of the resolution date: the score, the calibration and the model's own line.
                own = assess(question, evidence, end)
                # With judgment files the reports published the team's forecast: score that one.
                team = TeamForecast(question, own.compiled, judgments, end) if judgments else None
                replay = team.assessment if team else own
                record = None
                if given.published is not None:  # the track record: what its reports published
                    record = published_record(question, given.published, replay.priors)
                scored = ResolvedQuestion(question, evidence, replay, record)
                _ = scored.hindcast  # now, so that a resolution it cannot score is skipped with its error
                forecasters.extend(forecaster_scores(question, own.compiled, judgments, outside, team=team))
            except (ForecastError, ValueError) as exc:
                skipped.append(SkippedQuestion(question.id, _one_line(exc)))
                continue
            self._judgments[question.id] = tuple(judgments)
            if not question.illustrative:
                self.has_forecasters |= bool(judgments or outside.rows)
            resolved.append(scored)
        # Newest resolution first, as a reader looks for the latest; ties by id, so reruns agree.
        resolved.sort(key=lambda r: r.question.id)
        resolved.sort(key=lambda r: r.score.resolution_date, reverse=True)
        #: The scored questions, newest resolution first.
        self.resolved: tuple[ResolvedQuestion, ...] = tuple(resolved)
        #: Ids of the questions that loaded but have no resolution yet, sorted.
        self.unresolved: tuple[str, ...] = tuple(sorted(unresolved))
        #: Question files that failed to load (or to score), sorted by id.
        self.skipped: tuple[SkippedQuestion, ...] = tuple(sorted(skipped, key=lambda q: q.question))
        #: The questions that are the team's record, and the illustrative examples, newest first.
        self.record = tuple(r for r in self.resolved if not r.question.illustrative)
        self.examples = tuple(r for r in self.resolved if r.question.illustrative)
        #: The questions the means, the calibration and the hindcast are of: the record, or, while the
        #: record is empty, the examples (so that a new user's scorecard still shows how it reads).
        self.scored = self.record or self.examples
        examples = {r.question.id for r in self.examples}
        #: Every forecaster's scores on every resolved question of the record, questions in id order.
        self.forecaster_scores: tuple[ForecasterScore, ...] = tuple(
            sorted((f for f in forecasters if f.question not in examples), key=lambda s: s.question)
        )

    # ------------------------------------------------------------------ numbers

    @cached_property
    def calibration(self) -> CalibrationBins:
        """Every scenario's final forecast of every resolved question, binned against what happened."""
        points = [
            (p, s == r.question.resolution.scenario)
            for r in self.scored
            for s, p in r.assessment.probabilities.items()
        ]
        return calibration_bins(points, self.bins)

    @cached_property
    def overall(self) -> dict[str, float] | None:
        """Each score's mean over the resolved questions of the record (``None`` when there are none).

        The scores are those of the forecasts as published, where the scorecard read an output
        folder (:attr:`ResolvedQuestion.score`): the track record. While the record is empty, the
        means are the examples'. The skills are those of the means, ``1 - mean Brier / mean prior
        Brier``, so that they agree with the bottom line's comparison with the priors.
        """
        return _means([r.score for r in self.scored])

    @cached_property
    def hindcast(self) -> dict[str, float] | None:
        """:attr:`overall`'s numbers for today's inputs and rule replayed over the same questions.

        Not the record: a temper fitted on these questions makes it better than the forecasts
        were (docs/record.md). ``forecast calibrate``'s untempered in-sample mean daily log score
        of the same questions is this ``log_daily`` (docs/calibration.md). ``None`` without
        resolved questions.
        """
        return _means([r.hindcast for r in self.scored])

    @property
    def from_record(self) -> bool:
        """Whether the scores are those of published reports (the scorecard read an output folder)."""
        return any(r.published is not None for r in self.scored)

    @cached_property
    def leaderboard(self) -> list[LeaderboardRow]:
        """Each forecaster's mean daily Brier and log scores over the questions they forecast, best first."""
        return leaderboard(self.forecaster_scores)

    @cached_property
    def calibration_by_forecaster(self) -> dict[str, tuple[CalibrationBins, int]]:
        """Per forecaster with enough points, their calibration bins and the number of points."""
        return calibration_by_forecaster(self.forecaster_scores, bins=5)

    def headline(self) -> str:
        """The bottom line as one sentence, e.g. ``"2 resolved questions; mean daily Brier 0.31 ..."``."""
        n, k = len(self.record), len(self.examples)
        if not n and not k:
            return "No resolved questions yet: nothing to score."
        daily, prior = self.overall["brier_daily"], self.overall["brier_prior"]
        if not n:
            return (
                f"No resolved questions of the record yet; the {k} illustrative example"
                f"{'' if k == 1 else 's'} score mean daily Brier {daily:.2f} against {prior:.2f} for the priors: "
                f"too few resolved questions (0) to judge skill (it takes {MIN_QUESTIONS_TO_JUDGE})."
            )
        if n < MIN_QUESTIONS_TO_JUDGE:
            return (
                f"{n} resolved question{'' if n == 1 else 's'}; mean daily Brier {daily:.2f} against {prior:.2f} "
                f"for the priors: too few resolved questions ({n}) to judge skill (it takes {MIN_QUESTIONS_TO_JUDGE})."
                f"{self._examples_apart()}"
            )
        if round(daily, 2) == round(prior, 2):
            verdict = "no better than the priors"
        else:
            verdict = "better than the priors" if daily < prior else "worse than the priors"
        return (
            f"{n} resolved question{'' if n == 1 else 's'}; mean daily Brier {daily:.2f} "
            f"against {prior:.2f} for the priors: {verdict}.{self._examples_apart()}"
        )

    def _examples_apart(self) -> str:
        k = len(self.examples)
        if not k or not self.record:
            return ""
        return f" ({k} illustrative example{' is' if k == 1 else 's are'} listed apart.)"

    def summary(self) -> dict[str, Any]:
        """The numbers of the scorecard, as written to ``scorecard.json`` (NaN and infinity as null)."""
        table = self.calibration
        questions = []
        for r in self.resolved:
            entry = {f: json_number(v) for f, v in asdict(r.score).items() if f in _SCORE_FIELDS}
            entry |= {
                "question": r.question.id,
                "title": r.question.title,
                "resolved": r.score.resolved,
                "resolved_name": r.question.scenario(r.score.resolved).name,
                "resolution_date": r.score.resolution_date.isoformat(),
                "days": r.score.days,
                "p_resolved_final": json_number(r.p_resolved),
                "illustrative": r.question.illustrative,
            }
            if r.published is not None:
                entry |= {
                    "published_before_resolution": r.published.before_resolution,
                    "first_published": r.published.dates[0].isoformat() if r.published.dates else None,
                }
            questions.append(entry)
        return {
            "bottom_line": self.headline(),
            "resolved": len(self.resolved),
            "questions": questions,
            "overall": None if self.overall is None else {f: json_number(v) for f, v in self.overall.items()},
            "hindcast": None
            if self.hindcast is None
            else {f: json_number(v) for f, v in self.hindcast.items()},
            "examples": [r.question.id for r in self.examples],
            "calibration": {
                "edges": [float(x) for x in table.edges],
                "count": [int(x) for x in table.count],
                "mean_predicted": [json_number(x) for x in table.mean_predicted],
                "frequency": [json_number(x) for x in table.frequency],
            },
            "unresolved": list(self.unresolved),
            "skipped": [asdict(s) for s in self.skipped],
        } | {**self._forecaster_numbers(), **self._temper_numbers()}

    def _forecaster_numbers(self) -> dict[str, Any]:
        # Only with analysts or outside forecasts, so that a scorecard without them stays as it was.
        if not self.has_forecasters:
            return {}
        return {
            "leaderboard": [
                {f: (json_number(v) if isinstance(v, float) else v) for f, v in asdict(r).items()}
                for r in self.leaderboard
            ],
            "calibration_by_forecaster": {
                name: {
                    "n": n,
                    "count": [int(x) for x in table.count],
                    "mean_predicted": [json_number(x) for x in table.mean_predicted],
                    "frequency": [json_number(x) for x in table.frequency],
                }
                for name, (table, n) in self.calibration_by_forecaster.items()
            },
        }

    # ------------------------------------------------------------------ calibration (docs/calibration.md)

    @cached_property
    def temper_section(self) -> TemperSection | None:
        """The calibration section, where the data folder has a ``calibration.yaml`` and questions resolved."""
        if self.fitted is None or not self.record:
            return None
        return TemperSection(self.fitted, [(r.question, r.evidence) for r in self.record])

    def _temper_numbers(self) -> dict[str, Any]:
        # Only with a calibration.yaml (and a record of two questions), so that a scorecard without stays as it was.
        numbers = {} if self.temper_section is None else {"temper": self.temper_section.numbers()}
        if self.diagnostics is not None:
            numbers["diagnostics"] = self.diagnostics.numbers()
        return numbers

    @cached_property
    def diagnostics(self) -> Diagnostics | None:
        """τ fitted daily and on final forecasts, the reliability diagram and the Murphy decomposition,
        where at least two questions of the record have resolved (leave-one-out needs two)."""
        if len(self.record) < 2:
            return None
        cases = [(r.question, r.evidence, self._judgments.get(r.question.id, ())) for r in self.record]
        return Diagnostics(cases, self.bins)

    def diagnostics_table(self) -> Html:
        """The temper fitted daily and on final forecasts, and the Murphy decomposition (empty without a record)."""
        return Html("") if self.diagnostics is None else self.diagnostics.table()

    def diagnostics_chart(self):
        """The reliability diagram of the leave-one-out-tempered final forecasts beside the untempered ones."""
        return None if self.diagnostics is None else self.diagnostics.chart()

    def temper_table(self) -> Html:
        """The temper in use, the mean daily log scores at temper 1 and at it, and the fitted curve."""
        return Html("") if self.temper_section is None else self.temper_section.table()

    def temper_chart(self):
        """The calibration chart of the raw final forecasts beside the calibrated ones (``None`` uncalibrated)."""
        return None if self.temper_section is None else self.temper_section.chart(self.bins)

    # ------------------------------------------------------------------ /calibration

    def write_summary(self, path: str | Path = "scorecard.json") -> Path:
        """Write :meth:`summary` as JSON (atomically) and return its path."""
        path = Path(path)
        atomic_write_text(path, json.dumps(self.summary(), indent=2, sort_keys=True, allow_nan=False) + "\n")
        return path

    # ------------------------------------------------------------------ sections

    def bottom_line(self) -> Html:
        """Bottom line up front: how many questions, mean Brier against the priors, what was left out."""
        return render_template(
            "scorecard_bottom_line.html.j2",
            headline=self.headline(),
            overall=self.overall,
            unresolved=self.unresolved,
            skipped=self.skipped,
        )

    def score_table(self) -> Html:
        """One row per resolved question: final and daily-average Brier and log scores, priors, skill.

        The illustrative examples are listed apart, after the record, as examples.
        """

        def rows(resolved: Sequence[ResolvedQuestion]) -> list[dict[str, Any]]:
            return [
                {
                    "question": r.question,
                    "href": self.links.get(r.question.id),
                    "resolved": r.question.scenario(r.score.resolved),
                    "note": r.question.resolution.note,
                    "p_resolved": r.p_resolved,
                    "score": r.score,
                    "published": r.published,
                }
                for r in resolved
            ]

        record = render_template(
            "scorecard_scores.html.j2",
            rows=rows(self.record),
            overall=self.overall if self.record else None,
            hindcast=self.hindcast if self.record else None,
            from_record=self.from_record,
            examples=False,
            any_examples=bool(self.examples),
        )
        if not self.examples:
            return record
        examples = render_template(
            "scorecard_scores.html.j2",
            rows=rows(self.examples),
            overall=None if self.record else self.overall,
            hindcast=None if self.record else self.hindcast,
            from_record=self.from_record,
            examples=True,
            any_examples=True,
        )
        return Html(f"{record}\n{examples}")

    def calibration_table(self) -> Html:
        """The calibration bins that hold forecasts: range, count, mean forecast, how often it happened."""
        table = self.calibration
        bins = [
            {
                "low": float(table.edges[k]),
                "high": float(table.edges[k + 1]),
                "count": int(table.count[k]),
                "mean_predicted": float(table.mean_predicted[k]),
                "frequency": float(table.frequency[k]),
            }
            for k in range(len(table.count))
            if table.count[k] > 0
        ]
        return render_template("scorecard_calibration.html.j2", bins=bins)

    def leaderboard_table(self) -> Html:
        """The leaderboard: every forecaster's mean daily Brier and log scores (empty without analysts or outside forecasts)."""
        if not self.has_forecasters:
            return Html("")
        per_question = {}
        for s in self.forecaster_scores:
            per_question.setdefault(s.forecaster, []).append(s)
        return render_template(
            "scorecard_leaderboard.html.j2", rows=self.leaderboard, per_question=per_question
        )

    def calibration_by_forecaster_chart(self):
        """Each forecaster's calibration, for those with enough points; the legend states each n."""
        if not self.has_forecasters:
            return None
        from .plots import calibration_by_forecaster_chart

        return calibration_by_forecaster_chart(self.calibration_by_forecaster)

    def calibration_chart(self):
        """Predicted probability bins against observed frequency, with the diagonal and bin counts."""
        from .plots import calibration_chart

        n = len(self.scored)
        title = f"Final forecasts of every scenario, {n} resolved question{'' if n == 1 else 's'}"
        return calibration_chart(self.calibration, title=title)
