"""The report's sections and summary.json, built by the library exactly as the notebook builds them."""

from __future__ import annotations

import json
from datetime import date

import pytest
from helpers import AS_OF, DATA, EXAMPLE, copy_data, copy_data_without_team

from forecast import analysis, load_evidence, load_question
from forecast.report import Report, safe_url


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    # The question file's own model: the analysts' pool has tests of its own (test_team.py).
    return Report(
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
        Report(EXAMPLE, as_of=as_of, data_dir=DATA).write_summary(folder / "summary.json")
    later = Report(EXAMPLE, as_of=AS_OF, data_dir=DATA, reports_dir=out, alert_threshold=25)
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
    Report(EXAMPLE, as_of="2025-03-01", data_dir=DATA).write_summary(folder / "summary.json")
    assert Report(EXAMPLE, as_of=AS_OF, data_dir=DATA, reports_dir=tmp_path).previous is None


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
    r = Report(EXAMPLE, as_of=AS_OF, data_dir=data)
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


def test_the_chart_is_a_png_with_alt_text_naming_every_scenario(report):
    chart = report.trajectory_chart()
    assert chart.png.startswith(b"\x89PNG")
    for s in report.question.scenarios:
        assert s.name in chart.alt
    assert chart._repr_html_().startswith('<figure class="chart"><img src="data:image/png;base64,')


@pytest.mark.parametrize("question_id", ["../x", "a b", "/etc/passwd", ""])
def test_a_report_refuses_a_question_id_that_could_name_another_path(question_id):
    from forecast import QuestionFileError

    with pytest.raises(QuestionFileError, match="not a question id"):
        Report(question_id, as_of=AS_OF, data_dir=DATA)
