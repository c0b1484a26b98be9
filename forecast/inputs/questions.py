"""Question files: the schema, its checks, and the lints ``validate`` warns about.

The schema is written for pydantic-core and builds the frozen
:class:`~forecast.model.Question`. Every problem is located as
``FILE:LINE: what was expected``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from pydantic_core import SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from ..errors import Problem, QuestionFileError, display_path
from ..model import (
    DEFAULT_CREDIBILITY_WEIGHTS,
    DEFAULT_RELIABILITY_WEIGHTS,
    YEARS_PAST_CLOSES,
    Group,
    Indicator,
    Question,
    Resolution,
    Scenario,
    years_after,
)
from ..store import RESERVED_NAMES
from .safe_yaml import Located, read_yaml_mapping

__all__ = [
    "FIRST_DATE",
    "LAST_DATE",
    "MAX_LIFE_YEARS",
    "MAX_STALE_DAYS",
    "MAX_TEMPER",
    "PRIOR_TOLERANCE",
    "QUESTION_ID",
    "check_file_date",
    "check_iso_date",
    "check_likelihood",
    "check_prior",
    "check_temper",
    "load_question",
    "shown_value",
]


#: Question ids are slugs: they name files and folders, so nothing else is allowed.
QUESTION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


_ITEM_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


PRIOR_TOLERANCE = 1e-6


_MIN_SCENARIOS, _MAX_SCENARIOS = 2, 12


#: A scenario's ``short`` name labels table columns, chart legends and the index: a few words at most.
SHORT_NAME_MAX = 24


_NON_DIAGNOSTIC_SPREAD = 0.05


#: Indicators whose likelihoods are within this of each other on every scenario look like one signal.
_LOOK_ALIKE = 0.05


#: Where a likelihood_spread range is clipped, so that log p and log(1 - p) stay finite.
_SPREAD_CLIP = (0.001, 0.999)


#: The dates an input file may hold (docs/formats/): far enough inside Python's years 1 to 9999 that
#: a date a year or a few decades either side of one still exists.
FIRST_DATE, LAST_DATE = date(1000, 1, 1), date(8999, 12, 31)

#: A question closes at most this many years after it opens, so that its daily trajectory stays
#: bounded (a forecast as of, or a resolution, up to YEARS_PAST_CLOSES after that: forecast.model).
MAX_LIFE_YEARS = 100

#: The longest ``stale_after_days``: 100 years.
MAX_STALE_DAYS = 36_500

#: The largest ``temper:`` or ``extremize:`` (the pool's exponent): far beyond any fitted value.
MAX_TEMPER = 100.0


def shown_value(value: Any, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters (a 400-digit number is not printed whole).

    Examples
    --------
    >>> shown_value(10**400)
    '1000000000000000000000000000000000000… (401 digits)'
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    if isinstance(value, int):
        return f"{text[: limit - 3]}… ({len(text.lstrip('-'))} digits)"
    return f"{text[: limit - 1]}…"


def check_iso_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError(f"expected a date as YYYY-MM-DD, got {shown_value(value)}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date that exists ({exc})") from None


def check_file_date(value: Any) -> date:
    """A date in an input file: YYYY-MM-DD, a date that exists, from :data:`FIRST_DATE` to :data:`LAST_DATE`."""
    day = check_iso_date(value)
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValueError(f"{day} is outside the dates an input may hold, {FIRST_DATE} to {LAST_DATE}")
    return day


def _is_nan(value: int | float) -> bool:
    # Not math.isnan: it converts to float, and an integer of 400 digits overflows (OverflowError).
    return isinstance(value, float) and math.isnan(value)


def _check_probability(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or _is_nan(value):
        raise ValueError(f"expected a probability strictly between 0 and 1, got {value!r}")
    if not 0 < value < 1:
        raise ValueError(f"expected a probability strictly between 0 and 1, got {value!r}")
    return float(value)


def check_likelihood(value: Any) -> float | tuple[float, float]:
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


def check_temper(value: Any) -> float:
    """A temper τ (or the pool's exponent): a number greater than 0 and at most :data:`MAX_TEMPER`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or _is_nan(value)
        or not 0 < value <= MAX_TEMPER  # compared as it is: a 400-digit integer has no float
    ):
        raise ValueError(
            f"expected a temper: a number greater than 0 and at most {MAX_TEMPER:g}, such as 0.5, "
            f"got {shown_value(value)}"
        )
    return float(value)


