"""Target 5: ``forecast validate`` on the bundled data starts about as fast as Python with numpy.

Both commands run as fresh subprocesses of the same interpreter, interleaved, and
the medians are compared: ``forecast validate --data data`` against
``python -c "import yaml, numpy"`` (the two libraries validation cannot do without).

If the ``forecast`` command is not installed or does not work yet, the stand-in
``python -c "from forecast import validate_data; validate_data('data')"`` is
measured instead, and the table says so.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from .harness import Line, Options, Target, Timing, register

__all__ = ["validate_command"]

TARGET = Target("<=", 1.5)
ROOT = Path(__file__).resolve().parent.parent
FLOOR = [sys.executable, "-c", "import yaml, numpy"]
STAND_IN = [sys.executable, "-c", "from forecast import validate_data; validate_data('data')"]


def validate_command() -> tuple[list[str], str]:
    """The command to time, and a note if it is the stand-in rather than the CLI."""
    cli = Path(sys.executable).parent / "forecast"
    if not cli.is_file():
        return STAND_IN, f"stand-in: {cli} is not installed"
    command = [str(cli), "validate", "--data", "data"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["no output"])[-1]
        return STAND_IN, f"stand-in: `forecast validate` failed ({last})"
    return command, ""


def _median_runs(commands: dict[str, list[str]], runs: int) -> dict[str, Timing]:
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # one untimed run each warms the file cache
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
    for _ in range(runs):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
            samples[name].append(time.perf_counter() - start)
    return {name: Timing(tuple(s)) for name, s in samples.items()}


@register("startup", 5, "Start-up of `forecast validate` vs importing yaml and numpy")
def startup(options: Options) -> list[Line]:
    command, note = validate_command()
    runs = options.repeats_or(full=10, quick=3)
    timings = _median_runs({"validate": command, "floor": FLOOR}, runs)
    ours, theirs = timings["validate"].median, timings["floor"].median
    shown = " ".join(Path(command[0]).name if k == 0 else part for k, part in enumerate(command))
    return [
        Line(
            benchmark="startup",
            label="validate --data data / import yaml, numpy" + (" (stand-in)" if note else ""),
            value=ours / theirs,
            target=TARGET,
            ours=ours,
            theirs=theirs,
            what=(
                f'`{shown}` against `python -c "import yaml, numpy"`, each a fresh subprocess, '
                f"median of {runs}, interleaved, after one warm-up run each." + (f" {note}." if note else "")
            ),
            details={
                "command": command,
                "floor": FLOOR,
                "stand_in": bool(note),
                "note": note,
                "seconds": {name: list(t.samples) for name, t in timings.items()},
                "statistic": "median of runs",
            },
        )
    ]
