"""The report's sections and summary.json, built by the library exactly as the notebook builds them."""

from __future__ import annotations

import html
import json
from dataclasses import replace
from datetime import date

import pytest
from helpers import AS_OF, DATA, EXAMPLE, copy_data, copy_data_without_team
from test_team import independent_pool

from forecast import analysis, assess, load_evidence, load_question
from forecast.inputs.judgments import load_judgments, overlay
from forecast.publish.html import safe_url
from forecast.publish.report import Report


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    # The question file's own model: the analysts' pool has tests of its own (test_team.py).
    return Report.load(
        EXAMPLE, as_of=AS_OF, data_dir=copy_data_without_team(tmp_path_factory.mktemp("r") / "data")
    )


def test_the_summary_carries_every_number_the_index_and_next_report_need(report):
    summary = report.summary()
    for key in ("question", "as_of", "probabilities", "leading", "evidence_counted", "previous", "intervals",
                "critical_evidence", "most_influential", "watch", "changes", "alert", "alerts", "score"):  # fmt: skip
        assert key in summary, key
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary


def test_the_intervals_in_the_summary_are_the_analysis_intervals(report):
    q = load_question(DATA / "questions" / f"{EXAMPLE}.yaml")
    ev = load_evidence(DATA / "evidence" / f"{EXAMPLE}.csv", q)
    expected = analysis.intervals(q, ev, date.fromisoformat(AS_OF))
    assert report.summary()["intervals"] == {s: list(b) for s, b in expected.bounds.items()}
    for s, (low, high) in expected.bounds.items():
        assert low <= report.summary()["probabilities"][s] <= high


def test_the_watch_list_is_ranked_by_information_gain(report):
    bits = [w["information_bits"] for w in report.summary()["watch"]]
    assert bits == sorted(bits, reverse=True) and bits


def test_a_first_report_has_no_moves_and_no_alert(report):
    summary = report.summary()
    assert summary["previous"] is None and summary["moves"] is None and summary["changes"] is None
    assert summary["alert"] is False and summary["alerts"] == []
    assert "first report" in report.bottom_line()


def test_a_later_report_is_compared_with_the_latest_earlier_summary(tmp_path):
    out = tmp_path / "reports"
    for as_of in ("2024-12-20", "2025-01-15"):
        folder = out / EXAMPLE / as_of
        folder.mkdir(parents=True)
        Report.load(EXAMPLE, as_of=as_of, data_dir=DATA).write_summary(folder / "summary.json")
    later = Report.load(EXAMPLE, as_of=AS_OF, data_dir=DATA, reports_dir=out, alert_threshold=25)
    summary = later.summary()
    assert summary["previous"]["as_of"] == "2025-01-15"
    assert "previous" not in summary["previous"]  # one level, not a chain
    assert summary["changes"]["evidence_added"] == [
        "e025",
        "e026",
        "e027",
        "e028",
        "e029",
        "e030",
        "e031",
        "e032",
    ]
    assert summary["alerts"] == [s for s, m in summary["moves"].items() if abs(m) >= 25]


def test_a_report_folder_from_a_later_date_is_not_the_previous_one(tmp_path):
    folder = tmp_path / EXAMPLE / "2025-03-01"
    folder.mkdir(parents=True)
    Report.load(EXAMPLE, as_of="2025-03-01", data_dir=DATA).write_summary(folder / "summary.json")
    assert Report.load(EXAMPLE, as_of=AS_OF, data_dir=DATA, reports_dir=tmp_path).previous is None


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://example.org/a?b=1&c=2", True),
        ("HTTP://EXAMPLE.ORG", True),
        ("javascript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ('https://example.org/"onmouseover="x', False),
        ("//example.org", False),
        ("", False),
    ],
)
def test_only_http_and_https_addresses_become_links(url, linked):
    assert (safe_url(url) is not None) is linked