def _check_days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_STALE_DAYS:
        raise ValueError(
            f"expected a whole number of days of at least 1 and at most {MAX_STALE_DAYS:,} (100 years), "
            f"got {shown_value(value)}"
        )
    return value


def _check_window(value: Any) -> tuple[date, date]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"expected a window [start, end] of two dates, got {value!r}")
    start, end = (check_file_date(v) for v in value)
    if end <= start:
        raise ValueError(f"window [{start}, {end}] does not end after it starts; expected [start, end]")
    return (start, end)


def _empty_as_mapping(value: Any) -> Any:
    return {} if value is None else value


def check_prior(v: Any) -> float:
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
    short: str


@dataclass(frozen=True)
class _IndicatorSpec:
    text: str
    signals: str
    likelihood: dict[str, float | tuple[float, float]]
    tripwire: bool
    group: str | None
    window: tuple[date, date] | None
    look_for: list[str]


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
    temper: float | None
    ordered: bool
    look_for: list[str]
    illustrative: bool


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


def _check_short(value: str) -> str:
    value = value.strip()
    if not value or len(value) > SHORT_NAME_MAX:
        raise ValueError(
            f"expected a short name of 1 to {SHORT_NAME_MAX} characters, got {value!r} ({len(value)} characters)"
        )
    return value


def _iso_date() -> cs.CoreSchema:
    return cs.no_info_before_validator_function(check_file_date, cs.date_schema())


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
        "prior": _required(cs.no_info_before_validator_function(check_prior, cs.float_schema())),
        "short": _optional(cs.no_info_after_validator_function(_check_short, _text()), ""),
    },
)


#: ``look_for:``: phrases for the news inbox's matching (forecast.inbox.match), each non-empty text.
_LOOK_FOR = cs.list_schema(cs.str_schema(min_length=1, strip_whitespace=True), max_length=100)


_INDICATOR = _mapping_as(
    _IndicatorSpec,
    {
        "text": _required(_text(min_length=1)),
        "signals": _required(_text()),
        # Checked value by value, so that an error is located at (and names) the scenario's own entry.
        "likelihood": _required(
            cs.dict_schema(
                cs.str_schema(), cs.no_info_after_validator_function(check_likelihood, cs.any_schema())
            )
        ),
        "tripwire": _optional(cs.bool_schema(), False),
        "group": _optional(cs.nullable_schema(_text(min_length=1)), None),
        "window": _optional(
            cs.nullable_schema(cs.no_info_after_validator_function(_check_window, cs.any_schema())), None
        ),
        "look_for": _optional(_LOOK_FOR, []),
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
        "temper": _optional(cs.no_info_after_validator_function(check_temper, cs.any_schema()), None),
        "ordered": _optional(cs.bool_schema(strict=True), False),
        "look_for": _optional(_LOOK_FOR, []),
        "illustrative": _optional(cs.bool_schema(strict=True), False),
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


def _pydantic_message(err: dict) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "missing":
        return "required field is missing"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    got = err.get("input")
    shown = shown_value(got) if not isinstance(got, (dict, list)) else type(got).__name__
    if kind in ("string_type", "dict_type", "bool_type", "float_type", "int_type", "list_type"):
        expected = {
            "string_type": "text",
            "dict_type": "a mapping (key: value)",
            "bool_type": "true or false",
            "float_type": "a number",
            "int_type": "a whole number",
            "list_type": "a list",
        }[kind]
        if kind == "string_type" and got is None:  # YAML 1.2 reads null, Null, NULL, ~ and nothing as null
            return f"expected {expected}, got None (YAML reads null, Null, NULL and ~ as no value); to mean the word, put it in quotes: 'Null'"
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
    elif spec.closes > years_after(spec.opened, MAX_LIFE_YEARS):
        where.error(
            line(("closes",)),
            f"closes {spec.closes} is more than {MAX_LIFE_YEARS} years after opened {spec.opened}; "
            f"expected a question that closes by {years_after(spec.opened, MAX_LIFE_YEARS)}",
        )

    scenario_ids = list(spec.scenarios)
    if not _MIN_SCENARIOS <= len(scenario_ids) <= _MAX_SCENARIOS:
        where.error(
            line(("scenarios",)),
            f"expected {_MIN_SCENARIOS} to {_MAX_SCENARIOS} scenarios, found {len(scenario_ids)}",
        )
    for sid in scenario_ids:
        if not _ITEM_ID.match(sid):
            where.error(line(("scenarios", sid)), f"scenario id {sid!r} must match {_ITEM_ID.pattern}")
    labels: dict[str, str] = {}
    for sid, s in spec.scenarios.items():
        label = (s.short or s.name).casefold()
        if label in labels:
            where.error(
                line(("scenarios", sid, "short") if s.short else ("scenarios", sid)),
                f"scenario {sid!r} would be labelled {s.short or s.name!r}, like scenario {labels[label]!r}; "
                "expected a different short name",
            )
        labels.setdefault(label, sid)
    total = sum(s.prior for s in spec.scenarios.values())
    if scenario_ids and abs(total - 1) > PRIOR_TOLERANCE:
        where.error(line(("scenarios",)), f"priors sum to {total:.6g}; expected 1 (within {PRIOR_TOLERANCE})")

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
                look_for=tuple(ind.look_for),
            )
        )
        _lint_indicator(indicators[-1], where)
        _lint_window(indicators[-1], spec.opened, spec.closes, where)

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
        elif r.date > years_after(spec.closes, YEARS_PAST_CLOSES):
            where.error(
                line(("resolution", "date")),
                f"resolution date {r.date} is more than {YEARS_PAST_CLOSES} years after closes {spec.closes}; "
                f"expected a date by {years_after(spec.closes, YEARS_PAST_CLOSES)}",
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
        scenarios=tuple(
            Scenario(sid, s.name, s.prior, s.description, s.short) for sid, s in spec.scenarios.items()
        ),
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
        temper=1.0 if spec.temper is None else spec.temper,
        set_in_file=frozenset({"temper"} if spec.temper is not None else ()),
        ordered=spec.ordered,
        look_for=tuple(spec.look_for),
        illustrative=spec.illustrative,
    )


