"""Where reports are kept, and how files are written so that nothing is half-written.

The output folder (OUT) holds::

    OUT/index.html                          the reviewers' front page
    OUT/<question>/<as_of>/report.ipynb     the executed notebook: the record of a run
    OUT/<question>/<as_of>/report.html      the rendered report, code hidden
    OUT/<question>/<as_of>/summary.json     the numbers, for the index and the next comparison
    OUT/<question>/<as_of>/evidence.csv     every report of the log, with its weight, role and effect
    OUT/<question>/<as_of>/scenarios.csv    each scenario's prior, probability and range
    OUT/<question>/<as_of>/trajectory.csv   the daily probabilities
    OUT/<question>/<as_of>/effects.csv      each counted report's effect, in points
    OUT/<question>/<as_of>/checklist.csv    each indicator's status, weight and diagnosticity
    OUT/<question>/<as_of>/inputs.json      the digests of the inputs the report was made from
    OUT/<question>/<as_of>/published.txt    when it was published (UTC)
    OUT/<question>/<as_of>@r<n>/            revision n of that date's report, kept as it was published
                                            once a later revision replaced it (docs/record.md)
    OUT/<question>/evidence-seen.jsonl      when each evidence report (id and content) was first seen
    OUT/<question>/catalog.jsonl            one line per report: what the index and the history need of it
    OUT/<question>/history.html             every report of the question, a chart and a table
    OUT/<question>/failed/<as_of>/          the executed notebook of a failed run, with its error
    OUT/runs/<run>.json                     one manifest per run (a UTC timestamp, or a scheduler's run id)
    OUT/runs/<run>/<question>.json          each question's outcome, until the run's manifest is written
    OUT/_scorecard/                         the scorecard of resolved questions
    OUT/.forecast-out                       the marker: this folder is forecast's output folder
    OUT/.forecast.lock                      held by the `forecast run` in progress
    OUT/.forecast-locks/<question>.lock     held while a job works on a question; ``_index.lock``
                                            while the index and a manifest are written
    OUT/.forecast-work/<question>.<uuid>/   scratch space of a question in progress (same file system)

Every file is written to a temporary name beside its destination and moved into
place with an atomic rename, so a run that fails or is killed never leaves a
half-written file or replaces the last good one.

OUT may hold other things (a ``cron.log``, ``lost+found``): a run deletes or
moves only what it created, and it finds what it created by name, under
``.forecast-work/``, never by a pattern that a user's file could match. A run
writes only into a folder that is new or empty, that carries the marker, or
that an earlier version of forecast wrote (``index.html`` and ``runs/*.json``),
which is adopted by writing the marker.

forecast never follows a symbolic link found inside OUT to delete or write: a
link where it keeps a file or folder of its own (``.forecast-work``, a question's
folder, a dated report folder, ``catalog.jsonl``, ``history.html``, ``index.html``,
``runs/``, a lock) is left alone and reported (:class:`LinkInOut`). Every write and
deletion in OUT goes through the helpers here, which check each part of the path
below OUT with ``lstat`` (:func:`refuse_links`) and open files with ``O_NOFOLLOW``.
OUT itself may be a link: it is the folder the user named.

Several processes, on one machine or on several that share OUT, may work on it
at once (``forecast run``, Airflow's tasks): each question's job holds that
question's lock from its clean-up to its publish, and the index is rewritten
under a lock of its own. Clean-up touches only what belongs to a question whose
lock it holds, so it never pulls scratch space from under a job still running.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shutil
import stat
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from .errors import LinkInOut

__all__ = [
    "CHECKLIST_CSV",
    "EFFECTS_CSV",
    "EVIDENCE_CSV",
    "FRAME_CSVS",
    "INDEX",
    "INPUTS_RECORD",
    "LOCKS",
    "LOCK_NAME",
    "MARKER",
    "PARTIAL_SUFFIX",
    "PUBLISHED_STAMP",
    "RESERVED_NAMES",
    "REVISION_MARK",
    "RUNS",
    "SCENARIOS_CSV",
    "SCORECARD_DIR",
    "SEEN_LEDGER",
    "SUMMARY",
    "TRAJECTORY_CSV",
    "WORK",
    "LinkInOut",
    "ReportEntry",
    "SummaryReader",
    "append_text",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_writer",
    "check_out_dir",
    "claim_out_dir",
    "current_report",
    "failed_dir",
    "finite_number",
    "index_lock",
    "is_own_file",
    "is_partial_of",
    "job_scratch",
    "json_number",
    "open_regular",
    "outcome_dir",
    "peek_summary",
    "previous_summary",
    "question_lock",
    "read_json",
    "read_regular_text",
    "recover",
    "recover_job",
    "refuse_links",
    "remove_tree",
    "replace_dir",
    "report_dates",
    "report_dir",
    "report_listing",
    "revision_dir",
    "revision_folders",
    "work_dir",
]

SUMMARY = "summary.json"
#: Every report of the log with its weight, role and effect, beside a report's summary.
EVIDENCE_CSV = "evidence.csv"
#: A report's frames beside its summary, for spreadsheets (:meth:`forecast.frames.Frames.write_csv`).
SCENARIOS_CSV, TRAJECTORY_CSV, EFFECTS_CSV, CHECKLIST_CSV = (
    "scenarios.csv",
    "trajectory.csv",
    "effects.csv",
    "checklist.csv",
)
FRAME_CSVS = (SCENARIOS_CSV, TRAJECTORY_CSV, EFFECTS_CSV, CHECKLIST_CSV)
#: The digests of the inputs a report was made from, beside its summary (docs/record.md).
INPUTS_RECORD = "inputs.json"
#: When a report was published: one ISO 8601 UTC timestamp and a newline, beside its summary.
PUBLISHED_STAMP = "published.txt"
#: Per question: when each evidence report (its id and the digest of its content) was first seen.
SEEN_LEDGER = "evidence-seen.jsonl"
#: How a kept revision's folder is named after its date: ``2025-02-20@r1``.
REVISION_MARK = "@r"
_REVISION_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})@r([1-9][0-9]{0,8})$")
#: The reviewers' front page.
INDEX = "index.html"
#: One manifest per run.
RUNS = "runs"
#: The scorecard's folder; question ids never start with "_", so it cannot clash with one.
SCORECARD_DIR = "_scorecard"
#: The marker file that makes a folder forecast's output folder.
MARKER = ".forecast-out"
#: The lock a run holds on OUT.
LOCK_NAME = ".forecast.lock"
#: Scratch space of runs in progress: everything under it belongs to forecast.
WORK = ".forecast-work"
#: Lock files of the jobs working on OUT, one per question, and the index's.
LOCKS = ".forecast-locks"
#: Names OUT keeps for itself: no question may take one as its id.
RESERVED_NAMES = frozenset({INDEX, RUNS, SCORECARD_DIR, MARKER, LOCK_NAME, WORK, LOCKS})
#: What may sit in a folder that a run still treats as empty (a new file system's lost+found).
_AS_GOOD_AS_EMPTY = frozenset({MARKER, LOCK_NAME, LOCKS, "lost+found"})
#: The index's lock: "_" cannot start a question id.
_INDEX_LOCK = "_index"
#: A job's key: a question id or "_scorecard" (never a dot, so "<key>." prefixes are exact).
_JOB_KEY = re.compile(r"^_?[a-z0-9][a-z0-9-]*$")
_MARKER_TEXT = (
    "This folder holds reports written by `forecast run`.\n"
    "A run writes and deletes only its own files here; anything else is left alone.\n"
)
_ASIDE = ".aside"
#: How the temporary file of every atomic write ends: ``.<name>.<random>.forecast.tmp`` beside ``<name>``.
#: Clean-up deletes only names of exactly that shape, so a user's ``.index.html.mine.tmp`` is kept.
PARTIAL_SUFFIX = ".forecast.tmp"


def is_partial_of(path: Path, name: str) -> bool:
    """Is ``path`` the temporary file an interrupted atomic write of ``name`` left beside it?"""
    return re.fullmatch(rf"\.{re.escape(name)}\.[a-z0-9_]+{re.escape(PARTIAL_SUFFIX)}", path.name) is not None


def json_number(x: float) -> float | None:
    """``x`` as a number a summary can hold: JSON has no NaN or infinity, so those become ``None`` (null).

    Examples
    --------
    >>> json_number(0.25), json_number(float("inf")), json_number(float("nan"))
    (0.25, None, None)
    """
    return float(x) if math.isfinite(x) else None


def refuse_links(out_dir: str | Path, path: str | Path) -> None:
    """Raise :class:`LinkInOut` if ``path``, or a folder between OUT and it, is a symbolic link.

    Each part of ``path`` below ``out_dir`` is looked at with ``lstat``, down to the
    first that does not exist yet (what is created below it is created here, as a
    real folder). ``out_dir`` itself may be a link: it is the folder the user named.

    Examples
    --------
    >>> import os, tempfile
    >>> out, elsewhere = tempfile.mkdtemp(), tempfile.mkdtemp()
    >>> os.symlink(elsewhere, os.path.join(out, "q"))
    >>> refuse_links(out, os.path.join(out, "q", "catalog.jsonl"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    forecast.errors.LinkInOut: .../q: a symbolic link, left alone
    """
    out_dir, path = Path(out_dir), Path(path)
    try:
        parts = path.relative_to(out_dir).parts
    except ValueError:
        parts = Path(os.path.abspath(path)).relative_to(os.path.abspath(out_dir)).parts
    current = out_dir
    for part in parts:
        current = current / part
        try:
            status = os.lstat(current)
        except (FileNotFoundError, NotADirectoryError):
            return
        if stat.S_ISLNK(status.st_mode):
            raise LinkInOut(current)


def is_own_file(path: str | Path) -> bool:
    """Is ``path`` a regular file, not a link to one (``lstat``)?"""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


def report_dir(out_dir: str | Path, question_id: str, as_of: date | str) -> Path:
    """The folder of one question's report as of one date."""
    return Path(out_dir) / question_id / str(as_of)


def revision_dir(out_dir: str | Path, question_id: str, as_of: date | str, revision: int) -> Path:
    """The folder that keeps revision ``revision`` of a report once a later one replaced it.

    ``OUT/<question>/<as_of>@r<revision>/``: beside the report's own folder, at the
    same depth, so that the kept page's links still lead where they led.
    """
    return Path(out_dir) / question_id / f"{as_of}{REVISION_MARK}{revision}"


def revision_folders(out_dir: str | Path, question_id: str) -> dict[date, tuple[int, ...]]:
    """The kept revisions of each date of a question (:func:`revision_dir`), from its folder's listing alone."""
    return report_listing(out_dir, question_id)[1]


def failed_dir(out_dir: str | Path, question_id: str, as_of: date | str) -> Path:
    """Where the executed notebook of a failed run is kept."""
    return Path(out_dir) / question_id / "failed" / str(as_of)


def work_dir(out_dir: str | Path) -> Path:
    """Scratch space for runs in progress; inside OUT so that moves out of it are atomic renames."""
    return Path(out_dir) / WORK


def outcome_dir(out_dir: str | Path, run: str) -> Path:
    """Where the jobs of run ``run`` record their outcomes, for the run's manifest and index."""
    return Path(out_dir) / RUNS / run


def job_scratch(out_dir: str | Path, key: str) -> Path:
    """A new scratch folder for one job of ``key`` (a question id or ``_scorecard``)."""
    return work_dir(out_dir) / f"{key}.{uuid.uuid4().hex}"


def _lock(out_dir: str | Path, name: str):
    from filelock import FileLock

    folder = Path(out_dir) / LOCKS
    # filelock opens the lock file with O_TRUNC: through a link it would empty the file linked to.
    refuse_links(out_dir, folder / f"{name}.lock")
    folder.mkdir(parents=True, exist_ok=True)
    # A new instance per call: flock locks belong to an open file, so two jobs in one process
    # exclude each other as two on different machines do.
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


def check_out_dir(out_dir: str | Path) -> None:
    """Refuse an output folder that holds things forecast did not write.

    A folder may be used when it does not exist yet, is empty (or holds only a
    ``lost+found``), carries the :data:`MARKER`, or holds the reports of an
    earlier version of forecast (``index.html`` and ``runs/*.json``).

    Raises
    ------
    RunError
        For any other folder, or a path that is not a folder, saying what to do.
    """
    from .errors import RunError

    out_dir = Path(out_dir)
    if not out_dir.exists() and not out_dir.is_symlink():
        return
    if not out_dir.is_dir():
        raise RunError(f"the output folder {out_dir} is not a folder; choose a new or empty folder as --out")
    try:
        # Another job claiming this new folder at this moment: its marker's temporary file is no stranger.
        names = {p.name for p in out_dir.iterdir() if not is_partial_of(p, MARKER)}
        if (out_dir / MARKER).is_file() or not names - _AS_GOOD_AS_EMPTY or _earlier_version(out_dir):
            return
    except OSError as exc:
        raise RunError(f"cannot read the output folder {out_dir}: {exc.strerror or exc}") from None
    raise RunError(
        f"the output folder {out_dir} holds other files and no forecast reports (no {MARKER} marker, "
        f"no {INDEX} with {RUNS}/); choose a new or empty folder as --out, so that nothing in it is touched"
    )


def _earlier_version(out_dir: Path) -> bool:
    """Does ``out_dir`` hold what an earlier version of forecast wrote (before the marker)?"""
    return (out_dir / INDEX).is_file() and any(p.is_file() for p in (out_dir / RUNS).glob("*.json"))


def claim_out_dir(out_dir: str | Path) -> None:
    """Mark ``out_dir`` as forecast's output folder (adopting one an earlier version wrote).

    Call after :func:`check_out_dir`, while holding the folder's lock.
    """
    marker = Path(out_dir) / MARKER
    if not marker.is_file():
        atomic_write_text(marker, _MARKER_TEXT, within=out_dir)


@contextlib.contextmanager
def atomic_writer(path: str | Path, *, within: str | Path | None = None) -> Iterator[BinaryIO]:
    """A binary file to write ``path`` through, so that readers see the old file or the new one, never a part.

    What is written goes to a temporary file beside ``path``; when the block ends
    it is flushed to disk and replaces ``path`` by an atomic rename (an existing
    file keeps its mode). If the block raises, the temporary file is removed and
    ``path`` is untouched. Use it to stream a large file without holding it in memory.

    ``within``: the output folder, when ``path`` is in it. Then a link at ``path`` or
    on the way to it is refused (:class:`LinkInOut`, see :func:`refuse_links`), before
    anything is created.
    """
    path = Path(path)
    if within is not None:
        refuse_links(within, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=PARTIAL_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
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


def atomic_write_bytes(path: str | Path, data: bytes, *, within: str | Path | None = None) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path, within=within) as handle:
        handle.write(data)


def atomic_write_text(path: str | Path, text: str, *, within: str | Path | None = None) -> None:
    """Write ``text`` to ``path`` as UTF-8, atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"), within=within)


def append_text(path: str | Path, text: str, *, within: str | Path | None = None) -> None:
    """Append whole lines ``text`` (ending in a newline) to the file at ``path``, in one ``write``.

    A file that does not exist yet is written atomically (:func:`atomic_write_text`);
    so is one whose last line was cut short, or that is not a regular file, which is
    then replaced by its readable lines and ``text``. Call while holding the lock of
    the question the file belongs to. ``within``: the output folder; a link at ``path``
    or on the way to it is refused (:class:`LinkInOut`), and the file is never opened
    through a link.
    """
    path = Path(path)
    if within is not None:
        refuse_links(within, path)
    data = text.encode("utf-8")
    flags = os.O_RDWR | os.O_APPEND | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        atomic_write_bytes(path, data, within=within)
        return
    except OSError:
        fd = None
    if fd is not None:
        try:
            status = os.fstat(fd)
            whole = stat.S_ISREG(status.st_mode) and (
                not status.st_size or os.pread(fd, 1, status.st_size - 1) == b"\n"
            )
            if whole and os.write(fd, data) == len(data):
                return
        finally:
            os.close(fd)
    kept = read_regular_text(path) or ""
    kept = kept[: kept.rfind("\n") + 1]  # a line cut short is dropped
    atomic_write_text(path, kept + text, within=within)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def remove_tree(path: str | Path, within: str | Path) -> bool:
    """Delete the folder ``path`` in OUT ``within`` and all below it; whether it is gone.

    A link at ``path`` or on the way to it is left alone (``False``): what it links to
    is never touched. Links below ``path`` are deleted as links, never followed.
    """
    try:
        refuse_links(within, path)
    except LinkInOut:
        return False
    shutil.rmtree(path, ignore_errors=True)
    return not os.path.lexists(path)


def replace_dir(
    new: Path, final: Path, keep: Path | None = None, *, within: str | Path | None = None
) -> None:
    """Move the finished folder ``new`` to ``final``, replacing what was there.

    ``within``: the output folder; a link at ``new`` or ``final``, or on the way to
    either, is refused (:class:`LinkInOut`) before anything moves.

    The old folder is first renamed aside, to ``<new>.aside`` beside ``new`` (in the
    run's scratch space), and only removed once the new one is in place, or, given
    ``keep``, renamed there (a revision kept as it was published). Where it came
    from (and where it goes) is written first to ``<new>.aside.json``, so that
    :func:`recover` puts it back, or where it was to be kept, if the process is
    killed between the renames.
    """
    if within is not None:
        refuse_links(within, new)
        refuse_links(within, final)
    final.parent.mkdir(parents=True, exist_ok=True)
    aside = None
    if final.exists():
        aside = new.with_name(new.name + _ASIDE)
        record = new.with_name(new.name + _ASIDE + ".json")
        whence = {"final": str(final.resolve())}
        if keep is not None:
            if within is not None:
                refuse_links(within, keep)
            whence["keep"] = str(keep.parent.resolve() / keep.name)
        atomic_write_text(record, json.dumps(whence), within=within)
        os.rename(final, aside)
    os.rename(new, final)
    if aside is not None:
        if keep is not None and not keep.exists():
            os.rename(aside, keep)
        else:
            shutil.rmtree(aside, ignore_errors=True)
        record.unlink(missing_ok=True)  # last: while the set-aside folder exists, its record says whence


def _restore(record: Path, out_dir: Path) -> None:
    """Put a folder :func:`replace_dir` set aside back where its record says it came from."""
    aside = record.with_name(record.name.removesuffix(".json"))
    final = _recorded_final(record, out_dir)
    if final is None or aside.is_symlink() or not aside.is_dir():
        return
    try:
        refuse_links(out_dir, final)
    except LinkInOut:
        return
    if not os.path.lexists(final):
        os.rename(aside, final)
        return
    # The new folder was in place: the old one is a revision to keep where the record says.
    keep = _recorded_final(record, out_dir, "keep")
    if keep is None or keep.parent != final.parent or os.path.lexists(keep):
        return
    try:
        refuse_links(out_dir, keep)
    except LinkInOut:
        return
    os.rename(aside, keep)


def recover_job(out_dir: str | Path, key: str) -> None:
    """Undo what a killed job of ``key`` left behind: restore what it set aside, drop its scratch.

    Only ``OUT/.forecast-work/<key>.*`` (and ``<key>/``) is touched. Call only while
    holding :func:`question_lock` of ``key``.
    """
    out_dir = Path(out_dir)
    work = work_dir(out_dir)
    if work.is_symlink() or not work.is_dir():  # a link is left alone: what it links to is not ours
        return
    # A link among them is left alone too: it is not what a job created.
    mine = [p for p in work.iterdir() if p.name.split(".")[0] == key and not p.is_symlink()]
    # <key>.<uuid>.aside.json beside a job's scratch; <run>/<question>.aside.json from a run of the
    # version before jobs, whose scratch folders were named by run.
    records = []
    for path in mine:
        if path.is_dir():
            records.extend(path.glob(f"*{_ASIDE}.json"))
        elif path.name.endswith(f"{_ASIDE}.json"):
            records.append(path)
    for record in sorted(records):
        _restore(record, out_dir)
    for path in mine:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def recover(out_dir: str | Path) -> None:
    """Undo what killed jobs left behind, for every question no job is working on now.

    Only what runs created is touched: the scratch space :data:`WORK`, the folders
    :func:`replace_dir` set aside in it (each put back where its record says it
    came from), and the temporary files of the files a run writes in OUT. Each
    question's clean-up (:func:`recover_job`) happens under its lock, taken without
    waiting: a question whose lock is held belongs to a job still running (another
    scheduler's, on this machine or another) and is left alone.
    """
    from filelock import Timeout

    out_dir = Path(out_dir)
    work = work_dir(out_dir)
    ours = work.is_dir() and not work.is_symlink()
    keys = sorted({p.name.split(".")[0] for p in work.iterdir()}) if ours else []
    for key in keys:
        lock = question_lock(out_dir, key) if _JOB_KEY.match(key) else None
        if lock is not None:
            try:
                lock.acquire(timeout=0)
            except Timeout:
                continue
        try:
            recover_job(out_dir, key)
        finally:
            if lock is not None:
                lock.release()
    with contextlib.suppress(OSError):  # not empty: a running job's scratch is in it
        if ours:
            work.rmdir()
    partials = [
        *(p for name in (INDEX, MARKER) for p in out_dir.glob(f".{name}.*.tmp") if is_partial_of(p, name)),
        *(
            p
            for p in out_dir.glob(f"{RUNS}/.*.json.*.tmp")
            if is_partial_of(p, p.name[1:].split(".json.")[0] + ".json") and not (out_dir / RUNS).is_symlink()
        ),
    ]
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


def _recorded_final(record: Path, out_dir: Path, key: str = "final") -> Path | None:
    """Where a set-aside folder came from (or, ``key="keep"``, is to be kept), if its record says so and that is inside OUT."""
    data = read_json(record)
    try:
        final = Path(data[key])
    except (KeyError, TypeError):
        return None
    return final if final.resolve().is_relative_to(out_dir.resolve()) else None


#: The most forecast reads of one file in OUT: a summary of the longest log is a few megabytes.
READ_LIMIT = 256 * 1024 * 1024


@contextlib.contextmanager
def open_regular(path: str | Path, limit: int = READ_LIMIT) -> Iterator[BinaryIO | None]:
    """The regular file at ``path``, open for reading in binary, or ``None`` for anything else.

    Every file forecast reads back from OUT is opened through this. OUT is a folder
    anyone may write into, so what sits at a file's name may be a named pipe (FIFO),
    a device, a folder, or a file over ``limit`` bytes: each is ``None``, as a missing
    file is. The file is opened without blocking and checked with ``fstat`` before
    anything is read, so a FIFO with no writer can never hang the run, and a device
    is never read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, ValueError):  # ValueError: a path with a NUL byte
        yield None
        return
    with os.fdopen(fd, "rb") as handle:
        try:
            status = os.fstat(fd)
        except OSError:
            status = None
        if status is None or not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            yield None
        else:
            yield handle


def read_regular_text(path: str | Path, limit: int = READ_LIMIT) -> str | None:
    """The UTF-8 text of the regular file at ``path``, or ``None`` for anything else (see :func:`open_regular`).

    A file that is not UTF-8, or that grew past ``limit`` while it was read, is ``None`` too.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> os.mkfifo(os.path.join(folder, "summary.json"))
    >>> read_regular_text(os.path.join(folder, "summary.json")) is None
    True
    """
    try:
        with open_regular(path, limit) as handle:
            if handle is None:
                return None
            data = handle.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit:  # it grew while it was read
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_json(path: str | Path) -> dict[str, Any] | None:
    """The JSON object in the file at ``path``, or ``None`` if it is missing, unreadable or not an object.

    Unreadable includes not a regular file (see :func:`read_regular_text`) and JSON
    nested too deeply for the parser (a ``RecursionError``), so that no file in OUT
    can stop a run. What the object must hold is the reader's business: a report's
    summary is read through :func:`forecast.publish.summary.read_summary`, which
    checks it against its schema.
    """
    text = read_regular_text(path)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def finite_number(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` (not a number, a bool, or too large for a float)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:  # a whole number of hundreds of digits
        return None
    return number if math.isfinite(number) else None


def peek_summary(path: str | Path) -> dict[str, Any] | None:
    """A report's ``summary.json`` as plain JSON, checked only for what a listing needs, or ``None``.

    The checks are those that make a report worth listing: a regular file (see
    :func:`read_regular_text`) holding a JSON object whose ``probabilities`` map
    each scenario to a number from 0 to 1 (given back as floats). The whole schema
    is not checked (:func:`forecast.publish.summary.read_summary` does that), which
    makes this quick enough to read a year of reports.
    """
    data = read_json(path)
    if data is None or not isinstance(data.get("probabilities"), dict):
        return None
    probabilities = {s: finite_number(p) for s, p in data["probabilities"].items()}
    if not probabilities or any(p is None or not 0 <= p <= 1 for p in probabilities.values()):
        return None
    return data | {"probabilities": probabilities}


@dataclass(frozen=True, slots=True)
class ReportEntry:
    """One finished report of a question."""

    as_of: date
    folder: Path
    #: What ``read`` made of its ``summary.json`` (the raw JSON object, by default).
    summary: Any


#: Reads a report's ``summary.json``; ``None`` for a summary that is missing or cannot be read.
SummaryReader = Callable[[Path], Any]


def report_dates(out_dir: str | Path, question_id: str) -> list[date]:
    """The dates of a question's report folders in OUT, oldest first, from its listing alone.

    No summary is read: a folder named for a date is listed whatever it holds, so a
    caller reads only the few it needs (see :func:`current_report`).
    """
    return report_listing(out_dir, question_id)[0]


def report_listing(out_dir: str | Path, question_id: str) -> tuple[list[date], dict[date, tuple[int, ...]]]:
    """A question folder's report dates, oldest first, and each date's kept revisions, from one listing.

    A kept revision is a folder ``<date>@r<n>`` (:func:`revision_dir`); its date's
    report is the folder ``<date>``, the latest revision.
    """
    folder = Path(out_dir) / question_id
    dates = []
    kept: dict[date, list[int]] = {}
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if len(name) == 10:
                    try:
                        as_of = date.fromisoformat(name)
                    except ValueError:
                        continue
                    if entry.is_dir():
                        dates.append(as_of)
                elif REVISION_MARK in name and (match := _REVISION_NAME.match(name)) is not None:
                    try:
                        as_of = date.fromisoformat(match.group(1))
                    except ValueError:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        kept.setdefault(as_of, []).append(int(match.group(2)))
    except OSError:  # no such folder, or not a folder
        return [], {}
    return sorted(dates), {d: tuple(sorted(n)) for d, n in kept.items()}


def _first_readable(
    out_dir: Path, question_id: str, dates: Iterator[date], read: SummaryReader
) -> ReportEntry | None:
    for as_of in dates:
        folder = report_dir(out_dir, question_id, as_of)
        summary = read(folder / SUMMARY)
        if summary is not None:
            return ReportEntry(as_of, folder, summary)
    return None


def current_report(
    out_dir: str | Path,
    question_id: str,
    today: date | None = None,
    read: SummaryReader = read_json,
    dates: list[date] | None = None,
) -> ReportEntry | None:
    """The report a question stands at, or ``None``: the newest whose summary ``read`` can read.

    That is the newest report not dated after ``today``, so that a report run ahead
    of time (``--allow-future``) never shadows the current one; only when every
    report is dated ahead is the earliest of them current. Summaries are read newest
    first until one reads, so the cost does not grow with the history. ``dates``:
    the question's report dates when the caller has them (its catalog's), else its
    folder's listing (:func:`report_dates`).
    """
    dates = report_dates(out_dir, question_id) if dates is None else sorted(dates)
    today = today or date.today()
    newest_first = [*(d for d in reversed(dates) if d <= today), *(d for d in dates if d > today)]
    return _first_readable(Path(out_dir), question_id, iter(newest_first), read)


def previous_summary(
    out_dir: str | Path | None, question_id: str, as_of: date, read: SummaryReader = read_json
) -> Any:
    """The summary a report of ``question_id`` as of ``as_of`` compares with, if any.

    That is the latest report dated before ``as_of``; where there is none, the
    report of ``as_of`` itself, which a rerun of that date is about to replace
    (so a same-day update after new evidence still shows what moved). It is read
    while it is still in place: a run replaces it only once the new report is done.
    ``read`` reads each summary (see :func:`current_report`).
    """
    if not out_dir:
        return None
    # Newest first, reading only until one can be read: the cost does not grow with the history.
    dates = report_dates(out_dir, question_id)
    earlier = _first_readable(Path(out_dir), question_id, (d for d in reversed(dates) if d < as_of), read)
    if earlier is not None:
        return earlier.summary
    same_day = _first_readable(Path(out_dir), question_id, (d for d in dates if d == as_of), read)
    return same_day.summary if same_day else None
