"""What the engine returns: indicator states, the audit trail and the daily trajectory.

They make up :class:`forecast.Assessment`, which holds them with the analyses.

All frozen dataclasses, so a result can be shared and cached without copies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..model import EvidenceRow, Indicator
from .frozen import frozen_array

__all__ = ["AuditEntry", "ChecklistItem", "IndicatorState", "Trajectory"]


@dataclass(frozen=True, slots=True)
class IndicatorState:
    """Where an indicator stands as of a date.

    ``status`` is ``True`` (observed), ``False`` (looked for, not seen) or ``None``
    (pending: no report yet). ``weight`` is the weight its status counts with (for a
    "not seen", that of its best look), ``counted`` the report that weight comes from
    (for a "not seen", its latest look that counts) and ``latest`` its latest report.
    ``window`` is the indicator's window; for a "not seen", ``seen_by`` is the date of
    its latest look and ``fraction`` the part of the window passed by then, ``F``.
    """

    indicator: Indicator
    status: bool | None
    weight: float
    counted: EvidenceRow | None
    latest: EvidenceRow | None
    window: tuple[date, date] | None = None
    seen_by: date | None = None
    fraction: float | None = None

    @property
    def status_text(self) -> str:
        return {True: "observed", False: "not observed", None: "pending"}[self.status]

    @property
    def not_yet(self) -> bool:
        """Whether it is "not seen" with part of its window still to come (``F < 1``)."""
        return self.status is False and self.fraction is not None and self.fraction < 1.0


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One evidence row's part in the forecast.

    ``effect`` maps each scenario to the change in its probability, in percentage
    points, when this report was applied after those before it (``None`` for a
    report dated after the as-of date).
    """

    row: EvidenceRow
    weight: float
    role: str
    effect: Mapping[str, float] | None
    order: int | None


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """An indicator on a scenario's checklist, with its status and diagnosticity.

    ``diagnosticity`` is the likelihood ratio P(observed | scenario) /
    P(observed | any other scenario, weighted by prior): how strongly seeing it
    points to this scenario rather than the rest.
    """

    state: IndicatorState
    diagnosticity: float


@dataclass(frozen=True, slots=True)
class Trajectory:
    """Daily probabilities: ``probabilities[k, j]`` is scenario ``j`` on ``dates[k]``."""

    dates: tuple[date, ...]
    scenario_ids: tuple[str, ...]
    probabilities: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "probabilities", frozen_array(self.probabilities))

    def at(self, day: date) -> dict[str, float]:
        """The probabilities on ``day``."""
        k = (day - self.dates[0]).days
        if not 0 <= k < len(self.dates):
            raise KeyError(day)
        return dict(zip(self.scenario_ids, self.probabilities[k].tolist()))