def test_every_section_renders_evidence_text_escaped(tmp_path):
    data = copy_data(tmp_path / "data")
    with (data / "evidence" / f"{EXAMPLE}.csv").open("a", encoding="utf-8", newline="") as handle:
        handle.write(
            'x9,2025-02-19,no-settlement-yet,yes,"<i>src</i>",B,2,javascript:x(),"<script>x()</script>"\r\n'
        )
    r = Report.load(EXAMPLE, as_of=AS_OF, data_dir=data)
    html = "".join(
        str(section())
        for section in (
            r.bottom_line,
            r.changes_since_previous,
            r.probability_table,
            r.critical_evidence,
            r.watch_next,
            r.checklists,
            r.evidence_log,
            r.scoring,
        )
    )
    assert "<script>" not in html and "<i>src</i>" not in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html and "&lt;i&gt;src&lt;/i&gt;" in html
    assert 'href="javascript' not in html


def test_the_chart_is_inline_svg_with_alt_text_naming_every_scenario_by_its_label(report):
    chart = report.trajectory_chart()
    assert chart.svg.startswith("<svg") and chart.svg_narrow.startswith("<svg")
    for s in report.question.scenarios:
        assert s.label in chart.alt
    assert chart._repr_html_().startswith('<figure class="chart">')
    assert f'aria-label="{html.escape(chart.alt)}"' in chart.svg


@pytest.mark.parametrize("question_id", ["../x", "a b", "/etc/passwd", ""])
def test_a_report_refuses_a_question_id_that_could_name_another_path(question_id):
    from forecast import QuestionFileError

    with pytest.raises(QuestionFileError, match="not a question id"):
        Report.load(question_id, as_of=AS_OF, data_dir=DATA)


# --------------------------------------------------------------------------- evidence age, life cycle, ranges


def edited_question(tmp_path, *edits: tuple[str, str]):
    """A copy of the bundled data with the bundled question file edited."""
    data = copy_data_without_team(tmp_path / "data")
    path = data / "questions" / f"{EXAMPLE}.yaml"
    text = path.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return data


def test_the_bottom_line_states_the_latest_report_and_its_age(report):
    # The latest report counted as of 2025-02-20 is e032, dated 2025-02-17: three days old.
    html = str(report.bottom_line())
    assert (
        'the latest counted is <span class="latest-counted">e032 (Kyiv Independent citing Bloomberg (unnamed sources))'
        '</span>, dated <span class="latest-report">2025-02-17</span>'
    ) in html
    assert '<span class="evidence-age">3 days</span> before 2025-02-20' in html
    assert "dated up to" not in html and "Stale evidence" not in html
    summary = report.summary()
    assert (summary["latest_report_date"], summary["evidence_age_days"], summary["stale"]) == (
        "2025-02-17",
        3,
        False,
    )


def test_evidence_older_than_stale_after_days_is_flagged_stale():
    # 2025-03-20 is 31 days after the latest report; the default threshold is 30 days.
    assert Report.load(EXAMPLE, as_of="2025-03-19", data_dir=DATA).summary()["stale"] is False
    late = Report.load(EXAMPLE, as_of="2025-03-20", data_dir=DATA)
    assert late.summary()["stale"] is True and late.summary()["evidence_age_days"] == 31
    assert "the forecast rests on evidence 31 days old, more than the 30 days" in str(late.bottom_line())


def test_stale_after_days_is_the_question_s_own(tmp_path):
    data = edited_question(tmp_path, ("closes: 2027-06-30\n", "closes: 2027-06-30\nstale_after_days: 60\n"))
    assert Report.load(EXAMPLE, as_of="2025-03-20", data_dir=data).summary()["stale"] is False
    assert Report.load(EXAMPLE, as_of="2025-04-19", data_dir=data).summary()["stale"] is True


def test_a_question_past_its_close_without_a_resolution_is_flagged_as_of_the_report(tmp_path):
    data = edited_question(tmp_path, ("closes: 2027-06-30", "closes: 2025-02-18"))
    assert Report.load(EXAMPLE, as_of="2025-02-18", data_dir=data).summary()["closed_unresolved"] is False
    after = Report.load(EXAMPLE, as_of="2025-02-20", data_dir=data)
    assert after.summary()["closed_unresolved"] is True
    assert "this question closed on 2025-02-18 and has no resolution" in str(after.bottom_line())


