"""The scorecard: every resolved question's scores, their means and their calibration."""

from __future__ import annotations

import json
import math

import nbformat
import papermill
import pytest
from helpers import DATA, REPO, clone_question, copy_data, read_json

from forecast import evidence_path, load_evidence, load_question, question_path
from forecast.analysis.scoring import Score, calibration_bins, calibration_points, score
from forecast.inputs.judgments import load_judgments
from forecast.publish.scorecard import Scorecard
from forecast.team import TeamForecast

ILLUSTRATIVE = ("harbour-bridge-reopening", "riverside-festival-return")
SCORE_FIELDS = [f for f in Score.__dataclass_fields__ if f.startswith(("brier", "log", "skill"))]


def _loaded(data_dir, question_id):
    question = load_question(question_path(data_dir, question_id))
    return question, load_evidence(evidence_path(data_dir, question_id), question)


def _scored(data_dir, question_id):
    """The score a question's reports give: the team's where it has judgment files, else the model's."""
    question, log = _loaded(data_dir, question_id)
    judgments = load_judgments(data_dir, question)
    if judgments:
        return question, TeamForecast(question, log, judgments, question.resolution.date).score()
    return question, score(question, log)


@pytest.fixture(scope="module")
def card() -> Scorecard:
    return Scorecard.load(DATA, bins=5)


@pytest.fixture(scope="module")
def record_card(tmp_path_factory) -> Scorecard:
    """The bundled data with the examples' ``illustrative: true`` taken out: a record of two questions."""
    data = copy_data(tmp_path_factory.mktemp("record") / "data")
    for question_id in ILLUSTRATIVE:
        path = data / "questions" / f"{question_id}.yaml"
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(x for x in lines if not x.startswith("illustrative:")), encoding="utf-8")
    return Scorecard.load(data, bins=5)


def test_the_scorecard_scores_each_bundled_resolved_question_as_its_report_does(card):
    assert sorted(r.question.id for r in card.resolved) == list(ILLUSTRATIVE)
    for resolved in card.resolved:
        _, expected = _scored(DATA, resolved.question.id)
        assert resolved.score == expected


def test_the_summary_holds_each_question_s_scores(card):
    summary = card.summary()
    by_id = {q["question"]: q for q in summary["questions"]}
    assert sorted(by_id) == list(ILLUSTRATIVE)
    for question_id in ILLUSTRATIVE:
        question, expected = _scored(DATA, question_id)
        entry = by_id[question_id]
        assert {f: entry[f] for f in SCORE_FIELDS} == pytest.approx(
            {f: getattr(expected, f) for f in SCORE_FIELDS}
        )
        assert entry["resolved"] == question.resolution.scenario
        assert entry["resolution_date"] == question.resolution.date.isoformat()
        assert entry["days"] == expected.days
        assert entry["p_resolved_final"] == pytest.approx(math.exp(-expected.log_final))


def test_the_bundled_examples_are_marked_illustrative_and_show_one_good_and_one_poor_forecast(card):
    skill = {r.question.id: r.score.skill_daily for r in card.resolved}
    for resolved in card.resolved:
        assert resolved.question.title.startswith("Illustrative: ")
        assert resolved.question.notes.startswith("Illustrative example, not a real forecast")
    assert skill["harbour-bridge-reopening"] > 0.3  # the evidence pointed the right way
    assert skill["riverside-festival-return"] < 0  # confident evidence pointed the wrong way


def test_two_resolved_questions_are_too_few_to_judge_skill_and_no_verdict_is_given(record_card):
    card = record_card
    daily = [r.score.brier_daily for r in card.resolved]
    prior = [r.score.brier_prior for r in card.resolved]
    mean_daily, mean_prior = sum(daily) / 2, sum(prior) / 2
    assert card.overall["brier_daily"] == pytest.approx(mean_daily)
    assert card.overall["skill_daily"] == pytest.approx(1 - mean_daily / mean_prior)
    assert card.headline() == (
        f"2 resolved questions; mean daily Brier {mean_daily:.2f} against {mean_prior:.2f} "
        "for the priors: too few resolved questions (2) to judge skill (it takes 10)."
    )
    assert "better than" not in card.headline() and "worse than" not in card.headline()
    assert card.headline() in card.bottom_line()
    assert card.summary()["bottom_line"] == card.headline()


def test_with_enough_resolved_questions_the_bottom_line_gives_its_verdict(record_card, monkeypatch):
    from forecast.publish import scorecard

    monkeypatch.setattr(scorecard, "MIN_QUESTIONS_TO_JUDGE", 2)
    assert record_card.headline().endswith("for the priors: better than the priors.")