def _lint_window(ind: Indicator, opened: date, closes: date, where: Located) -> None:
    """Warn where an indicator's window reaches outside the question's life, ``[opened, closes]``."""
    if ind.window is None:
        return
    start, end = ind.window
    if end < opened or start > closes:
        said = "lies entirely outside"
    elif start < opened or end > closes:
        said = "reaches outside"
    else:
        return
    where.warn(
        ind.line,
        f"indicator '{ind.id}' has window [{start}, {end}], which {said} the question's life "
        f"[{opened}, {closes}]; check its dates",
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


def _lint_look_alikes(indicators: list[Indicator], where: Located) -> None:
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


def _check_the_rest(data: dict, errors: list, stem: str, where: Located) -> None:
    """The checks across a file (priors summing to 1, declared groups, ...) on what passed the schema.

    An indicator or group whose own fields failed is left out, so that one run
    reports every error it can; a scenario or a top-level field that failed is what
    every other check needs, and then nothing more is checked.
    """
    dropped: dict[str, set] = {"indicators": set(), "groups": set()}
    for err in errors:
        loc = err["loc"]
        if len(loc) < 2 or loc[0] not in dropped or not isinstance(data.get(loc[0]), dict):
            return
        dropped[loc[0]].add(loc[1])
    rest = dict(data)
    for section, ids in dropped.items():
        if ids:
            rest[section] = {k: v for k, v in data[section].items() if k not in ids}
    try:
        spec = _QUESTION_VALIDATOR.validate_python(rest)
    except ValidationError:
        return
    seen = len(where.problems)
    _build_question(spec, stem, where)

    def follows_from_the_left_out(problem: Problem) -> bool:
        # A group's members may be among the indicators left out; a group left out is declared.
        if dropped["indicators"] and "member" in problem.message:
            return True
        return any(problem.message.startswith(f"group {g!r} is not declared") for g in dropped["groups"])

    where.problems[seen:] = [p for p in where.problems[seen:] if not follows_from_the_left_out(p)]


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
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> q.scenario_ids
    ('keep', 'partial', 'exit')
    """
    path = Path(path)
    where = Located(display_path(path))
    data = read_yaml_mapping(path, where)
    if data is None:
        raise QuestionFileError(where.problems)
    _unknown_keys(data, where)
    _texts_as_written(data, where)
    try:
        spec = _QUESTION_VALIDATOR.validate_python(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        for err in errors:
            where.error(
                where.line_of(err["loc"]), f"{_dotted(err['loc']) or 'file'}: {_pydantic_message(err)}"
            )
        _check_the_rest(data, errors, path.stem, where)
        raise QuestionFileError(where.problems) from None
    question = _build_question(spec, path.stem, where)
    if question is None:
        raise QuestionFileError(where.problems)
    pool = data.get("pool")
    if isinstance(pool, dict) and "extremize" in pool:  # the question's own exponent wins over a fitted one
        question = replace(question, set_in_file=question.set_in_file | {"extremize"})
    return question
