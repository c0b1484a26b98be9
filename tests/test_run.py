"""`forecast run`: real papermill kernels on temporary copies of the data, and what they wrote."""

from __future__ import annotations

import json
import os
import re
from datetime import date

import pytest
from filelock import FileLock
from helpers import (
    AS_OF,
    EXAMPLE,
    clone_question,
    copy_data,
    forecast_cli,
    notebook_with_extra_cell,
    read_json,
    tree_digest,
)

from forecast import load_evidence, load_question, posterior_as_of
from forecast.engine.pool import log_pool
from forecast.inputs.judgments import load_judgments, overlay

pytestmark = pytest.mark.slow


def test_a_run_writes_the_executed_notebook_report_and_summary(bundled_run):
    folder = bundled_run.out / EXAMPLE / AS_OF
    assert sorted(p.name for p in folder.iterdir()) == [
        "checklist.csv",
        "effects.csv",
        "evidence.csv",
        "inputs.json",  # the digests of the inputs it was made from (docs/record.md)
        "outside_forecasts.csv",  # the bundled question has outside forecasts
        "published.txt",  # when it was published
        "report.html",
        "report.ipynb",
        "scenarios.csv",
        "summary.json",
        "trajectory.csv",
    ]
    assert bundled_run.result.returncode == 0, bundled_run.result.stderr
    assert bundled_run.result.stdout.strip() == str(bundled_run.out / "index.html")


def test_the_summary_holds_the_library_posterior(bundled_run):
    summary = read_json(bundled_run.out / EXAMPLE / AS_OF / "summary.json")
    question = load_question(bundled_run.data / "questions" / f"{EXAMPLE}.yaml")
    log = load_evidence(bundled_run.data / "evidence" / f"{EXAMPLE}.csv", question)
    # The bundled question has analysts: the summary reports their pool, and each of them.
    judgments = load_judgments(bundled_run.data, question)
    analysts = {
        j.analyst: posterior_as_of(overlay(question, j), log, date.fromisoformat(AS_OF)) for j in judgments
    }
    assert set(summary["analysts"]) == set(analysts)
    for name, probabilities in analysts.items():
        assert summary["analysts"][name] == pytest.approx(probabilities, abs=1e-12)
    pooled = log_pool([list(p.values()) for p in analysts.values()], question.extremize)
    expected = dict(zip(question.scenario_ids, pooled.tolist()))
    assert summary["question"] == EXAMPLE
    assert summary["as_of"] == AS_OF
    assert summary["probabilities"] == pytest.approx(expected, abs=1e-12)
    assert summary["leading"] == max(expected, key=expected.get)
    assert summary["evidence_counted"] == len(log.rows)
    assert summary["previous"] is None


def test_the_rendered_report_hides_code_and_runs_no_script(bundled_run):
    page = (bundled_run.out / EXAMPLE / AS_OF / "report.html").read_text(encoding="utf-8")
    assert "Report.load(" not in page and "import " not in page
    assert "<script" not in page.lower()
    assert "Content-Security-Policy" in page
    assert page.index("Bottom line") < page.index("Probabilities") < page.index("Evidence log")
    assert '<figure class="chart">' in page and 'role="img"' in page


def test_the_manifest_records_parameters_inputs_versions_and_outcomes(bundled_run):
    (manifest,) = sorted((bundled_run.out / "runs").glob("*.json"))
    record = read_json(manifest)
    questions = sorted(p.stem for p in (bundled_run.data / "questions").glob("*.yaml"))
    assert record["parameters"]["as_of"] == AS_OF
    assert record["parameters"]["questions"] == questions
    question_file = str(bundled_run.data / "questions" / f"{EXAMPLE}.yaml")
    assert re.fullmatch(r"[0-9a-f]{64}", record["inputs"][question_file])
    assert {"python", "forecast", "papermill", "nbconvert"} <= set(record["versions"])
    assert [o["question"] for o in record["questions"]] == [*questions, "_scorecard"]
    assert all(o["status"] == "ok" and o["duration_s"] > 0 for o in record["questions"])
    assert record["errors"] == []


