"""Analysis depth: uncertainty, critical evidence, what to watch, changes and scoring.

Everything here reads the engine's compiled arrays and works on whole matrices
with numpy, so the update rule stays in one place (:mod:`forecast.engine`):

- :func:`intervals` and :func:`trajectory_intervals` draw the likelihoods given as
  ranges and report percentile bands of the posterior;
- :func:`critical_evidence` and :func:`most_influential` leave out one indicator
  or one report at a time;
- :func:`watch_list` ranks the pending indicators by the information a report
  would bring;
- :func:`compare_summaries` lists what changed since the previous run's
  ``summary.json``;
- :func:`score`, :func:`calibration_bins` and :func:`calibration_points` judge
  resolved questions.

Only numpy is imported, so the notebooks can import this module cheaply.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from .engine import (
    _ABSENT,
    _OBSERVED,
    _PENDING,
    _Compiled,
    assess,
    group_contribution,
    group_contribution_draws,
    softmax,
)
from .model import EvidenceLog, EvidenceRow, Question

__all__ = [
    "DEFAULT_SEED",
    "CalibrationBins",
    "Changes",
    "Influence",
    "Intervals",
    "Score",
    "TrajectoryBand",
    "WatchItem",
    "calibration_bins",
    "calibration_points",
    "compare_summaries",
    "critical_evidence",
    "intervals",
    "most_influential",
    "score",
    "score_forecasts",
    "trajectory_intervals",
    "watch_list",
]

#: The seed of the Monte Carlo draws unless told otherwise, so that reruns agree.
DEFAULT_SEED = 20241208
# A move computed as 9.999999999999998 points is a 10-point move.
_POINTS_TOLERANCE = 1e-9
#: (state, entry) pairs whose band moves are computed at once: bounds the working memory.
_PAIRS_AT_ONCE = 4096

_Evidence = EvidenceLog | Iterable[EvidenceRow]


def _compile(question: Question, evidence: _Evidence, as_of: date | None) -> _Compiled:
    return _Compiled(question, evidence, as_of or date.today())


def _as_dict(keys: Sequence[str], values: np.ndarray) -> dict[str, float]:
    return dict(zip(keys, values.tolist()))


def _at_least(points: np.ndarray, threshold: float) -> np.ndarray:
    return np.abs(points) >= threshold - _POINTS_TOLERANCE


# --------------------------------------------------------------------------- uncertainty


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
    evidence: _Evidence,
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
    evidence : EvidenceLog or iterable of EvidenceRow
        Reports dated after ``as_of`` are ignored.
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
    compiled = _compile(question, evidence, as_of)
    ids = question.scenario_ids
    point = softmax(compiled.final_log_posterior())
    entries = _RangedEntries.of(question)
    status = compiled.status[entries.indicator]
    counted = status != _PENDING
    if not counted.any():
        return Intervals(
            scenario_ids=ids,
            point=_as_dict(ids, point),
            bounds={s: (p, p) for s, p in _as_dict(ids, point).items()},
            level=level,
            draws=np.repeat(point[None, :], draws, axis=0),
            ranged=0,
        )
    # With p = low + width * U, log(1 - p F) is log of (1 - low F) - width F U: one affine map and one
    # logarithm per entry, in place, whatever the entry's status. Pending entries become log 1 = 0.
    width = entries.high - entries.low
    observed = status == _OBSERVED
    tables, ind = compiled.tables, entries.indicator
    f = np.where(status == _ABSENT, tables.fraction(ind, compiled.seen_by[ind].astype(float)), 1.0)
    offset = np.where(observed, entries.low, np.where(counted, 1.0 - entries.low * f, 1.0))
    slope = np.where(observed, width, np.where(counted, -width * f, 0.0))
    sample = entries.uniforms(draws, seed)
    sample *= slope
    sample += offset
    np.log(sample, out=sample)
    weight = compiled.status_weight[ind]
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
        point=_as_dict(ids, point),
        bounds={s: (lo, hi) for s, lo, hi in zip(ids, low.tolist(), high.tolist())},
        level=level,
        draws=probabilities,
        ranged=int(counted.sum()),
    )


def _states_by_report_day(
    compiled: _Compiled, tracked: np.ndarray, report_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status and weight of the ``tracked`` indicators at the end of each report day.

    Row 0 is the state before any report (all pending), row ``k + 1`` the state at
    the end of ``report_days[k]``. The engine gives each report's indicator's
    status, weight and the date its "not seen" counts from once that report is
    applied; an indicator's state at the end of a day is that after its last report
    on or before the day.
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
    status = np.where(known, compiled.grouped_observed[position].astype(np.int8), _PENDING).astype(np.int8)
    weight = np.where(known, compiled.running_weight[position], 0.0)
    counted_day = np.where(known, compiled.running_day[position], 0)
    return status, weight, counted_day


def trajectory_intervals(
    question: Question,
    evidence: _Evidence,
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
    evidence : EvidenceLog or iterable of EvidenceRow
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
    as_of = as_of or date.today()
    compiled = _compile(question, evidence, as_of)
    start = min(question.opened, as_of)
    point = compiled.trajectory(start, as_of)
    entries = _RangedEntries.of(question)
    counted = compiled.status[entries.indicator] != _PENDING
    if not counted.any():
        band = np.repeat(point.probabilities[:, :, None], 2, axis=2)
        return TrajectoryBand(point.dates, point.scenario_ids, point.probabilities, band, level)

    # The point log-posterior after each report day, with the prior before the first.
    last_of_day = np.flatnonzero(np.r_[compiled.day_sorted[1:] != compiled.day_sorted[:-1], True])
    report_days = compiled.day_sorted[last_of_day]
    base = np.vstack([compiled.log_prior, compiled.log_after[last_of_day]])
    tables = compiled.tables
    grouped_indicators = np.flatnonzero(tables.group_of >= 0)
    tracked = np.union1d(entries.indicator, grouped_indicators)
    entry_column = np.searchsorted(tracked, entries.indicator)
    tracked_status, tracked_weight, tracked_day = _states_by_report_day(compiled, tracked, report_days)
    status, weight = tracked_status[:, entry_column], tracked_weight[:, entry_column]  # (K + 1, E)
    ind, scen = entries.indicator, entries.scenario
    fraction = tables.fraction(ind, tracked_day[:, entry_column].astype(float))  # (K + 1, E)
    ungrouped = tables.group_of[ind] < 0

    # Each draw moves the point log-posterior by w * (log p - log p_point) for observed entries and
    # w * (log(1 - p F) - log(1 - p_point F)) for "not seen" ones, on the entry's scenario; those
    # with F = 1 for every state at once, by matrix products, the others pair by pair.
    p = entries.low + (entries.high - entries.low) * entries.uniforms(draws, seed)
    log_p_move = np.log(p) - compiled.log_p[ind, scen]
    log_not_p_move = np.log1p(-p) - compiled.log_not_p[ind, scen]
    full = fraction >= 1.0
    shift = np.empty((draws, len(base), len(question.scenario_ids)))
    for j in range(shift.shape[2]):
        on = (scen == j) & ungrouped
        observed = np.where(status[:, on] == _OBSERVED, weight[:, on], 0.0)  # (K + 1, entries of j)
        absent = np.where((status[:, on] == _ABSENT) & full[:, on], weight[:, on], 0.0)
        shift[:, :, j] = log_p_move[:, on] @ observed.T + log_not_p_move[:, on] @ absent.T
    state, entry = np.nonzero((status == _ABSENT) & ~full & ungrouped)
    point_p = tables.p[ind, scen]
    for chunk in range(0, len(state), _PAIRS_AT_ONCE):
        k, e = state[chunk : chunk + _PAIRS_AT_ONCE], entry[chunk : chunk + _PAIRS_AT_ONCE]
        f = fraction[k, e]
        move = weight[k, e] * (np.log1p(-p[:, e] * f) - np.log1p(-point_p[e] * f))  # (draws, pairs)
        for j in range(shift.shape[2]):
            on = scen[e] == j
            one_hot = np.zeros((int(on.sum()), len(base)))
            one_hot[np.arange(len(one_hot)), k[on]] = 1.0
            shift[:, :, j] += move[:, on] @ one_hot
    if tables.groups:
        _shift_groups(compiled, shift, tracked, tracked_status, tracked_weight, tracked_day, entries, p)
    probabilities = softmax(base + shift)
    bands = np.percentile(probabilities, level, axis=0)  # (2, K + 1, S)

    days = np.arange(start.toordinal(), as_of.toordinal() + 1)
    state_of_day = np.searchsorted(report_days, days, side="right")
    band = np.moveaxis(bands[:, state_of_day, :], 0, -1)
    return TrajectoryBand(point.dates, point.scenario_ids, point.probabilities, band, level)


def _shift_groups(
    compiled: _Compiled,
    shift: np.ndarray,
    tracked: np.ndarray,
    status: np.ndarray,
    weight: np.ndarray,
    counted_day: np.ndarray,
    entries: _RangedEntries,
    p: np.ndarray,
) -> None:
    """Add to ``shift[d, k]`` how each group's contribution moves in draw ``d`` at state ``k``.

    At each state the members' point contributions are rebuilt from their status, weight and
    date, the drawn likelihoods put in place of the ranged ones, and the group rule applied
    draw by draw, against the same rule on the point values.
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
            has = st != _PENDING
            if not has.any():
                continue
            day = counted_day[k, cols].astype(float)
            point = w[:, None] * tables.log_likelihood(members, st == _OBSERVED, day)
            point[~has] = 0.0
            drawn = np.repeat(point[None], len(p), axis=0)
            f = tables.fraction(members, day)
            for e, m in zip(ranged.tolist(), slot.tolist()):
                if not has[m]:
                    continue
                pe = p[:, e]
                value = np.log(pe) if st[m] == _OBSERVED else np.log1p(-pe * f[m])
                drawn[:, m, entries.scenario[e]] = w[m] * value
            shift[:, k] += group_contribution_draws(drawn, has, rho) - group_contribution(point, has, rho)


