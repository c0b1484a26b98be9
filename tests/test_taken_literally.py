"""Issue 22: what a run is given is taken as given.

Paths with braces name the file or folder they spell (papermill would fill
``{name}`` from the parameters); a file name that is not UTF-8 is an input error
of its own while the run goes on; the alert line carries its numbers.
Every case runs the real ``forecast`` command on real files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import threading
import time
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


# --------------------------------------------------------------------------- the manifest names what the report used


class Rewriter:
    """A thread that keeps replacing a file, atomically (as ``evidence add`` and editors do), while a run reads it."""

    def __init__(self, path: Path, versions) -> None:
        self.path, self.versions, self.stop = path, versions, threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        k = 0
        while not self.stop.is_set():
            temporary = self.path.with_name(f".{self.path.name}.{k}.tmp")
            temporary.write_bytes(self.versions(k))
            os.replace(temporary, self.path)
            k += 1
            time.sleep(0.005)

    def __enter__(self) -> Rewriter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def _manifest(out: Path) -> dict:
    return read_json(sorted((out / "runs").glob("*.json"))[-1])


def test_the_manifest_hashes_the_question_file_the_report_read_while_it_is_rewritten(tmp_path: Path) -> None:
    data = copy_data_without_team(tmp_path / "data")
    path = data / "questions" / f"{EXAMPLE}.yaml"
    text = path.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    versions = [text.replace(title, f"title: Version {v}").encode("utf-8") for v in ("Alpha", "Beta")]
    digests = {hashlib.sha256(v).hexdigest(): name for v, name in zip(versions, ("Alpha", "Beta"))}
    for k in range(2):
        out = tmp_path / f"out{k}"
        with Rewriter(path, lambda i: versions[i % 2]):
            result = forecast_cli(
                "run", "--data", data, "--out", out, "--as-of", AS_OF, "--question", EXAMPLE
            )
        assert result.returncode == 0, result.stderr
        used = digests[_manifest(out)["inputs"][str(path)]]
        page = (out / EXAMPLE / AS_OF / "report.html").read_text(encoding="utf-8")
        assert f"Version {used}" in page
        assert f"Version {({'Alpha', 'Beta'} - {used}).pop()}" not in page


def test_the_manifest_hashes_the_log_rows_the_report_counted_while_rows_are_appended(tmp_path: Path) -> None:
    data = copy_data_without_team(tmp_path / "data")
    log = data / "evidence" / f"{EXAMPLE}.csv"
    start = log.read_bytes()
    row = "e{:05d},2025-02-01,no-settlement-yet,yes,Wire,C,3,,\n"
    rows = [
        row.format(90000 + j).encode() for j in range(3000)
    ]  # one more every few ms, as long as a run takes
    for k in range(2):
        out = tmp_path / f"out{k}"
        with Rewriter(log, lambda i: start + b"".join(rows[:i])):
            result = forecast_cli(
                "run", "--data", data, "--out", out, "--as-of", AS_OF, "--question", EXAMPLE
            )
        assert result.returncode == 0, result.stderr
        digest = _manifest(out)["inputs"][str(log)]
        hashing, added = hashlib.sha256(start), 0  # the log as hashed: the start and how many rows after it
        while hashing.hexdigest() != digest:
            hashing.update(rows[added])
            added += 1
        rows_hashed = len(list(csv.reader(io.StringIO(start.decode("utf-8"))))) - 1 + added
        with open(out / EXAMPLE / AS_OF / "evidence.csv", encoding="utf-8", newline="") as handle:
            rows_counted = len(list(csv.reader(handle))) - 1
        assert rows_counted == rows_hashed
        log.write_bytes(start)