def test_a_run_with_resolved_questions_renders_the_scorecard_and_links_it(bundled_run):
    scorecard = bundled_run.out / "_scorecard"
    assert sorted(p.name for p in scorecard.iterdir()) == ["report.html", "report.ipynb", "scorecard.json"]
    page = (scorecard / "report.html").read_text(encoding="utf-8")
    assert "Calibration" in page and "<script" not in page.lower()
    assert 'href="_scorecard/report.html"' in (bundled_run.out / "index.html").read_text(encoding="utf-8")


def test_the_index_lists_every_question_with_its_probabilities_and_link(bundled_run):
    page = (bundled_run.out / "index.html").read_text(encoding="utf-8")
    summary = read_json(bundled_run.out / EXAMPLE / AS_OF / "summary.json")
    assert f'href="{EXAMPLE}/{AS_OF}/report.html"' in page
    for scenario, p in summary["probabilities"].items():
        assert f'data-scenario="{scenario}">{p * 100:.0f}%' in page


def test_a_run_leaves_the_data_folder_untouched(bundled_run):
    assert tree_digest(bundled_run.data) == bundled_run.data_digest


def test_a_later_report_is_compared_with_the_previous_one_and_both_are_kept(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    first = forecast_cli("run", "--data", data, "--out", out, "--as-of", "2025-01-15", "--question", EXAMPLE)
    assert first.returncode == 0, first.stderr
    second = forecast_cli("run", "--data", data, "--out", out, "--as-of", AS_OF, "--question", EXAMPLE)
    assert second.returncode == 0, second.stderr
    older, newer = (read_json(out / EXAMPLE / d / "summary.json") for d in ("2025-01-15", AS_OF))
    assert newer["previous"]["as_of"] == "2025-01-15"
    assert newer["previous"]["probabilities"] == older["probabilities"]
    for s, p in newer["probabilities"].items():
        assert newer["moves"][s] == pytest.approx((p - older["probabilities"][s]) * 100)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{EXAMPLE}/2025-01-15/report.html"' in index  # the earlier report stays linked
    assert len(list((out / "runs").glob("*.json"))) == 2


def test_rerunning_the_same_date_with_new_numbers_keeps_the_report_it_revises(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    args = ("run", "--data", data, "--out", out, "--as-of", AS_OF, "--question", EXAMPLE)
    assert forecast_cli(*args).returncode == 0
    marker = out / EXAMPLE / AS_OF / "marker"
    marker.write_text("from the first run")
    (data / "calibration.yaml").write_text("temper: 0.5\n", encoding="utf-8")
    assert forecast_cli(*args).returncode == 0
    assert not marker.exists()
    assert (out / EXAMPLE / f"{AS_OF}@r1" / "marker").read_text() == "from the first run"
    assert (out / EXAMPLE / AS_OF / "report.html").is_file()
    assert not (out / ".forecast-work").exists()


def test_failures_are_reported_and_the_other_questions_still_run(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    clone_question(data, "breaks-in-kernel")
    clone_question(data, "hangs")
    (data / "questions" / "bad-input.yaml").write_text("id: bad-input\ntitle: [unclosed\n", encoding="utf-8")
    notebook = notebook_with_extra_cell(
        tmp_path / "nb.ipynb",
        'if question == "breaks-in-kernel":\n    raise RuntimeError("deliberate failure")\n'
        'if question == "hangs":\n    import time\n    time.sleep(3600)',
    )
    digest = tree_digest(data)
    result = forecast_cli(
        "run", "--data", data, "--out", out, "--as-of", AS_OF, "--notebook", notebook,
        "--jobs", "2", "--timeout", "45",
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    reasons = {
        line.split(": ", 2)[1]: line for line in result.stderr.splitlines() if line.startswith("forecast: ")
    }
    assert set(reasons) == {"bad-input", "breaks-in-kernel", "hangs"}
    assert re.search(r"bad-input\.yaml:3: YAML syntax error: .*began on line 2", reasons["bad-input"])
    assert "RuntimeError: deliberate failure" in reasons["breaks-in-kernel"]
    assert "timed out after 45 s" in reasons["hangs"]
    assert (out / EXAMPLE / AS_OF / "report.html").is_file()
    failed_nb = out / "breaks-in-kernel" / "failed" / AS_OF / "report.ipynb"
    assert "deliberate failure" in failed_nb.read_text(encoding="utf-8")
    assert not (out / "breaks-in-kernel" / AS_OF).exists()
    manifest = read_json(next((out / "runs").glob("*.json")))
    assert {e["question"] for e in manifest["errors"]} == {"bad-input", "breaks-in-kernel", "hangs"}
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Failed in the latest run" in index and "deliberate failure" in index
    assert tree_digest(data) == digest


def test_a_second_run_on_the_same_output_waits_for_the_lock(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    out.mkdir()
    with FileLock(str(out / ".forecast.lock")):
        result = forecast_cli("run", "--data", data, "--out", out, "--as-of", AS_OF, "--wait", "1")
    assert result.returncode == 1
    assert "another forecast run is writing to" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (out / EXAMPLE).exists()


@pytest.mark.parametrize(
    "args",
    [["--jobs", "0"], ["--as-of", "2025-02-30"], ["--as-of", "20250220"], ["--no-such-option"]],
)
def test_usage_errors_exit_with_status_2(tmp_path, args):
    result = forecast_cli("run", "--data", tmp_path, "--out", tmp_path / "out", *args)
    assert result.returncode == 2
    assert "usage:" in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_or_unsafe_question_id_fails_without_touching_anything_outside_out(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    result = forecast_cli("run", "--data", data, "--out", out, "--question", "../x", "--question", "no-such")
    assert result.returncode == 1
    assert "'../x' is not a question id" in result.stderr
    assert "no question file" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out"]
    assert sorted(p.name for p in out.iterdir()) == [
        ".forecast-locks",
        ".forecast-out",
        ".forecast.lock",
        "index.html",
        "runs",
    ]


def test_a_run_off_a_terminal_prints_only_the_index_path(bundled_run):
    assert bundled_run.result.stderr == ""


def test_python_dash_m_forecast_is_the_command():
    result = forecast_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("forecast ")


def test_fail_on_alert_exits_3_when_a_scenario_moves_past_the_threshold(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    one = ("--question", EXAMPLE)
    assert forecast_cli("run", "--data", data, "--out", out, "--as-of", "2024-12-09", *one).returncode == 0
    result = forecast_cli("run", "--data", data, "--out", out, "--as-of", AS_OF, "--fail-on-alert", *one)
    assert result.returncode == 3, result.stderr
    summary = read_json(out / EXAMPLE / AS_OF / "summary.json")
    assert summary["alerts"]
    # The line says how far and since when, from the two reports' own probabilities.
    before = read_json(out / EXAMPLE / "2024-12-09" / "summary.json")["probabilities"]
    moved = [
        f"{summary['scenario_names'][s]} {100 * (summary['probabilities'][s] - before[s]):+.1f} pts".replace(
            "-", "\u2212"
        )
        for s in summary["scenario_order"]
        if s in summary["alerts"]
    ]
    line = f"forecast: alert: {EXAMPLE}: {', '.join(moved)} since 2024-12-09 (threshold 10)"
    assert line in result.stderr.splitlines()
    manifest = sorted((out / "runs").glob("*.json"))[-1]
    assert read_json(manifest)["alerts"][0]["question"] == EXAMPLE
    assert "Alert:" in (out / "index.html").read_text(encoding="utf-8")


def test_summary_json_is_valid_json_with_sorted_keys(bundled_run):
    text = (bundled_run.out / EXAMPLE / AS_OF / "summary.json").read_text(encoding="utf-8")
    assert list(json.loads(text)) == sorted(json.loads(text))


def test_a_run_on_a_terminal_shows_progress_per_question_and_per_cell(tmp_path):
    import fcntl
    import pty
    import struct
    import subprocess
    import sys
    import termios

    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # a 120-column terminal
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "forecast",
            "run",
            "--data",
            data,
            "--out",
            out,
            "--as-of",
            AS_OF,
            "--question",
            EXAMPLE,
        ],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        close_fds=True,
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the run is over
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert process.wait(300) == 0
    text = shown.decode("utf-8", "replace")
    assert f"running {EXAMPLE} as of {AS_OF}" in text
    assert f"[1/1] {EXAMPLE}: ok" in text
    assert "Executing" in text and "cell/s" in text  # papermill's cell progress bar


def test_a_data_folder_without_questions_is_an_error_not_an_empty_report(tmp_path):
    result = forecast_cli("run", "--data", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "no question files in" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


#: Put on PYTHONPATH, it records every fork of every Python process of a run: its pid, the threads
#: alive in the forking process, and each process's pid and command line as it starts.
_FORK_PROBE = """
import os, sys, threading

def _record(line):
    with open(os.environ["FORK_PROBE_LOG"], "a", encoding="utf-8") as log:
        log.write(line + "\\n")

_record(f"start {os.getpid()} {sys.argv!r}")
os.register_at_fork(before=lambda: _record(f"fork {os.getpid()} {threading.active_count()}"))
"""


def test_no_process_of_a_run_forks_while_other_threads_run(tmp_path):
    """`--jobs 2` runs a thread per job; the workers are forked by a process with one thread."""
    import subprocess
    import sys

    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    clone_question(data, "second")
    probe, log = tmp_path / "probe", tmp_path / "forks.log"
    probe.mkdir()
    (probe / "sitecustomize.py").write_text(_FORK_PROBE, encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": str(probe), "FORK_PROBE_LOG": str(log)}
    command = [sys.executable, "-m", "forecast", "run", "--data", data, "--out", out, "--as-of", AS_OF]
    run = subprocess.Popen(
        [*command, "--question", EXAMPLE, "--question", "second", "--jobs", "2"],
        env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stderr
    assert (out / "second" / AS_OF / "report.html").is_file()
    records = [line.split(" ", 2) for line in log.read_text(encoding="utf-8").splitlines()]
    assert ["start", str(run.pid)] in [r[:2] for r in records]  # the probe ran in the run itself
    forks = [(int(pid), int(threads)) for kind, pid, threads in records if kind == "fork"]
    assert len(forks) >= 2  # at least one per worker: the probe sees the forks that start them
    assert [f for f in forks if f[0] == run.pid] == []  # the run itself forks nothing
    assert [f for f in forks if f[1] > 1] == []  # and no process of the run forks with a second thread


def test_where_no_fork_server_can_run_each_worker_is_a_fresh_interpreter_with_the_same_guarantees(
    tmp_path, monkeypatch
):
    """``START_METHOD = "spawn"`` (no ``fork``, or no passing of descriptors): the same job, its timeout
    and the kill of the worker with its kernel included."""
    import time
    from pathlib import Path

    import psutil

    from forecast.schedule import worker
    from forecast.schedule.job import run_question

    monkeypatch.setattr(worker, "START_METHOD", "spawn")
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    clone_question(data, "hangs")
    notebook = notebook_with_extra_cell(
        tmp_path / "nb.ipynb", 'if question == "hangs":\n    import time\n    time.sleep(3600)'
    )
    day = date.fromisoformat(AS_OF)
    done = run_question(EXAMPLE, data, out, day, notebook=notebook)
    hung = run_question("hangs", data, out, day, notebook=notebook, timeout=20)
    assert (done.status, Path(done.report).is_file()) == ("ok", True)
    assert (hung.status, hung.cause, hung.reason) == (
        "failed",
        "timeout",
        "timed out after 20 s and was stopped",
    )

    def left() -> list[psutil.Process]:  # the workers and kernels that ran in OUT
        found = []
        for process in psutil.Process().children(recursive=True):
            try:
                if process.cwd().startswith(str(out)):
                    found.append(process)
            except psutil.Error:
                continue
        return found

    deadline = time.monotonic() + 20
    while left() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left() == []
