"""Issue 22: what a run is given is taken as given.

Paths with braces name the file or folder they spell (papermill would fill
``{name}`` from the parameters); a file name that is not UTF-8 is an input error
of its own while the run goes on; the alert line carries its numbers.
Every case runs the real ``forecast`` command on real files.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import (
    AS_OF,
    EXAMPLE,
    NOTEBOOK,
    copy_data_without_team,
    forecast_cli,
    notebook_with_extra_cell,
    read_json,
)

# --------------------------------------------------------------------------- braces in paths


def test_a_notebook_path_with_braces_runs_exactly_that_file(tmp_path: Path) -> None:
    data = copy_data_without_team(tmp_path / "data")
    (tmp_path / "nb").mkdir()
    shutil.copy(NOTEBOOK, tmp_path / "nb" / "{question}.ipynb")
    marker = tmp_path / "hostile-ran"
    notebook_with_extra_cell(tmp_path / "nb" / f"{EXAMPLE}.ipynb", f"open({str(marker)!r}, 'w').close()")
    out = tmp_path / "out"
    result = forecast_cli(
        "run", "--data", data, "--out", out, "--as-of", AS_OF, "--question", EXAMPLE,
        "--notebook", tmp_path / "nb" / "{question}.ipynb",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert (out / EXAMPLE / AS_OF / "report.html").is_file()


@pytest.mark.parametrize("name", ["reports {x}", "oc {", "a{{x}}b"])
def test_an_out_folder_with_braces_is_a_folder_like_any_other(tmp_path: Path, name: str) -> None:
    data = copy_data_without_team(tmp_path / "data")
    out = tmp_path / name
    result = forecast_cli("run", "--data", data, "--out", out, "--as-of", AS_OF, "--question", EXAMPLE)
    assert result.returncode == 0, result.stderr
    assert (out / EXAMPLE / AS_OF / "report.html").is_file()
    assert (out / "index.html").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name != "data"] == [name]
    manifest = read_json(next((out / "runs").glob("*.json")))
    assert [q["status"] for q in manifest["questions"]] == ["ok"]


# --------------------------------------------------------------------------- file names that are not UTF-8


def test_a_file_name_that_is_not_utf8_is_an_input_error_of_its_own_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    data = copy_data_without_team(tmp_path / "data")
    clone = tmp_path / "data" / "questions"
    shutil.copy(clone / f"{EXAMPLE}.yaml", os.fsencode(clone) + b"/caf\xe9.yaml")
    (tmp_path / "data" / "judgments" / "harbour-bridge-reopening").mkdir(parents=True)
    judgment = os.fsencode(tmp_path / "data" / "judgments" / "harbour-bridge-reopening") + b"/\xff\xfe.yaml"
    Path(os.fsdecode(judgment)).write_text("priors: {}\n", encoding="utf-8")
    out = tmp_path / "out"
    result = forecast_cli("run", "--data", data, "--out", out, "--as-of", AS_OF)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert any(line.startswith("forecast: caf\\xe9: ") and "caf\\xe9.yaml" in line for line in lines), lines
    assert any(
        line.startswith("forecast: harbour-bridge-reopening: ") and "\\xff\\xfe.yaml" in line
        for line in lines
    )
    assert "is not UTF-8" in result.stderr
    # The other questions are published, and the index and the manifest are written, naming the file escaped.
    assert (out / EXAMPLE / AS_OF / "report.html").is_file()
    assert "caf\\xe9" in (out / "index.html").read_text(encoding="utf-8")
    manifest = read_json(next((out / "runs").glob("*.json")))
    status = {q["question"]: q["status"] for q in manifest["questions"]}
    assert status["caf\\xe9"] == "failed" and status[EXAMPLE] == "ok"
    assert "\\udc" not in json.dumps(manifest)
    validated = forecast_cli("validate", "--data", data)
    assert validated.returncode == 1
    assert "caf\\xe9.yaml" in validated.stdout + validated.stderr
    assert "\\xff\\xfe.yaml" in validated.stdout + validated.stderr