def test_the_bundled_examples_are_listed_apart_and_give_no_verdict(card, monkeypatch):
    from forecast.publish import scorecard

    monkeypatch.setattr(scorecard, "MIN_QUESTIONS_TO_JUDGE", 2)
    assert card.record == () and {r.question.id for r in card.examples} == set(ILLUSTRATIVE)
    daily = sum(r.score.brier_daily for r in card.examples) / 2
    assert card.headline().startswith(
        f"No resolved questions of the record yet; the 2 illustrative examples score mean daily Brier {daily:.2f}"
    )
    assert "too few resolved questions (0)" in card.headline() and "better than" not in card.headline()
    summary = card.summary()
    assert summary["examples"] == sorted(ILLUSTRATIVE) or set(summary["examples"]) == set(ILLUSTRATIVE)
    assert all(q["illustrative"] is True for q in summary["questions"])
    assert summary["overall"] == summary["hindcast"] and summary["hindcast"]["brier_daily"] == pytest.approx(
        daily
    )
    assert "leaderboard" not in summary and card.leaderboard == []
    table = str(card.score_table())
    assert '<h3 id="examples">Examples</h3>' in table and table.count('data-illustrative="true"') == 2


def test_the_mean_row_says_it_gives_the_skill_of_the_mean_scores(card):
    table = card.score_table()
    assert "each score column averaged; the skills are those of the mean scores" in table
    # The skill of the mean scores, which is not the mean of the skill column.
    skills = [r.score.skill_daily for r in card.resolved]
    assert card.overall["skill_daily"] != pytest.approx(sum(skills) / len(skills))


def test_the_leaderboard_ranks_only_forecasters_scored_on_the_teams_questions(record_card):
    card = record_card
    rows = card.leaderboard
    team_questions = {s.question for s in card.forecaster_scores if s.forecaster == "team"}
    ranked = [r for r in rows if r.rank is not None]
    unranked = [r for r in rows if r.rank is None]
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    assert rows == ranked + unranked  # the ranked first, then the others
    assert [r.brier_daily for r in ranked] == sorted(r.brier_daily for r in ranked)
    for r in rows:
        mine = {s.question for s in card.forecaster_scores if s.forecaster == r.forecaster}
        assert r.questions == len(mine)
        assert (r.rank is not None) == (mine == team_questions)
    assert unranked, "the bundled outside forecasters forecast one question each"
    html = card.leaderboard_table()
    assert "unranked" in html and "are not comparable" in html


def test_the_bottom_line_says_which_questions_are_not_yet_resolved(card):
    assert card.unresolved == ("russia-syria-bases",)
    assert "1 question not yet resolved is not scored: russia-syria-bases." in card.bottom_line()


def _final_points(data_dir, question_id):
    """(probability, happened) per scenario of the forecast its reports published on the resolution date."""
    question, log = _loaded(data_dir, question_id)
    judgments = load_judgments(data_dir, question)
    if not judgments:
        return calibration_points([(question, log)])
    final = TeamForecast(question, log, judgments, question.resolution.date).probabilities
    return [(p, s == question.resolution.scenario) for s, p in final.items()]


def test_calibration_bins_every_scenario_s_final_forecast(card):
    expected = calibration_bins([p for q in ILLUSTRATIVE for p in _final_points(DATA, q)], 5)
    assert card.calibration.count.tolist() == expected.count.tolist() and sum(expected.count) == 6
    assert card.calibration.mean_predicted == pytest.approx(expected.mean_predicted, nan_ok=True, abs=1e-9)
    assert card.summary()["calibration"]["count"] == expected.count.tolist()
    table = card.calibration_table()
    assert table.count("<tr>") - 1 == int((expected.count > 0).sum())


def test_the_calibration_chart_is_inline_svg_with_its_bins_in_the_alt_text(card):
    chart = card.calibration_chart()
    assert chart.svg.startswith("<svg")
    assert "2 forecasts" in chart.alt
    html = chart._repr_html_()
    assert html.count("<svg") == 2 and 'role="img"' in html and "2 forecasts" in html


