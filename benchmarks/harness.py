"""What every benchmark shares: the registry, side-by-side timing, results and the table.

A benchmark is a function that takes :class:`Options` and returns :class:`Line` s.
Register it with :func:`register` under a short name (``--only NAME`` selects it)
and the number of its target in the performance issue. Its module must be listed
in ``benchmarks.__main__.MODULES`` so that it is imported, and so registered.

Absolute times drift on a shared machine; a ratio of two things timed in the same
run, with their repeats interleaved, drifts far less. So every line reports a
ratio (or, for memory, megabytes) against a target.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "REGISTRY",
    "Benchmark",
    "Line",
    "MismatchError",
    "Options",
    "Target",
    "Timing",
    "assert_close",
    "calls_per_sample",
    "format_markdown",
    "format_table",
    "machine_info",
    "register",
    "sampling",
    "time_side_by_side",
]


class MismatchError(AssertionError):
    """Two implementations that are compared for speed gave different numbers."""


@dataclass(frozen=True)
class Options:
    """How a run was asked for: ``quick`` shrinks the sizes; ``repeats`` overrides each benchmark's."""

    quick: bool = False
    repeats: int | None = None

    def repeats_or(self, full: int, quick: int) -> int:
        return self.repeats or (quick if self.quick else full)


@dataclass(frozen=True)
class Target:
    """A bound on a line's value: ``Target(">=", 50, "×")`` reads "at least 50×"."""

    op: str
    bound: float
    unit: str = "×"

    def met_by(self, value: float) -> bool:
        return value >= self.bound if self.op == ">=" else value <= self.bound

    def __str__(self) -> str:
        return f"{'≥' if self.op == '>=' else '≤'} {self.bound:g}{_spaced(self.unit)}"


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds per call, one per sample, and the calls each sample averaged."""

    samples: tuple[float, ...]
    calls: int = 1

    @property
    def best(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


@dataclass(frozen=True)
class Line:
    """One row of the table.

    ``value`` is what the target bounds: a ratio (``unit="×"``) or a size
    (``unit="MB"``). ``ours`` and ``theirs`` are the two seconds the ratio divides,
    when it is one; ``what`` says what exactly was timed or measured.
    """

    benchmark: str
    label: str
    value: float
    unit: str = "×"
    target: Target | None = None
    ours: float | None = None
    theirs: float | None = None
    what: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool | None:
        """Whether the target is met; ``None`` for a line that only informs."""
        return None if self.target is None else self.target.met_by(self.value)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = str(self.target) if self.target else None
        data["passed"] = self.passed
        return data


@dataclass(frozen=True)
class Benchmark:
    """A registered benchmark: ``target`` is its number in the performance issue."""

    name: str
    target: int
    title: str
    run: Callable[[Options], list[Line]]


#: Benchmarks by name, in the order they were registered.
REGISTRY: dict[str, Benchmark] = {}


def register(name: str, target: int, title: str) -> Callable[[Callable[[Options], list[Line]]], Callable]:
    """Decorator: add a benchmark function to :data:`REGISTRY` under ``name``."""

    def add(run: Callable[[Options], list[Line]]) -> Callable[[Options], list[Line]]:
        if name in REGISTRY:
            raise ValueError(f"benchmark {name!r} is registered twice")
        REGISTRY[name] = Benchmark(name, target, title, run)
        return run

    return add


def assert_close(what: str, ours: Any, theirs: Any, tolerance: float = 1e-9) -> float:
    """The largest absolute difference of two arrays of numbers; raise if above ``tolerance``."""
    import numpy as np

    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    if ours.shape != theirs.shape:
        raise MismatchError(f"{what}: shapes differ, {ours.shape} against {theirs.shape}")
    difference = float(np.max(np.abs(ours - theirs), initial=0.0))
    if not difference <= tolerance:
        raise MismatchError(f"{what}: differ by up to {difference:.3g}, more than {tolerance:g}")
    return difference


#: A sample lasts at least this long: quicker calls are timed in batches, as ``timeit`` does.
SAMPLE_SECONDS = 0.05


def calls_per_sample(function: Callable[[], object], at_least: float = SAMPLE_SECONDS) -> int:
    """How many calls make one sample: 1, 2, 5, 10, 20, ... until a batch lasts ``at_least`` seconds.

    As :meth:`timeit.Timer.autorange`; a call that alone lasts that long is timed alone.
    """
    for calls in (k * 10**e for e in range(7) for k in (1, 2, 5)):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        if time.perf_counter() - start >= at_least:
            return calls
    return calls


def sampling(timings: dict[str, Timing]) -> str:
    """How the samples were taken, for a line's description."""
    repeats = len(next(iter(timings.values())).samples)
    calls = ", ".join(f"{t.calls} {name}" for name, t in timings.items())
    return (
        f"Best of {repeats} interleaved samples, each the mean of a batch of calls lasting at least "
        f"{SAMPLE_SECONDS * 1e3:.0f} ms (calls per sample: {calls})"
    )


