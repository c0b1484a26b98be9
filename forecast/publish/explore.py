"""What-if exploration: how each scenario would move if hypothetical reports came in.

A forecaster lists hypothetical evidence rows, as they would be written in the
evidence log but as Python mappings; :func:`hypothetical_rows` checks them with
the evidence loader's own checks (so a bad grade reads exactly as it would in
the CSV, located at ``hypothetical:ROW``), and :func:`what_if` applies them one
after another to the question's real evidence, by the engine's rule, and
reports each step's probabilities and moves in percentage points.

:class:`Exploration` gathers a question, its log and a date for
``notebooks/explore.ipynb``; :func:`explore_widgets` adds live controls
(ipywidgets, imported only there) for the indicators that are still pending.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from ..assessment import Assessment, assess
from ..engine.compiled import CompiledEvidence, Evidence, compile_evidence, posterior_as_of
from ..errors import EvidenceFileError, ForecastError
from ..inputs.evidence import evidence_row
from ..inputs.safe_yaml import Located
from ..inputs.validate import load_by_id, parse_as_of
from ..model import EvidenceLog, EvidenceRow, Question
from .html import Html, render_template

__all__ = [
    "HYPOTHETICAL",
    "Exploration",
    "WhatIfControls",
    "WhatIfStep",
    "explore_widgets",
    "hypothetical_rows",
    "what_if",
    "what_if_table",
]

#: The "file" that problems with hypothetical rows are located in: ``hypothetical:ROW: ...``.
HYPOTHETICAL = "hypothetical"
_REQUIRED = ("indicator", "observed", "reliability", "credibility")
_OPTIONAL = ("date", "source", "summary")
_EXPECTED = {
    "indicator": "an indicator id of the question",
    "observed": "'yes' (seen) or 'no' (looked for, not seen)",
    "reliability": "an Admiralty reliability grade (A-F)",
    "credibility": "an Admiralty credibility grade (1-6)",
}
#: The choices offered for each pending indicator by the interactive controls.
NOT_REPORTED, SEEN, NOT_SEEN = "not reported", "seen", "not seen"


def _cell(value: Any) -> str:
    """A value as the CSV loader would see it: text, with booleans as yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def hypothetical_rows(
    question: Question, rows: Iterable[Mapping[str, Any]], as_of: date | str | None = None
) -> list[EvidenceRow]:
    """Check hypothetical evidence rows and build them as the evidence loader would.

    Parameters
    ----------
    question : Question
    rows : iterable of mappings
        Each with ``indicator``, ``observed`` (``"yes"``/``"no"`` or a bool),
        ``reliability`` (A-F) and ``credibility`` (1-6); optionally ``date``
        (``None`` means ``as_of``), ``source`` and ``summary``.
    as_of : date or str, optional
        The date of the forecast they are added to; defaults to today.

    Returns
    -------
    list of EvidenceRow
        In the order given, with ids ``what-if-1``, ``what-if-2``, ...

    Raises
    ------
    EvidenceFileError
        With every problem found, located as ``hypothetical:ROW`` (1-based), e.g.
        ``hypothetical:2: reliability 'G' is not an Admiralty grade (A-F)``.

    Examples
    --------
    >>> q = load_question("data/questions/russia-syria-bases.yaml")  # doctest: +SKIP
    >>> row = {"indicator": "no-settlement-yet", "observed": "yes", "reliability": "B", "credibility": 2}
    >>> hypothetical_rows(q, [row], "2025-02-20")[0].id  # doctest: +SKIP
    'what-if-1'
    """
    as_of = parse_as_of(as_of)
    where = Located(HYPOTHETICAL)
    if isinstance(rows, (Mapping, str)):
        where.error(
            0, f"expected a list of rows such as [{{'indicator': ...}}], got one {type(rows).__name__}"
        )
        raise EvidenceFileError(where.problems)
    built: list[EvidenceRow] = []
    first_seen: dict[str, int] = {}
    indicators = set(question.indicator_ids)
    for number, given in enumerate(rows, start=1):
        if not isinstance(given, Mapping):
            where.error(
                number,
                f"expected a mapping with {', '.join(_REQUIRED)}, got {type(given).__name__} {given!r}",
            )
            continue
        unknown = [k for k in given if k not in _REQUIRED + _OPTIONAL]
        for key in unknown:
            where.error(number, f"unknown field {key!r}; expected only {', '.join(_REQUIRED + _OPTIONAL)}")
        missing = [k for k in _REQUIRED if given.get(k) in (None, "")]
        for key in missing:
            where.error(number, f"{key} is missing; expected {_EXPECTED[key]}")
        if unknown or missing:
            continue
        cells = {k: _cell(given[k]) for k in _REQUIRED}
        cells["id"] = f"what-if-{number}"
        cells["date"] = _cell(given.get("date") or as_of)
        cells["source"] = _cell(given.get("source") or "hypothetical")
        cells["summary"] = _cell(given.get("summary") or "")
        # `today` is date.max: a row dated after as_of is an error here, not the loader's warning.
        row = evidence_row(cells, number, question, indicators, first_seen, where, date.max, ())
        if row is None:
            continue
        if row.date > as_of:
            where.error(
                number, f"date {row.date} is after as_of {as_of}; a report dated later would not count"
            )
            continue
        built.append(row)
    if where.has_errors:
        raise EvidenceFileError(where.problems)
    return built


