"""The record cannot be rewritten: every publication kept, every revision explained, the track record as published.

Each scenario runs the real ``forecast`` command on a copy of the bundled data; the
numbers expected are worked out here from the files the runs wrote (by hand, with the
Brier score's formula and the temper's), not taken from the code under test.
"""

from __future__ import annotations

import csv
import json
import math
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import copy_data, forecast_cli, read_json

import forecast
from forecast.publish.revision import Inputs, causes, same_numbers

HARBOUR = "harbour-bridge-reopening"
RUSSIA = "russia-syria-bases"
#: A report dated between the two publications, that moves the harbour forecast past the threshold.
BACKFILL = (
    "h007,2024-08-15,bearings-delayed,yes,Illustrative: supplier's letter,A,1,,"
    "The supplier writes that the last bearings will ship in late October.\n"
)


def _run(data: Path, out: Path, question: str, as_of: str, *extra: str):
    return forecast_cli("run", "--data", data, "--out", out, "--question", question, "--as-of", as_of, *extra)


def _said(result) -> str:
    return result.stdout + result.stderr


def _brier(probabilities: dict[str, float], happened: str) -> float:
    return sum((p - (s == happened)) ** 2 for s, p in probabilities.items())


class Harbour:
    """Harbour published as of 2024-06-01 and 2024-09-01; a backfilled report; 2024-09-01 rerun twice."""

    def __init__(self, root: Path) -> None:
        self.data, self.out = copy_data(root / "data"), root / "reports"
        for as_of in ("2024-06-01", "2024-09-01"):
            result = _run(self.data, self.out, HARBOUR, as_of)
            assert result.returncode == 0, _said(result)
        self.folder = self.out / HARBOUR / "2024-09-01"
        self.first = {name: (self.folder / name).read_bytes() for name in ("report.html", "summary.json")}
        self.june = read_json(self.out / HARBOUR / "2024-06-01" / "summary.json")
        with (self.data / "evidence" / f"{HARBOUR}.csv").open("a", encoding="utf-8") as log:
            log.write(BACKFILL)
        self.revised = _run(self.data, self.out, HARBOUR, "2024-09-01", "--fail-on-alert")
        self.after_revision = (self.folder / "summary.json").read_bytes()
        self.rerun = _run(self.data, self.out, HARBOUR, "2024-09-01", "--fail-on-alert")

    @property
    def first_summary(self) -> dict:
        return json.loads(self.first["summary.json"])


@pytest.fixture(scope="module")
def harbour(tmp_path_factory: pytest.TempPathFactory) -> Harbour:
    return Harbour(tmp_path_factory.mktemp("record-harbour"))


def test_a_backfill_that_moves_a_published_forecast_exits_3_with_a_revised_alert(harbour):
    assert harbour.revised.returncode == 3, _said(harbour.revised)
    first = harbour.first_summary["probabilities"]
    now = read_json(harbour.folder / "summary.json")["probabilities"]
    # Worked out from the two publications: each scenario that moved 10 points or more, in whole percents.
    moved = [
        f"{name} {first[s] * 100:.0f}% → {now[s] * 100:.0f}%"
        for s, name in (("full", "Reopens to all traffic"), ("restricted", "Reopens with restrictions"))
        if abs(now[s] - first[s]) >= 0.10
    ]
    assert moved
    assert (
        f"{HARBOUR}: Revised: the forecast published for 2024-09-01 moved {', '.join(moved)} "
        "after report h007 (dated 2024-08-15, first seen "
    ) in _said(harbour.revised)


def test_revision_1_stays_readable_byte_for_byte_beside_the_latest(harbour):
    kept = harbour.out / HARBOUR / "2024-09-01@r1"
    assert (kept / "report.html").read_bytes() == harbour.first["report.html"]
    assert (kept / "summary.json").read_bytes() == harbour.first["summary.json"]


