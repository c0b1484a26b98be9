"""Where reports are kept, and how files are written so that nothing is half-written.

The output folder (OUT) holds::

    OUT/index.html                          the reviewers' front page
    OUT/<question>/<as_of>/report.ipynb     the executed notebook: the record of a run
    OUT/<question>/<as_of>/report.html      the rendered report, code hidden
    OUT/<question>/<as_of>/summary.json     the numbers, for the index and the next comparison
    OUT/<question>/failed/<as_of>/          the executed notebook of a failed run, with its error
    OUT/runs/<UTC timestamp>.json           one manifest per run
    OUT/.work/                              scratch space of a run in progress (same file system)

Every file is written to a temporary name beside its destination and moved into
place with an atomic rename, so a run that fails or is killed never leaves a
half-written file or replaces the last good one.
"""

from __future__ import annotations

import contextlib
import json
import os
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
    "list_reports",
    "previous_summary",
    "read_summary",
    "recover",
    "replace_dir",
    "report_dir",
    "work_dir",
]

SUMMARY = "summary.json"
_TRASH = ".trash"


def report_dir(out_dir: str | Path, question_id: str, as_of: date | str) -> Path:
    """The folder of one question's report as of one date."""
    return Path(out_dir) / question_id / str(as_of)


def failed_dir(out_dir: str | Path, question_id: str, as_of: date | str) -> Path:
    """Where the executed notebook of a failed run is kept."""
    return Path(out_dir) / question_id / "failed" / str(as_of)


def work_dir(out_dir: str | Path) -> Path:
    """Scratch space for runs in progress; inside OUT so that moves out of it are atomic renames."""
    return Path(out_dir) / ".work"


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


def recover(out_dir: str | Path) -> None:
    """Undo what a killed run left behind: restore set-aside reports, drop scratch space.

    Call only while holding the output folder's lock.
    """
    out_dir = Path(out_dir)
    # .trash sits beside what replace_dir replaced: OUT/<q>/<as_of>, OUT/<q>/failed/<as_of> or
    # OUT/_scorecard (whose .trash is OUT's own); each is looked for, or a set-aside folder is lost.
    trashes = [out_dir / _TRASH, *out_dir.glob(f"*/{_TRASH}"), *out_dir.glob(f"*/failed/{_TRASH}")]
    for trash in (t for t in trashes if t.is_dir()):
        for aside in sorted(trash.iterdir()):
            final = trash.parent / aside.name.split(".")[0]
            if not final.exists():
                os.rename(aside, final)
            else:
                shutil.rmtree(aside, ignore_errors=True)
        shutil.rmtree(trash, ignore_errors=True)
    shutil.rmtree(work_dir(out_dir), ignore_errors=True)
    for partial in [*out_dir.glob(".*.tmp"), *out_dir.glob("runs/.*.tmp")]:
        partial.unlink(missing_ok=True)


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
    """The summary a report of ``question_id`` as of ``as_of`` compares with, if any.

    That is the latest report dated before ``as_of``; where there is none, the
    report of ``as_of`` itself, which a rerun of that date is about to replace
    (so a same-day update after new evidence still shows what moved). It is read
    while it is still in place: a run replaces it only once the new report is done.
    """
    if not out_dir:
        return None
    reports = list_reports(out_dir, question_id)
    earlier = [e for e in reports if e.as_of < as_of]
    if earlier:
        return earlier[-1].summary
    same_day = [e for e in reports if e.as_of == as_of]
    return same_day[-1].summary if same_day else None
