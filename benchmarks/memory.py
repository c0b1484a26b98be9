"""Target 6: peak memory of the posterior and daily trajectory, and how it grows with reports.

Each size runs in a fresh subprocess (``python -m benchmarks.memory N``), which:

1. imports forecast and numpy and generates the synthetic log (1,000 indicators ×
   5 scenarios over 3 years), then collects garbage and notes its resident size;
2. resets the kernel's peak-RSS mark to that size (``/proc/self/clear_refs``);
3. runs the engine: posterior as of the last day plus the daily trajectory;
4. reads the peak again.

"Total peak" is the process's peak resident set over its whole life, data
generation included. "Engine increment" is the peak during step 3 minus the
resident size before it. That increment depends on how much free memory the
process already held (at 100,000 reports the engine can fit almost entirely in
memory freed by the data generation), so growth is judged on a second run of the
same call under :mod:`tracemalloc`, which counts every byte the engine allocates,
numpy arrays included: its peak is the memory the engine itself needed.

Peaks are read from ``VmHWM`` in ``/proc/self/status``, not from
``getrusage().ru_maxrss``: at ``exec`` the kernel folds the *parent's* peak into the
child's ``ru_maxrss``, so a child started by a large benchmark process would
report the parent's size. ``ru_maxrss`` is still recorded in the JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .harness import Line, Options, Target, register

__all__ = ["measure_in_subprocess"]

TOTAL_TARGET = Target("<=", 300, "MB")
#: Engine bytes per report at the largest size over those at the 100,000 size: 1 is linear.
GROWTH_TARGET = Target("<=", 1.25)
TARGET_SIZE = 100_000
FULL_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000, 100_000)
MB = 1 << 20


def _status_bytes(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise LookupError(field)


def _reset_peak() -> bool:
    """Reset the peak-RSS mark to the current RSS (Linux 4.0+); ``False`` if not allowed."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _probe(n_reports: int, path: str) -> dict:
    """Run in the child: measure one size and return the numbers, in bytes."""
    import gc
    import resource
    import tracemalloc

    from .engine_vs_reference import assessed, engine_posterior_and_trajectory
    from .synthetic import make_workload

    workload = make_workload(n_reports, 1_000, 5, 1096)
    gc.collect()
    before = _status_bytes("VmRSS")
    peak_before = _status_bytes("VmHWM")
    reset = _reset_peak()
    if path == "assess":
        result = assessed(workload.question, workload.rows, workload.as_of)
    else:
        result = engine_posterior_and_trajectory(workload.question, workload.rows, workload.as_of)
    peak_during = _status_bytes("VmHWM")
    assert result is not None  # alive until the peak is read, so what it keeps is counted
    del result
    gc.collect()
    tracemalloc.start()
    if path == "assess":
        result = assessed(workload.question, workload.rows, workload.as_of)
    else:
        result = engine_posterior_and_trajectory(workload.question, workload.rows, workload.as_of)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result is not None
    return {
        "engine_traced_peak": traced_peak,
        "n_reports": n_reports,
        "path": path,
        "rss_before_engine": before,
        "peak_before_engine": peak_before,
        "peak_during_engine": peak_during,
        "peak_reset": reset,
        "total_peak": max(peak_before, peak_during),
        "engine_increment": peak_during - before if reset else max(0, peak_during - peak_before),
        "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def measure_in_subprocess(n_reports: int, path: str = "trajectory") -> dict:
    """Measure one size in a fresh interpreter; ``path`` is ``"trajectory"`` or ``"assess"``."""
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", str(n_reports), path],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"memory probe for {n_reports:,} reports failed:\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def _line(
    label: str, value: float, target: Target | None, what: str, details: dict, unit: str = "MB"
) -> Line:
    return Line(
        benchmark="memory", label=label, value=value, unit=unit, target=target, what=what, details=details
    )


@register("memory", 6, "Peak memory of posterior + trajectory, and its growth")
def memory(options: Options) -> list[Line]:
    sizes = QUICK_SIZES if options.quick else FULL_SIZES
    probes = {n: measure_in_subprocess(n) for n in sizes}
    lines = []
    for n, probe in probes.items():
        increment = probe["engine_increment"]
        lines.append(
            _line(
                f"peak RSS, {n:,} reports (engine {probe['engine_traced_peak'] / MB:.0f} MB)",
                probe["total_peak"] / MB,
                TOTAL_TARGET if n == TARGET_SIZE else None,
                f"Whole-process peak (VmHWM) of a fresh `python -m benchmarks.memory {n}`: imports, "
                f"{n:,} synthetic EvidenceRows, then the engine's posterior + daily trajectory. Of it, the "
                f"engine's resident increment over the {probe['rss_before_engine'] / MB:.0f} MB resident "
                f"before it ran: {increment / MB:.1f} MB; its traced allocations peaked at "
                f"{probe['engine_traced_peak'] / MB:.1f} MB ({probe['engine_traced_peak'] / n:.0f} bytes per "
                "report).",
                probe,
            )
        )
    small, large = TARGET_SIZE, max(sizes)
    if large > small:
        per_report = {n: probes[n]["engine_traced_peak"] / n for n in (small, large)}
        lines.append(
            _line(
                f"engine bytes/report, {large:,} over {small:,}",
                per_report[large] / per_report[small],
                GROWTH_TARGET,
                f"The engine's traced peak per report at {large:,} reports ({per_report[large]:.0f} B) over "
                f"that at {small:,} ({per_report[small]:.0f} B): about 1 when memory grows linearly "
                "with reports, well above 1 if it grows faster.",
                {"bytes_per_report": {str(n): b for n, b in per_report.items()}},
                unit="×",
            )
        )
    probe = measure_in_subprocess(TARGET_SIZE, "assess")
    lines.append(
        _line(
            f"peak RSS, {TARGET_SIZE:,} reports, assess() (engine {probe['engine_traced_peak'] / MB:.0f} MB)",
            probe["total_peak"] / MB,
            None,
            "As above, but through forecast.assess, which also builds indicator states and an audit "
            "entry per report; for information.",
            probe,
        )
    )
    return lines


if __name__ == "__main__":
    print(json.dumps(_probe(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "trajectory")))
