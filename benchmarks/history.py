"""Issue targets: a year of daily history costs a run nothing, the index stays small, ``history()`` is quick.

:func:`fill_earlier_out` writes an OUT folder as an earlier version of forecast
would have left it after a team's first year: its marker, its index and run
manifests, and 365 report folders for each of 101 questions (the timed question
among them) holding only ``summary.json``, each shaped as a real report's
summary (a template from a real run) with its own date, probabilities and moves.

Lines: one question's ``forecast run`` into that folder against the same run into
an empty one (interleaved, after one warm-up each; target ≤ 1.5×), the size of
the index it writes, and the time of ``forecast.history(OUT)``.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from .harness import Line, Options, Target, register
from .scheduled_run import AS_OF, QUESTION, ROOT, _side_by_side, _timed, run_command

__all__ = ["fill_earlier_out"]

RUN_TARGET = Target("<=", 1.5)
INDEX_TARGET = Target("<=", 1000.0, "kB")  # the 1 MB
HISTORY_TARGET = Target("<=", 10.0, "s")
QUESTIONS, DAYS = 100, 365


def fill_earlier_out(
    out: Path,
    template: dict[str, Any],
    *,
    questions: int = QUESTIONS,
    days: int = DAYS,
    end: date,
    timed: str | None = None,
    seed: int = 23,
) -> list[str]:
    """Fill ``out`` with ``days`` daily reports (ending the day before ``end``) of ``questions`` questions.

    ``template`` is a real report's ``summary.json``: each synthetic summary is a copy
    with its question, date, probabilities (a seeded random walk), leader, moves and
    ``previous`` (the day before's, one level deep) set as a run would have set them.
    ``timed`` (the question the benchmark then runs) gets a history of its own too.
    Returns the question ids written. No catalog or anything newer is written.
    """
    pick = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / ".forecast-out").write_text(
        "This folder holds reports written by `forecast run`.\n", encoding="utf-8"
    )
    scenarios = list(template["probabilities"])
    ids = [f"synthetic-{k:03d}" for k in range(questions)] + ([timed] if timed else [])
    first = end - timedelta(days=days)
    for question in ids:
        weights = [pick.random() + 0.2 for _ in scenarios]
        previous = None
        for d in range(days):
            as_of = (first + timedelta(days=d)).isoformat()
            weights = [max(0.05, w + pick.gauss(0, 0.05)) for w in weights]
            total = sum(weights)
            probabilities = {s: w / total for s, w in zip(scenarios, weights, strict=True)}
            summary = copy.deepcopy(template)
            summary.update(
                question=question,
                title=question if question != timed else template["title"],
                as_of=as_of,
                probabilities=probabilities,
                leading=max(probabilities, key=probabilities.get),
                alert=False,
                alerts=[],
                resolution=None,
                score=None,
            )
            summary["leading_name"] = summary["scenario_names"].get(summary["leading"], summary["leading"])
            if previous is None:
                summary.update(moves=None, changes=None, previous=None)
            else:
                summary["moves"] = {
                    s: (probabilities[s] - previous["probabilities"][s]) * 100 for s in scenarios
                }
                summary["previous"] = {k: v for k, v in previous.items() if k != "previous"}
                if isinstance(summary.get("changes"), dict):
                    summary["changes"] = summary["changes"] | {"previous_as_of": previous["as_of"]}
            folder = out / question / as_of
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "summary.json").write_text(
                json.dumps(summary, indent=2, sort_keys=True) + "\n", "utf-8"
            )
            previous = summary
    (out / "runs").mkdir(exist_ok=True)
    (out / "runs" / f"{(end - timedelta(days=1)).strftime('%Y%m%d')}T060000.000000Z.json").write_text(
        json.dumps({"run": "earlier", "questions": ids}) + "\n", encoding="utf-8"
    )
    (out / "index.html").write_text("<!DOCTYPE html><title>Forecasts</title>\n", encoding="utf-8")
    return ids


def template_summary(data: Path, tmp: Path) -> dict[str, Any]:
    """A real summary of the timed question, from one ``forecast run`` into a scratch folder."""
    scratch = tmp / "template-out"
    _timed(run_command(data, scratch, [QUESTION]))
    return json.loads((scratch / QUESTION / AS_OF / "summary.json").read_text(encoding="utf-8"))


@register("history", 23, "A year of history: run cost, index size, forecast.history()")
def history_benchmark(options: Options) -> list[Line]:
    import forecast

    with tempfile.TemporaryDirectory(prefix="forecast-bench-") as tmp:
        tmp_path = Path(tmp)
        data = tmp_path / "data"
        shutil.copytree(ROOT / "data", data)
        template = template_summary(data, tmp_path)
        questions, days = (QUESTIONS, DAYS) if not options.quick else (10, 60)
        full = tmp_path / "full"
        fill_earlier_out(
            full, template, questions=questions, days=days, end=date.fromisoformat(AS_OF), timed=QUESTION
        )
        counter = iter(range(10**6))

        def empty() -> Path:
            return tmp_path / f"empty-{next(counter)}"

        _timed(run_command(data, full, [QUESTION]))  # the warm-up, as the check has it
        repeats = options.repeats_or(full=3, quick=1)
        timings = _side_by_side(
            {
                "with history": lambda: run_command(data, full, [QUESTION]),
                "empty OUT": lambda: run_command(data, empty(), [QUESTION]),
            },
            repeats,
        )
        ours, theirs = timings["with history"].median, timings["empty OUT"].median
        index_kb = (full / "index.html").stat().st_size / 1e3
        start = time.perf_counter()
        frame = forecast.history(full)
        history_seconds = time.perf_counter() - start
        reports = (questions + 1) * days + 1
        return [
            Line(
                benchmark="history",
                label=f"forecast run with {questions + 1}×{days} past reports / into an empty OUT",
                value=ours / theirs,
                target=RUN_TARGET,
                ours=ours,
                theirs=theirs,
                what=(
                    f"`python -m forecast run --question {QUESTION} --as-of {AS_OF}` into an OUT folder an earlier "
                    f"version left ({questions + 1} questions × {days} daily summaries, no catalog), against the "
                    f"same run into an empty folder. Median of {repeats}, interleaved, after one warm-up."
                ),
                details={"seconds": {name: list(t.samples) for name, t in timings.items()}},
            ),
            Line(
                benchmark="history",
                label=f"index.html for {questions + 1} questions × {days} reports",
                value=index_kb,
                unit="kB",
                target=INDEX_TARGET,
                what="The size of the index the timed run wrote.",
            ),
            Line(
                benchmark="history",
                label=f"forecast.history(OUT), {reports:,} reports",
                value=history_seconds,
                unit="s",
                target=HISTORY_TARGET,
                what=f"One call, after the runs above; {len(frame):,} rows.",
                details={"rows": len(frame)},
            ),
        ]
