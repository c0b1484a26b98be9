"""Where reports are kept, and how files are written so that nothing is half-written.

The output folder (OUT) holds::

    OUT/index.html                          the reviewers' front page
    OUT/<question>/<as_of>/report.ipynb     the executed notebook: the record of a run
    OUT/<question>/<as_of>/report.html      the rendered report, code hidden
    OUT/<question>/<as_of>/summary.json     the numbers, for the index and the next comparison
    OUT/<question>/failed/<as_of>/          the executed notebook of a failed run, with its error
    OUT/runs/<run>.json                     one manifest per run (a UTC timestamp, or a scheduler's run id)
    OUT/runs/<run>/<question>.json          each question's outcome, until the run's manifest is written
    OUT/.work/<question>.<uuid>/            scratch space of a question in progress (same file system)
    OUT/.forecast-locks/<question>.lock     held while a question runs and publishes; ``_index.lock``
                                            while the index and a manifest are written

Every file is written to a temporary name beside its destination and moved into
place with an atomic rename, so a run that fails or is killed never leaves a
half-written file or replaces the last good one.

Several processes, on one machine or on several that share OUT, may work on it
at once: each question's job holds that question's lock from its clean-up to its
publish, and the index is rewritten under a lock of its own. Clean-up touches
only what belongs to a question whose lock it holds, so it never pulls the
scratch space from under a job that is still running.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

__all__ = [
    "ReportEntry",
    "atomic_write_bytes",
    "atomic_write_text",
    "failed_dir",
    "index_lock",
    "job_scratch",
    "list_reports",
    "outcome_dir",
    "previous_summary",
    "question_lock",
    "read_summary",
    "recover",
    "recover_job",
    "replace_dir",
    "report_dir",
    "work_dir",
]

SUMMARY = "summary.json"
_TRASH = ".trash"
#: Lock files of the jobs working on OUT; the name starts with "." so it cannot clash with a question.
LOCKS = ".forecast-locks"
#: The index's lock: "_" cannot start a question id.
_INDEX_LOCK = "_index"
#: A job key: a question id or the scorecard's "_scorecard" (never a dot, so "<key>." prefixes are exact).
_JOB_KEY = re.compile(r"^_?[a-z0-9][a-z0-9-]*$")


def report_dir(out_dir: str | Path, question_id: str, as_of: date | str) -> Path:
    """The folder of one question's report as of one date."""
    return Path(out_dir) / question_id / str(as_of)


def failed_dir(out_dir: str | Path, question_id: str, as_of: date | str) -> Path:
    """Where the executed notebook of a failed run is kept."""
    return Path(out_dir) / question_id / "failed" / str(as_of)


def work_dir(out_dir: str | Path) -> Path:
    """Scratch space for runs in progress; inside OUT so that moves out of it are atomic renames."""
    return Path(out_dir) / ".work"


def outcome_dir(out_dir: str | Path, run: str) -> Path:
    """Where the jobs of run ``run`` record their outcomes, for the run's manifest and index."""
    return Path(out_dir) / "runs" / run


def job_scratch(out_dir: str | Path, key: str) -> Path:
    """A new scratch folder name for one job of ``key`` (a question id or ``_scorecard``)."""
    return work_dir(out_dir) / f"{key}.{uuid.uuid4().hex}"


def _lock(out_dir: str | Path, name: str):
    from filelock import FileLock

    folder = Path(out_dir) / LOCKS
    folder.mkdir(parents=True, exist_ok=True)
    # A new instance per call: flock locks belong to an open file, so two jobs in one process exclude
    # each other as two on different machines do.
    return FileLock(str(folder / f"{name}.lock"))


def question_lock(out_dir: str | Path, key: str):
    """The lock a job holds on ``key`` (a question id or ``_scorecard``) while it runs and publishes.

    A :class:`filelock.FileLock` on ``OUT/.forecast-locks/<key>.lock``: an advisory
    ``flock``, which holds across machines on a shared file system that supports it
    (NFSv4, CephFS, Lustre, EFS).
    """
    if not _JOB_KEY.match(key):
        raise ValueError(f"{key!r} is not a question id")
    return _lock(out_dir, key)


