"""``forecast run``: execute each question's notebook, render it, and publish the index.

A run holds a lock on the output folder for its whole length, so two runs never
interleave. Each question runs in a worker process (:mod:`forecast.worker`)
inside a scratch folder; only a finished report is moved into
``OUT/<question>/<as_of>/``, by atomic renames, so a failed or killed run never
leaves a half-written report or replaces the last good one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TextIO

from .errors import InvalidInputError, LockTimeoutError, RunError
from .judgments import judgment_paths, load_team_inputs
from .load import QUESTION_ID, evidence_path, load_by_id, question_ids, question_path
from .model import Question
from .outside import forecasts_path
from .render import Failure, write_index
from .store import (
    LOCK_NAME,
    SCORECARD_DIR,
    SUMMARY,
    atomic_write_text,
    check_out_dir,
    claim_out_dir,
    failed_dir,
    read_summary,
    recover,
    replace_dir,
    report_dir,
    work_dir,
)
from .worker import Worker, preload

__all__ = ["QuestionOutcome", "RunOptions", "RunResult", "default_notebook", "run"]

SCORECARD = SCORECARD_DIR
_PACKAGES = (
    "forecast",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "numpy",
    "pandas",
    "matplotlib",
    "pydantic_core",
    "PyYAML",
    "Jinja2",
)


def default_notebook() -> Path:
    """The report notebook shipped in the repository's ``notebooks/`` folder."""
    return Path(__file__).resolve().parent.parent / "notebooks" / "update.ipynb"


@dataclass
class RunOptions:
    """What ``forecast run`` was asked to do."""

    data_dir: Path = Path("data")
    out_dir: Path = Path("reports")
    questions: list[str] | None = None
    as_of: date = field(default_factory=date.today)
    jobs: int = 1
    timeout: float = 600.0
    lock_timeout: float = 1800.0
    alert_threshold: float | None = None
    notebook: Path = field(default_factory=default_notebook)
    progress: bool = False
    allow_future: bool = False


@dataclass
class QuestionOutcome:
    """How one question fared in a run."""

    question: str
    status: str  # "ok" or "failed"
    duration_s: float = 0.0
    report: str | None = None
    reason: str | None = None
    alerts: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    """The outcome of a run: per question, the manifest written, the index page."""

    outcomes: list[QuestionOutcome]
    manifest: Path
    index: Path

    @property
    def failed(self) -> list[QuestionOutcome]:
        return [o for o in self.outcomes if o.status != "ok"]

    @property
    def alerts(self) -> list[QuestionOutcome]:
        return [o for o in self.outcomes if o.alerts]


def _sha256(path: Path) -> str | None:
    if not path.is_file():  # a FIFO or a device would hang or exhaust memory; the loader refused it
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


class _Progress:
    def __init__(self, enabled: bool, total: int, stream: TextIO) -> None:
        self.enabled, self.total, self.stream, self.done = enabled, total, stream, 0

    def say(self, text: str) -> None:
        if self.enabled:
            print(text, file=self.stream, flush=True)

    def finished(self, outcome: QuestionOutcome) -> None:
        self.done += 1
        detail = "ok" if outcome.status == "ok" else f"FAILED: {outcome.reason}"
        self.say(f"[{self.done}/{self.total}] {outcome.question}: {detail} ({outcome.duration_s:.1f} s)")


@dataclass
class _Job:
    """One notebook to execute and render: a question's report, or the scorecard."""

    question: str
    title: str
    scratch: Path
    notebook: Path
    parameters: dict
    final: Path
    failed: Path
    summary_name: str = SUMMARY
    process: Worker | None = None
    started: float = 0.0


def _question_job(
    options: RunOptions, out_dir: Path, scratch_root: Path, question_id: str, title: str
) -> _Job:
    return _Job(
        question=question_id,
        title=f"{title} — as of {options.as_of.isoformat()}",
        scratch=scratch_root / question_id,
        notebook=Path(options.notebook),
        parameters={
            "question": question_id,
            "as_of": options.as_of.isoformat(),
            "data_dir": str(options.data_dir.resolve()),
            "reports_dir": str(out_dir.resolve()),
            "summary_path": SUMMARY,
            "alert_threshold": options.alert_threshold,
        },
        final=report_dir(out_dir, question_id, options.as_of),
        failed=failed_dir(out_dir, question_id, options.as_of),
    )


def _scorecard_job(options: RunOptions, out_dir: Path, scratch_root: Path) -> _Job:
    # "_scorecard" cannot clash with a question: question ids never start with "_".
    return _Job(
        question=SCORECARD,
        title="Scorecard of resolved questions",
        scratch=scratch_root / SCORECARD,
        notebook=Path(options.notebook).with_name("scorecard.ipynb"),
        parameters={
            "data_dir": str(options.data_dir.resolve()),
            "reports_dir": str(out_dir.resolve()),
            "summary_path": "scorecard.json",
        },
        final=out_dir / SCORECARD,
        failed=out_dir / SCORECARD / "failed",
        summary_name="scorecard.json",
    )


