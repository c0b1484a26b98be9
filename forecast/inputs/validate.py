"""A data folder: its files by question id, and every problem in it.

``DATA/questions/<id>.yaml``, ``DATA/evidence/<id>.csv``, ``DATA/judgments/<id>/``
and ``DATA/forecasts/<id>.csv``; :func:`validate_data` is ``forecast validate``.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from datetime import date
from pathlib import Path

from ..errors import (
    CalibrationFileError,
    EvidenceFileError,
    Problem,
    QuestionFileError,
    display_path,
    not_a_name,
)
from ..model import (
    EvidenceLog,
    Indicator,
    Question,
    Scenario,
)
from .calibration import apply_calibration, load_calibration
from .evidence import load_evidence, parse_evidence, read_evidence_file, read_evidence_rows
from .questions import QUESTION_ID, check_iso_date, load_question
from .safe_yaml import is_missing

__all__ = [
    "copy_question",
    "evidence_path",
    "load_by_id",
    "parse_as_of",
    "question_ids",
    "question_path",
    "validate_data",
]


def question_path(data_dir: str | Path, question_id: str) -> Path:
    """The question file of ``question_id`` under ``data_dir``."""
    return Path(data_dir) / "questions" / f"{question_id}.yaml"


def evidence_path(data_dir: str | Path, question_id: str) -> Path:
    """The evidence log of ``question_id`` under ``data_dir``."""
    return Path(data_dir) / "evidence" / f"{question_id}.csv"


def copy_question(data_dir: str | Path, source: str, new_id: str) -> Path:
    """Add question ``new_id`` to ``data_dir``: a copy of ``source``'s file and of its evidence log, if any.

    The copy's top-level ``id:`` line is rewritten to ``new_id``, which a question
    file must carry as its file name's stem; nothing else changes.

    Returns
    -------
    Path
        The new question file.

    Raises
    ------
    QuestionFileError
        If ``new_id`` is not a question id, or a question ``new_id`` already exists.
    """
    if not QUESTION_ID.match(str(new_id)):
        raise QuestionFileError(
            [Problem(str(new_id), 0, "not a question id (lower-case letters, digits and '-')")]
        )
    target = question_path(data_dir, new_id)
    if target.exists():
        raise QuestionFileError([Problem(display_path(target), 0, "already exists; choose another id")])
    text = question_path(data_dir, source).read_text(encoding="utf-8")
    target.write_text(re.sub(r"(?m)^id: .*$", f"id: {new_id}", text, count=1), encoding="utf-8")
    log = evidence_path(data_dir, source)
    if log.exists():
        shutil.copyfile(log, evidence_path(data_dir, new_id))
    return target


def load_by_id(data_dir: str | Path, question_id: str) -> tuple[Question, EvidenceLog]:
    """Load a question and its evidence log by id from a data folder.

    The id is checked first, so that no id (``../x``, an absolute path) can name
    a file outside ``data_dir``.

    The folder's ``calibration.yaml``, if any, gives the question its ``temper``
    (and ``extremize``) where the question file does not set its own.

    Raises
    ------
    QuestionFileError, EvidenceFileError, CalibrationFileError
        As :func:`load_question`, :func:`load_evidence` and :func:`load_calibration`
        do, or for an id that is not a slug.
    """
    if not QUESTION_ID.match(str(question_id)):
        raise QuestionFileError(
            [Problem(str(question_id), 0, "not a question id (lower-case letters, digits and '-')")]
        )
    question = apply_calibration(
        load_question(question_path(data_dir, question_id)), load_calibration(data_dir)
    )
    return question, load_evidence(evidence_path(data_dir, question_id), question)


def parse_as_of(value: date | str | None) -> date:
    """An as-of date from a parameter: a date, an ISO ``YYYY-MM-DD`` string, or ``None``/``""`` for today.

    Raises
    ------
    ValueError
        For text that is not an ISO date that exists.
    """
    return date.today() if value in (None, "") else check_iso_date(value)


def question_ids(data_dir: str | Path) -> list[str]:
    """The ids (file stems) of every question file under ``data_dir``, sorted."""
    folder = Path(data_dir) / "questions"
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def _stand_in(question_id: str, scenario_ids: list[str], indicator_ids: list[str]) -> Question:
    """A question that accepts every scenario and indicator a file names, over any date.

    With it the readers check a file's own syntax and types (dates, grades, ids,
    probabilities) when the real question file is invalid.
    """
    ids = scenario_ids or ["a", "b"]
    scenarios = tuple(Scenario(sid, sid, 1 / len(ids)) for sid in ids)
    indicators = tuple(Indicator(iid, "", ids[0], dict.fromkeys(ids, 0.5)) for iid in indicator_ids)
    # Not date.min and date.max: a reader may look a year beyond them.
    return Question(question_id, "", "", date(2, 1, 1), date(9998, 12, 31), scenarios, indicators)


def _column(text: str, name: str) -> list[str]:
    """The values of one column of a CSV text (none if it has no such column), for :func:`_stand_in`."""
    records = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(records, [])]
    if name not in header:
        return []
    at = header.index(name)
    return list(dict.fromkeys(r[at].strip() for r in records if len(r) > at))


def _without_question(
    data_dir: Path, question_id: str, question_file: str, today: date | None
) -> list[Problem]:
    """The problems of a question's other files found without its question, which is invalid.

    Each file's own syntax and types are checked; the checks that need the
    question (indicators, scenarios, dates against its life) are reported as skipped.
    """
    from .judgments import ANALYST_NAME, judgment_paths, unread_judgment_files
    from .outside import OutsideForecastFileError, forecasts_path, load_outside_forecasts
    from .safe_yaml import Located, read_yaml_mapping

    skipped = f"skipped: the checks against the question need a valid {question_file}"
    problems: list[Problem] = []
    log = evidence_path(data_dir, question_id)
    if not is_missing(log):
        try:
            _, text = read_evidence_file(log)
            stand_in = _stand_in(question_id, [], _column(text, "indicator"))
            problems.extend(
                parse_evidence(text, stand_in, Located(display_path(log)), today or date.today()).warnings
            )
        except EvidenceFileError as exc:
            problems.extend(exc.problems)
        problems.append(
            Problem(display_path(log), 0, f"{skipped} (indicators, dates in its life)", "warning")
        )
    problems.extend(unread_judgment_files(data_dir, question_id))
    for path in judgment_paths(data_dir, question_id):
        where = Located(display_path(path))
        if not ANALYST_NAME.match(path.stem):
            where.error(0, not_a_name(path.stem, "an analyst name (letters, digits, '_' and '-')"))
        read_yaml_mapping(path, where, "a mapping with priors, likelihood, ...")
        problems.extend(where.problems)
        problems.append(Problem(where.path, 0, f"{skipped} (scenarios, indicators, groups)", "warning"))
    forecasts = forecasts_path(data_dir, question_id)
    if not is_missing(forecasts):
        try:
            head = b""
            if forecasts.is_file():  # the header, for the scenario ids; the reader checks the whole file
                with open(forecasts, "rb") as handle:
                    head = handle.read(1 << 16)
            text = head.decode("utf-8-sig", errors="replace").splitlines()[:1]
            header = next(csv.reader(text), [])
            ids = [h.strip() for h in header if h.strip() not in ("date", "forecaster")]
            problems.extend(load_outside_forecasts(forecasts, _stand_in(question_id, ids, [])).warnings)
        except OutsideForecastFileError as exc:
            problems.extend(exc.problems)
        problems.append(
            Problem(display_path(forecasts), 0, f"{skipped} (scenarios, dates in its life)", "warning")
        )
    return problems


def _team_problems(data_dir: Path, question: Question) -> list[Problem]:
    """The problems in a question's judgment files and outside-forecast log."""
    # Imported here: those readers build on this module.
    from .judgments import check_judgments
    from .outside import check_outside_forecasts

    return check_judgments(data_dir, question) + check_outside_forecasts(data_dir, question)