def index_lock(out_dir: str | Path):
    """The lock held while ``index.html`` and a run's manifest are written."""
    return _lock(out_dir, _INDEX_LOCK)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part.

    The new content goes to a temporary file beside ``path``, is flushed to disk,
    and replaces ``path`` by an atomic rename; an existing file keeps its mode.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8, atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def replace_dir(new: Path, final: Path) -> None:
    """Move the finished folder ``new`` to ``final``, replacing what was there.

    The old folder is first renamed aside (into ``.trash`` beside it) and only
    removed once the new one is in place; :func:`recover` puts it back if the
    process is killed between the two renames.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    aside = None
    if final.exists():
        trash = final.parent / _TRASH
        trash.mkdir(exist_ok=True)
        aside = trash / f"{final.name}.{uuid.uuid4().hex}"
        os.rename(final, aside)
    os.rename(new, final)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)
        with contextlib.suppress(OSError):  # another run's leftovers keep it; recover() sees to those
            aside.parent.rmdir()


def recover_job(out_dir: str | Path, key: str) -> None:
    """Undo what a killed job of ``key`` left behind: restore its set-aside reports, drop its scratch.

    Call only while holding :func:`question_lock` of ``key``.
    """
    out_dir = Path(out_dir)
    # .trash sits beside what replace_dir replaced: OUT/<q>/<as_of>, OUT/<q>/failed/<as_of> or
    # OUT/_scorecard (whose .trash is OUT's own); each is looked for, or a set-aside folder is lost.
    if key.startswith("_"):
        trashes = [(out_dir / _TRASH, f"{key}.")]
    else:
        trashes = [(out_dir / key / _TRASH, ""), (out_dir / key / "failed" / _TRASH, "")]
    for trash, prefix in trashes:
        if not trash.is_dir():
            continue
        for aside in sorted(a for a in trash.iterdir() if a.name.startswith(prefix)):
            final = trash.parent / aside.name.split(".")[0]
            if not final.exists():
                os.rename(aside, final)
            else:
                shutil.rmtree(aside, ignore_errors=True)
        with contextlib.suppress(OSError):  # another job's set-aside folders keep it
            trash.rmdir()
    work = work_dir(out_dir)
    for scratch in work.iterdir() if work.is_dir() else ():
        if scratch.name.split(".")[0] == key:
            shutil.rmtree(scratch, ignore_errors=True)


def recover(out_dir: str | Path) -> None:
    """Undo what killed jobs left behind, for every question no job is working on now.

    Each question's clean-up (:func:`recover_job`) happens under its lock, taken
    without waiting: a question whose lock is held belongs to a job still running
    (another scheduler's, on this machine or another) and is left alone.
    """
    from filelock import Timeout

    out_dir = Path(out_dir)
    # Only questions with something to undo: their locks are taken (and their lock files made).
    keys = {
        p.name
        for p in out_dir.iterdir()
        if p.is_dir() and ((p / _TRASH).is_dir() or (p / "failed" / _TRASH).is_dir())
    }
    for folder in (out_dir / _TRASH, work_dir(out_dir)):
        if folder.is_dir():
            keys.update(p.name.split(".")[0] for p in folder.iterdir())
    for key in sorted(k for k in keys if _JOB_KEY.match(k) and k != "runs"):
        lock = question_lock(out_dir, key)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue
        try:
            recover_job(out_dir, key)
        finally:
            lock.release()
    with contextlib.suppress(OSError):  # not empty: a running job's scratch is in it
        work_dir(out_dir).rmdir()
    with contextlib.suppress(OSError):
        (out_dir / _TRASH).rmdir()
    partials = [*out_dir.glob(".*.tmp"), *out_dir.glob("runs/.*.tmp")]
    if not partials:
        return
    lock = index_lock(out_dir)  # they are the index's and the manifests' temporary files
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return
    try:
        for partial in partials:
            partial.unlink(missing_ok=True)
    finally:
        lock.release()


def read_summary(path: str | Path) -> dict[str, Any] | None:
    """A report's summary, or ``None`` if it is missing or unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True, slots=True)
class ReportEntry:
    """One finished report of a question."""

    as_of: date
    folder: Path
    summary: dict[str, Any]


def list_reports(out_dir: str | Path, question_id: str) -> list[ReportEntry]:
    """A question's finished reports in OUT, oldest first (folders without a summary are skipped)."""
    folder = Path(out_dir) / question_id
    entries = []
    if folder.is_dir():
        for child in folder.iterdir():
            try:
                as_of = date.fromisoformat(child.name)
            except ValueError:
                continue
            summary = read_summary(child / SUMMARY)
            if summary is not None:
                entries.append(ReportEntry(as_of, child, summary))
    return sorted(entries, key=lambda e: e.as_of)


def previous_summary(out_dir: str | Path | None, question_id: str, as_of: date) -> dict[str, Any] | None:
    """The summary of the latest report of ``question_id`` dated before ``as_of``, if any."""
    if not out_dir:
        return None
    earlier = [e for e in list_reports(out_dir, question_id) if e.as_of < as_of]
    return earlier[-1].summary if earlier else None