# --------------------------------------------------------------------------- critical evidence


@dataclass(frozen=True, slots=True)
class Influence:
    """What the forecast would be without one indicator or one report.

    ``kind`` is ``"indicator"`` (its contribution dropped, its group, if any,
    re-formed by the group rule without it), ``"group"`` (every member dropped) or
    ``"report"`` (the report removed and its indicator's status and weight
    re-derived by the rule); ``id`` is the indicator's, the group's or the report's
    id, and ``indicator`` the indicator's id (empty for a group). ``change[s]`` is how many
    percentage points scenario ``s`` would move if it were left out (without minus
    with): negative where this evidence is holding the scenario up.

    The numbers are kept as ``without`` and ``moves``, in the order of
    ``scenario_ids``; the mappings are built when read, so that a long list of
    items costs little to make.
    """

    kind: str
    id: str
    indicator: str
    scenario_ids: tuple[str, ...]
    without: Sequence[float]
    moves: Sequence[float]
    leading_without: str
    leader_changes: bool
    row: EvidenceRow | None = None

    @property
    def probabilities_without(self) -> dict[str, float]:
        """Each scenario's probability without this evidence."""
        return dict(zip(self.scenario_ids, self.without))

    @property
    def change(self) -> dict[str, float]:
        """Each scenario's move, in points, if this evidence were left out."""
        return dict(zip(self.scenario_ids, self.moves))

    @property
    def largest_move(self) -> float:
        """The largest move of any scenario, in points (absolute value)."""
        return max(abs(v) for v in self.moves)


