"""What to watch next: the indicators still open, ranked by the information a report would bring."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..engine.compiled import CompiledEvidence, Evidence, compile_evidence
from ..engine.rule import ABSENT, PENDING, softmax
from ..model import Question
from .points import as_dict

__all__ = ["WatchArrays", "WatchItem", "watch_arrays", "watch_items", "watch_list"]


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
    question: Question, evidence: Evidence, as_of: date | None = None, *, top: int | None = None
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
    evidence : EvidenceLog, iterable of EvidenceRow, or CompiledEvidence
        A compile of this question as of this date (:attr:`forecast.Assessment.compiled`)
        is used as it is, not compiled again (see :func:`~forecast.engine.compile_evidence`).
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
    [('formal-withdrawal-or-termination', 0.297), ('reduced-terms-agreement-signed', 0.221)]
    """
    if top is not None and (isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 0):
        raise ValueError(f"top must be a whole number of at least 0 or None, got {top!r}")
    compiled = compile_evidence(question, evidence, as_of)
    arrays = watch_arrays(question, compiled, compiled.as_of)
    post = softmax(compiled.final_log_posterior())
    return watch_items(question, arrays, post, arrays.q, arrays.if_observed, arrays.if_absent, top)


@dataclass(frozen=True, slots=True)
class WatchArrays:
    """The watched indicators of one compile and, for each, one model's numbers.

    ``watched`` are indicator positions (pending, or "not seen yet" with the window
    still open: ``not_yet``); ``q[k, s]`` is the chance it is still seen under
    scenario ``s``; ``if_observed[k]`` and ``if_absent[k]`` the forecasts after the
    hypothetical A1 reports. Which indicators are watched depends on the evidence
    and windows only, so every analyst of a team watches the same ones.
    """

    watched: np.ndarray
    not_yet: np.ndarray
    q: np.ndarray
    if_observed: np.ndarray
    if_absent: np.ndarray


def watch_arrays(question: Question, compiled: CompiledEvidence, as_of: date) -> WatchArrays:
    """Every watched indicator of ``compiled`` with ``q``, and the forecasts if seen or absent."""
    tables = compiled.tables
    window_end = np.array([question.window_of(i)[1].toordinal() for i in question.indicators], np.int64)
    open_absent = (compiled.status == ABSENT) & (window_end > as_of.toordinal())
    watched = np.flatnonzero((compiled.status == PENDING) | open_absent)
    not_yet = open_absent[watched]
    p = tables.p[watched]
    seen_by = compiled.seen_by[watched].astype(float)
    f = np.where(not_yet, tables.fraction(watched, seen_by), 0.0)[:, None]
    q = p * (1.0 - f) / (1.0 - p * f)
    # Seen: an A1 report as of the date starts a new run. Confirmed absent: an A1 report at the
    # window's end, on its own for a pending indicator, added to the looks already made for a
    # "not seen yet" one (the staircase rule: it covers the rest of the window at its weight).
    weight = question.weight("A", 1)
    said_yes, said_no = np.ones(len(watched), bool), np.zeros(len(watched), bool)
    has_status = said_yes  # after either report, every watched indicator has a status
    seen_log = weight * tables.log_likelihood(watched, said_yes, seen_by)
    end = window_end[watched].astype(float)
    absent_log = weight * tables.log_likelihood(watched, said_no, end)
    if not_yet.any():
        absent_log[not_yet] = compiled.contribution_with_look(watched[not_yet], weight, end[not_yet])
    if_observed = softmax(compiled.log_posterior_replacing(watched, seen_log, has_status))
    if_absent = softmax(compiled.log_posterior_replacing(watched, absent_log, has_status))
    return WatchArrays(watched, not_yet, q, if_observed, if_absent)


def watch_items(
    question: Question,
    arrays: WatchArrays,
    post: np.ndarray,
    q: np.ndarray,
    if_observed: np.ndarray,
    if_absent: np.ndarray,
    top: int | None = None,
) -> list[WatchItem]:
    """The watch list of one view: ``post`` its forecast now, ``q``, ``if_observed`` and
    ``if_absent`` its numbers for ``arrays.watched``; ranked by information gain."""
    watched, not_yet = arrays.watched, arrays.not_yet
    p_reported = q @ post
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
                if_observed=as_dict(ids, if_observed[k]),
                if_absent=as_dict(ids, if_absent[k]),
                information_bits=float(gain[k]),
                not_yet=bool(not_yet[k]),
                window=question.window_of(ind),
                group=ind.group,
            )
        )
    return items
