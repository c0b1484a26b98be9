"""Each question's catalog: appended as reports are published, never trusted blindly, rebuilt from the summaries."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import EXAMPLE, copy_data, earlier_version_out, forecast_cli, read_json

import forecast.catalog as catalog_module
from forecast.catalog import CATALOG, read_catalog, update_catalog
from forecast.publish.history import history_chart
from forecast.store import MARKER, question_lock

QUESTION = "q-one"
FIRST = date(2025, 1, 1)


def _write_summary(out: Path, as_of: date, keep: float, question: str = QUESTION) -> Path:
    """A report folder holding only the summary keys a listing reads (as an older version might)."""
    folder = out / question / as_of.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    summary = {
        "question": question,
        "title": "Bases",
        "as_of": as_of.isoformat(),
        "probabilities": {"keep": keep, "exit": round(1 - keep, 6)},
        "scenario_order": ["keep", "exit"],
        "scenario_names": {"keep": "Keeps its bases", "exit": "Full exit"},
        "leading": "keep" if keep >= 0.5 else "exit",
    }
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return folder


def _replace_summary(out: Path, as_of: date, keep: float, stamp_ns: int) -> None:
    """Replace a report's summary in place, its modification time set apart from any the clock gives."""
    _write_summary(out, as_of, keep)
    os.utime(out / QUESTION / as_of.isoformat() / "summary.json", ns=(stamp_ns, stamp_ns))


def _out_with_reports(tmp_path: Path, days: int = 5) -> Path:
    out = tmp_path / "out"
    for k in range(days):
        _write_summary(out, FIRST + timedelta(days=k), 0.5 + k / 100)
    return out


def _as_read_from_summaries(out: Path, question: str = QUESTION) -> dict[date, dict[str, float]]:
    """Every report's probabilities, read straight from its summary.json: what the catalog must hold."""
    return {
        date.fromisoformat(p.parent.name): json.loads(p.read_text(encoding="utf-8"))["probabilities"]
        for p in (out / question).glob("????-??-??/summary.json")
    }


def _probabilities(catalog) -> dict[date, dict[str, float]]:
    return {e.as_of: dict(e.probabilities) for e in catalog.entries()}


# --------------------------------------------------------------------------- built, appended, kept in step


def test_a_catalog_holds_every_report_with_the_numbers_its_summary_holds(tmp_path):
    out = _out_with_reports(tmp_path)
    catalog = update_catalog(out, QUESTION)
    assert _probabilities(catalog) == _as_read_from_summaries(out)
    assert catalog.notes == [f"there was no {CATALOG}: rebuilt from 5 summaries"]
    assert read_catalog(out, QUESTION).notes == []  # written, and in step from now on


def test_publishing_a_report_appends_one_line_and_leaves_the_lines_before_byte_for_byte(tmp_path):
    out = _out_with_reports(tmp_path)
    update_catalog(out, QUESTION)
    before = (out / QUESTION / CATALOG).read_bytes()
    _write_summary(out, FIRST + timedelta(days=9), 0.9)
    catalog = update_catalog(out, QUESTION, published=FIRST + timedelta(days=9))
    after = (out / QUESTION / CATALOG).read_bytes()
    assert catalog.notes == []  # the report just published is news, not a repair
    assert after.startswith(before) and after[len(before) :].count(b"\n") == 1
    assert _probabilities(read_catalog(out, QUESTION)) == _as_read_from_summaries(out)


def test_a_rerun_of_a_day_appends_its_new_line_and_the_later_line_stands(tmp_path):
    out = _out_with_reports(tmp_path)
    update_catalog(out, QUESTION)
    day = FIRST + timedelta(days=4)
    _replace_summary(out, day, 0.2, stamp_ns=1)
    update_catalog(out, QUESTION, published=day)
    assert (out / QUESTION / CATALOG).read_text(encoding="utf-8").count(f'"as_of":"{day}"') == 2
    catalog = read_catalog(out, QUESTION)
    assert catalog.notes == [] and catalog.entry(day).probabilities["keep"] == 0.2


def test_the_first_report_of_a_question_starts_its_catalog_without_a_note(tmp_path):
    out = tmp_path / "out"
    _write_summary(out, FIRST, 0.6)
    assert update_catalog(out, QUESTION, published=FIRST).notes == []
    assert len(read_catalog(out, QUESTION)) == 1