def _log_posterior_without_each_indicator(compiled: _Compiled) -> tuple[np.ndarray, np.ndarray]:
    """Indicators with a status (question order), and the log-posterior without each of them.

    A group member left out leaves its group to the others, by the group rule.
    """
    counted = np.flatnonzero(compiled.has_status)
    nothing = np.zeros((len(counted), len(compiled.scenario_ids)))
    return counted, compiled.log_posterior_replacing(counted, nothing, np.zeros(len(counted), bool))


def _reports_that_can_matter(compiled: _Compiled) -> np.ndarray:
    """The reports whose removal can change their indicator's status or weight, by position in
    ``compiled.by_indicator``.

    Per indicator there are at most two: the one whose weight counts (removing a
    report that only corroborates leaves the same maximum), and the last report
    before the final run (removing it can join the final run to the run before).
    Reports superseded earlier cannot reach the status.
    """
    runs = compiled.runs
    _, setters = runs.setters()
    has_earlier_run = runs.final_start > np.flatnonzero(runs.first)
    return np.union1d(setters, runs.final_start[has_earlier_run] - 1)


def _log_posterior_without_each_report(compiled: _Compiled) -> np.ndarray:
    """The log-posterior without each counted report, in ``compiled.rows`` order."""
    total = compiled.final_log_posterior()
    result = np.repeat(total[None, :], compiled.n, axis=0)
    positions = _reports_that_can_matter(compiled)
    if positions.size:
        reports = compiled.by_indicator[positions]
        indicator = compiled.indicator[reports]
        contribution, has_status = compiled.contribution_without(positions)
        result[reports] = compiled.log_posterior_replacing(indicator, contribution, has_status)
    return result


def _influence(
    question: Question,
    kind: str,
    item: str,
    indicator: str,
    row: EvidenceRow | None,
    probabilities: np.ndarray,
    now: np.ndarray,
) -> Influence:
    scenario_ids = question.scenario_ids
    leader = int(np.argmax(probabilities))
    return Influence(
        kind=kind,
        id=item,
        indicator=indicator,
        scenario_ids=scenario_ids,
        without=probabilities.tolist(),
        moves=((probabilities - now) * 100.0).tolist(),
        leading_without=scenario_ids[leader],
        leader_changes=leader != int(np.argmax(now)),
        row=row,
    )


