"""The rule applied to an evidence log as of a date, vectorised with numpy.

:class:`CompiledEvidence` reads a log's columns once and derives, lazily, each
indicator's status and weight, each report's role and effect, and the daily
trajectory; :func:`posterior_as_of` and :func:`trajectory` are its public
faces, and :class:`forecast.Assessment` reads everything else off one compiled
log. Everything is computed in log space, so a log of a hundred
thousand reports costs milliseconds. The rule itself is in :mod:`.rule`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import cached_property, lru_cache
from itertools import product, repeat
from operator import itemgetter

import numpy as np

from ..errors import ArgumentError
from ..model import EvidenceColumns, EvidenceLog, EvidenceRow, Question, as_of_refused
from .dates import as_of_date
from .results import AuditEntry, IndicatorState, Trajectory
from .rule import (
    PENDING,
    ROLE_AFTER_AS_OF,
    ROLE_NAMES,
    absence_contribution,
    group_contribution,
    group_leader,
    group_rule,
    group_total,
    heavier_before,
    rule_tables,
    softmax,
)

__all__ = [
    "CompiledEvidence",
    "Evidence",
    "compile_evidence",
    "posterior_as_of",
    "trajectory",
]


#: Reports taken at a time where the engine walks a long log in blocks, to keep its working memory small.
_BLOCK = 1 << 14


_INT16_MAX = 32767


#: Logs of up to this many counted reports have their final states found with one packed integer key;
#: longer ones by the runs, which their analyses share. Below it, fewer numpy calls win; above it, fewer
#: and narrower passes over memory. (Where the packed sort keys do not apply, see ``_packed_order``,
#: such logs are also put in the rule's order by one lexsort, longer ones by radix passes.)
_SHORT_LOG = 4096


#: Runs of up to this many reports have their top ranks found by a doubling window, in
#: ``ceil(log2(longest run))`` vectorised passes; longer ones by sequential scans.
_SHORT_RUN = 64


@lru_cache(maxsize=64)
def _days(first: int, n_days: int) -> tuple[date, ...]:
    """``n_days`` consecutive dates from the ordinal ``first``: built once per span, as they are immutable."""
    return tuple(map(date.fromordinal, range(first, first + n_days)))


def _lookup(table: Mapping, keys: Sequence) -> object:
    """``table[key]`` for every key, in one C loop: a tuple of the values (the value itself for one key).

    Raises ``KeyError`` for a key the table lacks.
    """
    return itemgetter(*keys)(table) if keys else ()


def _columns_of(
    evidence: EvidenceLog | Iterable[EvidenceRow],
) -> tuple[Sequence[EvidenceRow], EvidenceColumns]:
    """The rows and their columns: cached on an :class:`EvidenceLog`, read afresh from anything else."""
    if isinstance(evidence, CompiledEvidence):  # another date's or question's compile of the same log
        evidence = evidence.evidence
    if isinstance(evidence, EvidenceLog):
        return evidence.rows, evidence.columns()
    rows = evidence if isinstance(evidence, tuple) else tuple(evidence)
    return rows, EvidenceColumns.of(rows)


class _Runs:
    """Reports grouped by indicator, each group in rule order, and where each group ends up.

    A run is a stretch of one group's reports that say the same thing; the group's
    status is its last report's, and its weight the top rank within its final run.
    """

    def __init__(self, group: np.ndarray, observed: np.ndarray, rank: np.ndarray, n_levels: int) -> None:
        n = len(group)
        self.first = np.ones(n, bool)
        self.first[1:] = group[1:] != group[:-1]
        self.new_run = self.first.copy()
        self.new_run[1:] |= observed[1:] != observed[:-1]
        starts = np.flatnonzero(self.first)
        #: position of each group's last report
        self.last = np.append(starts[1:], n)[: len(starts)] - 1
        # The top rank so far within each report's run, for every run at once: ranks are offset by
        # run, so that no run's maximum reaches into the next.
        dtype = np.int32 if (n + 1) * n_levels < 2**31 else np.int64
        run_starts = np.flatnonzero(self.new_run)
        longest = int(np.diff(run_starts, append=n).max()) if n else 0
        if longest <= _SHORT_RUN:
            # Runs this short: the offset is the run's first position (times the levels), and both
            # it and the top rank are maxima over the last ``longest`` reports, found by doubling
            # a window (a few vectorised passes), not by sequential scans. Earlier runs' values are
            # all below the run's own, so a window reaching into them changes nothing.
            offset = np.arange(0, n * n_levels, n_levels, dtype=dtype)
            offset *= self.new_run
            offset = _window_max(offset, longest)
            running = _window_max(offset + rank, longest)
        else:
            offset = np.cumsum(self.new_run, dtype=dtype)
            offset *= n_levels
            running = np.maximum.accumulate(offset + rank) if n else offset
        running -= offset
        #: the rank of the top weight so far in each report's run, and at the end of each group
        self.running = running
        self.top = running[self.last]
        self._rank = rank
        self._final_observed = observed[self.last]

    @cached_property
    def marked(self) -> np.ndarray:
        """Positions of the reports whose weight is their run's top so far (so every run's first).

        Such a report begins a state: from it its indicator's weight and date count, and the
        reports after it in the run that are lighter leave the state as it was.
        """
        return np.flatnonzero(self._rank == self.running)

    def latest_marked(self, positions: np.ndarray) -> np.ndarray:
        """For each position, the latest marked position at or before it (in its own run)."""
        marked = self.marked
        return marked[np.searchsorted(marked, positions, side="right") - 1]

    @cached_property
    def latest_top(self) -> np.ndarray:
        """Position of the latest report so far in each report's run whose weight is the run's top so far."""
        n = len(self._rank)
        if not n:
            return np.zeros(0, np.intp)
        positions = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)
        return np.maximum.accumulate(np.where(self._rank == self.running, positions, 0))

    @cached_property
    def final_start(self) -> np.ndarray:
        """Position of the first report of each group's final run."""
        run_starts = np.flatnonzero(self.new_run)
        return run_starts[np.searchsorted(run_starts, self.last, side="right") - 1]

    def setters(self) -> tuple[np.ndarray, np.ndarray]:
        """Whether each report is in its group's final run, and the report each group's weight counts from.

        That is the first report of top rank for a sighting, and the latest report of top rank
        for a "not seen" (the one whose date gives ``F``).
        """
        n = len(self._rank)
        segment = np.cumsum(self.first) - 1
        in_final_run = np.arange(n) >= self.final_start[segment]
        hits = np.flatnonzero(in_final_run & (self._rank == self.top[segment]))
        first_hit = np.ones(len(hits), bool)
        first_hit[1:] = segment[hits][1:] != segment[hits][:-1]
        setters = hits[first_hit]
        absent = ~self._final_observed.astype(bool)
        setters[absent] = self.latest_marked(self.last[absent])
        return in_final_run, setters