def test_unresolved_and_invalid_questions_are_listed_not_scored(tmp_path):
    data = copy_data(tmp_path / "data")
    (data / "questions" / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    clone_question(data, "bad-log", source="harbour-bridge-reopening")
    log = data / "evidence" / "bad-log.csv"
    log.write_text(log.read_text(encoding="utf-8").replace(",A,1,", ",G,1,"), encoding="utf-8")

    card = Scorecard.load(data)

    assert [r.question.id for r in card.resolved] == ["harbour-bridge-reopening", "riverside-festival-return"]
    assert card.unresolved == ("russia-syria-bases",)
    reasons = {s.question: s.reason for s in card.skipped}
    assert sorted(reasons) == ["bad-log", "broken"]
    assert reasons["bad-log"] == "evidence/bad-log.csv:7: reliability 'G' is not an Admiralty grade (A-F)"
    assert reasons["broken"].startswith("questions/broken.yaml:")
    assert all("\n" not in r and str(tmp_path) not in r for r in reasons.values())
    page = card.bottom_line()
    assert "2 question files failed to load" in page and "reliability &#39;G&#39;" in page
    assert card.summary()["skipped"] == [{"question": q, "reason": reasons[q]} for q in ("bad-log", "broken")]


def test_with_no_resolved_question_the_scorecard_says_so_and_still_draws(tmp_path):
    data = tmp_path / "data"
    (data / "questions").mkdir(parents=True)
    for name in ("questions/russia-syria-bases.yaml", "evidence/russia-syria-bases.csv"):
        (data / name).parent.mkdir(exist_ok=True)
        (data / name).write_bytes((DATA / name).read_bytes())

    card = Scorecard.load(data)

    assert card.resolved == () and card.overall is None
    assert card.headline() == "No resolved questions yet: nothing to score."
    assert "No resolved questions yet" in card.score_table()
    assert card.calibration_chart().svg.startswith("<svg")
    json.dumps(card.summary(), allow_nan=False)


def test_text_from_question_files_is_shown_inert(tmp_path):
    data = copy_data(tmp_path / "data")
    path = data / "questions" / "harbour-bridge-reopening.yaml"
    text = path.read_text(encoding="utf-8").replace(
        'title: "Illustrative: Will', 'title: "Illustrative: <script>alert(1)</script> Will'
    )
    path.write_text(text, encoding="utf-8")
    table = Scorecard.load(data).score_table()
    assert "<script>" not in table and "&lt;script&gt;alert(1)&lt;/script&gt;" in table


def test_each_title_links_to_the_question_s_latest_report_when_reports_are_given(tmp_path):
    out = tmp_path / "reports"
    for as_of in ("2024-06-01", "2024-09-14"):
        folder = out / "harbour-bridge-reopening" / as_of
        folder.mkdir(parents=True)
        (folder / "summary.json").write_text(json.dumps({"as_of": as_of, "probabilities": {"a": 1.0}}))
    table = Scorecard.load(DATA, reports_dir=out).score_table()
    assert 'href="../harbour-bridge-reopening/2024-09-14/report.html"' in table
    assert table.count("<a href=") == 1  # the festival has no report to link to


@pytest.mark.unreadable_summaries
def test_a_report_whose_summary_cannot_be_read_is_not_linked(tmp_path):
    folder = tmp_path / "reports" / "harbour-bridge-reopening" / "2024-09-14"
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text("{}", encoding="utf-8")  # no as_of, no probabilities
    assert "<a href=" not in Scorecard.load(DATA, reports_dir=tmp_path / "reports").score_table()


def test_write_summary_writes_strict_json(tmp_path, card):
    path = card.write_summary(tmp_path / "scorecard.json")
    assert read_json(path) == json.loads(json.dumps(card.summary()))


@pytest.mark.slow
def test_the_scorecard_notebook_runs_under_papermill_and_writes_scorecard_json(tmp_path):
    data = copy_data(tmp_path / "data")
    work = tmp_path / "scratch"
    work.mkdir()
    papermill.execute_notebook(
        str(REPO / "notebooks" / "scorecard.ipynb"),
        str(work / "scorecard.ipynb"),
        parameters={"data_dir": str(data), "reports_dir": str(tmp_path / "reports")},
        cwd=str(work),
        kernel_name="python3",
        progress_bar=False,
    )
    summary = read_json(work / "scorecard.json")
    assert [q["question"] for q in summary["questions"]] == [
        "harbour-bridge-reopening",
        "riverside-festival-return",
    ]
    assert summary["unresolved"] == ["russia-syria-bases"]
    html = [
        output["data"].get("text/html", "")
        for cell in nbformat.read(work / "scorecard.ipynb", as_version=4).cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "data" in output
    ]
    assert summary["bottom_line"] in html[0]
    assert any("<svg" in h and 'role="img"' in h for h in html)


def test_the_scorecard_states_the_ranked_probability_score_convention_where_it_shows_one(tmp_path):
    data = copy_data(tmp_path / "data")
    path = question_path(data, "riverside-festival-return")
    # Held in full, scaled down, cancelled: scenarios that run from one end to the other.
    path.write_text(path.read_text(encoding="utf-8") + "ordered: true\n", encoding="utf-8")
    table = str(Scorecard.load(data).score_table())
    assert "ranked probability score" in table
    assert (
        "the sum, over the K&minus;1 cumulative probabilities of the first 1, 2, &hellip;, K&minus;1 "
        "scenarios, of the squared difference from what happened; not normalised (not divided by K&minus;1); "
        "0 is perfect, lower is better"
    ) in table
    unordered = str(Scorecard.load(copy_data(tmp_path / "plain")).score_table())
    assert "rps-convention" not in unordered