def critical_evidence(
    question: Question,
    evidence: _Evidence,
    as_of: date | None = None,
    *,
    threshold_points: float = 10.0,
) -> list[Influence]:
    """The indicators and reports the forecast hangs on.

    Leaves out, one at a time, (a) each indicator with a status (its whole
    contribution, its group re-formed without it), (b) each dependence group with
    a member that has a status (the whole group), so that redundant evidence
    cannot hide, and (c) each counted report (the report removed, and its
    indicator's status and weight re-derived by the engine's rule: removing a
    later denial restores an earlier sighting). Keeps those whose removal changes
    the leading scenario or moves any scenario by at least ``threshold_points``.

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog or iterable of EvidenceRow
    as_of : date, optional
        Defaults to today.
    threshold_points : float, default 10
        The move, in percentage points, that makes an item critical.

    Returns
    -------
    list of Influence
        Largest move first; on a tie, indicators (question order), then groups
        (question order), then reports (file order).

    Notes
    -----
    Leaving out indicators costs ``O(indicators x scenarios)``: the total
    log-posterior minus each indicator's row of contributions. Leaving out reports
    compiles, once, a log of at most two cases per indicator (the only reports
    whose removal can change a status or weight), so it is linear in the log.

    Examples
    --------
    >>> from datetime import date
    >>> from forecast import load_evidence, load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> log = load_evidence("data/evidence/russia-syria-bases.csv", q)
    >>> [(i.kind, i.id) for i in critical_evidence(q, log, date(2025, 3, 1), threshold_points=7)]
    [('indicator', 'limited-presence-deal-near'), ('report', 'e032'), ('indicator', 'syria-leaders-want-russia-to-stay'), ('report', 'e021')]
    """
    if not threshold_points >= 0:
        raise ValueError(
            f"threshold_points must be a number of points of at least 0, got {threshold_points!r}"
        )
    compiled = _compile(question, evidence, as_of)
    now = softmax(compiled.final_log_posterior())
    counted, without_indicator = _log_posterior_without_each_indicator(compiled)
    groups, without_group = compiled.log_posterior_without_each_group()
    without = np.vstack(
        [
            softmax(without_indicator),
            softmax(without_group),
            softmax(_log_posterior_without_each_report(compiled)),
        ]
    )
    change = (without - now) * 100.0
    critical = (np.argmax(without, axis=1) != np.argmax(now)) | _at_least(change, threshold_points).any(
        axis=1
    )
    selected = np.flatnonzero(critical)
    selected = selected[np.argsort(-np.abs(change[selected]).max(axis=1), kind="stable")]
    # Built in bulk: the leaders and every number come out of numpy once, not once per item.
    ids, now_leader = question.scenario_ids, int(np.argmax(now))
    leaders = np.argmax(without[selected], axis=1).tolist() if selected.size else []
    probabilities, changes = without[selected].tolist(), change[selected].tolist()
    group_ids, indicators = list(question.groups), question.indicators
    n_indicators, n_before_reports = len(counted), len(counted) + len(groups)
    counted_list, kept, source = counted.tolist(), compiled.kept, compiled.source
    result = []
    for k, leader, p, moved in zip(selected.tolist(), leaders, probabilities, changes):
        if k < n_indicators:
            kind, row = "indicator", None
            item = indicator = indicators[counted_list[k]].id
        elif k < n_before_reports:
            kind, row, indicator = "group", None, ""
            item = group_ids[groups[k - n_indicators]]
        else:
            kind, row = "report", source[int(kept[k - n_before_reports])]
            item, indicator = row.id, row.indicator
        result.append(Influence(kind, item, indicator, ids, p, moved, ids[leader], leader != now_leader, row))
    return result


def most_influential(
    question: Question, evidence: _Evidence, as_of: date | None = None
) -> dict[str, Influence | None]:
    """For each scenario, the indicator holding it up the most.

    That is the indicator whose removal (dropping its contribution) would lower
    the scenario's probability the most.

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog or iterable of EvidenceRow
    as_of : date, optional
        Defaults to today.

    Returns
    -------
    dict
        Scenario id to :class:`Influence` (kind ``"indicator"``), or ``None`` when
        no indicator's removal would lower that scenario (no evidence supports it).
        On a tie the indicator listed first in the question wins.

    Notes
    -----
    One compile plus ``O(indicators x scenarios)`` array work.

    Examples
    --------
    >>> from datetime import date
    >>> from forecast import load_evidence, load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> log = load_evidence("data/evidence/russia-syria-bases.csv", q)
    >>> {s: i.id for s, i in most_influential(q, log, date(2025, 3, 1)).items()}
    {'keep': 'syria-leaders-want-russia-to-stay', 'partial': 'limited-presence-deal-near', 'exit': 'tartus-commercial-contract-cancelled'}
    """
    compiled = _compile(question, evidence, as_of)
    now = softmax(compiled.final_log_posterior())
    counted, without = _log_posterior_without_each_indicator(compiled)
    probabilities = softmax(without)
    result: dict[str, Influence | None] = {}
    for j, scenario in enumerate(question.scenario_ids):
        k = int(np.argmin(probabilities[:, j])) if counted.size else -1
        if k < 0 or probabilities[k, j] >= now[j]:
            result[scenario] = None
            continue
        iid = question.indicators[int(counted[k])].id
        result[scenario] = _influence(question, "indicator", iid, iid, None, probabilities[k], now)
    return result


