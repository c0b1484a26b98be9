"""Faults during a run: killed processes, dying kernels, concurrent runs, full and read-only disks.

In every case the last good reports, ``index.html`` and the data stay byte for
byte as they were, the command says what went wrong in one line (never a
traceback), and the next run succeeds. Real ``forecast run`` processes are
killed with SIGKILL at chosen moments; disks are filled and made read-only with
real mounts where the sandbox allows them (we run as root, so permissions alone
stop nothing).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
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

from forecast.catalog import read_catalog
from forecast.errors import EvidenceWriteError
from forecast.inputs.append import append_evidence, log_lock
from forecast.store import atomic_write_bytes, failed_dir, recover, replace_dir, report_dir, work_dir

EARLIER = "2025-01-15"


def published(out: Path) -> dict[str, str]:
    """Every file a reader can see in OUT (not scratch space or lock files), with its digest."""
    return {
        k: v for k, v in tree_digest(out).items() if not k.startswith((".forecast-work/", ".forecast-locks/"))
    }


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(0.02)
    return value


def start_run(*args: object, log: Path) -> subprocess.Popen:
    """``forecast run ARGS`` as a scheduler starts it: its own process group, output to a file."""
    with log.open("wb") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "forecast", "run", *map(str, args)],
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def descendants(process: subprocess.Popen) -> set[psutil.Process]:
    try:
        return set(psutil.Process(process.pid).children(recursive=True))
    except psutil.NoSuchProcess:
        return set()


def exited(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE  # dead, not yet reaped by its new parent
    except psutil.NoSuchProcess:
        return True


def assert_all_exit(processes: set[psutil.Process], within: float) -> None:
    """Every process (workers, kernels) exits within ``within`` seconds; any left are killed."""
    deadline = time.monotonic() + within
    while not all(map(exited, processes)) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [p for p in processes if not exited(p)]
    described = [repr(p) for p in alive]
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    assert not alive, f"still running {within:g} s after the kill: {described}"


@pytest.fixture(scope="module")
def good_out(tmp_path_factory) -> Path:
    """OUT after one good run of the example as of AS_OF: the reports that must never be lost."""
    root = tmp_path_factory.mktemp("good")
    out = root / "out"
    result = forecast_cli(
        "run", "--data", copy_data(root / "data"), "--out", out, "--question", EXAMPLE, "--as-of", AS_OF
    )
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def last_good(tmp_path, good_out) -> tuple[Path, Path, dict[str, str], dict[str, str]]:
    """A private copy of the good OUT and of the data, with their digests."""
    out = tmp_path / "out"
    shutil.copytree(good_out, out)
    data = copy_data(tmp_path / "data")
    return data, out, published(out), tree_digest(data)


def assert_next_run_succeeds(data: Path, out: Path) -> None:
    result = forecast_cli("run", "--data", data, "--out", out, "--question", EXAMPLE, "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    assert (out / EXAMPLE / AS_OF / "report.html").is_file()
    assert not (out / ".forecast-work").exists()
    assert not list(out.rglob("*.aside"))  # nothing left set aside
    assert len(list((out / "runs").glob("*.json"))) == 2  # the killed run wrote no manifest


# --------------------------------------------------------------------------- killed runs


@pytest.mark.slow
def test_a_run_killed_while_its_notebook_executes_loses_nothing_and_leaves_no_process(tmp_path, last_good):
    """SIGKILL to the run's process group, as a scheduler or `kill -9` sends it, mid-notebook."""
    data, out, before, data_before = last_good
    notebook = notebook_with_extra_cell(
        tmp_path / "slow.ipynb", 'import pathlib, time\npathlib.Path("executing").touch()\ntime.sleep(300)'
    )
    run = start_run("--data", data, "--out", out, "--question", EXAMPLE, "--as-of", AS_OF,
                    "--notebook", notebook, log=tmp_path / "run.log")  # fmt: skip
    started: set[psutil.Process] = set()
    try:
        wait_for(
            lambda: list(out.glob(f".forecast-work/{EXAMPLE}.*/executing")), 120, "the notebook to execute"
        )
        started = descendants(run)
        assert any("ipykernel_launcher" in " ".join(p.cmdline()) for p in started)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    # Workers and kernels have sessions of their own; they notice their parent died and stop.
    assert_all_exit(started, within=20)
    assert published(out) == before
    assert tree_digest(data) == data_before
    assert_next_run_succeeds(data, out)


def rendering(out: Path) -> Path | None:
    """The scratch folder of a question whose notebook has finished executing (papermill's end_time)."""
    for notebook in out.glob(".forecast-work/*/report.ipynb"):
        try:
            if json.loads(notebook.read_text(encoding="utf-8"))["metadata"]["papermill"].get("end_time"):
                return notebook.parent
        except (OSError, ValueError, KeyError):
            continue  # not written in full yet
    return None


