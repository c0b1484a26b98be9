"""Analysts' judgment files: ``DATA/judgments/<question-id>/<analyst>.yaml``.

This module is the one reader of judgment files. Each file overlays one analyst's
judgments on the question: a full set of ``priors``, likelihoods of any subset of
an indicator's scenarios (a value or a ``[low, high]`` range), ``dependence`` of
the question's dependence groups, and a free-text ``note``. Anything left out is
the question file's value; the analyst's name is the file's stem.

Files are read with the question loader's YAML machinery (safe loader, no
aliases or tags, every value's line recorded), so every mistake is reported as
``FILE:LINE: what was expected``. Only the standard library and PyYAML are
imported, so ``forecast validate`` stays quick.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ForecastError, JudgmentFileError, Problem, display_path, not_a_name
from ..model import Question
from .outside import OutsideForecasts, forecasts_path, load_outside_forecasts
from .questions import PRIOR_TOLERANCE, check_likelihood, check_prior
from .safe_yaml import Located, read_yaml_mapping

__all__ = [
    "ANALYST_NAME",
    "Judgment",
    "JudgmentKey",
    "changed_keys",
    "check_judgments",
    "describe_judgment",
    "judgment_of",
    "judgment_paths",
    "judgments_dir",
    "load_judgment",
    "load_judgments",
    "load_team_inputs",
    "overlay",
    "question_value",
]

#: Analyst names are file stems shown in reports: letters, digits, '_' and '-'.
ANALYST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_KEYS = ("note", "priors", "likelihood", "dependence")

#: One judgment an analyst can change: ``("priors",)``, ``("likelihood", indicator, scenario)``
#: or ``("dependence", group)``.
JudgmentKey = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Judgment:
    """One analyst's judgments on one question, as validated.

    ``priors`` is the full set (``None``: the question's); ``likelihood`` maps an
    indicator to the scenarios the analyst judged, each a value or a ``(low, high)``
    range; ``dependence`` maps a dependence group to the analyst's rho.
    """

    analyst: str
    path: str = ""
    priors: Mapping[str, float] | None = None
    likelihood: Mapping[str, Mapping[str, float | tuple[float, float]]] = field(default_factory=dict)
    dependence: Mapping[str, float] = field(default_factory=dict)
    note: str = ""

    def judged_keys(self) -> list[JudgmentKey]:
        """Every judgment this file sets, in file order (priors first)."""
        keys: list[JudgmentKey] = [("priors",)] if self.priors is not None else []
        keys += [("likelihood", i, s) for i, values in self.likelihood.items() for s in values]
        keys += [("dependence", g) for g in self.dependence]
        return keys

    def without(self, key: JudgmentKey) -> Judgment:
        """The same judgments, but the one named by ``key`` left to the question's value."""
        if key[0] == "priors":
            return replace(self, priors=None)
        if key[0] == "likelihood":
            likelihood = {i: dict(v) for i, v in self.likelihood.items()}
            likelihood[key[1]].pop(key[2], None)
            return replace(self, likelihood={i: v for i, v in likelihood.items() if v})
        return replace(self, dependence={g: r for g, r in self.dependence.items() if g != key[1]})


def judgments_dir(data_dir: str | Path, question_id: str) -> Path:
    """The folder of ``question_id``'s judgment files under ``data_dir``."""
    return Path(data_dir) / "judgments" / question_id


def judgment_paths(data_dir: str | Path, question_id: str) -> list[Path]:
    """The judgment files of a question, sorted by analyst name (none: an empty list).

    Every ``*.yaml`` entry is listed, so that one that is not a regular file (a folder,
    a pipe) is reported when read rather than silently left out.
    """
    folder = judgments_dir(data_dir, question_id)
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


# ----------------------------------------------------------------------- the groups of a question


def _groups(question: Question) -> dict[str, Any]:
    """The question's dependence groups by id (none for a question without groups)."""
    groups = getattr(question, "groups", None) or ()
    if isinstance(groups, Mapping):
        return dict(groups)
    return {getattr(g, "id", g): g for g in groups}


def _group_dependence(group: Any) -> float | None:
    value = getattr(group, "dependence", None)
    if value is None:
        value = getattr(group, "rho", None)
    return None if value is None else float(value)


# ----------------------------------------------------------------------- reading


def _probability_problem(check, value: Any) -> tuple[Any, str | None]:
    try:
        return check(value), None
    except ValueError as exc:
        return None, str(exc)


def load_judgment(path: str | Path, question: Question) -> Judgment:
    """Load and validate one analyst's judgment file against its question.

    Parameters
    ----------
    path : str or Path
        ``DATA/judgments/<question-id>/<analyst>.yaml``.
    question : Question
        The question whose indicators, scenarios and groups the file may name.

    Returns
    -------
    Judgment

    Raises
    ------
    JudgmentFileError
        With every problem found, each as ``FILE:LINE: message``.

    Examples
    --------
    >>> from forecast import load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> j = load_judgment("data/judgments/russia-syria-bases/basil.yaml", q)
    >>> j.analyst, sorted(j.priors)
    ('basil', ['exit', 'keep', 'partial'])
    """
    path = Path(path)
    where = Located(display_path(path))
    if not ANALYST_NAME.match(path.stem):
        where.error(0, not_a_name(path.stem, "an analyst name (letters, digits, '_' and '-')"))
        raise JudgmentFileError(where.problems)
    data = read_yaml_mapping(path, where, "a mapping with priors, likelihood, dependence or note")
    if data is None:
        raise JudgmentFileError(where.problems)
    judgment = _build(data, path.stem, question, where)
    if where.has_errors or judgment is None:
        raise JudgmentFileError(where.problems)
    return judgment


def _build(data: dict, analyst: str, question: Question, where: Located) -> Judgment | None:
    line = where.line_of
    for key in data:
        if key == "temper":
            where.error(
                line((key,)),
                "temper is the team's, not an analyst's: set it in the question file or in calibration.yaml",
            )
        elif key not in _KEYS:
            where.error(line((key,)), f"unknown key {key!r}; expected one of {', '.join(_KEYS)}")
    note = data.get("note", "")
    if note is None:
        note = ""
    if not isinstance(note, str):
        where.error(line(("note",)), f"note: expected text, got {note!r}")
    ids = question.scenario_ids
    priors = _priors(data.get("priors"), ids, where) if "priors" in data else None
    likelihood = _likelihoods(data.get("likelihood"), question, where) if "likelihood" in data else {}
    dependence = _dependence(data.get("dependence"), question, where) if "dependence" in data else {}
    if where.has_errors:
        return None
    return Judgment(
        analyst=analyst,
        path=where.path,
        priors=priors,
        likelihood=likelihood,
        dependence=dependence,
        note=note.strip(),
    )


def _mapping(value: Any, key: tuple, what: str, where: Located) -> dict | None:
    if not isinstance(value, dict):
        where.error(where.line_of(key), f"{'.'.join(key)}: expected a mapping of {what}, got {value!r}")
        return None
    return value


def _priors(value: Any, ids: tuple[str, ...], where: Located) -> dict[str, float] | None:
    priors = _mapping(value, ("priors",), "scenario: probability", where)
    if priors is None:
        return None
    before = len(where.problems)
    checked = {}
    for sid, v in priors.items():
        here = where.line_of(("priors", sid))
        if sid not in ids:
            where.error(here, f"priors names {sid!r}, which is not a scenario; expected {', '.join(ids)}")
            continue
        p, problem = _probability_problem(check_prior, v)
        if problem:
            where.error(here, f"priors.{sid}: {problem}")
        else:
            checked[sid] = p
    missing = [s for s in ids if s not in priors]
    if missing:
        where.error(
            where.line_of(("priors",)),
            f"priors has no value for scenario {', '.join(missing)}; an analyst's priors are the full set",
        )
    if len(where.problems) > before:
        return None
    total = sum(checked.values())
    if abs(total - 1) > PRIOR_TOLERANCE:
        where.error(
            where.line_of(("priors",)),
            f"priors sum to {total:.6g}; expected 1 (within {PRIOR_TOLERANCE})",
        )
        return None
    return {s: checked[s] for s in ids}


def _likelihoods(value: Any, question: Question, where: Located) -> dict[str, dict]:
    entries = _mapping(value, ("likelihood",), "indicator: {scenario: likelihood}", where)
    if entries is None:
        return {}
    ids = question.scenario_ids
    known = set(question.indicator_ids)
    result: dict[str, dict] = {}
    for iid, values in entries.items():
        here = ("likelihood", iid)
        if iid not in known:
            where.error(
                where.line_of(here),
                f"indicator {iid!r} is not in the question's checklist; expected one of {', '.join(sorted(known))}",
            )
            continue
        values = _mapping(values, here, "scenario: likelihood", where)
        if values is None:
            continue
        result[iid] = {}
        for sid, v in values.items():
            at = where.line_of(here + (sid,))
            if sid not in ids:
                where.error(
                    at, f"likelihood.{iid} names {sid!r}, which is not a scenario; expected {', '.join(ids)}"
                )
                continue
            checked, problem = _probability_problem(check_likelihood, v)
            if problem:
                where.error(at, f"likelihood.{iid}.{sid}: {problem}")
            else:
                result[iid][sid] = checked
    return {i: v for i, v in result.items() if v}


def _dependence(value: Any, question: Question, where: Located) -> dict[str, float]:
    groups = _groups(question)
    if not groups:
        where.error(
            where.line_of(("dependence",)),
            f"dependence: question {question.id!r} has no dependence groups; remove this key",
        )
        return {}
    entries = _mapping(value, ("dependence",), "group: rho", where)
    if entries is None:
        return {}
    result = {}
    for gid, rho in entries.items():
        at = where.line_of(("dependence", gid))
        if gid not in groups:
            where.error(
                at, f"dependence names {gid!r}, which is not a group; expected {', '.join(sorted(groups))}"
            )
        elif isinstance(rho, bool) or not isinstance(rho, (int, float)) or not 0 <= rho <= 1:
            where.error(at, f"dependence.{gid}: expected rho between 0 and 1, got {rho!r}")
        else:
            result[gid] = float(rho)
    return result


def judgment_of(judgments: Sequence[Judgment], analyst: str, question_id: str) -> Judgment:
    """The judgment file of ``analyst`` among a question's ``judgments``.

    Raises
    ------
    ForecastError
        When the analyst has none, naming the file expected and the analysts there are.
    """
    for judgment in judgments:
        if judgment.analyst == analyst:
            return judgment
    shown = ", ".join(j.analyst for j in judgments) or "none"
    raise ForecastError(f"no judgment file judgments/{question_id}/{analyst}.yaml; the analysts are: {shown}")


def load_judgments(data_dir: str | Path, question: Question) -> tuple[Judgment, ...]:
    """Every analyst's judgments on ``question``, sorted by analyst name.

    Parameters
    ----------
    data_dir : str or Path
        The data folder; the files are ``judgments/<question.id>/*.yaml``.
    question : Question

    Returns
    -------
    tuple of Judgment
        Empty when the question has no judgment files.

    Raises
    ------
    JudgmentFileError
        With every problem in every file of the question, each as ``FILE:LINE: message``.
    """
    judgments, problems = [], []
    for path in judgment_paths(data_dir, question.id):
        try:
            judgments.append(load_judgment(path, question))
        except JudgmentFileError as exc:
            problems.extend(exc.problems)
    if any(p.is_error for p in problems):
        raise JudgmentFileError(problems)
    return tuple(judgments)


def load_team_inputs(
    data_dir: str | Path, question: Question
) -> tuple[tuple[Judgment, ...], OutsideForecasts]:
    """A question's judgment files and outside-forecast log, both validated.

    Raises
    ------
    JudgmentFileError, OutsideForecastFileError
        As :func:`load_judgments` and :func:`forecast.inputs.outside.load_outside_forecasts` do.
    """
    judgments = load_judgments(data_dir, question)
    return judgments, load_outside_forecasts(forecasts_path(data_dir, question.id), question)


def _not_read(path: Path) -> str:
    """Why an entry of a question's judgment folder is not read (only ``<analyst>.yaml`` files are)."""
    if path.suffix.lower() in (".yaml", ".yml", ".json"):
        return f"not read: judgment files end in .yaml, in lower case; rename it {path.stem}.yaml"
    return "not read: only <analyst>.yaml judgment files are read in this folder"


def unread_judgment_files(data_dir: str | Path, question_id: str) -> list[Problem]:
    """A warning naming each entry of the question's judgment folder that is not read (not ``*.yaml``)."""
    folder = judgments_dir(data_dir, question_id)
    if not folder.is_dir():
        return []
    return [
        Problem(display_path(path), 0, _not_read(path), "warning")
        for path in sorted(folder.iterdir())
        if path.suffix != ".yaml"  # a .yaml that is not a regular file is refused by load_judgment
    ]


def check_judgments(data_dir: str | Path, question: Question) -> list[Problem]:
    """Every problem in the question's judgment files (for ``forecast validate``); none when clean.

    Only ``<analyst>.yaml`` files are read; every other entry of the folder (``x.YAML``,
    ``x.yml``, notes) is named in a warning, so that no judgment is left out unseen.
    """
    problems = unread_judgment_files(data_dir, question.id)
    try:
        load_judgments(data_dir, question)
    except JudgmentFileError as exc:
        problems.extend(exc.problems)
    return problems


# ----------------------------------------------------------------------- the overlay


def overlay(question: Question, judgment: Judgment) -> Question:
    """The question as ``judgment``'s analyst sees it: their judgments over the question's values.

    Parameters
    ----------
    question : Question
    judgment : Judgment
        Validated against ``question``.

    Returns
    -------
    Question
        A new question: priors replaced by the analyst's (if given), each judged
        likelihood replaced (a range's midpoint as its point value, the range kept
        for the uncertainty bands; a value given for a ranged likelihood drops its
        range), and each judged group's dependence replaced. Nothing else changes.

    Examples
    --------
    >>> from forecast import load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> j = Judgment("x", likelihood={"both-bases-deal-reported": {"keep": 0.9}})
    >>> overlay(q, j).indicator("both-bases-deal-reported").likelihood
    {'keep': 0.9, 'partial': 0.5, 'exit': 0.25}
    """
    scenarios = question.scenarios
    if judgment.priors is not None:
        scenarios = tuple(replace(s, prior=judgment.priors[s.id]) for s in scenarios)
    indicators = []
    for ind in question.indicators:
        judged = judgment.likelihood.get(ind.id)
        if judged:
            likelihood, ranges = dict(ind.likelihood), dict(ind.ranges)
            for sid, value in judged.items():
                if isinstance(value, tuple):
                    likelihood[sid], ranges[sid] = sum(value) / 2, value
                else:
                    likelihood[sid] = value
                    ranges.pop(sid, None)
            ind = replace(ind, likelihood=likelihood, ranges=ranges)
        indicators.append(ind)
    changes: dict[str, Any] = {"scenarios": scenarios, "indicators": tuple(indicators)}
    if judgment.dependence:
        groups = question.groups
        changes["groups"] = _overlay_groups(groups, judgment.dependence)
    return replace(question, **changes)


def _overlay_groups(groups: Any, dependence: Mapping[str, float]) -> Any:
    def judged(gid: str, group: Any) -> Any:
        if gid not in dependence:
            return group
        name = "dependence" if hasattr(group, "dependence") else "rho"
        return replace(group, **{name: dependence[gid]})

    if isinstance(groups, Mapping):
        return type(groups)({g: judged(g, v) for g, v in groups.items()})
    return tuple(judged(getattr(g, "id", g), g) for g in groups)


def question_value(question: Question, key: JudgmentKey) -> Any:
    """The question's own value of a judgment: the priors, a likelihood (or its range), a group's rho."""
    if key[0] == "priors":
        return {s.id: s.prior for s in question.scenarios}
    if key[0] == "likelihood":
        ind = question.indicator(key[1])
        return ind.ranges.get(key[2], ind.likelihood[key[2]])
    return _group_dependence(_groups(question)[key[1]])


def judged_value(judgment: Judgment, key: JudgmentKey) -> Any:
    """The analyst's value of a judgment named by ``key``."""
    if key[0] == "priors":
        return dict(judgment.priors or {})
    if key[0] == "likelihood":
        return judgment.likelihood[key[1]][key[2]]
    return judgment.dependence[key[1]]


def changed_keys(question: Question, judgment: Judgment) -> list[JudgmentKey]:
    """The judgments the analyst set to something other than the question's value."""
    return [k for k in judgment.judged_keys() if judged_value(judgment, k) != question_value(question, k)]


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return f"{value[0]:g}–{value[1]:g}"
    if isinstance(value, dict):
        return ", ".join(f"{s} {p:g}" for s, p in value.items())
    return "—" if value is None else f"{value:g}"


def describe_judgment(question: Question, judgment: Judgment, key: JudgmentKey) -> str:
    """One line saying what the analyst judged against the question, e.g. ``"likelihood of x under keep: 0.9 (question 0.6–0.8)"``."""
    mine, theirs = _shown(judged_value(judgment, key)), _shown(question_value(question, key))
    if key[0] == "priors":
        return f"priors: {mine} (question {theirs})"
    if key[0] == "likelihood":
        return f"likelihood of {key[1]} under {key[2]}: {mine} (question {theirs})"
    return f"dependence of group {key[1]}: {mine} (question {theirs})"
