"""A long log's evidence section, picked with numpy and explained only where shown, against the code it replaced.

The reference function below is the earlier implementation: the new code must
pick the same reports in the same order and explain them in the same words, on
logs of varied length, views and dates.
"""

from __future__ import annotations

import heapq
from pathlib import Path

import pytest
from helpers import AS_OF, EXAMPLE, copy_data

from benchmarks.long_log import write_long_log
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
    shown = report.shown_evidence()
    assert [id(e) for e in shown] == [id(e) for e in shown_before(report)]
    ids = {e.row.id for e in shown}
    everything = report_module._role_explanations(report.assessment)
    assert report_module._role_explanations(report.assessment, ids) == {
        k: v for k, v in everything.items() if k in ids
    }