@pytest.mark.slow
def test_a_run_killed_while_rendering_loses_nothing(tmp_path, last_good):
    """SIGKILL to the run and every process it started, as when the machine or its cgroup goes down."""
    data, out, before, data_before = last_good
    run = start_run(
        "--data", data, "--out", out, "--question", EXAMPLE, "--as-of", AS_OF, log=tmp_path / "run.log"
    )
    started: set[psutil.Process] = set()
    try:

        def executed() -> Path | None:
            started.update(descendants(run))
            return rendering(out)

        scratch = wait_for(executed, 120, "the notebook to finish executing")
        started.update(descendants(run))
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # the parent first, so that it can move nothing into place
        for process in started:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        run.wait()
    assert_all_exit(started, within=10)
    assert (scratch / "report.ipynb").is_file() and not (scratch / "report.html").exists(), (
        "the kill was meant to land while the report was being rendered"
    )
    assert published(out) == before
    assert not list(out.glob(f"{EXAMPLE}/**/.report.html*"))  # no partial page beside the report
    assert tree_digest(data) == data_before
    assert_next_run_succeeds(data, out)


@pytest.mark.parametrize(
    "place",
    [
        lambda out: report_dir(out, EXAMPLE, AS_OF),
        lambda out: failed_dir(out, EXAMPLE, AS_OF),
        lambda out: out / "_scorecard",
    ],
    ids=["report", "failed-run record", "scorecard"],
)
def test_a_run_killed_between_the_two_renames_of_a_publish_is_undone_by_the_next(
    tmp_path, monkeypatch, place
):
    """replace_dir sets the old folder aside, then moves the new one in; a kill between leaves neither."""
    out = tmp_path / "out"
    final = place(out)
    final.mkdir(parents=True)
    (final / "report.html").write_text("the last good report", encoding="utf-8")
    before = tree_digest(out)
    new = work_dir(out) / "run" / EXAMPLE
    new.mkdir(parents=True)
    (new / "report.html").write_text("half way", encoding="utf-8")
    real_rename, renames = os.rename, []

    def rename(src, dst):
        if renames:
            raise SystemExit("killed")  # the process dies right before the second rename
        renames.append(src)
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(SystemExit):
        replace_dir(new, final)
    monkeypatch.undo()
    assert not final.exists()
    recover(out)  # what the next run does first, under the lock
    assert {k: v for k, v in tree_digest(out).items() if not k.startswith(".forecast-locks/")} == before
    assert sorted(p.name for p in out.rglob(".*") if ".forecast-locks" not in p.parts) == []


# --------------------------------------------------------------------------- concurrency


