"""A long log's summary.json is compact: the count and digest of its reports, their ids in evidence.csv.

Issue 23, item 4: a report that counts more than ``COMPACT_ABOVE`` (10,000) reports
writes ``summary.json`` version 3 without ``evidence_ids``; it gives
``evidence_counted`` and ``evidence_digest`` (the SHA-256 of the sorted ids joined
by line feeds), and the ids stay in ``evidence.csv``. The next report works out the
evidence added since from that ``evidence.csv``; where it cannot be read, what was
added is unknown, and the page says so. Summaries of versions 0, 1 and 2 still read.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from helpers import AS_OF, DATA, EXAMPLE, REPO, copy_data_without_team, forecast_cli

from benchmarks.long_log import write_long_log
from forecast.analysis import compare_summaries, evidence_digest
from forecast.publish.report import Report
from forecast.publish.summary import (
    COMPACT_ABOVE,
    SCHEMA_VERSION,
    Summary,
    SummaryError,
    check_summary,
    counted_ids,
    previous_report,
    read_summary,
)
from forecast.store import EVIDENCE_CSV, SUMMARY, report_dir

#: A summary as version 2 wrote it (the report of the bundled example).
GOLDEN = REPO / "tests" / "golden" / "v2" / "russia-syria-bases-2025-02-20.summary.json"
LATER = "2025-02-27"
#: The reports appended between the two runs, dated after the first run's as-of date.
APPENDED = [f"added-{k}" for k in range(7)]


def long_log_data(root: Path, rows: int) -> Path:
    """A data folder whose example question has a log of exactly ``rows`` reports, all dated by ``AS_OF``."""
    data = copy_data_without_team(root / "data")
    log = data / "evidence" / f"{EXAMPLE}.csv"
    header = log.read_text(encoding="utf-8").splitlines()[0]
    log.write_text(header + "\r\n", encoding="utf-8")
    write_long_log(data, rows)
    return data


def append_reports(data: Path, ids: list[str], when: str = "2025-02-21") -> None:
    with (data / "evidence" / f"{EXAMPLE}.csv").open("a", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        for i in ids:
            writer.writerow([i, when, "no-settlement-yet", "yes", "Wire", "B", "2", "", "Appended."])


def log_ids(data: Path) -> list[str]:
    with (data / "evidence" / f"{EXAMPLE}.csv").open(encoding="utf-8", newline="") as handle:
        return [row["id"] for row in csv.DictReader(handle)]


def sha256_of_sorted(ids: list[str]) -> str:
    """The digest as docs/formats/summary-json.md defines it, computed here without forecast's code."""
    return hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()


def run(data: Path, out: Path, as_of: str) -> None:
    result = forecast_cli("run", "--data", data, "--out", out, "--question", EXAMPLE, "--as-of", as_of)
    assert result.returncode == 0, result.stderr


def summary_at(out: Path, as_of: str) -> dict:
    return json.loads((report_dir(out, EXAMPLE, as_of) / SUMMARY).read_text(encoding="utf-8"))


def changes_section(out: Path, as_of: str) -> str:
    """The text of the report page's "since the previous report" section."""
    page = (report_dir(out, EXAMPLE, as_of) / "report.html").read_text(encoding="utf-8")
    section = re.search(r'<section class="changes">(.*?)</section>', page, re.S)
    assert section is not None
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section.group(1))).split())


class LongRuns:
    def __init__(self, data: Path, out: Path, first_ids: list[str]) -> None:
        self.data, self.out, self.first_ids = data, out, first_ids


@pytest.fixture(scope="module")
def long_runs(tmp_path_factory: pytest.TempPathFactory) -> LongRuns:
    """``forecast run`` on a 10,001-report log, then again a week later after seven reports were appended."""
    root = tmp_path_factory.mktemp("compact")
    data, out = long_log_data(root, COMPACT_ABOVE + 1), root / "out"
    first_ids = log_ids(data)
    run(data, out, AS_OF)
    append_reports(data, APPENDED)
    run(data, out, LATER)
    return LongRuns(data, out, first_ids)


# --------------------------------------------------------------------------- a long log through `forecast run`


