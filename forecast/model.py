"""The validated model: questions, scenarios, indicators and evidence rows.

Objects here are immutable and already checked; :mod:`forecast.inputs` is the only
place that builds them from files.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import count
from operator import attrgetter
from types import MappingProxyType
from typing import TYPE_CHECKING

from .errors import Problem

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "DEFAULT_CREDIBILITY_WEIGHTS",
    "DEFAULT_RELIABILITY_WEIGHTS",
    "YEARS_PAST_CLOSES",
    "Calibration",
    "EvidenceColumns",
    "EvidenceLog",
    "EvidenceRow",
    "Group",
    "Indicator",
    "Question",
    "Resolution",
    "Scenario",
    "as_of_refused",
    "years_after",
]

#: A forecast may be made as of, and a question may resolve, at most this many years after it
#: closes: the daily trajectory runs to that date, so its length stays bounded (docs/formats/question.md).
YEARS_PAST_CLOSES = 20


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later (28 February for a 29 February that year lacks); ``date.max`` past year 9999.

    Examples
    --------
    >>> years_after(date(2024, 2, 29), 20), years_after(date(9990, 1, 1), 20)
    (datetime.date(2044, 2, 29), datetime.date(9999, 12, 31))
    >>> years_after(date(2024, 2, 29), 1)
    datetime.date(2025, 2, 28)
    """
    year = day.year + years
    if year > date.max.year:
        return date.max
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February, in a year that is not a leap year
        return day.replace(year=year, day=28)


#: Admiralty source reliability A (completely reliable) .. E (unreliable), F (cannot be judged).
DEFAULT_RELIABILITY_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5}
)
#: Admiralty information credibility 1 (confirmed) .. 5 (improbable), 6 (cannot be judged).
DEFAULT_CREDIBILITY_WEIGHTS: Mapping[int, float] = MappingProxyType(
    {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.4, 5: 0.2, 6: 0.5}
)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One of a question's mutually exclusive, exhaustive outcomes."""

    id: str
    name: str
    prior: float
    description: str = ""
    short: str = ""

    @property
    def label(self) -> str:
        """The name to show where space is short: ``short`` if the question gives one, else ``name``."""
        return self.short or self.name


@dataclass(frozen=True, slots=True)
class Indicator:
    """A signpost: a yes/no observation whose likelihood differs by scenario.

    ``likelihood`` maps each scenario id to P(observed | scenario), the point
    value (a range's midpoint). ``ranges`` holds the ``(low, high)`` of the
    likelihoods the forecaster gave as a range.
    """

    id: str
    text: str
    signals: str
    likelihood: Mapping[str, float]
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    tripwire: bool = False
    line: int = 0
    #: the id of the dependence group it belongs to, if any
    group: str | None = None
    #: ``(start, end)`` of the window in which it would happen, if stated (default: the question's life)
    window: tuple[date, date] | None = None
    #: phrases a news item bearing on it may hold (the inbox's matching; no effect on any number)
    look_for: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Group:
    """Indicators that reflect one underlying development.

    ``dependence`` is rho in [0, 1]: the group contributes
    ``L_leader + (1 - rho) * sum(L_other)`` in place of the sum of its members.
    """

    id: str
    text: str = ""
    dependence: float = 1.0
    line: int = 0


@dataclass(frozen=True, slots=True)
class Resolution:
    """How a question resolved."""

    scenario: str
    date: date
    note: str = ""