def test_only_what_changed_is_read_again(tmp_path, monkeypatch):
    out = _out_with_reports(tmp_path, days=30)
    update_catalog(out, QUESTION)
    read = []
    real = catalog_module.peek_summary
    monkeypatch.setattr(catalog_module, "peek_summary", lambda path: read.append(path) or real(path))
    assert read_catalog(out, QUESTION).notes == [] and read == []
    _write_summary(out, FIRST + timedelta(days=40), 0.7)
    catalog = read_catalog(out, QUESTION)
    assert [Path(p).parent.name for p in read] == [(FIRST + timedelta(days=40)).isoformat()]
    assert catalog.notes == ["1 report not in the catalog, read from its summary"]


# --------------------------------------------------------------------------- bad input: never trusted blindly


def test_a_line_edited_by_hand_is_not_trusted_and_its_report_is_read_from_its_summary(tmp_path):
    out = _out_with_reports(tmp_path)
    update_catalog(out, QUESTION)
    path = out / QUESTION / CATALOG
    text = path.read_text(encoding="utf-8")
    edited = text.replace('"keep":0.52', '"keep":0.99', 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    catalog = read_catalog(out, QUESTION)
    assert _probabilities(catalog) == _as_read_from_summaries(out)
    assert "1 line of catalog.jsonl did not match its check (edited by hand?)" in catalog.notes
    update_catalog(out, QUESTION)
    assert read_catalog(out, QUESTION).notes == [] and "0.99" not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("cut", [1, 30, 200])
def test_a_truncated_catalog_is_completed_from_the_summaries(tmp_path, cut):
    out = _out_with_reports(tmp_path)
    update_catalog(out, QUESTION)
    path = out / QUESTION / CATALOG
    path.write_bytes(path.read_bytes()[:-cut])
    catalog = read_catalog(out, QUESTION)
    assert _probabilities(catalog) == _as_read_from_summaries(out)
    assert catalog.notes and catalog.dirty


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]\n",
        b'{"catalog": 99, "question": "q-one"}\n',
        b'{"catalog":1,"question":"other"}\n',
    ],
    ids=["empty", "not-utf8", "not-a-header", "another-version", "another-question"],
)
def test_a_file_that_is_no_catalog_of_this_question_is_rebuilt_from_the_summaries(tmp_path, garbage):
    out = _out_with_reports(tmp_path)
    (out / QUESTION / CATALOG).write_bytes(garbage)
    catalog = update_catalog(out, QUESTION)
    assert _probabilities(catalog) == _as_read_from_summaries(out)
    assert catalog.notes[0].endswith(": rebuilt from 5 summaries")
    assert read_catalog(out, QUESTION).notes == []


def test_a_fifo_in_place_of_the_catalog_is_replaced_without_waiting_on_it(tmp_path):
    out = _out_with_reports(tmp_path)
    os.mkfifo(out / QUESTION / CATALOG)
    result = {}
    reader = threading.Thread(
        target=lambda: result.update(catalog=update_catalog(out, QUESTION)), daemon=True
    )
    reader.start()
    reader.join(60)
    assert not reader.is_alive(), "reading the catalog waited on a FIFO"
    assert result["catalog"].notes == [f"{CATALOG} is not a readable regular file: rebuilt from 5 summaries"]
    assert (out / QUESTION / CATALOG).is_file()


def test_report_folders_copied_in_or_deleted_by_hand_are_noticed_from_the_listing(tmp_path):
    out = _out_with_reports(tmp_path)
    update_catalog(out, QUESTION)
    _write_summary(out, FIRST + timedelta(days=20), 0.8)  # copied in from another machine
    (out / QUESTION / FIRST.isoformat() / "summary.json").unlink()
    (out / QUESTION / FIRST.isoformat()).rmdir()  # deleted
    catalog = read_catalog(out, QUESTION, stamps=False)
    assert _probabilities(catalog) == _as_read_from_summaries(out)
    assert catalog.notes == [
        "1 report not in the catalog, read from its summary",
        "1 report catalogued but no longer there, dropped",
    ]


def test_a_summary_replaced_in_place_is_read_again_by_its_stamp(tmp_path):
    out = _out_with_reports(tmp_path)
    update_catalog(out, QUESTION)
    day = FIRST + timedelta(days=2)
    _replace_summary(out, day, 0.05, stamp_ns=2)
    listing_only = read_catalog(out, QUESTION, stamps=False)
    assert listing_only.notes == []  # the listing alone cannot see it ...
    assert listing_only.fresh(day).probabilities["keep"] == 0.05  # ... the entry's own check does
    catalog = read_catalog(out, QUESTION)
    assert catalog.notes == ["1 report whose summary changed since catalogued, read again"]
    assert _probabilities(catalog) == _as_read_from_summaries(out)


