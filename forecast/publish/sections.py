"""The report's sections as data: what each one says, in plain frozen objects, apart from its HTML.

:class:`forecast.publish.report.Report` builds one object per section from the forecast it
shows (:meth:`~forecast.publish.report.Report.content` gives them all as one
:class:`ReportContent`); each object renders itself through its Jinja template with
autoescaping on (:mod:`forecast.publish.html`). Tests read the objects' fields, so a
number on the page is checked where it is decided rather than by parsing HTML.

The fields of a section are exactly what its template reads: a field's name is the
template's variable.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any, ClassVar

from .html import Html, render_template

__all__ = [
    "BottomLine",
    "Changes",
    "Checklists",
    "CriticalEvidence",
    "Disagreement",
    "EvidenceLog",
    "KeyJudgments",
    "Mover",
    "OutsideTable",
    "ProbabilityTable",
    "ReportContent",
    "Scoring",
    "Section",
    "Signpost",
    "WatchList",
]


class Section:
    """A section of the report: its data as fields, and :meth:`render` to HTML through ``template``."""

    template: ClassVar[str]

    def render(self) -> Html:
        """The section's HTML: its template rendered with its fields (shallow: nested objects stay objects)."""
        return render_template(self.template, **{f.name: getattr(self, f.name) for f in fields(self)})

    def _repr_html_(self) -> str:  # a notebook displays a section as its HTML
        return str(self.render())


@dataclass(frozen=True, slots=True)
class Mover:
    """A report that moved the forecast: what it said, and its move when it arrived on the scenario it moved most."""

    id: str
    date: date
    source: str
    grade: str
    summary: str
    indicator: str
    scenario: str
    points: float


@dataclass(frozen=True, slots=True)
class Signpost:
    """A pending indicator whose report would move the leading scenario, and where it would take it."""

    indicator: str
    text: str
    seen: bool
    by: date | None
    scenario: str
    probability: float
    rises: bool
    #: A report that would overturn the indicator's status (not one still pending).
    reversal: bool = False
    #: The scenario that would lead after it, where that is not the leading one now.
    new_leader: str | None = None


@dataclass(frozen=True, slots=True)
class KeyJudgments:
    """The brief that opens a report: bottom line, confidence, why it moved, what would change it.

    Rendered as part of :class:`BottomLine`, after the title and any alert. A resolved
    question's (``resolution`` set) holds the outcome, its score and the forecast on the
    eve (``eve_probabilities``) instead of a confidence statement and signposts. See
    docs/key-judgments.md.
    """

    as_of: date
    opened: date
    closes: date
    days_left: int
    leading: Any
    scenarios: list[dict[str, Any]]
    confidence: Any
    movers: list[Mover]
    movers_since: str | None
    signposts: list[Signpost]
    analysts: dict[str, tuple[float, float]] | None
    outside_line: str | None
    resolution: dict[str, Any] | None
    eve_probabilities: dict[str, float] | None
    #: The scenario next to the leader when they are within 5 points (a near tie), else ``None``.
    runner_up: dict[str, Any] | None = None
    #: Each scenario's name and its description, its resolution criterion (``None``: none given).
    criteria: list[tuple[str, str | None]] = field(default_factory=list)
    #: Every grade the brief shows, with its words: the one-line key.
    grades: list[tuple[str, str]] = field(default_factory=list)
    #: Team view: the scenarios whose pooled figure is outside the analysts' range (extremizing).
    outside_range: list[dict[str, Any]] = field(default_factory=list)
    #: The pool's extremizing exponent (``None``: not a team).
    extremize: float | None = None
    #: The largest move's report, where it overturned a stronger one (``None``: it did not).
    overturned: dict[str, Any] | None = None
    #: How close (in points, as shown) the runner-up must be for the bottom line to name it.
    near_tie_points: int = 5
    #: items in the news inbox not yet reviewed (said, with no effect on any number)
    inbox_unreviewed: int = 0
    #: the line naming this report's revision, and what it replaced (``None`` for the first publication)
    revision: str | None = None
    #: how the forecast is made, changed since the report compared with ("temper 1 → 0.35")
    method_changes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BottomLine(Section):
    """Bottom line up front: the leading scenario, its words, the move, alerts and warnings."""

    template: ClassVar[str] = "bottom_line.html.j2"
    question: Any
    as_of: date
    leading: Any
    p: float
    scenarios: list[dict[str, Any]]
    previous: Any
    moves: dict[str, float] | None
    alerts: list[str]
    threshold: float
    tripwires: list[tuple[Any, Any]]
    counted: int
    resolution: dict[str, Any] | None
    replaced: bool
    team: dict[str, Any] | None
    latest: date | None
    age: int | None
    stale: bool
    closed_unresolved: bool
    key_judgments: KeyJudgments
    #: What a calibrated report says of its temper (``None`` when the rule is not tempered).
    calibration: str | None = None
    #: The alert of a revision that moved a scenario past the threshold (docs/record.md), in words.
    revised: str | None = None
    #: The latest report whose role is *counted*: its id, source, date and age (``None``: none counted).
    latest_report: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Changes(Section):
    """Moves, new evidence, status changes and newly fired tripwires since the previous report."""

    template: ClassVar[str] = "changes.html.j2"
    changes: Any
    previous: Any
    replaced: bool
    scenarios: list[dict[str, Any]]
    indicators: dict[str, Any]
    #: How many reports this report counts (said where the reports added cannot be known).
    counted: int = 0