@dataclass(frozen=True, slots=True)
class Calibration:
    """A data folder's ``calibration.yaml``: the temper (and pool exponent) fitted on its resolved questions.

    ``log_loo`` and ``brier_loo`` are the leave-one-question-out mean daily scores
    ``(untempered, calibrated)``; ``log_in_sample`` and ``brier_in_sample`` the same in sample.
    """

    temper: float
    extremize: float | None = None
    fitted: date | None = None
    questions: tuple[str, ...] = ()
    log_in_sample: tuple[float, float] | None = None
    log_loo: tuple[float, float] | None = None
    brier_in_sample: tuple[float, float] | None = None
    brier_loo: tuple[float, float] | None = None
    version: str = ""
    path: str = ""
    #: the 90% bootstrap interval of ``temper`` over questions, and the range of τ searched
    temper_interval: tuple[float, float] | None = None
    searched: tuple[float, float] | None = None
    #: the paired standard error, over questions, of the held-out gain ``log_loo[0] - log_loo[1]``
    log_gain_se: float | None = None
    #: the joint fit of the pool's ``a``: its interval, its searched range, and the mean log scores of
    #: the τ-only fit and of the joint one (in sample; held out, with the gain's standard error)
    extremize_interval: tuple[float, float] | None = None
    extremize_searched: tuple[float, float] | None = None
    extremize_in_sample: tuple[float, float] | None = None
    extremize_loo: tuple[float, float] | None = None
    extremize_gain_se: float | None = None
    #: written with ``--force`` although the gate held it back: every page that uses it says so
    forced: bool = False


def as_of_refused(question: Question, as_of: date) -> str | None:
    """Why ``question`` cannot be forecast as of ``as_of`` (more than :data:`YEARS_PAST_CLOSES` years
    after it closes), or ``None``. Any date before that is taken, however long before ``opened``."""
    latest = years_after(question.closes, YEARS_PAST_CLOSES)
    if as_of <= latest:
        return None
    return (
        f"as of {as_of} is more than {YEARS_PAST_CLOSES} years after the question closes ({question.closes}); "
        f"expected a date by {latest}"
    )


@dataclass(frozen=True, slots=True)
class Question:
    """A forecasting question: scenarios with priors and an indicator checklist."""

    id: str
    title: str
    question: str
    opened: date
    closes: date
    scenarios: tuple[Scenario, ...]
    indicators: tuple[Indicator, ...]
    reliability_weights: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_RELIABILITY_WEIGHTS)
    )
    credibility_weights: Mapping[int, float] = field(
        default_factory=lambda: dict(DEFAULT_CREDIBILITY_WEIGHTS)
    )
    resolution: Resolution | None = None
    alert_threshold: float = 10.0
    #: ``pool: {extremize: a}``: the exponent ``a`` of the analysts' logarithmic pool
    extremize: float = 1.0
    notes: str = ""
    path: str = ""
    warnings: tuple[Problem, ...] = ()
    groups: Mapping[str, Group] = field(default_factory=dict)
    #: the line of ``closes`` in the question file, where a closed, unresolved question is flagged
    closes_line: int = 0
    #: every point likelihood p is treated as the range [p - spread, p + spread] for the intervals
    likelihood_spread: float | None = None
    #: evidence older than this many days at the as-of date is stale
    stale_after_days: int = 30
    #: τ, the temper: every contribution is multiplied by it before it is added to the log-prior
    temper: float = 1.0
    #: the settings the question file gives itself (``"temper"``, ``"extremize"``), which a data
    #: folder's ``calibration.yaml`` does not override
    set_in_file: frozenset[str] = frozenset()
    #: the calibration ``temper`` (and ``extremize``) came from, if they came from one
    calibration: Calibration | None = None
    #: ``ordered: true``: the scenarios run, in file order, from one end to the other
    ordered: bool = False
    #: phrases that show a news item is about the question (the inbox's matching; no effect on any number)
    look_for: tuple[str, ...] = ()
    #: ``illustrative: true``: an invented example, kept out of calibration, the scorecard's verdict
    #: and the leaderboard
    illustrative: bool = False

    @property
    def tempered(self) -> bool:
        """Whether the rule is tempered (``temper`` is not 1): the one test of whether a report says it is
        calibrated and carries its uncalibrated probabilities (docs/calibration.md)."""
        return self.temper != 1.0

    def window_of(self, indicator: Indicator) -> tuple[date, date]:
        """The window in which ``indicator`` would happen: its own, or the question's ``[opened, closes]``."""
        return indicator.window or (self.opened, self.closes)

    def members(self, group_id: str) -> tuple[Indicator, ...]:
        """The indicators of a group, in question order."""
        return tuple(i for i in self.indicators if i.group == group_id)

    @property
    def scenario_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.scenarios)

    @property
    def indicator_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.indicators)

    def scenario(self, scenario_id: str) -> Scenario:
        """The scenario with this id (``KeyError`` if there is none)."""
        for s in self.scenarios:
            if s.id == scenario_id:
                return s
        raise KeyError(scenario_id)

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with this id (``KeyError`` if there is none)."""
        for i in self.indicators:
            if i.id == indicator_id:
                return i
        raise KeyError(indicator_id)

    def weight(self, reliability: str, credibility: int) -> float:
        """The weight w = R[reliability] x C[credibility] of a report so graded."""
        return self.reliability_weights[reliability] * self.credibility_weights[credibility]


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One graded report that an indicator was seen (or looked for and not seen)."""

    id: str
    date: date
    indicator: str
    observed: bool
    source: str
    reliability: str
    credibility: int
    url: str = ""
    summary: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)
    line: int = 0

    @property
    def grade(self) -> str:
        """The Admiralty grade, e.g. ``"B2"``."""
        return f"{self.reliability}{self.credibility}"


