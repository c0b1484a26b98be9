"""One question's job, and what several jobs sharing one OUT may and may not do to each other.

These need no kernel: the cases are decided before a notebook would start, or
are about the locks, the clean-up and the index built from what is in OUT.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest
from helpers import AS_OF, EXAMPLE, copy_data, read_json, tree_digest

from forecast.schedule.job import QuestionOutcome, publish_run, run_question
from forecast.store import claim_out_dir, outcome_dir, question_lock, recover, report_dir, work_dir

DAY = date.fromisoformat(AS_OF)


def test_a_question_whose_lock_another_job_holds_waits_then_fails_as_busy_and_touches_nothing(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    out.mkdir()
    claim_out_dir(out)  # an OUT that earlier runs wrote
    report = report_dir(out, EXAMPLE, AS_OF)
    report.mkdir(parents=True)
    (report / "report.html").write_text("the last good report", encoding="utf-8")
    before = tree_digest(report)
    # Another process (another worker, on another machine sharing OUT) holds the question's lock.
    (out / ".forecast-locks").mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock\n"
         "with FileLock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)",
         str(out / ".forecast-locks" / f"{EXAMPLE}.lock")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        outcome = run_question(EXAMPLE, data, out, DAY, lock_timeout=0.5, run="r1")
    finally:
        holder.kill()
        holder.wait()
    assert (outcome.status, outcome.cause) == ("failed", "busy")
    assert f"another job has held {EXAMPLE}'s lock" in outcome.reason
    assert tree_digest(report) == before
    assert read_json(outcome_dir(out, "r1") / f"{EXAMPLE}.json")["cause"] == "busy"


def test_invalid_input_fails_the_job_before_any_kernel_and_is_recorded_for_the_run(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    (data / "questions" / "bad-input.yaml").write_text("id: bad-input\ntitle: [unclosed\n", encoding="utf-8")
    bad = run_question("bad-input", data, out, DAY, run="r1")
    unsafe = run_question("../x", data, out, DAY, run="r1")
    assert (bad.status, bad.cause) == ("failed", "input")
    assert "bad-input.yaml:3: YAML syntax error" in bad.reason
    assert unsafe.reason.startswith("'../x' is not a question id")
    records = sorted(p.name for p in outcome_dir(out, "r1").iterdir())
    assert "bad-input.json" in records and len(records) == 2  # the unsafe id is recorded under a digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out"]
    assert not (out / "bad-input").exists()


def test_recover_cleans_only_questions_no_job_is_working_on(tmp_path):
    out = tmp_path / "out"
    running, dead = work_dir(out) / f"{EXAMPLE}.aaaa", work_dir(out) / "other-question.bbbb"
    for scratch in (running, dead):
        scratch.mkdir(parents=True)
        (scratch / "report.ipynb").write_text("{}", encoding="utf-8")
    with question_lock(out, EXAMPLE):  # a job of EXAMPLE is still running somewhere
        recover(out)
    assert (running / "report.ipynb").is_file()
    assert not dead.exists()
    recover(out)  # once that job is gone, its leftovers go too
    assert not work_dir(out).exists()


def test_publish_builds_the_index_and_manifest_from_the_outcomes_recorded_in_out(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    out.mkdir()
    claim_out_dir(out)
    # Two jobs recorded their outcomes (on other machines, say); the third was killed before it could.
    ok = QuestionOutcome(EXAMPLE, "ok", 1.0, None, None, ["exit"])
    failed = QuestionOutcome(
        "harbour-bridge-reopening", "failed", 0.5, None, "RuntimeError: boom", [], "notebook"
    )
    for outcome in (ok, failed):
        path = outcome_dir(out, "r1") / f"{outcome.question}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(outcome.__dict__), encoding="utf-8")
    questions = [EXAMPLE, "harbour-bridge-reopening", "riverside-festival-return"]
    published = publish_run(out, "r1", data_dir=data, questions=questions, as_of=DAY, parameters={"x": 1})
    assert [o.status for o in published.outcomes] == ["ok", "failed", "failed"]
    assert "ended without recording an outcome" in published.outcomes[2].reason
    manifest = read_json(out / "runs" / "r1.json")
    assert manifest["parameters"] == {"x": 1}
    assert manifest["alerts"] == [{"question": EXAMPLE, "scenarios": ["exit"]}]
    assert {e["question"] for e in manifest["errors"]} == {
        "harbour-bridge-reopening",
        "riverside-festival-return",
    }
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "RuntimeError: boom" in index and "ended without recording an outcome" in index
    assert not outcome_dir(out, "r1").exists()
    # Published again (a retried publish task), the manifest is rebuilt from itself, not lost.
    again = publish_run(out, "r1", data_dir=data, questions=questions, as_of=DAY, parameters={"x": 1})
    assert [o.status for o in again.outcomes] == ["ok", "failed", "failed"]
    assert again.outcomes[1].reason == "RuntimeError: boom"


_JOB = """
import sys
from datetime import date
from forecast.schedule.job import run_question
outcome = run_question(sys.argv[1], sys.argv[2], sys.argv[3], date.fromisoformat(sys.argv[4]), run=sys.argv[5])
print(outcome.status, outcome.reason or "")
"""
_PUBLISH = """
import sys
from datetime import date
from forecast.schedule.job import publish_run
publish_run(sys.argv[1], sys.argv[2], data_dir=sys.argv[3], questions=sys.argv[4:], as_of=date(2025, 2, 20),
            parameters={})