def _window_max(values: np.ndarray, width: int) -> np.ndarray:
    """The maximum of each value and the ``width - 1`` before it (fewer at the start), by doubling."""
    spare = np.empty_like(values)
    reach = 1
    while reach < width:
        spare[:reach] = values[:reach]
        np.maximum(values[reach:], values[:-reach], out=spare[reach:])
        values, spare = spare, values
        reach *= 2
    return values


def _stable_argsort(key: np.ndarray, top: int) -> np.ndarray:
    """A stable argsort of non-negative integer keys below ``top``.

    Sorted 16 bits at a time, least significant first: numpy sorts unsigned 16-bit
    keys stably with a radix sort, so a key of ``b`` bits costs ``ceil(b / 16)``
    linear passes rather than a comparison sort.
    """
    if top <= 0x10000:
        return np.argsort(key.astype(np.uint16), kind="stable")
    order = np.argsort((key & 0xFFFF).astype(np.uint16), kind="stable")
    shift = 16
    while (top - 1) >> shift:
        digit = key[order] >> shift
        if (top - 1) >> shift > 0xFFFF:
            digit &= 0xFFFF
        order = order[np.argsort(digit.astype(np.uint16), kind="stable")]
        shift += 16
    return order


class CompiledEvidence:
    """A question's evidence as arrays, ordered for the rule, up to a date.

    Construction groups the counted reports by indicator, each group in the rule's
    order (``by_indicator``, with ``grouped_indicator`` and ``grouped_observed`` in
    that order). ``question``, ``as_of`` and ``evidence`` (the log as given) are kept,
    so that :func:`compile_evidence` can hand the same object to every analysis of them.
    Everything else is computed when first asked for: each indicator's final state
    (``status``, ``status_weight``, ``seen_by``, ``contribution``, ...), all a posterior
    needs, found in one pass; the runs (``runs``) that the analyses walk report by
    report; the global order of the reports, the cumulative log-posterior after each
    report (for effects), the roles and the counted rows.
    """

    def __init__(
        self, question: Question, evidence: EvidenceLog | Iterable[EvidenceRow], as_of: date
    ) -> None:
        tables = rule_tables(question)
        self.tables = tables
        self.question = question
        self.as_of = as_of
        #: the evidence as given (a log, rows, or another compile of them)
        self.evidence = evidence.evidence if isinstance(evidence, CompiledEvidence) else evidence
        self.scenario_ids = tables.scenario_ids
        self.log_prior, self.log_p, self.log_not_p = tables.log_prior, tables.log_p, tables.log_not_p
        self._log_table_by_scenario = tables.log_table_by_scenario
        self._levels = tables.levels
        #: the evidence rows as given, every one, in file order
        self.source, columns = _columns_of(evidence)
        day = columns.day
        if len(day) and day.max() > as_of.toordinal():
            self._kept: np.ndarray | None = np.flatnonzero(day <= as_of.toordinal())
            self.n = len(self._kept)
            self.day = day[self._kept]
            self.observed = columns.observed[self._kept]
        else:
            self._kept = None
            self.n = len(day)
            self.day, self.observed = day, columns.observed
        self._columns = columns
        self._apply_rule()

    @cached_property
    def kept(self) -> np.ndarray:
        """Positions in the evidence of the reports counted as of the date, in file order."""
        return np.arange(self.n) if self._kept is None else self._kept

    def _indicator_index(
        self, columns: EvidenceColumns, index: Mapping[str, int], kept: np.ndarray | None
    ) -> np.ndarray:
        """Each counted report's indicator, as its position in the question."""
        ids = columns.indicator_ids
        dtype = np.int16 if len(index) <= _INT16_MAX else np.int32
        codes = columns.indicator if kept is None else columns.indicator[kept]
        try:
            # One C loop over the log's distinct ids; an id the question lacks is looked for below.
            lookup = np.array(_lookup(index, ids), dtype).reshape(len(ids))
        except KeyError:
            lookup = np.fromiter(map(index.get, ids, repeat(-1)), dtype, len(ids))
            indicator = lookup[codes]
            if indicator.size and indicator.min() < 0:
                raise KeyError(ids[codes[int(np.argmax(indicator < 0))]]) from None
            return indicator
        # np.take, not lookup[codes]: numpy's fancy indexing is several times slower with 32-bit indices.
        return np.take(lookup, codes)

    @staticmethod
    def _ranks(
        columns: EvidenceColumns, rank_of_grades: Mapping[tuple[str, int], int], kept: np.ndarray | None
    ) -> np.ndarray:
        """Each report's weight as its rank among the question's distinct weights."""
        n_cred = len(columns.credibilities)
        dtype = np.int16 if len(rank_of_grades) <= _INT16_MAX else np.int32
        reliability, credibility = columns.reliability, columns.credibility
        if kept is not None:
            reliability, credibility = reliability[kept], credibility[kept]
        grades = reliability * n_cred
        grades += credibility
        pairs = tuple(product(columns.reliabilities, columns.credibilities))
        try:
            return np.take(np.array(_lookup(rank_of_grades, pairs), dtype).reshape(len(pairs)), grades)
        except KeyError:
            pass
        # A grade the question does not weigh (or a pair no report has): the first report with one names it.
        rank = np.array([rank_of_grades.get(pair, -1) for pair in pairs], dtype)[grades]
        if not rank.size or rank.min() >= 0:
            return rank
        k = int(grades[int(np.argmax(rank < 0))])
        reliability_of, credibility_of = columns.reliabilities[k // n_cred], columns.credibilities[k % n_cred]
        known_reliability = any(r == reliability_of for r, _ in rank_of_grades)
        raise KeyError(credibility_of if known_reliability else reliability_of)

    @cached_property
    def weight(self) -> np.ndarray:
        """Each counted report's weight ``R[reliability] * C[credibility]``, in file order."""
        return self._levels[self._rank]

    @cached_property
    def indicator(self) -> np.ndarray:
        """Each counted report's indicator, as its position in the question, in file order."""
        return self._indicator_index(self._columns, self.tables.index, self._kept)

    @cached_property
    def _rank(self) -> np.ndarray:
        """Each counted report's weight as its rank among the question's distinct weights, in file order."""
        return self._ranks(self._columns, self.tables.rank_of_grades, self._kept)

    def _apply_rule(self) -> None:
        """Group the counted reports by indicator; each indicator's final state is worked out when asked for."""
        packed = self._packed_order()
        if packed is None:
            # An indicator or grade the question lacks raises here, as the log is read.
            indicator, rank = self.indicator, self._rank
            #: the counted reports grouped by indicator (question order), each group in rule order
            self.by_indicator = by_ind = self._grouped_order()
            self.grouped_indicator = indicator[by_ind]
            self._grouped_rank = rank[by_ind]
        else:
            self.by_indicator = by_ind = packed
        self.grouped_observed = np.take(self.observed, by_ind)

    def _packed_order(self) -> np.ndarray | None:
        """``by_indicator`` by one sort of packed integer keys; ``None`` where they would not fit in
        63 bits, or the log names an indicator or a grade the question lacks (the slower path raises).

        Each report's key holds, from the most significant bits down, its indicator, its date
        (from the earliest) and its weight rank. Where those fit in 31 bits, the keys are put in
        order by a stable radix argsort (:func:`_stable_argsort`); otherwise each key also holds
        its position, below the rank, so that the keys are distinct and any sort puts them in the
        order a stable sort by (indicator, date, weight) would. The indicator and weight rank in
        that order are read off the sorted keys
        (``grouped_indicator``, ``_grouped_rank``, ``grouped_day``), with no gather; the
        reports' indicators and ranks in file order (``indicator``, ``_rank``) are left to
        the analyses that ask for them.
        """
        n, columns, tables = self.n, self._columns, self.tables
        if not n:
            return None
        ids, pairs = columns.indicator_ids, tuple(product(columns.reliabilities, columns.credibilities))
        try:
            indicator_of = np.array(_lookup(tables.index, ids), np.int64).reshape(len(ids))
            rank_of = np.array(_lookup(tables.rank_of_grades, pairs), np.int64).reshape(len(pairs))
        except KeyError:
            return None
        day0, last_day = self._day_span
        rank_bits = (len(self._levels) - 1).bit_length()
        day_bits = (last_day - day0).bit_length()
        indicator_bits = (len(self.question.indicators) - 1).bit_length()
        # Fields that fit in 31 bits are sorted stably by 16-bit radix passes (two for a log of a
        # thousand indicators over three years): no position field, and a third of the time numpy's
        # sort of 64-bit keys takes. Wider ones get the position as their lowest field, and one sort.
        radix = rank_bits + day_bits + indicator_bits <= 31
        position_bits = 0 if radix else (n - 1).bit_length()
        if position_bits + rank_bits + day_bits + indicator_bits > 63:
            return None
        dtype = np.int32 if radix else np.int64
        indicator_of = indicator_of.astype(dtype) << (day_bits + rank_bits + position_bits)
        rank_of = rank_of.astype(dtype) << position_bits
        codes, reliability, credibility = columns.indicator, columns.reliability, columns.credibility
        if self._kept is not None:
            codes, reliability, credibility = (
                codes[self._kept],
                reliability[self._kept],
                credibility[self._kept],
            )
        grades = reliability * len(columns.credibilities)
        grades += credibility
        if len(ids) * len(pairs) <= n and len(ids) * len(pairs) < 2**31:
            # The indicator and rank fields of every (indicator, grades) pair, gathered in one take.
            fields = (indicator_of[:, None] + rank_of).reshape(-1)
            codes = codes * len(pairs)
            codes += grades
            key = np.take(fields, codes)
        else:
            key = np.take(indicator_of, codes)
            key += np.take(rank_of, grades)
        day = np.subtract(self.day, day0, dtype=dtype)
        day <<= rank_bits + position_bits
        key += day
        del day, codes, grades
        if radix:
            by_ind = _stable_argsort(key, 1 << (rank_bits + day_bits + indicator_bits))
            key = np.take(key, by_ind)
        else:
            key += np.arange(n)
            key.sort()
            # The fields, least significant first: position, rank, date, indicator.
            by_ind = key & ((1 << position_bits) - 1)
            key >>= position_bits
        rank_dtype = np.int16 if len(tables.rank_of_grades) <= _INT16_MAX else np.int32
        self._grouped_rank = (key & ((1 << rank_bits) - 1)).astype(rank_dtype)
        key >>= rank_bits
        grouped_day = (key & ((1 << day_bits) - 1)).astype(self.day.dtype)
        grouped_day += day0
        self.__dict__["grouped_day"] = grouped_day
        key >>= day_bits
        self.grouped_indicator = key.astype(np.int16 if len(tables.index) <= _INT16_MAX else np.int32)
        return by_ind

    @property
    def grouped_rank(self) -> np.ndarray:
        """The weight ranks of the reports of ``by_indicator``, in that order."""
        return self._grouped_rank

    @cached_property
    def _day_span(self) -> tuple[int, int]:
        """The earliest and the latest date (ordinals) of the counted reports; ``(0, 0)`` if none."""
        return (int(self.day.min()), int(self.day.max())) if self.n else (0, 0)

    @cached_property
    def grouped_day(self) -> np.ndarray:
        """The dates (ordinals) of the reports of ``by_indicator``, in that order."""
        return self.day[self.by_indicator]

    def _grouped_order(self) -> np.ndarray:
        """The counted reports by indicator, each indicator's in the rule's order (date, weight, row order)."""
        if self.n <= _SHORT_LOG:
            # One stable sort on the three keys (the last is the primary): on a short log, cheaper
            # than the radix passes, each a handful of numpy calls.
            return np.lexsort((self._rank, self.day, self.indicator))
        # Two stable radix sorts: by date and weight rank as one integer key, then by indicator.
        order = self._in_rule_order()
        return order[_stable_argsort(self.indicator[order], len(self.question.indicators))]

    @cached_property
    def runs(self) -> _Runs:
        """The reports of ``by_indicator`` in runs, for the analyses that follow the rule report by report."""
        return _Runs(self.grouped_indicator, self.grouped_observed, self._grouped_rank, len(self._levels))

    @cached_property
    def _final(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For each indicator with a report, in question order: its number, the position (in
        ``by_indicator``) of its last report, the date (ordinal) its weight counts from, that weight,
        and the position of the first report of its final run.

        The status is the last report's; the weight the top rank within the final run (the trailing
        reports that say the same), and the date that of the latest report of that rank in the run.
        """
        n, ind, rank = self.n, self.grouped_indicator, self._grouped_rank
        n_levels = len(self._levels)
        bits = n.bit_length()  # every position is below 2**bits
        if not n:
            none = np.zeros(0, np.intp)
            return none, none, np.zeros(0, np.int64), np.zeros(0), none
        if n > _SHORT_LOG or (n * n_levels) << bits >= 1 << 63:  # a long log, or the key would overflow
            runs = self.runs
            counts_from, top = runs.latest_marked(runs.last), runs.top
            return (
                ind[runs.last],
                runs.last,
                self.day[self.by_indicator[counts_from]],
                self._levels[top],
                runs.final_start,
            )
        new_group = ind[1:] != ind[:-1]
        is_last = np.empty(n, bool)
        is_last[:-1] = new_group
        is_last[-1] = True
        last = is_last.nonzero()[0]
        # Where each report's run begins: the running maximum of the positions where one does.
        positions = np.arange(n, dtype=np.int64)
        key = np.zeros(n, np.int64)
        np.multiply(
            new_group | (self.grouped_observed[1:] != self.grouped_observed[:-1]), positions[1:], out=key[1:]
        )
        np.maximum.accumulate(key, out=key)
        final_start = key[last]
        # The running maximum of (run start, rank, position) as one integer, at a group's last report, is
        # its final run's top rank and the latest report of that rank: runs begin later and later, so
        # no run's maximum reaches into the next. One accumulate for every group, no pass per run.
        key *= n_levels
        key += rank
        key <<= bits
        key += positions
        np.maximum.accumulate(key, out=key)
        counts_from = key[last]
        counts_from &= (1 << bits) - 1
        return (
            ind[last],
            last,
            self.day[self.by_indicator[counts_from]],
            self._levels[rank[counts_from]],
            final_start,
        )

    @cached_property
    def status(self) -> np.ndarray:
        """Each indicator's status: ``OBSERVED``, ``ABSENT``, or ``PENDING`` while it has no report."""
        final_ind, last = self._final[:2]
        status = np.full(len(self.question.indicators), PENDING, np.int8)
        status[final_ind] = self.grouped_observed[last]
        return status

    @cached_property
    def has_status(self) -> np.ndarray:
        """Whether each indicator has a status (a report as of the date)."""
        has_status = np.zeros(len(self.question.indicators), bool)
        has_status[self._final[0]] = True
        return has_status

    @cached_property
    def status_weight(self) -> np.ndarray:
        """The weight each indicator's status counts with (zero while pending)."""
        weight = np.zeros(len(self.question.indicators))
        final_ind, _, _, final_weight, _ = self._final
        weight[final_ind] = final_weight
        return weight

    @cached_property
    def seen_by(self) -> np.ndarray:
        """Per indicator, the date (ordinal) of its latest look, if it was not seen: -1 unless not observed."""
        final_ind, last = self._final[:2]
        seen_by = np.full(len(self.question.indicators), -1, np.int64)
        absent = ~self.grouped_observed[last]
        seen_by[final_ind[absent]] = self.grouped_day[last[absent]]
        return seen_by

    @cached_property
    def latest_row_position(self) -> np.ndarray:
        """Per indicator, the position in ``by_indicator`` of its latest report (-1: pending)."""
        final_ind, last = self._final[:2]
        latest = np.full(len(self.question.indicators), -1, np.int64)
        latest[final_ind] = last
        return latest

    @cached_property
    def latest_row(self) -> np.ndarray:
        """Per indicator, its latest report (position among the counted reports; -1: pending)."""
        final_ind, last = self._final[:2]
        latest = np.full(len(self.question.indicators), -1, np.int64)
        latest[final_ind] = self.by_indicator[last]
        return latest

    @cached_property
    def contribution(self) -> np.ndarray:
        """Each indicator's own contribution ``L_i`` (zero while pending), before any group rule."""
        final_ind, last, counted_day, weight, _ = self._final
        observed = self.grouped_observed[last]
        rows = weight[:, None] * self.tables.log_likelihood(final_ind, observed, counted_day)
        if not observed.all():
            # A "not seen": the staircase of its final run's looks, read at its last report.
            positions, _, after, _ = self._final_looks
            rows[~observed] = after[:, np.searchsorted(positions, last[~observed])].T
        n_ind = len(self.question.indicators)
        if len(final_ind) == n_ind:  # every indicator has a status: the rows are in question order already
            return rows
        contribution = np.zeros((n_ind, len(self.scenario_ids)))
        contribution[final_ind] = rows
        return contribution

    def _staircase(
        self, indicator: np.ndarray, rank: np.ndarray, day: np.ndarray, first: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rule for "not seen" reports, applied to runs of them: each look's place and contribution.

        The looks are given in the rule's order, each with its indicator, weight rank, date
        (ordinal) and whether it begins a run (a run is one indicator's consecutive "not seen"
        reports). Returns, per look, the look below it on its run's staircase of best looks
        (:func:`~.rule.heavier_before`, an index into the looks; -1: none), its indicator's
        contribution once it is applied (scenario-major, :func:`~.rule.absence_contribution`),
        and its window fraction ``F``.
        """
        tables = self.tables
        if not len(first):
            return np.zeros(0, np.int64), np.zeros((len(self.scenario_ids), 0)), np.zeros(0)
        below = heavier_before(rank, first)
        f = tables.fraction(indicator, day.astype(float))
        # Scenario-major from the start: the contributions are wanted so, and each scenario's row
        # of them is contiguous for the gathers up the staircases and the puts into the marked states.
        logs = np.take(tables.minus_p_by_scenario, indicator, axis=1)
        logs *= f
        np.log1p(logs, out=logs)
        tables.tempered(logs)
        return below, absence_contribution(logs, np.take(self._levels, rank), below), f

    def _looks_at(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`_staircase` of the "not seen" reports at ``positions`` of ``by_indicator`` (whole runs)."""
        indicator = np.take(self.grouped_indicator, positions)
        first = np.ones(len(positions), bool)
        np.not_equal(indicator[1:], indicator[:-1], out=first[1:])
        first[1:] |= np.diff(positions) != 1
        return self._staircase(
            indicator, np.take(self._grouped_rank, positions), np.take(self.grouped_day, positions), first
        )

    @cached_property
    def _final_looks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The reports of the final runs that say "not seen": their positions in ``by_indicator``,
        the look below each on its staircase (an index into them; -1: none), each one's indicator's
        contribution once it is applied (scenario-major), and each one's window fraction."""
        _, last, _, _, final_start = self._final
        absent = ~self.grouped_observed[last]
        start, end = final_start[absent], last[absent] + 1
        length = end - start
        positions = np.repeat(start - np.cumsum(length) + length, length) + np.arange(int(length.sum()))
        below, after, f = self._looks_at(positions)
        return positions, below, after, f

    def final_looks_counted(self) -> np.ndarray:
        """Positions in ``by_indicator`` of the "not seen" reports of the final runs that count
        (each covers a stretch of its window no later, stronger look covers)."""
        positions = self._final_looks[0]
        return positions[self._roles[0][self.by_indicator[positions]] == 2]

    @cached_property
    def _every_look(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """As ``_final_looks``, for every "not seen" report (each run's staircase, look by look)."""
        positions = np.flatnonzero(~self.grouped_observed)
        below, after, f = self._looks_at(positions)
        return positions, below, after, f

    @property
    def _all_looks(self) -> np.ndarray:
        """Each "not seen" report's indicator's contribution once it is applied, scenario-major."""
        return self._every_look[2]

    def contribution_with_look(self, indicators: np.ndarray, weight: float, day: np.ndarray) -> np.ndarray:
        """Each "not seen" indicator's contribution with one more "not seen" report of ``weight``
        dated ``day`` (ordinals, on or after its latest report), one row per indicator.

        The new look goes on top of the staircase: the looks of at most its weight below it
        are covered, and it covers the stretch from the highest look left to its own ``F``.
        """
        every, below, after, f = self._every_look
        at = np.searchsorted(every, self.latest_row_position[indicators])
        levels = self._levels[self._grouped_rank[every]]
        base = at.copy()
        while True:
            light = np.flatnonzero((base >= 0) & (levels[np.maximum(base, 0)] <= weight))
            if not light.size:
                break
            base[light] = below[base[light]]
        tables = self.tables
        logs = tables.tempered(np.log1p(-tables.p[indicators] * tables.fraction(indicators, day)[:, None]))
        has_base = base >= 0
        under = np.zeros_like(logs)
        under[has_base] = tables.tempered(np.log1p(-tables.p[indicators[has_base]] * f[base[has_base], None]))
        result = weight * (logs - under)
        result[has_base] += after[:, base[has_base]].T
        return result

    def staircase_steps(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The steps of the staircase of looks each "not seen" report at ``positions`` (of
        ``by_indicator``) leaves its indicator with, for analyses that vary the likelihoods.

        Returns ``(owner, fraction, coefficient)``, one entry per step: the index into
        ``positions`` it belongs to, its look's ``F`` and ``c = w - w_above`` (the look's weight
        less that of the look above it on the staircase; the top's, less zero). Its
        indicator's contribution is then ``sum c τ log(1 - p F)`` over its steps, for any ``p``.
        """
        every, below, _, f = self._every_look
        at = np.searchsorted(every, positions)
        weight = self._levels[self._grouped_rank[every]]
        owners, fractions, coefficients = [], [], []
        owner, above = np.arange(len(positions)), np.zeros(len(positions))
        while at.size:
            w = weight[at]
            owners.append(owner)
            fractions.append(f[at])
            coefficients.append(w - above)
            under = below[at]
            keep = under >= 0
            at, owner, above = under[keep], owner[keep], w[keep]
        if not owners:
            return np.zeros(0, np.intp), np.zeros(0), np.zeros(0)
        owner, fraction, coefficient = (np.concatenate(x) for x in (owners, fractions, coefficients))
        order = np.argsort(owner, kind="stable")
        return owner[order], fraction[order], coefficient[order]

    def _in_rule_order(self) -> np.ndarray:
        """The counted reports in the rule's order: date, then weight, then row order."""
        if not self.n:
            return np.zeros(0, np.intp)
        n_levels = len(self._levels)
        day0 = int(self.day.min())
        top = (int(self.day.max()) - day0 + 1) * n_levels
        key = self.day - day0 if top < 2**31 else self.day.astype(np.int64) - day0
        key *= n_levels
        key += self._rank
        return _stable_argsort(key, top)

    @cached_property
    def order(self) -> np.ndarray:
        """The counted reports in the rule's order: date, then weight, then row order."""
        return self._in_rule_order()

    @cached_property
    def _within(self) -> np.ndarray:
        """Where each report of ``by_indicator`` stands in ``order``: ``by_indicator == order[_within]``."""
        return self.rank[self.by_indicator]

    @cached_property
    def day_sorted(self) -> np.ndarray:
        """The counted reports' dates (ordinals) in the rule's order."""
        return self.day[self.order]

    @cached_property
    def rows(self) -> list[EvidenceRow]:
        """The counted reports, in file order."""
        source = self.source
        return list(source) if self.n == len(source) else [source[k] for k in self.kept.tolist()]

    @cached_property
    def _roles(self) -> tuple[np.ndarray, np.ndarray]:
        # A sighting: the report whose weight counts sets the status, the rest of its run
        # corroborate. A "not seen": each look on the final staircase that covers a stretch of
        # its own counts, one on it that reaches no further than the look below it was covered
        # by an earlier look, and one off it by a later look (the latest look counts for the
        # indicator). Reports before the final run were superseded.
        in_final_run, setter_positions = self.runs.setters()
        role_code = np.zeros(self.n, np.int8)
        role_code[self.by_indicator[in_final_run]] = 1
        setters = self.by_indicator[setter_positions]
        role_code[setters] = 2
        counted_row = np.full(len(self.question.indicators), -1, np.int64)
        counted_row[self.grouped_indicator[setter_positions]] = setters
        positions, below, _, f = self._final_looks
        if len(positions):
            code = np.full(len(positions), 3, np.int8)
            last = self._final[1]
            tops = np.searchsorted(positions, last[~self.grouped_observed[last]])
            # Down each staircase from its top, the latest look; the indicator's counted report is
            # the latest look that counts (the top, unless it only repeats a stronger look's reach).
            at, owner = tops, np.arange(len(tops))
            counts = np.full(len(tops), -1, np.int64)
            while at.size:
                under = below[at]
                stretch = under < 0
                stretch[~stretch] = f[at[~stretch]] > f[under[~stretch]]
                code[at] = np.where(stretch, 2, 4)
                first = stretch & (counts[owner] < 0)
                counts[owner[first]] = at[first]
                at, owner = under[under >= 0], owner[under >= 0]
            role_code[self.by_indicator[positions]] = code
            latest = self.by_indicator[positions[np.where(counts >= 0, counts, tops)]]
            counted_row[self.indicator[latest]] = latest
        return role_code, counted_row

    @property
    def role(self) -> np.ndarray:
        """Each counted report's role, in file order."""
        return ROLE_NAMES[self._roles[0]]

    @property
    def counted_row(self) -> np.ndarray:
        """Per indicator, the counted report whose weight its status counts with (-1: pending)."""
        return self._roles[1]

    @cached_property
    def running_weight(self) -> np.ndarray:
        """Each report's indicator's weight once it is applied (the top ``w`` so far in its run), by indicator."""
        return self._levels[self.runs.running]

    @cached_property
    def running_day(self) -> np.ndarray:
        """The date (ordinal) each report's indicator's "not seen" counts from once it is applied, by indicator."""
        return self.day[self.by_indicator[self.runs.latest_top]]

    def final_total(self) -> np.ndarray:
        """The sum of every contribution, each group's by the group rule."""
        return self._final_total

    @cached_property
    def _final_total(self) -> np.ndarray:
        tables = self.tables
        # Without groups the total is the plain sum ``combine`` takes, and whether each indicator has a
        # status is not needed.
        total = (
            tables.combine(self.contribution, self.has_status)
            if tables.groups
            else self.contribution.sum(axis=0)
        )
        total.flags.writeable = False
        return total

    @cached_property
    def _marked(self) -> np.ndarray:
        """Positions in ``by_indicator`` of the reports that begin a state: a sighting whose weight
        is its run's top so far (so the first of each run), from which its indicator's weight
        counts, and every "not seen" (each one's look may add a stretch). Any other report leaves
        its indicator's contribution as it was."""
        runs = self.runs
        return np.flatnonzero((self._grouped_rank == runs.running) | ~self.grouped_observed)

    @cached_property
    def _marked_contribution(self) -> np.ndarray:
        """The contribution of the state each marked report begins, scenario-major: ``w τ log p``
        for a sighting, the staircase of its run's looks so far for a "not seen"."""
        marked = self._marked
        indicator, observed = np.take(self.grouped_indicator, marked), np.take(self.grouped_observed, marked)
        # One gather from the table for every state (a sighting's is kept), then the looks in place.
        code = observed * np.intp(len(self.question.indicators))
        code += indicator
        contribution = np.take(self._log_table_by_scenario, code, axis=1)
        contribution *= np.take(self._levels, np.take(self._grouped_rank, marked))
        absent = (~observed).nonzero()[0]
        if absent.size:
            # Every "not seen" is marked: the looks, in order, are the "not seen" among the marked
            # reports. One scenario's row at a time, by an assignment to an intp index (numpy's
            # fast path: several times faster than ``put``, and than a scatter of columns).
            for row, looks in zip(contribution, self._all_looks):
                row[absent] = looks
        return contribution

    def applied(self, where: slice | np.ndarray) -> np.ndarray:
        """Each report's indicator's contribution once the report is applied, scenario-major.

        ``where`` selects positions of ``by_indicator``. A report's contribution is that of the
        marked report its state began at: one gather from ``_marked_contribution``.
        """
        is_marked = np.zeros(self.n, bool)
        is_marked[self._marked] = True
        state_of = np.cumsum(is_marked) - 1
        return np.take(self._marked_contribution, state_of[where], axis=1)

    @cached_property
    def grouped_positions(self) -> np.ndarray:
        """Positions in ``by_indicator`` of the reports on indicators that belong to a group."""
        if not self.tables.groups:
            return np.zeros(0, np.intp)
        return np.flatnonzero(self.tables.group_of[self.grouped_indicator] >= 0)

    @cached_property
    def _group_changes(self) -> np.ndarray:
        """How each report of ``grouped_positions`` moves its group's contribution, scenario-major.

        The reports are taken in the rule's order, each replacing its indicator's contribution
        within its group, and the group's contribution recomputed by the group rule. That is
        done for all of a group's reports at once: after each report, every member's
        contribution is that of its latest report so far (forward-filled), and the rule's own
        pieces (:func:`~.rule.group_total`, :func:`~.rule.group_leader`, :func:`~.rule.group_rule`,
        which :func:`~.rule.group_contribution` is made of) are applied to those, report by
        report, so the numbers are the same to the bit.
        """
        positions = self.grouped_positions
        n_scen = len(self.scenario_ids)
        if not positions.size:
            return np.zeros((n_scen, 0))
        applied = self.applied(positions).T  # (reports, scenarios)
        rows = self.by_indicator[positions]
        in_order = np.lexsort((rows, self._rank[rows], self.day[rows]))
        tables, indicator = self.tables, self.grouped_indicator[positions]
        group_in_order = tables.group_of[indicator[in_order]]
        changes = np.empty((len(positions), n_scen))
        for g, (members, rho) in enumerate(tables.groups):
            reports = in_order[group_in_order == g]  # this group's reports, in the rule's order
            if not reports.size:
                continue
            steps = np.arange(len(reports))
            # latest[k, s]: the step of member s's latest report at or after none (-1) up to step k.
            latest = np.empty((len(reports), len(members)), np.intp)
            for s, member in enumerate(members.tolist()):
                np.maximum.accumulate(np.where(indicator[reports] == member, steps, -1), out=latest[:, s])
            has_status = latest >= 0
            contribution = applied[reports[np.maximum(latest, 0)]]  # (steps, members, scenarios)
            leader = contribution[steps, group_leader(contribution, has_status)]
            now = group_rule(group_total(contribution, has_status), leader, rho)
            before = np.zeros_like(now)
            before[1:] = now[:-1]
            changes[reports] = now - before
        return changes.T

    @cached_property
    def _changes(self) -> np.ndarray:
        """``changes[j, k]``: how report ``k`` (by indicator, in rule order) moves scenario ``j``'s log."""
        contribution = self.applied(slice(None))
        # A report changes its indicator's contribution from the one before it (from nothing if first).
        change = np.empty_like(contribution)
        np.subtract(contribution[:, 1:], contribution[:, :-1], out=change[:, 1:])
        first = self.runs.first
        change[:, first] = contribution[:, first]
        # A grouped report changes its group's contribution, by the group rule.
        change[:, self.grouped_positions] = self._group_changes
        return change

    @cached_property
    def log_after(self) -> np.ndarray:
        """The log-posterior after each report, in rule order."""
        delta = np.empty((self.n, len(self.scenario_ids)))
        delta[self._within] = self._changes.T
        return self.log_prior + np.cumsum(delta, axis=0)

    def contribution_without(self, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each listed report's indicator's contribution once that report is left out, by the rule,
        and whether the indicator still has a status.

        ``positions`` index ``by_indicator``. Every case becomes a group of its own, holding its
        indicator's other reports in rule order, and one pass over all groups gives every
        contribution at once (zero for an indicator left with no report).
        """
        runs = self.runs
        group = (np.cumsum(runs.first) - 1)[positions]
        start = np.flatnonzero(runs.first)[group]
        length = runs.last[group] - start  # the group's reports but the one left out
        case = np.repeat(np.arange(len(positions)), length)
        offset = np.arange(len(case)) - np.repeat(np.cumsum(length) - length, length)
        kept = start[case] + offset
        kept += kept >= positions[case]  # step over the report left out
        observed = self.grouped_observed[kept]
        cases = _Runs(case, observed, self._rank[self.by_indicator[kept]], len(self._levels))
        result = np.zeros((len(positions), len(self.scenario_ids)))
        with_reports = case[cases.last]
        indicator = self.grouped_indicator[positions[with_reports]]
        weight = self._levels[cases.top] if len(case) else np.zeros(0)
        counted_day = (
            self.day[self.by_indicator[kept[cases.latest_marked(cases.last)]]]
            if len(case)
            else np.zeros(0, np.int64)
        )
        final_observed = observed[cases.last] if len(case) else np.zeros(0, bool)
        result[with_reports] = weight[:, None] * self.tables.log_likelihood(
            indicator, final_observed, counted_day
        )
        if not final_observed.all():
            # A "not seen" left: the staircase of the looks left in its final run.
            absent = np.flatnonzero(~final_observed)
            start, end = cases.final_start[absent], cases.last[absent] + 1
            length = end - start
            looks = np.repeat(start - np.cumsum(length) + length, length) + np.arange(int(length.sum()))
            at = kept[looks]
            first = np.zeros(len(looks), bool)
            first[np.cumsum(length) - length] = True
            after = self._staircase(
                self.grouped_indicator[at],
                self._grouped_rank[at],
                self.grouped_day[at],
                first,
            )[1]
            result[with_reports[absent]] = after[:, np.cumsum(length) - 1].T
        has_status = np.zeros(len(positions), bool)
        has_status[with_reports] = True
        return result, has_status

    def final_log_posterior(self) -> np.ndarray:
        return self.log_prior + self.final_total()

    def log_posterior_replacing(
        self, indicators: np.ndarray, contributions: np.ndarray, has_status: np.ndarray
    ) -> np.ndarray:
        """The log-posterior with one indicator's contribution replaced, for each row, by the group rule.

        Row ``k`` replaces indicator ``indicators[k]``'s contribution by ``contributions[k]``, with
        ``has_status[k]`` saying whether it then has a status (``False``: pending, its row zero).
        """
        indicators = np.asarray(indicators, np.intp)
        has_status = np.asarray(has_status, bool)
        total = self.final_total()
        # A pending indicator's contribution is zero, so replacing is: minus the old row, plus the new.
        result = contributions - self.contribution[indicators]
        result += self.log_prior + total
        tables = self.tables
        for k in np.flatnonzero(tables.group_of[indicators] >= 0).tolist():
            members, rho = tables.groups[tables.group_of[indicators[k]]]
            member_contribution = self.contribution[members]
            member_status = self.has_status[members]
            before = group_contribution(member_contribution, member_status, rho)
            slot = int(np.flatnonzero(members == indicators[k])[0])
            member_contribution[slot], member_status[slot] = contributions[k], has_status[k]
            result[k] = (
                self.log_prior + total - before + group_contribution(member_contribution, member_status, rho)
            )
        return result

    def log_posterior_without_each_group(self) -> tuple[list[int], np.ndarray]:
        """The groups with a member that has a status (their numbers), and the log-posterior without each."""
        tables, total = self.tables, self.final_total()
        numbers, rows = [], []
        for g, (members, rho) in enumerate(tables.groups):
            if self.has_status[members].any():
                numbers.append(g)
                rows.append(
                    total - group_contribution(self.contribution[members], self.has_status[members], rho)
                )
        return numbers, self.log_prior + np.array(rows).reshape(len(rows), len(self.scenario_ids))

    def trajectory(self, start: date, end: date) -> Trajectory:
        """The probabilities at the end of each day from ``start`` to ``end``: :meth:`daily_log_posterior`, normalised."""
        logs = self.daily_log_posterior(start, end)
        return Trajectory(_days(start.toordinal(), len(logs)), self.scenario_ids, softmax(logs))

    def daily_log_posterior(self, start: date, end: date) -> np.ndarray:
        """The log-posterior (unnormalised) at the end of each day from ``start`` to ``end``, ``(days, scenarios)``.

        Reports dated before ``start`` count from the first day. Each report, taken by
        indicator in rule order, changes its indicator's contribution from the one the
        report before it left (from nothing if it is the first); a day's changes are
        summed (a bincount per scenario) and the days accumulated. Only the reports that
        begin a state (``_marked``) can change a contribution: the others leave it as the
        report before them did. They are taken a block of ``_BLOCK`` at a time, their
        each state's contribution read from ``_marked_contribution``; each block's changes are
        summed by day (one bincount per scenario) and added to the days' sums in block order,
        with a buffer for the changes reused block after block.
        """
        n_days = end.toordinal() - start.toordinal() + 1
        n_scen = len(self.scenario_ids)
        per_day = np.zeros((n_scen, n_days + 1))
        runs, grouped = self.runs, self.tables.group_of >= 0
        has_groups = bool(self.tables.groups)
        marked = self._marked

        first_day, last_day = self._day_span
        clip = first_day < start.toordinal() or last_day > end.toordinal()

        def day_of(positions: np.ndarray) -> np.ndarray:
            # Days from the start: reports before it count on day 0, reports after ``end`` (only
            # when it is before the as-of date) on day ``n_days``, which is dropped.
            day = np.subtract(np.take(self.grouped_day, positions), start.toordinal(), dtype=np.intp)
            if clip:
                np.maximum(day, 0, out=day)
                np.minimum(day, n_days, out=day)
            return day

        n_marked = len(marked)
        if n_marked:
            # A buffer for a block's changes, reused block after block.
            change_buffer = np.empty(n_scen * min(n_marked, _BLOCK + 1))
            states = self._marked_contribution
        for a in range(0, n_marked, _BLOCK):
            # Reports [lo, b): the block, and the report before it, whose contribution the first replaces.
            lo, b = max(a - 1, 0), min(a + _BLOCK, n_marked)
            contribution = states[:, lo:b]
            change = change_buffer[: n_scen * (b - a)].reshape(n_scen, b - a)
            if lo < a:
                np.subtract(contribution[:, 1:], contribution[:, :-1], out=change)
            else:
                change[:, 0] = contribution[:, 0]
                np.subtract(contribution[:, 1:], contribution[:, :-1], out=change[:, 1:])
            block = marked[a:b]
            # Where an indicator's reports begin, a report replaces nothing.
            begins = np.flatnonzero(runs.first[block])
            change[:, begins] = contribution[:, begins + (a - lo)]
            if has_groups:  # grouped reports move their group's contribution, added below
                change[:, np.take(grouped, self.grouped_indicator[block])] = 0.0
            day = day_of(block)
            for j in range(n_scen):
                per_day[j] += np.bincount(day, change[j], n_days + 1)
        if has_groups and self.grouped_positions.size:
            day = day_of(self.grouped_positions)
            for j, change in enumerate(self._group_changes):
                per_day[j] += np.bincount(day, change, n_days + 1)
        return self.log_prior + np.cumsum(per_day[:, :n_days].T, axis=0)

    def effects(self) -> np.ndarray:
        """Change of each scenario's probability, in points, as each report is applied in order."""
        after = softmax(self.log_after)
        before = np.vstack([softmax(self.log_prior)[None, :], after[:-1]]) if self.n else after
        effect = np.empty_like(after)
        effect[self.order] = (after - before) * 100.0
        return effect

    def probabilities(self) -> dict[str, float]:
        """The posterior as of the date: scenario id to probability (the values sum to 1)."""
        return dict(zip(self.scenario_ids, softmax(self.final_log_posterior()).tolist()))

    def daily_trajectory(self) -> Trajectory:
        """The probabilities on each day from the question's opening (or the date, if earlier) to the date.

        Raises
        ------
        ArgumentError
            For a date more than :data:`forecast.model.YEARS_PAST_CLOSES` years after the question
            closes: a day per row, so a far date would take memory without bound (9999-12-31: 23 GB).
        """
        refused = as_of_refused(self.question, self.as_of)
        if refused is not None:
            raise ArgumentError(refused)
        return self.trajectory(min(self.question.opened, self.as_of), self.as_of)

    @property
    def latest_report(self) -> date | None:
        """The date of the latest report counted, if any."""
        return date.fromordinal(int(self.day.max())) if self.n else None

    def indicator_states(self) -> dict[str, IndicatorState]:
        """Each indicator's state as of the date, by id in question order."""
        question, counted = self.question, self.rows
        states = {}
        seen_by = self.seen_by
        fraction = self.tables.fraction(np.arange(len(seen_by)), seen_by.astype(float))
        for k, ind in enumerate(question.indicators):
            status = None if self.status[k] == PENDING else bool(self.status[k])
            states[ind.id] = IndicatorState(
                indicator=ind,
                status=status,
                weight=float(self.status_weight[k]),
                counted=counted[self.counted_row[k]] if self.counted_row[k] >= 0 else None,
                latest=counted[self.latest_row[k]] if self.latest_row[k] >= 0 else None,
                window=question.window_of(ind),
                seen_by=date.fromordinal(int(seen_by[k])) if status is False else None,
                fraction=float(fraction[k]) if status is False else None,
            )
        return states

    def audit_trail(self, effects: np.ndarray | None = None) -> tuple[AuditEntry, ...]:
        """Every report of the evidence, in file order, with its weight, role and effect.

        A report dated after the date is listed with the role ``"after as-of"`` and no effect.

        Parameters
        ----------
        effects : numpy.ndarray, optional
            Each counted report's effect in points, in file order (one row per report of
            ``rows``, one column per scenario): a team's pooled effects. Default: this
            compile's own (:meth:`effects`).
        """
        question = self.question
        if effects is None:
            effects = self.effects()
        scenario_ids = question.scenario_ids  # a property that builds a tuple: once, not once per report
        audit_of = {
            k: AuditEntry(
                row=row, weight=weight, role=role, effect=dict(zip(scenario_ids, effect)), order=order
            )
            for k, row, weight, role, effect, order in zip(
                self.kept.tolist(),
                self.rows,
                self.weight.tolist(),
                self.role.tolist(),
                effects.tolist(),
                self.rank.tolist(),
            )
        }
        return tuple(audit_of.get(k) or self._after_as_of(row) for k, row in enumerate(self.source))

    def audit_entries(self, positions: Sequence[int], effects: np.ndarray | None = None) -> list[AuditEntry]:
        """The entries of :meth:`audit_trail` at ``positions`` of the evidence (file order), and only those.

        A page that shows a few reports of a long log so builds a few objects, not one per report.
        """
        if effects is None:
            effects = self.effects()
        scenario_ids = self.question.scenario_ids
        counted_at = self.counted_position[np.asarray(positions, np.int64)].tolist() if len(positions) else []
        entries = []
        for k, j in zip(positions, counted_at):
            row = self.source[k]
            if j < 0:
                entries.append(self._after_as_of(row))
                continue
            entries.append(
                AuditEntry(
                    row=row,
                    weight=float(self.weight[j]),
                    role=str(ROLE_NAMES[self._roles[0][j]]),
                    effect=dict(zip(scenario_ids, effects[j].tolist())),
                    order=int(self.rank[j]),
                )
            )
        return entries

    @cached_property
    def counted_position(self) -> np.ndarray:
        """For each report of the evidence (file order), its position among the counted reports; -1 if after the date."""
        where = np.full(len(self.source), -1, np.int64)
        where[self.kept] = np.arange(self.n)
        return where

    def _after_as_of(self, row: EvidenceRow) -> AuditEntry:
        return AuditEntry(
            row, self.question.weight(row.reliability, row.credibility), ROLE_AFTER_AS_OF, None, None
        )

    @cached_property
    def rank(self) -> np.ndarray:
        """Each counted report's place in the rule's order (0 first), in file order."""
        rank = np.empty(self.n, np.int64)
        rank[self.order] = np.arange(self.n)
        return rank


#: What the engine reads as evidence: a loaded log, any rows, or a compile of them.
Evidence = EvidenceLog | Iterable[EvidenceRow] | CompiledEvidence


def compile_evidence(question: Question, evidence: Evidence, as_of: date | None) -> CompiledEvidence:
    """The engine's compiled tables of ``evidence`` as of ``as_of`` (today if ``None``), for the analyses to share.

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog, iterable of EvidenceRow, or CompiledEvidence
        A :class:`CompiledEvidence` of this question (the same object, or an equal
        one) as of this date is returned as it is, so that analyses handed one
        compile do not compile again; one of another question or date is compiled
        afresh from the evidence it was compiled from.
    as_of : date, ISO string, datetime, pandas.Timestamp or None
        See :func:`forecast.engine.dates.as_of_date`.

    Returns
    -------
    CompiledEvidence
    """
    as_of = as_of_date(as_of)
    if (
        isinstance(evidence, CompiledEvidence)
        and evidence.as_of == as_of
        and (evidence.question is question or evidence.question == question)
    ):
        return evidence
    return CompiledEvidence(question, evidence, as_of)


def posterior_as_of(
    question: Question, evidence: EvidenceLog | Iterable[EvidenceRow], as_of: date | None = None
) -> dict[str, float]:
    """Scenario probabilities as of a date.

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog or iterable of EvidenceRow
        Reports dated after ``as_of`` are ignored.
    as_of : date, optional
        Defaults to today.

    Returns
    -------
    dict
        Scenario id to probability; the values sum to 1.

    Examples
    --------
    >>> from forecast import load_question, load_evidence
    >>> q = load_question("data/questions/russia-syria-bases.yaml")  # doctest: +SKIP
    >>> posterior_as_of(q, load_evidence("data/evidence/russia-syria-bases.csv", q))  # doctest: +SKIP
    {'keep': 0.06..., 'partial': 0.78..., 'exit': 0.14...}
    """
    return compile_evidence(question, evidence, as_of).probabilities()


def trajectory(
    question: Question, evidence: EvidenceLog | Iterable[EvidenceRow], as_of: date | None = None
) -> Trajectory:
    """The daily scenario probabilities from the question's opening to a date.

    The same trajectory :func:`forecast.assess` gives, without the indicator states and the
    audit trail, so it costs a fraction of it on a long log.

    Parameters
    ----------
    question : Question
    evidence : EvidenceLog or iterable of EvidenceRow
        Reports dated after ``as_of`` are ignored; reports dated before the opening
        count from the first day. A log from :func:`~forecast.load_evidence` holds its
        rows as columns already; any other log is read into columns on its first call.
    as_of : date, optional
        The last day. Defaults to today.

    Returns
    -------
    Trajectory
        One row of probabilities per day, from ``min(question.opened, as_of)`` to
        ``as_of``; its last row is :func:`posterior_as_of`.

    Raises
    ------
    ArgumentError
        For an ``as_of`` more than 20 years after ``question.closes`` (see
        :data:`forecast.model.YEARS_PAST_CLOSES`); any earlier date is taken.

    Examples
    --------
    >>> from datetime import date
    >>> from forecast import load_evidence, load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> path = trajectory(q, load_evidence("data/evidence/russia-syria-bases.csv", q), date(2025, 3, 1))
    >>> len(path.dates), path.dates[0]
    (84, datetime.date(2024, 12, 8))
    """
    return compile_evidence(question, evidence, as_of).daily_trajectory()