@pytest.mark.unreadable_summaries
def test_a_report_folder_without_a_readable_summary_has_no_entry(tmp_path):
    out = _out_with_reports(tmp_path)
    (out / QUESTION / FIRST.isoformat() / "summary.json").write_text("{not json", encoding="utf-8")
    catalog = update_catalog(out, QUESTION)
    assert FIRST not in catalog.dates() and catalog.unreadable == [FIRST]
    assert len(catalog) == 4


# --------------------------------------------------------------------------- several publishers at once


def _publisher(out: str, worker: int, days: int) -> None:
    for k in range(days):
        as_of = FIRST + timedelta(days=worker * 100 + k)
        with question_lock(out, QUESTION):  # as a job publishes: under the question's lock
            _write_summary(Path(out), as_of, 0.3 + k / 100)
            update_catalog(out, QUESTION, published=as_of)


def test_several_processes_publishing_into_one_out_leave_a_catalog_in_step(tmp_path):
    out = tmp_path / "out"
    (out / QUESTION).mkdir(parents=True)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_publisher, args=(str(out), w, 8)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    catalog = read_catalog(out, QUESTION)
    assert catalog.notes == []
    assert _probabilities(catalog) == _as_read_from_summaries(out) and len(catalog) == 32


# --------------------------------------------------------------------------- the history page's chart


def test_the_history_chart_draws_every_scenario_escapes_its_names_and_marks_the_resolution(tmp_path):
    out = _out_with_reports(tmp_path)
    entries = read_catalog(out, QUESTION).entries()
    resolved = type(entries[-1])(**{
        **{f: getattr(entries[-1], f) for f in entries[-1].__dataclass_fields__},
        "resolved": "keep", "resolution_date": "2025-01-07",
    })  # fmt: skip
    names = {"keep": "Keeps <script>alert(1)</script>", "exit": "Full exit & more"}
    chart = history_chart([*entries[:-1], resolved], ["keep", "exit"], names, alerts=[FIRST])
    for drawing in (chart.svg, chart.svg_narrow):
        assert (
            "<script>" not in drawing
            and "Keeps &lt;script&gt;" in drawing
            and "Full exit &amp; more" in drawing
        )
        assert drawing.count("<polyline") == 2 and "resolved 2025-01-07" in drawing
        assert "<title>alert 2025-01-01</title>" in drawing
    assert "from 50% to 54%" in chart.alt and "Resolved: Keeps" in chart.alt
    again = history_chart([*entries[:-1], resolved], ["keep", "exit"], names, alerts=[FIRST])
    assert (again.svg, again.svg_narrow) == (chart.svg, chart.svg_narrow)


# --------------------------------------------------------------------------- through the CLI, on an earlier version's OUT


@pytest.fixture(scope="module")
def earlier(tmp_path_factory):
    """An OUT as an earlier version left it (summaries only, no catalog), after one run into it."""
    tmp = tmp_path_factory.mktemp("catalog")
    data = copy_data(tmp / "data")
    out, ids = earlier_version_out(tmp, data, questions=6, days=12)
    run = forecast_cli("run", "--data", data, "--out", out, "--as-of", "2025-02-20", "--question", EXAMPLE)
    assert run.returncode == 0, run.stderr
    return data, out, ids, run


@pytest.mark.slow
def test_the_first_run_builds_every_questions_catalog_and_history_page_and_says_so(earlier):
    _, out, ids, run = earlier
    said = [line for line in run.stderr.splitlines() if line.startswith("forecast: catalog: ")]
    # The timed question's job found 12 reports and published the 13th; the index did the others.
    counts = {q: 13 if q == EXAMPLE else 12 for q in ids}
    assert said[:5] == [
        f"forecast: catalog: {q}: there was no catalog.jsonl: rebuilt from {counts[q]} summaries"
        for q in sorted(ids)[:5]
    ]
    assert re.fullmatch(r"forecast: catalog: and 2 more, listed in .*runs/.*\.json", said[5])
    manifest = read_json(next((out / "runs").glob("2026*.json")))
    assert len(manifest["catalog"]) == len(ids)
    for question in ids:
        assert (out / question / CATALOG).is_file() and (out / question / "history.html").is_file()
        assert read_catalog(out, question).notes == []