def test_no_range_is_printed_when_no_likelihood_is_ranged(tmp_path):
    import re

    data = copy_data_without_team(tmp_path / "data")
    path = data / "questions" / f"{EXAMPLE}.yaml"
    text = re.sub(
        r"\[(0\.\d+), (0\.\d+)\]", lambda m: f"{(float(m[1]) + float(m[2])) / 2:.3g}", path.read_text()
    )
    path.write_text(text, encoding="utf-8")
    html = str(Report.load(EXAMPLE, as_of=AS_OF, data_dir=data).probability_table())
    assert "Range (5–95%)" not in html and 'class="num interval"' not in html
    assert "No ranges were given" in html


def test_a_likelihood_spread_widens_the_intervals_but_not_the_point_forecast(tmp_path):
    data = edited_question(tmp_path, ("closes: 2027-06-30\n", "closes: 2027-06-30\nlikelihood_spread: 0.1\n"))
    plain = Report.load(EXAMPLE, as_of=AS_OF, data_dir=copy_data_without_team(tmp_path / "plain"))
    spread = Report.load(EXAMPLE, as_of=AS_OF, data_dir=data)
    assert spread.summary()["probabilities"] == plain.summary()["probabilities"]
    for s, (low, high) in spread.summary()["intervals"].items():
        plain_low, plain_high = plain.summary()["intervals"][s]
        assert low < plain_low and high > plain_high
    assert "every other likelihood within ±0.1" in str(spread.probability_table())


def test_the_checklists_show_groups_and_windows(report):
    html = str(report.checklists())
    assert (
        html.count(
            "Group: Russia draws down its forces in Syria after Assad&#39;s fall "
            "(partly dependent: beside the strongest, the others count at 50% of their weight)"
        )
        == 2
    )
    assert "Window: 2024-12-08 to 2025-01-08" in html
    # The latest look for the evacuation (B2, 2024-12-16) came 8 days into its 31-day window: 26%.
    assert "not seen by 2024-12-16, 26% of its window" in html
    # As of 2025-02-20 that window (to 2025-01-08) has closed: the report asks for a report at its end.
    assert "its window has closed, and a report that it did not happen would count fully" in html


def test_a_not_seen_yet_within_its_window_is_not_asked_for_more():
    html = str(Report.load(EXAMPLE, as_of="2024-12-20", data_dir=DATA).checklists())
    assert "not seen by 2024-12-16" in html and "its window has closed" not in html


def test_the_index_flags_stale_evidence_and_a_closed_unresolved_question(tmp_path):
    from forecast.publish.render import index_page

    data = edited_question(tmp_path, ("closes: 2027-06-30", "closes: 2025-03-01"))
    out = tmp_path / "reports"
    folder = out / EXAMPLE / "2025-04-01"
    folder.mkdir(parents=True)
    Report.load(EXAMPLE, as_of="2025-04-01", data_dir=data).write_summary(folder / "summary.json")
    html = index_page(out)
    assert "the latest report counted (2025-02-17) is 43 days old at 2025-04-01" in html
    assert "closed on 2025-03-01 with no resolution" in html


def test_each_section_is_data_first_and_renders_to_the_same_html(report):
    content = report.content
    table = content.probabilities
    assert [row["probability"] for row in table.scenarios] == [
        report.summary()["probabilities"][s] for s in report.question.scenario_ids
    ]
    assert content.bottom_line.render() == report.bottom_line()
    assert content.evidence.render() == report.evidence_log()
    assert content.disagreement is None and content.scoring is None  # no analysts, not resolved
    with pytest.raises(AttributeError):
        table.draws = 1  # frozen: what a test reads is what was rendered


# --------------------------------------------------------------------------- key judgments (docs/key-judgments.md)


