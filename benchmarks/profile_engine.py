"""The 100,000-report case, for a profiler: ``python -m pyinstrument -m benchmarks.profile_engine``.

Builds the workload of target 1 once, then runs the engine on it: ``assess`` (the
public API) three times and ``trajectory`` (posterior and trajectory) thirty times,
on a log whose rows were read into columns once, as ``load_evidence`` does. Pass
``--quick`` for the small size.
"""

from __future__ import annotations

import sys

from forecast import assess

from .engine_vs_reference import FULL, QUICK, engine_posterior_and_trajectory
from .synthetic import make_workload


def main(argv: list[str]) -> None:
    workload = make_workload(**(QUICK if "--quick" in argv else FULL))
    log = workload.loaded_log()
    for _ in range(3):
        assess(workload.question, log, workload.as_of)
    for _ in range(30):
        engine_posterior_and_trajectory(workload.question, log, workload.as_of)


if __name__ == "__main__":
    main(sys.argv[1:])