@dataclass(frozen=True, slots=True)
class WhatIfStep:
    """One step of a what-if: the probabilities after it and each scenario's move.

    ``label`` is ``"current"`` (the real evidence only), a hypothetical row's id,
    or ``"final"`` (every hypothetical row). ``moves`` are in percentage points,
    against the step before; the final step's are against the current forecast.
    """

    label: str
    row: EvidenceRow | None
    probabilities: Mapping[str, float]
    moves: Mapping[str, float]


def _rows(evidence: Evidence) -> list[EvidenceRow]:
    if isinstance(evidence, CompiledEvidence):
        evidence = evidence.evidence
    return list(evidence.rows if isinstance(evidence, EvidenceLog) else evidence)


def what_if(
    question: Question,
    evidence: Evidence,
    hypothetical: Iterable[Mapping[str, Any]],
    as_of: date | str | None = None,
) -> list[WhatIfStep]:
    """How each scenario would move as hypothetical reports are added to the real ones.

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog, iterable of EvidenceRow, or CompiledEvidence
        The real evidence log; a compile of this question as of this date gives
        the current forecast as it is (see :func:`~forecast.engine.compile_evidence`).
    hypothetical : iterable of mappings
        Rows as described in :func:`hypothetical_rows`, applied cumulatively in
        the order given (each after the real evidence and the rows before it).
    as_of : date or str, optional
        Defaults to today.

    Returns
    -------
    list of WhatIfStep
        The current forecast, one step per hypothetical row, and the final one.

    Raises
    ------
    EvidenceFileError
        If a hypothetical row is not valid.

    Examples
    --------
    >>> steps = what_if(q, log, [{"indicator": "x", "observed": "yes", "reliability": "A", "credibility": 1}])  # doctest: +SKIP
    >>> [s.label for s in steps]  # doctest: +SKIP
    ['current', 'what-if-1', 'final']
    """
    as_of = parse_as_of(as_of)
    real = _rows(evidence)
    added = hypothetical_rows(question, hypothetical, as_of)
    ids = question.scenario_ids

    def moves(after: Mapping[str, float], before: Mapping[str, float]) -> dict[str, float]:
        return {s: (after[s] - before[s]) * 100.0 for s in ids}

    current = compile_evidence(question, evidence, as_of).probabilities()
    steps = [WhatIfStep("current", None, current, dict.fromkeys(ids, 0.0))]
    for k, row in enumerate(added, start=1):
        after = posterior_as_of(question, real + added[:k], as_of)
        steps.append(WhatIfStep(row.id, row, after, moves(after, steps[-1].probabilities)))
    final = steps[-1].probabilities
    steps.append(WhatIfStep("final", None, final, moves(final, current)))
    return steps