def _orphans(data_dir: Path, known: set[str]) -> list[Problem]:
    """Judgment folders and outside-forecast logs of questions that have no question file."""
    problems = []
    for folder, pattern in (("judgments", "*"), ("forecasts", "*.csv")):
        if (data_dir / folder).is_dir():
            for path in sorted((data_dir / folder).glob(pattern)):
                stem = path.name if folder == "judgments" else path.stem
                if stem not in known and (path.is_dir() or folder == "forecasts"):
                    problems.append(
                        Problem(
                            display_path(path),
                            0,
                            f"no question file questions/{stem}.yaml for these forecasts",
                        )
                    )
    return problems


def _closed_unresolved(question: Question, today: date) -> Problem | None:
    """A warning when the question's ``closes`` date has passed and it has no ``resolution``."""
    if question.resolution is not None or today <= question.closes:
        return None
    return Problem(
        question.path,
        question.closes_line,
        f"question '{question.id}' closed on {question.closes} and has no resolution; "
        "add resolution: (scenario, date, note) or move closes",
        "warning",
    )


def _question_problems(data_dir: Path, path: Path, today: date | None) -> list[Problem]:
    """The problems of one question's files: its question file, evidence log, judgments and outside forecasts."""
    try:
        question = load_question(path)
    except QuestionFileError as exc:
        return [*exc.problems, *_without_question(data_dir, path.stem, display_path(path), today)]
    problems = list(question.warnings)
    closed = _closed_unresolved(question, today or date.today())
    if closed is not None:
        problems.append(closed)
    try:
        log = read_evidence_rows(evidence_path(data_dir, question.id), question, today)
        problems.extend(log.warnings)
    except EvidenceFileError as exc:  # the judgments and outside forecasts are checked all the same
        problems.extend(exc.problems)
    problems.extend(_team_problems(data_dir, question))
    return problems