@pytest.mark.slow
def test_a_later_run_has_nothing_to_repair_and_history_matches_the_summaries(earlier):
    import forecast

    data, out, ids, _ = earlier
    again = forecast_cli("run", "--data", data, "--out", out, "--as-of", "2025-02-20", "--question", EXAMPLE)
    assert again.returncode == 0, again.stderr
    assert "forecast: catalog:" not in again.stderr
    frame = forecast.history(out)
    for question in ids:
        published = _as_read_from_summaries(out, question)
        rows = frame[frame.question == question]
        assert len(rows) == sum(len(p) for p in published.values())
        for row in rows.itertuples():
            assert row.probability == published[row.as_of.date()][row.scenario]


@pytest.mark.slow
def test_a_run_after_a_hand_edit_repairs_the_catalog_says_so_and_publishes_the_summaries_numbers(earlier):
    data, out, _, _ = earlier
    path = out / EXAMPLE / CATALOG
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = re.sub(r'"probabilities":\{"exit":[0-9.e-]+', '"probabilities":{"exit":0.999', lines[3])
    path.write_text("".join(lines), encoding="utf-8")
    again = forecast_cli("run", "--data", data, "--out", out, "--as-of", "2025-02-20", "--question", EXAMPLE)
    assert again.returncode == 0, again.stderr
    assert f"forecast: catalog: {EXAMPLE}: 1 line of catalog.jsonl did not match its check" in again.stderr
    assert "0.999" not in path.read_text(encoding="utf-8")
    page = (out / EXAMPLE / "history.html").read_text(encoding="utf-8")
    assert "99.9%" not in page and "<svg" in page


@pytest.mark.slow
def test_the_index_reads_at_most_the_latest_summary_and_one_stat_more_per_question(earlier, monkeypatch):
    import forecast.store as store
    from forecast.publish.render import index_page

    _, out, ids, _ = earlier
    read = []
    real = store.read_regular_text
    monkeypatch.setattr(
        store, "read_regular_text", lambda path, *a: read.append(Path(path)) or real(path, *a)
    )
    monkeypatch.setattr(catalog_module, "peek_summary", lambda path: pytest.fail(f"read {path}"))
    page = index_page(out)
    assert len(read) == len(ids) and all(p.name == "summary.json" for p in read)
    assert all(f'id="q-{q}"' in page for q in ids)


@pytest.mark.slow
@pytest.mark.unreadable_summaries
def test_a_summary_checked_once_is_not_checked_again_until_it_changes(earlier, monkeypatch, tmp_path):
    import shutil

    import forecast.publish.summary as summary_module
    from forecast.publish.render import index_page, refresh_catalogs

    _, earlier_out, ids, _ = earlier
    out = tmp_path / "out"
    shutil.copytree(earlier_out, out, copy_function=shutil.copy2)  # copies keep no stamp: checked again once
    index_page(out, catalogs=refresh_catalogs(out))
    checked = []
    real = summary_module._check
    monkeypatch.setattr(
        summary_module, "_check", lambda data, source: checked.append(source) or real(data, source)
    )
    summary_module._from_text.cache_clear()
    page = index_page(out, catalogs=refresh_catalogs(out))
    assert checked == [] and all(f'id="q-{q}"' in page for q in ids)
    # A current summary replaced by hand (another stamp) is checked again; one that fails is not shown.
    question = sorted(q for q in ids if q != EXAMPLE)[0]
    latest, before = sorted((out / question).glob("????-??-??"))[-1:-3:-1]
    data = read_json(latest / "summary.json")
    data["title"] = 12
    (latest / "summary.json").write_text(json.dumps(data), encoding="utf-8")
    page = index_page(out, catalogs=refresh_catalogs(out))
    assert checked == [str(latest / "summary.json"), str(before / "summary.json")]
    card = page[page.index(f'id="q-{question}"') :].split("</section>")[0]
    first_link = re.search(rf'href="{question}/([0-9-]+)/report.html"', card).group(1)
    assert first_link == before.name  # the card stands at the report before it


