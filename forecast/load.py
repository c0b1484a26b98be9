"""Question files (YAML) and evidence logs (CSV) into the validated model.

Loading never executes anything from a file: YAML is read with PyYAML's safe
loader, after a scan that refuses aliases, deep nesting and oversized files, so
neither an object-constructing tag nor an alias bomb can do harm. Plain values
are read by the YAML 1.2 core schema, so ``Yes``, ``No`` and ``On`` stay text,
and a text field keeps a value such as ``2025`` or ``1.10`` as written. Only
regular files are read (never a FIFO or a device), up to a size limit. Every
problem is reported with its file and line, as ``FILE:LINE: what was expected``.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic_core import SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from .errors import EvidenceFileError, Problem, QuestionFileError, display_path
from .model import (
    DEFAULT_CREDIBILITY_WEIGHTS,
    DEFAULT_RELIABILITY_WEIGHTS,
    EvidenceLog,
    EvidenceRow,
    Group,
    Indicator,
    Question,
    Resolution,
    Scenario,
)
from .store import RESERVED_NAMES

__all__ = [
    "EVIDENCE_COLUMNS",
    "FORMULA_PREFIXES",
    "MAX_EVIDENCE_BYTES",
    "MAX_FILE_BYTES",
    "OPTIONAL_COLUMNS",
    "QUESTION_ID",
    "REQUIRED_COLUMNS",
    "Located",
    "evidence_path",
    "load_by_id",
    "load_evidence",
    "load_question",
    "parse_as_of",
    "parse_evidence",
    "question_ids",
    "question_path",
    "read_evidence_file",
    "read_regular_file",
    "validate_data",
]

#: Question ids are slugs: they name files and folders, so nothing else is allowed.
QUESTION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_ITEM_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Files larger than this are refused before they are parsed.
MAX_FILE_BYTES = 1 << 20
#: Evidence logs larger than this are refused, by ``validate``, ``run`` and ``evidence add`` alike.
MAX_EVIDENCE_BYTES = 64 << 20
_MAX_YAML_DEPTH = 20
REQUIRED_COLUMNS = ("id", "date", "indicator", "observed", "source", "reliability", "credibility")
OPTIONAL_COLUMNS = ("url", "summary")
#: The evidence log's columns, in the order a new log is written.
EVIDENCE_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
#: A cell starting with one of these may run as a formula when the log is opened in a spreadsheet
#: (OWASP, "CSV injection"); ``evidence add`` writes such text with a quote (') in front.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)
_OBSERVED = {"yes": True, "no": False}
_PRIOR_TOLERANCE = 1e-6
_MIN_SCENARIOS, _MAX_SCENARIOS = 2, 12
_NON_DIAGNOSTIC_SPREAD = 0.05
#: Indicators whose likelihoods are within this of each other on every scenario look like one signal.
_LOOK_ALIKE = 0.05
#: Where a likelihood_spread range is clipped, so that log p and log(1 - p) stay finite.
_SPREAD_CLIP = (0.001, 0.999)


def question_path(data_dir: str | Path, question_id: str) -> Path:
    """The question file of ``question_id`` under ``data_dir``."""
    return Path(data_dir) / "questions" / f"{question_id}.yaml"


def evidence_path(data_dir: str | Path, question_id: str) -> Path:
    """The evidence log of ``question_id`` under ``data_dir``."""
    return Path(data_dir) / "evidence" / f"{question_id}.csv"


def load_by_id(data_dir: str | Path, question_id: str) -> tuple[Question, EvidenceLog]:
    """Load a question and its evidence log by id from a data folder.

    The id is checked first, so that no id (``../x``, an absolute path) can name
    a file outside ``data_dir``.

    Raises
    ------
    QuestionFileError, EvidenceFileError
        As :func:`load_question` and :func:`load_evidence` do, or for an id that is
        not a slug.
    """
    if not QUESTION_ID.match(str(question_id)):
        raise QuestionFileError(
            [Problem(str(question_id), 0, "not a question id (lower-case letters, digits and '-')")]
        )
    question = load_question(question_path(data_dir, question_id))
    return question, load_evidence(evidence_path(data_dir, question_id), question)


def parse_as_of(value: date | str | None) -> date:
    """An as-of date from a parameter: a date, an ISO ``YYYY-MM-DD`` string, or ``None``/``""`` for today.

    Raises
    ------
    ValueError
        For text that is not an ISO date that exists.
    """
    return date.today() if value in (None, "") else _check_iso_date(value)


def question_ids(data_dir: str | Path) -> list[str]:
    """The ids (file stems) of every question file under ``data_dir``, sorted."""
    folder = Path(data_dir) / "questions"
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


# --------------------------------------------------------------------------- YAML


class _PySafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that dates stay strings so that we check them."""


class _SafeLoader(getattr(yaml, "CSafeLoader", _PySafeLoader)):
    """The same with libyaml's parser where available: several times faster, with the same marks.

    Its error messages are terser, so a file it refuses is parsed again by the
    pure-Python parser to say what was expected (see :func:`_yaml_error`).
    """