@pytest.fixture(scope="module")
def team_report(tmp_path_factory):
    """The bundled question with its analysts and outside forecasts, compared with the report of 2025-01-15."""
    out = tmp_path_factory.mktemp("team") / "reports"
    folder = out / EXAMPLE / "2025-01-15"
    folder.mkdir(parents=True)
    Report.load(EXAMPLE, as_of="2025-01-15", data_dir=DATA).write_summary(folder / "summary.json")
    return Report.load(EXAMPLE, as_of=AS_OF, data_dir=DATA, reports_dir=out)


def _text(html) -> str:
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", str(html)))


def test_the_bottom_line_opens_with_the_key_judgments_after_only_the_title(report):
    html = str(report.bottom_line())
    assert html.index("question-title") < html.index('id="key-judgments"')
    text = _text(html)
    # 2025-02-20 to 2027-06-30: 8 days left of February, March-December 2025 (306), 2026 (365), January-June 2027
    # (31 + 28 + 31 + 30 + 31 + 30 = 181).
    assert "closes 2027-06-30, 860 days left" in text and 8 + 306 + 365 + 181 == 860
    assert f"Confidence: {report.confidence.level}." in text and report.confidence.reasons in _text(html)


def test_each_probability_is_said_once_in_the_brief(report):
    import re

    html = str(report.bottom_line())
    for s, p in report.summary()["probabilities"].items():
        assert html.count(f'class="probability" data-scenario="{s}">{p * 100:.0f}%<') == 1
    verdict = re.search(r'<p class="verdict">(.*?)</p>', html, re.S).group(1)
    assert "%" not in verdict  # the verdict gives the words; the list below it gives each number
    # Percentages in the brief: one per scenario, plus the outside line, movers and signposts (none here is a
    # scenario's probability said again).
    assert len(re.findall(r"\b\d+%", _text(html).split("Confidence:")[0])) == len(report.question.scenarios)


def test_the_confidence_inputs_are_those_of_the_audit(report):
    # Recomputed from the audit entries, report by report, rather than from the arrays the report reads.
    counted = [e for e in report.assessment.audit if e.role == "sets status"]
    total = sum(e.weight for e in counted)
    ab = sum(e.weight for e in counted if e.row.reliability in "AB")
    ab_input = next(i for i in report.confidence.inputs if i.name == "ab_share")
    assert ab_input.text.startswith(f"{ab / total * 100:.0f}% of counted weight from A–B sources")
    leading = report.assessment.leading
    by_source = {}
    for e in report.assessment.audit:
        if e.effect is not None:
            by_source[e.row.source] = by_source.get(e.row.source, 0.0) + abs(e.effect[leading])
    top = max(by_source, key=by_source.get)
    top_input = next(i for i in report.confidence.inputs if i.name == "top_source")
    assert f"({top})" in top_input.text
    assert top_input.text.endswith(f"{by_source[top] / sum(by_source.values()) * 100:.0f}%")
    low, high = report.summary()["intervals"][leading]
    range_input = next(i for i in report.confidence.inputs if i.name == "range")
    assert range_input.text == f"5–95% range {(high - low) * 100:.0f} points wide"
    assert "spread" not in {i.name for i in report.confidence.inputs}  # not a team


def test_why_it_moved_names_the_reports_added_since_the_previous_one_that_moved_it_most(team_report):
    kj = team_report.build_key_judgments()
    added = set(team_report.summary()["changes"]["evidence_added"])
    assert kj.movers_since == "2025-01-15" and 2 <= len(kj.movers) <= 3
    assert {m.id for m in kj.movers} <= added
    # The largest moves when they arrived, read from evidence.csv's effect columns.
    import csv
    import io
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = team_report.write_evidence_csv(Path(tmp) / "evidence.csv")
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    largest = {
        r["id"]: max(abs(float(r[f"effect:{s}"])) for s in team_report.question.scenario_ids)
        for r in rows
        if r["id"] in added
    }
    expected = sorted(largest, key=lambda i: -largest[i])[: len(kj.movers)]
    assert [m.id for m in kj.movers] == expected
    text = _text(team_report.bottom_line())
    for m in kj.movers:
        assert m.source in text.replace("&#39;", "'") and m.grade in text and f"{m.points:+.1f} pts" in text