def validate_data(data_dir: str | Path, *, today: date | None = None) -> list[Problem]:
    """Check every question file and evidence log under ``data_dir``.

    Returns
    -------
    list of Problem
        Every error and warning, sorted by file and line. An empty list means clean.
    """
    data_dir = Path(data_dir)
    problems: list[Problem] = []
    if not (data_dir / "questions").is_dir():
        return [Problem(display_path(data_dir), 0, "no questions/ folder; expected DATA/questions/<id>.yaml")]
    try:
        load_calibration(data_dir)
    except CalibrationFileError as exc:
        problems.extend(exc.problems)
    for path in sorted((data_dir / "questions").iterdir()):
        if path.suffix != ".yaml":  # a .yaml that is not a regular file is refused by load_question
            if path.suffix in (".yml", ".json"):
                problems.append(Problem(display_path(path), 0, "question files end in .yaml", "warning"))
            continue
        if not QUESTION_ID.match(path.stem):
            problems.append(Problem(display_path(path), 0, not_a_name(path.stem, "a question id (a slug)")))
            continue
        try:
            problems.extend(_question_problems(data_dir, path, today))
        except (ArithmeticError, ValueError, RuntimeError, RecursionError, TypeError, LookupError) as exc:
            # No check foresaw it: said of this question, and the others are checked all the same.
            problems.append(
                Problem(
                    display_path(path), 0, f"its files could not be checked ({type(exc).__name__}: {exc})"
                )
            )
    known = set(question_ids(data_dir))
    problems.extend(_orphans(data_dir, known))
    evidence_dir = data_dir / "evidence"
    if evidence_dir.is_dir():
        for path in sorted(evidence_dir.glob("*.csv")):
            if path.stem not in known:
                problems.append(
                    Problem(
                        display_path(path), 0, f"no question file questions/{path.stem}.yaml for this log"
                    )
                )
    # A file's checks do not run in line order: sort each file's problems by line, files as visited.
    visited: dict[str, int] = {}
    for problem in problems:
        visited.setdefault(problem.path, len(visited))
    return sorted(problems, key=lambda p: (visited[p.path], p.line))
