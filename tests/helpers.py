"""Helpers for tests that run the real ``forecast`` command on real files."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from forecast.inputs.validate import copy_question

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
NOTEBOOK = REPO / "notebooks" / "update.ipynb"
EXAMPLE = "russia-syria-bases"
AS_OF = "2025-02-20"


def forecast_cli(
    *args: str, cwd: Path | None = None, timeout: float = 300, **kwargs
) -> subprocess.CompletedProcess:
    """Run ``python -m forecast ARGS`` as a user would, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "forecast", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        **kwargs,
    )


def copy_data(dest: Path) -> Path:
    """A private copy of the bundled data folder."""
    shutil.copytree(DATA, dest)
    return dest


def copy_data_without_team(dest: Path) -> Path:
    """A private copy of the bundled data folder without judgment files and outside forecasts.

    The question file's own model, as a question without analysts is forecast.
    """
    shutil.copytree(DATA, dest, ignore=lambda folder, names: {"judgments", "forecasts"} & set(names))
    return dest


def clone_question(data_dir: Path, new_id: str, source: str = EXAMPLE) -> None:
    """Add a question ``new_id`` to ``data_dir`` that is a copy of ``source`` (the bundled example by default)."""
    copy_question(data_dir, source, new_id)


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with the SHA-256 of its bytes, to prove nothing changed."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def notebook_with_extra_cell(dest: Path, source: str) -> Path:
    """The report notebook with one more code cell right after its parameters.

    Used to make a chosen question fail or hang inside a real kernel.
    """
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source))
    nbformat.write(nb, dest)
    return dest


def earlier_version_out(
    tmp: Path, data: Path, *, questions: int, days: int, end: str = AS_OF
) -> tuple[Path, list[str]]:
    """An OUT as an earlier version left it (``benchmarks.history.fill_earlier_out``): ``questions``
    synthetic questions and the bundled one, ``days`` daily summaries each, shaped as a real run's
    summary (one ``forecast run`` into ``tmp/template`` gives it). Returns OUT and the question ids."""
    import sys
    from datetime import date

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from benchmarks.history import fill_earlier_out

    first = forecast_cli(
        "run", "--data", data, "--out", tmp / "template", "--as-of", end, "--question", EXAMPLE
    )
    assert first.returncode == 0, first.stderr
    template = read_json(tmp / "template" / EXAMPLE / end / "summary.json")
    out = tmp / "out"
    ids = fill_earlier_out(
        out, template, questions=questions, days=days, end=date.fromisoformat(end), timed=EXAMPLE
    )
    return out, ids