def what_if_table(question: Question, steps: Sequence[WhatIfStep]) -> Html:
    """The steps as a table: each scenario's probability and move in points, step by step."""
    return render_template(
        "explore_steps.html.j2",
        scenarios=question.scenarios,
        indicators={i.id: i for i in question.indicators},
        steps=steps,
        added=len(steps) - 2,
    )


# --------------------------------------------------------------------------- interactive controls


class WhatIfControls:
    """Live what-if controls: one row per indicator still open, and the table they update.

    For each indicator with no report as of the date, or "not seen yet" with its
    window still open (those :func:`~forecast.analysis.watch_list` keeps): whether a
    report dated as of the date says it was seen, not seen, or there is none yet,
    and that report's grade. A "not seen" counts for the part of the indicator's
    window passed by the date, and group members by the group rule. Displaying
    the object shows the controls (ipywidgets); without a frontend they show as
    text and nothing fails.
    """

    def __init__(self, question: Question, evidence: Evidence, as_of: date) -> None:
        try:
            import ipywidgets as widgets
        except ImportError:  # pragma: no cover - ipywidgets is installed with the notebooks' extras
            raise ForecastError(
                "interactive controls need ipywidgets (pip install ipywidgets); "
                "or run the notebook with interactive=False"
            ) from None
        self.question, self.as_of = question, as_of
        #: the assessment the what-ifs start from (one compile of the real evidence)
        self.assessment = assess(question, evidence, as_of)
        self.evidence = _rows(evidence)
        still_open = {w.indicator for w in self.assessment.watch()}
        self.pending = [i for i in question.indicators if i.id in still_open]
        self.choices: dict[str, tuple[Any, Any, Any]] = {}
        lines = []
        for ind in self.pending:
            report = widgets.ToggleButtons(options=[NOT_REPORTED, SEEN, NOT_SEEN], value=NOT_REPORTED)
            reliability = widgets.Dropdown(
                options=list(question.reliability_weights), value="B", layout={"width": "4.5em"}
            )
            credibility = widgets.Dropdown(
                options=[str(c) for c in question.credibility_weights], value="2", layout={"width": "4.5em"}
            )
            for control in (report, reliability, credibility):
                control.observe(self.refresh, names="value")
            self.choices[ind.id] = (report, reliability, credibility)
            label = widgets.HTML(
                render_template(
                    "explore_control_label.html.j2", indicator=ind, group=question.groups.get(ind.group or "")
                )
            )
            lines.append(widgets.HBox([label, report, reliability, credibility]))
        self.table = widgets.HTML()
        if not self.pending:
            lines.append(
                widgets.HTML(
                    "<p>No indicator is still open: every one has a report, and no window is open.</p>"
                )
            )
        self.widget = widgets.VBox([*lines, self.table])
        self.refresh()

    def rows(self) -> list[dict[str, Any]]:
        """The hypothetical rows the controls describe, in question order."""
        return [
            {
                "indicator": iid,
                "observed": report.value == SEEN,
                "reliability": reliability.value,
                "credibility": credibility.value,
            }
            for iid, (report, reliability, credibility) in self.choices.items()
            if report.value != NOT_REPORTED
        ]

    def refresh(self, change: object = None) -> None:
        """Recompute the table from the controls (called on every change)."""
        steps = what_if(self.question, self.assessment.compiled, self.rows(), self.as_of)
        self.table.value = str(what_if_table(self.question, steps))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def explore_widgets(
    question: Question, evidence: EvidenceLog | Iterable[EvidenceRow], as_of: date | str | None = None
) -> WhatIfControls:
    """Interactive controls for the pending indicators, updating a probability table live.

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog or iterable of EvidenceRow
    as_of : date or str, optional
        Defaults to today.

    Returns
    -------
    WhatIfControls
        Display it in JupyterLab.
    """
    return WhatIfControls(question, evidence, parse_as_of(as_of))


