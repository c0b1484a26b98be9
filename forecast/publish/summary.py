"""``summary.json``: the numbers of one report, written and read back through one typed object.

A report folder ``OUT/<question>/<as_of>/`` holds ``summary.json``, which the
index, the next report's comparison, the scorecard and the scheduler read. Its
shape is the JSON Schema shipped beside this module, ``summary.schema.json``
(:data:`SCHEMA_VERSION`); :class:`Summary` is that shape as a frozen dataclass.
:meth:`Summary.to_json` writes it (the same bytes for the same numbers) and
:meth:`Summary.from_json` reads it back, refusing a file that does not match the
schema with a message that names the key.

A summary written before the schema had a version (no ``schema_version``) is
read as version 0: the keys it has that still mean what they meant are read,
those it lacks take the values an absent key always stood for (empty lists, no
moves, not stale), so that a report written after an upgrade still shows what
moved since the last one written before it.

A long log's summary is compact (version 3): where a report counts more than
:data:`COMPACT_ABOVE` reports, ``summary.json`` gives their number
(``evidence_counted``) and their digest (``evidence_digest``,
:func:`forecast.analysis.evidence_digest`) instead of every id, which stay in the
report's ``evidence.csv``; :func:`counted_ids` reads them back from there when the
next report works out what was added.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

from .. import store
from ..analysis.changes import evidence_digest
from ..engine.rule import ROLE_AFTER_AS_OF, ROLE_LABELS
from ..errors import ForecastError, printable_name
from ..inputs.evidence import FORMULA_PREFIXES
from ..store import EVIDENCE_CSV, SUMMARY, ReportEntry

__all__ = [
    "COMPACT_ABOVE",
    "SCHEMA_FILE",
    "SCHEMA_VERSION",
    "ChangeRecord",
    "ConfidenceRecord",
    "CriticalItem",
    "ResolutionRecord",
    "RevisionRecord",
    "ScoreRecord",
    "Summary",
    "SummaryError",
    "WatchEntry",
    "check_summary",
    "counted_ids",
    "current_report",
    "evidence_digest",
    "import_jsonschema",
    "previous_report",
    "previous_summary",
    "read_summary",
    "schema",
]

#: The version of ``summary.json`` this package writes (its ``schema_version``). Version 2 added
#: ``temper`` and ``uncalibrated_probabilities``; a summary of version 1 reads with temper 1. Version 3
#: added ``evidence_digest``, and leaves out ``evidence_ids`` where more than :data:`COMPACT_ABOVE`
#: reports are counted (``changes.evidence_added`` and ``evidence_removed`` are null where unknown).
#: Version 4 added ``revision``, ``revises`` and ``changes.causes`` (docs/record.md); an older summary
#: reads as revision 1.
SCHEMA_VERSION = 4
#: Older versions with a ``schema_version`` that read as they are, their missing keys at their defaults.
_READABLE_VERSIONS = (1, 2, 3, SCHEMA_VERSION)
#: A report that counts more reports than this writes a compact summary: their number and digest, not
#: their ids (which are in its ``evidence.csv``). At 10,000 ids, a summary is about 150 kB.
COMPACT_ABOVE = 10_000
#: The schema's file name inside ``forecast.publish``.
SCHEMA_FILE = "summary.schema.json"
#: Only with judgment files: a question without them keeps its summary as it was.
_TEAM_KEYS = frozenset({"analysts", "analyst", "team_probabilities"})
#: Keys left out where they are ``None``: the team's, and the untempered forecast of an untempered one.
#: (``evidence_digest`` is ``None`` only in a summary read from a version before 3.)
#: (``priors``, ``most_influential_move`` and ``confidence`` are ``None`` in a summary read from a report
#: made before they were written, and ``confidence`` once the question has resolved.)
_LEFT_OUT_WHEN_NONE = _TEAM_KEYS | {
    "uncalibrated_probabilities",
    "evidence_digest",
    "priors",
    "most_influential_move",
    "confidence",
    "inbox_unreviewed",
    "revises",
}
#: Keys of a part of the summary left out where they are ``None`` (``resolution``'s record of the eve).
_NESTED_LEFT_OUT_WHEN_NONE = frozenset({"eve_published", "replayed_on_eve"})
#: What a summary of version 0 must have to be read as a previous report.
_V0_REQUIRED = ("as_of", "probabilities")


#: A JSON escape of a UTF-16 surrogate: JSON can spell one alone, which no UTF-8 file or page can hold.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _lone_surrogate(data: Any, where: str = "") -> str | None:
    """The key path of the first string (key or value) in ``data`` holding a lone surrogate, or ``None``."""
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            return where
        return None
    items = data.items() if isinstance(data, Mapping) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        inner = f"{where}.{key}" if where else str(key)
        if isinstance(key, str) and _lone_surrogate(key) is not None:
            return printable_name(inner)
        found = _lone_surrogate(value, inner)
        if found is not None:
            return printable_name(found)
    return None


class SummaryError(ForecastError):
    """A ``summary.json`` that does not match its schema."""


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of ``summary.json`` (draft 2020-12), as shipped in the package."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def import_jsonschema() -> ModuleType:
    """The ``jsonschema`` module, imported without its optional IRI syntax checker.

    jsonschema loads ``rfc3987_syntax`` when it is installed (JupyterLab's
    ``jupyter-events`` brings it), and that compiles a grammar at import, over a
    second, only to check the ``iri`` formats; the summary's schema uses no such
    format, nor does a notebook's. So, unless jsonschema or that module was imported
    before, it is imported here with that one module unavailable (jsonschema then
    leaves ``iri`` unchecked, as it does wherever the module is not installed).
    """
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # its import fails; jsonschema skips it
        try:
            import jsonschema
        finally:
            del sys.modules["rfc3987_syntax"]
    import jsonschema

    return jsonschema


@cache
def _validator():
    return import_jsonschema().Draft202012Validator(schema())


@cache
def _key_validator(key: str):
    """A validator of one key's value against the schema's description of that key (for version 0)."""
    jsonschema = import_jsonschema()

    root = schema()
    one = {
        "$defs": root["$defs"],
        "type": "object",
        "properties": {key: root["$defs"]["fields"]["properties"][key]},
    }
    return jsonschema.Draft202012Validator(one)


def _where(path: Iterable[Any]) -> str:
    parts = [str(p) for p in path]
    return ".".join(parts) if parts else "(top level)"


def _without_long_lists(data: Any) -> Any:
    """``data`` with its ``evidence_ids`` (and its ``previous`` summary's) left empty where every one is text.

    The schema says each id is a string; checked here in one pass, a long log's
    hundred thousand ids cost milliseconds, where jsonschema, item by item, takes
    half a second. A list with anything else in it is left for jsonschema to name.
    """
    if not isinstance(data, dict):
        return data
    out = dict(data)
    ids = out.get("evidence_ids")
    if isinstance(ids, list) and all(type(i) is str for i in ids):
        out["evidence_ids"] = []
    if isinstance(out.get("previous"), dict):
        out["previous"] = _without_long_lists(out["previous"])
    return out


def _check(data: Any, source: str) -> None:
    """Raise :class:`SummaryError` naming the first key of ``data`` that the schema refuses."""
    errors = _validator().iter_errors(_without_long_lists(data))
    error = import_jsonschema().exceptions.best_match(errors)
    if error is not None:
        raise SummaryError(f"{source}: {_where(error.absolute_path)}: {error.message}")


# --------------------------------------------------------------------------- the parts


@dataclass(frozen=True)
class CriticalItem:
    """One item of ``critical_evidence``: what the forecast would be without one indicator, group or report."""

    kind: str
    id: str
    indicator: str
    change: dict[str, float]
    leading_without: str
    leader_changes: bool

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CriticalItem:
        return cls(
            d["kind"],
            d["id"],
            d["indicator"],
            _floats(d["change"]),
            d["leading_without"],
            d["leader_changes"],
        )


@dataclass(frozen=True)
class WatchEntry:
    """One item of ``watch``: a pending indicator and what it would do if reported."""

    indicator: str
    p_reported: float
    not_yet: bool
    information_bits: float
    if_observed: dict[str, float]
    if_absent: dict[str, float]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> WatchEntry:
        return cls(
            d["indicator"], float(d["p_reported"]), d["not_yet"], float(d["information_bits"]),
            _floats(d["if_observed"]), _floats(d["if_absent"]),
        )  # fmt: skip


@dataclass(frozen=True)
class ChangeRecord:
    """``changes``: what changed since the previous report."""

    previous_as_of: str | None
    #: ``None`` where unknown: the previous summary was compact and its ``evidence.csv`` could not be read.
    evidence_added: tuple[str, ...] | None
    evidence_removed: tuple[str, ...] | None
    status_changes: dict[str, tuple[str, str]]
    tripwires_newly_fired: tuple[str, ...]
    leader_changed: bool
    previous_replaced: bool
    #: since version 4: how the forecast is made, changed since that report (the temper, the question
    #: file...), in words such as "temper 1 → 0.35" (docs/record.md)
    causes: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ChangeRecord:
        return cls(
            d["previous_as_of"], _ids_or_none(d["evidence_added"]), _ids_or_none(d["evidence_removed"]),
            {i: (v[0], v[1]) for i, v in d["status_changes"].items()}, tuple(d["tripwires_newly_fired"]),
            d["leader_changed"], d["previous_replaced"], tuple(d.get("causes", ())),
        )  # fmt: skip


@dataclass(frozen=True)
class RevisionRecord:
    """``revises``: the revision of the same date's report that this one replaced, and why they differ."""

    revision: int
    probabilities: dict[str, float]
    #: what changed in the inputs since that revision, in words (docs/record.md)
    causes: tuple[str, ...]
    #: the scenarios that moved by the alert threshold or more from what that revision published
    alerts: tuple[str, ...]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RevisionRecord:
        return cls(int(d["revision"]), _floats(d["probabilities"]), tuple(d["causes"]), tuple(d["alerts"]))


@dataclass(frozen=True)
class ScoreRecord:
    """``score``: the scores of a resolved question (``None`` for an unbounded log score)."""

    resolved: str
    resolution_date: str
    days: int
    brier_final: float
    brier_daily: float
    brier_prior: float
    log_final: float | None
    log_daily: float | None
    log_prior: float | None
    skill_final: float | None
    skill_daily: float | None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ScoreRecord:
        return cls(**{f.name: d[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class ResolutionRecord:
    """``resolution``: how the question resolved and what the forecast gave it the day before."""

    scenario: str
    name: str
    label: str
    date: str
    eve: str
    probability_on_eve: float
    note: str
    brier_final: float
    brier_prior: float
    #: since version 4: the as-of date of the publication that stood on the eve (``None``: none did, and the
    #: eve is today's replay), and today's replay's probability where it differs from the published one
    eve_published: str | None = None
    replayed_on_eve: float | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ResolutionRecord:
        return cls(**{f.name: d[f.name] for f in fields(cls) if f.name in d})


@dataclass(frozen=True)
class ConfidenceRecord:
    """``confidence``: the level of the confidence rule (docs/key-judgments.md) and what it was worked out from.

    ``concerns`` has one entry per concern, named for the input that raised it (stale
    evidence counts twice, so ``"age"`` is there twice); ``inputs`` holds the rule's
    figures: ``ab_share`` and ``top_source_share`` as fractions of the counted reports'
    weight and movement, ages in days, widths in points (``None`` where not in play).
    """

    level: str
    concerns: tuple[str, ...]
    inputs: dict[str, Any]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ConfidenceRecord:
        return cls(d["level"], tuple(d["concerns"]), dict(d["inputs"]))


def _ids_or_none(v: Any) -> tuple[str, ...] | None:
    return None if v is None else tuple(v)


def _floats(m: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in m.items()}


def _optional(make: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: None if v is None else make(v)


#: How each key of the JSON becomes a field's value (the fields not named here are taken as they are).
_READ: dict[str, Callable[[Any], Any]] = {
    "probabilities": _floats,
    "scenario_names": dict,
    "scenario_labels": dict,
    "scenario_order": tuple,
    "evidence_ids": tuple,
    "indicator_status": dict,
    "tripwires_fired": tuple,
    "intervals": lambda m: {s: (float(b[0]), float(b[1])) for s, b in m.items()},
    "critical_evidence": lambda v: tuple(CriticalItem.from_dict(i) for i in v),
    "most_influential": dict,
    "watch": lambda v: tuple(WatchEntry.from_dict(w) for w in v),
    "moves": _optional(_floats),
    "changes": _optional(ChangeRecord.from_dict),
    "alert_threshold": float,
    "alerts": tuple,
    "score": _optional(ScoreRecord.from_dict),
    "resolution": _optional(ResolutionRecord.from_dict),
    "analysts": _optional(lambda m: {a: _floats(p) for a, p in m.items()}),
    "team_probabilities": _optional(_floats),
    "temper": float,
    "uncalibrated_probabilities": _optional(_floats),
    "revises": _optional(RevisionRecord.from_dict),
    "priors": _optional(_floats),
    "most_influential_move": _optional(dict),
    "confidence": _optional(ConfidenceRecord.from_dict),
}


def _plain(value: Any) -> Any:
    """A field's value as JSON data (dataclasses as objects, tuples as lists)."""
    if isinstance(value, Summary):
        return value.as_dict(nested=True)
    if hasattr(value, "__dataclass_fields__"):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in fields(value)
            if not (f.name in _NESTED_LEFT_OUT_WHEN_NONE and getattr(value, f.name) is None)
        }
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if all(type(v) is str for v in value):  # a long log's report ids: copied, not visited one by one
            return list(value)
        return [_plain(v) for v in value]
    return value


# --------------------------------------------------------------------------- the summary


@dataclass(frozen=True)
class Summary:
    """The numbers of one report, as ``summary.json`` holds them (see ``summary.schema.json``).

    Every key of the file is a field of the same name. ``analysts`` (with judgment
    files), ``analyst`` and ``team_probabilities`` (an analyst's view) are ``None``
    where the file does not have them. ``previous`` is the previous report's
    summary, one level deep (its own ``previous`` is ``None``).

    ``legacy_keys`` is ``None`` for a summary of the current version; for one read
    from a file of version 0 it names the keys that file had, the only ones written
    again when it is kept as the ``previous`` of a newer report (the others hold
    the values an absent key stood for).

    ``evidence_ids`` is empty in a compact summary (more than :data:`COMPACT_ABOVE`
    reports counted; :attr:`ids_listed` is false), whose file leaves the key out;
    ``evidence_digest`` is the digest of the counted ids (``None`` in a summary
    read from a version before 3).
    """

    question: str
    title: str
    as_of: str
    probabilities: dict[str, float]
    leading: str
    leading_name: str
    leading_words: str
    scenario_names: dict[str, str]
    scenario_labels: dict[str, str]
    scenario_order: tuple[str, ...]
    evidence_counted: int
    evidence_ids: tuple[str, ...]
    indicator_status: dict[str, str]
    tripwires_fired: tuple[str, ...]
    latest_report_date: str | None
    evidence_age_days: int | None
    stale_after_days: int
    stale: bool
    closes: str
    closed_unresolved: bool
    ranges_given: int
    intervals: dict[str, tuple[float, float]]
    critical_evidence: tuple[CriticalItem, ...]
    most_influential: dict[str, str | None]
    watch: tuple[WatchEntry, ...]
    moves: dict[str, float] | None
    changes: ChangeRecord | None
    alert_threshold: float
    alert: bool
    alerts: tuple[str, ...]
    score: ScoreRecord | None
    resolution: ResolutionRecord | None
    previous: Summary | None = None
    analysts: dict[str, dict[str, float]] | None = None
    analyst: str | None = None
    team_probabilities: dict[str, float] | None = None
    #: the temper τ the forecast used, and (where it is not 1) the forecast at temper 1
    temper: float = 1.0
    uncalibrated_probabilities: dict[str, float] | None = None
    #: since version 3: :func:`forecast.analysis.evidence_digest` of the counted reports' ids
    evidence_digest: str | None = None
    #: the forecast's starting point (a team's: the pool of the analysts' priors)
    priors: dict[str, float] | None = None
    #: per scenario, how many points leaving out its ``most_influential`` indicator would move it
    most_influential_move: dict[str, float | None] | None = None
    #: the confidence rule's level and inputs (``None`` once the question has resolved)
    confidence: ConfidenceRecord | None = None
    #: items in the question's news inbox with a candidate still ``new`` (no effect on any number);
    #: ``None`` in a summary written before the inbox, which is written back without it
    inbox_unreviewed: int | None = None
    #: since version 4: which publication of this date's report this is (1 for the first; an older
    #: summary reads as 1), and, for a later one, the revision it replaced (docs/record.md)
    revision: int = 1
    revises: RevisionRecord | None = None
    schema_version: int = SCHEMA_VERSION
    legacy_keys: frozenset[str] | None = field(default=None, repr=False)

    @property
    def ids_listed(self) -> bool:
        """Whether ``evidence_ids`` lists every report counted (false for a compact summary)."""
        return bool(self.evidence_ids) or self.evidence_counted == 0

    @property
    def counted_digest(self) -> str | None:
        """``evidence_digest``, or (for a summary of an older version) the digest of the ids it lists."""
        if self.evidence_digest is not None:
            return self.evidence_digest
        return evidence_digest(self.evidence_ids) if self.ids_listed else None

    def as_previous(self) -> Summary:
        """This summary as another one keeps it under ``previous``: one level deep, and compact where it is long.

        A summary of a version before 3 gets its digest, and its ids are left out where it
        counts more than :data:`COMPACT_ABOVE` (one of version 0 is kept as it was read).
        """
        if self.legacy_keys is not None:
            return replace(self, previous=None)
        compact = self.evidence_counted > COMPACT_ABOVE
        return replace(
            self,
            previous=None,
            evidence_digest=self.counted_digest,
            evidence_ids=() if compact else self.evidence_ids,
        )

    # ------------------------------------------------------------------ writing

    def as_dict(self, *, nested: bool = False) -> dict[str, Any]:
        """The summary as JSON data, exactly as :meth:`to_json` writes it.

        A summary read from a file of version 0 gives back the keys that file had.
        ``nested=True`` leaves out ``previous``, as a summary kept as the previous
        of another is written (one level, not a chain).
        """
        if self.legacy_keys is not None:
            return {"schema_version": 0} | {k: _plain(getattr(self, k)) for k in sorted(self.legacy_keys)}
        skip = {"legacy_keys", "previous"} if nested else {"legacy_keys"}
        if self.schema_version < 4:  # read from an older version: written back as it was
            skip |= {"revision", "revises"}
        if not self.ids_listed:
            skip.add("evidence_ids")  # a compact summary: the ids are in evidence.csv
        return {
            f.name: _plain(getattr(self, f.name))
            for f in fields(self)
            if f.name not in skip and not (f.name in _LEFT_OUT_WHEN_NONE and getattr(self, f.name) is None)
        }

    def to_json(self) -> str:
        """The text of ``summary.json``: keys sorted, two-space indent, a final newline.

        Raises
        ------
        SummaryError
            If the summary does not match the schema (a report never writes one that does not).
        """
        data = self.as_dict()
        _check(data, "summary")
        return json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"

    # ------------------------------------------------------------------ reading

    @classmethod
    def from_json(
        cls, text: str, *, source: str = SUMMARY, question: str = "", schema_checked: bool = False
    ) -> Summary:
        """Read a summary from the text of ``summary.json``.

        Parameters
        ----------
        text : str
            The file's text.
        source : str
            The file's name, for messages.
        question : str
            The question's id, for a summary of version 0 that does not name its question.
        schema_checked : bool
            The text is known to match the schema (it was checked, and is unchanged since):
            only its version is checked again.

        Raises
        ------
        SummaryError
            For text that is not JSON, a summary of another version, or one that does not
            match the schema: ``SOURCE: KEY: what was expected``.
        """
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise SummaryError(f"{source}: not JSON: {exc}") from None
        except RecursionError:
            raise SummaryError(f"{source}: (top level): nested too deeply to be a summary") from None
        if _SURROGATE_ESCAPE.search(text):  # only then: a walk of every string costs a long log's summary
            try:
                where = _lone_surrogate(data)
            except RecursionError:
                raise SummaryError(f"{source}: (top level): nested too deeply to be a summary") from None
            if where is not None:
                raise SummaryError(
                    f"{source}: {where or '(top level)'}: holds a lone surrogate (a \\ud800 escape), "
                    "which is not text; expected text that can be written as UTF-8"
                )
        return cls.from_mapping(data, source=source, question=question, schema_checked=schema_checked)

    @classmethod
    def from_mapping(
        cls, data: Any, *, source: str = SUMMARY, question: str = "", schema_checked: bool = False
    ) -> Summary:
        """Read a summary from JSON data already parsed (see :meth:`from_json`)."""
        if not isinstance(data, Mapping):
            raise SummaryError(f"{source}: (top level): expected an object, got {type(data).__name__}")
        version = data.get("schema_version", 0)
        if version == 0 and "schema_version" not in data:
            return cls._from_version_0(data, source, question)
        if version not in _READABLE_VERSIONS or isinstance(version, bool):
            raise SummaryError(
                f"{source}: schema_version: this version of forecast reads summaries of version "
                f"{SCHEMA_VERSION} (and older ones), got {version!r}"
            )
        if not schema_checked:
            _check(data, source)
        return cls._build(data)

    @classmethod
    def _build(cls, data: Mapping[str, Any]) -> Summary:
        values: dict[str, Any] = {"evidence_ids": ()}  # left out of a compact summary
        for f in fields(cls):
            if f.name in ("legacy_keys",) or f.name not in data:
                continue
            value = data[f.name]
            if f.name == "previous":
                values[f.name] = None if value is None else cls._previous(value)
            else:
                values[f.name] = _READ.get(f.name, lambda v: v)(value)
        return cls(**values)

    @classmethod
    def _previous(cls, data: Mapping[str, Any]) -> Summary:
        if data.get("schema_version") == 0:
            return cls._from_version_0(data, SUMMARY, str(data.get("question", "")))
        return cls._build(data)

    @classmethod
    def _from_version_0(cls, data: Mapping[str, Any], source: str, question: str) -> Summary:
        """A summary written before ``schema_version``: its keys that read as they do now, defaults for the rest."""
        kept = {}
        names = {f.name for f in fields(cls)} - {"schema_version", "legacy_keys", "previous"}
        for key in sorted(names & set(data)):
            if not any(True for _ in _key_validator(key).iter_errors({key: data[key]})):
                kept[key] = data[key]
        missing = [k for k in _V0_REQUIRED if k not in kept]
        if missing:
            key = missing[0]
            why = (
                "missing"
                if key not in data
                else "not " + ("an ISO date" if key == "as_of" else "probabilities")
            )
            raise SummaryError(
                f"{source}: {key}: {why} (a summary without schema_version needs as_of and probabilities)"
            )
        probabilities = _floats(kept["probabilities"])
        leading = kept.get("leading")
        if leading not in probabilities:
            leading = max(probabilities, key=probabilities.get)
        names_of = kept.get("scenario_names", {})
        evidence_ids = kept.get("evidence_ids", [])
        question = kept.get("question") or question
        defaults: dict[str, Any] = {
            "question": question,
            "title": question,
            "leading": leading,
            "leading_name": names_of.get(leading, leading),
            "leading_words": "",
            "scenario_names": {},
            "scenario_labels": {},
            "scenario_order": [],
            "evidence_counted": len(evidence_ids),
            "evidence_ids": [],
            "indicator_status": {},
            "tripwires_fired": [],
            "latest_report_date": None,
            "evidence_age_days": None,
            "stale_after_days": 30,
            "stale": False,
            "closes": "",
            "closed_unresolved": False,
            "ranges_given": 0,
            "intervals": {},
            "critical_evidence": [],
            "most_influential": {},
            "watch": [],
            "moves": None,
            "changes": None,
            "alert_threshold": 10.0,
            "alert": False,
            "alerts": [],
            "score": None,
            "resolution": None,
        }
        built = cls._build(defaults | kept | {"leading": leading} | {"previous": None})
        return replace(built, schema_version=0, legacy_keys=frozenset(kept))


# --------------------------------------------------------------------------- OUT


def read_summary(path: str | Path, *, schema_checked: bool = False) -> Summary | None:
    """The summary at ``path``, or ``None`` if it is missing, unreadable or does not match the schema.

    A report whose summary cannot be read is treated as absent (the index skips it,
    the next report does not compare with it) rather than stopping the run.
    A summary of version 0 takes its question's id from its folder,
    ``OUT/<question>/<as_of>/summary.json``. ``schema_checked``: the caller knows the
    file matched the schema and is unchanged since (its catalog entry says so, and its
    stamp is the same before and after this read), so the schema is not checked again.
    """
    path = Path(path)
    text = store.read_regular_text(path)  # a FIFO or a device is absent, never waited on
    if text is None:
        return None
    try:
        return _from_text(text, str(path), path.parent.parent.name, schema_checked)
    except SummaryError:
        return None
    except Exception:  # JSON nested past the parser's depth (RecursionError), and any other
        # way a file someone put in OUT can fail to read: absent, as the README promises, never a crash.
        return None


def check_summary(path: str | Path) -> Summary:
    """The summary at ``path``; unlike :func:`read_summary`, a file that cannot be read is an error.

    Raises
    ------
    SummaryError
        For a missing file or one that does not match the schema.
    """
    path = Path(path)
    text = store.read_regular_text(path)
    if text is None:
        raise SummaryError(f"{path}: cannot be read: missing, not a regular file, or not UTF-8")
    try:
        return _from_text(text, str(path), path.parent.parent.name, False)
    except RecursionError:
        raise SummaryError(f"{path}: (top level): nested too deeply to be a summary") from None


@lru_cache(maxsize=16)
def _from_text(text: str, source: str, question: str, schema_checked: bool) -> Summary:
    """:meth:`Summary.from_json`, once per text: a job checks the summary it publishes, and the index
    then reads the same file (a :class:`Summary` is frozen, so it can be shared)."""
    return Summary.from_json(text, source=source, question=question, schema_checked=schema_checked)


def current_report(
    out_dir: str | Path,
    question_id: str,
    today: date | None = None,
    dates: list[date] | None = None,
    read: store.SummaryReader = read_summary,
) -> ReportEntry | None:
    """The report a question stands at, its ``summary`` a :class:`Summary` (see :func:`forecast.store.current_report`).

    ``read`` reads a summary as :func:`read_summary` does (the default), or with less checking
    where the caller knows more of it.
    """
    return store.current_report(out_dir, question_id, today, read=read, dates=dates)


def previous_summary(out_dir: str | Path | None, question_id: str, as_of: date) -> Summary | None:
    """The summary a report as of ``as_of`` compares with (see :func:`forecast.store.previous_summary`)."""
    return store.previous_summary(out_dir, question_id, as_of, read=read_summary)


def previous_report(out_dir: str | Path | None, question_id: str, as_of: date) -> ReportEntry | None:
    """:func:`previous_summary` with the folder it was read from (its ``evidence.csv`` is beside it)."""
    folders: list[Path] = []

    def read(path: Path) -> Summary | None:
        found = read_summary(path)
        if found is not None:
            folders.append(path.parent)
        return found

    found = store.previous_summary(out_dir, question_id, as_of, read=read)
    if found is None:
        return None
    return ReportEntry(date.fromisoformat(folders[-1].name), folders[-1], found)


class _Unreadable(ForecastError):
    """``evidence.csv`` is not what a report writes there."""


#: How ``evidence.csv`` names a report that was not counted (dated after the as-of date).
_NOT_COUNTED = ROLE_LABELS[ROLE_AFTER_AS_OF]
_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)


def counted_ids(folder: str | Path, summary: Summary | None = None) -> tuple[str, ...] | None:
    """The ids of the reports a report counted, read from the ``evidence.csv`` in its ``folder``, in file order.

    Read row by row, keeping only the ``id`` of each row whose ``role`` is not "after
    the as-of date" (the quote a spreadsheet-safe id got in front is taken off), so a
    long log costs its ids, not its text. The file is opened by
    :func:`forecast.store.open_regular` (never a FIFO or a device, nothing over
    :data:`forecast.store.READ_LIMIT` bytes). With ``summary`` (the report's own),
    the ids must also be as many as its ``evidence_counted`` and, where it has one,
    match its ``evidence_digest``.

    Returns
    -------
    tuple of str or None
        ``None`` where they cannot be known: the file is missing or unreadable, not
        the shape a report writes, or does not match ``summary``. Never raises.
    """
    try:
        with store.open_regular(Path(folder) / EVIDENCE_CSV) as raw:
            if raw is None:
                return None
            ids = _counted_in(csv.reader(_lines(raw, store.READ_LIMIT), strict=True))
    except (OSError, UnicodeDecodeError, csv.Error, _Unreadable):
        return None
    except Exception:  # anything else a file someone put in OUT can do: unknown, never a crash
        return None
    if summary is not None:
        if len(ids) != summary.evidence_counted:
            return None
        if summary.evidence_digest is not None and evidence_digest(ids) != summary.evidence_digest:
            return None
    return ids


def _lines(raw: Iterable[bytes], limit: int) -> Iterator[str]:
    """The lines of a binary file as text, their ends kept (as ``csv`` needs), stopping past ``limit`` bytes."""
    total = 0
    for line in raw:  # split after each b"\n", which no other UTF-8 character contains
        total += len(line)
        if total > limit:  # it grew while it was read
            raise _Unreadable
        yield line.decode("utf-8")


def _counted_in(rows: Iterator[list[str]]) -> tuple[str, ...]:
    header = next(rows, None)
    if not header or "id" not in header or "role" not in header:
        raise _Unreadable
    at_id = header.index("id")
    at_role = len(header) - 1 - header[::-1].index("role")  # the report's role: after the log's own columns
    width = len(header)
    ids = []
    for row in rows:
        if len(row) != width:
            raise _Unreadable
        if row[at_role] != _NOT_COUNTED:
            cell = row[at_id]
            ids.append(cell[1:] if cell[:1] == "'" and cell[1:2] in _FORMULA_FIRST else cell)
    return tuple(ids)