@pytest.mark.slow
def test_a_summary_of_more_than_10000_reports_gives_their_count_and_digest_not_their_ids(long_runs):
    first = summary_at(long_runs.out, AS_OF)
    assert first["schema_version"] == SCHEMA_VERSION == 4
    assert len(long_runs.first_ids) == COMPACT_ABOVE + 1 == 10_001
    assert "evidence_ids" not in first
    assert first["evidence_counted"] == 10_001
    assert first["evidence_digest"] == sha256_of_sorted(long_runs.first_ids)
    # Small: a few kilobytes, where listing the ids took about 150 kB.
    assert (report_dir(long_runs.out, EXAMPLE, AS_OF) / SUMMARY).stat().st_size < 20_000
    check_summary(report_dir(long_runs.out, EXAMPLE, AS_OF) / SUMMARY)


@pytest.mark.slow
def test_the_ids_of_a_compact_summary_stay_in_its_evidence_csv(long_runs):
    folder = report_dir(long_runs.out, EXAMPLE, AS_OF)
    with (folder / EVIDENCE_CSV).open(encoding="utf-8", newline="") as handle:
        assert [row["id"] for row in csv.DictReader(handle)] == long_runs.first_ids
    assert counted_ids(folder, read_summary(folder / SUMMARY)) == tuple(long_runs.first_ids)


@pytest.mark.slow
def test_the_next_report_lists_exactly_the_reports_appended_since_a_compact_one(long_runs):
    later = summary_at(long_runs.out, LATER)
    assert later["changes"]["previous_as_of"] == AS_OF
    assert later["changes"]["evidence_added"] == APPENDED
    assert later["changes"]["evidence_removed"] == []
    assert later["evidence_counted"] == 10_008
    assert later["evidence_digest"] == sha256_of_sorted(long_runs.first_ids + APPENDED)
    assert "evidence_ids" not in later
    # The previous report it keeps is compact too: one small summary, not two long lists.
    assert "evidence_ids" not in later["previous"]
    assert later["previous"]["evidence_digest"] == sha256_of_sorted(long_runs.first_ids)
    check_summary(report_dir(long_runs.out, EXAMPLE, LATER) / SUMMARY)


@pytest.mark.slow
def test_the_page_says_which_reports_were_added_since_a_compact_one(long_runs):
    text = changes_section(long_runs.out, LATER)
    assert f"Compared with the report of {AS_OF}" in text
    assert f"7 evidence reports added: {', '.join(APPENDED)}." in text


@pytest.mark.slow
def test_a_log_of_exactly_10000_reports_keeps_its_ids(tmp_path):
    data, out = long_log_data(tmp_path, COMPACT_ABOVE), tmp_path / "out"
    run(data, out, AS_OF)
    summary = summary_at(out, AS_OF)
    assert summary["evidence_counted"] == 10_000
    assert summary["evidence_ids"] == log_ids(data)
    assert summary["evidence_digest"] == sha256_of_sorted(log_ids(data))


# --------------------------------------------------------------------------- when evidence.csv cannot be read


