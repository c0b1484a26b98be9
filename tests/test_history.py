"""The record over time: the index's cards after backfills, resolved questions apart, unreadable files in OUT."""

from __future__ import annotations

import html
import os
import re

import pytest
from helpers import EXAMPLE, copy_data, earlier_version_out, forecast_cli, read_json
from test_browser import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = pytest.mark.slow

RESOLVED = "riverside-festival-return"


def _card(index: str, question: str) -> str:
    """The text of one question's card on the index, tags stripped."""
    start = index.index(f'id="q-{question}"')
    end = index.index("</section>", start)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", index[start:end])))


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    """Run 2025-02-20 first, then backfill 2025-01-15, as a team catching up would."""
    tmp = tmp_path_factory.mktemp("backfill")
    data, out = copy_data(tmp / "data"), tmp / "out"
    for as_of in ("2025-02-20", "2025-01-15"):
        done = forecast_cli("run", "--data", data, "--out", out, "--as-of", as_of, "--question", EXAMPLE)
        assert done.returncode == 0, done.stderr
    return data, out


def test_after_a_backfill_the_card_shows_the_move_since_the_report_before_it_by_date(backfilled):
    _, out = backfilled
    later = read_json(out / EXAMPLE / "2025-02-20" / "summary.json")
    earlier = read_json(out / EXAMPLE / "2025-01-15" / "summary.json")
    # When it was made, the 2025-02-20 report had nothing to compare with.
    assert later["moves"] is None and later["alerts"] == []
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "since 2025-01-15" in _card(index, EXAMPLE)
    for s, p in later["probabilities"].items():
        move = (p - earlier["probabilities"][s]) * 100
        row = re.search(rf'data-scenario="{s}">(\d+)%</td><td>[^<]*</td><td class="num">([^<]*)</td>', index)
        assert row is not None, s
        assert row.groups() == (f"{p * 100:.0f}", f"{move:+.1f}")
    # With today's bundled data, the figure.
    partial = (later["probabilities"]["partial"] - earlier["probabilities"]["partial"]) * 100
    assert round(partial, 1) == 16.1


def test_a_backfilled_move_past_the_threshold_raises_the_alert_on_the_index(backfilled):
    _, out = backfilled
    index = (out / "index.html").read_text(encoding="utf-8")
    alert = re.search(r'<div class="alert" role="alert">(.*?)</div>', index, re.S)
    assert alert is not None
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", alert.group(1))))
    assert "Partial deal" in text and "+16.1 pts" in text
    assert 'class="alert-row"' in index


def test_the_card_says_the_report_own_comparison_is_that_of_its_publication(backfilled):
    _, out = backfilled
    card = _card((out / "index.html").read_text(encoding="utf-8"), EXAMPLE)
    assert "compares with what was published before it then: it is kept as published" in card


