"""The engine: the update rule, applied to a question and its evidence.

- :mod:`.rule` holds what the rule needs of a question (weights, windows, groups) as arrays;
- :mod:`.compiled` applies it to a log: statuses, roles, effects and the daily trajectory;
- :mod:`.results` holds what it returns (indicator states, the audit trail, the trajectory),
  which :class:`forecast.Assessment` gathers;
- :mod:`.pool` pools analysts' probabilities (the logarithmic pool) and measures their spread.
"""

from __future__ import annotations

from .compiled import CompiledEvidence, Evidence, compile_evidence, posterior_as_of, trajectory
from .pool import log_pool, spread
from .results import AuditEntry, ChecklistItem, IndicatorState, Trajectory
from .rule import (
    ROLE_AFTER_AS_OF,
    ROLE_CORROBORATES,
    ROLE_LABELS,
    ROLE_NAMES,
    ROLE_SETS_STATUS,
    ROLE_SUPERSEDED,
    group_contribution,
    group_contribution_draws,
    rule_tables,
    softmax,
)

__all__ = [
    "ROLE_AFTER_AS_OF",
    "ROLE_CORROBORATES",
    "ROLE_LABELS",
    "ROLE_NAMES",
    "ROLE_SETS_STATUS",
    "ROLE_SUPERSEDED",
    "AuditEntry",
    "ChecklistItem",
    "CompiledEvidence",
    "Evidence",
    "IndicatorState",
    "Trajectory",
    "compile_evidence",
    "group_contribution",
    "group_contribution_draws",
    "log_pool",
    "posterior_as_of",
    "rule_tables",
    "softmax",
    "spread",
    "trajectory",
]