def _codes(values: Iterable[object], n: int) -> tuple[np.ndarray, tuple]:
    """Each value's code, numbering distinct values in first-seen order, and those values."""
    import numpy as np

    # A defaultdict whose factory counts numbers each new value in C, with no Python per row.
    numbering: defaultdict[object, int] = defaultdict(count().__next__)
    codes = np.fromiter(map(numbering.__getitem__, values), np.int32, n)
    return codes, tuple(numbering)


@dataclass(frozen=True, slots=True)
class EvidenceColumns:
    """Evidence rows as columns, in row order: what the engine reads, read once.

    ``day`` holds each row's ``date.toordinal()`` and ``observed`` its outcome.
    Indicator ids and grades are codes into the tuples of the distinct values, in
    first-seen order: ``indicator_ids[indicator[k]]`` is row ``k``'s indicator. The
    codes do not depend on any question, so one view serves every question.
    """

    day: np.ndarray
    observed: np.ndarray
    indicator: np.ndarray
    indicator_ids: tuple[str, ...]
    reliability: np.ndarray
    reliabilities: tuple[str, ...]
    credibility: np.ndarray
    credibilities: tuple[int, ...]

    @classmethod
    def of(cls, rows: Sequence[EvidenceRow]) -> EvidenceColumns:
        """The columns of ``rows``: one pass over the rows per field, each in C."""
        import numpy as np

        n = len(rows)
        indicator, indicator_ids = _codes(map(attrgetter("indicator"), rows), n)
        reliability, reliabilities = _codes(map(attrgetter("reliability"), rows), n)
        credibility, credibilities = _codes(map(attrgetter("credibility"), rows), n)
        day = np.fromiter(map(date.toordinal, map(attrgetter("date"), rows)), np.int32, n)
        observed = np.fromiter(map(attrgetter("observed"), rows), bool, n)
        # Shared by every engine call on the log, which must not change them.
        for column in (day, observed, indicator, reliability, credibility):
            column.flags.writeable = False
        return cls(
            day=day,
            observed=observed,
            indicator=indicator,
            indicator_ids=indicator_ids,
            reliability=reliability,
            reliabilities=reliabilities,
            credibility=credibility,
            credibilities=credibilities,
        )

    def __len__(self) -> int:
        return len(self.day)


@dataclass(frozen=True, slots=True)
class EvidenceLog:
    """A question's evidence log as loaded: its rows in file order.

    :meth:`columns` gives the same rows as arrays, built on first use and kept with
    the log, so every engine call after the first on one log skips reading the rows.
    """

    rows: tuple[EvidenceRow, ...] = ()
    path: str = ""
    extra_columns: tuple[str, ...] = ()
    warnings: tuple[Problem, ...] = ()
    _columns: EvidenceColumns | None = field(default=None, init=False, repr=False, compare=False)

    def columns(self) -> EvidenceColumns:
        """The rows as :class:`EvidenceColumns`, built on the first call and cached."""
        if self._columns is None:
            # The log is immutable, so its columns never go stale; frozen only forbids plain assignment.
            object.__setattr__(self, "_columns", EvidenceColumns.of(self.rows))
        return self._columns