def time_side_by_side(functions: dict[str, Callable[[], object]], repeats: int) -> dict[str, Timing]:
    """Time each function ``repeats`` times, interleaving them so drift hits all alike.

    Each sample is the mean of a batch of calls lasting at least
    :data:`SAMPLE_SECONDS` (one call for anything slower), so that a call of a few
    microseconds is not timed alone, cold, straight after its rival. Garbage is
    collected before every sample (and the collector left on during it, as in real
    use), so no sample pays for another's garbage.
    """
    calls = {name: calls_per_sample(function) for name, function in functions.items()}
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            gc.collect()
            start = time.perf_counter()
            for _ in range(calls[name]):
                function()
            samples[name].append((time.perf_counter() - start) / calls[name])
    return {name: Timing(tuple(s), calls[name]) for name, s in samples.items()}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """The machine and software a run was measured on."""
    import numpy

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "executable": sys.executable,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _spaced(unit: str) -> str:
    return unit if unit in ("×", "") else f" {unit}"


def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.0f} µs"


def _value(line: Line) -> str:
    precision = 0 if line.unit == "MB" or line.value >= 100 else 1 if line.value >= 10 else 2
    return f"{line.value:.{precision}f}{_spaced(line.unit)}"


_HEADER = ("#", "benchmark", "measure", "ours", "theirs", "value", "target", "result")


def _cells(n: int, line: Line, verdict: dict) -> tuple[str, ...]:
    """One table row: the line's number, names, times, ratio, target and verdict, as text."""
    return (
        str(n),
        line.benchmark,
        line.label,
        _seconds(line.ours),
        _seconds(line.theirs),
        _value(line),
        str(line.target or ""),
        verdict[line.passed],
    )


def format_table(lines: list[Line]) -> str:
    """The lines as a plain-text table, then a note per line on what was timed."""
    verdict = {True: "PASS", False: "FAIL", None: "info"}
    rows = [_HEADER] + [_cells(n, line, verdict) for n, line in enumerate(lines, 1)]
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    text = []
    for k, row in enumerate(rows):
        text.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if k == 0:
            text.append("  ".join("-" * w for w in widths))
    notes = [f"[{n}] {line.what}" for n, line in enumerate(lines, 1) if line.what]
    return "\n".join(text + ([""] + notes if notes else []))


def format_markdown(lines: list[Line]) -> str:
    """The lines as a markdown table, then a numbered note per line on what was timed."""
    verdict = {True: "PASS", False: "**FAIL**", None: "info"}
    text = [
        "| " + " | ".join(_HEADER) + " |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, line in enumerate(lines, 1):
        text.append("| " + " | ".join(cell.replace("|", "\\|") for cell in _cells(n, line, verdict)) + " |")
    notes = [f"{n}. {line.what}" for n, line in enumerate(lines, 1) if line.what]
    return "\n".join(text + ([""] + notes if notes else []))
