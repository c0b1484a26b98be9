"""The report in plain words: roles, what a report added, resolved questions, short labels, one order."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import pytest
from helpers import AS_OF, DATA, EXAMPLE

from forecast import posterior_as_of
from forecast.inputs.judgments import load_judgments, overlay
from forecast.publish.html import points_added, sentence
from forecast.publish.report import ROLE_LABELS, Report

QUESTION = """\
id: q
title: Rain in Lisbon
question: Will it rain in Lisbon on 1 June 2025?
opened: 2025-01-01
closes: 2025-12-31
scenarios:
  rain: {name: It rains all day long, short: Rain, prior: 0.5}
  dry: {name: It stays dry, prior: 0.5}
indicators:
  clouds:
    text: Clouds gather in the west
    signals: rain
    likelihood: {rain: 0.8, dry: 0.2}
    window: [2025-01-01, 2025-01-02]   # so that r4's "not seen", at its end, counts fully
"""
# r4 says "not seen" first and is overtaken by r1; r1 is the first report of the event that r2
# (A1, stronger) now counts; r3 repeats it with a weaker grade after r2.
LOG = """\
id,date,indicator,observed,source,reliability,credibility
r4,2025-01-02,clouds,no,Wire,B,2
r1,2025-01-03,clouds,yes,Wire,C,3
r2,2025-01-04,clouds,yes,Agency,A,1
r3,2025-01-05,clouds,yes,Blog,C,3
r5,2025-03-01,clouds,no,Late wire,A,1
"""


@pytest.fixture
def rain(make_question, tmp_path):
    make_question(QUESTION, LOG)
    return Report.load("q", as_of="2025-02-01", data_dir=tmp_path)


def test_each_role_is_named_for_what_happened_to_the_report(rain):
    html = rain.evidence_log()
    for row_id, role in {"r4": "overtaken by a later report", "r1": "same event as a counted report",
                         "r2": "counted", "r3": "same event as a counted report",
                         "r5": "after the as-of date"}.items():  # fmt: skip
        cell = re.search(
            rf'id="evidence-{row_id}">.*?<td class="role" data-label="Role">(.*?)</td>', html, re.S
        )
        assert cell.group(1).startswith(role + "<") or cell.group(1) == role, (row_id, cell.group(1))
    assert set(ROLE_LABELS.values()) == {
        "counted", "same event as a counted report", "overtaken by a later report", "after the as-of date",
        "adds nothing: a later look at least as strong", "adds nothing: an earlier, stronger look",
    }  # fmt: skip


def test_each_move_is_explained_next_to_its_role(rain):
    html = rain.evidence_log()
    assert "its move was undone by r1" in html
    assert "first report of this event; r2 now counts it" in html
    assert "its move is what its higher grade adds to r1&#39;s" in html
    assert "repeats r1; adds nothing" in html
    assert "not counted" in html


def test_the_moves_are_the_readme_worked_example(rain):
    moves = {e.row.id: e.effect["rain"] for e in rain.assessment.audit if e.effect is not None}
    after_r4 = 0.2**0.64 / (0.2**0.64 + 0.8**0.64)  # "not seen", B2: w = 0.8 * 0.8
    after_r1 = 0.8**0.36 / (0.8**0.36 + 0.2**0.36)  # "seen", C3: w = 0.6 * 0.6
    assert moves["r4"] == pytest.approx((after_r4 - 0.5) * 100)
    assert moves["r1"] == pytest.approx((after_r1 - after_r4) * 100)
    assert moves["r2"] == pytest.approx((0.8 - after_r1) * 100)
    assert moves["r3"] == pytest.approx(0, abs=1e-9)


def test_the_moves_add_up_to_the_move_from_the_priors(rain):
    # Hand-worked: status "seen" with r2's weight 1.0, so rain ∝ 0.5 * 0.8, dry ∝ 0.5 * 0.2.
    assert rain.assessment.probabilities["rain"] == pytest.approx(0.8)
    total = sum(e.effect["rain"] for e in rain.assessment.audit if e.effect is not None)
    assert total == pytest.approx((0.8 - 0.5) * 100)


def test_short_labels_head_the_columns_and_full_names_lead_the_bottom_line(rain):
    assert '<th scope="col" class="num effect">Rain</th>' in rain.evidence_log()
    assert "It rains all day long" in rain.bottom_line()
    assert rain.summary()["scenario_labels"] == {"rain": "Rain", "dry": "It stays dry"}
    assert rain.summary()["scenario_order"] == ["rain", "dry"]


def test_what_an_indicator_added_reads_the_way_a_reviewer_says_it():
    assert points_added(10) == "added 10.0 points to"
    assert points_added(-1.34) == "took 1.3 points from"
    assert points_added(1.0) == "added 1.0 point to"
    report = Report.load(EXAMPLE, as_of=AS_OF, data_dir=DATA)
    html = report.critical_evidence()
    assert "— without it" not in html
    # Each "added" is the team's forecast with the indicator minus the team's forecast of a question
    # without it: each analyst's forecast recompiled without it, pooled by hand (geometric mean,
    # extremized). Indicators outside any dependence group, where leaving one out is leaving its rows out.
    q, evidence = report.question, report.evidence
    judgments = load_judgments(DATA, q)
    assert judgments, "the bundled example is a team question"

    def pooled(question, rows):
        forecasts = [posterior_as_of(overlay(question, j), rows, report.as_of) for j in judgments]
        weights = {
            s: math.exp(q.extremize / len(forecasts) * sum(math.log(f[s]) for f in forecasts))
            for s in forecasts[0]
        }
        return {s: w / sum(weights.values()) for s, w in weights.items()}

    checked = 0
    for sid, item in report.most_influential.items():
        if item is None or getattr(q.indicator(item.indicator), "group", None):
            continue
        checked += 1
        without = replace(q, indicators=tuple(i for i in q.indicators if i.id != item.indicator))
        rows = [r for r in evidence.rows if r.indicator != item.indicator]
        added = (pooled(q, evidence.rows)[sid] - pooled(without, rows)[sid]) * 100
        assert f"this indicator {points_added(added)} {q.scenario(sid).label}" in html
    assert checked


def test_a_note_ends_in_one_full_stop():
    assert sentence("Illustrative only.") == "Illustrative only."
    assert sentence("Illustrative only") == "Illustrative only."
    assert sentence("Really?") == "Really?"


def test_a_resolved_question_leads_with_the_outcome_its_date_and_the_score():
    report = Report.load("riverside-festival-return", as_of=AS_OF, data_dir=DATA)
    r = report.resolution
    assert (r["scenario"], r["date"], r["eve"]) == ("cancelled", "2024-07-20", "2024-07-19")
    eve = Report.load("riverside-festival-return", as_of="2024-07-19", data_dir=DATA).assessment.probabilities
    assert r["probability_on_eve"] == pytest.approx(eve["cancelled"])
    html = str(report.bottom_line())
    lead = html.index("resolution-lead")
    assert lead < html.index('class="verdict"')
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    assert (
        f"Resolved: Cancelled on 2024-07-20; the forecast gave it {eve['cancelled'] * 100:.0f}% on the eve"
        in text
    )
    assert f"Brier score {r['brier_final']:.2f}" in text
    assert "Illustrative only.." not in str(report.scoring())
    # A question not yet resolved on the report's date reads live.
    assert Report.load("riverside-festival-return", as_of="2024-07-19", data_dir=DATA).resolution is None
    assert math.isclose(sum(eve.values()), 1)


LOOKS_QUESTION = QUESTION.replace(
    '    window: [2025-01-01, 2025-01-02]   # so that r4\'s "not seen", at its end, counts fully\n',
    "    window: [2025-01-01, 2025-04-11]   # 100 days\n",
)
# Looks that found nothing: l1 (C3, 10%) is covered by the later, heavier l2 (B2, 16%); l3 (B3,
# 80%) adds 16% to 80%; l4 (C3, past the end) adds the rest; l5 (E5, also past the end) adds nothing.
LOOKS_LOG = """\
id,date,indicator,observed,source,reliability,credibility
l1,2025-01-11,clouds,no,Wire,C,3
l2,2025-01-17,clouds,no,Agency,B,2
l3,2025-03-22,clouds,no,Agency,B,3
l4,2025-04-20,clouds,no,Blog,C,3
l5,2025-04-25,clouds,no,Blog,E,5
"""


def test_each_look_that_found_nothing_says_what_it_covers_or_what_covers_it(make_question, tmp_path):
    make_question(LOOKS_QUESTION, LOOKS_LOG)
    html = Report.load("q", as_of="2025-05-01", data_dir=tmp_path).evidence_log()
    roles = {
        row_id: re.search(
            rf'id="evidence-{row_id}">.*?<td class="role" data-label="Role">(.*?)</td>', html, re.S
        )
        .group(1)
        .split("<")[0]
        for row_id in ("l1", "l2", "l3", "l4", "l5")
    }
    assert roles == {
        "l1": "adds nothing: a later look at least as strong",
        "l2": "counted",
        "l3": "counted",
        "l4": "counted",
        "l5": "adds nothing: an earlier, stronger look",
    }
    assert "l2, a later look at least as strong, covers all it covers" in html
    assert "covers 16% to 80% of its window at its own weight" in html
    assert "covers 80% to 100% of its window at its own weight" in html
    assert "l4, a stronger look, had reached as far" in html
    assert "same event" not in html.split('id="evidence-l1"')[1]