@pytest.mark.slow
def test_two_runs_started_together_on_one_out_take_turns(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    before = tree_digest(data)
    args = ("--data", data, "--out", out, "--question", EXAMPLE, "--as-of", AS_OF)
    runs = [start_run(*args, log=tmp_path / f"run{k}.log") for k in (1, 2)]
    try:
        codes = [run.wait(300) for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
    logs = [(tmp_path / f"run{k}.log").read_text(encoding="utf-8") for k in (1, 2)]
    assert codes == [0, 0], logs
    assert not any("Traceback" in log for log in logs)
    assert sum("another forecast run is writing to" in log for log in logs) == 1  # one waited for the other
    assert sorted(p.name for p in (out / EXAMPLE).iterdir() if not p.name.startswith(".")) == [
        AS_OF,  # the second run made the same numbers: it published nothing, kept no revision
        "catalog.jsonl",  # the question's catalog of reports
        "evidence-seen.jsonl",  # when each evidence report was first seen
        "history.html",  # the page of every report
    ]
    assert [e.as_of.isoformat() for e in read_catalog(out, EXAMPLE).entries()] == [AS_OF]
    assert sorted(p.name for p in (out / EXAMPLE / AS_OF).iterdir()) == [
        "checklist.csv",
        "effects.csv",
        "evidence.csv",
        "inputs.json",
        "outside_forecasts.csv",  # the bundled question has outside forecasts
        "published.txt",
        "report.html",
        "report.ipynb",
        "scenarios.csv",
        "summary.json",
        "trajectory.csv",
    ]
    manifests = [read_json(p) for p in sorted((out / "runs").glob("*.json"))]
    assert len(manifests) == 2 and all(m["errors"] == [] for m in manifests)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.rstrip().endswith("</html>") and f'href="{EXAMPLE}/{AS_OF}/report.html"' in index
    assert not (out / ".forecast-work").exists()
    assert tree_digest(data) == before


def test_evidence_adds_queue_on_the_log_lock_and_every_row_lands(tmp_path):
    """The writers are all blocked on the lock at once, so they race for it when it is released."""
    data = copy_data(tmp_path / "data")
    log = data / "evidence" / f"{EXAMPLE}.csv"
    before = log.read_bytes()
    script = (
        "import sys\nfrom forecast.inputs.append import append_evidence\n"
        "for k in range(3):\n"
        f"    append_evidence(sys.argv[1], {EXAMPLE!r}, date='2025-02-21', indicator='no-settlement-yet',"
        " observed='yes', source=sys.argv[2] + str(k), reliability='C', credibility='3')\n"
    )
    with log_lock(log).acquire(timeout=5):
        writers = [subprocess.Popen([sys.executable, "-c", script, str(data), f"w{w}-"]) for w in range(4)]
        time.sleep(2)  # long enough for every writer to start and block on the lock
        assert [w.poll() for w in writers] == [None] * 4
        assert log.read_bytes() == before
    assert [w.wait(120) for w in writers] == [0] * 4
    after = log.read_bytes()
    assert after.startswith(before)
    rows = after[len(before) :].decode("utf-8").splitlines()
    assert sorted(r.split(",")[4] for r in rows) == sorted(f"w{w}-{k}" for w in range(4) for k in range(3))
    assert len({r.split(",")[0] for r in rows}) == 12


def test_evidence_add_gives_up_clearly_when_the_log_stays_locked(tmp_path):
    data = copy_data(tmp_path / "data")
    log = data / "evidence" / f"{EXAMPLE}.csv"
    before = log.read_bytes()
    with log_lock(log).acquire(timeout=5), pytest.raises(EvidenceWriteError, match="another writer has held"):
        append_evidence(data, EXAMPLE, date="2025-02-21", indicator="no-settlement-yet", observed="yes",
                        source="s", reliability="C", credibility="3", lock_timeout=0.2)  # fmt: skip
    assert log.read_bytes() == before


# --------------------------------------------------------------------------- dying kernels


@pytest.mark.slow
def test_a_kernel_that_dies_fails_its_question_with_one_line_and_the_others_still_run(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    clone_question(data, "dies")
    notebook = notebook_with_extra_cell(
        tmp_path / "nb.ipynb", 'if question == "dies":\n    import os\n    os._exit(1)'
    )
    result = forecast_cli("run", "--data", data, "--out", out, "--question", EXAMPLE, "--question", "dies",
                          "--as-of", AS_OF, "--notebook", notebook, "--jobs", "2", "--timeout", "120")  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("forecast: dies: ") and "died" in line.lower(), line
    assert (out / EXAMPLE / AS_OF / "report.html").is_file()
    assert (out / "dies" / "failed" / AS_OF / "report.ipynb").is_file()
    assert not (out / "dies" / AS_OF).exists()


def test_a_long_log_found_bad_after_the_worker_started_stops_it_and_its_kernel_and_publishes_nothing(
    tmp_path, last_good
):
    """A log long enough to be checked while the worker starts: the bad row at its end stops the job."""
    from forecast.errors import InvalidInputError
    from forecast.inputs.evidence import read_evidence_rows
    from forecast.inputs.questions import load_question
    from forecast.inputs.validate import evidence_path, question_path

    data, out, before, _ = last_good
    log = evidence_path(data, EXAMPLE)
    with log.open("a", encoding="utf-8", newline="") as handle:
        for k in range(30_000):  # well over a mebibyte of good rows, then one bad date
            handle.write(f"x{k:05d},2025-01-{1 + k % 28:02d},no-settlement-yet,yes,Wire,C,3,,Report {k}.\r\n")
        handle.write("bad,2025-02-31,no-settlement-yet,yes,Wire,C,3,,A date that does not exist.\r\n")
    assert log.stat().st_size > 1 << 20
    with pytest.raises(InvalidInputError) as raised:  # the reason the check before the worker would give
        read_evidence_rows(log, load_question(question_path(data, EXAMPLE)), None)
    expected = str(raised.value).splitlines()[0]
    stderr = tmp_path / "run.log"
    with stderr.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "forecast", "run", "--data", str(data), "--out", str(out),
             "--question", EXAMPLE, "--as-of", AS_OF],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=handle, start_new_session=True,
        )  # fmt: skip
    seen: set[psutil.Process] = set()
    while process.poll() is None:  # every worker and kernel the run starts, while they live
        seen |= descendants(process)
        time.sleep(0.01)
    assert process.returncode == 1
    assert stderr.read_text(encoding="utf-8").splitlines() == [f"forecast: {EXAMPLE}: {expected}"]
    assert seen, "the run started no worker: the log was checked before it"
    assert_all_exit(seen, within=10)
    manifests = sorted((out / "runs").glob("*.json"))
    (record,) = read_json(manifests[-1])["questions"]
    assert (record["status"], record["cause"], record["duration_s"]) == ("failed", "input", 0.0)
    assert record["reason"] == expected
    after = published(out)
    assert {k: v for k, v in after.items() if k in before and k != "index.html"} == {
        k: v for k, v in before.items() if k != "index.html"
    }
    assert not [k for k in after if k not in before and not k.startswith("runs/")]  # no report, no failed/
    assert not (out / EXAMPLE / "failed").exists()
    assert not list(work_dir(out).glob(f"{EXAMPLE}.*"))


# --------------------------------------------------------------------------- unwritable and full disks


def test_an_out_that_cannot_be_created_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = forecast_cli("run", "--data", copy_data(tmp_path / "data"), "--out", blocker / "out")
    assert result.returncode == 1
    assert result.stderr == f"forecast: cannot create the output folder {blocker / 'out'}: Not a directory\n"
    assert blocker.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("fails", ["write", "fsync", "replace"])
def test_atomic_write_keeps_the_old_file_when_the_disk_fills(tmp_path, monkeypatch, fails):
    path = tmp_path / "index.html"
    path.write_bytes(b"the last good index")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if fails == "write":
        real_fdopen = os.fdopen

        def fdopen(fd, *args, **kwargs):
            handle = real_fdopen(fd, *args, **kwargs)
            handle.write(b"half a page")  # some bytes land before the disk fills
            handle.flush()
            return _FullDisk(handle)

        monkeypatch.setattr(os, "fdopen", fdopen)
    else:
        monkeypatch.setattr(os, fails, full)
    with pytest.raises(OSError) as caught:
        atomic_write_bytes(path, b"<html>the new index</html>" * 1000)
    monkeypatch.undo()
    assert caught.value.errno == errno.ENOSPC
    assert path.read_bytes() == b"the last good index"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html"]  # no temporary file left


class _FullDisk:
    """A file whose next write fails as on a full disk."""

    def __init__(self, handle) -> None:
        self.handle = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self) -> None:
        self.handle.flush()

    def fileno(self) -> int:
        return self.handle.fileno()


