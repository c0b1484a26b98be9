"""The report of one question as of one date: what the notebook shows and summary.json holds.

:class:`Report` gathers the assessment, the previous report's summary and the
analysis, and renders each section as HTML through Jinja templates with
autoescaping on, so text that came from evidence logs is always shown inert.
Only ``http`` and ``https`` addresses become links.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from .engine import Assessment, assess
from .load import evidence_path, load_evidence, load_question, question_path
from .model import EvidenceLog
from .store import atomic_write_text, previous_summary
from .words import probability_words

__all__ = ["Html", "Report", "safe_url"]

_TEMPLATES = Path(__file__).parent / "templates"
_WEB_URL = re.compile(r"^https?://[^\s<>\"'`]+$", re.IGNORECASE)


class Html(str):
    """A fragment of HTML that notebooks display as HTML."""

    def _repr_html_(self) -> str:
        return str(self)

    def __html__(self) -> str:  # Jinja and MarkupSafe: already escaped, insert as is
        return str(self)


def safe_url(url: str) -> str | None:
    """``url`` if it is an http(s) address that may become a link, else ``None``."""
    return url if url and _WEB_URL.match(url) else None


def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda p: f"{p * 100:.0f}%"
    env.filters["points"] = lambda x: "0" if round(x, 1) == 0 else f"{x:+.1f}"
    env.filters["words"] = probability_words
    env.filters["safe_url"] = safe_url
    return env


def render_template(name: str, **context: Any) -> Html:
    """Render one of the package's templates with autoescaping."""
    return Html(_environment().get_template(name).render(**context))


def _parse_as_of(as_of: date | str | None) -> date:
    if as_of in (None, ""):
        return date.today()
    if isinstance(as_of, date):
        return as_of
    return date.fromisoformat(str(as_of))


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
    """

    def __init__(
        self,
        question_id: str,
        as_of: date | str | None = None,
        data_dir: str | Path = "data",
        reports_dir: str | Path | None = None,
        alert_threshold: float | None = None,
    ) -> None:
        self.as_of = _parse_as_of(as_of)
        self.question = load_question(question_path(data_dir, question_id))
        self.evidence: EvidenceLog = load_evidence(evidence_path(data_dir, question_id), self.question)
        self.assessment: Assessment = assess(self.question, self.evidence, self.as_of)
        self.previous = previous_summary(reports_dir, question_id, self.as_of)
        self.alert_threshold = (
            self.question.alert_threshold if alert_threshold is None else float(alert_threshold)
        )

    # ------------------------------------------------------------------ numbers

    @cached_property
    def moves(self) -> dict[str, float] | None:
        """Each scenario's move in points since the previous report (``None`` if there is none)."""
        if self.previous is None:
            return None
        before = self.previous.get("probabilities") or {}
        return {
            s: (p - float(before[s])) * 100 if s in before else 0.0
            for s, p in self.assessment.probabilities.items()
        }

    @property
    def alerts(self) -> list[str]:
        """Scenarios that moved by the alert threshold or more since the previous report."""
        return [s for s, m in (self.moves or {}).items() if abs(m) >= self.alert_threshold]

    def summary(self) -> dict[str, Any]:
        """The numbers of this report, as written to ``summary.json``."""
        a, q = self.assessment, self.question
        previous = dict(self.previous) if self.previous else None
        if previous is not None:
            previous.pop("previous", None)  # keep one level: no chain of every earlier report
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
            "moves": self.moves,
            "alert_threshold": self.alert_threshold,
            "alerts": self.alerts,
            "previous": previous,
        }

    def write_summary(self, path: str | Path = "summary.json") -> Path:
        """Write :meth:`summary` as JSON (atomically) and return its path."""
        path = Path(path)
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
                "move": None if self.moves is None else self.moves[s.id],
                "alert": s.id in self.alerts,
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
            "probabilities.html.j2", scenarios=self._scenario_rows(), has_previous=self.previous is not None
        )

    def trajectory_chart(self):
        """The trajectory chart (one line per scenario, evidence dates marked)."""
        from .plots import trajectory_chart

        a = self.assessment
        dates = [e.row.date for e in a.audit if e.effect is not None]
        return trajectory_chart(a.trajectory, [s.name for s in self.question.scenarios], dates)

    def checklists(self) -> Html:
        """The indicator checklist of each scenario, with status and diagnosticity."""
        a = self.assessment
        return render_template(
            "checklists.html.j2",
            sections=[(s, a.checklist(s.id)) for s in self.question.scenarios],
        )

    def evidence_log(self) -> Html:
        """Every evidence row with its grade, weight, role and effect, newest first."""
        a = self.assessment
        entries = sorted(
            a.audit,
            key=lambda e: (e.row.date, -1 if e.order is None else e.order, e.row.line),
            reverse=True,
        )
        return render_template(
            "evidence.html.j2",
            entries=entries,
            scenarios=self.question.scenarios,
            indicators={i.id: i for i in self.question.indicators},
            extra_columns=self.evidence.extra_columns,
            as_of=a.as_of,
        )