"""


@pytest.mark.slow
def test_jobs_sharing_one_out_run_side_by_side_take_turns_on_one_question_and_all_publish(tmp_path):
    """Three workers at once, as mapped tasks on machines sharing OUT: two of them on the same question."""
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    other = "harbour-bridge-reopening"
    jobs = [(EXAMPLE, "run-a"), (other, "run-a"), (EXAMPLE, "run-b")]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _JOB, question, str(data), str(out), AS_OF, run],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for question, run in jobs
    ]
    results = [w.communicate(timeout=600) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], [err for _, err in results]
    assert [stdout.split()[0] for stdout, _ in results] == ["ok", "ok", "ok"], results
    for question in (EXAMPLE, other):
        # outside_forecasts.csv beside a report whose question has outside forecasts as of its date.
        outside = ["outside_forecasts.csv"] if (data / "forecasts" / f"{question}.csv").is_file() else []
        assert sorted(p.name for p in (out / question / AS_OF).iterdir()) == sorted(
            [
                "checklist.csv",
                "effects.csv",
                "evidence.csv",
                "inputs.json",
                *outside,
                "published.txt",
                "report.html",
                "report.ipynb",
                "scenarios.csv",
                "summary.json",
                "trajectory.csv",
            ]
        )
        assert not (out / question / ".trash").exists()
    assert not any(work_dir(out).iterdir())  # no scratch left behind
    publishers = [
        subprocess.Popen([sys.executable, "-c", _PUBLISH, str(out), run, str(data), *questions])
        for run, questions in (("run-a", [EXAMPLE, other]), ("run-b", [EXAMPLE]))
    ]
    assert [p.wait(120) for p in publishers] == [0, 0]
    assert read_json(out / "runs" / "run-a.json")["errors"] == []
    assert read_json(out / "runs" / "run-b.json")["errors"] == []
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.rstrip().endswith("</html>")
    assert f'href="{EXAMPLE}/{AS_OF}/report.html"' in index and f'href="{other}/{AS_OF}/report.html"' in index


def test_a_job_killed_between_the_two_renames_of_its_publish_is_undone_by_the_next_job(tmp_path, monkeypatch):
    """A job's scratch is OUT/.forecast-work/<question>.<uuid>; what it set aside is put back by the next."""
    import os

    from forecast.store import job_scratch, recover_job, replace_dir

    out = tmp_path / "out"
    final = report_dir(out, EXAMPLE, AS_OF)
    final.mkdir(parents=True)
    (final / "report.html").write_text("the last good report", encoding="utf-8")
    new = job_scratch(out, EXAMPLE)
    new.mkdir(parents=True)
    (new / "report.html").write_text("half way", encoding="utf-8")
    real_rename = os.rename

    def rename(src, dst):
        if str(src) == str(new):
            raise SystemExit("killed")  # the process dies right before the second rename
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(SystemExit):
        replace_dir(new, final)
    monkeypatch.undo()
    assert not final.exists()
    with question_lock(out, EXAMPLE):
        recover_job(out, EXAMPLE)
    assert (final / "report.html").read_text(encoding="utf-8") == "the last good report"
    assert list(work_dir(out).iterdir()) == []
