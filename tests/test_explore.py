"""What-if exploration: hypothetical reports applied to the real evidence, step by step."""

from __future__ import annotations

import math
from datetime import date

import nbformat
import papermill
import pytest
from helpers import REPO, copy_data, tree_digest

from forecast import EvidenceFileError, InvalidInputError, load_evidence, load_question, posterior_as_of
from forecast.publish.explore import (
    NOT_SEEN,
    SEEN,
    Exploration,
    explore_widgets,
    hypothetical_rows,
    what_if,
    what_if_table,
)

# Two scenarios, priors 60/40; indicator `x` is seen with probability 0.8 under `a`, 0.3 under `b`.
# The question's window is empty, so a "not seen" counts fully (F = 1).
TWO_SCENARIOS = """\
id: q
title: Two scenarios
question: A or B?
opened: 2025-01-01
closes: 2025-01-01
scenarios:
  a: {name: A, prior: 0.6}
  b: {name: B, prior: 0.4}
indicators:
  x:
    text: X is seen
    signals: a
    likelihood: {a: 0.8, b: 0.3}
  y:
    text: Y is seen
    signals: b
    likelihood: {a: 0.2, b: 0.5}
"""
AS_OF = date(2025, 3, 1)
Y_SEEN = "id,date,indicator,observed,source,reliability,credibility\ne1,2025-02-01,y,yes,a report,A,1\n"


def row(**fields):
    """A hypothetical A1 report that x was seen, with ``fields`` changed."""
    return dict(indicator="x", observed="yes", reliability="A", credibility="1", date=None) | fields


@pytest.fixture
def question(make_question):
    path, _ = make_question(TWO_SCENARIOS)
    return load_question(path)


def test_an_a1_report_that_x_was_seen_moves_a_from_60_to_80_percent(question):
    # By hand: A1 weighs 1, so a ∝ 0.6 x 0.8 = 0.48 and b ∝ 0.4 x 0.3 = 0.12; a = 0.48 / 0.60 = 0.8.
    current, step, final = what_if(question, [], [row()], AS_OF)

    assert current.label == "current" and current.probabilities == pytest.approx({"a": 0.6, "b": 0.4})
    assert step.label == "what-if-1" and step.probabilities == pytest.approx({"a": 0.8, "b": 0.2})
    assert step.moves == pytest.approx({"a": 20.0, "b": -20.0})
    assert final.label == "final" and final.probabilities == pytest.approx({"a": 0.8, "b": 0.2})
    assert final.moves == pytest.approx({"a": 20.0, "b": -20.0})


def test_rows_apply_cumulatively_and_the_final_move_is_against_the_current_forecast(question):
    # Then a B2 report (w = 0.8 x 0.8 = 0.64) that y was not seen: each scenario gains w ln(1 - p_y).
    y_not_seen_b2 = row(indicator="y", observed="no", reliability="B", credibility=2)
    steps = what_if(question, [], [row(), y_not_seen_b2], AS_OF)
    a = 0.48 * 0.8**0.64
    b = 0.12 * 0.5**0.64
    expected = a / (a + b)
    assert [s.label for s in steps] == ["current", "what-if-1", "what-if-2", "final"]
    assert steps[2].probabilities["a"] == pytest.approx(expected)
    assert steps[2].moves["a"] == pytest.approx((expected - 0.8) * 100)
    assert steps[3].moves["a"] == pytest.approx((expected - 0.6) * 100)


def test_with_no_hypothetical_rows_nothing_moves(question):
    steps = what_if(question, [], [], AS_OF)
    assert [s.label for s in steps] == ["current", "final"]
    assert steps[-1].moves == {"a": 0.0, "b": 0.0}


def test_a_hypothetical_row_is_dated_as_of_and_numbered_unless_told(question):
    first, second = hypothetical_rows(
        question, [row(observed=True, credibility=1), row(date="2025-02-01", source="a rumour")], AS_OF
    )
    assert (first.id, first.date, first.observed, first.source, first.grade) == (
        "what-if-1",
        AS_OF,
        True,
        "hypothetical",
        "A1",
    )
    assert (second.id, second.date, second.source) == ("what-if-2", date(2025, 2, 1), "a rumour")