@pytest.fixture
def mount(tmp_path):
    """``mount(*args, target)``: a real mount, undone after the test; skips where mounting is not allowed."""
    mounted: list[Path] = []

    def do(*args: str, target: Path) -> Path:
        target.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount in this sandbox (needs root and CAP_SYS_ADMIN): {done.stderr.strip()}")
        mounted.append(target)
        return target

    yield do
    for target in reversed(mounted):
        subprocess.run(["umount", "-l", str(target)], check=False)


def test_a_full_tmpfs_refuses_an_atomic_write_and_keeps_the_old_file(tmp_path, mount):
    disk = mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", target=tmp_path / "disk")
    path = disk / "index.html"
    path.write_bytes(b"the last good index")
    with pytest.raises(OSError) as caught:
        atomic_write_bytes(path, b"x" * (1 << 20))
    assert caught.value.errno == errno.ENOSPC
    assert path.read_bytes() == b"the last good index"
    assert sorted(p.name for p in disk.iterdir()) == ["index.html"]


def test_a_read_only_out_is_a_clear_error_and_keeps_the_reports(tmp_path, good_out, mount):
    shutil.copytree(good_out, tmp_path / "out")
    before = published(tmp_path / "out")
    out = mount("--bind", str(tmp_path / "out"), target=tmp_path / "read-only")
    subprocess.run(["mount", "-o", "remount,ro,bind", str(out)], check=True)
    result = forecast_cli("run", "--data", copy_data(tmp_path / "data"), "--out", out, "--question", EXAMPLE)
    assert result.returncode == 1
    assert result.stderr == f"forecast: the output folder {out} is not writable\n"
    assert published(tmp_path / "out") == before


def _size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@pytest.mark.slow
def test_a_disk_that_fills_mid_run_is_a_clear_error_and_keeps_the_earlier_report(tmp_path, good_out, mount):
    """Room for the report already there, but not for a second one."""
    room = _size_of(good_out) + _size_of(good_out / EXAMPLE / AS_OF) // 4
    disk = mount("-t", "tmpfs", "-o", f"size={room // 1024}k", "tmpfs", target=tmp_path / "disk")
    out = disk / "out"
    shutil.copytree(good_out, out)
    before = published(out)
    data = copy_data(tmp_path / "data")
    result = forecast_cli("run", "--data", data, "--out", out, "--question", EXAMPLE, "--as-of", EARLIER)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert re.fullmatch(r"(forecast: [^\n]+\n)+", result.stderr), result.stderr  # one line per problem
    assert {k: v for k, v in published(out).items() if k in before} == before
    assert not (out / EXAMPLE / EARLIER / "report.html").exists()
    # Once there is room again, the next run clears the scratch space and succeeds.
    subprocess.run(["mount", "-o", "remount,size=4m", str(disk)], check=True)
    assert_next_run_succeeds(data, out)