def test_what_would_change_it_is_the_reports_that_move_the_leader_most(team_report):
    a, q = team_report.assessment, team_report.question
    lead, p = a.leading, a.probabilities[a.leading]
    moves = []
    for w in team_report.watch_items:
        moves += [(abs(w.if_observed[lead] - p), w.indicator, True, w.if_observed[lead])]
        moves += [(abs(w.if_absent[lead] - p), w.indicator, False, w.if_absent[lead])]
    # A reversal: an A1 report of the other status, on the as-of date, each analyst recompiled and pooled by hand.
    judgments = load_judgments(DATA, q)
    template = team_report.evidence.rows[0]
    for indicator, state in a.states.items():
        if state.status is None:
            continue
        row = replace(template, id="x", date=a.as_of, indicator=indicator, observed=not state.status,
                      reliability="A", credibility=1)  # fmt: skip
        log = replace(team_report.evidence, rows=(*team_report.evidence.rows, row))
        after = independent_pool(
            [dict(assess(overlay(q, j), log, a.as_of).probabilities) for j in judgments], q.extremize
        )[lead]
        moves.append((abs(after - p), indicator, not state.status, after))
    best = {}
    for m in sorted(moves, reverse=True):
        best.setdefault(m[1], m)
    expected = sorted(best.values(), reverse=True)[:2]
    signposts = team_report.build_key_judgments().signposts
    assert [(s.indicator, s.seen) for s in signposts[:2]] == [(m[1], m[2]) for m in expected]
    assert [s.probability for s in signposts[:2]] == pytest.approx([m[3] for m in expected], abs=1e-9)
    text = _text(team_report.bottom_line())
    for s in signposts:
        verb = "rises" if s.rises else "falls"
        assert f"{s.scenario} {verb} to {s.probability * 100:.0f}%" in text


def test_a_team_brief_and_table_give_the_analysts_lowest_and_highest(team_report):
    analysts = team_report.summary()["analysts"]
    table = str(team_report.probability_table())
    brief = str(team_report.bottom_line())
    for s in team_report.question.scenario_ids:
        values = [a[s] for a in analysts.values()]
        expected = f"{min(values) * 100:.0f}%–{max(values) * 100:.0f}%"
        assert f'analysts-range" data-scenario="{s}" data-label="Analysts">{expected}<' in table
        assert f'analysts-range" data-scenario="{s}">analysts {expected}<' in brief
    assert "Two ranges, for two different things" in table
    assert "latest outside forecasts give" in _text(brief)
    confidence = team_report.confidence
    spread = next(i for i in confidence.inputs if i.name == "spread")
    values = [a[team_report.assessment.leading] for a in analysts.values()]
    # Judged on the figures shown beside it: the highest whole percent minus the lowest.
    shown = round(max(values) * 100) - round(min(values) * 100)
    assert spread.text == f"analysts span {shown} points"


def test_the_disagreement_section_no_longer_says_some_sections_use_the_question_files_judgments(team_report):
    assert "question file's own judgments" not in str(team_report.disagreement())


def test_the_judgments_that_drive_the_spread_say_how_many_more_there_are(team_report):
    every = team_report.team.drivers(limit=None)
    content = team_report.build_disagreement()
    assert len(content.drivers) == min(10, len(every)) and content.more == len(every) - len(content.drivers)
    assert len(every) == 11  # the bundled analysts change 11 judgments in play
    assert "and 1 more, with smaller effects on the spread." in _text(team_report.disagreement())


def test_a_report_before_the_question_opened_says_so(tmp_path):
    early = Report.load(EXAMPLE, as_of="2024-12-01", data_dir=copy_data_without_team(tmp_path / "data"))
    text = _text(early.bottom_line())
    assert "The question opens on 2024-12-08: as of 2024-12-01 it had not opened yet" in text
    assert "first report" not in text