def test_the_dates_folder_holds_the_latest_revision_with_what_it_revises(harbour):
    summary = read_json(harbour.folder / "summary.json")
    assert summary["revision"] == 2
    assert summary["revises"]["revision"] == 1
    assert summary["revises"]["probabilities"] == harbour.first_summary["probabilities"]
    assert any("h007" in cause for cause in summary["revises"]["causes"])
    assert summary["alert"] and summary["alerts"]
    assert harbour.first_summary["revision"] == 1 and "revises" not in harbour.first_summary


def test_the_revised_page_names_the_revision_in_its_key_judgments(harbour):
    page = (harbour.folder / "report.html").read_text(encoding="utf-8")
    assert "This is revision 2 of the report as of 2024-09-01: it replaces revision 1" in page
    assert "h007" in page


def test_history_with_revisions_holds_the_first_publication_and_the_revision_with_its_cause(harbour):
    frame = forecast.history(harbour.out, revisions=True)
    assert list(frame.columns) == [
        "question", "as_of", "revision", "published", "cause", "scenario", "probability",
    ]  # fmt: skip
    september = frame[frame.as_of == "2024-09-01"]
    first = september[september.revision == 1].set_index("scenario").probability.to_dict()
    assert first == harbour.first_summary["probabilities"]
    second = september[september.revision == 2]
    assert second.probability.tolist() and second.cause.str.contains("h007").all()
    latest = read_json(harbour.folder / "summary.json")["probabilities"]
    assert second.set_index("scenario").probability.to_dict() == latest
    assert september.published.notna().all() and str(september.published.dt.tz) == "UTC"
    june = frame[frame.as_of == "2024-06-01"]
    assert set(june.revision) == {1} and set(june.cause) == {"first publication"}


def test_history_without_revisions_gives_the_latest_revision_of_each_date(harbour):
    frame = forecast.history(harbour.out)
    september = frame[frame.as_of == "2024-09-01"].set_index("scenario").probability.to_dict()
    assert september == read_json(harbour.folder / "summary.json")["probabilities"]


def test_a_rerun_with_unchanged_inputs_publishes_nothing_new(harbour):
    assert harbour.rerun.returncode == 0, _said(harbour.rerun)
    assert (harbour.folder / "summary.json").read_bytes() == harbour.after_revision
    assert not (harbour.out / HARBOUR / "2024-09-01@r2").exists()
    frame = forecast.history(harbour.out, revisions=True)
    assert sorted(set(frame[frame.as_of == "2024-09-01"].revision)) == [1, 2]


