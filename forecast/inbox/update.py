"""Fetching every source of a data folder into its questions' inboxes, and the analyst's decisions.

:func:`fetch_inbox` is what ``forecast inbox fetch`` and ``forecast run --fetch``
do; :func:`accept` and :func:`reject` are ``forecast inbox accept`` and
``reject``. Nothing here changes a forecast: only :func:`accept` writes evidence,
through the one validated, atomic path of ``forecast evidence add``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..errors import ForecastError, InvalidInputError, Problem, display_path
from ..inputs.append import append_evidence, held_lock
from ..inputs.questions import load_question
from ..inputs.validate import question_ids, question_path
from ..model import EvidenceRow, Question
from .fetch import TIMEOUT_SECONDS, Item, SourceError, read_articles, read_feed
from .match import match_items
from .sources import Source, load_sources
from .store import InboxRow, add_candidates, find_row, inbox_path, mark, read_inbox, set_status

__all__ = ["FetchResult", "accept", "fetch_inbox", "open_questions", "reject"]


@dataclass
class FetchResult:
    """What a fetch read and added.

    ``read`` counts the sources read, ``failed`` holds a one-line message per
    source (or file) that could not be read, ``items`` counts the items read and
    ``added`` the candidates added, by question.
    """

    sources: int = 0
    read: int = 0
    items: int = 0
    failed: list[str] = field(default_factory=list)
    added: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def open_questions(
    data_dir: str | Path, today: date, only: Sequence[str] | None = None
) -> tuple[list[Question], list[str]]:
    """The open questions (no ``resolution:``, ``closes`` not passed as of ``today``), and a message per
    question file that could not be read."""
    questions, problems = [], []
    for qid in only or question_ids(data_dir):
        try:
            question = load_question(question_path(data_dir, qid))
        except InvalidInputError as exc:
            problems.append(f"{qid}: not matched: {exc.problems[0] if exc.problems else exc}")
            continue
        except ForecastError as exc:
            problems.append(f"{qid}: not matched: {exc}")
            continue
        if question.resolution is None and question.closes >= today:
            questions.append(question)
    return questions, problems


def _read(source: Source, timeout: float) -> tuple[list[Item], list[str]]:
    if source.kind == "feed":
        return read_feed(source.location, name=source.name, timeout=timeout), []
    return read_articles(source.location, name=source.name)


def fetch_inbox(
    data_dir: str | Path,
    *,
    feeds: Sequence[str] = (),
    articles: Sequence[str] = (),
    questions: Sequence[str] | None = None,
    today: date | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> FetchResult:
    """Read the data folder's sources (and any given here), match each item, add the candidates to the inboxes.

    Parameters
    ----------
    data_dir : str or Path
        The data folder: ``sources.yaml``, ``questions/`` and ``inbox/``.
    feeds, articles : sequence of str
        More feeds (addresses or files) and folders of article files, read after
        those of ``sources.yaml`` and matched against every open question.
    questions : sequence of str, optional
        Match only against these questions (default: every open question).
    today : date, optional
        For which questions are open (default: today).
    timeout : float
        Seconds to wait for each address.

    Returns
    -------
    FetchResult
        A source that cannot be read is a message in ``failed``; the others are still read.

    Raises
    ------
    SourcesFileError
        ``sources.yaml`` is invalid (nothing is read).
    """
    today = today or date.today()
    sources = [
        *load_sources(data_dir),
        *(Source("feed", f) for f in feeds),
        *(Source("articles", a) for a in articles),
    ]
    result = FetchResult(sources=len(sources))
    if not sources:
        return result
    open_now, result.skipped = open_questions(data_dir, today, questions)
    by_id = {q.id: q for q in open_now}
    batches: dict[tuple[str, ...], list[Item]] = {}
    for source in sources:
        try:
            items, problems = _read(source, timeout)
        except SourceError as exc:
            result.failed.append(str(exc))
            continue
        result.read += 1
        result.failed.extend(problems)
        result.items += len(items)
        wanted = tuple(q for q in source.questions if q in by_id) if source.questions else tuple(by_id)
        batches.setdefault(wanted, []).extend(items)
    for wanted, items in batches.items():
        found = match_items(items, [by_id[q] for q in wanted])
        for qid, candidates in found.items():
            added = add_candidates(data_dir, qid, candidates)
            result.added[qid] = result.added.get(qid, 0) + len(added)
    return result


def accept(
    data_dir: str | Path,
    question_id: str,
    row_id: str,
    *,
    observed: str,
    reliability: str,
    credibility: str | int,
    date: str | None = None,
    indicator: str | None = None,
    summary: str | None = None,
    source: str | None = None,
    url: str | None = None,
    lock_timeout: float = 60.0,
) -> tuple[EvidenceRow, tuple[Problem, ...], InboxRow]:
    """Append the candidate ``row_id`` to the question's evidence log and mark it ``accepted``.

    The row goes through :func:`forecast.inputs.append.append_evidence`, the path of
    ``forecast evidence add``: validated against the question and the log, appended
    atomically. Its ``source`` is the feed's or site's name, and its ``url``, ``date``
    (the item's published date) and ``summary`` (the quote) come from the item,
    unless given here. The inbox is held locked throughout, so the candidate is
    accepted once.

    Returns
    -------
    (EvidenceRow, tuple of Problem, InboxRow)
        The row as appended, warnings about it, and the candidate as now marked.

    Raises
    ------
    InboxError
        No candidate has that id (nothing is written).
    EvidenceFileError, EvidenceWriteError
        The row was refused or could not be written (the log and the inbox are unchanged).
    """
    path = inbox_path(data_dir, question_id)
    with held_lock(path, lock_timeout):
        row = find_row(read_inbox(data_dir, question_id), row_id, path)
        if row.status == "accepted":
            raise InvalidInputError(
                [
                    Problem(
                        display_path(path),
                        row.line,
                        f"candidate {row_id} is already accepted; its report is in the log",
                    )
                ]
            )
        when = date or row.published
        if not when:
            raise InvalidInputError(
                [
                    Problem(
                        display_path(path),
                        row.line,
                        f"candidate {row_id} has no published date; give --date YYYY-MM-DD",
                    )
                ]
            )
        evidence, warnings = append_evidence(
            data_dir,
            question_id,
            date=when,
            indicator=indicator or row.indicator,
            observed=observed,
            source=source or row.source or row.url or "inbox",
            reliability=reliability,
            credibility=credibility,
            url=row.url if url is None else url,
            summary=row.quote if summary is None else summary,
            lock_timeout=lock_timeout,
        )
        marked = mark(data_dir, question_id, row_id, "accepted")
    return evidence, warnings, marked


def reject(data_dir: str | Path, question_id: str, row_id: str) -> InboxRow:
    """Mark the candidate ``row_id`` rejected (it stays in the inbox, so the item is not proposed again)."""
    return set_status(data_dir, question_id, row_id, "rejected")
