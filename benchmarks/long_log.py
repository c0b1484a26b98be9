"""Issue target: a run on a 100,000-row evidence log, against a run on the bundled log.

A log that long is valid (6 MB, well under the 64 MiB limit), so ``forecast run``
must report it in bounded time and size: the page shows the newest and the most
influential reports, and the full log goes to ``evidence.csv`` beside it. Both
sides are fresh ``forecast run`` subprocesses of the bundled question as of its
fixed date, interleaved; the long side's log is the bundled one followed by
synthetic rows (seeded), in date order as an analyst appends them. Target: within
2x of the run on the bundled log.
"""

from __future__ import annotations

import csv
import random
import shutil
import tempfile
from datetime import date, timedelta
from pathlib import Path

from .harness import Line, Options, Target, register
from .scheduled_run import AS_OF, QUESTION, ROOT, _side_by_side, _timed, run_command

__all__ = ["write_long_log"]

TARGET = Target("<=", 2.0)
ROWS = 100_000
_GRADES = ("A", "B", "C", "D", "E", "F")


def write_long_log(data_dir: Path, rows: int = ROWS, *, question: str = QUESTION, seed: int = 16) -> Path:
    """Append ``rows`` synthetic reports to ``question``'s log in ``data_dir`` (seeded; dates in order).

    The reports use the question's own indicators, every Admiralty grade and both
    outcomes, dated from the question's opening to the benchmark's as-of date.
    """
    from forecast.inputs.questions import load_question

    q = load_question(data_dir / "questions" / f"{question}.yaml")
    log = data_dir / "evidence" / f"{question}.csv"
    header = next(csv.reader(log.open(encoding="utf-8-sig", newline="")))
    pick = random.Random(seed)
    first, days = q.opened, (date.fromisoformat(AS_OF) - q.opened).days + 1
    indicators = [i.id for i in q.indicators]
    with log.open("a", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n", restval="")
        for k in range(rows):
            writer.writerow(
                {
                    "id": f"x{k + 1:06d}",
                    "date": (first + timedelta(days=k * days // rows)).isoformat(),
                    "indicator": pick.choice(indicators),
                    "observed": pick.choice(("yes", "no")),
                    "source": f"Wire service {pick.randrange(50)}",
                    "reliability": pick.choice(_GRADES),
                    "credibility": str(pick.randrange(1, 7)),
                    "url": "",
                    "summary": f"Report {k + 1}.",
                }
            )
    return log


@register("long-log-run", 4, "forecast run on a 100k-row log vs on the bundled log")
def long_log_run(options: Options) -> list[Line]:
    with tempfile.TemporaryDirectory(prefix="forecast-bench-") as tmp:
        tmp_path = Path(tmp)
        bundled, long = tmp_path / "bundled", tmp_path / "long"
        shutil.copytree(ROOT / "data", bundled)
        shutil.copytree(ROOT / "data", long)
        rows = ROWS if not options.quick else ROWS // 10
        log = write_long_log(long, rows)
        counter = iter(range(10**6))

        def fresh() -> Path:
            return tmp_path / f"out-{next(counter)}"

        _timed(run_command(bundled, fresh(), [QUESTION]))  # warms the file cache and the kernel's first start
        repeats = options.repeats_or(full=3, quick=1)
        timings = _side_by_side(
            {
                "long log": lambda: run_command(long, fresh(), [QUESTION]),
                "bundled log": lambda: run_command(bundled, fresh(), [QUESTION]),
            },
            repeats,
        )
        sizes = {}
        for out in tmp_path.glob("out-*"):
            folder = out / QUESTION / AS_OF
            sizes[out.name] = {p.name: p.stat().st_size for p in folder.iterdir()}
        ours, theirs = timings["long log"].median, timings["bundled log"].median
        return [
            Line(
                benchmark="long-log-run",
                label=f"forecast run, {rows:,}-row log / bundled log",
                value=ours / theirs,
                target=TARGET,
                ours=ours,
                theirs=theirs,
                what=(
                    f"`python -m forecast run --question {QUESTION} --as-of {AS_OF}` with the bundled log "
                    f"followed by {rows:,} synthetic rows ({log.stat().st_size / 1e6:.1f} MB), against the same "
                    f"run on the bundled log. Subprocess wall time, median of {repeats}, interleaved, after one "
                    "warm-up."
                ),
                details={
                    "seconds": {name: list(t.samples) for name, t in timings.items()},
                    "bytes written per report": sizes,
                    "statistic": "median of runs",
                },
            )
        ]
