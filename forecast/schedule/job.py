"""One question, start to finish: the job that every scheduler runs.

:func:`run_question` checks a question's inputs, executes its notebook in a
worker process with a kernel of its own, renders the report and publishes it
into ``OUT/<question>/<as_of>/`` by atomic renames, all under that question's
lock in OUT. It returns a :class:`QuestionOutcome` and, given a run name,
records it in ``OUT/runs/<run>/``. :func:`publish_run` then builds the index
and the run's manifest from what is in OUT: the reports on disk and the
recorded outcomes, not the memory of the process that ran them. ``forecast
run`` calls these functions from its worker threads; the Airflow DAG
(:mod:`forecast.airflow`) calls them from its tasks, which may run at the same
time on different machines that share OUT.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from ..analysis.points import at_least
from ..catalog import CATALOG, update_catalog
from ..errors import ForecastError, InvalidInputError, display_path, not_a_name, printable_name
from ..inbox.store import MAX_INBOX_BYTES, InboxError, inbox_path
from ..inputs.calibration import calibration_path, load_calibration
from ..inputs.evidence import MAX_EVIDENCE_BYTES, read_evidence_rows
from ..inputs.judgments import judgment_paths, load_team_inputs
from ..inputs.outside import forecasts_path
from ..inputs.questions import QUESTION_ID, load_question
from ..inputs.safe_yaml import MAX_FILE_BYTES, is_missing
from ..inputs.validate import evidence_path, question_path
from ..model import Question, as_of_refused
from ..publish.history import HISTORY_PAGE
from ..publish.render import Failure, refresh_catalogs, write_index
from ..publish.revision import file_sha256, read_inputs, record_seen, revised_line, same_numbers, utc_now
from ..publish.summary import SCHEMA_VERSION, Summary, SummaryError, check_summary, read_summary
from ..store import (
    PUBLISHED_STAMP,
    SCORECARD_DIR,
    SEEN_LEDGER,
    SUMMARY,
    LinkInOut,
    atomic_write_text,
    check_out_dir,
    claim_out_dir,
    failed_dir,
    index_lock,
    job_scratch,
    outcome_dir,
    question_lock,
    read_json,
    recover_job,
    refuse_links,
    remove_tree,
    replace_dir,
    report_dir,
    revision_dir,
    work_dir,
)
from .worker import KERNEL_RECORD, REPORT_MODULES, Worker, reap_kernel

__all__ = [
    "Published",
    "QuestionOutcome",
    "alert_line",
    "default_notebook",
    "input_files",
    "is_resolved",
    "publish_run",
    "run_question",
    "run_scorecard",
]

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
_INTERRUPTED = "interrupted before it finished; the last good report is untouched"


def default_notebook(name: str = "update.ipynb") -> Path:
    """A notebook the package ships: ``update.ipynb`` unless named.

    The repository's ``notebooks/`` folder is installed as the package
    ``forecast.notebooks`` (see ``pyproject.toml``), so the notebooks are found
    the same way in a source checkout, an editable install and a wheel.
    """
    # A wheel is unpacked onto a file system, so the resource is a file with a path.
    return Path(str(resources.files("forecast.notebooks") / name))


@dataclass
class QuestionOutcome:
    """How one question (or the scorecard, ``"_scorecard"``) fared.

    ``status`` is ``"ok"`` or ``"failed"``; ``cause`` says why a job failed:
    ``"input"`` (its question file or log is invalid: running it again cannot
    help), ``"notebook"`` (the notebook raised, or its kernel died),
    ``"timeout"``, ``"busy"`` (another job held the question's lock too long),
    ``"output"`` (a symbolic link in OUT where the job writes: it is left alone, and
    nothing is published) or ``"interrupted"``.
    """

    question: str
    status: str
    duration_s: float = 0.0
    report: str | None = None
    reason: str | None = None
    alerts: list[str] = field(default_factory=list)
    cause: str | None = None
    #: The alert said in full, how far and since when (see :func:`alert_line`); ``None`` without an alert.
    alert_line: str | None = None
    #: The SHA-256 of each input the job read, by its path in the data folder: the bytes of the
    #: snapshot its checks and its notebook read (see :class:`_Snapshot`); ``None`` if none was taken.
    inputs: dict[str, str] | None = None
    #: What the question's catalog (``catalog.jsonl``) did not match and was repaired, when it was
    #: brought up to date as the report was published (see :mod:`forecast.catalog`).
    catalog: list[str] = field(default_factory=list)
    #: Which publication of the date's report is in place after the job (1 for the first; docs/record.md).
    revision: int | None = None
    #: The rerun made the numbers already published for the date: nothing new was published.
    unchanged: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class Published:
    """What :func:`publish_run` wrote: the run's outcomes, its manifest and the index."""

    outcomes: list[QuestionOutcome]
    manifest: Path
    index: Path
    #: Each catalog repaired, as ``"<question>: <what>"``: by its job, or by the index (see
    #: :mod:`forecast.catalog`); the manifest's ``catalog`` lists them too.
    catalog: list[str] = field(default_factory=list)


@dataclass
class _Job:
    """One notebook to execute and render: a question's report, or the scorecard."""

    key: str
    title: str
    notebook: Path
    parameters: dict
    final: Path
    failed: Path
    summary_name: str = SUMMARY
    #: Modules the kernel imports as soon as it starts (see :class:`forecast.schedule.worker.Worker`).
    warm: tuple[str, ...] = REPORT_MODULES
    #: A check of the inputs to make while the worker starts: the reason they are invalid, or ``None``.
    check: Callable[[], str | None] | None = None
    #: The question's inputs, copied into the scratch folder before the notebook runs (question jobs).
    snapshot: _Snapshot | None = None


class _InvalidInput(ForecastError):
    """The inputs failed the check made while the worker started; the message is the reason."""


#: The folder of a job's scratch space that holds the snapshot of its inputs; the notebook's ``data_dir``.
SNAPSHOT = "inputs"


def input_files(data_dir: Path, question_id: str) -> list[tuple[Path, int]]:
    """Every input a question's report reads, with its size limit: the question file, its evidence
    log, its judgment files, its outside forecasts and the folder's ``calibration.yaml``."""
    team = [(p, MAX_FILE_BYTES) for p in judgment_paths(data_dir, question_id)]
    return [
        (question_path(data_dir, question_id), MAX_FILE_BYTES),
        (evidence_path(data_dir, question_id), MAX_EVIDENCE_BYTES),
        *team,
        (forecasts_path(data_dir, question_id), MAX_FILE_BYTES),
        (calibration_path(data_dir), MAX_FILE_BYTES),
    ]


class _Snapshot:
    """A question's inputs, read once: copied into the job's scratch folder, hashed, checked there.

    The parent copies the question file, the evidence log, the judgment files, the
    outside forecasts and ``calibration.yaml`` (if present) into ``SCRATCH/inputs/``
    and hashes the copies; the checks and the notebook read the copies, so the
    manifest's hashes name exactly the bytes the report was made from, however the
    files change meanwhile. A successful job's copies are dropped before it is
    published; a failed job keeps them beside its executed notebook.
    """

    def __init__(self, data_dir: Path, question_id: str) -> None:
        self.data_dir, self.question_id = data_dir, question_id
        self.folder: Path | None = None
        self.question: Question | None = None
        #: SHA-256 of each copied file, by its original path (as the manifest records it).
        self.inputs: dict[str, str] = {}

    def _files(self) -> list[tuple[Path, int]]:
        return input_files(self.data_dir, self.question_id)

    def take(self, folder: Path) -> str | None:
        """Copy and hash the inputs into ``folder``, load the question from the copy: the reason it cannot run."""
        self.folder = folder
        for path, limit in self._files():
            raw = _read_regular(path, limit)
            if raw is None:
                if path.exists() or path.is_symlink():  # a FIFO, a folder: the readers say so, by name
                    return self._refused_as_it_is(path)
                continue
            copy = folder / path.relative_to(self.data_dir)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(raw)
            self.inputs[printable_name(str(path))] = hashlib.sha256(raw).hexdigest()
        # The news inbox, for the count of unreviewed items the report states: it changes no number, so
        # it is not an input of the manifest, and one that cannot be read is left out (it counts none).
        try:
            inbox = inbox_path(self.data_dir, self.question_id)
        except InboxError:  # not a question id: the question file's own check says so below
            inbox = None
        raw = None if inbox is None else _read_regular(inbox, MAX_INBOX_BYTES)
        if raw is not None:
            copy = folder / inbox.relative_to(self.data_dir)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(raw)
        try:
            self.question = load_question(question_path(folder, self.question_id))
        except InvalidInputError as exc:
            return self.said(str(exc))
        except _UNFORESEEN as exc:
            return self.said(_unforeseen(exc))
        return None

    def _refused_as_it_is(self, path: Path) -> str:
        """Why the job cannot run on an input that is not a regular file, as the readers word it."""
        try:
            question = load_question(question_path(self.data_dir, self.question_id))
            reason = _check_inputs(self.data_dir, question, self.question_id)
        except InvalidInputError as exc:
            reason = str(exc)
        return reason or f"{display_path(path)}: not a regular file; expected a file"

    def check(self) -> str | None:
        """Check the copied evidence log and team inputs: the reason they are invalid, or ``None``."""
        assert self.folder is not None and self.question is not None
        reason = _check_inputs(self.folder, self.question, self.question_id)
        return None if reason is None else self.said(reason)

    def long_log(self) -> bool:
        """Is the copied log long enough to be checked while the worker starts?"""
        assert self.folder is not None
        copy = evidence_path(self.folder, self.question_id)
        return copy.is_file() and copy.stat().st_size >= CHECK_WHILE_STARTING

    def said(self, reason: str) -> str:
        """``reason`` naming the user's files, not their copies."""
        assert self.folder is not None
        shown = display_path(self.data_dir) + os.sep
        for copy in (display_path(self.folder), str(self.folder)):
            reason = reason.replace(copy + os.sep, shown)
        # As the kernel names them: relative to its folder, the scratch space.
        return re.sub(rf"(?<![\w./-]){SNAPSHOT}{re.escape(os.sep)}", lambda _: shown, reason)


def _read_regular(path: Path, limit: int) -> bytes | None:
    """Up to ``limit + 1`` bytes of ``path``, from one opening (one past the limit: the readers refuse the
    file as too large); ``None`` if it is missing or not a regular file (opened without blocking, so
    that a FIFO cannot hang the run)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        chunks, left = [], limit + 1
        while left > 0 and (chunk := os.read(fd, left)):
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- one job


#: An evidence log at least this long (bytes) is checked while the worker starts (its kernel and imports
#: take about a second on another core) rather than before: a 100,000-row log takes half a second to
#: check. A shorter one takes milliseconds, and is checked first so that a bad one costs no kernel.
CHECK_WHILE_STARTING = 1 << 20


#: What reading one question's files may raise that no check foresaw: that question fails with it as
#: its reason, and the run goes on with the others (an OSError of OUT still stops the run).
_UNFORESEEN = (ArithmeticError, ValueError, RuntimeError, RecursionError, TypeError, LookupError)


def _unforeseen(exc: BaseException) -> str:
    return f"its files could not be read ({type(exc).__name__}: {exc}); run forecast validate"


def _preflight(data_dir: Path, question_id: str) -> tuple[str | None, Question | None]:
    """Check a question's id and question file; return (reason it cannot run, or the question)."""
    if printable_name(question_id) != question_id:  # a file name that is not UTF-8
        path = display_path(question_path(data_dir, question_id))
        return f"{path}: {not_a_name(question_id, 'a question id (lower-case letters, digits and -)')}", None
    if not QUESTION_ID.match(question_id):
        return f"{question_id!r} is not a question id (lower-case letters, digits and '-')", None
    path = question_path(data_dir, question_id)
    if is_missing(path):
        return f"no question file {path}", None
    try:
        return None, load_question(path)
    except InvalidInputError as exc:
        return str(exc), None
    except _UNFORESEEN as exc:
        return f"{display_path(path)}: {_unforeseen(exc)}", None


def _check_inputs(data_dir: Path, question: Question, question_id: str) -> str | None:
    """Check a question's evidence log, team inputs and the folder's calibration.yaml: why they are invalid, or ``None``."""
    try:
        # As load_by_id reads them, but without the log's columns: the kernel builds its own.
        read_evidence_rows(evidence_path(data_dir, question_id), question, None)
        load_team_inputs(data_dir, question)
        load_calibration(data_dir)  # the temper every report of the folder takes (docs/calibration.md)
    except InvalidInputError as exc:
        return str(exc)
    except _UNFORESEEN as exc:
        return _unforeseen(exc)
    return None


def is_resolved(data_dir: str | Path, question_id: str) -> bool:
    """Does ``question_id``'s question file load and carry a resolution (so that the scorecard has it to score)?

    Only the question file is read: its evidence log can be long, and the scorecard
    lists a resolved question whose other files are broken as one it could not score.
    """
    if not QUESTION_ID.match(question_id):
        return False
    try:
        return load_question(question_path(Path(data_dir), question_id)).resolution is not None
    except InvalidInputError:
        return False


def _kernel_environment() -> None:
    """Make workers' kernels this Python, with forecast importable, whatever else is installed."""
    # This environment's kernel spec is found first; its "python" then means sys.executable.
    ours = str(Path(sys.prefix) / "share" / "jupyter")
    paths = [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    if paths[:1] != [ours]:
        os.environ["JUPYTER_PATH"] = os.pathsep.join([ours, *paths])
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def _kill(process: Worker, scratch: Path) -> None:
    """Stop a worker and its kernel: SIGTERM lets papermill shut the kernel down, SIGKILL follows.

    The kernel runs in a session of its own: one the worker could not take down (stopped
    with SIGSTOP, or hung) is killed once the worker has gone (:func:`reap_kernel`).
    """
    try:
        _stop_worker(process)
    finally:
        reap_kernel(scratch)


def _stop_worker(process: Worker) -> None:
    if process.poll() is not None:  # exited: its pid, and so its group's id, may be another's now
        return
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            if process.poll() is not None:
                return
            # Started but not yet in a session of its own: it has started no kernel to take down.
            try:
                os.kill(process.pid, sig)
            except ProcessLookupError:
                return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _execute(
    job: _Job, scratch: Path, out_dir: Path, timeout: float, progress: bool, stop: threading.Event | None
) -> str | None:
    """Run the job's worker in ``scratch``; the reason it failed, or ``None`` once it exited."""
    _kernel_environment()
    refuse_links(out_dir, scratch)
    scratch.mkdir(parents=True)
    if job.snapshot is not None:  # the notebook reads this copy: a relative data_dir, the kernel's cwd
        problem = job.snapshot.take(scratch / SNAPSHOT)
        if problem is None and not job.snapshot.long_log():
            problem = job.snapshot.check()  # first: a bad short log costs no kernel
        elif problem is None:
            job.check = job.snapshot.check  # a long log is checked while the worker starts
        if problem is not None:
            raise _InvalidInput(problem)
        job.title = f"{job.snapshot.question.title}{job.title}"
    depth = len(job.final.relative_to(out_dir).parts)
    spec = {
        "notebook": str(job.notebook),
        "scratch": str(scratch),
        "title": job.title,
        "index_href": "../" * depth + "index.html",
        # OUT/<question>/history.html, the question's page of every report (the scorecard has none).
        "history_href": None if job.key == SCORECARD_DIR else "../" * (depth - 1) + HISTORY_PAGE,
        "progress": progress,
        "numbers": job.summary_name,
        "parameters": job.parameters,
        "warm": list(job.warm),
    }
    started = time.monotonic()
    worker = Worker(spec, quiet=not progress)
    try:
        if job.check is not None:  # while the worker's kernel starts and it imports papermill
            problem = job.check()
            if problem is not None:
                _kill(worker, scratch)
                raise _InvalidInput(problem)
        while True:
            try:
                status = worker.wait(0.05)
                break
            except subprocess.TimeoutExpired:
                pass
            if stop is not None and stop.is_set():
                _kill(worker, scratch)
                return _INTERRUPTED
            if time.monotonic() - started > timeout:
                _kill(worker, scratch)
                return f"timed out after {timeout:g} s and was stopped"
    except BaseException:  # the scheduler stops us (SIGTERM, Ctrl-C): take the kernel down too
        _kill(worker, scratch)
        raise
    reap_kernel(scratch)  # a kernel its worker could not stop (say, one stopped with SIGSTOP) stops here
    if status != 0:
        error = read_json(scratch / "error.json")
        reason = (error or {}).get("reason") or f"worker exited with status {status}"
        return job.snapshot.said(reason) if job.snapshot is not None else reason
    if not (scratch / "report.html").is_file() or read_json(scratch / job.summary_name) is None:
        return f"the notebook did not write report.html and {job.summary_name}"
    if job.summary_name == SUMMARY:
        try:
            written = check_summary(scratch / SUMMARY)
        except SummaryError as exc:
            return f"the notebook wrote a {SUMMARY} that does not match its schema: {exc}"
        if written.schema_version != SCHEMA_VERSION:
            return f"the notebook wrote a {SUMMARY} without schema_version {SCHEMA_VERSION}"
    return None


def alert_line(summary: Summary) -> str:
    """A report's alert in one line, enough for a cron mail: which scenarios moved, how far, since when, why.

    Examples
    --------
    ``india-pak-ceasefire: Yes −50.7 pts since 2025-10-01 (threshold 10)``; several
    scenarios are listed in the report's order, separated by commas. A move made by a
    change of method says so: ``..., after temper 1 → 0.35``. A revision that moved a
    scenario past the threshold from what was published for its date says so first:
    ``russia-syria-bases: Revised: the forecast published for 2025-02-20 moved Partial
    deal 78% → 55% after temper 1 → 0.35`` (see :func:`forecast.publish.revision.revised_line`).
    """
    parts = []
    r = summary.revises
    if r is not None and r.alerts:
        parts.append(
            revised_line(
                summary.as_of,
                summary.scenario_order,
                summary.scenario_names,
                r.probabilities,
                summary.probabilities,
                r.alerts,
                r.causes,
            )
        )
    moves = summary.moves or {}
    moved = [
        s
        for s in summary.scenario_order
        if s in summary.alerts and s in moves and at_least(abs(moves[s]), summary.alert_threshold)
    ]
    replaced = summary.changes is not None and summary.changes.previous_replaced
    if moved and not (parts and replaced):  # a comparison with the revision replaced is said above
        said = ", ".join(f"{summary.scenario_names.get(s, s)} {_signed(moves[s])} pts" for s in moved)
        since = summary.changes.previous_as_of if summary.changes is not None else None
        when = f" since {since}" if since else ""
        why = summary.changes.causes if summary.changes is not None else ()
        after = f", after {'; '.join(why)}" if why else ""
        parts.append(f"{said}{when} (threshold {summary.alert_threshold:g}){after}")
    return f"{summary.question}: {'; '.join(parts)}"


def _signed(points: float) -> str:
    # A true minus sign, as the report writes it.
    return f"{points:+.1f}".replace("-", "\u2212")


def _publish(job: _Job, scratch: Path, out_dir: Path, reason: str | None, duration: float) -> QuestionOutcome:
    """Move a finished report into place, or keep a failed run's executed notebook."""
    inputs = job.snapshot.inputs if job.snapshot is not None else None
    if reason is None:
        for scratch_file in ("error.json", "kernel.log", KERNEL_RECORD):
            (scratch / scratch_file).unlink(missing_ok=True)
        shutil.rmtree(scratch / SNAPSHOT, ignore_errors=True)  # the manifest keeps their hashes
        if job.summary_name != SUMMARY:  # the scorecard: no revisions, no alerts, no catalog
            replace_dir(scratch, job.final, within=out_dir)
            return QuestionOutcome(
                job.key, "ok", round(duration, 3), str(job.final / "report.html"), None, [], inputs=inputs
            )
        return _publish_report(job, scratch, out_dir, duration, inputs)
    if (scratch / "report.ipynb").is_file():
        (scratch / "error.txt").write_text(reason + "\n", encoding="utf-8")
        for name in ("report.html", job.summary_name, KERNEL_RECORD):
            (scratch / name).unlink(missing_ok=True)
        replace_dir(scratch, job.failed, within=out_dir)
    cause = "timeout" if reason.startswith("timed out") else "notebook"
    return QuestionOutcome(
        job.key, "failed", round(duration, 3), None, reason.splitlines()[0], [], cause, inputs=inputs
    )


def _publish_report(
    job: _Job, scratch: Path, out_dir: Path, duration: float, inputs: dict[str, str] | None
) -> QuestionOutcome:
    """Publish a question's finished report as the date's first publication or its next revision, or not at all.

    A date already published keeps what it published: where the new report's numbers
    are the same (:func:`forecast.publish.revision.same_numbers`), nothing new is
    published; otherwise the report in place is kept as it is, as
    ``<as_of>@r<n>/``, and the new one, its next revision, takes its place
    (docs/record.md). Either way the evidence it read is entered in the question's
    ledger of first sightings. Runs under the question's lock.
    """
    as_of = date.fromisoformat(job.final.name)
    new = read_json(scratch / SUMMARY)  # checked against its schema in scratch
    summary = read_summary(scratch / SUMMARY)
    published = read_json(job.final / SUMMARY)
    record = read_inputs(scratch)
    unchanged = new is not None and published is not None and same_numbers(new, published)
    if unchanged:
        revision = published.get("revision", 1)
        revision = revision if type(revision) is int and revision >= 1 else 1
        alerts, line = [], None
    else:
        atomic_write_text(scratch / PUBLISHED_STAMP, utc_now() + "\n")
        keep = None
        if summary is not None and summary.revises is not None:  # the report in place is kept as it was
            keep = revision_dir(out_dir, job.key, as_of, summary.revises.revision)
        replace_dir(scratch, job.final, keep=keep, within=out_dir)
        revision = summary.revision if summary is not None else 1
        alerts = list(summary.alerts) if summary is not None else []
        line = alert_line(summary) if summary is not None and alerts else None
    # Still under the question's lock: the ledger of first sightings, then the report's catalog line.
    notes: list[str] = []
    try:
        if record is not None:
            record_seen(out_dir, job.key, record)
        notes = update_catalog(out_dir, job.key, published=None if unchanged else as_of).notes
    except OSError as exc:  # the report is in place; the next reader rebuilds the catalog
        notes = [f"{CATALOG} could not be written ({exc.strerror or exc}); it is read around until it can be"]
    return QuestionOutcome(
        job.key, "ok", round(duration, 3), str(job.final / "report.html"), None, alerts, alert_line=line,
        inputs=inputs, catalog=notes, revision=revision, unchanged=unchanged,
    )  # fmt: skip


def _refuse_links_in_the_way(job: _Job, out_dir: Path) -> None:
    """Raise :class:`LinkInOut` for a link where the job would write: nothing runs, nothing is published."""
    owned = [work_dir(out_dir), job.final, job.failed]
    if job.snapshot is not None:  # a question's job: its catalog and history page too
        owned += [
            out_dir / job.key / CATALOG,
            out_dir / job.key / HISTORY_PAGE,
            out_dir / job.key / SEEN_LEDGER,
        ]
    for path in owned:
        refuse_links(out_dir, path)


def _run_job(
    job: _Job,
    out_dir: Path,
    *,
    timeout: float,
    lock_timeout: float,
    progress: bool,
    stop: threading.Event | None,
) -> QuestionOutcome:
    from filelock import Timeout

    try:
        lock = question_lock(out_dir, job.key)
    except LinkInOut as exc:
        return QuestionOutcome(job.key, "failed", 0.0, None, str(exc), [], "output")
    try:
        lock.acquire(timeout=lock_timeout)
    except Timeout:
        return QuestionOutcome(
            job.key, "failed", 0.0, None,
            f"another job has held {job.key}'s lock ({lock.lock_file}) for over {lock_timeout:g} s",
            [], "busy",
        )  # fmt: skip
    try:
        try:
            _refuse_links_in_the_way(job, out_dir)
        except LinkInOut as exc:  # before anything runs: the question fails, the others go on
            return QuestionOutcome(job.key, "failed", 0.0, None, str(exc), [], "output")
        recover_job(out_dir, job.key)  # what a killed job of this question left behind
        started = time.monotonic()
        scratch = job_scratch(out_dir, job.key)
        try:
            try:
                reason = _execute(job, scratch, out_dir, timeout, progress, stop)
            except _InvalidInput as exc:  # as if found before the worker started: nothing ran
                inputs = job.snapshot.inputs if job.snapshot is not None else None
                return QuestionOutcome(job.key, "failed", 0.0, None, str(exc), [], "input", inputs=inputs)
            if reason == _INTERRUPTED:
                return QuestionOutcome(job.key, "failed", 0.0, None, reason, [], "interrupted")
            return _publish(job, scratch, out_dir, reason, time.monotonic() - started)
        finally:
            remove_tree(scratch, out_dir)  # what was not published
    finally:
        lock.release()


def _claim(out_dir: Path) -> None:
    """Refuse an OUT that holds what forecast did not write; mark it as forecast's (see :mod:`forecast.store`)."""
    check_out_dir(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    claim_out_dir(out_dir)


def _record(out_dir: Path, run: str, outcome: QuestionOutcome) -> None:
    path = outcome_dir(out_dir, run) / _record_name(outcome.question)
    atomic_write_text(path, json.dumps(asdict(outcome)), within=out_dir)


def _record_name(key: str) -> str:
    # An id that is not a slug ("../x") must not name a path: it is recorded under its digest.
    if key == SCORECARD_DIR or QUESTION_ID.match(key):
        return f"{key}.json"
    return f"_{hashlib.sha256(key.encode('utf-8', 'replace')).hexdigest()[:16]}.json"


def run_question(
    question: str,
    data_dir: str | Path,
    out_dir: str | Path,
    as_of: date,
    *,
    timeout: float = 600.0,
    alert_threshold: float | None = None,
    notebook: str | Path | None = None,
    run: str | None = None,
    lock_timeout: float = 1800.0,
    progress: bool = False,
    stop: threading.Event | None = None,
    say: Callable[[str], None] | None = None,
) -> QuestionOutcome:
    """Validate, execute, render and publish the report of one question as of one date.

    The notebook runs in a worker process with a kernel of its own, inside a
    scratch folder in OUT; only a finished report is renamed into
    ``OUT/<question>/<as_of>/``, and a failed run's executed notebook into
    ``OUT/<question>/failed/<as_of>/``. The question's lock in OUT is held from
    the clean-up of what an earlier, killed job left to the publish, so that jobs
    of one question on different processes or machines take turns, and jobs of
    different questions run side by side. Failures are returned, not raised.
    The job first copies the question's inputs into its scratch folder, hashing the
    bytes it read (the outcome's ``inputs``, which the manifest records); its checks
    and its notebook read that copy, so the report is made from exactly the bytes
    hashed, however the files change meanwhile.
    A long evidence log is checked while the worker starts, on another core; if it
    is invalid the worker and its kernel are stopped, and the outcome is the one a
    check before the worker gives (``cause="input"``, nothing kept or published).

    Parameters
    ----------
    question : str
        The question id: ``DATA/questions/<question>.yaml``.
    data_dir, out_dir : str or Path
        The data folder and the output folder (OUT).
    as_of : date
        The date of the forecast.
    timeout : float
        Seconds after which the notebook is stopped and the question fails.
    alert_threshold : float, optional
        Points of move since the previous report that make an alert (default: the question's own).
    notebook : str or Path, optional
        The report notebook (default: :func:`default_notebook`).
    run : str, optional
        The run this job belongs to: its outcome is recorded in ``OUT/runs/<run>/`` for
        :func:`publish_run`.
    lock_timeout : float
        Seconds to wait for another job of the same question to finish.
    progress : bool
        Show papermill's cell progress on stderr.
    stop : threading.Event, optional
        Set it to stop the notebook and return without publishing anything.
    say : callable, optional
        Called with a line of progress when the notebook starts.

    Returns
    -------
    QuestionOutcome

    Raises
    ------
    RunError
        OUT holds files that forecast did not write (see :func:`forecast.store.check_out_dir`).
    OSError
        OUT cannot be written (a full or read-only disk); nothing published is lost.

    Examples
    --------
    >>> outcome = run_question("russia-syria-bases", "data", "reports", date(2025, 2, 20))  # doctest: +SKIP
    >>> outcome.status, outcome.alerts  # doctest: +SKIP
    ('ok', [])
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    _claim(out_dir)
    # A question file that cannot be read stops here, before any lock or scratch space is taken;
    # what the job then reads is its snapshot of the inputs (see _Snapshot).
    reason, loaded = _preflight(data_dir, question)
    if loaded is not None and as_of_refused(loaded, as_of) is not None:
        reason, loaded = f"{loaded.path}: {as_of_refused(loaded, as_of)}", None
    question = printable_name(question)  # as the outcome, the index and the manifest name it
    if loaded is None:
        outcome = QuestionOutcome(question, "failed", 0.0, None, reason, [], "input")
    else:
        job = _Job(
            key=question,
            title=f" — as of {as_of.isoformat()}",  # after the title of the question file the job reads
            notebook=Path(notebook or default_notebook()),
            parameters={
                "question": question,
                "as_of": as_of.isoformat(),
                "data_dir": SNAPSHOT,  # relative to the kernel's folder, the job's scratch space
                "reports_dir": str(out_dir.resolve()),
                "summary_path": SUMMARY,
                "alert_threshold": alert_threshold,
                "frames": False,  # the notebook's DataFrame cells are for forecasters, not the report
            },
            final=report_dir(out_dir, question, as_of),
            failed=failed_dir(out_dir, question, as_of),
            snapshot=_Snapshot(data_dir, question),
        )
        if say is not None:
            say(f"running {question} as of {as_of} ...")
        outcome = _run_job(
            job, out_dir, timeout=timeout, lock_timeout=lock_timeout, progress=progress, stop=stop
        )
    if run is not None and outcome.cause != "interrupted":
        _record(out_dir, run, outcome)
    return outcome


def run_scorecard(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    notebook: str | Path | None = None,
    timeout: float = 600.0,
    run: str | None = None,
    lock_timeout: float = 1800.0,
    stop: threading.Event | None = None,
) -> QuestionOutcome:
    """Execute, render and publish the scorecard of every resolved question into ``OUT/_scorecard/``.

    The same job as :func:`run_question`, with ``notebooks/scorecard.ipynb`` (beside
    ``notebook``'s folder when given) under the scorecard's own lock. It reads the
    reports in OUT, so run it after the questions.

    Returns
    -------
    QuestionOutcome
        With ``question == "_scorecard"``.
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    job = _Job(
        key=SCORECARD_DIR,
        title="Scorecard of resolved questions",
        notebook=Path(notebook or default_notebook("scorecard.ipynb")),
        parameters={
            "data_dir": str(data_dir.resolve()),
            "reports_dir": str(out_dir.resolve()),
            "summary_path": "scorecard.json",
        },
        final=out_dir / SCORECARD_DIR,
        failed=out_dir / SCORECARD_DIR / "failed",
        summary_name="scorecard.json",
        warm=("forecast.publish.scorecard", *REPORT_MODULES[2:]),
    )
    outcome = _run_job(job, out_dir, timeout=timeout, lock_timeout=lock_timeout, progress=False, stop=stop)
    if run is not None and outcome.cause != "interrupted":
        _record(out_dir, run, outcome)
    return outcome


# --------------------------------------------------------------------------- the run's index and manifest


def _versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _recorded(out_dir: Path, run: str, key: str, manifest: dict[str, Any] | None) -> QuestionOutcome:
    record = read_json(outcome_dir(out_dir, run) / _record_name(key))
    if record is None and manifest is not None:  # published once already: the manifest holds them
        record = next((q for q in manifest.get("questions", []) if q.get("question") == key), None)
    if record is None:
        return QuestionOutcome(
            key, "failed", 0.0, None,
            "its job ended without recording an outcome (stopped or killed); see the scheduler's log",
            [], "interrupted",
        )  # fmt: skip
    known = {f for f in QuestionOutcome.__dataclass_fields__ if f in record}
    return QuestionOutcome(**{f: record[f] for f in known})


def publish_run(
    out_dir: str | Path,
    run: str,
    *,
    data_dir: str | Path,
    questions: list[str],
    as_of: date,
    parameters: dict[str, Any],
    notebook: str | Path | None = None,
    scorecard: bool = False,
    started: datetime | None = None,
) -> Published:
    """Write the index and the manifest of run ``run`` from what its jobs recorded in OUT.

    Every question in ``questions`` (and the scorecard, when ``scorecard``) is
    looked up in ``OUT/runs/<run>/``; one whose job recorded nothing (it was killed)
    is listed as failed. The index shows every question's latest report on disk and
    this run's failures; the manifest ``OUT/runs/<run>.json`` records the
    parameters, the inputs' SHA-256, the versions and every outcome. Both are
    written under the index lock, atomically; then the run's records are removed.

    Parameters
    ----------
    out_dir : str or Path
    run : str
        The run's name: a UTC timestamp, or a scheduler's run id made safe for a file name.
    data_dir : str or Path
    questions : list of str
        The questions the run was asked for, in order.
    as_of : date
    parameters : dict
        What the run was asked to do, recorded as is.
    notebook : str or Path, optional
    scorecard : bool
        Whether the run ran the scorecard.
    started : datetime, optional
        When the run started (UTC); default now.

    Returns
    -------
    Published
    """
    out_dir, data_dir = Path(out_dir), Path(data_dir)
    _claim(out_dir)
    notebook = Path(notebook or default_notebook())
    started = started or datetime.now(UTC)
    selected = list(dict.fromkeys(printable_name(q) for q in questions))
    keys = [*selected, SCORECARD_DIR] if scorecard else selected
    lock = index_lock(out_dir)
    with lock:
        manifest = out_dir / "runs" / f"{run}.json"
        earlier = read_json(manifest)
        outcomes = [_recorded(out_dir, run, key, earlier) for key in keys]
        finished = datetime.now(UTC)
        failures = [
            Failure(o.question, o.reason or "", as_of.isoformat(), QUESTION_ID.match(o.question) is not None)
            for o in outcomes
            if not o.ok
        ]
        published = [q for q in selected if QUESTION_ID.match(q)]
        catalogs = refresh_catalogs(out_dir)
        repaired = [f"{o.question}: {note}" for o in outcomes for note in o.catalog]
        repaired += [f"{q}: {note}" for q, c in catalogs.items() for note in c.notes]
        # No clock time in the index: the manifest keeps it.
        index = write_index(out_dir, failures, histories=published, catalogs=catalogs, notes=repaired)
        inputs = {}
        recorded = {o.question: o.inputs for o in outcomes}
        for qid in selected:
            if recorded.get(qid) is not None:  # the bytes the job read, hashed as it read them
                inputs.update(recorded[qid])
            elif QUESTION_ID.match(qid):  # a job that stopped before it read them: the files as they are
                for path, _ in input_files(data_dir, qid):
                    if path.exists():
                        inputs[printable_name(str(path))] = file_sha256(path)
        inputs[str(notebook)] = file_sha256(notebook)
        record = {
            "started": started.isoformat(),
            "finished": finished.isoformat(),
            "parameters": parameters,
            "inputs": inputs,
            "versions": _versions(),
            "questions": [asdict(o) for o in outcomes],
            "alerts": [{"question": o.question, "scenarios": o.alerts} for o in outcomes if o.alerts],
            "errors": [{"question": o.question, "reason": o.reason} for o in outcomes if not o.ok],
            "catalog": repaired,
        }
        atomic_write_text(manifest, json.dumps(record, indent=2) + "\n", within=out_dir)
        remove_tree(outcome_dir(out_dir, run), out_dir)
    return Published(outcomes, manifest, index, repaired)