def test_the_catalog_rebuilt_from_the_folders_still_lists_every_revision(harbour, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(harbour.out, out)
    (out / HARBOUR / "catalog.jsonl").unlink()
    frame = forecast.history(out, revisions=True)
    assert sorted(set(frame[frame.as_of == "2024-09-01"].revision)) == [1, 2]


def test_the_history_page_lists_every_revision_with_its_cause(harbour):
    page = (harbour.out / HARBOUR / "history.html").read_text(encoding="utf-8")
    assert 'href="2024-09-01@r1/report.html">revision 1</a>' in page
    assert 'href="2024-09-01/report.html">revision 2</a>' in page
    assert "report h007 (dated 2024-08-15" in page


def test_the_ledger_knows_when_each_report_was_first_seen(harbour):
    lines = (harbour.out / HARBOUR / "evidence-seen.jsonl").read_text(encoding="utf-8").splitlines()
    seen = [json.loads(line) for line in lines]
    assert sorted(s["id"] for s in seen) == [f"h00{k}" for k in range(1, 8)]
    assert next(s for s in seen if s["id"] == "h007")["date"] == "2024-08-15"


def test_the_scorecard_scores_the_first_publication_as_the_eves_forecast(harbour):
    card = read_json(harbour.out / "_scorecard" / "scorecard.json")
    (entry,) = [q for q in card["questions"] if q["question"] == HARBOUR]
    # The eve (2024-09-13) stood at the first publication of 2024-09-01, whatever was revised since.
    first = harbour.first_summary["probabilities"]
    assert entry["p_resolved_final"] == pytest.approx(first["full"], abs=1e-12)
    assert entry["brier_final"] == pytest.approx(_brier(first, "full"), abs=1e-12)
    assert entry["published_before_resolution"] is True and entry["first_published"] == "2024-06-01"


def test_the_scorecards_daily_score_holds_each_publication_until_the_next_and_the_priors_before(harbour):
    card = read_json(harbour.out / "_scorecard" / "scorecard.json")
    (entry,) = [q for q in card["questions"] if q["question"] == HARBOUR]
    with (harbour.out / HARBOUR / "2024-06-01" / "scenarios.csv").open(encoding="utf-8") as handle:
        prior = {row["scenario"]: float(row["prior"]) for row in csv.DictReader(handle)}
    standing = []
    day = date(2024, 3, 1)
    while day <= date(2024, 9, 14):
        if day < date(2024, 6, 1):
            standing.append(prior)
        elif day < date(2024, 9, 1):
            standing.append(harbour.june["probabilities"])
        else:
            standing.append(harbour.first_summary["probabilities"])
        day += timedelta(days=1)
    daily = sum(_brier(p, "full") for p in standing) / len(standing)
    assert entry["days"] == len(standing) == 198
    assert entry["brier_daily"] == pytest.approx(daily, abs=1e-8)  # the priors as written, to 10 decimals


def test_scorecard_json_has_a_hindcast_in_the_shape_of_overall(harbour):
    card = read_json(harbour.out / "_scorecard" / "scorecard.json")
    assert set(card["hindcast"]) == set(card["overall"])
    page = (harbour.out / "_scorecard" / "report.html").read_text(encoding="utf-8")
    assert page.index("The track record") < page.index("Hindcast: today")


# --------------------------------------------------------------------------- a change of method


class Tempered:
    """Russia published as of 2025-02-20, then rerun after ``temper: 0.35`` is set in calibration.yaml."""

    def __init__(self, root: Path) -> None:
        self.data, self.out = copy_data(root / "data"), root / "reports"
        first = _run(self.data, self.out, RUSSIA, "2025-02-20")
        assert first.returncode == 0, _said(first)
        self.folder = self.out / RUSSIA / "2025-02-20"
        self.first_page = (self.folder / "report.html").read_bytes()
        self.first = read_json(self.folder / "summary.json")
        with (self.folder / "scenarios.csv").open(encoding="utf-8") as handle:
            self.prior = {row["scenario"]: float(row["prior"]) for row in csv.DictReader(handle)}
        (self.data / "calibration.yaml").write_text("temper: 0.35\n", encoding="utf-8")
        self.result = _run(self.data, self.out, RUSSIA, "2025-02-20", "--fail-on-alert")
        self.later = _run(self.data, self.out, RUSSIA, "2025-02-21", "--fail-on-alert")


@pytest.fixture(scope="module")
def tempered(tmp_path_factory: pytest.TempPathFactory) -> Tempered:
    return Tempered(tmp_path_factory.mktemp("record-tempered"))


def test_a_temper_change_publishes_a_revision_whose_cause_names_the_temper(tempered):
    summary = read_json(tempered.folder / "summary.json")
    assert summary["revision"] == 2 and summary["temper"] == 0.35
    assert summary["revises"]["causes"] == ["temper 1 → 0.35"]


def test_the_tempered_revision_moves_partial_deal_as_the_temper_rule_says(tempered):
    # Every contribution times 0.35: p(s) ∝ prior(s) · (p₁(s) / prior(s))^0.35, for the pool as for each analyst.
    p1, prior = tempered.first["probabilities"], tempered.prior
    weights = {s: prior[s] * (p1[s] / prior[s]) ** 0.35 for s in p1}
    expected = {s: w / sum(weights.values()) for s, w in weights.items()}
    now = read_json(tempered.folder / "summary.json")["probabilities"]
    assert now == pytest.approx(expected, abs=1e-6)
    assert 20 < (p1["partial"] - now["partial"]) * 100 < 26  # about 23 points


def test_the_temper_revision_alerts_naming_the_temper_and_never_blaming_no_report(tempered):
    said = _said(tempered.result)
    assert tempered.result.returncode == 3, said
    assert "Revised: the forecast published for 2025-02-20 moved Partial deal" in said
    assert "after temper 1 → 0.35" in said
    assert "no report" not in said.lower()


def test_the_day_after_a_temper_change_compares_at_the_same_temper_and_raises_nothing(tempered):
    assert tempered.later.returncode == 0, _said(tempered.later)
    summary = read_json(tempered.out / RUSSIA / "2025-02-21" / "summary.json")
    assert summary["changes"]["causes"] == [] and summary["revision"] == 1


def test_after_a_temper_change_revision_1s_page_is_kept_byte_for_byte(tempered):
    assert (tempered.out / RUSSIA / "2025-02-20@r1" / "report.html").read_bytes() == tempered.first_page
    page = (tempered.folder / "report.html").read_text(encoding="utf-8")
    assert "No report added since moved it" not in page


# --------------------------------------------------------------------------- the eve


def test_the_final_score_is_the_eves_forecast_not_the_resolution_days(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "reports"
    eve = _run(data, out, HARBOUR, "2024-09-13")
    assert eve.returncode == 0, _said(eve)
    published_eve = read_json(out / HARBOUR / "2024-09-13" / "summary.json")["probabilities"]
    with (data / "evidence" / f"{HARBOUR}.csv").open("a", encoding="utf-8") as log:
        log.write("h008,2024-09-14,load-test-passed,yes,Illustrative: the council,A,1,,The bridge reopens.\n")
    settled = _run(data, out, HARBOUR, "2024-09-14")
    assert settled.returncode == 0, _said(settled)
    summary = read_json(out / HARBOUR / "2024-09-14" / "summary.json")
    expected = _brier(published_eve, "full")
    assert summary["resolution"]["brier_final"] == pytest.approx(expected, abs=1e-12)
    assert summary["score"]["brier_final"] == pytest.approx(expected, abs=1e-12)
    assert summary["score"]["log_final"] == pytest.approx(-math.log(published_eve["full"]), abs=1e-12)
    assert summary["resolution"]["probability_on_eve"] == pytest.approx(published_eve["full"], abs=1e-12)


# --------------------------------------------------------------------------- what is a revision


def test_a_change_in_inbox_unreviewed_alone_is_no_revision():
    published = {
        "schema_version": 4,
        "probabilities": {"a": 0.4, "b": 0.6},
        "revision": 1,
        "inbox_unreviewed": 0,
    }
    rerun = published | {"revision": 2, "inbox_unreviewed": 3, "revises": {"revision": 1}}
    assert same_numbers(rerun, published)
    assert not same_numbers(rerun | {"probabilities": {"a": 0.41, "b": 0.59}}, published)


def test_a_summary_of_an_earlier_version_reads_as_revision_1(tmp_path):
    folder = tmp_path / "reports" / "q" / "2025-01-01"
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(
        json.dumps({"as_of": "2025-01-01", "probabilities": {"a": 0.25, "b": 0.75}}), encoding="utf-8"
    )
    frame = forecast.history(tmp_path / "reports", revisions=True)
    assert frame.revision.tolist() == [1, 1] and set(frame.cause) == {"first publication"}
    assert frame.published.isna().all()


def test_a_job_killed_between_its_renames_keeps_the_revision_it_was_replacing(tmp_path):
    from forecast.store import job_scratch, recover_job, revision_dir

    out = tmp_path / "out"
    final = out / "q" / "2025-01-01"
    final.mkdir(parents=True)
    (final / "report.html").write_text("revision 1", encoding="utf-8")
    scratch = job_scratch(out, "q")
    scratch.mkdir(parents=True)
    (scratch / "report.html").write_text("revision 2", encoding="utf-8")
    keep = revision_dir(out, "q", "2025-01-01", 1)
    # What replace_dir(scratch, final, keep=keep) does, up to a kill after the new report is in place.
    aside = scratch.with_name(scratch.name + ".aside")
    record = {"final": str(final.resolve()), "keep": str(keep.parent.resolve() / keep.name)}
    scratch.with_name(scratch.name + ".aside.json").write_text(json.dumps(record), encoding="utf-8")
    final.rename(aside)
    scratch.rename(final)
    recover_job(out, "q")
    assert (keep / "report.html").read_text(encoding="utf-8") == "revision 1"
    assert (final / "report.html").read_text(encoding="utf-8") == "revision 2"
    assert not list((out / ".forecast-work").iterdir())


# --------------------------------------------------------------------------- causes, word by word


def _inputs(**changes) -> Inputs:
    base = {
        "forecast": "1.0",
        "question_file": "q1",
        "judgments": {"mira": "m1", "tomas": "t1"},
        "temper": 1.0,
        "extremize": 1.0,
        "evidence": {"t1": ("d1", "2026-04-01"), "t2": ("d2", "2026-04-10")},
        "seen": "2026-05-01T08:00:00Z",
    }
    return Inputs(**(base | changes))


def test_each_input_that_changed_is_a_cause_in_words_evidence_first():
    before = _inputs()
    now = _inputs(
        forecast="1.1",
        question_file="q2",
        judgments={"mira": "m2", "basil": "b1"},
        temper=0.35,
        extremize=1.5,
        evidence={"t1": ("d9", "2026-04-01"), "t12": ("d12", "2026-04-20")},
        seen="2026-12-07T09:00:00Z",
    )
    seen = {("t1", "d1"): "2026-04-02T00:00:00Z", ("t2", "d2"): "2026-04-11T00:00:00Z"}
    assert [c.text for c in causes(before, now, seen)] == [
        "report t12 (dated 2026-04-20, first seen 2026-12-07)",
        "report t1 (dated 2026-04-01, first seen 2026-12-07) changed",
        "report t2 (dated 2026-04-10) removed",
        "the question file edited",
        "basil's judgments added",
        "mira's judgments edited",
        "tomas's judgments removed",
        "temper 1 → 0.35",
        "the pool's extremizing 1 → 1.5",
        "forecast 1.0 → 1.1",
    ]


def test_a_cause_names_five_reports_and_counts_the_rest():
    many = {f"t{k}": (f"d{k}", "2026-04-20") for k in range(3, 11)}
    (cause,) = causes(_inputs(), _inputs(evidence={**_inputs().evidence, **many}), {})
    assert cause.text.startswith("reports t3 (dated 2026-04-20, first seen 2026-05-01), t4 (")
    assert cause.text.endswith("and 3 more") and cause.ids == tuple(many)


def test_a_report_first_seen_earlier_keeps_its_first_sighting():
    now = _inputs(evidence={**_inputs().evidence, "t3": ("d3", "2026-04-20")}, seen="2026-12-07T09:00:00Z")
    (cause,) = causes(_inputs(), now, {("t3", "d3"): "2026-06-01T00:00:00Z"})
    assert cause.text == "report t3 (dated 2026-04-20, first seen 2026-06-01)"


def test_a_resolved_report_rendered_after_calibration_quotes_the_eve_as_published(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "reports"
    first = _run(data, out, HARBOUR, "2024-09-01")
    assert first.returncode == 0, _said(first)
    published = read_json(out / HARBOUR / "2024-09-01" / "summary.json")["probabilities"]
    (data / "calibration.yaml").write_text("temper: 0.35\n", encoding="utf-8")
    settled = _run(data, out, HARBOUR, "2024-09-20")
    assert settled.returncode == 0, _said(settled)
    resolution = read_json(out / HARBOUR / "2024-09-20" / "summary.json")["resolution"]
    assert resolution["eve_published"] == "2024-09-01"
    assert resolution["probability_on_eve"] == published["full"]
    assert resolution["brier_final"] == pytest.approx(_brier(published, "full"), abs=1e-12)
    assert resolution["replayed_on_eve"] != published["full"]  # the tempered replay, labelled beside it
    page = (out / HARBOUR / "2024-09-20" / "report.html").read_text(encoding="utf-8")
    assert (
        f"{published['full'] * 100:.0f}%</strong> on the eve (2024-09-13), as published on 2024-09-01" in page
    )
    assert "a hindcast, not the record" in page