@pytest.fixture(scope="module")
def compact_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A data folder with a 10,001-report log and an OUT with its compact report as of ``AS_OF``."""
    root = tmp_path_factory.mktemp("compact-api")
    data, out = long_log_data(root, COMPACT_ABOVE + 1), root / "out"
    folder = report_dir(out, EXAMPLE, AS_OF)
    Report.load(EXAMPLE, as_of=AS_OF, data_dir=data, draws=50).write_summary(folder / SUMMARY)
    return data, out


def later_report(compact_report, tmp_path: Path, appended: list[str] = APPENDED) -> tuple[Report, Path]:
    """The report as of ``LATER``, on a copy of ``compact_report`` with ``appended`` reports added."""
    data, out = (shutil.copytree(p, tmp_path / p.name) for p in compact_report)
    append_reports(data, appended)
    return Report.load(EXAMPLE, as_of=LATER, data_dir=data, reports_dir=out, draws=50), out


def test_without_the_previous_evidence_csv_what_was_added_is_unknown_and_the_page_says_so(
    compact_report, tmp_path
):
    report, out = later_report(compact_report, tmp_path)
    (report_dir(out, EXAMPLE, AS_OF) / EVIDENCE_CSV).unlink()
    record = report.summary_record()
    assert record.changes.evidence_added is None and record.changes.evidence_removed is None
    assert json.loads(record.to_json())["changes"]["evidence_added"] is None
    assert Summary.from_json(record.to_json()) == record
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", str(report.changes_since_previous()))).split())
    assert "Which evidence reports were added since then is unknown" in text
    assert "It counted 10,001 reports; this one counts 10,008." in text
    report.bottom_line()  # the brief's movers are then those since the priors, not a crash


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda p: p.write_text("id,role\nonly,counted\n", encoding="utf-8"), id="other-reports"),
        pytest.param(lambda p: p.write_bytes(b"\xff\xfe not utf-8"), id="not-utf-8"),
        pytest.param(lambda p: p.write_text('id,role\n"unclosed', encoding="utf-8"), id="not-csv"),
        pytest.param(lambda p: (p.unlink(), os.mkfifo(p)), id="fifo"),
        pytest.param(lambda p: (p.unlink(), p.mkdir()), id="folder"),
    ],
)
def test_an_evidence_csv_that_does_not_match_its_summary_means_unknown(compact_report, tmp_path, spoil):
    report, out = later_report(compact_report, tmp_path)
    spoil(report_dir(out, EXAMPLE, AS_OF) / EVIDENCE_CSV)
    assert report.changes.evidence_added is None


def test_an_evidence_csv_with_one_id_changed_does_not_match_the_digest(compact_report, tmp_path):
    report, out = later_report(compact_report, tmp_path)
    path = report_dir(out, EXAMPLE, AS_OF) / EVIDENCE_CSV
    path.write_text(path.read_text(encoding="utf-8").replace("x000017,", "x000017b,", 1), encoding="utf-8")
    assert report.changes.evidence_added is None


def test_with_the_same_reports_nothing_was_added_and_nothing_is_read(compact_report, tmp_path):
    report, out = later_report(compact_report, tmp_path, appended=[])
    (report_dir(out, EXAMPLE, AS_OF) / EVIDENCE_CSV).unlink()  # the digests agree: it is not needed
    assert report.previous is not None and not report.previous.ids_listed
    assert report.changes.evidence_added == () and report.changes.evidence_removed == ()


def test_previous_report_gives_the_folder_of_the_summary_compared_with(compact_report):
    _, out = compact_report
    entry = previous_report(out, EXAMPLE, date.fromisoformat(LATER))
    assert entry is not None and entry.folder == report_dir(out, EXAMPLE, AS_OF)
    assert str(entry.as_of) == AS_OF and entry.summary.evidence_counted == 10_001


# --------------------------------------------------------------------------- reading evidence.csv back


def test_counted_ids_leave_out_reports_after_the_as_of_date_and_take_off_the_spreadsheet_quote(tmp_path):
    (tmp_path / EVIDENCE_CSV).write_text(
        "id,date,summary,role,effect:a\n"
        "e1,2025-01-01,x,counted,1.0\n"
        "'=e2,2025-01-02,x,same event as a counted report,0.0\n"
        "'plain,2025-01-02,x,overtaken by a later report,0.0\n"
        "e3,2025-03-01,x,after the as-of date,\n",
        encoding="utf-8",
    )
    assert counted_ids(tmp_path) == ("e1", "=e2", "'plain")
    assert counted_ids(tmp_path / "missing") is None


# --------------------------------------------------------------------------- every version reads


def golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_a_summary_of_version_3_reads_back_as_written():
    data = golden() | {"schema_version": 3, "evidence_digest": sha256_of_sorted(golden()["evidence_ids"])}
    read = Summary.from_json(json.dumps(data))
    assert read.schema_version == 3 and read.ids_listed
    assert read.evidence_digest == read.counted_digest == evidence_digest(golden()["evidence_ids"])
    compact = {k: v for k, v in data.items() if k != "evidence_ids"} | {"evidence_counted": 20_000}
    read = Summary.from_json(json.dumps(compact))
    assert read.evidence_ids == () and not read.ids_listed and read.evidence_counted == 20_000
    assert json.loads(read.to_json()) == compact


def test_a_summary_of_version_3_without_a_digest_is_refused():
    data = golden() | {"schema_version": 3}
    with pytest.raises(SummaryError, match="evidence_digest"):
        Summary.from_json(json.dumps(data))


def test_a_summary_of_version_2_reads_and_its_digest_is_worked_out_from_its_ids():
    read = Summary.from_json(GOLDEN.read_text(encoding="utf-8"))
    assert read.schema_version == 2 and read.evidence_digest is None
    assert read.counted_digest == sha256_of_sorted(golden()["evidence_ids"])
    assert "evidence_digest" not in json.loads(read.to_json())


def test_a_summary_of_version_1_reads():
    data = golden() | {"schema_version": 1}
    del data["temper"]
    read = Summary.from_json(json.dumps(data))
    assert read.schema_version == 1 and read.temper == 1.0 and list(read.evidence_ids) == data["evidence_ids"]


def test_a_summary_of_version_2_without_ids_is_refused():
    data = golden()
    del data["evidence_ids"]
    with pytest.raises(SummaryError, match="'evidence_ids' is a required property"):
        Summary.from_json(json.dumps(data))


def test_a_summary_without_schema_version_reads_as_version_0():
    data = golden()
    del data["schema_version"]
    read = Summary.from_json(json.dumps(data), question=EXAMPLE)
    assert read.schema_version == 0 and read.counted_digest == sha256_of_sorted(data["evidence_ids"])


def test_a_long_summary_of_version_2_is_kept_compact_as_the_previous_of_a_new_one():
    ids = [f"r{k}" for k in range(COMPACT_ABOVE + 5)]
    long = Summary.from_json(json.dumps(golden() | {"evidence_ids": ids, "evidence_counted": len(ids)}))
    kept = long.as_previous()
    assert kept.evidence_ids == () and kept.evidence_digest == sha256_of_sorted(ids)
    assert kept.schema_version == 2 and kept.previous is None
    short = Summary.from_json(GOLDEN.read_text(encoding="utf-8")).as_previous()
    assert list(short.evidence_ids) == golden()["evidence_ids"]


def test_a_new_report_compares_with_a_long_summary_of_version_2_by_its_ids(tmp_path):
    report = Report.load(EXAMPLE, as_of=AS_OF, data_dir=DATA, draws=50)
    ids = [*golden()["evidence_ids"][:-1], *(f"old-{k}" for k in range(COMPACT_ABOVE))]
    old = replace(Summary.from_json(GOLDEN.read_text(encoding="utf-8")), evidence_ids=tuple(ids),
                  evidence_counted=len(ids), as_of="2025-02-01")  # fmt: skip
    later = Report(report.question, report.evidence, report.as_of, previous=old, draws=50)
    assert later.changes.evidence_added == (golden()["evidence_ids"][-1],)
    assert len(later.changes.evidence_removed) == COMPACT_ABOVE
    record = later.summary_record()
    assert record.previous.evidence_ids == () and record.previous.evidence_digest == sha256_of_sorted(ids)


# --------------------------------------------------------------------------- the comparison itself


def test_compare_summaries_with_a_compact_previous():
    now = {"as_of": "2025-02-08", "probabilities": {"a": 1.0}, "evidence_ids": ["e1", "e2", "e3"]}
    before = {"as_of": "2025-02-01", "probabilities": {"a": 1.0}, "evidence_counted": 2,
              "evidence_digest": evidence_digest(["e1", "e2"])}  # fmt: skip
    assert compare_summaries(now, before).evidence_added is None  # no ids: unknown
    known = compare_summaries(now, before, previous_ids=["e1", "e2"])
    assert (known.evidence_added, known.evidence_removed) == (("e3",), ())
    same = before | {"evidence_counted": 3, "evidence_digest": evidence_digest(["e3", "e2", "e1"])}
    assert compare_summaries(now, same).evidence_added == ()