def _preflight(options: RunOptions, question_id: str) -> tuple[str | None, Question | None]:
    """Check a question's inputs in the parent; return (reason it cannot run, or the question)."""
    if not QUESTION_ID.match(question_id):
        return f"{question_id!r} is not a question id (lower-case letters, digits and '-')", None
    path = question_path(options.data_dir, question_id)
    if not path.is_file():
        return f"no question file {path}", None
    try:
        question, _ = load_by_id(options.data_dir, question_id)
        load_team_inputs(options.data_dir, question)
    except InvalidInputError as exc:
        return str(exc), None
    return None, question


def _start(job: _Job, options: RunOptions, out_dir: Path) -> None:
    job.scratch.mkdir(parents=True)
    depth = len(job.final.relative_to(out_dir).parts)
    spec = {
        "notebook": str(job.notebook),
        "scratch": str(job.scratch),
        "title": job.title,
        "index_href": "../" * depth + "index.html",
        "progress": options.progress and options.jobs == 1,
        "numbers": job.summary_name,
        "parameters": job.parameters,
    }
    job.started = time.monotonic()
    job.process = Worker(spec, quiet=not options.progress)


def _kill(process: Worker) -> None:
    """Stop a worker and its kernel: SIGTERM lets papermill shut the kernel down, SIGKILL follows."""
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _finish(job: _Job, options: RunOptions, out_dir: Path, reason: str | None) -> QuestionOutcome:
    duration = time.monotonic() - job.started if job.started else 0.0
    executed = job.scratch / "report.ipynb"
    if reason is None:
        error = read_summary(job.scratch / "error.json")
        if job.process is not None and job.process.returncode != 0:
            reason = (error or {}).get("reason") or f"worker exited with status {job.process.returncode}"
        elif (
            not (job.scratch / "report.html").is_file()
            or read_summary(job.scratch / job.summary_name) is None
        ):
            reason = f"the notebook did not write report.html and {job.summary_name}"
    if reason is None:
        final = job.final
        for scratch_file in ("error.json", "kernel.log"):
            (job.scratch / scratch_file).unlink(missing_ok=True)
        replace_dir(job.scratch, final)
        summary = read_summary(final / job.summary_name) or {}
        return QuestionOutcome(
            job.question,
            "ok",
            round(duration, 3),
            str(final / "report.html"),
            None,
            list(summary.get("alerts") or []),
        )
    if executed.is_file():
        (job.scratch / "error.txt").write_text(reason + "\n", encoding="utf-8")
        for name in ("report.html", job.summary_name):
            (job.scratch / name).unlink(missing_ok=True)
        replace_dir(job.scratch, job.failed)
    return QuestionOutcome(job.question, "failed", round(duration, 3), None, reason.splitlines()[0])


def _kernel_environment() -> None:
    """Make workers' kernels this Python, with forecast importable, whatever else is installed."""
    # This environment's kernel spec is found first; its "python" then means sys.executable.
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(Path(sys.prefix) / "share" / "jupyter"), *filter(None, [os.environ.get("JUPYTER_PATH")])]
    )
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def _execute(
    jobs: list[_Job], options: RunOptions, out_dir: Path, progress: _Progress
) -> list[QuestionOutcome]:
    pending, running, outcomes = list(jobs), [], {}
    if jobs:
        _kernel_environment()
        preload()
    try:
        while pending or running:
            while pending and len(running) < max(1, options.jobs):
                job = pending.pop(0)
                progress.say(f"running {job.question} as of {options.as_of} ...")
                _start(job, options, out_dir)
                running.append(job)
            time.sleep(0.05)
            for job in list(running):
                if job.process.poll() is not None:
                    running.remove(job)
                elif time.monotonic() - job.started > options.timeout:
                    _kill(job.process)
                    running.remove(job)
                    outcomes[job.question] = _finish(
                        job, options, out_dir, f"timed out after {options.timeout:g} s and was stopped"
                    )
                    progress.finished(outcomes[job.question])
                    continue
                else:
                    continue
                outcomes[job.question] = _finish(job, options, out_dir, None)
                progress.finished(outcomes[job.question])
    finally:
        for job in running:  # interrupted: take the workers and their kernels down with us
            _kill(job.process)
    return [outcomes[j.question] for j in jobs]