def test_an_invalid_hypothetical_row_is_refused_with_every_problem_located(question):
    with pytest.raises(EvidenceFileError) as caught:
        hypothetical_rows(question, [row(indicator="no-such", reliability="G")], AS_OF)
    error = caught.value
    assert isinstance(error, InvalidInputError) and isinstance(error, ValueError)
    assert [(p.path, p.line) for p in error.errors] == [("hypothetical", 1), ("hypothetical", 1)]
    messages = [p.message for p in error.errors]
    assert messages[0] == "indicator 'no-such' is not in the question's checklist; expected one of x, y"
    assert messages[1] == "reliability 'G' is not an Admiralty grade (A-F)"
    assert str(error).startswith("hypothetical:1: indicator 'no-such'")
    assert str(error).endswith("(and 1 more)")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"indicator": "x", "observed": "yes", "reliability": "A"},
            "credibility is missing; expected an Admiralty credibility grade (1-6)",
        ),
        (row(credibility=7), "credibility '7' is not an Admiralty grade (1-6)"),
        (row(observed="maybe"), "observed 'maybe' must be 'yes' (seen) or 'no' (looked for, not seen)"),
        (
            row(colour="red"),
            "unknown field 'colour'; expected only indicator, observed, reliability, credibility, date, source, summary",
        ),
        (
            row(date="2025-03-02"),
            "date 2025-03-02 is after as_of 2025-03-01; a report dated later would not count",
        ),
        (row(date="2025-02-30"), "date: '2025-02-30' is not a date that exists"),
        ("x seen", "expected a mapping with indicator, observed, reliability, credibility, got str 'x seen'"),
    ],
)
def test_each_field_of_a_hypothetical_row_is_checked(question, given, message):
    with pytest.raises(EvidenceFileError) as caught:
        hypothetical_rows(question, [row(), given], AS_OF)
    (problem,) = caught.value.errors
    assert (problem.path, problem.line) == ("hypothetical", 2)
    assert problem.message.startswith(message)


def test_a_single_row_not_in_a_list_is_refused(question):
    with pytest.raises(EvidenceFileError, match=r"^hypothetical: expected a list of rows"):
        hypothetical_rows(question, row(), AS_OF)


def test_the_table_shows_each_step_in_points(question):
    table = what_if_table(question, what_if(question, [], [row()], AS_OF))
    assert "what-if-1" in table and "X is seen" in table
    assert "80%" in table and "(+20.0 pts)" in table and "(-20.0 pts)" in table


def test_exploring_never_changes_the_data(tmp_path):
    data = copy_data(tmp_path / "data")
    before = tree_digest(data)
    explore = Exploration.load("russia-syria-bases", as_of="2025-02-20", data_dir=data)
    explore.table([row(indicator="formal-withdrawal-or-termination")])
    assert tree_digest(data) == before
    current = posterior_as_of(explore.question, explore.evidence, date(2025, 2, 20))
    assert explore.what_if([])[0].probabilities == current


def test_the_pending_table_lists_the_indicators_without_a_report(make_question, tmp_path):
    make_question(TWO_SCENARIOS, Y_SEEN)
    table = Exploration.load("q", as_of=AS_OF, data_dir=tmp_path).pending_table()
    assert "<code>x</code>" in table and "<code>y</code>" not in table