@dataclass(frozen=True, slots=True)
class ProbabilityTable(Section):
    """Each scenario's probability with its range, ICD-203 words, prior and move."""

    template: ClassVar[str] = "probabilities.html.j2"
    scenarios: list[dict[str, Any]]
    has_previous: bool
    ranged: int
    ranges_given: int
    spread: float | None
    draws: int
    analysts: dict[str, tuple[float, float]] | None
    #: What a calibrated report says of its temper (``None`` when the rule is not tempered).
    calibration: str | None = None


@dataclass(frozen=True, slots=True)
class Checklists(Section):
    """The indicator checklist of each scenario."""

    template: ClassVar[str] = "checklists.html.j2"
    sections: list[tuple[Any, Any]]
    groups: dict[str, Any]
    default_window: tuple[date, date]
    as_of: date


@dataclass(frozen=True, slots=True)
class EvidenceLog(Section):
    """The evidence log as shown: its entries, newest first, and how many the log holds."""

    template: ClassVar[str] = "evidence.html.j2"
    entries: list[Any]
    roles: dict[str, str]
    explained: dict[str, str]
    total: int
    newest: int
    csv_name: str
    scenarios: Any
    indicators: dict[str, Any]
    extra_columns: Any
    as_of: date


@dataclass(frozen=True, slots=True)
class CriticalEvidence(Section):
    """What the forecast rests on: leave-one-out over indicators, groups and reports."""

    template: ClassVar[str] = "critical.html.j2"
    critical: list[Any]
    most_influential: list[tuple[str, str, Any]]
    names: dict[str, str]
    indicators: dict[str, Any]
    groups: dict[str, Any]


@dataclass(frozen=True, slots=True)
class WatchList(Section):
    """Pending indicators that would tell the most, best first."""

    template: ClassVar[str] = "watch.html.j2"
    items: list[Any]
    pending: int
    scenarios: Any
    groups: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Disagreement(Section):
    """Where the analysts differ: their forecasts, moves, spread, the judgments that drive it, their notes."""

    template: ClassVar[str] = "disagreement.html.j2"
    scenarios: Any
    analysts: list[dict[str, Any]]
    team: Any
    spread: Any
    drivers: list[Any]
    more: int
    extremize: float
    previous_as_of: str | None


@dataclass(frozen=True, slots=True)
class OutsideTable(Section):
    """Outside forecasts as of the report's date, each beside the forecast of the same date."""

    template: ClassVar[str] = "outside.html.j2"
    scenarios: Any
    rows: list[dict[str, Any]]
    model_name: str
    path: str
    total: int
    csv_name: str


@dataclass(frozen=True, slots=True)
class Scoring(Section):
    """Scores against the resolution."""

    template: ClassVar[str] = "scoring.html.j2"
    score: Any
    resolution: Any
    names: dict[str, str]
    eve: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class ReportContent:
    """Every section of one report as data, in page order; ``None`` for a section with nothing to show."""

    key_judgments: KeyJudgments
    bottom_line: BottomLine
    changes: Changes
    probabilities: ProbabilityTable
    outside: OutsideTable | None
    disagreement: Disagreement | None
    critical: CriticalEvidence
    watch: WatchList | None
    checklists: Checklists
    evidence: EvidenceLog
    scoring: Scoring | None