def run(options: RunOptions, *, stream: TextIO = sys.stderr) -> RunResult:
    """Run every selected question and publish the reports.

    Parameters
    ----------
    options : RunOptions
    stream : text stream
        Where progress goes (when ``options.progress``).

    Returns
    -------
    RunResult

    Raises
    ------
    LockTimeoutError
        Another run kept the output folder locked for longer than ``options.lock_timeout``.
    RunError
        The output folder cannot be written, or holds files that forecast did not
        write, or the as-of date is after today without ``options.allow_future``.
    """
    from filelock import FileLock, Timeout

    started = datetime.now(UTC)
    if options.as_of > date.today() and not options.allow_future:
        raise RunError(f"as-of date {options.as_of} is after today; pass --allow-future to forecast ahead")
    if not options.questions and not question_ids(options.data_dir):
        # A scheduler pointed at the wrong folder must hear about it, not get an empty index.
        raise RunError(
            f"no question files in {Path(options.data_dir) / 'questions'}; expected <id>.yaml files there"
        )
    out_dir = Path(options.out_dir)
    check_out_dir(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(f"cannot create the output folder {out_dir}: {exc.strerror or exc}") from None
    if not os.access(out_dir, os.W_OK):
        raise RunError(f"the output folder {out_dir} is not writable")
    lock = FileLock(str(out_dir / LOCK_NAME))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(
            f"another forecast run is writing to {out_dir}; waiting for it to finish ...",
            file=stream,
            flush=True,
        )
        try:
            lock.acquire(timeout=options.lock_timeout)
        except Timeout:
            raise LockTimeoutError(
                f"another forecast run has held {out_dir / LOCK_NAME} for over {options.lock_timeout:g} s; "
                "try again when it has finished"
            ) from None
    try:
        return _run_locked(options, out_dir, started, stream)
    except OSError as exc:
        raise RunError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
    finally:
        lock.release()


def _run_locked(options: RunOptions, out_dir: Path, started: datetime, stream: TextIO) -> RunResult:
    claim_out_dir(out_dir)
    recover(out_dir)
    selected = options.questions or question_ids(options.data_dir)
    progress = _Progress(options.progress, len(selected), stream)
    scratch_root = work_dir(out_dir) / uuid.uuid4().hex
    outcomes: dict[str, QuestionOutcome] = {}
    jobs = []
    resolved = False
    for qid in dict.fromkeys(selected):
        reason, question = _preflight(options, qid)
        if question is None:
            outcomes[qid] = QuestionOutcome(qid, "failed", 0.0, None, reason)
            progress.finished(outcomes[qid])
        else:
            jobs.append(_question_job(options, out_dir, scratch_root, qid, question.title))
            resolved = resolved or question.resolution is not None
    if resolved and Path(options.notebook).with_name("scorecard.ipynb").is_file():
        jobs.append(_scorecard_job(options, out_dir, scratch_root))
        progress.total += 1
    for outcome in _execute(jobs, options, out_dir, progress):
        outcomes[outcome.question] = outcome
    ordered = [outcomes[q] for q in dict.fromkeys(selected)]
    if SCORECARD in outcomes:
        ordered.append(outcomes[SCORECARD])

    finished = datetime.now(UTC)
    failures = [
        Failure(
            o.question, o.reason or "", options.as_of.isoformat(), QUESTION_ID.match(o.question) is not None
        )
        for o in ordered
        if o.status != "ok"
    ]
    index = write_index(out_dir, failures)  # no clock time: the run manifest keeps that
    stamp = started.strftime("%Y%m%dT%H%M%S.%fZ")
    manifest = out_dir / "runs" / f"{stamp}.json"
    inputs = {}
    for qid in dict.fromkeys(selected):
        if QUESTION_ID.match(qid):
            team = [*judgment_paths(options.data_dir, qid), forecasts_path(options.data_dir, qid)]
            for path in (question_path(options.data_dir, qid), evidence_path(options.data_dir, qid), *team):
                if path.exists():
                    inputs[str(path)] = _sha256(path)
    inputs[str(options.notebook)] = _sha256(Path(options.notebook))
    record = {
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "parameters": {
            "data_dir": str(options.data_dir),
            "out_dir": str(options.out_dir),
            "questions": list(selected),
            "as_of": options.as_of.isoformat(),
            "jobs": options.jobs,
            "timeout_s": options.timeout,
            "alert_threshold": options.alert_threshold,
            "notebook": str(options.notebook),
        },
        "inputs": inputs,
        "versions": _versions(),
        "questions": [asdict(o) for o in ordered],
        "alerts": [{"question": o.question, "scenarios": o.alerts} for o in ordered if o.alerts],
        "errors": [{"question": o.question, "reason": o.reason} for o in ordered if o.status != "ok"],
    }
    atomic_write_text(manifest, json.dumps(record, indent=2) + "\n")
    shutil.rmtree(work_dir(out_dir), ignore_errors=True)
    return RunResult(ordered, manifest, index)
