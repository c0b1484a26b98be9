"""The report of one question as of one date: what the notebook shows and summary.json holds.

:class:`Report` gathers the assessment, the previous report's summary and the
analysis, and renders each section as HTML through Jinja templates with
autoescaping on (:mod:`forecast.html`), so text that came from evidence logs is
always shown inert.
"""

from __future__ import annotations

import csv
import heapq
import io
import json
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from . import analysis
from .engine import Assessment, assess
from .html import Html, render_template, safe_url
from .load import load_by_id, parse_as_of
from .store import EVIDENCE_CSV, atomic_write_text, atomic_writer, previous_summary
from .words import probability_words

__all__ = ["Html", "Report", "safe_url"]


class Report:
    """Everything shown about one question as of one date.

    Parameters
    ----------
    question_id : str
        The question's id (its file stem).
    as_of : date or str, optional
        ISO date; ``None`` or ``""`` means today.
    data_dir : str or Path
        The folder with ``questions/`` and ``evidence/``.
    reports_dir : str or Path, optional
        Where earlier reports are kept, to compare with the latest one before
        ``as_of``; ``None`` for no comparison.
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
    """

    def __init__(
        self,
        question_id: str,
        as_of: date | str | None = None,
        data_dir: str | Path = "data",
        reports_dir: str | Path | None = None,
        alert_threshold: float | None = None,
        draws: int = 2000,
        seed: int = analysis.DEFAULT_SEED,
        watch: int = 5,
        log_newest: int = 100,
        log_strongest: int = 50,
    ) -> None:
        self.as_of = parse_as_of(as_of)
        self.question, self.evidence = load_by_id(data_dir, question_id)
        self.assessment: Assessment = assess(self.question, self.evidence, self.as_of)
        self.previous = previous_summary(reports_dir, question_id, self.as_of)
        self.alert_threshold = (
            self.question.alert_threshold if alert_threshold is None else float(alert_threshold)
        )
        self.draws, self.seed, self.watch = draws, seed, watch
        self.log_newest, self.log_strongest = log_newest, log_strongest

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
            "evidence_counted": a.evidence_counted,
            "evidence_ids": [e.row.id for e in a.audit if e.effect is not None],
            "indicator_status": {i: st.status_text for i, st in a.states.items()},
            "tripwires_fired": list(a.tripwires_fired),
        }

    @cached_property
    def changes(self) -> analysis.Changes:
        """What changed since the previous report (moves, new evidence, status changes, alert)."""
        return analysis.compare_summaries(
            self._numbers(), self.previous, threshold_points=self.alert_threshold
        )

    @property
    def moves(self) -> dict[str, float] | None:
        """Each scenario's move in points since the previous report (``None`` if there is none)."""
        return None if self.previous is None else dict(self.changes.moves)

    @property
    def alerts(self) -> list[str]:
        """Scenarios that moved by the alert threshold or more since the previous report."""
        return list(self.changes.alerting)

    @cached_property
    def intervals(self) -> analysis.Intervals:
        """5th-95th percentile of each scenario's probability over the ranged likelihoods."""
        return analysis.intervals(self.question, self.evidence, self.as_of, draws=self.draws, seed=self.seed)

    @cached_property
    def critical(self) -> list[analysis.Influence]:
        """Indicators and reports whose removal would change the leader or move a scenario 10+ points."""
        return analysis.critical_evidence(self.question, self.evidence, self.as_of)

    @cached_property
    def most_influential(self) -> dict[str, analysis.Influence | None]:
        """Per scenario, the indicator whose removal would lower it most."""
        return analysis.most_influential(self.question, self.evidence, self.as_of)

    @cached_property
    def watch_items(self) -> list[analysis.WatchItem]:
        """Pending indicators ranked by expected information gain."""
        return analysis.watch_list(self.question, self.evidence, self.as_of)

    @cached_property
    def score(self) -> analysis.Score | None:
        """Scores of a resolved question, if the resolution date has been reached."""
        resolution = self.question.resolution
        if resolution is None or self.as_of < resolution.date:
            return None
        return analysis.score(self.question, self.evidence)

    def summary(self) -> dict[str, Any]:
        """The numbers of this report, as written to ``summary.json``."""
        previous = dict(self.previous) if self.previous else None
        if previous is not None:
            previous.pop("previous", None)  # keep one level: no chain of every earlier report
        c = self.changes
        return {
            **self._numbers(),
            "intervals": {s: list(b) for s, b in self.intervals.bounds.items()},
            "critical_evidence": [
                {
                    "kind": i.kind,
                    "id": i.id,
                    "indicator": i.indicator,
                    "change": dict(i.change),
                    "leading_without": i.leading_without,
                    "leader_changes": i.leader_changes,
                }
                for i in self.critical
            ],
            "most_influential": {s: (i.indicator if i else None) for s, i in self.most_influential.items()},
            "watch": [
                {
                    "indicator": w.indicator,
                    "p_reported": w.p_reported,
                    "information_bits": w.information_bits,
                    "if_observed": dict(w.if_observed),
                    "if_absent": dict(w.if_absent),
                }
                for w in self.watch_items[: self.watch]
            ],
            "moves": self.moves,
            "changes": None
            if self.previous is None
            else {
                "previous_as_of": c.previous_as_of,
                "evidence_added": list(c.evidence_added),
                "evidence_removed": list(c.evidence_removed),
                "status_changes": {i: list(v) for i, v in c.status_changes.items()},
                "tripwires_newly_fired": list(c.tripwires_fired),
                "leader_changed": c.leader_changed,
            },
            "alert_threshold": self.alert_threshold,
            "alert": c.alert,
            "alerts": self.alerts,
            "score": None if self.score is None else _score_dict(self.score),
            "previous": previous,
        }

    def write_summary(self, path: str | Path = "summary.json") -> Path:
        """Write :meth:`summary` as JSON, and the full evidence log beside it (:meth:`write_evidence_csv`).

        Both are written atomically; returns the summary's path.
        """
        path = Path(path)
        self.write_evidence_csv(path.with_name(EVIDENCE_CSV))
        atomic_write_text(path, json.dumps(self.summary(), indent=2, sort_keys=True) + "\n")
        return path

    # ------------------------------------------------------------------ sections

    def _scenario_rows(self) -> list[dict[str, Any]]:
        a = self.assessment
        return [
            {
                "id": s.id,
                "name": s.name,
                "description": s.description,
                "probability": a.probabilities[s.id],
                "prior": s.prior,
                "move": None if self.moves is None else self.moves.get(s.id, 0.0),
                "alert": s.id in self.alerts,
                "interval": self.intervals.bounds[s.id],
            }
            for s in sorted(self.question.scenarios, key=lambda s: -a.probabilities[s.id])
        ]

    def bottom_line(self) -> Html:
        """Bottom line up front: leading scenario, its probability and words, the move since last time."""
        a = self.assessment
        tripwires = [self.question.indicator(i) for i in a.tripwires_fired]
        return render_template(
            "bottom_line.html.j2",
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
        )

    def probability_table(self) -> Html:
        """Each scenario's probability with its ICD-203 words, prior and move."""
        return render_template(
            "probabilities.html.j2",
            scenarios=self._scenario_rows(),
            has_previous=self.previous is not None,
            ranged=self.intervals.ranged,
            draws=self.draws,
        )

    def trajectory_chart(self):
        """The trajectory chart (one line per scenario, evidence dates marked)."""
        from .plots import trajectory_chart

        a = self.assessment
        dates = [e.row.date for e in a.audit if e.effect is not None]
        band = None
        if self.intervals.ranged:
            band = analysis.trajectory_intervals(
                self.question, self.evidence, self.as_of, draws=self.draws, seed=self.seed
            ).band
        return trajectory_chart(a.trajectory, [s.name for s in self.question.scenarios], dates, band)

    def checklists(self) -> Html:
        """The indicator checklist of each scenario, with status and diagnosticity."""
        a = self.assessment
        return render_template(
            "checklists.html.j2",
            sections=[(s, a.checklist(s.id)) for s in self.question.scenarios],
        )

    def shown_evidence(self) -> list:
        """The audit entries the evidence log shows, newest first.

        Every report, when there are at most ``log_newest + log_strongest``; else the
        ``log_newest`` reports and the ``log_strongest`` others whose largest effect
        on a scenario is largest (ties: the newer first), so that the page and the
        notebook stay small however long the log grows.
        """
        entries = sorted(
            self.assessment.audit,
            key=lambda e: (e.row.date, -1 if e.order is None else e.order, e.row.line),
            reverse=True,
        )
        if len(entries) <= self.log_newest + self.log_strongest:
            return entries
        rest = range(self.log_newest, len(entries))
        strongest = heapq.nsmallest(self.log_strongest, rest, key=lambda k: -_largest_effect(entries[k]))
        return entries[: self.log_newest] + [entries[k] for k in sorted(strongest)]

    def evidence_log(self) -> Html:
        """The evidence log with each report's grade, weight, role and effect, newest first (see :meth:`shown_evidence`)."""
        a = self.assessment
        entries = self.shown_evidence()
        return render_template(
            "evidence.html.j2",
            entries=entries,
            total=len(a.audit),
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
        from .evidence import spreadsheet_safe

        extra = self.evidence.extra_columns
        scenario_ids = self.question.scenario_ids
        no_effect = [""] * len(scenario_ids)
        path = Path(path)
        with atomic_writer(path) as raw:
            handle = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(
                ["id", "date", "indicator", "observed", "source", "reliability", "credibility", "url", "summary",
                 *extra, "weight", "role", *(f"effect:{s}" for s in scenario_ids)]
            )  # fmt: skip
            safe = spreadsheet_safe
            for e in self.assessment.audit:  # in file order
                r = e.row
                effects = [f"{e.effect[s]:.4f}" for s in scenario_ids] if e.effect is not None else no_effect
                writer.writerow(
                    [safe(r.id), r.date.isoformat(), r.indicator, "yes" if r.observed else "no", safe(r.source),
                     r.reliability, r.credibility, safe(r.url), safe(r.summary), *(safe(r.extra.get(c, "")) for c in extra),
                     f"{e.weight:.4f}", e.role, *effects]
                )  # fmt: skip
            handle.flush()
            handle.detach()  # atomic_writer closes the file
        return path

    def changes_since_previous(self) -> Html:
        """Moves, new evidence, status changes and newly fired tripwires since the previous report."""
        return render_template(
            "changes.html.j2",
            changes=self.changes,
            previous=self.previous,
            scenarios=self._scenario_rows(),
            indicators={i.id: i for i in self.question.indicators},
        )

    def critical_evidence(self) -> Html:
        """What the forecast rests on: leave-one-out over indicators and reports."""
        names = {s.id: s.name for s in self.question.scenarios}
        return render_template(
            "critical.html.j2",
            critical=self.critical,
            most_influential=[(s, names[s], i) for s, i in self.most_influential.items()],
            names=names,
            indicators={i.id: i for i in self.question.indicators},
        )

    def watch_next(self) -> Html:
        """Pending indicators that would move the forecast most if reported, best first."""
        return render_template(
            "watch.html.j2",
            items=self.watch_items[: self.watch],
            pending=len(self.watch_items),
            scenarios=self.question.scenarios,
        )

    def scoring(self) -> Html:
        """Scores against the resolution, once the question has resolved (empty before)."""
        if self.score is None:
            return Html("")
        return render_template(
            "scoring.html.j2",
            score=self.score,
            resolution=self.question.resolution,
            names={s.id: s.name for s in self.question.scenarios},
        )


def _largest_effect(entry) -> float:
    return max((abs(v) for v in entry.effect.values()), default=0.0) if entry.effect is not None else 0.0


def _finite(x: float) -> float | None:
    # JSON has no infinity: a zero probability on what happened scores "null" (unbounded).
    return x if x == x and abs(x) != float("inf") else None


def _score_dict(score: analysis.Score) -> dict[str, Any]:
    return {
        "resolved": score.resolved,
        "resolution_date": score.resolution_date.isoformat(),
        "days": score.days,
        "brier_final": score.brier_final,
        "brier_daily": score.brier_daily,
        "brier_prior": score.brier_prior,
        "log_final": _finite(score.log_final),
        "log_daily": _finite(score.log_daily),
        "log_prior": _finite(score.log_prior),
        "skill_final": _finite(score.skill_final),
        "skill_daily": _finite(score.skill_daily),
    }