# --------------------------------------------------------------------------- what to watch


@dataclass(frozen=True, slots=True)
class WatchItem:
    """An indicator still worth watching and what a report on it would do.

    It is pending, or "not seen yet" with its window still open (``not_yet``).
    ``p_reported`` is the probability, under the current forecast, that it will be
    seen; ``if_observed`` and ``if_absent`` are the forecasts after an A1 report
    that it was seen (dated as of the forecast) or confirmed absent (dated at the
    window's end); ``information_bits`` is the expected fall in the forecast's
    entropy. ``window`` is the indicator's window and ``group`` its group, if any.
    """

    indicator: str
    text: str
    signals: str
    tripwire: bool
    p_reported: float
    if_observed: Mapping[str, float]
    if_absent: Mapping[str, float]
    information_bits: float
    not_yet: bool = False
    window: tuple[date, date] | None = None
    group: str | None = None


def _entropy_bits(p: np.ndarray) -> np.ndarray:
    """Shannon entropy in bits along the last axis, with 0 log 0 = 0."""
    positive = p > 0
    return -np.sum(np.where(positive, p * np.log2(np.where(positive, p, 1.0)), 0.0), axis=-1)


def watch_list(
    question: Question, evidence: _Evidence, as_of: date | None = None, *, top: int | None = None
) -> list[WatchItem]:
    """The indicators still worth watching, most informative first.

    They are the indicators with no report yet, and those "not seen yet" whose
    window is still open (it ends after ``as_of``). Under scenario ``s`` the chance
    that one is still seen is ``q(s) = p(s)`` if pending, and
    ``p(s) (1 - F) / (1 - p(s) F)`` if not seen by a date at which a fraction ``F``
    of its window had passed. Under the current forecast ``post``:
    ``P(reported) = sum_s post(s) q(s)``; the forecasts if an A1 report (weight
    ``question.weight("A", 1)``) says it was seen (as of ``as_of``) or confirmed
    absent (dated at the window's end, so ``F = 1``), each by the engine's rule,
    groups included; and the expected information gain in bits,
    ``H(post) - [P(reported) H(post | seen) + (1 - P(reported)) H(post | absent)]``.

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog or iterable of EvidenceRow
    as_of : date, optional
        Defaults to today.
    top : int, optional
        Keep only the first ``top`` items. Defaults to all.

    Returns
    -------
    list of WatchItem
        By information gain, largest first; on a tie, in question order.

    Examples
    --------
    >>> from datetime import date
    >>> from forecast import load_evidence, load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> log = load_evidence("data/evidence/russia-syria-bases.csv", q)
    >>> [(w.indicator, round(w.information_bits, 3)) for w in watch_list(q, log, date(2025, 3, 1), top=2)]
    [('formal-withdrawal-or-termination', 0.305), ('reduced-terms-agreement-signed', 0.225)]
    """
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 0):
        raise ValueError(f"top must be a whole number of at least 0 or None, got {top!r}")
    compiled = _compile(question, evidence, as_of)
    as_of = as_of or date.today()
    tables = compiled.tables
    post = softmax(compiled.final_log_posterior())
    window_end = np.array([question.window_of(i)[1].toordinal() for i in question.indicators], np.int64)
    open_absent = (compiled.status == _ABSENT) & (window_end > as_of.toordinal())
    watched = np.flatnonzero((compiled.status == _PENDING) | open_absent)
    not_yet = open_absent[watched]
    p = tables.p[watched]
    seen_by = compiled.seen_by[watched].astype(float)
    f = np.where(not_yet, tables.fraction(watched, seen_by), 0.0)[:, None]
    q = p * (1.0 - f) / (1.0 - p * f)
    p_reported = q @ post
    # Seen: an A1 report as of the date starts a new run. Confirmed absent: an A1 report at the
    # window's end joins the "not seen" run, and counts from its date if it is the strongest.
    weight = question.weight("A", 1)
    held = compiled.status_weight[watched]
    absent_weight = np.where(not_yet, np.maximum(held, weight), weight)
    absent_day = np.where(not_yet & (weight < held), seen_by, window_end[watched].astype(float))
    said_yes, said_no = np.ones(len(watched), bool), np.zeros(len(watched), bool)
    has_status = said_yes  # after either report, every watched indicator has a status
    seen_log = weight * tables.log_likelihood(watched, said_yes, seen_by)
    absent_log = absent_weight[:, None] * tables.log_likelihood(watched, said_no, absent_day)
    if_observed = softmax(compiled.log_posterior_replacing(watched, seen_log, has_status))
    if_absent = softmax(compiled.log_posterior_replacing(watched, absent_log, has_status))
    gain = _entropy_bits(post) - (
        p_reported * _entropy_bits(if_observed) + (1.0 - p_reported) * _entropy_bits(if_absent)
    )
    ranked = np.argsort(-gain, kind="stable")[:top]
    ids = question.scenario_ids
    items = []
    for k in ranked.tolist():
        ind = question.indicators[int(watched[k])]
        items.append(
            WatchItem(
                indicator=ind.id,
                text=ind.text,
                signals=ind.signals,
                tripwire=ind.tripwire,
                p_reported=float(p_reported[k]),
                if_observed=_as_dict(ids, if_observed[k]),
                if_absent=_as_dict(ids, if_absent[k]),
                information_bits=float(gain[k]),
                not_yet=bool(not_yet[k]),
                window=question.window_of(ind),
                group=ind.group,
            )
        )
    return items