def _core_schema_resolvers() -> dict[str, list[tuple[str, re.Pattern]]]:
    """Plain scalars resolved as the YAML 1.2 core schema does (yaml.org/spec/1.2.2, 10.3.2).

    PyYAML follows YAML 1.1, which reads ``Yes``, ``No``, ``On`` and ``Off`` as
    booleans, ``012`` as octal and ``1:20`` as 80; in the core schema they are
    text, except ``012`` (twelve). Dates are not resolved: they stay text, checked
    by the schema.
    """
    rules = [
        ("tag:yaml.org,2002:null", r"~|null|Null|NULL|", "~nN"),
        ("tag:yaml.org,2002:bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
        ("tag:yaml.org,2002:int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
        (
            "tag:yaml.org,2002:float",
            r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
            "-+.0123456789",
        ),
    ]
    resolvers: dict[str, list[tuple[str, re.Pattern]]] = {"": [(rules[0][0], re.compile(r"^$"))]}
    for tag, pattern, firsts in rules:
        for first in firsts:
            resolvers.setdefault(first, []).append((tag, re.compile(f"^(?:{pattern})$")))
    return resolvers


def _construct_core_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)


_PySafeLoader.yaml_implicit_resolvers = _SafeLoader.yaml_implicit_resolvers = _core_schema_resolvers()
for _loader in {_PySafeLoader, _SafeLoader}:
    _loader.add_constructor("tag:yaml.org,2002:int", _construct_core_int)


def _yaml_error(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """Line and message of a YAML error, worded by the pure-Python parser where it can."""
    if _SafeLoader is not _PySafeLoader and isinstance(
        exc, (yaml.scanner.ScannerError, yaml.parser.ParserError)
    ):
        try:
            depth = 0
            for event in yaml.parse(text, Loader=_PySafeLoader):
                depth += isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent))
                depth -= isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent))
                if depth > _MAX_YAML_DEPTH:
                    break
        except yaml.YAMLError as wordier:
            exc = wordier
    return _yaml_problem(exc, text)


def _check_iso_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date that exists ({exc})") from None


@lru_cache(maxsize=4096)
def _log_date(text: str) -> date:
    """A log's date cell, checked once per distinct text (a long log repeats its dates)."""
    return _check_iso_date(text)


def _is_nan(value: int | float) -> bool:
    # Not math.isnan: it converts to float, and an integer of 400 digits overflows (OverflowError).
    return isinstance(value, float) and math.isnan(value)


