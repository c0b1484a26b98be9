"""The 100,000-report case, for a profiler: ``python -m pyinstrument -m benchmarks.profile_engine``.

Builds the workload of target 1 once, then runs the engine on it: ``assess`` (the
public API) and ``trajectory`` (posterior and trajectory) on a new log, three times
each. Pass ``--quick`` for the small size.
"""

from __future__ import annotations

import sys

from forecast import assess
from forecast.model import EvidenceLog

from .engine_vs_reference import FULL, QUICK, engine_posterior_and_trajectory
from .synthetic import make_workload


def main(argv: list[str]) -> None:
    workload = make_workload(**(QUICK if "--quick" in argv else FULL))
    rows = tuple(workload.rows)
    for _ in range(3):
        assess(workload.question, EvidenceLog(rows=rows), workload.as_of)
        engine_posterior_and_trajectory(workload.question, EvidenceLog(rows=rows), workload.as_of)


if __name__ == "__main__":
    main(sys.argv[1:])