# --------------------------------------------------------------------------- changes since last run


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed between two runs' summaries.

    ``moves[s]`` is scenario ``s``'s move in percentage points (current minus
    previous), for the scenarios both summaries give. ``status_changes`` maps an
    indicator to ``(before, now)``. ``tripwires_fired`` lists the tripwires fired
    now that had not fired before. ``alert`` is true when a scenario moved by at
    least ``threshold_points``; ``alerting`` lists those scenarios.
    """

    question: str
    as_of: str
    previous_as_of: str | None
    moves: Mapping[str, float]
    leading: str | None
    previous_leading: str | None
    evidence_added: tuple[str, ...]
    evidence_removed: tuple[str, ...]
    status_changes: Mapping[str, tuple[str, str]]
    tripwires_fired: tuple[str, ...]
    alert: bool
    alerting: tuple[str, ...]
    threshold_points: float

    @property
    def leader_changed(self) -> bool:
        """Whether the leading scenario differs from the previous run's (false on a first run)."""
        return self.previous_leading is not None and self.previous_leading != self.leading


def _mapping(summary: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = summary.get(key)
    return value if isinstance(value, Mapping) else {}


def _listing(summary: Mapping[str, Any], key: str) -> list[Any]:
    value = summary.get(key)
    return list(value) if isinstance(value, (list, tuple)) else []


def compare_summaries(
    current: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    *,
    threshold_points: float = 10.0,
) -> Changes:
    """What changed since the previous run, from two ``summary.json`` dicts.

    Parameters
    ----------
    current, previous : dict
        Summaries with the keys ``question``, ``as_of``, ``probabilities`` (scenario
        id to probability), ``leading``, ``evidence_ids``, ``indicator_status``
        (indicator id to ``"observed"``, ``"not observed"`` or ``"pending"``) and
        ``tripwires_fired``. A missing key counts as empty (an indicator missing
        from ``indicator_status`` as pending), so summaries written by older
        versions compare without error. ``previous`` is ``None`` on a first run.
    threshold_points : float, default 10
        The move, in percentage points, that raises an alert.

    Returns
    -------
    Changes

    Examples
    --------
    >>> before = {"as_of": "2025-02-01", "probabilities": {"a": 0.5, "b": 0.5}, "evidence_ids": ["e1"]}
    >>> now = {"as_of": "2025-02-08", "probabilities": {"a": 0.62, "b": 0.38}, "evidence_ids": ["e1", "e2"]}
    >>> changes = compare_summaries(now, before, threshold_points=10)
    >>> {s: round(m, 1) for s, m in changes.moves.items()}, changes.evidence_added, changes.alerting
    ({'a': 12.0, 'b': -12.0}, ('e2',), ('a', 'b'))
    """
    if not threshold_points >= 0:
        raise ValueError(
            f"threshold_points must be a number of points of at least 0, got {threshold_points!r}"
        )
    before: Mapping[str, Any] = previous if isinstance(previous, Mapping) else {}
    now_p, before_p = _mapping(current, "probabilities"), _mapping(before, "probabilities")
    moves = {s: (float(p) - float(before_p[s])) * 100.0 for s, p in now_p.items() if s in before_p}
    alerting = tuple(s for s, m in moves.items() if _at_least(np.array(m), threshold_points))

    ids_now, ids_before = _listing(current, "evidence_ids"), _listing(before, "evidence_ids")
    status_now, status_before = _mapping(current, "indicator_status"), _mapping(before, "indicator_status")
    fired_before = set(_listing(before, "tripwires_fired"))
    return Changes(
        question=str(current.get("question", "")),
        as_of=str(current.get("as_of", "")),
        previous_as_of=before.get("as_of"),
        moves=moves,
        leading=current.get("leading"),
        previous_leading=before.get("leading"),
        evidence_added=tuple(i for i in ids_now if i not in set(ids_before)),
        evidence_removed=tuple(i for i in ids_before if i not in set(ids_now)),
        status_changes={
            i: (status_before.get(i, "pending"), s)
            for i, s in status_now.items()
            if status_before.get(i, "pending") != s
        },
        tripwires_fired=tuple(t for t in _listing(current, "tripwires_fired") if t not in fired_before),
        alert=bool(alerting),
        alerting=alerting,
        threshold_points=float(threshold_points),
    )


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True, slots=True)
class Score:
    """How well a resolved question was forecast.

    Brier scores are multi-category, ``sum_s (f_s - o_s)^2`` with ``o`` one-hot on
    the resolved scenario: 0 is perfect, 2 the worst. Log scores are
    ``-ln f_resolved``: 0 is perfect, lower is better, and a zero probability on
    what happened scores infinity. ``*_final`` score the forecast as of the
    resolution date; ``*_daily`` average the daily forecasts from the opening to
    the resolution date inclusive (``days`` of them); ``*_prior`` score the priors
    alone (the same every day). ``skill_* = 1 - brier_* / brier_prior``: 1 is
    perfect, 0 no better than the priors, negative worse.
    """

    question: str
    resolved: str
    resolution_date: date
    days: int
    brier_final: float
    brier_daily: float
    brier_prior: float
    log_final: float
    log_daily: float
    log_prior: float
    skill_final: float
    skill_daily: float