def _check_probability(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or _is_nan(value):
        raise ValueError(f"expected a probability strictly between 0 and 1, got {value!r}")
    if not 0 < value < 1:
        raise ValueError(f"expected a probability strictly between 0 and 1, got {value!r}")
    return float(value)


def _check_likelihood(value: Any) -> float | tuple[float, float]:
    if isinstance(value, list):
        if len(value) != 2:
            raise ValueError(f"expected a range [low, high] of two probabilities, got {value!r}")
        low, high = (_check_probability(v) for v in value)
        if low > high:
            raise ValueError(f"range [{low}, {high}] has low > high; expected [low, high]")
        return (low, high)
    return _check_probability(value)


def _check_dependence(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or _is_nan(value):
        raise ValueError(f"expected a dependence between 0 and 1, got {value!r}")
    if not 0 <= value <= 1:
        raise ValueError(f"expected a dependence between 0 and 1, got {value!r}")
    return float(value)


def _check_spread(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or _is_nan(value):
        raise ValueError(f"expected a spread greater than 0 and less than 0.5, got {value!r}")
    if not 0 < value < 0.5:
        raise ValueError(f"expected a spread greater than 0 and less than 0.5, got {value!r}")
    return float(value)


def _check_days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number of days of at least 1, got {value!r}")
    return value


def _check_window(value: Any) -> tuple[date, date]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"expected a window [start, end] of two dates, got {value!r}")
    start, end = (_check_iso_date(v) for v in value)
    if end <= start:
        raise ValueError(f"window [{start}, {end}] does not end after it starts; expected [start, end]")
    return (start, end)


def _empty_as_mapping(value: Any) -> Any:
    return {} if value is None else value


def _prior(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or _is_nan(v):
        raise ValueError(f"expected a prior probability greater than 0, got {v!r}")
    if not 0 < v <= 1:
        raise ValueError(f"expected a prior probability greater than 0 and at most 1, got {v!r}")
    return float(v)


def _keys_as_text(v: Any) -> Any:
    # `3:` and `"3":` are the same grade to a forecaster.
    return {str(k).strip().upper(): x for k, x in v.items()} if isinstance(v, dict) else v


def _check_weights(v: dict[str, float], grades: Iterable[str], what: str) -> dict[str, float]:
    grades = set(grades)
    for key, weight in v.items():
        if key not in grades:
            raise ValueError(f"{key!r} is not {what}")
        if not 0 <= weight <= 1:
            raise ValueError(f"weight of {key} must be between 0 and 1, got {weight}")
    return v


def _reliability_weights(v: dict[str, float]) -> dict[str, float]:
    return _check_weights(v, DEFAULT_RELIABILITY_WEIGHTS, "an Admiralty reliability grade (A-F)")


def _credibility_weights(v: dict[str, float]) -> dict[str, float]:
    return _check_weights(v, {str(k) for k in DEFAULT_CREDIBILITY_WEIGHTS}, "a credibility grade (1-6)")


# The structure of a question file, as pydantic-core schemas: the validation engine pydantic is
# built on, used directly because building pydantic models at start-up cost `forecast validate`
# more than the rest of its work. Each mapping is validated key by key (other keys pass, and are
# warned about separately) and comes back as the frozen dataclass of the same shape.


@dataclass(frozen=True)
class _ScenarioSpec:
    name: str
    description: str
    prior: float


@dataclass(frozen=True)
class _IndicatorSpec:
    text: str
    signals: str
    likelihood: dict[str, float | tuple[float, float]]
    tripwire: bool
    group: str | None
    window: tuple[date, date] | None


@dataclass(frozen=True)
class _GroupSpec:
    text: str
    dependence: float


@dataclass(frozen=True)
class _WeightsSpec:
    reliability: dict[str, float]
    credibility: dict[str, float]


@dataclass(frozen=True)
class _ResolutionSpec:
    scenario: str
    date: date
    note: str


@dataclass(frozen=True)
class _PoolSpec:
    extremize: float


@dataclass(frozen=True)
class _QuestionSpec:
    id: str
    title: str
    question: str
    opened: date
    closes: date
    scenarios: dict[str, _ScenarioSpec]
    indicators: dict[str, _IndicatorSpec]
    weights: _WeightsSpec
    resolution: _ResolutionSpec | None
    alert_threshold: float
    pool: _PoolSpec
    notes: str
    groups: dict[str, _GroupSpec]
    likelihood_spread: float | None
    stale_after_days: int


def _required(schema: cs.CoreSchema) -> cs.TypedDictField:
    return cs.typed_dict_field(schema)


def _optional(schema: cs.CoreSchema, default: Any) -> cs.TypedDictField:
    return cs.typed_dict_field(cs.with_default_schema(schema, default=default), required=False)


def _mapping_as(cls: type, fields: dict[str, cs.TypedDictField]) -> cs.CoreSchema:
    """A mapping with these keys (others allowed), returned as an instance of the dataclass ``cls``."""
    names = tuple(fields)
    return cs.no_info_after_validator_function(
        lambda values: cls(**{name: values[name] for name in names}),
        cs.typed_dict_schema(fields, extra_behavior="allow"),
    )


def _text(*, min_length: int | None = None) -> cs.CoreSchema:
    return cs.str_schema(min_length=min_length)


def _iso_date() -> cs.CoreSchema:
    return cs.no_info_before_validator_function(_check_iso_date, cs.date_schema())


def _weights(check: Callable[[dict[str, float]], dict[str, float]]) -> cs.CoreSchema:
    return cs.no_info_before_validator_function(
        _keys_as_text,
        cs.no_info_after_validator_function(check, cs.dict_schema(cs.str_schema(), cs.float_schema())),
    )


_SCENARIO = _mapping_as(
    _ScenarioSpec,
    {
        "name": _required(_text(min_length=1)),
        "description": _optional(_text(), ""),
        "prior": _required(cs.no_info_before_validator_function(_prior, cs.float_schema())),
    },
)
_INDICATOR = _mapping_as(
    _IndicatorSpec,
    {
        "text": _required(_text(min_length=1)),
        "signals": _required(_text()),
        # Checked value by value, so that an error is located at (and names) the scenario's own entry.
        "likelihood": _required(
            cs.dict_schema(
                cs.str_schema(), cs.no_info_after_validator_function(_check_likelihood, cs.any_schema())
            )
        ),
        "tripwire": _optional(cs.bool_schema(), False),
        "group": _optional(cs.nullable_schema(_text(min_length=1)), None),
        "window": _optional(
            cs.nullable_schema(cs.no_info_after_validator_function(_check_window, cs.any_schema())), None
        ),
    },
)
_GROUP = _mapping_as(
    _GroupSpec,
    {
        "text": _optional(_text(), ""),
        "dependence": _optional(cs.no_info_after_validator_function(_check_dependence, cs.any_schema()), 1.0),
    },
)
_NO_WEIGHTS = _WeightsSpec(reliability={}, credibility={})
_WEIGHTS = _mapping_as(
    _WeightsSpec,
    {
        "reliability": _optional(_weights(_reliability_weights), {}),
        "credibility": _optional(_weights(_credibility_weights), {}),
    },
)
_RESOLUTION = _mapping_as(
    _ResolutionSpec,
    {
        "scenario": _required(_text()),
        "date": _required(_iso_date()),
        "note": _optional(_text(), ""),
    },
)
_NO_POOL = _PoolSpec(extremize=1.0)
_POOL = _mapping_as(_PoolSpec, {"extremize": _optional(cs.float_schema(gt=0, le=100), 1.0)})
_QUESTION = _mapping_as(
    _QuestionSpec,
    {
        "id": _required(_text()),
        "title": _required(_text(min_length=1)),
        "question": _required(_text(min_length=1)),
        "opened": _required(_iso_date()),
        "closes": _required(_iso_date()),
        "scenarios": _required(cs.dict_schema(cs.str_schema(), _SCENARIO)),
        "indicators": _required(cs.dict_schema(cs.str_schema(), _INDICATOR, min_length=1)),
        "weights": _optional(_WEIGHTS, _NO_WEIGHTS),
        "resolution": _optional(cs.nullable_schema(_RESOLUTION), None),
        "alert_threshold": _optional(cs.float_schema(gt=0, le=100), 10.0),
        "pool": _optional(_POOL, _NO_POOL),
        "notes": _optional(_text(), ""),
        # `shelling:` with nothing under it declares a group with the defaults.
        "groups": _optional(
            cs.dict_schema(cs.str_schema(), cs.no_info_before_validator_function(_empty_as_mapping, _GROUP)),
            {},
        ),
        "likelihood_spread": _optional(
            cs.nullable_schema(cs.no_info_after_validator_function(_check_spread, cs.any_schema())), None
        ),
        "stale_after_days": _optional(cs.no_info_after_validator_function(_check_days, cs.any_schema()), 30),
    },
)
_QUESTION_VALIDATOR = SchemaValidator(_QUESTION)


def _keys(schema: cs.CoreSchema) -> set[str]:
    return set(schema["schema"]["fields"])


# The keys each mapping may hold; any other key is reported as a warning (a typo like `likelyhood`).
_KNOWN_KEYS = {
    (): _keys(_QUESTION),
    ("scenarios", "*"): _keys(_SCENARIO),
    ("indicators", "*"): _keys(_INDICATOR),
    ("groups", "*"): _keys(_GROUP),
    ("weights",): _keys(_WEIGHTS),
    ("resolution",): _keys(_RESOLUTION),
    ("pool",): _keys(_POOL),
}


class Located:
    """Collects the problems found in one file, and maps YAML paths to their lines.

    Parameters
    ----------
    path : str
        The file as it is named in messages (see :func:`forecast.errors.display_path`).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.lines: dict[tuple, int] = {(): 1}
        #: YAML path -> the source text of a plain scalar read as a number or boolean.
        self.as_written: dict[tuple, str] = {}

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message, "warning"))

    def line_of(self, loc: Iterable[Any]) -> int:
        loc = tuple(loc)
        while loc not in self.lines:
            loc = loc[:-1]
        return self.lines[loc]

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)


_Located = Located  # the name other modules used before it was public


def _yaml_problem(exc: yaml.YAMLError, text: str = "") -> tuple[int, str]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 0
    problem = getattr(exc, "problem", None) or str(exc)
    at_tab = mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t"
    if "\t" in problem or "'\\t'" in problem or (at_tab and "cannot start any token" in problem):
        return line, "tab character found; YAML is indented with spaces, not tabs"
    if "maximum nesting depth" in problem:  # libyaml's own limit, above ours
        return line, f"nesting deeper than {_MAX_YAML_DEPTH} levels; a question file is shallow"
    context = getattr(exc, "context", None)
    text = f"{context}, {problem}" if context else problem
    if "could not determine a constructor" in text:
        tag = text.split("tag ")[-1].strip()
        return line, f"the tag {tag} is not allowed: question files hold plain data only"
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark.line + 1 != line:
        text += f" (the {context.removeprefix('while parsing ').removeprefix('while scanning ').removeprefix('a ').removeprefix('an ')} began on line {context_mark.line + 1})"
    return line, f"YAML syntax error: {text}"


def _scan_yaml(text: str, where: Located) -> bool:
    """Refuse aliases and deep nesting before anything is built (bounded time and memory)."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                where.error(
                    event.start_mark.line + 1,
                    f"alias *{event.anchor} is not allowed: write the value out in full",
                )
                return False
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > _MAX_YAML_DEPTH:
                    where.error(
                        event.start_mark.line + 1,
                        f"nesting deeper than {_MAX_YAML_DEPTH} levels; a question file is shallow",
                    )
                    return False
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError as exc:
        where.error(*_yaml_error(exc, text))
        return False
    return True


_PLAIN_TAGS = {yaml.MappingNode: "tag:yaml.org,2002:map", yaml.SequenceNode: "tag:yaml.org,2002:seq"}


def _node_to_data(node: yaml.Node, path: tuple, where: Located, constructor: _SafeLoader) -> Any:
    """Build plain data from a composed node, recording each value's line."""
    where.lines.setdefault(path, node.start_mark.line + 1)
    if type(node) in _PLAIN_TAGS and node.tag != _PLAIN_TAGS[type(node)]:
        raise yaml.constructor.ConstructorError(
            None, None, f"could not determine a constructor for the tag {node.tag!r}", node.start_mark
        )
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                where.error(key_node.start_mark.line + 1, "expected a plain key, found a mapping or list")
                continue
            key = _node_to_data(key_node, path + ("<key>",), where, constructor)
            if not isinstance(key, str):  # `3:`, `yes:`, `null:` are keys as written
                key = str(key_node.value)
            if key in out:
                where.error(key_node.start_mark.line + 1, f"duplicate key {key!r}")
                continue
            where.lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _node_to_data(value_node, path + (key,), where, constructor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_node_to_data(v, path + (i,), where, constructor) for i, v in enumerate(node.value)]
    value = constructor.construct_object(node, deep=True)
    if isinstance(node, yaml.ScalarNode) and not node.style and isinstance(value, (bool, int, float)):
        where.as_written[path] = node.value
    return value


_NOT_REGULAR = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_regular_file(path: str | Path, limit: int, where: Located) -> bytes | None:
    """The bytes of ``path``, if it is a regular file of at most ``limit`` bytes.

    Anything else (a folder, a FIFO, ``/dev/zero``, a file over the limit or one
    that cannot be read) is recorded in ``where`` as a problem about the whole
    file, and ``None`` is returned. A FIFO is opened without blocking and a
    device is never read, so neither can hang the caller or exhaust its memory.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        where.error(0, f"cannot read the file: {exc.strerror or exc}")
        return None
    try:
        mode = os.fstat(fd).st_mode
        for is_kind, kind in _NOT_REGULAR:
            if is_kind(mode):
                where.error(0, f"is {kind}, not a regular file; expected a file that can be read to its end")
                return None
        size = os.fstat(fd).st_size
        if size > limit:
            where.error(0, f"file is {size:,} bytes; the limit is {limit:,}")
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:  # it grew while it was read
            where.error(0, f"file is over {limit:,} bytes, the limit")
            return None
        return data
    except OSError as exc:
        where.error(0, f"cannot read the file: {exc.strerror or exc}")
        return None
    finally:
        os.close(fd)


def _decode(raw: bytes, where: Located) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        where.error(line, f"byte 0x{raw[exc.start]:02x} is not UTF-8; save the file as UTF-8")
        return None


def _parse_question_yaml(
    path: Path,
    where: Located,
    expected: str = "a mapping with id, title, question, scenarios, ...",
) -> dict | None:
    """The file's top-level mapping as plain data, each value's line recorded in ``where``.

    Also reads judgment files (:mod:`forecast.judgments`); ``expected`` says what
    an empty file should have held.
    """
    raw = read_regular_file(path, MAX_FILE_BYTES, where)
    if raw is None:
        return None
    text = _decode(raw, where)
    if text is None or not _scan_yaml(text, where):
        return None
    try:
        node = yaml.compose(text, Loader=_SafeLoader)
        if node is None:
            where.error(1, f"file is empty; expected {expected}")
            return None
        if not isinstance(node, yaml.MappingNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
            where.error(node.start_mark.line + 1, f"expected a mapping (key: value) at the top, found {kind}")
            return None
        return _node_to_data(node, (), where, _SafeLoader(""))
    except yaml.YAMLError as exc:
        where.error(*_yaml_error(exc, text))
        return None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        where.error(0, f"cannot read a value: {exc}")
        return None


def _pydantic_message(err: dict) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "missing":
        return "required field is missing"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    got = err.get("input")
    shown = f"{got!r}" if not isinstance(got, (dict, list)) else type(got).__name__
    if kind in ("string_type", "dict_type", "bool_type", "float_type", "int_type", "list_type"):
        expected = {
            "string_type": "text",
            "dict_type": "a mapping (key: value)",
            "bool_type": "true or false",
            "float_type": "a number",
            "int_type": "a whole number",
            "list_type": "a list",
        }[kind]
        return f"expected {expected}, got {shown}"
    return f"{msg[0].lower()}{msg[1:]} (got {shown})"


def _unknown_keys(data: dict, where: Located) -> None:
    def check(mapping: Any, pattern: tuple, path: tuple) -> None:
        if not isinstance(mapping, dict):
            return
        known = _KNOWN_KEYS[pattern]
        for key in mapping:
            if key not in known:
                dotted = ".".join(str(p) for p in path + (key,))
                where.warn(
                    where.line_of(path + (key,)),
                    f"unknown key '{dotted}' is ignored; expected one of {', '.join(sorted(known))}",
                )

    check(data, (), ())
    for section in ("scenarios", "indicators", "groups"):
        items = data.get(section)
        if isinstance(items, dict):
            for item_id, item in items.items():
                check(item, (section, "*"), (section, item_id))
    for section in ("weights", "resolution", "pool"):
        check(data.get(section), (section,), (section,))


# The fields that hold text: a plain value there that YAML reads as a number or boolean is the text
# as written (`name: 2025`, `title: 1.10`, `note: true`).
_TEXT_FIELDS = {
    (): ("id", "title", "question", "notes"),
    ("scenarios", "*"): ("name", "description"),
    ("indicators", "*"): ("text", "signals"),
    ("resolution",): ("scenario", "note"),
}


def _texts_as_written(data: dict, where: Located) -> None:
    def keep(mapping: Any, pattern: tuple, path: tuple) -> None:
        if isinstance(mapping, dict):
            for name in _TEXT_FIELDS[pattern]:
                if path + (name,) in where.as_written and name in mapping:
                    mapping[name] = where.as_written[path + (name,)]

    keep(data, (), ())
    for section in ("scenarios", "indicators"):
        items = data.get(section)
        if isinstance(items, dict):
            for item_id, item in items.items():
                keep(item, (section, "*"), (section, item_id))
    keep(data.get("resolution"), ("resolution",), ("resolution",))


def _dotted(loc: Iterable[Any]) -> str:
    return ".".join(str(p) for p in loc if p != "[key]")


def _build_question(spec: _QuestionSpec, stem: str, where: Located) -> Question | None:
    line = where.line_of
    if not QUESTION_ID.match(spec.id):
        where.error(
            line(("id",)), f"id {spec.id!r} is not a slug (lower-case letters, digits and '-', at most 64)"
        )
    elif spec.id in RESERVED_NAMES:
        where.error(
            line(("id",)),
            f"id {spec.id!r} is a name the output folder keeps for itself "
            f"({', '.join(sorted(n for n in RESERVED_NAMES if QUESTION_ID.match(n)))}); choose another id",
        )
    elif spec.id != stem:
        where.error(line(("id",)), f"id {spec.id!r} must equal the file name's stem {stem!r}")
    if spec.closes < spec.opened:
        where.error(line(("closes",)), f"closes {spec.closes} is before opened {spec.opened}")

    scenario_ids = list(spec.scenarios)
    if not _MIN_SCENARIOS <= len(scenario_ids) <= _MAX_SCENARIOS:
        where.error(
            line(("scenarios",)),
            f"expected {_MIN_SCENARIOS} to {_MAX_SCENARIOS} scenarios, found {len(scenario_ids)}",
        )
    for sid in scenario_ids:
        if not _ITEM_ID.match(sid):
            where.error(line(("scenarios", sid)), f"scenario id {sid!r} must match {_ITEM_ID.pattern}")
    total = sum(s.prior for s in spec.scenarios.values())
    if scenario_ids and abs(total - 1) > _PRIOR_TOLERANCE:
        where.error(
            line(("scenarios",)), f"priors sum to {total:.6g}; expected 1 (within {_PRIOR_TOLERANCE})"
        )

    indicators = []
    for iid, ind in spec.indicators.items():
        here = ("indicators", iid)
        if not _ITEM_ID.match(iid):
            where.error(line(here), f"indicator id {iid!r} must match {_ITEM_ID.pattern}")
        if ind.signals not in spec.scenarios:
            where.error(
                line(here + ("signals",)),
                f"signals {ind.signals!r} is not a scenario; expected one of {', '.join(scenario_ids)}",
            )
        missing = [s for s in scenario_ids if s not in ind.likelihood]
        unknown = [s for s in ind.likelihood if s not in spec.scenarios]
        if missing:
            where.error(
                line(here + ("likelihood",)), f"likelihood has no value for scenario {', '.join(missing)}"
            )
        for s in unknown:
            where.error(
                line(here + ("likelihood", s)),
                f"likelihood names {s!r}, which is not a scenario; expected {', '.join(scenario_ids)}",
            )
        if missing or unknown:
            continue
        if ind.group is not None and ind.group not in spec.groups:
            declared = f"expected one of {', '.join(spec.groups)}" if spec.groups else "none is declared"
            where.error(
                line(here + ("group",)),
                f"group {ind.group!r} is not declared under groups: ({declared}); declare it there",
            )
        point = {s: (sum(v) / 2 if isinstance(v, tuple) else v) for s, v in ind.likelihood.items()}
        ranges = {s: v for s, v in ind.likelihood.items() if isinstance(v, tuple)}
        if spec.likelihood_spread is not None:
            low, high = _SPREAD_CLIP
            spread = spec.likelihood_spread
            ranges = {
                s: ranges.get(s) or (max(point[s] - spread, low), min(point[s] + spread, high))
                for s in scenario_ids
            }
        indicators.append(
            Indicator(
                id=iid,
                text=ind.text,
                signals=ind.signals,
                likelihood={s: point[s] for s in scenario_ids},
                ranges=ranges,
                tripwire=ind.tripwire,
                line=line(here),
                group=ind.group,
                window=ind.window,
            )
        )
        _lint_indicator(indicators[-1], where)

    groups = {}
    for gid, group in spec.groups.items():
        if not _ITEM_ID.match(gid):
            where.error(line(("groups", gid)), f"group id {gid!r} must match {_ITEM_ID.pattern}")
        members = [iid for iid, ind in spec.indicators.items() if ind.group == gid]
        if len(members) < 2:
            has = f"only one member ('{members[0]}')" if members else "no members"
            where.error(
                line(("groups", gid)),
                f"group {gid!r} has {has}; a group holds two or more indicators (each with group: {gid})",
            )
        groups[gid] = Group(gid, group.text, group.dependence, line(("groups", gid)))
    _lint_look_alikes(indicators, where)

    resolution = None
    if spec.resolution is not None:
        r = spec.resolution
        if r.scenario not in spec.scenarios:
            where.error(
                line(("resolution", "scenario")),
                f"resolution scenario {r.scenario!r} is not a scenario; expected one of {', '.join(scenario_ids)}",
            )
        if r.date < spec.opened:
            where.error(
                line(("resolution", "date")), f"resolution date {r.date} is before opened {spec.opened}"
            )
        resolution = Resolution(r.scenario, r.date, r.note)

    if where.has_errors:
        return None
    reliability = dict(DEFAULT_RELIABILITY_WEIGHTS) | spec.weights.reliability
    credibility = dict(DEFAULT_CREDIBILITY_WEIGHTS) | {int(k): v for k, v in spec.weights.credibility.items()}
    return Question(
        id=spec.id,
        title=spec.title,
        question=spec.question,
        opened=spec.opened,
        closes=spec.closes,
        scenarios=tuple(Scenario(sid, s.name, s.prior, s.description) for sid, s in spec.scenarios.items()),
        indicators=tuple(indicators),
        reliability_weights=reliability,
        credibility_weights=credibility,
        resolution=resolution,
        alert_threshold=spec.alert_threshold,
        extremize=spec.pool.extremize,
        notes=spec.notes,
        path=where.path,
        warnings=tuple(p for p in where.problems if not p.is_error),
        groups=groups,
        closes_line=line(("closes",)),
        likelihood_spread=spec.likelihood_spread,
        stale_after_days=spec.stale_after_days,
    )


def _lint_indicator(ind: Indicator, where: Located) -> None:
    """Warn where a checklist entry does not say what its forecaster meant."""
    values = ind.likelihood
    favoured = max(values, key=values.get)
    if max(values.values()) - min(values.values()) < _NON_DIAGNOSTIC_SPREAD:
        where.warn(
            ind.line,
            f"indicator '{ind.id}' is nearly non-diagnostic: its likelihoods are all within "
            f"{_NON_DIAGNOSTIC_SPREAD}, so seeing it would barely move the forecast",
        )
    elif ind.signals in values and values[ind.signals] < values[favoured]:
        where.warn(
            ind.line,
            f"indicator '{ind.id}' signals '{ind.signals}' but favours '{favoured}' "
            f"(likelihood {values[favoured]:g} against {values[ind.signals]:g})",
        )


def _lint_look_alikes(indicators: list[Indicator], where: _Located) -> None:
    """Warn, once per cluster, where indicators outside a shared group look like the same signal.

    Two indicators look alike when they signal the same scenario and their likelihoods
    are within ``_LOOK_ALIKE`` of each other on every scenario. Indicators are swept in
    order of their first likelihood, so only near neighbours are compared.
    """
    tolerance = _LOOK_ALIKE + 1e-12
    parent = list(range(len(indicators)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    by_signal: dict[str, list[int]] = {}
    for k, ind in enumerate(indicators):
        by_signal.setdefault(ind.signals, []).append(k)
    values = [list(ind.likelihood.values()) for ind in indicators]
    for members in by_signal.values():
        members.sort(key=lambda k: values[k][0])
        for a, k in enumerate(members):
            for m in members[a + 1 :]:
                if values[m][0] - values[k][0] > tolerance:
                    break
                same_group = indicators[k].group is not None and indicators[k].group == indicators[m].group
                if not same_group and all(abs(x - y) <= tolerance for x, y in zip(values[k], values[m])):
                    parent[root(m)] = root(k)
    clusters: dict[int, list[int]] = {}
    for k in range(len(indicators)):
        clusters.setdefault(root(k), []).append(k)
    for cluster in clusters.values():
        if len(cluster) < 2:
            continue
        cluster.sort()
        named = ", ".join(f"'{indicators[k].id}'" for k in cluster)
        where.warn(
            indicators[cluster[0]].line,
            f"indicators {named} look like the same signal (same signals, likelihoods within {_LOOK_ALIKE} "
            "on every scenario); if they reflect one development, declare a group under groups: and give "
            "each of them group: <id>, so that it is not counted once per indicator",
        )


def load_question(path: str | Path) -> Question:
    """Load and validate one question file.

    Parameters
    ----------
    path : str or Path
        ``DATA/questions/<id>.yaml``.

    Returns
    -------
    Question
        The validated question; its ``warnings`` hold any warnings (unknown keys,
        indicators that do not favour the scenario they signal).

    Raises
    ------
    QuestionFileError
        With every problem found, each as ``FILE:LINE: message``.

    Examples
    --------
    >>> q = load_question("data/questions/russia-syria-bases.yaml")  # doctest: +SKIP
    >>> q.scenario_ids  # doctest: +SKIP
    ('keep', 'partial', 'exit')
    """
    path = Path(path)
    where = _Located(display_path(path))
    data = _parse_question_yaml(path, where)
    if data is None:
        raise QuestionFileError(where.problems)
    _unknown_keys(data, where)
    _texts_as_written(data, where)
    try:
        spec = _QUESTION_VALIDATOR.validate_python(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            where.error(
                where.line_of(err["loc"]), f"{_dotted(err['loc']) or 'file'}: {_pydantic_message(err)}"
            )
        raise QuestionFileError(where.problems) from None
    question = _build_question(spec, path.stem, where)
    if question is None:
        raise QuestionFileError(where.problems)
    return question


# --------------------------------------------------------------------------- CSV


def _csv_records(text: str, where: Located) -> Iterable[tuple[int, list[str]]]:
    """Yield (first line, fields) for each non-blank record; stop at a malformed one."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_end = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = str(exc)
            if "unexpected end of data" in message or "EOF" in message:
                message = "a quoted field is never closed; expected a closing double quote"
            where.error(previous_end + 1, f"CSV syntax error: {message}")
            return
        start, previous_end = previous_end + 1, reader.line_num
        if any(map(str.strip, fields)):
            yield start, fields


def load_evidence(path: str | Path, question: Question, *, today: date | None = None) -> EvidenceLog:
    """Load and validate a question's evidence log.

    Parameters
    ----------
    path : str or Path
        ``DATA/evidence/<id>.csv``. A missing file is an empty log.
    question : Question
        The question the log belongs to; indicators are checked against it.
    today : date, optional
        Rows dated after this are warned about. Defaults to today's date.

    Returns
    -------
    EvidenceLog
        The rows in file order, with warnings for rows dated before the question
        opened or in the future, and for columns the suite does not use. The rows
        are also read into the columns the engine works on, once, as the log loads.

    Raises
    ------
    EvidenceFileError
        With every problem found, each as ``FILE:LINE: message``.
    """
    log = _read_evidence(path, question, today)
    log.columns()
    return log


def _read_evidence(path: str | Path, question: Question, today: date | None) -> EvidenceLog:
    """The log's rows, checked, without their columns (which need numpy): what ``validate`` reads."""
    path = Path(path)
    shown = display_path(path)
    if not path.exists():
        return EvidenceLog(path=shown)
    _, text = read_evidence_file(path)
    return parse_evidence(text, question, Located(shown), today or date.today())


def read_evidence_file(path: str | Path) -> tuple[bytes, str]:
    """The bytes of an evidence log and its text, read as every command reads a log.

    The log must be a regular file of at most :data:`MAX_EVIDENCE_BYTES`, in UTF-8
    (a byte order mark is dropped from the text).

    Returns
    -------
    (bytes, str)
        The file as it is on disk, and its text.

    Raises
    ------
    EvidenceFileError
        The file is not a regular file, is too large, cannot be read or is not
        UTF-8; located as ``FILE:LINE: message``.
    """
    where = Located(display_path(path))
    raw = read_regular_file(path, MAX_EVIDENCE_BYTES, where)
    text = _decode(raw, where) if raw is not None else None
    if raw is None or text is None:
        raise EvidenceFileError(where.problems)
    return raw, text


def parse_evidence(text: str, question: Question, where: Located, today: date) -> EvidenceLog:
    """Check the text of an evidence log against its question.

    Parameters
    ----------
    text : str
        The log's text, as :func:`read_evidence_file` returns it.
    question : Question
        The question the log belongs to.
    where : Located
        Collects the problems, named after the log's file.
    today : date
        Rows dated after this are warned about.

    Returns
    -------
    EvidenceLog
        The rows in file order, with the warnings in ``where``.

    Raises
    ------
    EvidenceFileError
        With every problem found, each as ``FILE:LINE: message``.
    """
    records = iter(_csv_records(text, where))
    header_line, header = next(records, (1, None))
    if header is None:
        if not where.has_errors:
            where.error(1, f"file has no header row; expected the columns {', '.join(EVIDENCE_COLUMNS)}")
        raise EvidenceFileError(where.problems)
    header = [h.strip() for h in header]
    for name in sorted({h for h in header if header.count(h) > 1}):
        where.error(header_line, f"column {name!r} appears more than once")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        where.error(
            header_line,
            f"missing required column {', '.join(repr(m) for m in missing)}; the header has {', '.join(header)}",
        )
        raise EvidenceFileError(where.problems)
    extra = tuple(h for h in header if h not in EVIDENCE_COLUMNS and h)
    for name in extra:
        where.warn(
            header_line,
            f"column {name!r} is not one the suite uses; it is kept and shown (check its spelling if "
            f"you meant one of {', '.join(EVIDENCE_COLUMNS)})",
        )

    rows: list[EvidenceRow] = []
    first_seen: dict[str, int] = {}
    indicators = set(question.indicator_ids)
    for line, fields in records:
        if len(fields) != len(header):
            where.error(line, f"expected {len(header)} fields as in the header, found {len(fields)}")
            continue
        cells = dict(zip(header, map(str.strip, fields)))
        row = _evidence_row(cells, line, question, indicators, first_seen, where, today, extra)
        if row is not None:
            rows.append(row)
    if where.has_errors:
        raise EvidenceFileError(where.problems)
    return EvidenceLog(
        rows=tuple(rows),
        path=where.path,
        extra_columns=extra,
        warnings=tuple(where.problems),
    )


def _evidence_row(
    cells: dict[str, str],
    line: int,
    question: Question,
    indicators: set[str],
    first_seen: dict[str, int],
    where: Located,
    today: date,
    extra: tuple[str, ...],
) -> EvidenceRow | None:
    before = len(where.problems)
    row_id = cells["id"]
    if not row_id:
        where.error(line, "id is empty; expected an id unique in the file")
    elif row_id in first_seen:
        where.error(line, f"id {row_id!r} is already used on line {first_seen[row_id]}; ids must be unique")
    else:
        first_seen[row_id] = line
    when = None
    try:
        when = _log_date(cells["date"])
    except ValueError as exc:
        where.error(line, f"date: {exc}")
    if cells["indicator"] not in indicators:
        where.error(
            line,
            f"indicator {cells['indicator']!r} is not in the question's checklist; "
            f"expected one of {', '.join(sorted(indicators))}",
        )
    observed = _OBSERVED.get(cells["observed"].lower())
    if observed is None:
        where.error(
            line, f"observed {cells['observed']!r} must be 'yes' (seen) or 'no' (looked for, not seen)"
        )
    if not cells["source"]:
        where.error(line, "source is empty; expected who reported it")
    reliability = cells["reliability"].upper()
    if reliability not in question.reliability_weights:
        where.error(line, f"reliability {cells['reliability']!r} is not an Admiralty grade (A-F)")
    credibility = (
        int(cells["credibility"]) if cells["credibility"] in {"1", "2", "3", "4", "5", "6"} else None
    )
    if credibility is None:
        where.error(line, f"credibility {cells['credibility']!r} is not an Admiralty grade (1-6)")
    if len(where.problems) > before:
        return None
    url = cells.get("url", "")
    if url and not re.match(r"^https?://", url, re.IGNORECASE):
        where.warn(line, f"url {url!r} is not an http(s) address; it is shown as text, not as a link")
    for name in ("id", "source", "url", "summary", *extra):
        value = cells.get(name)
        if value and value[0] in _FORMULA_FIRST:
            where.warn(
                line,
                f"{name} starts with {value[0]!r}, so a spreadsheet may run it as a formula; "
                "start it with a quote (') as `forecast evidence add` does",
            )
    if when < question.opened:
        where.warn(line, f"dated {when}, before the question opened on {question.opened}")
    elif when > today:
        where.warn(line, f"dated {when}, after today ({today})")
    return EvidenceRow(
        id=row_id,
        date=when,
        indicator=cells["indicator"],
        observed=observed,
        source=cells["source"],
        reliability=reliability,
        credibility=credibility,
        url=url,
        summary=cells.get("summary", ""),
        extra={name: cells[name] for name in extra},
        line=line,
    )


# --------------------------------------------------------------------------- a data folder


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
    for path in sorted((data_dir / "questions").iterdir()):
        if path.suffix != ".yaml":  # a .yaml that is not a regular file is refused by load_question
            if path.suffix in (".yml", ".json"):
                problems.append(Problem(display_path(path), 0, "question files end in .yaml", "warning"))
            continue
        if not QUESTION_ID.match(path.stem):
            problems.append(
                Problem(display_path(path), 0, f"file name {path.stem!r} is not a question id (a slug)")
            )
            continue
        try:
            question = load_question(path)
        except QuestionFileError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(question.warnings)
        closed = _closed_unresolved(question, today or date.today())
        if closed is not None:
            problems.append(closed)
        try:
            log = _read_evidence(evidence_path(data_dir, question.id), question, today)
        except EvidenceFileError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(log.warnings)
        problems.extend(_team_problems(data_dir, question))
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