def test_a_resolved_report_is_settled(tmp_path):
    report = Report.load("riverside-festival-return", as_of=AS_OF, data_dir=DATA)
    summary = report.summary()
    assert summary["stale"] is False and summary["watch"] == [] and summary["alerts"] == []
    assert summary["alert"] is False
    text = _text(report.bottom_line())
    assert "Resolved: Cancelled on 2024-07-20" in text and "The question closed 2024-08-31." in text
    assert "as it stands" not in text and "Confidence:" not in text and "Stale evidence" not in text
    assert "as it stood on the eve, 2024-07-19" in text
    assert str(report.watch_next()) == ""
    assert report.chart_end == date(2024, 7, 20)


def test_the_outside_forecasts_table_is_capped_and_every_row_is_in_its_csv(tmp_path):
    import csv
    import random

    data = copy_data(tmp_path / "data")
    rng = random.Random(7)
    path = data / "forecasts" / f"{EXAMPLE}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["date", "forecaster", "keep", "partial", "exit"])
        day = date(2024, 8, 19)  # one forecast a day from each of 135 forecasters: 186 days, up to 2025-02-20
        for k in range(25_000):
            keep, partial = rng.randint(1, 40), rng.randint(1, 50)
            when = date.fromordinal(day.toordinal() + k // 135)
            writer.writerow([when.isoformat(), f"Forecaster {k % 135:03d}", f"0.{keep:02d}", f"0.{partial:02d}",
                             f"{1 - keep / 100 - partial / 100:.2f}"])  # fmt: skip
    assert 0.9e6 < path.stat().st_size < 1.1e6
    report = Report.load(EXAMPLE, as_of=AS_OF, data_dir=data)
    html = str(report.outside_forecasts())
    assert html.count('class="outside-row"') == 150
    assert "Shown here are the 150 newest of 25,000; the other 24,850 are left out of the page." in _text(
        html
    )
    assert '<a href="outside_forecasts.csv">' in html
    report.write_summary(tmp_path / "summary.json")
    with (tmp_path / "outside_forecasts.csv").open(encoding="utf-8") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == 25_000
    page = sum(
        len(str(section.render()).encode()) for section in vars_of(report.content) if section is not None
    )
    assert page < 2_000_000


def vars_of(content):
    from dataclasses import fields

    return [getattr(content, f.name) for f in fields(content) if f.name != "key_judgments"]


def test_a_summary_written_as_a_formula_shows_as_written_on_the_page_and_keeps_its_quote_in_csv(tmp_path):
    import csv

    data = copy_data_without_team(tmp_path / "data")
    log = data / "evidence" / f"{EXAMPLE}.csv"
    formula = '=HYPERLINK("http://example.org","click")'
    with log.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerow(
            ["x1", "2025-02-19", "no-settlement-yet", "yes", "'@Reuters", "B", "2", "", "'" + formula]
        )
    report = Report.load(EXAMPLE, as_of=AS_OF, data_dir=data)
    html = str(report.evidence_log())
    assert '<div class="summary">=HYPERLINK(&#34;http://example.org&#34;,&#34;click&#34;)</div>' in html
    assert "'=HYPERLINK" not in html and "'@Reuters" not in html and "@Reuters" in html
    report.write_evidence_csv(tmp_path / "evidence.csv")
    with (tmp_path / "evidence.csv").open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["id"] == "x1")
    assert row["summary"] == "'" + formula and row["source"] == "'@Reuters"


def test_the_two_quantities_of_one_report_are_labelled_apart(tmp_path):
    # Leave-one-out is what a report adds to today's forecast; the evidence log gives its move when it arrived.
    earlier = Report.load(EXAMPLE, as_of="2025-01-15", data_dir=copy_data_without_team(tmp_path / "data"))
    assert earlier.critical  # two pieces of evidence the forecast rests on, as of that date
    critical, log = str(earlier.critical_evidence()), str(earlier.evidence_log())
    assert "What it adds now: the forecast with it minus without it (pts)" in critical
    assert "move when it arrived" in critical and "Move when it arrived (pts)" in log
    assert "What it adds now" not in log
