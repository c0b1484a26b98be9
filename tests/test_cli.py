"""`forecast validate` and `forecast evidence add`, run as a user runs them, on real files."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys

import pytest
from helpers import EXAMPLE, copy_data, forecast_cli

from forecast.inputs.append import lock_path


@pytest.fixture
def data(tmp_path):
    return copy_data(tmp_path / "data")


def log_path(data):
    return data / "evidence" / f"{EXAMPLE}.csv"


def test_validate_passes_the_bundled_example(data):
    result = forecast_cli("validate", "--data", data)
    assert result.returncode == 0
    assert result.stdout == ""
    assert "0 errors, 0 warnings" in result.stderr


def test_validate_reports_a_question_problem_as_file_line_message(data):
    question = data / "questions" / f"{EXAMPLE}.yaml"
    text = question.read_text(encoding="utf-8")
    question.write_text(text.replace("prior: 0.40", "prior: 0.45", 1), encoding="utf-8")
    result = forecast_cli("validate", "--data", data)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    line = text[: text.index("scenarios:")].count("\n") + 1
    assert f"{question}:{line}: priors sum to 1.05; expected 1" in result.stdout


def test_validate_reports_every_problem_of_a_bad_evidence_row_on_its_line(data):
    with log_path(data).open("a", encoding="utf-8", newline="") as handle:
        handle.write("e999,2025-02-31,no-such-indicator,maybe,,G,7,,\n")
    bad_row = len(log_path(data).read_bytes().splitlines())
    result = forecast_cli("validate", "--data", data)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    expected = ["date: '2025-02-31' is not a date that exists", "indicator 'no-such-indicator' is not in",
                "observed 'maybe' must be 'yes'", "source is empty", "reliability 'G' is not an Admiralty grade",
                "credibility '7' is not an Admiralty grade"]  # fmt: skip
    assert len(lines) == len(expected)
    for line, message in zip(lines, expected):
        assert line.startswith(f"{log_path(data)}:{bad_row}: {message}")


def test_validate_marks_warnings_and_still_exits_0(data):
    rows = list(csv.reader(io.StringIO(log_path(data).read_text(encoding="utf-8-sig"), newline="")))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        [rows[0] + ["analyst"]] + [r + ["kb"] for r in rows[1:]]
    )
    log_path(data).write_text(buffer.getvalue(), encoding="utf-8")
    result = forecast_cli("validate", "--data", data)
    assert result.returncode == 0
    assert re.search(r"\.csv:1: warning: column 'analyst' is not one the suite uses", result.stdout)


def add(data, **fields):
    args = ["evidence", "add", EXAMPLE, "--data", data]
    defaults = {
        "date": "2025-02-21",
        "indicator": "limited-presence-deal-near",
        "observed": "yes",
        "source": "Test wire",
        "reliability": "B",
        "credibility": "2",
    }
    for key, value in {**defaults, **fields}.items():
        args += [f"--{key}", value]
    return forecast_cli(*args)


def test_evidence_add_appends_one_validated_row_with_a_fresh_id(data):
    before = log_path(data).read_bytes()
    result = add(data, summary='Says "a deal", with <b>tags</b>, commas', url="https://example.org/a?b=1")
    assert result.returncode == 0, result.stderr
    after = log_path(data).read_bytes()
    assert after.startswith(before)
    (row,) = list(
        csv.DictReader(
            io.StringIO(after[len(before) :].decode("utf-8"), newline=""),
            fieldnames=next(csv.reader(io.StringIO(before.decode("utf-8-sig")))),
        )
    )
    assert row["id"] == "e033"
    assert row["summary"] == 'Says "a deal", with <b>tags</b>, commas'
    assert row["url"] == "https://example.org/a?b=1"
    assert result.stdout.strip() == "added e033 (2025-02-21, limited-presence-deal-near, yes, B2)"
    assert forecast_cli("validate", "--data", data).returncode == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reliability", "G", "reliability 'G' is not an Admiralty grade"),
        ("credibility", "7", "credibility '7' is not an Admiralty grade"),
        ("date", "2025-02-30", "is not a date that exists"),
        ("indicator", "no-such", "indicator 'no-such' is not in the question's checklist"),
        ("source", "", "source is empty"),
    ],
)
def test_evidence_add_refuses_an_invalid_row_and_leaves_the_log_byte_for_byte(data, field, value, message):
    before = log_path(data).read_bytes()
    result = add(data, **{field: value})
    assert result.returncode == 1
    assert message in result.stderr and "the log is unchanged" in result.stderr
    assert re.search(rf"{re.escape(str(log_path(data)))}:\d+: ", result.stderr)
    assert "Traceback" not in result.stderr
    assert log_path(data).read_bytes() == before
    # No temporary file is left; only the log's lock file stays beside it, as every writer's lock.
    assert [p.name for p in log_path(data).parent.iterdir() if p.name.startswith(".")] == [
        lock_path(log_path(data)).name
    ]


def test_evidence_add_keeps_windows_line_endings_and_a_bom(data):
    text = log_path(data).read_text(encoding="utf-8").replace("\r\n", "\n")
    log_path(data).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    before = log_path(data).read_bytes()
    assert add(data).returncode == 0
    after = log_path(data).read_bytes()
    assert (
        after.startswith(before)
        and after.endswith(b"\r\n")
        and b"\n" not in after[len(before) :].replace(b"\r\n", b"")
    )


def test_evidence_add_starts_a_log_for_a_question_without_one(data):
    log_path(data).unlink()
    assert add(data).returncode == 0
    lines = log_path(data).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,date,indicator,observed,source,reliability,credibility,url,summary"
    assert lines[1].startswith("e001,2025-02-21,limited-presence-deal-near,yes,Test wire,B,2")


def test_evidence_add_refuses_an_unknown_question(data):
    result = forecast_cli("evidence", "add", "../escape", "--data", data, "--date", "2025-01-01", "--indicator", "x",
                          "--observed", "yes", "--source", "s", "--reliability", "A", "--credibility", "1")  # fmt: skip
    assert (
        result.returncode == 1 and "not a question id" in result.stderr and "Traceback" not in result.stderr
    )


def test_concurrent_evidence_adds_lose_no_row(data):
    """Two writers appending five rows each at the same time: all ten land, each with its own id."""
    script = (
        "import sys\nfrom forecast.inputs.append import append_evidence\n"
        "for k in range(5):\n"
        "    append_evidence(sys.argv[1], 'russia-syria-bases', date='2025-02-21', indicator='no-settlement-yet',"
        " observed='yes', source=sys.argv[2] + str(k), reliability='C', credibility='3')\n"
    )
    before = len(log_path(data).read_text(encoding="utf-8").splitlines())
    writers = [subprocess.Popen([sys.executable, "-c", script, str(data), name]) for name in ("w1-", "w2-")]
    assert [w.wait(120) for w in writers] == [0, 0]
    rows = list(csv.DictReader(io.StringIO(log_path(data).read_text(encoding="utf-8-sig"), newline="")))
    assert len(rows) == before - 1 + 10
    assert {r["source"] for r in rows[-10:]} == {f"w{w}-{k}" for w in (1, 2) for k in range(5)}
    assert len({r["id"] for r in rows}) == len(rows)


# --------------------------------------------------------------------------- run --notebook


def test_run_help_documents_the_notebook_option():
    result = forecast_cli("run", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--notebook FILE" in text and "cell tagged parameters" in text


def _one_usage_error(result) -> str:
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [error] = [line for line in result.stderr.splitlines() if "error:" in line]
    return error


def test_run_with_a_missing_notebook_is_a_usage_error_before_anything_is_written(tmp_path):
    out = tmp_path / "out"
    missing = tmp_path / "mine.ipynb"
    result = forecast_cli("run", "--data", tmp_path, "--out", out, "--notebook", missing)
    error = _one_usage_error(result)
    assert error == f"forecast run: error: argument --notebook: no such notebook file: '{missing}'"
    assert not out.exists()


def test_run_with_a_notebook_without_a_parameters_cell_is_a_usage_error(tmp_path):
    notebook = tmp_path / "plain.ipynb"
    notebook.write_text('{"cells": [{"cell_type": "code", "metadata": {}, "source": "1"}]}', encoding="utf-8")
    error = _one_usage_error(forecast_cli("run", "--out", tmp_path / "out", "--notebook", notebook))
    assert "has no cell tagged 'parameters'" in error


def test_run_with_a_notebook_that_is_not_json_is_a_usage_error(tmp_path):
    notebook = tmp_path / "broken.ipynb"
    notebook.write_bytes(b"\xff not a notebook")
    error = _one_usage_error(forecast_cli("run", "--out", tmp_path / "out", "--notebook", notebook))
    assert "is not a Jupyter notebook (.ipynb JSON)" in error
