"""`forecast evidence add`: every option explained, and `--extra KEY=VALUE` for the log's other columns."""

from __future__ import annotations

import csv
import io

import pytest
from helpers import EXAMPLE, copy_data, forecast_cli

REQUIRED = {
    "date": "2025-02-21",
    "indicator": "limited-presence-deal-near",
    "observed": "yes",
    "source": "Test wire",
    "reliability": "B",
    "credibility": "2",
}


@pytest.fixture
def data(tmp_path):
    return copy_data(tmp_path / "data")


def log_path(data):
    return data / "evidence" / f"{EXAMPLE}.csv"


def add(data, *extra_args):
    args = ["evidence", "add", EXAMPLE, "--data", data]
    for key, value in REQUIRED.items():
        args += [f"--{key}", value]
    return forecast_cli(*args, *extra_args)


def with_analyst_column(data):
    """The bundled log with an `analyst` column added to its header (and empty in every row)."""
    rows = list(csv.reader(io.StringIO(log_path(data).read_text(encoding="utf-8"), newline="")))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*rows[0], "analyst"])
    writer.writerows([*r, ""] for r in rows[1:])
    log_path(data).write_text(buffer.getvalue(), encoding="utf-8")


def last_row(data):
    return list(csv.DictReader(io.StringIO(log_path(data).read_text(encoding="utf-8"), newline="")))[-1]


def test_help_explains_every_option():
    result = forecast_cli("evidence", "add", "--help")
    assert result.returncode == 0
    options = ["--date", "--indicator", "--observed", "--source", "--reliability", "--credibility", "--url",
               "--summary", "--extra", "--data"]  # fmt: skip
    help_lines = result.stdout.split("options:")[1]
    for option in options:
        # Each option's line says what it is for, not only its name and metavar.
        block = help_lines.split(f"  {option}", 1)[1].split("\n  --", 1)[0]
        words = block.split(None, 1)[1] if len(block.split(None, 1)) > 1 else ""
        assert len(words.split()) >= 3, f"{option} has no explanation: {block!r}"
    assert "Admiralty" in result.stdout and "KEY=VALUE" in result.stdout


def test_extra_fills_a_column_of_the_log(data):
    with_analyst_column(data)
    result = add(data, "--extra", "analyst=J. Doe")
    assert result.returncode == 0, result.stderr
    row = last_row(data)
    assert row["analyst"] == "J. Doe" and row["id"] == "e033" and row["source"] == "Test wire"
    assert forecast_cli("validate", "--data", data).returncode == 0


def test_extra_starts_a_new_log_with_its_column(data):
    log_path(data).unlink()
    assert add(data, "--extra", "analyst=jd").returncode == 0
    lines = log_path(data).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,date,indicator,observed,source,reliability,credibility,url,summary,analyst"
    assert lines[1].endswith(",jd")


def test_extra_refuses_a_column_the_log_does_not_have_and_leaves_it_unchanged(data):
    before = log_path(data).read_bytes()
    result = add(data, "--extra", "analyst=jd")
    assert result.returncode == 1
    assert f"{log_path(data)}:1: column 'analyst' is not in the log's header" in result.stderr
    assert "Traceback" not in result.stderr
    assert log_path(data).read_bytes() == before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("analyst", "expected KEY=VALUE"),
        ("=jd", "expected KEY=VALUE"),
        ("source=Other wire", "use --source"),
        ("id=e999", "ids are given by the tool"),
    ],
)
def test_extra_refuses_a_malformed_pair_as_a_usage_error(data, value, message):
    before = log_path(data).read_bytes()
    result = add(data, "--extra", value)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert log_path(data).read_bytes() == before


def test_extra_refuses_the_same_key_twice(data):
    with_analyst_column(data)
    before = log_path(data).read_bytes()
    result = add(data, "--extra", "analyst=a", "--extra", "analyst=b")
    assert result.returncode == 2 and "given twice" in result.stderr
    assert log_path(data).read_bytes() == before
