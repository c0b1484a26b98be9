"""A question's start and end from the command line: ``forecast new`` and ``forecast resolve``.

Both write through a validated, atomic path: the new text is checked by the
loader every command uses (:func:`forecast.inputs.questions.load_question`)
before it replaces anything, under the file's own lock
(:func:`forecast.inputs.append.held_lock`). ``resolve`` adds the ``resolution:``
block at the end of the file and changes no other byte, so every comment stays.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import Problem, QuestionFileError, display_path
from ..model import Question
from ..store import atomic_write_text
from .append import held_lock
from .evidence import EVIDENCE_COLUMNS
from .questions import QUESTION_ID, load_question
from .validate import evidence_path, question_path

__all__ = ["new_question", "question_template", "resolve_question"]


def question_template(question_id: str, title: str, scenarios: Sequence[str], today: datetime.date) -> str:
    """The text of a new question file: commented, with equal priors and one example indicator.

    Examples
    --------
    >>> text = question_template("q", "Will it happen?", ["yes", "no"], datetime.date(2026, 1, 1))
    >>> "prior: 0.5" in text
    True
    """
    n = len(scenarios)
    share = round(1 / n, 3)
    priors = [share] * (n - 1) + [round(1 - share * (n - 1), 3)]
    lines = [
        f"id: {question_id}",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        "# The question, answerable on the day it closes; the scenarios below must cover every outcome.",
        f"question: {json.dumps(title if title.endswith('?') else title + '?', ensure_ascii=False)}",
        f"opened: {today.isoformat()}",
        f"closes: {today.replace(year=today.year + 1) if (today.month, today.day) != (2, 29) else today + datetime.timedelta(days=365)}",
        "# Phrases that mark a news item as about this question, for the inbox (forecast inbox fetch).",
        "# look_for: [a place, a person, an organisation]",
        "",
        "# Priors: the chance of each scenario before any evidence, summing to 1. Say here why.",
        "scenarios:",
    ]
    for sid, prior in zip(scenarios, priors):
        lines += [
            f"  {sid}:",
            f"    name: {json.dumps(sid.replace('-', ' ').capitalize())}",
            "    description: What, exactly, resolves the question to this scenario.",
            f"    prior: {prior}",
        ]
    first = scenarios[0]
    likelihood = ", ".join(f"{s}: {0.7 if s == first else 0.3}" for s in scenarios)
    lines += [
        "",
        "# Indicators: signposts that would be seen more often under some scenarios than others.",
        "# likelihood: P(seen within the question's life | scenario); a range [low, high] is allowed.",
        "indicators:",
        "  example-signpost:",
        f"    text: Replace with a signpost that would be more likely if '{first}' is the outcome",
        f"    signals: {first}",
        f"    likelihood: {{{likelihood}}}",
        "    # look_for: [a phrase a report of it would hold]",
    ]
    return "\n".join(lines) + "\n"


def _checked(question_id: str, text: str) -> Question:
    """Load ``text`` as the question file ``<question_id>.yaml`` would be loaded (errors as they would read)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{question_id}.yaml"
        path.write_text(text, encoding="utf-8")
        return load_question(path)


def new_question(
    data_dir: str | Path,
    question_id: str,
    *,
    title: str = "",
    scenarios: Sequence[str] = ("yes", "no"),
    today: datetime.date | None = None,
) -> tuple[Path, Path]:
    """Write a new question file from the template, and an empty evidence log.

    Returns
    -------
    (Path, Path)
        The question file and the log.

    Raises
    ------
    QuestionFileError
        ``question_id`` is not an id, the question exists already, or the template
        with these scenarios would not be valid (every problem located).
    """
    if not QUESTION_ID.match(question_id):
        raise QuestionFileError(
            [Problem(question_id, 0, "not a question id (lower-case letters, digits and '-')")]
        )
    path, log = question_path(data_dir, question_id), evidence_path(data_dir, question_id)
    for existing in (path, log):
        if existing.exists() or existing.is_symlink():
            raise QuestionFileError([Problem(display_path(existing), 0, "already exists; choose another id")])
    text = question_template(
        question_id,
        title or question_id.replace("-", " ").capitalize(),
        scenarios,
        today or datetime.date.today(),
    )
    try:
        _checked(question_id, text)
    except QuestionFileError as exc:
        shown = display_path(path)
        raise QuestionFileError(
            [Problem(shown, p.line, p.message, p.severity) for p in exc.problems]
        ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with held_lock(path):
        atomic_write_text(path, text)
    with held_lock(log):
        atomic_write_text(log, ",".join(EVIDENCE_COLUMNS) + "\n")
    return path, log


def resolve_question(
    data_dir: str | Path,
    question_id: str,
    scenario: str,
    *,
    date: datetime.date,
    note: str = "",
    lock_timeout: float = 60.0,
) -> Question:
    """Write the ``resolution:`` block of a question: validated, atomic, every comment kept.

    Returns
    -------
    Question
        The question as it now reads.

    Raises
    ------
    QuestionFileError
        The question is invalid, already resolved, ``scenario`` is not one of its
        scenarios or ``date`` is before ``opened`` (the file is unchanged).
    """
    if not QUESTION_ID.match(question_id):
        raise QuestionFileError(
            [Problem(question_id, 0, "not a question id (lower-case letters, digits and '-')")]
        )
    path = question_path(data_dir, question_id)
    shown = display_path(path)
    with held_lock(path, lock_timeout):
        question = load_question(path)
        if question.resolution is not None:
            r = question.resolution
            raise QuestionFileError(
                [
                    Problem(
                        shown,
                        0,
                        f"already resolved ({r.scenario} on {r.date}); edit its resolution: block to change it",
                    )
                ]
            )
        if scenario not in question.scenario_ids:
            raise QuestionFileError(
                [
                    Problem(
                        shown,
                        0,
                        f"{scenario!r} is not a scenario; expected one of {', '.join(question.scenario_ids)}",
                    )
                ]
            )
        if date < question.opened:
            raise QuestionFileError([Problem(shown, 0, f"--date {date} is before opened {question.opened}")])
        text = path.read_text(encoding="utf-8")
        newline = "\r\n" if "\r\n" in text else "\n"
        block = ["resolution:", f"  scenario: {scenario}", f"  date: {date.isoformat()}"]
        if note.strip():
            block.append(f"  note: {json.dumps(note.strip(), ensure_ascii=False)}")
        lead = "" if not text or text.endswith(("\n", "\r")) else newline
        changed = text + lead + newline.join(block) + newline
        try:
            resolved = _checked(question_id, changed)
        except QuestionFileError as exc:
            raise QuestionFileError(
                [Problem(shown, p.line, p.message, p.severity) for p in exc.problems]
            ) from None
        atomic_write_text(os.path.realpath(path), changed)
    return resolved
