"""The news inbox's matching, on real reporting: recall, precision and speed.

The labelled set (``benchmarks/data/inbox_russia_syria.csv``) is built from the public reporting
behind the bundled question's evidence log (``data/evidence/russia-syria-bases.csv``, whose rows are
real reports): for each report, a headline written from it and its lede (the log's summary), with
the indicator the analyst logged it under; and off-topic items that share words with the
indicators (football "talks", naval exercises elsewhere, a port's contract in Rotterdam, Syria in
other news).

- **recall@3**: the share of labelled items whose indicator is among their three best candidates,
  for headlines and for ledes (target ≥ 0.8 each);
- **precision@20**: of the question's 20 best candidates, the share from labelled (on-topic) items
  (target ≥ 0.95);
- **speed**: ``fetch_inbox`` of a 1,000-item RSS file against three open questions, reading, matching
  and writing the inboxes (target ≤ 10 s).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
import time
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from .harness import Line, Options, Target, register

__all__ = ["LABELLED", "labelled_items", "recall_and_precision"]

LABELLED = Path(__file__).resolve().parent / "data" / "inbox_russia_syria.csv"
QUESTION = "russia-syria-bases"
DATA = Path(__file__).resolve().parent.parent / "data"
RECALL_TARGET = Target(">=", 0.8, "")
PRECISION_TARGET = Target(">=", 0.95, "")
SPEED_TARGET = Target("<=", 10.0, "s")
#: The day the questions are open on (the bundled question closes in 2027).
TODAY = date(2025, 3, 1)


def labelled_items() -> list[dict[str, str]]:
    """The labelled set: ``kind`` (headline, lede or off-topic), ``indicator``, ``text``, ``source``."""
    with LABELLED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def recall_and_precision() -> dict[str, float]:
    """recall@3 for headlines and for ledes, and precision@20, on the labelled set."""
    from forecast.inbox.fetch import Item
    from forecast.inbox.match import QuestionMatcher
    from forecast.inputs import load_question

    rows = labelled_items()
    matcher = QuestionMatcher(load_question(DATA / "questions" / f"{QUESTION}.yaml"))
    items = [Item(f"item:{k}", r["text"]) for k, r in enumerate(rows)]
    found = matcher.candidates_of(items)
    figures: dict[str, float] = {}
    for kind in ("headline", "lede"):
        hits = [
            r["indicator"] in [c.indicator for c in cands[:3]]
            for r, cands in zip(rows, found)
            if r["kind"] == kind
        ]
        figures[f"recall@3 {kind}s"] = sum(hits) / len(hits)
    ranked = sorted(
        ((c.score, k) for k, cands in enumerate(found) for c in cands), key=lambda p: (-p[0], p[1])
    )
    top = ranked[:20]
    figures["precision@20"] = sum(rows[k]["kind"] != "off-topic" for _, k in top) / len(top)
    return figures


def _feed(path: Path, n: int) -> None:
    """An RSS file of ``n`` items: the labelled set over and over, each copy at its own address."""
    rows = labelled_items()
    when = format_datetime(datetime(2025, 2, 1, tzinfo=UTC))
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Bench</title>']
    for k in range(n):
        r = rows[k % len(rows)]
        title, rest = (r["text"], "") if r["kind"] != "lede" else (r["text"].split(". ")[0], r["text"])
        parts.append(
            f"<item><title>{escape(title)} ({k})</title><description>{escape(rest)}</description>"
            f"<link>https://bench.example/{k}</link><pubDate>{when}</pubDate></item>"
        )
    parts.append("</channel></rss>\n")
    path.write_text("\n".join(parts), encoding="utf-8")


def fetch_seconds(n: int = 1000, questions: int = 3) -> float:
    """Seconds for :func:`forecast.inbox.fetch_inbox` of an ``n``-item feed against ``questions`` open questions."""
    from forecast.inbox import fetch_inbox

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        (data / "questions").mkdir(parents=True)
        text = (DATA / "questions" / f"{QUESTION}.yaml").read_text(encoding="utf-8")
        for k in range(questions):
            qid = QUESTION if k == 0 else f"{QUESTION}-{k}"
            (data / "questions" / f"{qid}.yaml").write_text(text.replace(f"id: {QUESTION}", f"id: {qid}", 1))
        feed = Path(folder) / "feed.xml"
        _feed(feed, n)
        started = time.perf_counter()
        result = fetch_inbox(data, feeds=[str(feed)], today=TODAY)
        seconds = time.perf_counter() - started
        assert result.items == n and not result.failed, result
        shutil.rmtree(data)
    return seconds


@register("inbox", 34, "The news inbox: recall@3, precision@20 and 1,000 items × 3 questions")
def inbox_benchmark(options: Options) -> list[Line]:
    import subprocess
    import sys

    figures = recall_and_precision()  # first: the imports (scikit-learn's ~1.5 s) are done before the timing
    n = 200 if options.quick else 1000
    seconds = min(fetch_seconds(n) for _ in range(options.repeats_or(3, 1)))
    with tempfile.TemporaryDirectory() as folder:  # the command as a user runs it, from a fresh process
        feed = Path(folder) / "feed.xml"
        _feed(feed, n)
        data = Path(folder) / "data"
        shutil.copytree(DATA / "questions", data / "questions")
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "forecast", "inbox", "fetch", "--data", str(data), "--feed", str(feed)],
            check=True,
            capture_output=True,
        )
        command = time.perf_counter() - started
    what = f"{LABELLED.name}: headlines and ledes of the real reports in the bundled log, and off-topic items"
    return [
        *(
            Line(
                benchmark="inbox",
                label=name,
                value=value,
                unit="",
                target=RECALL_TARGET if "recall" in name else PRECISION_TARGET,
                what=what,
            )
            for name, value in figures.items()
        ),
        Line(
            benchmark="inbox",
            label=f"fetch and match {n:,} items × 3 questions",
            value=seconds,
            unit="s",
            target=SPEED_TARGET if n == 1000 else None,
            what="forecast.inbox.fetch_inbox of one RSS file against three open questions (read, match, "
            "write the inboxes), in a process that has imported forecast.inbox and scikit-learn; best of "
            "the repeats",
        ),
        Line(
            benchmark="inbox",
            label=f"`forecast inbox fetch`, {n:,} items, from a fresh process",
            value=command,
            unit="s",
            what="The command on the bundled data folder (one open question), Python's start and every "
            "import included; informative",
        ),
    ]
