"""The record over time: the index's cards after backfills, resolved questions apart, unreadable files in OUT."""

from __future__ import annotations

import html
import os
import re

import pytest
from helpers import EXAMPLE, copy_data, forecast_cli, read_json

pytestmark = pytest.mark.slow

RESOLVED = "riverside-festival-return"


def _card(index: str, question: str) -> str:
    """The text of one question's card on the index, tags stripped."""
    start = index.index(f'id="q-{question}"')
    end = index.index("</section>", start)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", index[start:end])))


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    """Run 2025-02-20 first, then backfill 2025-01-15, as a team catching up would."""
    tmp = tmp_path_factory.mktemp("backfill")
    data, out = copy_data(tmp / "data"), tmp / "out"
    for as_of in ("2025-02-20", "2025-01-15"):
        done = forecast_cli("run", "--data", data, "--out", out, "--as-of", as_of, "--question", EXAMPLE)
        assert done.returncode == 0, done.stderr
    return data, out


def test_after_a_backfill_the_card_shows_the_move_since_the_report_before_it_by_date(backfilled):
    _, out = backfilled
    later = read_json(out / EXAMPLE / "2025-02-20" / "summary.json")
    earlier = read_json(out / EXAMPLE / "2025-01-15" / "summary.json")
    # When it was made, the 2025-02-20 report had nothing to compare with.
    assert later["moves"] is None and later["alerts"] == []
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "since 2025-01-15" in _card(index, EXAMPLE)
    for s, p in later["probabilities"].items():
        move = (p - earlier["probabilities"][s]) * 100
        row = re.search(rf'data-scenario="{s}">(\d+)%</td><td>[^<]*</td><td class="num">([^<]*)</td>', index)
        assert row is not None, s
        assert row.groups() == (f"{p * 100:.0f}", f"{move:+.1f}")
    # With today's bundled data, the figure.
    partial = (later["probabilities"]["partial"] - earlier["probabilities"]["partial"]) * 100
    assert round(partial, 1) == 16.1


def test_a_backfilled_move_past_the_threshold_raises_the_alert_on_the_index(backfilled):
    _, out = backfilled
    index = (out / "index.html").read_text(encoding="utf-8")
    alert = re.search(r'<div class="alert" role="alert">(.*?)</div>', index, re.S)
    assert alert is not None
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", alert.group(1))))
    assert "Partial deal" in text and "+16.1 pts" in text
    assert 'class="alert-row"' in index


def test_the_card_says_the_report_own_comparison_is_out_of_date_and_how_to_refresh_it(backfilled):
    _, out = backfilled
    card = _card((out / "index.html").read_text(encoding="utf-8"), EXAMPLE)
    assert "out of date" in card
    assert f"forecast run --question {EXAMPLE} --as-of 2025-02-20" in card


def test_refreshing_the_latest_report_clears_the_note_and_keeps_the_move(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    for as_of in ("2025-02-20", "2025-01-15", "2025-02-20"):
        done = forecast_cli("run", "--data", data, "--out", out, "--as-of", as_of, "--question", EXAMPLE)
        assert done.returncode == 0, done.stderr
    refreshed = read_json(out / EXAMPLE / "2025-02-20" / "summary.json")
    assert refreshed["changes"]["previous_as_of"] == "2025-01-15"
    card = _card((out / "index.html").read_text(encoding="utf-8"), EXAMPLE)
    assert "out of date" not in card
    assert "since 2025-01-15" in card and "+16.1" in card


def test_resolved_questions_sit_apart_with_outcome_eve_and_score_and_no_live_wording(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    done = forecast_cli("run", "--data", data, "--out", out, "--as-of", "2025-02-20")
    assert done.returncode == 0, done.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    section = index[index.index('id="resolved"') :]
    assert index.index(f'id="q-{EXAMPLE}"') < index.index('id="resolved"')
    summary = read_json(out / RESOLVED / "2025-02-20" / "summary.json")
    r = summary["resolution"]
    card = _card(section, RESOLVED)
    assert index.count(f'id="q-{RESOLVED}"') == 1  # in its own section only
    assert f"Resolved: {r['name']} on {r['date']}" in card
    assert f"{r['probability_on_eve'] * 100:.0f}% on the eve" in card
    assert f"Brier score {r['brier_final']:.2f}" in card
    # No live wording: no "likely (62%)", no "as it stands", no probability table.
    assert not re.search(r"\w+ \(\d+%\)", card)
    assert "as it stands" not in card and "As of" not in card


# --------------------------------------------------------------------------- what cannot be read in OUT


def _plant(out, question: str, as_of: str, kind: str) -> None:
    folder = out / question / as_of
    folder.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(folder / "summary.json")
    else:  # nested past any parser's depth: json.loads raises RecursionError
        (folder / "summary.json").write_text("[" * 200_000, encoding="utf-8")


@pytest.mark.unreadable_summaries
@pytest.mark.parametrize("kind", ["fifo", "deep"])
def test_a_summary_that_cannot_be_read_is_absent_and_the_run_still_writes_index_and_manifest(tmp_path, kind):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    first = forecast_cli("run", "--data", data, "--out", out, "--as-of", "2025-01-15", "--question", EXAMPLE)
    assert first.returncode == 0, first.stderr
    # One before the next report (its previous report), one after it (the index's latest), one alone.
    _plant(out, EXAMPLE, "2025-02-01", kind)
    _plant(out, EXAMPLE, "2025-03-01", kind)
    _plant(out, "harbour-bridge-reopening", "2025-01-10", kind)
    (out / "index.html").unlink()
    done = forecast_cli(
        "run", "--data", data, "--out", out, "--as-of", "2025-02-20", "--question", EXAMPLE, timeout=240
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'href="{EXAMPLE}/2025-02-20/report.html"' in index
    assert 'id="q-harbour-bridge-reopening"' not in index  # its only summary is unreadable: absent
    assert len(list((out / "runs").glob("*.json"))) == 2
    summary = read_json(out / EXAMPLE / "2025-02-20" / "summary.json")
    assert summary["changes"]["previous_as_of"] == "2025-01-15"  # the unreadable 2025-02-01 skipped


@pytest.mark.unreadable_summaries
def test_a_fifo_where_a_manifest_or_summary_is_expected_reads_as_absent_without_waiting(tmp_path):
    from forecast.publish.summary import SummaryError, check_summary, read_summary
    from forecast.store import read_json as read_out_json

    os.mkfifo(tmp_path / "summary.json")
    assert read_summary(tmp_path / "summary.json") is None
    assert read_out_json(tmp_path / "summary.json") is None
    with pytest.raises(SummaryError, match="not a regular file"):
        check_summary(tmp_path / "summary.json")


@pytest.mark.unreadable_summaries
def test_a_deeply_nested_summary_is_a_summary_error_not_a_recursion_error(tmp_path):
    from forecast.publish.summary import SummaryError, check_summary, read_summary

    path = tmp_path / "q" / "2025-01-01" / "summary.json"
    path.parent.mkdir(parents=True)
    path.write_text("[" * 200_000, encoding="utf-8")
    assert read_summary(path) is None
    with pytest.raises(SummaryError, match="nested too deeply"):
        check_summary(path)