def _brier(forecast: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    return np.sum((forecast - outcome) ** 2, axis=-1)


def _log_loss(probability: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return -np.log(probability)


def score(question: Question, evidence: _Evidence) -> Score:
    """Brier and log scores of a resolved question's forecasts, against the priors.

    Parameters
    ----------
    question : Question
        A question with a ``resolution``.
    evidence : EvidenceLog or iterable of EvidenceRow
        Reports dated after the resolution date are ignored.

    Returns
    -------
    Score
        See :class:`Score` for the definitions; lower Brier and log scores are better.

    Raises
    ------
    ValueError
        If the question has no resolution, or it names no scenario of the question,
        or it is dated before the question opened.

    References
    ----------
    G. W. Brier, "Verification of forecasts expressed in terms of probability",
    Monthly Weather Review 78 (1950) 1-3.

    Examples
    --------
    >>> from datetime import date
    >>> from forecast import Resolution, load_evidence, load_question
    >>> from dataclasses import replace
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> q = replace(q, resolution=Resolution("partial", date(2025, 3, 1)))
    >>> s = score(q, load_evidence("data/evidence/russia-syria-bases.csv", q))
    >>> round(s.brier_final, 3), round(s.brier_prior, 3), round(s.skill_final, 2)
    (0.074, 0.545, 0.86)
    """
    resolution = question.resolution
    if resolution is None:
        raise ValueError(
            f"question {question.id!r} has no resolution; scoring needs a resolved question "
            "(a resolution with the scenario that happened and its date)"
        )
    ids = question.scenario_ids
    if resolution.scenario not in ids:
        raise ValueError(
            f"question {question.id!r} resolved as {resolution.scenario!r}, which is not a scenario; "
            f"expected one of {', '.join(ids)}"
        )
    if resolution.date < question.opened:
        raise ValueError(
            f"question {question.id!r} resolved on {resolution.date}, before it opened on {question.opened}"
        )
    assessment = assess(question, evidence, resolution.date)
    final = np.array([assessment.probabilities[s] for s in ids])
    prior = np.array([s.prior for s in question.scenarios])
    return score_forecasts(question, assessment.trajectory.probabilities, final, prior)


def score_forecasts(question: Question, daily: np.ndarray, final: np.ndarray, prior: np.ndarray) -> Score:
    """The :class:`Score` of given forecasts of a resolved question: what :func:`score` reports.

    Parameters
    ----------
    question : Question
        A question with a valid ``resolution`` (as :func:`score` checks).
    daily : ndarray, shape (days, scenarios)
        The forecast of each day scored, in the question's scenario order.
    final : ndarray, shape (scenarios,)
        The forecast as of the resolution date.
    prior : ndarray, shape (scenarios,)
        The forecast before any evidence, which the skills compare with.

    Returns
    -------
    Score
    """
    resolution = question.resolution
    ids = question.scenario_ids
    outcome = (np.array(ids) == resolution.scenario).astype(float)
    resolved = ids.index(resolution.scenario)
    daily = np.asarray(daily, float)
    final, prior = np.asarray(final, float), np.asarray(prior, float)
    brier_prior = float(_brier(prior, outcome))
    brier_final = float(_brier(final, outcome))
    brier_daily = float(_brier(daily, outcome).mean())
    skill = (lambda b: 1.0 - b / brier_prior) if brier_prior > 0 else (lambda b: math.nan)
    return Score(
        question=question.id,
        resolved=resolution.scenario,
        resolution_date=resolution.date,
        days=len(daily),
        brier_final=brier_final,
        brier_daily=brier_daily,
        brier_prior=brier_prior,
        log_final=float(_log_loss(final[resolved])),
        log_daily=float(_log_loss(daily[:, resolved]).mean()),
        log_prior=float(_log_loss(prior[resolved])),
        skill_final=skill(brier_final),
        skill_daily=skill(brier_daily),
    )


# --------------------------------------------------------------------------- calibration


@dataclass(frozen=True, slots=True)
class CalibrationBins:
    """Forecast probabilities binned against how often the outcome happened.

    Bin ``k`` covers ``[edges[k], edges[k + 1])``, the last one closed on the
    right. ``count[k]`` forecasts fell in it, with mean ``mean_predicted[k]``, and
    ``frequency[k]`` of them happened; both are NaN for an empty bin.
    """

    edges: np.ndarray
    count: np.ndarray
    mean_predicted: np.ndarray
    frequency: np.ndarray


def calibration_bins(
    forecasts: Sequence[tuple[float, bool]] | np.ndarray,
    bins: int = 10,
    *,
    outcomes: Sequence[bool] | np.ndarray | None = None,
) -> CalibrationBins:
    """Calibration table: predicted probability bins against observed frequency.

    Parameters
    ----------
    forecasts : sequence of (probability, happened) pairs, or array
        The pairs (an ``(n, 2)`` array works too); or, with ``outcomes``, the
        probabilities alone.
    bins : int, default 10
        Number of equal-width bins on [0, 1].
    outcomes : sequence of bool or array, optional
        Whether each forecast outcome happened, when ``forecasts`` holds only the
        probabilities.

    Returns
    -------
    CalibrationBins

    Raises
    ------
    ValueError
        If a probability is outside [0, 1], an outcome is not true/false (1/0),
        the lengths differ, or ``bins`` is not a whole number of at least 1.

    Examples
    --------
    >>> table = calibration_bins([(0.1, False), (0.15, True), (0.8, True), (1.0, True)], bins=2)
    >>> table.count.tolist(), table.frequency.tolist()
    ([2, 2], [0.5, 1.0])
    """
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a whole number of at least 1, got {bins!r}")
    if outcomes is None:
        pairs = np.asarray(forecasts, dtype=float)
        if pairs.size == 0:
            pairs = pairs.reshape(0, 2)
        if pairs.ndim != 2 or pairs.shape[1] != 2:
            raise ValueError("forecasts must be (probability, happened) pairs, or pass outcomes= separately")
        probability, happened = pairs[:, 0], pairs[:, 1]
    else:
        probability = np.asarray(forecasts, dtype=float).ravel()
        happened = np.asarray(outcomes, dtype=float).ravel()
        if probability.shape != happened.shape:
            raise ValueError(
                f"expected one outcome per forecast, got {len(probability)} forecasts and {len(happened)} outcomes"
            )
    if not np.all((probability >= 0) & (probability <= 1)):
        raise ValueError("forecast probabilities must be between 0 and 1")
    if not np.all((happened == 0) | (happened == 1)):
        raise ValueError("outcomes must be true or false (1 or 0)")
    edges = np.arange(bins + 1) / bins
    # Against the edges themselves, so that 0.3 lands in [0.3, 0.4) although 0.3 * 10 != 3 exactly.
    index = np.minimum(np.searchsorted(edges, probability, side="right") - 1, bins - 1)
    count = np.bincount(index, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_predicted = np.bincount(index, weights=probability, minlength=bins) / count
        frequency = np.bincount(index, weights=happened, minlength=bins) / count
    return CalibrationBins(edges=edges, count=count, mean_predicted=mean_predicted, frequency=frequency)


def calibration_points(
    questions_with_evidence: Iterable[tuple[Question, _Evidence]],
) -> list[tuple[float, bool]]:
    """(probability, happened) pairs from every scenario of every resolved question.

    Each resolved question gives one pair per scenario: its final forecast, as
    of the resolution date, and whether that scenario is the one that happened.
    Final rather than daily forecasts, so that a long-open question does not
    outweigh a short one with many near-identical days. Unresolved questions are
    skipped.

    Parameters
    ----------
    questions_with_evidence : iterable of (Question, evidence)

    Returns
    -------
    list of (float, bool)
        In the order given, scenarios in question order; ready for
        :func:`calibration_bins`.

    Examples
    --------
    >>> from datetime import date
    >>> from dataclasses import replace
    >>> from forecast import Resolution, load_evidence, load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> q = replace(q, resolution=Resolution("partial", date(2025, 3, 1)))
    >>> log = load_evidence("data/evidence/russia-syria-bases.csv", q)
    >>> [(round(p, 2), happened) for p, happened in calibration_points([(q, log)])]
    [(0.07, False), (0.78, True), (0.15, False)]
    """
    points = []
    for question, evidence in questions_with_evidence:
        if question.resolution is None:
            continue
        compiled = _compile(question, evidence, question.resolution.date)
        final = softmax(compiled.final_log_posterior()).tolist()
        points.extend((p, s == question.resolution.scenario) for s, p in zip(question.scenario_ids, final))
    return points
