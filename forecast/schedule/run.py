"""``forecast run``: execute each question's notebook, render it, and publish the index.

A run holds a lock on the output folder for its whole length, so two runs never
interleave. Each question is one job (:func:`forecast.schedule.job.run_question`): its
notebook runs in a worker process inside a scratch folder, and only a finished
report is moved into ``OUT/<question>/<as_of>/``, by atomic renames, so a failed
or killed run never leaves a half-written report or replaces the last good one.
``--jobs N`` runs N jobs at once from N threads. The index and the manifest are
built from what the jobs recorded in OUT (:func:`forecast.schedule.job.publish_run`).
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from ..errors import LockTimeoutError, RunError, printable_name
from ..inputs.validate import question_ids
from ..store import (
    INDEX,
    LOCK_NAME,
    LOCKS,
    RUNS,
    SCORECARD_DIR,
    LinkInOut,
    check_out_dir,
    claim_out_dir,
    recover,
    refuse_links,
)
from .job import QuestionOutcome, default_notebook, is_resolved, publish_run, run_question, run_scorecard
from .worker import start_server

__all__ = ["QuestionOutcome", "RunOptions", "RunResult", "default_notebook", "run"]

SCORECARD = SCORECARD_DIR


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
class RunResult:
    """The outcome of a run: per question, the manifest written, the index page."""

    outcomes: list[QuestionOutcome]
    manifest: Path
    index: Path
    #: Each question catalog repaired, as ``"<question>: <what>"`` (see :attr:`Published.catalog`).
    catalog: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[QuestionOutcome]:
        return [o for o in self.outcomes if o.status != "ok"]

    @property
    def alerts(self) -> list[QuestionOutcome]:
        return [o for o in self.outcomes if o.alerts]


class _Progress:
    def __init__(self, enabled: bool, total: int, stream: TextIO) -> None:
        self.enabled, self.total, self.stream, self.done = enabled, total, stream, 0
        self._lock = threading.Lock()

    def say(self, text: str) -> None:
        if self.enabled:
            with self._lock:  # one line at a time from the job threads
                print(text, file=self.stream, flush=True)

    def finished(self, outcome: QuestionOutcome) -> None:
        self.done += 1
        detail = "ok" if outcome.status == "ok" else f"FAILED: {outcome.reason}"
        if outcome.ok and outcome.unchanged:
            detail = f"ok, the same numbers as revision {outcome.revision}: nothing new published"
        elif outcome.ok and (outcome.revision or 1) > 1:
            detail = f"ok, revision {outcome.revision} published"
        self.say(f"[{self.done}/{self.total}] {outcome.question}: {detail} ({outcome.duration_s:.1f} s)")


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
    # Workers are forked by a fork server, never by this process, whose job threads would be copied
    # mid-step; it starts now, while this process takes the lock and looks at OUT. With several
    # questions it imports papermill and nbconvert once for every worker; a single question's worker
    # imports them itself, while its kernel starts.
    start_server(preload_modules=len(set(options.questions or question_ids(options.data_dir))) > 1)
    try:
        # What the run itself writes in OUT (filelock opens a lock with O_TRUNC): a link there is left
        # alone, before anything runs. A question's own files are each job's to check.
        for name in (LOCK_NAME, LOCKS, RUNS, INDEX):
            refuse_links(out_dir, out_dir / name)
    except LinkInOut as exc:
        raise RunError(f"{exc}: forecast writes its own file there; remove the link") from None
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


def _run_all(
    options: RunOptions, selected: list[str], run_name: str, progress: _Progress, stop: threading.Event
) -> None:
    """Run each selected question's job, ``options.jobs`` at a time, recording outcomes in OUT."""
    out_dir = Path(options.out_dir)
    one_at_a_time = max(1, options.jobs) == 1

    def job(qid: str) -> QuestionOutcome:
        return run_question(
            qid, options.data_dir, out_dir, options.as_of,
            timeout=options.timeout, alert_threshold=options.alert_threshold, notebook=options.notebook,
            run=run_name, lock_timeout=options.lock_timeout, progress=options.progress and one_at_a_time,
            stop=stop, say=progress.say,
        )  # fmt: skip

    todo = queue.SimpleQueue()
    for qid in selected:
        todo.put(qid)
    finished: queue.SimpleQueue = queue.SimpleQueue()

    def worker() -> None:
        # Plain threads, not a concurrent.futures pool: a process forked from a pool's thread runs
        # the pool's exit hook, which fails in the child.
        while not stop.is_set():
            try:
                qid = todo.get_nowait()
            except queue.Empty:
                return
            try:
                finished.put(job(qid))
            except BaseException as exc:  # OUT cannot be written: the run reports it
                finished.put(exc)
                return

    threads = [
        threading.Thread(target=worker, name=f"forecast-job-{k}", daemon=True)
        for k in range(min(max(1, options.jobs), len(selected)))
    ]
    for thread in threads:
        thread.start()
    try:
        for _ in selected:
            while True:
                try:  # with a timeout, so that Ctrl-C is seen at once
                    result = finished.get(timeout=0.5)
                    break
                except queue.Empty:
                    continue
            if isinstance(result, BaseException):
                raise result
            progress.finished(result)
    except BaseException:  # interrupted, or OUT cannot be written: stop the other jobs and kernels too
        stop.set()
        raise
    finally:
        for thread in threads:
            thread.join()


def _run_locked(options: RunOptions, out_dir: Path, started: datetime, stream: TextIO) -> RunResult:
    claim_out_dir(out_dir)
    recover(out_dir)
    selected = list(dict.fromkeys(options.questions or question_ids(options.data_dir)))
    progress = _Progress(options.progress, len(selected), stream)
    run_name = started.strftime("%Y%m%dT%H%M%S.%fZ")
    stop = threading.Event()
    _run_all(options, selected, run_name, progress, stop)
    scorecard_notebook = Path(options.notebook).with_name("scorecard.ipynb")
    scorecard = scorecard_notebook.is_file() and any(is_resolved(options.data_dir, q) for q in selected)
    if scorecard:
        # After the questions: the scorecard links each question's latest report in OUT.
        progress.total += 1
        progress.say("running the scorecard ...")
        progress.finished(
            run_scorecard(
                options.data_dir, out_dir, notebook=scorecard_notebook, timeout=options.timeout,
                run=run_name, lock_timeout=options.lock_timeout, stop=stop,
            )
        )  # fmt: skip
    published = publish_run(
        out_dir,
        run_name,
        data_dir=options.data_dir,
        questions=selected,
        as_of=options.as_of,
        notebook=options.notebook,
        scorecard=scorecard,
        started=started,
        parameters={
            "data_dir": str(options.data_dir),
            "out_dir": str(options.out_dir),
            "questions": [printable_name(q) for q in selected],
            "as_of": options.as_of.isoformat(),
            "jobs": options.jobs,
            "timeout_s": options.timeout,
            "alert_threshold": options.alert_threshold,
            "notebook": str(options.notebook),
        },
    )
    recover(out_dir)  # the scratch space of jobs that published nothing
    return RunResult(published.outcomes, published.manifest, published.index, published.catalog)
