"""A long log's evidence section, picked and explained from the compile's arrays, against the code it replaced.

The reference functions below are the earlier implementations: the new code must
pick the same reports in the same order and explain them in the same words, on
logs of varied length, views and dates.
"""

from __future__ import annotations

import heapq
from pathlib import Path

import pytest
from helpers import AS_OF, EXAMPLE, copy_data

from benchmarks.long_log import write_long_log
from forecast.engine.rule import (
    ROLE_AFTER_AS_OF,
    ROLE_CORROBORATES,
    ROLE_COVERED_EARLIER,
    ROLE_COVERED_LATER,
    ROLE_SETS_STATUS,
    ROLE_SUPERSEDED,
)
from forecast.publish import report as report_module
from forecast.publish.report import Report


def _largest(entry) -> float:
    return max(map(abs, entry.effect.values()), default=0.0) if entry.effect is not None else 0.0


def shown_before(report: Report) -> list:
    entries = sorted(
        report.assessment.audit,
        key=lambda e: (e.row.date, -1 if e.order is None else e.order, e.row.line),
        reverse=True,
    )
    if len(entries) <= report.log_newest + report.log_strongest:
        return entries
    rest = range(report.log_newest, len(entries))
    strongest = heapq.nsmallest(report.log_strongest, rest, key=lambda k: -_largest(entries[k]))
    return entries[: report.log_newest] + [entries[k] for k in sorted(strongest)]


def explanations_before(a, ids: set[str] | None = None) -> dict[str, str]:
    """The words per report id, from the audit entry by entry, as the report wrote them before."""
    by_indicator: dict[str, list] = {}
    for e in sorted((e for e in a.audit if e.order is not None), key=lambda e: e.order):
        by_indicator.setdefault(e.row.indicator, []).append(e)
    words = {}

    def fraction(e) -> float:
        start, end = a.question.window_of(a.question.indicator(e.row.indicator))
        if end <= start:
            return 1.0
        return min(max((e.row.date - start).days / (end - start).days, 0.0), 1.0)

    for entries in by_indicator.values():
        # Once per indicator, not per report, so a long log costs a pass, not a square.
        counted = next((x for x in entries if x.role == ROLE_SETS_STATUS), None)
        run = [x for x in entries if x.role in (ROLE_CORROBORATES, ROLE_SETS_STATUS)]
        # The final run's looks, if it says "not seen": the trailing reports that say so.
        looks = []
        for x in reversed(entries):
            if x.row.observed:
                break
            looks.insert(0, x)
        # For each report, the next one that says the opposite (the one that overtook it), found backwards.
        overtaken_by: list[object] = [None] * len(entries)
        next_saying = {True: None, False: None}
        for k in range(len(entries) - 1, -1, -1):
            overtaken_by[k] = next_saying[not entries[k].row.observed]
            next_saying[bool(entries[k].row.observed)] = entries[k]
        for k, e in enumerate(entries):
            if ids is not None and e.row.id not in ids:
                continue
            moved = e.effect is not None and any(abs(v) >= 0.05 for v in e.effect.values())
            if e.role == ROLE_SUPERSEDED:
                later = overtaken_by[k]
                if later is not None:
                    words[e.row.id] = (
                        f"its move was undone by {later.row.id}"
                        if moved
                        else f"adds nothing; {later.row.id} overtook it"
                    )
            elif not e.row.observed and e in looks:
                # A look of the final "not seen" run: what covers it, or the stretch it adds.
                mine = looks.index(e)
                if e.role == ROLE_COVERED_LATER:
                    later = next(x for x in looks[mine + 1 :] if x.weight >= e.weight)
                    words[e.row.id] = f"{later.row.id}, a later look at least as strong, covers all it covers"
                elif e.role == ROLE_COVERED_EARLIER:
                    earlier = next(x for x in reversed(looks[:mine]) if x.weight > e.weight)
                    words[e.row.id] = f"{earlier.row.id}, a stronger look, had reached as far"
                elif len(looks) > 1:
                    heavier = [x for x in looks[:mine] if x.weight > e.weight]
                    reach = fraction(heavier[-1]) if heavier else 0.0
                    words[e.row.id] = (
                        f"covers {reach:.0%} to {fraction(e):.0%} of its window at its own weight"
                    )
            elif e.role in (ROLE_CORROBORATES, ROLE_SETS_STATUS):
                if counted is None or len(run) == 1:
                    continue
                first = run[0]
                if e is first:
                    if e is not counted:
                        words[e.row.id] = f"first report of this event; {counted.row.id} now counts it"
                elif not moved:
                    words[e.row.id] = f"repeats {first.row.id}; adds nothing"
                elif e is counted:
                    words[e.row.id] = f"its move is what its higher grade adds to {first.row.id}'s"
                else:
                    words[e.row.id] = (
                        f"a stronger report of {first.row.id}'s event; {counted.row.id} now counts it"
                    )
    for e in a.audit:
        if e.role == ROLE_AFTER_AS_OF and (ids is None or e.row.id in ids):
            words[e.row.id] = "not counted"
    return words


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict[int, Path]:
    """Data folders whose log has this many synthetic rows after the bundled ones (0: the bundled log)."""
    folders = {}
    for rows, seed in ((0, 1), (40, 2), (700, 3), (3000, 4)):
        data = copy_data(tmp_path_factory.mktemp(f"log{rows}") / "data")
        if rows:
            write_long_log(data, rows, seed=seed)
        folders[rows] = data
    return folders


@pytest.mark.parametrize("rows", [0, 40, 700, 3000])
@pytest.mark.parametrize(
    ("as_of", "analyst", "newest", "strongest"),
    [(AS_OF, None, 100, 100), (AS_OF, None, 5, 7), ("2025-01-10", None, 3, 0), (AS_OF, "mira", 0, 12)],
)
def test_the_shown_reports_and_their_words_are_those_of_the_per_report_code(
    logs, rows, as_of, analyst, newest, strongest
):
    report = Report.load(
        EXAMPLE, as_of=as_of, data_dir=logs[rows], log_newest=newest, log_strongest=strongest, analyst=analyst
    )
    shown = report.shown_evidence()  # built before the whole audit is, so entry by entry
    assert shown == shown_before(report)
    ids = {e.row.id for e in shown}
    everything = explanations_before(report.assessment)
    assert report_module._role_explanations(report.assessment) == everything
    assert report_module._role_explanations(report.assessment, ids) == {
        k: v for k, v in everything.items() if k in ids
    }
