"""Target 4: a scheduled run against the floor of papermill + nbconvert, and its parallel speed-up.

- **One question.** ``forecast run --question russia-syria-bases --as-of 2025-02-20``
  on a private copy of ``data/`` into a new output folder, against **the floor**: one
  fresh ``python`` process, as a scheduler would start for the job, that has papermill
  execute a one-cell notebook (``print(1)``, kernel ``python3``,
  ``papermill.execute_notebook`` with its defaults but ``progress_bar=False``) and
  nbconvert render the executed notebook to HTML (``HTMLExporter``, ``basic``
  template). That is the cheapest way to run the two tools: the two CLI commands
  (``papermill in.ipynb out.ipynb`` then ``jupyter nbconvert --to html out.ipynb``)
  cost one more interpreter and one more import of nbformat, so a floor made of them
  would flatter us. Both commands are fresh subprocesses, run alternately
  (interleaved) after one untimed warm-up each; the ratio is of their medians. What
  our run does beyond the floor is the report itself: loading, the engine and
  analysis, charts, the index page and the manifest.

  The floor pays, as the tools ship in this environment, for jsonschema importing
  ``rfc3987_syntax`` (over a second: it compiles a grammar); ``forecast run`` does not
  load it (see :func:`forecast.schedule.worker.preload`).
- **Eight questions in parallel.** The bundled question cloned under eight new ids
  in a private data folder, run with ``--jobs 2`` against ``--jobs 1``; wall time.

Each run takes seconds, so repeats are few (5 for one question, 3 for eight);
``--quick`` runs the first part once each and skips the second.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from forecast.inputs.validate import copy_question

from .harness import Line, Options, Target, Timing, register

__all__ = ["floor_command", "run_command"]

SINGLE_TARGET = Target("<=", 1.3)
PARALLEL_TARGET = Target("<=", 0.65)
ROOT = Path(__file__).resolve().parent.parent
QUESTION = "russia-syria-bases"
AS_OF = "2025-02-20"
CLONES = 8

_FLOOR_SCRIPT = """
import sys
import nbformat, papermill
from nbconvert import HTMLExporter
folder = sys.argv[1]
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbformat.write(nb, folder + "/in.ipynb")
papermill.execute_notebook(folder + "/in.ipynb", folder + "/out.ipynb", kernel_name="python3", progress_bar=False)
body, _ = HTMLExporter(template_name="basic").from_notebook_node(nbformat.read(folder + "/out.ipynb", as_version=4))
open(folder + "/out.html", "w", encoding="utf-8").write(body)
"""


def run_command(data: Path, out: Path, questions: list[str], jobs: int = 1) -> list[str]:
    """``forecast run`` of ``questions`` as of the fixed date, as the scheduler would call it."""
    selected = [part for q in questions for part in ("--question", q)]
    return [
        sys.executable, "-m", "forecast", "run", "--data", str(data), "--out", str(out),
        *selected, "--as-of", AS_OF, "--jobs", str(jobs),
    ]  # fmt: skip


#: The same floor, with jsonschema imported first without its IRI grammar, as forecast does.
_LEAN_FLOOR_SCRIPT = (
    "from forecast.publish.summary import import_jsonschema\nimport_jsonschema()\n" + _FLOOR_SCRIPT
)


def floor_command(folder: Path, lean: bool = False) -> list[str]:
    """papermill executing a one-cell notebook and nbconvert rendering it, in a fresh interpreter.

    ``lean``: with jsonschema imported first without its IRI grammar
    (:func:`forecast.publish.summary.import_jsonschema`), as ``forecast run`` imports it.
    """
    return [sys.executable, "-c", _LEAN_FLOOR_SCRIPT if lean else _FLOOR_SCRIPT, str(folder)]


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:6])} ... failed ({run.returncode}):\n{run.stderr[-2000:]}")
    return elapsed


def _side_by_side(commands: dict[str, Callable[[], list[str]]], repeats: int) -> dict[str, Timing]:
    """Each command factory is called per repeat (a new output folder each time), interleaved."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, make in commands.items():
            samples[name].append(_timed(make()))
    return {name: Timing(tuple(s)) for name, s in samples.items()}


