"""Numbers, dates and paths at the edges: what the suite accepts, refuses, and never crashes on.

Every number and date a file holds has a documented range (docs/formats/), checked by
``forecast validate`` as ``FILE:LINE``; a question out of range is skipped by ``forecast run``
with its reason while the others run; a path that loops is a problem of that file alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import AS_OF, EXAMPLE, copy_data, forecast_cli, read_json

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
