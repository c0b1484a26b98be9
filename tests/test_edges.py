"""Numbers, dates and paths at the edges: what the suite accepts, refuses, and never crashes on.

Every number and date a file holds has a documented range (docs/formats/), checked by
``forecast validate`` as ``FILE:LINE``; a question out of range is skipped by ``forecast run``
with its reason while the others run; a path that loops is a problem of that file alone.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from pathlib import Path

import pytest
from helpers import AS_OF, DATA, EXAMPLE, copy_data, forecast_cli, read_json

import forecast

HUGE = "9" * 400  # an integer no float holds


def no_traceback(result) -> bool:
    return "Traceback" not in result.stdout + result.stderr


def set_key(path: Path, key: str, value: str) -> None:
    """Set a top-level ``key: value`` in a question file (after ``closes:``, or replacing it)."""
    text = path.read_text(encoding="utf-8")
    if re.search(rf"(?m)^{key}:", text):
        text = re.sub(rf"(?m)^{key}: .*$", f"{key}: {value}", text, count=1)
    else:
        text = re.sub(r"(?m)^(closes: .*)$", rf"\1\n{key}: {value}", text, count=1)
    path.write_text(text, encoding="utf-8")


def question_file(data: Path, question: str = EXAMPLE) -> Path:
    return data / "questions" / f"{question}.yaml"


# --------------------------------------------------------------------------- forecast.history()


@pytest.fixture(scope="module")
def far_past_out(tmp_path_factory) -> Path:
    """OUT with the bundled question published as of 1600-01-01 and as of 2025-02-20."""
    tmp = tmp_path_factory.mktemp("far-past")
    data, out = copy_data(tmp / "data"), tmp / "out"
    for as_of in ("1600-01-01", AS_OF):
        done = forecast_cli("run", "--data", data, "--out", out, "--as-of", as_of, "--question", EXAMPLE)
        assert done.returncode == 0, done.stderr
    return out


def test_a_report_as_of_a_day_long_before_the_question_opened_is_published(far_past_out):
    summary = read_json(far_past_out / EXAMPLE / "1600-01-01" / "summary.json")
    assert summary["as_of"] == "1600-01-01"


def test_history_holds_dates_outside_the_nanosecond_range_as_seconds(far_past_out):
    frame = forecast.history(far_past_out)
    assert str(frame["as_of"].dtype) == "datetime64[s]"
    assert sorted({str(d.date()) for d in frame.as_of}) == ["1600-01-01", AS_OF]


def test_history_takes_a_bare_string_as_one_question_id(far_past_out):
    frame = forecast.history(far_past_out, questions=EXAMPLE)
    assert set(frame.question) == {EXAMPLE}
    assert len(frame) == len(forecast.history(far_past_out, questions=[EXAMPLE]))


def test_history_refuses_a_question_that_is_not_an_id(far_past_out):
    with pytest.raises(forecast.ArgumentError, match="not a question id"):
        forecast.history(far_past_out, questions="Russia Syria")


def test_history_of_a_misspelt_output_folder_is_a_forecast_error(tmp_path):
    with pytest.raises(forecast.OutputFolderError, match="no such folder") as raised:
        forecast.history(tmp_path / "reprots")
    assert isinstance(raised.value, forecast.ForecastError)
    assert isinstance(raised.value, FileNotFoundError)


# --------------------------------------------------------------------------- forecast calibrate --write


def test_calibrate_write_over_a_folder_named_calibration_yaml_is_a_clear_error(tmp_path):
    data = copy_data(tmp_path / "data")
    (data / "calibration.yaml").mkdir()
    (data / "calibration.yaml" / "notes.txt").write_text("mine", encoding="utf-8")
    result = forecast_cli(
        "calibrate", "--data", "data", "--write", "--force", "--min-questions", "2", cwd=tmp_path
    )
    assert result.returncode == 1 and no_traceback(result)
    assert "data/calibration.yaml: is a folder, not a file" in result.stderr
    assert (data / "calibration.yaml" / "notes.txt").read_text(encoding="utf-8") == "mine"


# --------------------------------------------------------------------------- numbers and dates in range


def validate(data: Path):
    return forecast_cli("validate", "--data", data.name, cwd=data.parent)


@pytest.mark.parametrize(
    ("key", "value", "line", "message"),
    [
        ("temper", HUGE, 6, "temper: expected a temper: a number greater than 0 and at most 100"),
        ("stale_after_days", HUGE, 6, "stale_after_days: expected a whole number of days of at least 1 and at most"),
        ("closes", "9999-12-31", 5, "closes: 9999-12-31 is outside the dates an input may hold"),
        ("opened", "0001-01-01", 4, "opened: 0001-01-01 is outside the dates an input may hold"),
    ],
    ids=["temper", "stale_after_days", "closes", "opened"],
)  # fmt: skip
def test_validate_locates_a_number_or_date_out_of_range_beside_an_outside_forecasts_file(
    tmp_path, key, value, line, message
):
    data = copy_data(tmp_path / "data")
    assert (data / "forecasts" / f"{EXAMPLE}.csv").is_file()
    set_key(question_file(data), key, value)
    result = validate(data)
    assert result.returncode == 1 and no_traceback(result)
    assert f"data/questions/{EXAMPLE}.yaml:{line}: {message}" in result.stdout
    assert "… (400 digits)" in result.stdout or value != HUGE  # not printed whole


@pytest.mark.parametrize("key", ["temper", "extremize"])
def test_validate_locates_a_huge_number_in_calibration_yaml(tmp_path, key):
    data = copy_data(tmp_path / "data")
    text = f"temper: {HUGE}\n" if key == "temper" else f"temper: 0.5\nextremize: {HUGE}\n"
    (data / "calibration.yaml").write_text(text, encoding="utf-8")
    result = validate(data)
    assert result.returncode == 1 and no_traceback(result)
    line = 1 if key == "temper" else 2
    assert f"data/calibration.yaml:{line}: {key}: expected" in result.stdout
    assert "at most 100" in result.stdout


def test_a_resolution_more_than_20_years_after_closes_is_refused(tmp_path):
    data = copy_data(tmp_path / "data")
    question = question_file(data, "harbour-bridge-reopening")  # closes 2024-11-30
    text = question.read_text(encoding="utf-8")
    question.write_text(re.sub(r"(?m)^(  date: ).*$", r"\g<1>2400-01-01", text, count=1), encoding="utf-8")
    result = validate(data)
    assert result.returncode == 1 and no_traceback(result)
    assert "resolution date 2400-01-01 is more than 20 years after closes 2024-11-30" in result.stdout
    calibrate = forecast_cli("calibrate", "--data", "data", "--min-questions", "2", cwd=tmp_path)
    assert no_traceback(calibrate)


@pytest.mark.slow
def test_run_skips_a_question_with_a_huge_temper_and_publishes_the_others(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    set_key(question_file(data, "harbour-bridge-reopening"), "temper", HUGE)
    set_key(question_file(data, "riverside-festival-return"), "closes", "9999-12-31")
    result = forecast_cli("run", "--data", "data", "--out", "out", "--as-of", AS_OF, cwd=tmp_path)
    assert result.returncode == 1 and no_traceback(result)
    assert (
        "forecast: harbour-bridge-reopening: data/questions/harbour-bridge-reopening.yaml:6: temper:"
        in result.stderr
    )
    assert (
        "forecast: riverside-festival-return: data/questions/riverside-festival-return.yaml:5: closes:"
        in result.stderr
    )
    assert (out / EXAMPLE / AS_OF / "report.html").is_file()
    assert (out / "index.html").is_file()
    (manifest,) = (out / "runs").glob("*.json")
    failed = {e["question"] for e in read_json(manifest)["errors"]}
    assert failed == {"harbour-bridge-reopening", "riverside-festival-return"}


# --------------------------------------------------------------------------- far as-of dates


def test_run_refuses_an_as_of_date_more_than_20_years_after_closes(tmp_path):
    copy_data(tmp_path / "data")
    out = tmp_path / "out"
    result = forecast_cli(
        "run", "--data", "data", "--out", "out", "--as-of", "2500-01-01", "--allow-future", "--question", EXAMPLE,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1 and no_traceback(result)
    assert (
        f"forecast: {EXAMPLE}: data/questions/{EXAMPLE}.yaml: as of 2500-01-01 is more than 20 years after "
        "the question closes (2027-06-30); expected a date by 2047-06-30"
    ) in result.stderr
    assert not (out / EXAMPLE / "2500-01-01").exists()
    assert (out / "index.html").is_file()


def test_the_api_refuses_a_daily_trajectory_more_than_20_years_past_closes():
    question = forecast.load_question(DATA / "questions" / f"{EXAMPLE}.yaml")
    log = forecast.load_evidence(DATA / "evidence" / f"{EXAMPLE}.csv", question)
    with pytest.raises(forecast.ArgumentError, match="more than 20 years after the question closes"):
        _ = forecast.assess(question, log, as_of="9999-12-31").trajectory
    with pytest.raises(forecast.ArgumentError, match="expected a date by 2047-06-30"):
        forecast.trajectory(question, log, as_of="2047-07-01")
    assert forecast.trajectory(question, log, as_of="2047-06-30").dates[-1].isoformat() == "2047-06-30"


@pytest.mark.slow
def test_a_century_long_question_as_of_20_years_after_it_closes_is_published(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    set_key(question_file(data), "opened", "1927-07-01")  # closes 2027-06-30: 100 years, the longest life
    result = forecast_cli(
        "run", "--data", "data", "--out", "out", "--as-of", "2047-06-30", "--allow-future", "--question", EXAMPLE,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert read_json(out / EXAMPLE / "2047-06-30" / "summary.json")["as_of"] == "2047-06-30"


def test_the_trajectory_chart_of_decades_without_reports_is_no_bigger_than_of_a_year():
    from forecast.publish.report import Report

    def chart(as_of: str) -> str:
        report = Report.load(EXAMPLE, as_of=as_of, data_dir=DATA, reports_dir=DATA / "none", draws=200)
        return str(report.trajectory_chart().svg)

    year, decades = chart("2026-02-20"), chart("2047-06-30")  # 440 days, and 8,240
    assert len(decades) < 1.2 * len(year)


# --------------------------------------------------------------------------- symbolic links that loop

LOOP = "is a symbolic link that loops (or one of too many levels); expected a file"


def make_loop(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to(path.name)


def test_validate_names_each_input_that_is_a_symlink_loop_and_checks_the_rest(tmp_path):
    data = copy_data(tmp_path / "data")
    analyst = sorted((data / "judgments" / EXAMPLE).glob("*.yaml"))[0]
    loops = [
        question_file(data, "harbour-bridge-reopening"),
        data / "evidence" / "riverside-festival-return.csv",
        data / "forecasts" / f"{EXAMPLE}.csv",
        analyst,
    ]
    for path in loops:
        make_loop(path)
    result = validate(data)
    assert result.returncode == 1 and no_traceback(result)
    errors = [line for line in result.stdout.splitlines() if "warning:" not in line]
    assert sorted(errors) == sorted(f"{path.relative_to(tmp_path)}: {LOOP}" for path in loops)


def test_validate_names_a_calibration_yaml_that_is_a_symlink_loop(tmp_path):
    data = copy_data(tmp_path / "data")
    make_loop(data / "calibration.yaml")
    result = validate(data)
    assert result.returncode == 1 and no_traceback(result)
    assert f"data/calibration.yaml: {LOOP}" in result.stdout


@pytest.mark.slow
def test_run_skips_questions_whose_inputs_loop_and_publishes_the_others(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    make_loop(data / "evidence" / "harbour-bridge-reopening.csv")
    make_loop(data / "forecasts" / "riverside-festival-return.csv")
    make_loop(question_file(data, "looping"))
    result = forecast_cli("run", "--data", "data", "--out", "out", "--as-of", AS_OF, cwd=tmp_path)
    assert result.returncode == 1 and no_traceback(result)
    for question, path in [
        ("harbour-bridge-reopening", "data/evidence/harbour-bridge-reopening.csv"),
        ("riverside-festival-return", "data/forecasts/riverside-festival-return.csv"),
        ("looping", "data/questions/looping.yaml"),
    ]:
        assert f"forecast: {question}: {path}: {LOOP}" in result.stderr
    assert (out / EXAMPLE / AS_OF / "report.html").is_file()
    assert (out / "index.html").is_file() and list((out / "runs").glob("*.json"))


def test_evidence_add_to_a_log_that_is_a_symlink_loop_says_so_and_changes_nothing(tmp_path):
    data = copy_data(tmp_path / "data")
    log = data / "evidence" / f"{EXAMPLE}.csv"
    make_loop(log)
    result = forecast_cli(
        "evidence", "add", EXAMPLE, "--data", "data", "--date", "2025-02-01", "--indicator", "no-settlement-yet",
        "--observed", "yes", "--source", "Wire", "--reliability", "B", "--credibility", "2", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1 and no_traceback(result)
    assert f"data/evidence/{EXAMPLE}.csv: {LOOP}" in result.stderr
    assert log.is_symlink() and os.readlink(log) == log.name


# --------------------------------------------------------------------------- formulas in column names

FORMULA_NAME = '@SUM(1+1)*cmd|"/C calc"!A0'


def add_row(cwd: Path, *extra: str):
    return forecast_cli(
        "evidence", "add", EXAMPLE, "--data", "data", "--date", "2025-02-01", "--indicator", "no-settlement-yet",
        "--observed", "yes", "--source", "Wire", "--reliability", "B", "--credibility", "2",
        *(f"--extra={e}" for e in extra), cwd=cwd,
    )  # fmt: skip


@pytest.mark.parametrize("name", [FORMULA_NAME, "+cmd", "-2", "tab\there"])
def test_evidence_add_refuses_an_extra_column_name_a_spreadsheet_could_run(tmp_path, name):
    data = copy_data(tmp_path / "data")
    log = data / "evidence" / f"{EXAMPLE}.csv"
    before = log.read_bytes()
    result = add_row(tmp_path, f"{name}=v")
    assert result.returncode == 1 and no_traceback(result)
    assert "a column name may not start with" in result.stderr
    assert log.read_bytes() == before


def test_evidence_add_refuses_a_formula_name_for_a_new_log(tmp_path):
    data = copy_data(tmp_path / "data")
    log = data / "evidence" / f"{EXAMPLE}.csv"
    log.unlink()
    result = add_row(tmp_path, f"{FORMULA_NAME}=v")
    assert result.returncode == 1 and no_traceback(result)
    assert not log.exists()


def with_column(log: Path, name: str) -> None:
    """The log with one more column, ``name``, holding ``x`` on every row."""
    rows = list(csv.reader(io.StringIO(log.read_text(encoding="utf-8"), newline="")))
    rows[0].append(name)
    for row in rows[1:]:
        row.append("x")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    log.write_text(buffer.getvalue(), encoding="utf-8")


def test_a_hand_edited_formula_header_is_warned_of_and_written_quoted_to_out(tmp_path):
    from forecast.publish.report import Report

    data = copy_data(tmp_path / "data")
    with_column(data / "evidence" / f"{EXAMPLE}.csv", "=1+1")
    result = validate(data)
    assert no_traceback(result)
    assert "column '=1+1' starts with '=', so a spreadsheet may run it as a formula" in result.stdout
    report = Report.load(EXAMPLE, as_of=AS_OF, data_dir=data, reports_dir=tmp_path / "out", draws=200)
    written = report.write_evidence_csv(tmp_path / "evidence.csv")
    header = next(csv.reader(io.StringIO(written.read_text(encoding="utf-8"))))
    assert "'=1+1" in header and "=1+1" not in header


def test_every_table_csv_quotes_a_header_a_spreadsheet_could_run():
    from forecast.tables import Table, table_csv

    text = table_csv(Table(index_name="=id", index=["a"], columns={"@SUM(1)": ["v"], "plain": ["w"]}))
    assert next(csv.reader(io.StringIO(text))) == ["'=id", "'@SUM(1)", "plain"]


# --------------------------------------------------------------------------- make docs


def screenshots_module():
    import importlib.util

    from helpers import REPO

    spec = importlib.util.spec_from_file_location("screenshots", REPO / "docs" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def git(repo: Path, *args: str) -> str:
    import subprocess

    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="no git")
def test_screenshots_are_made_from_the_bundled_examples_as_committed_and_nothing_else(tmp_path):
    screenshots = screenshots_module()
    repo = tmp_path / "clone"
    copy_data(repo / "data")
    git(repo, "init", "-q")
    git(repo, "add", "data")
    git(repo, "commit", "-q", "-m", "bundled")
    # A user's own question, committed and not, and an uncommitted edit of a bundled one.
    secret = 'title: "CONFIDENTIAL: our plans"'
    for name in ("secret-plans", "draft-plans"):
        text = question_file(repo / "data").read_text(encoding="utf-8")
        text = re.sub(r"(?m)^title: .*$", secret, text.replace(f"id: {EXAMPLE}", f"id: {name}"), count=1)
        question_file(repo / "data", name).write_text(text, encoding="utf-8")
        if name == "secret-plans":
            git(repo, "add", "data")
            git(repo, "commit", "-q", "-m", "mine")
    set_key(question_file(repo / "data"), "title", '"CONFIDENTIAL: edited"')
    (repo / "data" / "calibration.yaml").write_text("temper: 0.5\n", encoding="utf-8")

    dest = screenshots.bundled_data(tmp_path / "shots" / "data", repo=repo)
    written = sorted(str(p.relative_to(dest.parent)) for p in dest.rglob("*") if p.is_file())
    assert written == sorted(screenshots.BUNDLED)
    assert not any("CONFIDENTIAL" in p.read_text(encoding="utf-8") for p in dest.rglob("*") if p.is_file())
    assert (dest / "questions" / f"{EXAMPLE}.yaml").read_bytes() == (
        DATA / "questions" / f"{EXAMPLE}.yaml"
    ).read_bytes()


@pytest.mark.skipif(shutil.which("git") is None, reason="no git")
def test_every_bundled_example_the_screenshots_name_is_committed():
    from helpers import REPO

    screenshots = screenshots_module()
    try:
        committed = set(git(REPO, "ls-tree", "-r", "--name-only", "HEAD", "data").split())
    except Exception:  # a source tree that is not a git clone
        pytest.skip("not a git clone")
    assert set(screenshots.BUNDLED) <= committed
    assert {p for p in committed if p.startswith("data/questions/")} <= set(screenshots.BUNDLED)
