"""How far the forecast could move within the likelihood ranges (Monte Carlo).

:func:`intervals` gives percentile bands as of a date, :func:`trajectory_intervals`
the band of the daily trajectory. Each draw follows the engine's rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..engine.compiled import CompiledEvidence, Evidence, compile_evidence
from ..engine.frozen import frozen_array, read_only
from ..engine.results import Trajectory
from ..engine.rule import ABSENT, OBSERVED, PENDING, group_contribution, group_contribution_draws, softmax
from ..model import Question
from .points import as_dict

__all__ = [
    "DEFAULT_SEED",
    "Intervals",
    "TrajectoryBand",
    "band_by_day",
    "intervals",
    "report_day_draws",
    "trajectory_intervals",
]


#: The seed of the Monte Carlo draws unless told otherwise, so that reruns agree.
DEFAULT_SEED = 20241208


#: (state, entry) pairs whose band moves are computed at once: bounds the working memory.
_PAIRS_AT_ONCE = 4096


@dataclass(frozen=True, slots=True)
class Intervals:
    """Percentile bands of each scenario's probability over the ranged likelihoods.

    ``bounds[s]`` is ``(low, high)`` at the percentiles ``level``; ``point[s]`` is
    the forecast with every likelihood at its point value (a range's midpoint).
    ``draws[d, j]`` is scenario ``j``'s probability in draw ``d``. ``ranged`` counts
    the ranged likelihoods that moved the forecast (those of indicators with a status).
    """

    scenario_ids: tuple[str, ...]
    point: Mapping[str, float]
    bounds: Mapping[str, tuple[float, float]]
    level: tuple[float, float]
    draws: np.ndarray
    ranged: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "point", read_only(self.point))
        object.__setattr__(self, "bounds", read_only(self.bounds))
        object.__setattr__(self, "draws", frozen_array(self.draws))


@dataclass(frozen=True, slots=True)
class TrajectoryBand:
    """The daily trajectory with its band.

    ``point[k, j]`` is scenario ``j``'s probability on ``dates[k]`` (as in
    :class:`forecast.engine.Trajectory`); ``band[k, j]`` is its ``(low, high)`` at
    the percentiles ``level``.
    """

    dates: tuple[date, ...]
    scenario_ids: tuple[str, ...]
    point: np.ndarray
    band: np.ndarray
    level: tuple[float, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "point", frozen_array(self.point))
        object.__setattr__(self, "band", frozen_array(self.band))


def _check_monte_carlo(draws: int, level: tuple[float, float]) -> tuple[float, float]:
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
        raise ValueError(f"draws must be a whole number of at least 1, got {draws!r}")
    if len(level) != 2 or not 0 <= float(level[0]) <= float(level[1]) <= 100:
        raise ValueError(f"level must be two percentiles with 0 <= low <= high <= 100, got {level!r}")
    return float(level[0]), float(level[1])


@dataclass(frozen=True, slots=True)
class _RangedEntries:
    """Every likelihood the question gives as a range, in question then scenario order."""

    indicator: np.ndarray
    scenario: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def of(cls, question: Question) -> _RangedEntries:
        entries = [
            (k, j, *ind.ranges[s])
            for k, ind in enumerate(question.indicators)
            for j, s in enumerate(question.scenario_ids)
            if s in ind.ranges
        ]
        columns = np.array(entries, float).reshape(-1, 4).T
        return cls(columns[0].astype(np.int64), columns[1].astype(np.int64), columns[2], columns[3])

    def __len__(self) -> int:
        return len(self.indicator)

    def uniforms(self, draws: int, seed: int) -> np.ndarray:
        """One ``U(0, 1)`` per draw and entry; likelihood = low + (high - low) * U."""
        return np.random.default_rng(seed).random((draws, len(self)))


def intervals(
    question: Question,
    evidence: Evidence,
    as_of: date | None = None,
    *,
    draws: int = 2000,
    seed: int = DEFAULT_SEED,
    level: tuple[float, float] = (5.0, 95.0),
) -> Intervals:
    """How far the forecast could move within the likelihood ranges.

    Each draw takes every likelihood given as a range ``[low, high]`` uniformly
    within it, independently of the others and of the other draws; point
    likelihoods stay fixed. The posterior of each draw follows the engine's rule,
    ``log prior + sum of w * log p`` (observed) ``or w * log(1 - p F)`` (not seen
    yet) over the indicators with a status, with the status, weight and ``F`` the
    engine counts, and each dependence group by the group rule. The bounds are
    percentiles of the draws.

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog, iterable of EvidenceRow, or CompiledEvidence
        Reports dated after ``as_of`` are ignored. A compile of this question as of
        this date (:attr:`forecast.Assessment.compiled`) is used as it is, not
        compiled again (see :func:`~forecast.engine.compile_evidence`).
    as_of : date, optional
        Defaults to today.
    draws : int, default 2000
        Number of Monte Carlo draws.
    seed : int, default DEFAULT_SEED
        Seed of the draws: the same inputs and seed give the same output.
    level : (float, float), default (5, 95)
        The percentiles reported as ``(low, high)``.

    Returns
    -------
    Intervals
        ``bounds`` maps each scenario to ``(low, high)``. Without ranged likelihoods
        among the indicators with a status, ``low == high ==`` the point forecast
        exactly.

    Notes
    -----
    Every ranged likelihood of the question is drawn, pending indicators' too
    (they weigh nothing), so a draw is one realisation of the whole checklist and
    the interval on any day equals that day's band in :func:`trajectory_intervals`
    with the same seed. The cost is that of drawing ``draws x ranged`` uniforms
    and taking their logarithm, plus one ``(draws x ranged) @ (ranged x scenarios)``
    product.

    Examples
    --------
    >>> from datetime import date
    >>> from forecast import load_evidence, load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> log = load_evidence("data/evidence/russia-syria-bases.csv", q)
    >>> band = intervals(q, log, date(2025, 3, 1))
    >>> {s: tuple(round(x, 2) for x in b) for s, b in band.bounds.items()}
    {'keep': (0.05, 0.08), 'partial': (0.76, 0.81), 'exit': (0.13, 0.17)}
    """
    level = _check_monte_carlo(draws, level)
    compiled = compile_evidence(question, evidence, as_of)
    ids = question.scenario_ids
    point = softmax(compiled.final_log_posterior())
    entries = _RangedEntries.of(question)
    status = compiled.status[entries.indicator]
    counted = status != PENDING
    if not counted.any():
        return Intervals(
            scenario_ids=ids,
            point=as_dict(ids, point),
            bounds={s: (p, p) for s, p in as_dict(ids, point).items()},
            level=level,
            draws=np.repeat(point[None, :], draws, axis=0),
            ranged=0,
        )
    # With p = low + width * U, log(1 - p F) is log of (1 - low F) - width F U: one affine map and one
    # logarithm per entry, in place, whatever the entry's status. Pending entries become log 1 = 0.
    width = entries.high - entries.low
    observed = status == OBSERVED
    tables, ind = compiled.tables, entries.indicator
    f = np.where(status == ABSENT, tables.fraction(ind, compiled.seen_by[ind].astype(float)), 1.0)
    offset = np.where(observed, entries.low, np.where(counted, 1.0 - entries.low * f, 1.0))
    slope = np.where(observed, width, np.where(counted, -width * f, 0.0))
    sample = entries.uniforms(draws, seed)
    absent = np.flatnonzero(status == ABSENT)
    # A "not seen" contributes sum c log(1 - p F) over the steps of its staircase of looks
    # (its weights are in the coefficients c), so it is drawn on its own and scattered with weight 1.
    drawn_absent = _staircase_logs(
        compiled, ind[absent], entries.low[absent] + width[absent] * sample[:, absent]
    )
    sample *= slope
    sample += offset
    np.log(sample, out=sample)
    sample[:, absent] = drawn_absent
    tables.tempered(sample)
    weight = np.where(status == ABSENT, 1.0, compiled.status_weight[ind])
    grouped = tables.group_of[ind] >= 0
    # Scatter each ungrouped entry's weighted log onto its scenario with one matrix product.
    scatter = np.zeros((len(entries), len(ids)))
    scatter[np.arange(len(entries)), entries.scenario] = np.where(counted & ~grouped, weight, 0.0)
    fixed = compiled.contribution.copy()
    fixed[ind[counted], entries.scenario[counted]] = 0.0
    log_posterior = compiled.log_prior + fixed[tables.ungrouped].sum(axis=0) + sample @ scatter
    # A group's contribution follows the group rule draw by draw: its leader may change.
    for members, rho in tables.groups:
        member_contribution = np.repeat(compiled.contribution[members][None], draws, axis=0)
        slot = np.full(len(question.indicators), -1, np.intp)
        slot[members] = np.arange(len(members))
        for e in np.flatnonzero(counted & (slot[ind] >= 0)).tolist():
            member_contribution[:, slot[ind[e]], entries.scenario[e]] = weight[e] * sample[:, e]
        log_posterior += group_contribution_draws(member_contribution, compiled.has_status[members], rho)
    probabilities = softmax(log_posterior)
    low, high = np.percentile(probabilities, level, axis=0)
    return Intervals(
        scenario_ids=ids,
        point=as_dict(ids, point),
        bounds={s: (lo, hi) for s, lo, hi in zip(ids, low.tolist(), high.tolist())},
        level=level,
        draws=probabilities,
        ranged=int(counted.sum()),
    )


def _staircase_logs(compiled: CompiledEvidence, indicator: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``sum c log(1 - p F)`` over the steps of the final staircase of each "not seen" ``indicator``
    (one column of ``p`` per entry, untempered)."""
    return _steps_logs(compiled, compiled.latest_row_position[indicator], p)