# --------------------------------------------------------------------------- the notebook's entry point


class Exploration:
    """A question, its evidence log and a date, ready for what-ifs.

    Built from inputs already read; :meth:`load` reads them from a data folder by
    id, as ``explore.ipynb`` does. Nothing here writes: the what-ifs never reach the
    evidence log.

    Parameters
    ----------
    question : Question
        The question whose what-ifs these are (an analyst's: overlaid by their judgments).
    evidence : EvidenceLog
        Its evidence log.
    as_of : date
    analyst : str, optional
        The analyst whose judgments ``question`` carries, if any (it labels the heading).
    """

    @classmethod
    def load(
        cls,
        question_id: str,
        as_of: date | str | None = None,
        data_dir: str | Path = "data",
        analyst: str | None = None,
    ) -> Exploration:
        """Read a question's files by id (and an analyst's judgment file), then build its :class:`Exploration`.

        Parameters
        ----------
        question_id : str
            The question's id (its file stem).
        as_of : date or str, optional
            ISO date; ``None`` or ``""`` means today.
        data_dir : str or Path
            The folder with ``questions/`` and ``evidence/``.
        analyst : str, optional
            An analyst with a judgment file of this question: the what-ifs are then
            that analyst's, on the question overlaid by their judgments. ``None`` or
            ``""``: the question file's own values.

        Raises
        ------
        ForecastError
            For an analyst with no judgment file of this question, and as the loaders do.
        """
        from ..inputs.judgments import judgment_of, load_judgments, overlay

        question, evidence = load_by_id(data_dir, question_id)
        analyst = analyst or None
        if analyst is not None:
            question = overlay(
                question, judgment_of(load_judgments(data_dir, question), analyst, question_id)
            )
        return cls(question, evidence, parse_as_of(as_of), analyst=analyst)

    def __init__(
        self, question: Question, evidence: EvidenceLog, as_of: date, *, analyst: str | None = None
    ) -> None:
        self.question, self.evidence, self.as_of = question, evidence, as_of
        self.analyst = analyst or None

    @cached_property
    def assessment(self) -> Assessment:
        """The forecast the what-ifs start from: the question's assessment as of the date, compiled once."""
        return assess(self.question, self.evidence, self.as_of)

    def what_if(self, hypothetical: Iterable[Mapping[str, Any]]) -> list[WhatIfStep]:
        """See :func:`what_if`."""
        return what_if(self.question, self.assessment.compiled, hypothetical, self.as_of)

    def heading(self) -> Html:
        """The question, the date and the forecast the what-ifs start from."""
        return render_template(
            "explore_heading.html.j2",
            question=self.question,
            as_of=self.as_of,
            probabilities=self.assessment.probabilities,
            analyst=self.analyst,
        )

    def table(self, hypothetical: Iterable[Mapping[str, Any]]) -> Html:
        """The hypothetical rows applied one by one: probabilities and moves in points."""
        return what_if_table(self.question, self.what_if(hypothetical))

    def pending_table(self) -> Html:
        """The indicators still open (the ids to use), most informative first.

        They are the pending ones and those "not seen yet" with their window open;
        with the probability of the scenario each signals: now, and after an A1
        report that it was seen, or that it did not happen (at the window's end).
        """
        items = self.assessment.watch()
        names = {s.id: s.label for s in self.question.scenarios}
        current = self.assessment.probabilities
        return render_template(
            "explore_pending.html.j2", items=items, names=names, current=current, groups=self.question.groups
        )

    def widgets(self) -> WhatIfControls:
        """Live controls for the pending indicators (see :func:`explore_widgets`)."""
        return WhatIfControls(self.question, self.assessment.compiled, self.as_of)