def test_the_controls_offer_only_pending_indicators_and_update_the_table_live(make_question):
    path, log_path = make_question(TWO_SCENARIOS, Y_SEEN)
    question = load_question(path)
    seen_y = load_evidence(log_path, question)
    controls = explore_widgets(question, seen_y, AS_OF)  # no frontend here: the widgets must not mind
    assert list(controls.choices) == ["x"]
    assert "what-if-1" not in controls.table.value

    report, reliability, credibility = controls.choices["x"]
    reliability.value, credibility.value = "A", "1"
    report.value = SEEN
    assert controls.rows() == [{"indicator": "x", "observed": True, "reliability": "A", "credibility": "1"}]
    expected = what_if(question, seen_y, controls.rows(), AS_OF)
    assert controls.table.value == str(what_if_table(question, expected))
    assert "what-if-1" in controls.table.value

    report.value = NOT_SEEN
    a, b = 0.6 * 0.2 * 0.2, 0.4 * 0.5 * 0.7  # y seen (A1) and x not seen (A1)
    assert f"{round(100 * a / (a + b))}%" in controls.table.value
    assert math.isclose(what_if(question, seen_y, controls.rows(), AS_OF)[-1].probabilities["a"], a / (a + b))


@pytest.mark.slow
def test_the_explore_notebook_runs_under_papermill_without_widgets(tmp_path):
    data = copy_data(tmp_path / "data")
    executed = tmp_path / "explore.ipynb"
    hypothetical = [
        {
            "indicator": "load-test-passed",
            "observed": "yes",
            "reliability": "A",
            "credibility": "1",
            "date": None,
        }
    ]
    papermill.execute_notebook(
        str(REPO / "notebooks" / "explore.ipynb"),
        str(executed),
        parameters={
            "question": "harbour-bridge-reopening",
            "as_of": "2024-06-01",
            "data_dir": str(data),
            "hypothetical": hypothetical,
            "interactive": False,
        },
        cwd=str(tmp_path),
        kernel_name="python3",
        progress_bar=False,
    )
    outputs = [
        o for c in nbformat.read(executed, as_version=4).cells if c.cell_type == "code" for o in c.outputs
    ]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert '<table class="what-if">' in html and "what-if-1" in html
    assert "Engineers report that the repaired span passed its full load test" in html
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


def test_one_analysts_what_ifs_start_from_their_own_forecast():
    from forecast.inputs.judgments import load_judgments, overlay
    from forecast.inputs.validate import load_by_id

    explore = Exploration.load(
        "russia-syria-bases", as_of="2025-02-20", data_dir=REPO / "data", analyst="basil"
    )
    q, log = load_by_id(REPO / "data", "russia-syria-bases")
    basil = overlay(q, next(j for j in load_judgments(REPO / "data", q) if j.analyst == "basil"))
    row = {
        "indicator": "reduced-terms-agreement-signed",
        "observed": "yes",
        "reliability": "B",
        "credibility": 2,
    }
    steps = explore.what_if([row])
    assert steps == what_if(basil, log, [row], date(2025, 2, 20))
    assert steps != what_if(q, log, [row], date(2025, 2, 20))
    assert "basil" in explore.heading()


def test_a_not_seen_yet_with_its_window_open_stays_in_the_controls_and_a_later_no_counts_more(make_question):
    # x's window is February; "not seen" on 1 Feb (F = 0) says nothing, a "not seen" on 15 Feb
    # (F = 14/28 = 0.5) gives a ∝ 0.6 (1 - 0.8 x 0.5) = 0.36 and b ∝ 0.4 (1 - 0.3 x 0.5) = 0.34.
    text = TWO_SCENARIOS.replace(
        "likelihood: {a: 0.8, b: 0.3}", "likelihood: {a: 0.8, b: 0.3}\n    window: [2025-02-01, 2025-03-01]"
    )
    log = "id,date,indicator,observed,source,reliability,credibility\ne1,2025-02-01,x,no,a report,A,1\n"
    path, log_path = make_question(text, log)
    question = load_question(path)
    evidence = load_evidence(log_path, question)
    as_of = date(2025, 2, 15)
    controls = explore_widgets(question, evidence, as_of)
    assert list(controls.choices) == ["x", "y"]
    current, step, _ = what_if(question, evidence, [row(observed="no")], as_of)
    assert current.probabilities["a"] == pytest.approx(0.6)
    assert step.probabilities["a"] == pytest.approx(0.36 / (0.36 + 0.34))
