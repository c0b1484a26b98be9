"""One report compiles each question's evidence once per date: everything reads one Assessment.

The one other compile a report makes is of a log it invents: its own log with one confirmed report
more, for each reversal "what would change it" weighs (tests/test_key_judgments.py).
"""

from __future__ import annotations

from datetime import date

import pytest
from helpers import AS_OF, DATA, EXAMPLE, copy_data_without_team

import forecast
from forecast import analysis, posterior_as_of
from forecast.engine.compiled import CompiledEvidence, compile_evidence
from forecast.inputs.validate import load_by_id
from forecast.publish.report import REVERSAL_ID, Report


@pytest.fixture
def compiles(monkeypatch):
    """Every (question, as-of date) compiled from now on, in order."""
    seen = []
    init = CompiledEvidence.__init__

    def counting(self, question, evidence, as_of):
        # "What would change it" asks what one more report would do: a log of its own, not the report's.
        if not any(row.id == REVERSAL_ID for row in evidence.rows):
            seen.append((question, as_of))
        init(self, question, evidence, as_of)

    monkeypatch.setattr(CompiledEvidence, "__init__", counting)
    return seen


def render_everything(report: Report) -> None:
    """What the report notebook shows and writes, cell by cell."""
    for section in (
        report.bottom_line,
        report.changes_since_previous,
        report.probability_table,
        report.trajectory_chart,
        report.outside_forecasts,
        report.disagreement,
        report.critical_evidence,
        report.watch_next,
        report.checklists,
        report.evidence_log,
        report.scoring,
    ):
        section()
    report.summary()


def compiled_more_than_once(seen: list) -> list:
    repeated = []
    for k, (question, as_of) in enumerate(seen):
        if any(q == question and d == as_of for q, d in seen[:k]):
            repeated.append((question.id, as_of))
    return repeated


def test_a_report_compiles_the_question_once(tmp_path, compiles):
    data = copy_data_without_team(tmp_path / "data")
    render_everything(Report.load(EXAMPLE, AS_OF, data_dir=data))
    assert [(q.id, d) for q, d in compiles] == [(EXAMPLE, date.fromisoformat(AS_OF))]


def test_a_team_report_compiles_each_analysts_question_and_the_file_s_once(compiles):
    report = Report.load(EXAMPLE, AS_OF, data_dir=DATA)
    render_everything(report)
    assert len(report.team.analysts) == 3
    assert compiled_more_than_once(compiles) == []
    questions = [q for q, _ in compiles]
    for analyst in report.team.analysts:
        assert sum(q == analyst.question for q in questions) == 1
    assert sum(q == report.base_question for q in questions) == 1
    assert {d for _, d in compiles} == {date.fromisoformat(AS_OF)}


def test_an_analysts_report_compiles_each_question_once(compiles):
    render_everything(Report.load(EXAMPLE, AS_OF, data_dir=DATA, analyst="mira"))
    assert compiled_more_than_once(compiles) == []


def test_a_resolved_questions_report_compiles_its_date_and_the_resolution_date_once_each(compiles):
    report = Report.load("riverside-festival-return", "2024-09-01", data_dir=DATA)
    render_everything(report)
    assert report.score is not None
    assert [(q.id, d) for q, d in compiles] == [
        ("riverside-festival-return", date(2024, 9, 1)),
        ("riverside-festival-return", date(2024, 7, 20)),
    ]


def test_the_scorecard_compiles_each_question_once_at_its_resolution_date(compiles):
    from forecast.publish.scorecard import Scorecard

    card = Scorecard.load(DATA)
    card.summary()
    assert card.resolved
    for r in card.resolved:
        assert [d for q, d in compiles if q == r.question] == [r.question.resolution.date]


# --------------------------------------------------------------------------- the Assessment itself

FEB_20 = date(2025, 2, 20)


@pytest.fixture(scope="module")
def bundled():
    return load_by_id(DATA, EXAMPLE)


def test_compile_evidence_hands_back_a_compile_of_the_same_question_and_date(bundled):
    q, log = bundled
    compiled = compile_evidence(q, log, FEB_20)
    assert compile_evidence(q, compiled, FEB_20) is compiled


def test_a_compile_of_another_date_is_compiled_afresh_from_the_same_log(bundled):
    q, log = bundled
    compiled = compile_evidence(q, log, FEB_20)
    other = compile_evidence(q, compiled, date(2025, 1, 10))
    assert other is not compiled and other.as_of == date(2025, 1, 10)
    assert other.probabilities() == posterior_as_of(q, log, date(2025, 1, 10))


def test_each_analysis_is_computed_once_per_distinct_arguments(bundled):
    a = forecast.assess(*bundled, FEB_20)
    assert a.intervals() is a.intervals(2000)
    assert a.intervals(draws=100) is not a.intervals()
    assert a.critical() is a.critical(10.0)
    assert a.critical(threshold_points=0) is not a.critical()
    assert a.trajectory_band(100, 1) is a.trajectory_band(100, 1)
    assert a.most_influential is a.most_influential


def test_the_assessments_analyses_are_those_of_the_functions_on_the_log(bundled):
    q, log = bundled
    a = forecast.assess(q, log, FEB_20)
    assert a.intervals(draws=500).bounds == analysis.intervals(q, log, FEB_20, draws=500).bounds
    assert (
        a.trajectory_band(300).band == analysis.trajectory_intervals(q, log, FEB_20, draws=300).band
    ).all()
    assert a.critical(5) == analysis.critical_evidence(q, log, FEB_20, threshold_points=5)
    assert a.most_influential == analysis.most_influential(q, log, FEB_20)
    assert a.watch(top=2) == analysis.watch_list(q, log, FEB_20, top=2)
    assert a.probabilities == posterior_as_of(q, log, FEB_20)


def test_an_unresolved_question_has_no_score(bundled):
    assert forecast.assess(*bundled, FEB_20).score is None


def test_changes_compare_with_a_previous_summary(bundled):
    a = forecast.assess(*bundled, FEB_20)
    previous = {"as_of": "2025-02-01", "probabilities": {s: 1 / 3 for s in a.probabilities}}
    changes = a.changes(previous, threshold_points=5)
    assert changes.moves == {s: pytest.approx((p - 1 / 3) * 100) for s, p in a.probabilities.items()}
    assert changes is a.changes(dict(previous), 5)