def _steps_logs(compiled: CompiledEvidence, positions: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``sum c log(1 - p F)`` over the steps of the staircase each "not seen" report at ``positions``
    (of ``compiled.by_indicator``) leaves, for each column of ``p`` (one per position), untempered."""
    result = np.zeros((p.shape[0], len(positions)))
    if not len(positions):
        return result
    owner, fraction, coefficient = compiled.staircase_steps(positions)
    terms = np.log1p(-p[:, owner] * fraction)
    terms *= coefficient
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    result[:, owner[starts]] = np.add.reduceat(terms, starts, axis=1)
    return result


def _states_by_report_day(
    compiled: CompiledEvidence, tracked: np.ndarray, report_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Status and weight of the ``tracked`` indicators at the end of each report day.

    Row 0 is the state before any report (all pending), row ``k + 1`` the state at
    the end of ``report_days[k]``. The engine gives each report's indicator's
    status, weight and the date its "not seen" counts from once that report is
    applied; an indicator's state at the end of a day is that after its last report
    on or before the day. The fourth array is that report's position in
    ``compiled.by_indicator`` (-1 before any), where a "not seen" state's staircase is read.
    """
    n_ind = len(compiled.question.indicators)
    column = np.full(n_ind, -1, np.intp)
    column[tracked] = np.arange(len(tracked))
    ind, day = compiled.grouped_indicator, compiled.day[compiled.by_indicator]
    # By indicator, in rule order: the last report of each indicator on each day.
    last = np.ones(compiled.n, bool)
    last[:-1] = (ind[1:] != ind[:-1]) | (day[1:] != day[:-1])
    at = np.flatnonzero(last & (column[ind] >= 0))
    # Where each state begins, then held down the rows (positions rise along a column).
    position = np.full((len(report_days) + 1, len(tracked)), -1, np.intp)
    position[np.searchsorted(report_days, day[at]) + 1, column[ind[at]]] = at
    np.maximum.accumulate(position, axis=0, out=position)
    known = position >= 0
    status = np.where(known, compiled.grouped_observed[position].astype(np.int8), PENDING).astype(np.int8)
    weight = np.where(known, compiled.running_weight[position], 0.0)
    counted_day = np.where(known, compiled.running_day[position], 0)
    return status, weight, counted_day, position


def trajectory_intervals(
    question: Question,
    evidence: Evidence,
    as_of: date | None = None,
    *,
    draws: int = 2000,
    seed: int = DEFAULT_SEED,
    level: tuple[float, float] = (5.0, 95.0),
) -> TrajectoryBand:
    """The daily trajectory with a band from the ranged likelihoods.

    The draws are those of :func:`intervals` (same seed, same draws), so the band
    on any day equals the interval reported as of that day.

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog, iterable of EvidenceRow, or CompiledEvidence
        A compile of this question as of this date (:attr:`forecast.Assessment.compiled`)
        is used as it is, not compiled again (see :func:`~forecast.engine.compile_evidence`).
    as_of : date, optional
        The last day of the trajectory. Defaults to today.
    draws : int, default 2000
    seed : int, default DEFAULT_SEED
    level : (float, float), default (5, 95)

    Returns
    -------
    TrajectoryBand
        ``band`` has shape ``(days, scenarios, 2)``, from the question's opening
        (or ``as_of`` if earlier) to ``as_of``, as the engine's trajectory.

    Notes
    -----
    The forecast only changes on days with reports, so the band is computed on
    the ``K`` distinct report days (plus the prior) and held between them. For
    ``E`` ranged likelihoods and ``S`` scenarios the cost is ``draws x E`` uniforms
    and two logarithms each, matrix products totalling ``2 x draws x E x (K + 1)``
    multiply-adds, and ``draws x (K + 1) x S`` floats of memory. The bundled
    example (16 report days, 8 ranged likelihoods) takes about 20 ms; 2,000
    reports on 300 days with 1,000 ranged likelihoods about 0.4 s; 1,000 report
    days and 5 scenarios hold 80 MB.

    Examples
    --------
    >>> from datetime import date
    >>> from forecast import load_evidence, load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> log = load_evidence("data/evidence/russia-syria-bases.csv", q)
    >>> band = trajectory_intervals(q, log, date(2025, 3, 1))
    >>> band.band.shape
    (84, 3, 2)
    """
    level = _check_monte_carlo(draws, level)
    compiled = compile_evidence(question, evidence, as_of)
    as_of = compiled.as_of
    start = min(question.opened, as_of)
    point = compiled.trajectory(start, as_of)
    report_days, probabilities = report_day_draws(question, compiled, draws, seed)
    if probabilities is None:
        band = np.repeat(point.probabilities[:, :, None], 2, axis=2)
        return TrajectoryBand(point.dates, point.scenario_ids, point.probabilities, band, level)
    return band_by_day(point, report_days, probabilities, level)


def band_by_day(
    point: Trajectory, report_days: np.ndarray, probabilities: np.ndarray, level: tuple[float, float]
) -> TrajectoryBand:
    """The band of ``point``'s days from draws on report days: ``probabilities[d, k]`` is draw ``d``
    after report day ``k - 1`` (``k = 0``: before any report), held until the next report day."""
    bands = np.percentile(probabilities, level, axis=0)  # (2, K + 1, S)
    days = np.array([d.toordinal() for d in point.dates], np.int64)
    state_of_day = np.searchsorted(report_days, days, side="right")
    band = np.moveaxis(bands[:, state_of_day, :], 0, -1)
    return TrajectoryBand(point.dates, point.scenario_ids, point.probabilities, band, level)


def report_day_draws(
    question: Question, compiled: CompiledEvidence, draws: int, seed: int, *, always: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """The report days of ``compiled`` (ordinals) and the forecast's draws after each.

    Returns ``(report_days, probabilities)``: ``probabilities[d, k]`` is draw ``d`` of
    the forecast before any report (``k = 0``) and after report day ``k - 1``; ``None``
    when no ranged likelihood has a status (the forecast is not uncertain then), or with
    ``always``, the point forecast as one draw, shape ``(1, K + 1, S)``.
    """
    _check_monte_carlo(draws, (5.0, 95.0))
    entries = _RangedEntries.of(question)
    day_sorted = compiled.day_sorted
    last_of_day = np.flatnonzero(np.r_[day_sorted[1:] != day_sorted[:-1], True]) if len(day_sorted) else []
    last_of_day = np.asarray(last_of_day, np.intp)
    report_days = day_sorted[last_of_day]
    counted = compiled.status[entries.indicator] != PENDING
    # The point log-posterior after each report day, with the prior before the first.
    base = np.vstack([compiled.log_prior, compiled.log_after[last_of_day]])
    if not counted.any():
        return report_days, softmax(base)[None] if always else None
    tables = compiled.tables
    grouped_indicators = np.flatnonzero(tables.group_of >= 0)
    tracked = np.union1d(entries.indicator, grouped_indicators)
    entry_column = np.searchsorted(tracked, entries.indicator)
    tracked_status, tracked_weight, _, tracked_position = _states_by_report_day(
        compiled, tracked, report_days
    )
    status, weight = tracked_status[:, entry_column], tracked_weight[:, entry_column]  # (K + 1, E)
    ind, scen = entries.indicator, entries.scenario
    ungrouped = tables.group_of[ind] < 0

    # Each draw moves the point log-posterior by w * (log p - log p_point) for observed entries, for
    # every state at once by matrix products, and for "not seen" ones by the same sum over the
    # steps of the state's staircase of looks, sum c (log(1 - p F) - log(1 - p_point F)), pair by pair.
    p = entries.low + (entries.high - entries.low) * entries.uniforms(draws, seed)
    log_p_move = np.log(p) - compiled.log_p[ind, scen]
    shift = np.empty((draws, len(base), len(question.scenario_ids)))
    for j in range(shift.shape[2]):
        on = (scen == j) & ungrouped
        observed = np.where(status[:, on] == OBSERVED, weight[:, on], 0.0)  # (K + 1, entries of j)
        shift[:, :, j] = log_p_move[:, on] @ observed.T
    state, entry = np.nonzero((status == ABSENT) & ungrouped)
    point_p = tables.p[ind, scen]
    position = tracked_position[:, entry_column]
    for chunk in range(0, len(state), _PAIRS_AT_ONCE):
        k, e = state[chunk : chunk + _PAIRS_AT_ONCE], entry[chunk : chunk + _PAIRS_AT_ONCE]
        at = position[k, e]
        move = _steps_logs(compiled, at, p[:, e]) - _steps_logs(
            compiled, at, np.broadcast_to(point_p[e], (1, len(e)))
        )
        for j in range(shift.shape[2]):
            on = scen[e] == j
            one_hot = np.zeros((int(on.sum()), len(base)))
            one_hot[np.arange(len(one_hot)), k[on]] = 1.0
            shift[:, :, j] += move[:, on] @ one_hot
    tables.tempered(shift)  # the moves of the likelihoods, tempered as the rule's contributions are
    if tables.groups:
        _shift_groups(compiled, shift, tracked, tracked_status, tracked_weight, tracked_position, entries, p)
    return report_days, softmax(base + shift)


def _shift_groups(
    compiled: CompiledEvidence,
    shift: np.ndarray,
    tracked: np.ndarray,
    status: np.ndarray,
    weight: np.ndarray,
    position: np.ndarray,
    entries: _RangedEntries,
    p: np.ndarray,
) -> None:
    """Add to ``shift[d, k]`` how each group's contribution moves in draw ``d`` at state ``k``.

    At each state the members' point contributions are the engine's after the report each
    state was left by (``position``, in ``compiled.by_indicator``), the drawn likelihoods put
    in place of the ranged ones (a sighting's ``w log p``, a "not seen"'s sum over the steps
    of its staircase of looks), and the group rule applied draw by draw, against the same rule
    on the point values.
    """
    tables = compiled.tables
    column = np.full(len(compiled.question.indicators), -1, np.intp)
    column[tracked] = np.arange(len(tracked))
    for members, rho in tables.groups:
        cols = column[members]
        ranged = np.flatnonzero(np.isin(entries.indicator, members))
        slot = np.searchsorted(members, entries.indicator[ranged])
        for k in range(shift.shape[1]):
            st, w = status[k, cols], weight[k, cols]
            has = st != PENDING
            if not has.any():
                continue
            at = position[k, cols]
            point = np.zeros((len(members), len(compiled.scenario_ids)))
            point[has] = compiled.applied(at[has]).T
            drawn = np.repeat(point[None], len(p), axis=0)
            for e, m in zip(ranged.tolist(), slot.tolist()):
                if not has[m]:
                    continue
                pe = p[:, e]
                if st[m] == OBSERVED:
                    value = w[m] * np.log(pe)
                else:
                    value = _steps_logs(compiled, at[m : m + 1], pe[:, None])[:, 0]
                drawn[:, m, entries.scenario[e]] = tables.tempered(value)
            shift[:, k] += group_contribution_draws(drawn, has, rho) - group_contribution(point, has, rho)