@pytest.mark.unreadable_summaries  # read in full, such a summary is refused (no page or file can hold it)
def test_a_title_with_a_lone_surrogate_is_catalogued_escaped(tmp_path):
    out = _out_with_reports(tmp_path, days=2)
    path = out / QUESTION / FIRST.isoformat() / "summary.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"Bases"', '"Bases \\ud800"'), encoding="utf-8")
    catalog = update_catalog(out, QUESTION)
    assert catalog.entry(FIRST).title == "Bases \ud800"
    assert (out / QUESTION / CATALOG).read_bytes().isascii()
    assert read_catalog(out, QUESTION).notes == []


@pytest.mark.slow
def test_a_catalog_that_cannot_be_written_does_not_fail_the_run_or_lose_the_report(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    (out / EXAMPLE / CATALOG).mkdir(parents=True)  # a folder where the catalog goes: it cannot be replaced
    (out / MARKER).write_text("", encoding="utf-8")  # OUT is forecast's
    run = forecast_cli("run", "--data", data, "--out", out, "--as-of", "2025-02-20", "--question", EXAMPLE)
    assert run.returncode == 0, run.stderr
    assert f"forecast: catalog: {EXAMPLE}: catalog.jsonl could not be written (" in run.stderr
    assert "Traceback" not in run.stderr
    assert (out / EXAMPLE / "2025-02-20" / "report.html").is_file()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{EXAMPLE}/2025-02-20/report.html"' in index
    assert (out / EXAMPLE / CATALOG).is_dir()  # left as it was


def test_a_catalog_of_only_its_header_without_a_newline_reads_as_empty_and_is_completed(tmp_path):
    out = _out_with_reports(tmp_path, days=3)
    (out / QUESTION / CATALOG).write_text('{"catalog":1,"question":"q-one"}', encoding="utf-8")
    catalog = update_catalog(out, QUESTION)
    assert _probabilities(catalog) == _as_read_from_summaries(out)


@pytest.mark.unreadable_summaries
@pytest.mark.parametrize(
    "edit",
    [
        ('"leading": "keep"', '"leading": "keep", "moves": {"keep": 1' + "0" * 400 + "}"),
        ('"scenario_order": ["keep", "exit"]', '"scenario_order": [1, 2]'),
        ('"Bases"', '"Bases \\ud800"'),
    ],
    ids=["huge-move", "numbered-order", "lone-surrogate"],
)
def test_an_odd_summary_never_stops_the_catalog_history_or_the_history_page(tmp_path, edit):
    import forecast
    from forecast.publish.render import write_index

    out = _out_with_reports(tmp_path, days=3)
    path = out / QUESTION / FIRST.isoformat() / "summary.json"
    path.write_text(path.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    update_catalog(out, QUESTION)
    assert len(forecast.history(out)) >= 4  # the two other reports at least
    write_index(out, histories=[QUESTION])
    page = (out / QUESTION / "history.html").read_bytes()
    page.decode("utf-8")  # valid UTF-8, whatever the summary held


@pytest.mark.unreadable_summaries
def test_a_report_folder_without_a_readable_summary_is_no_repair_on_every_read(tmp_path):
    out = _out_with_reports(tmp_path)
    (out / QUESTION / "2025-02-01").mkdir()  # a folder with no summary in it
    update_catalog(out, QUESTION)
    again = read_catalog(out, QUESTION)
    assert again.notes == [] and not again.dirty and again.unreadable == [date(2025, 2, 1)]


def test_an_append_after_a_half_written_line_rewrites_instead(tmp_path):
    out = _out_with_reports(tmp_path)
    update_catalog(out, QUESTION)
    path = out / QUESTION / CATALOG
    path.write_bytes(path.read_bytes()[:-5])  # the last line cut short
    _write_summary(out, FIRST + timedelta(days=9), 0.9)
    catalog = update_catalog(out, QUESTION, published=FIRST + timedelta(days=9))
    assert "the last line of catalog.jsonl was cut short" in catalog.notes
    assert read_catalog(out, QUESTION).notes == []
    assert _probabilities(read_catalog(out, QUESTION)) == _as_read_from_summaries(out)


def test_the_history_page_shows_a_summary_replaced_since_it_was_catalogued(tmp_path):
    from forecast.publish.render import write_index

    out = _out_with_reports(tmp_path)
    update_catalog(out, QUESTION)
    day = FIRST + timedelta(days=2)
    _replace_summary(out, day, 0.93, stamp_ns=3)
    write_index(out, histories=[QUESTION])
    assert "93%" in (out / QUESTION / "history.html").read_text(encoding="utf-8")