@register("scheduled-run", 4, "Scheduled run vs papermill + nbconvert floor; --jobs 2 vs --jobs 1")
def scheduled_run(options: Options) -> list[Line]:
    with tempfile.TemporaryDirectory(prefix="forecast-bench-") as tmp:
        tmp_path = Path(tmp)
        data = tmp_path / "data"
        shutil.copytree(ROOT / "data", data)
        clones = [f"bench-clone-{k}" for k in range(1, CLONES + 1)]
        for clone in clones:
            copy_question(data, QUESTION, clone)
        counter = iter(range(10**6))

        def fresh(name: str) -> Path:
            folder = tmp_path / f"{name}-{next(counter)}"
            folder.mkdir()
            return folder

        # One untimed run of each warms the file cache and the kernel's first start.
        _timed(run_command(data, fresh("warm"), [QUESTION]))
        _timed(floor_command(fresh("warm")))
        repeats = options.repeats_or(full=5, quick=1)
        single = _side_by_side(
            {
                "forecast run": lambda: run_command(data, fresh("out"), [QUESTION]),
                "floor": lambda: floor_command(fresh("floor")),
                "lean floor": lambda: floor_command(fresh("lean"), lean=True),
            },
            repeats,
        )
        ours, theirs = single["forecast run"].median, single["floor"].median
        lines = [
            Line(
                benchmark="scheduled-run",
                label="forecast run, 1 question / papermill+nbconvert floor",
                value=ours / theirs,
                target=SINGLE_TARGET,
                ours=ours,
                theirs=theirs,
                what=(
                    f"`python -m forecast run --question {QUESTION} --as-of {AS_OF}` on a copy of data/ into "
                    "a new --out, against the floor: one fresh python running papermill.execute_notebook on a "
                    "one-cell notebook (print(1), kernel python3) and nbconvert HTMLExporter (basic template) "
                    f"on the result. Subprocess wall time, median of {repeats}, interleaved, after one warm-up "
                    "each."
                ),
                details={
                    "seconds": {name: list(t.samples) for name, t in single.items()},
                    "statistic": "median of runs",
                },
            )
        ]
        lean = single["lean floor"].median
        lines.append(
            Line(
                benchmark="scheduled-run",
                label="forecast run, 1 question / the floor without jsonschema's IRI grammar",
                value=ours / lean,
                ours=ours,
                theirs=lean,
                what=(
                    "The same runs against the same floor with jsonschema imported first without "
                    "rfc3987_syntax (forecast.publish.summary.import_jsonschema), as forecast run imports it: "
                    "what the report itself costs beyond the two tools. For information."
                ),
                details={"statistic": "median of runs"},
            )
        )
        if options.quick:
            return lines
        repeats = options.repeats_or(full=3, quick=1)
        parallel = _side_by_side(
            {
                "jobs 1": lambda: run_command(data, fresh("serial"), clones, jobs=1),
                "jobs 2": lambda: run_command(data, fresh("parallel"), clones, jobs=2),
            },
            repeats,
        )
        ours, theirs = parallel["jobs 2"].median, parallel["jobs 1"].median
        lines.append(
            Line(
                benchmark="scheduled-run",
                label=f"forecast run, {CLONES} questions: --jobs 2 / --jobs 1",
                value=ours / theirs,
                target=PARALLEL_TARGET,
                ours=ours,
                theirs=theirs,
                what=(
                    f"The bundled question cloned under {CLONES} ids in a private data folder; `forecast run` "
                    f"of the {CLONES} with --jobs 2 against --jobs 1, each into a new --out. Wall time, median "
                    f"of {repeats}, interleaved. Machine: {os.cpu_count()} cores."
                ),
                details={
                    "questions": CLONES,
                    "seconds": {name: list(t.samples) for name, t in parallel.items()},
                    "statistic": "median of runs",
                },
            )
        )
        return lines
