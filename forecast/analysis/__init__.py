"""Analyses of a compiled forecast, each in the module named for its job.

- :mod:`.uncertainty`: Monte Carlo ranges over likelihoods given as ranges;
- :mod:`.influence`: leave-one-out over indicators, groups and reports;
- :mod:`.watch`: the pending indicators a report would tell most about;
- :mod:`.changes`: what moved since the previous report;
- :mod:`.scoring`: Brier and log scores and calibration, public and array-in, array-out.
"""

from __future__ import annotations

from .changes import Changes, compare_summaries, evidence_digest
from .influence import (
    Influence,
    Influences,
    LeaveOneOut,
    critical_evidence,
    critical_items,
    indicators_left_out,
    influential_items,
    leave_one_out,
    most_influential,
)
from .scoring import (
    CalibrationBins,
    Score,
    brier_score,
    calibration_bins,
    calibration_points,
    eve_forecast,
    log_score,
    score,
    score_forecasts,
    score_published,
)
from .uncertainty import (
    DEFAULT_SEED,
    Intervals,
    TrajectoryBand,
    band_by_day,
    intervals,
    report_day_draws,
    trajectory_intervals,
)
from .watch import WatchArrays, WatchItem, watch_arrays, watch_items, watch_list

__all__ = [
    "DEFAULT_SEED",
    "CalibrationBins",
    "Changes",
    "Influence",
    "Influences",
    "Intervals",
    "LeaveOneOut",
    "Score",
    "TrajectoryBand",
    "WatchArrays",
    "WatchItem",
    "band_by_day",
    "brier_score",
    "calibration_bins",
    "calibration_points",
    "compare_summaries",
    "critical_evidence",
    "critical_items",
    "eve_forecast",
    "evidence_digest",
    "indicators_left_out",
    "influential_items",
    "intervals",
    "leave_one_out",
    "log_score",
    "most_influential",
    "report_day_draws",
    "score",
    "score_forecasts",
    "score_published",
    "trajectory_intervals",
    "watch_arrays",
    "watch_items",
    "watch_list",
]
