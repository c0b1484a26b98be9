"""Reruns: a same-day update keeps its comparison, and the same inputs give the same bytes."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from helpers import AS_OF, EXAMPLE, copy_data, forecast_cli, read_json

from forecast.store import previous_summary

EARLIER = "2025-02-05"


def write_summary(out, question, as_of, probabilities):
    folder = out / question / as_of
    folder.mkdir(parents=True)
    text = json.dumps({"as_of": as_of, "probabilities": probabilities})
    (folder / "summary.json").write_text(text, encoding="utf-8")


def test_the_comparison_is_the_latest_earlier_report(tmp_path):
    write_summary(tmp_path, "q", "2025-01-01", {"a": 0.5, "b": 0.5})
    write_summary(tmp_path, "q", "2025-01-10", {"a": 0.6, "b": 0.4})
    write_summary(tmp_path, "q", "2025-01-20", {"a": 0.7, "b": 0.3})
    assert previous_summary(tmp_path, "q", date(2025, 1, 20))["as_of"] == "2025-01-10"
    assert previous_summary(tmp_path, "q", date(2025, 1, 15))["as_of"] == "2025-01-10"


def test_without_an_earlier_report_the_comparison_is_the_report_being_replaced(tmp_path):
    write_summary(tmp_path, "q", "2025-01-20", {"a": 0.7, "b": 0.3})
    assert previous_summary(tmp_path, "q", date(2025, 1, 20))["as_of"] == "2025-01-20"
    assert previous_summary(tmp_path, "q", date(2025, 1, 19)) is None
    assert previous_summary(tmp_path, "other", date(2025, 1, 20)) is None


@pytest.mark.slow
def test_a_same_day_rerun_after_new_evidence_shows_what_moved_and_alerts(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    run = ("run", "--data", data, "--out", out, "--as-of", AS_OF, "--question", EXAMPLE, "--fail-on-alert")
    assert forecast_cli(*run).returncode == 0
    before = read_json(out / EXAMPLE / AS_OF / "summary.json")
    assert before["moves"] is None  # the first report of this question: nothing to compare with

    added = forecast_cli("evidence", "add", EXAMPLE, "--data", data, "--date", AS_OF,
                         "--indicator", "reduced-terms-agreement-signed", "--observed", "yes",
                         "--source", "Test wire (signing ceremony)", "--reliability", "A", "--credibility", "1")  # fmt: skip
    assert added.returncode == 0, added.stderr
    new_id = added.stdout.split()[1]

    rerun = forecast_cli(*run)
    assert rerun.returncode == 3, rerun.stderr  # the move is an alert
    after = read_json(out / EXAMPLE / AS_OF / "summary.json")
    assert after["previous"]["as_of"] == AS_OF
    assert after["changes"]["previous_replaced"] is True
    assert after["changes"]["evidence_added"] == [new_id]
    for s, p in after["probabilities"].items():
        assert after["moves"][s] == pytest.approx((p - before["probabilities"][s]) * 100)
    assert max(abs(m) for m in after["moves"].values()) >= 10 and after["alerts"]

    html = (out / EXAMPLE / AS_OF / "report.html").read_text(encoding="utf-8")
    assert "first report of this question" not in html
    assert "Since the earlier report of the same date, which this one replaces" in html
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Alert:" in index and 'since <span class="nowrap">the replaced report</span>' in index


@pytest.mark.slow
def test_the_same_inputs_and_earlier_reports_give_byte_identical_pages_and_numbers(tmp_path):
    data = copy_data(tmp_path / "data")
    one = ("--question", EXAMPLE)
    outs = []
    for name in ("first", "second"):
        out = tmp_path / name
        for as_of in (EARLIER, AS_OF):
            assert forecast_cli("run", "--data", data, "--out", out, "--as-of", as_of, *one).returncode == 0
        outs.append(out / EXAMPLE / AS_OF)
    # And a rerun of the same date in the same folder, whose earlier report is unchanged.
    kept = tmp_path / "kept"
    shutil.copytree(outs[1], kept)
    assert (
        forecast_cli("run", "--data", data, "--out", tmp_path / "second", "--as-of", AS_OF, *one).returncode
        == 0
    )
    for name in ("report.html", "summary.json"):
        first, second, rerun = ((f / name).read_bytes() for f in (outs[0], kept, outs[1]))
        assert first == second, f"{name} differs between two runs: {_first_difference(first, second)}"
        assert first == rerun, f"{name} differs after a same-day rerun: {_first_difference(first, rerun)}"
    assert read_json(outs[0] / "summary.json")["previous"]["as_of"] == EARLIER


def _first_difference(a: bytes, b: bytes) -> str:
    """Where two byte strings first differ, with some context on both sides, to read in a failure."""
    k = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"at byte {k}: {a[max(0, k - 200) : k + 80]!r} against {b[max(0, k - 200) : k + 80]!r}"