def test_rerunning_the_latest_report_with_the_same_numbers_keeps_it_as_published(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    for as_of in ("2025-02-20", "2025-01-15"):
        done = forecast_cli("run", "--data", data, "--out", out, "--as-of", as_of, "--question", EXAMPLE)
        assert done.returncode == 0, done.stderr
    before = (out / EXAMPLE / "2025-02-20" / "summary.json").read_bytes()
    done = forecast_cli("run", "--data", data, "--out", out, "--as-of", "2025-02-20", "--question", EXAMPLE)
    assert done.returncode == 0, done.stderr
    assert (out / EXAMPLE / "2025-02-20" / "summary.json").read_bytes() == before
    assert read_json(out / EXAMPLE / "2025-02-20" / "summary.json")["changes"] is None
    card = _card((out / "index.html").read_text(encoding="utf-8"), EXAMPLE)
    assert "since 2025-01-15" in card and "+16.1" in card


def test_resolved_questions_sit_apart_with_outcome_eve_and_score_and_no_live_wording(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    done = forecast_cli("run", "--data", data, "--out", out, "--as-of", "2025-02-20")
    assert done.returncode == 0, done.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    section = index[index.index('id="resolved"') :]
    assert index.index(f'id="q-{EXAMPLE}"') < index.index('id="resolved"')
    summary = read_json(out / RESOLVED / "2025-02-20" / "summary.json")
    r = summary["resolution"]
    card = _card(section, RESOLVED)
    assert index.count(f'id="q-{RESOLVED}"') == 1  # in its own section only
    assert f"Resolved: {r['name']} on {r['date']}" in card
    assert f"{r['probability_on_eve'] * 100:.0f}% on the eve" in card
    assert f"Brier score {r['brier_final']:.2f}" in card
    # No live wording: no "likely (62%)", no "as it stands", no probability table.
    assert not re.search(r"\w+ \(\d+%\)", card)
    assert "as it stands" not in card and "As of" not in card


# --------------------------------------------------------------------------- what cannot be read in OUT


def _plant(out, question: str, as_of: str, kind: str) -> None:
    folder = out / question / as_of
    folder.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(folder / "summary.json")
    else:  # nested past any parser's depth: json.loads raises RecursionError
        (folder / "summary.json").write_text("[" * 200_000, encoding="utf-8")


@pytest.mark.unreadable_summaries
@pytest.mark.parametrize("kind", ["fifo", "deep"])
def test_a_summary_that_cannot_be_read_is_absent_and_the_run_still_writes_index_and_manifest(tmp_path, kind):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    first = forecast_cli("run", "--data", data, "--out", out, "--as-of", "2025-01-15", "--question", EXAMPLE)
    assert first.returncode == 0, first.stderr
    # One before the next report (its previous report), one after it (the index's latest), one alone.
    _plant(out, EXAMPLE, "2025-02-01", kind)
    _plant(out, EXAMPLE, "2025-03-01", kind)
    _plant(out, "harbour-bridge-reopening", "2025-01-10", kind)
    (out / "index.html").unlink()
    done = forecast_cli(
        "run", "--data", data, "--out", out, "--as-of", "2025-02-20", "--question", EXAMPLE, timeout=240
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{EXAMPLE}/2025-02-20/report.html"' in index
    assert 'id="q-harbour-bridge-reopening"' not in index  # its only summary is unreadable: absent
    assert len(list((out / "runs").glob("*.json"))) == 2
    summary = read_json(out / EXAMPLE / "2025-02-20" / "summary.json")
    assert summary["changes"]["previous_as_of"] == "2025-01-15"  # the unreadable 2025-02-01 skipped


@pytest.mark.unreadable_summaries
def test_a_fifo_where_a_manifest_or_summary_is_expected_reads_as_absent_without_waiting(tmp_path):
    from forecast.publish.summary import SummaryError, check_summary, read_summary
    from forecast.store import read_json as read_out_json

    os.mkfifo(tmp_path / "summary.json")
    assert read_summary(tmp_path / "summary.json") is None
    assert read_out_json(tmp_path / "summary.json") is None
    with pytest.raises(SummaryError, match="not a regular file"):
        check_summary(tmp_path / "summary.json")


@pytest.mark.unreadable_summaries
def test_a_deeply_nested_summary_is_a_summary_error_not_a_recursion_error(tmp_path):
    from forecast.publish.summary import SummaryError, check_summary, read_summary

    path = tmp_path / "q" / "2025-01-01" / "summary.json"
    path.parent.mkdir(parents=True)
    path.write_text("[" * 200_000, encoding="utf-8")
    assert read_summary(path) is None
    with pytest.raises(SummaryError, match="nested too deeply"):
        check_summary(path)


# --------------------------------------------------------------------------- forecast.history()


@pytest.fixture(scope="module")
def two_dates(tmp_path_factory):
    """Every bundled question as of 2025-01-15 and 2025-02-20, and the russia-syria-bases one of 2025-02-01."""
    tmp = tmp_path_factory.mktemp("record")
    data, out = copy_data(tmp / "data"), tmp / "out"
    for as_of in ("2025-01-15", "2025-02-20"):
        done = forecast_cli("run", "--data", data, "--out", out, "--as-of", as_of)
        assert done.returncode == 0, done.stderr
    done = forecast_cli("run", "--data", data, "--out", out, "--as-of", "2025-02-01", "--question", EXAMPLE)
    assert done.returncode == 0, done.stderr
    return out


def _summaries(out):
    """Every summary under OUT, read as plain JSON: the record the frame must hold."""
    return {
        (p.parent.parent.name, p.parent.name): read_json(p)
        for p in sorted(out.glob("*/????-??-??/summary.json"))
    }


def test_history_has_one_row_per_question_date_and_scenario_with_the_published_probability(two_dates):
    import forecast

    frame = forecast.history(two_dates)
    assert list(frame.columns[:4]) == ["question", "as_of", "scenario", "probability"]
    assert str(frame["as_of"].dtype) == "datetime64[s]"
    summaries = _summaries(two_dates)
    assert len(frame) == sum(len(s["probabilities"]) for s in summaries.values())
    for (question, as_of), s in summaries.items():
        rows = frame[(frame.question == question) & (frame.as_of == as_of)]
        assert list(rows.scenario) == s["scenario_order"]
        assert dict(zip(rows.scenario, rows.probability, strict=True)) == s["probabilities"]
        assert set(rows.leading) == {s["leading"]}
        assert set(rows.alert) == {s["alert"]}
    # Sorted by question, then date.
    keys = list(zip(frame.question, frame.as_of, strict=True))
    assert keys == sorted(keys, key=lambda k: (k[0], k[1]))


def test_history_gives_every_row_of_a_resolved_question_its_outcome_and_date(two_dates):
    import pandas as pd

    import forecast

    frame = forecast.history(two_dates)
    rows = frame[frame.question == RESOLVED]
    assert set(rows.resolved) == {"cancelled"}
    assert set(rows.resolution_date) == {pd.Timestamp("2024-07-20")}
    assert frame[frame.question == EXAMPLE].resolved.isna().all()
    assert frame[frame.question == EXAMPLE].resolution_date.isna().all()


def test_history_moves_are_the_reports_own_moves_in_points(two_dates):
    import forecast

    frame = forecast.history(two_dates, questions=[EXAMPLE])
    later = read_json(two_dates / EXAMPLE / "2025-02-20" / "summary.json")
    rows = frame[frame.as_of == "2025-02-20"]
    # Made before 2025-02-01 was run, the 2025-02-20 report compared itself with 2025-01-15: its own move.
    assert later["changes"]["previous_as_of"] == "2025-01-15"
    earlier = read_json(two_dates / EXAMPLE / "2025-01-15" / "summary.json")
    for scenario, move in zip(rows.scenario, rows.move, strict=True):
        hand = (later["probabilities"][scenario] - earlier["probabilities"][scenario]) * 100
        assert move == pytest.approx(hand)
    assert frame[frame.as_of == "2025-01-15"].move.isna().all()  # the first report compared with nothing


def test_history_filters_by_question_and_by_date(two_dates):
    import forecast

    only = forecast.history(two_dates, questions=[EXAMPLE], since="2025-02-01")
    assert set(only.question) == {EXAMPLE}
    assert sorted({str(d.date()) for d in only.as_of}) == ["2025-02-01", "2025-02-20"]
    assert forecast.history(two_dates, questions=[]).empty
    with pytest.raises(ValueError, match="since"):
        forecast.history(two_dates, since="last week")


@pytest.mark.unreadable_summaries
def test_history_leaves_out_a_report_whose_summary_cannot_be_read(tmp_path, two_dates):
    import shutil

    import forecast

    out = tmp_path / "out"
    shutil.copytree(two_dates, out)
    _plant(out, EXAMPLE, "2025-02-10", "fifo")
    _plant(out, EXAMPLE, "2025-02-11", "deep")
    frame = forecast.history(out, questions=[EXAMPLE])
    assert sorted({str(d.date()) for d in frame.as_of}) == ["2025-01-15", "2025-02-01", "2025-02-20"]


def test_history_of_a_folder_without_reports_is_empty_with_its_columns(tmp_path):
    import forecast

    frame = forecast.history(tmp_path)
    assert frame.empty and list(frame.columns[:4]) == ["question", "as_of", "scenario", "probability"]


def test_the_history_notebook_shows_every_questions_trajectory_beside_its_resolution(tmp_path, two_dates):
    import nbformat
    import papermill
    from helpers import REPO

    executed = tmp_path / "history.ipynb"
    papermill.execute_notebook(
        str(REPO / "notebooks" / "history.ipynb"),
        str(executed),
        parameters={"reports_dir": str(two_dates)},
        cwd=str(tmp_path),
        kernel_name="python3",
        progress_bar=False,
    )
    outputs = [
        o for c in nbformat.read(executed, as_version=4).cells if c.cell_type == "code" for o in c.outputs
    ]
    charts = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(charts) == 3  # one per question
    text = "".join(o.get("text", "") for o in outputs) + "".join(
        str(o.get("data", {}).get("text/html", "")) for o in outputs
    )
    assert "3 questions, 7 reports" in text
    assert "cancelled" in text and "2024-07-20" in text


def test_the_record_module_loads_pandas_only_when_history_is_called():
    import subprocess
    import sys

    code = "import sys, forecast.record; print('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_docstring_examples_of_history_and_the_out_reader_run():
    import doctest

    from forecast import record, store

    results = [doctest.testmod(m, optionflags=doctest.ELLIPSIS) for m in (record, store)]
    assert sum(r.attempted for r in results) >= 3 and sum(r.failed for r in results) == 0


# --------------------------------------------------------------------------- an earlier version's year of history


@pytest.fixture(scope="module")
def earlier_out(tmp_path_factory):
    """A small-scale copy of the benchmark's OUT: 3 questions and the timed one, 15 daily summaries each."""
    tmp = tmp_path_factory.mktemp("earlier")
    data = copy_data(tmp / "data")
    out, ids = earlier_version_out(tmp, data, questions=3, days=15)
    return data, out, ids


def test_a_run_into_an_earlier_versions_history_compares_with_the_day_before(earlier_out):
    data, out, ids = earlier_out
    done = forecast_cli("run", "--data", data, "--out", out, "--as-of", "2025-02-20", "--question", EXAMPLE)
    assert done.returncode == 0, done.stderr
    summary = read_json(out / EXAMPLE / "2025-02-20" / "summary.json")
    before = read_json(out / EXAMPLE / "2025-02-19" / "summary.json")
    assert summary["changes"]["previous_as_of"] == "2025-02-19"
    for s, p in summary["probabilities"].items():
        assert summary["moves"][s] == pytest.approx((p - before["probabilities"][s]) * 100)
    index = (out / "index.html").read_text(encoding="utf-8")
    for question in ids:
        assert f'id="q-{question}"' in index
    # Each card links to the newest ten other reports and counts the rest.
    card = _card(index, EXAMPLE)
    assert card.count("2025-02-") + card.count("2025-01-") >= 10
    assert "and 5 earlier." in card
    assert 'href="russia-syria-bases/2025-02-05/report.html"' not in index


def test_history_reads_every_report_of_an_earlier_versions_out(earlier_out):
    import forecast

    _, out, ids = earlier_out
    frame = forecast.history(out)
    reports = {(q, d) for q, d in zip(frame.question, frame.as_of, strict=True)}
    assert len(reports) >= len(ids) * 15
    assert len(frame) == sum(
        len(read_json(p)["probabilities"]) for p in out.glob("*/????-??-??/summary.json")
    )


# --------------------------------------------------------------------------- the backfilled index in a browser


@pytest.mark.parametrize("width", [1280, 390])
def test_the_backfilled_index_neither_scrolls_sideways_nor_fails_axe(browser, backfilled, width):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe
    from test_layout import _MEASURE, open_page

    _, out = backfilled
    context, page = open_page(browser, out / "index.html", width)
    try:
        assert "it is kept as published" in page.inner_text("main")
        found = page.evaluate(_MEASURE)
        assert found["page"]["scrollWidth"] <= found["page"]["clientWidth"], "the page scrolls sideways"
        assert found["outside"] == [] and found["spilling"] == []
        results = Axe().run(page)
        serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], results.generate_report()
    finally:
        context.close()


# --------------------------------------------------------------------------- the page of every report


def test_a_run_writes_the_question_page_of_every_report_newest_first_with_moves_by_date(backfilled):
    _, out = backfilled
    page = (out / EXAMPLE / "history.html").read_text(encoding="utf-8")
    rows = re.findall(r'<th scope="row"><a href="([0-9-]+)/report.html">', page)
    assert rows == ["2025-02-20", "2025-01-15"]
    later = read_json(out / EXAMPLE / "2025-02-20" / "summary.json")
    earlier = read_json(out / EXAMPLE / "2025-01-15" / "summary.json")
    move = (later["probabilities"]["partial"] - earlier["probabilities"]["partial"]) * 100
    assert f"({move:+.1f})" in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{EXAMPLE}/history.html"' in index


@pytest.mark.parametrize("width", [1280, 390])
def test_the_page_of_every_report_neither_scrolls_sideways_nor_fails_axe(browser, backfilled, width):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe
    from test_layout import _MEASURE, open_page

    _, out = backfilled
    context, page = open_page(browser, out / EXAMPLE / "history.html", width)
    try:
        found = page.evaluate(_MEASURE)
        assert found["page"]["scrollWidth"] <= found["page"]["clientWidth"], "the page scrolls sideways"
        results = Axe().run(page)
        serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert serious == [], results.generate_report()
    finally:
        context.close()


# --------------------------------------------------------------------------- getting to every question's history


@pytest.fixture(scope="module")
def one_run(tmp_path_factory):
    """Every bundled question run once, as of one date: each has one report."""
    tmp = tmp_path_factory.mktemp("one-run")
    data, out = copy_data(tmp / "data"), tmp / "out"
    done = forecast_cli("run", "--data", data, "--out", out, "--as-of", "2025-02-20")
    assert done.returncode == 0, done.stderr
    return out


def _questions(out):
    return sorted(p.parent.parent.name for p in out.glob("*/2025-02-20/summary.json"))


def test_the_index_links_every_questions_history_page_even_with_one_report(one_run):
    index = (one_run / "index.html").read_text(encoding="utf-8")
    assert len(_questions(one_run)) == 3
    for question in _questions(one_run):
        assert (one_run / question / "history.html").is_file()
        assert f'href="{question}/history.html"' in _card_html(index, question)


def _card_html(index: str, question: str) -> str:
    start = index.index(f'id="q-{question}"')
    return index[start : index.index("</section>", start)]


def test_each_report_links_its_questions_history_page(one_run):
    for question in _questions(one_run):
        page = (one_run / question / "2025-02-20" / "report.html").read_text(encoding="utf-8")
        assert 'href="../history.html"' in page
        assert (one_run / question / "2025-02-20" / "../history.html").resolve().is_file()


def test_a_history_page_with_one_report_draws_a_point_and_says_1_report(one_run):
    page = (one_run / EXAMPLE / "history.html").read_text(encoding="utf-8")
    assert "1 report of this question" in page and "All 1 reports" not in page
    chart = page[page.index("<svg") : page.index("</svg>")]
    assert "<polyline" not in chart and "<circle" in chart


def test_a_resolved_questions_history_page_shows_its_resolution(one_run):
    summary = read_json(one_run / RESOLVED / "2025-02-20" / "summary.json")
    page = html.unescape((one_run / RESOLVED / "history.html").read_text(encoding="utf-8"))
    r = summary["resolution"]
    assert f"Resolved: {r['name']} on {r['date']}." in re.sub(r"<[^>]+>", "", page)


_TEXT_OUTSIDE = """() => [...document.querySelectorAll('svg.chart-svg')].filter(s => s.getBoundingClientRect().width > 0)
  .flatMap(s => { const box = s.getBoundingClientRect();
    return [...s.querySelectorAll('text')].map(t => t.getBoundingClientRect())
      .filter(r => r.left < box.left - 0.5 || r.right > box.right + 0.5).map(r => [r.left, r.right, box.left, box.right]); })"""


@pytest.mark.parametrize("question", [EXAMPLE, RESOLVED])
@pytest.mark.parametrize("width", [1280, 390])
def test_no_date_or_label_of_a_history_chart_is_cut_off(browser, one_run, question, width):  # noqa: F811
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto((one_run / question / "history.html").as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate(_TEXT_OUTSIDE) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        page.close()
