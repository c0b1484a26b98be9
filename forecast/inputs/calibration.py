"""A data folder's ``calibration.yaml``: read, checked, written, and applied to its questions.

``forecast calibrate --write`` writes it; every question of the folder that does not
set its own ``temper:`` (or ``pool: {extremize: a}``) takes the fitted value from it.
See docs/calibration.md.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import CalibrationFileError, Problem, display_path
from ..model import Calibration, Question
from ..store import atomic_write_text
from .questions import MAX_TEMPER, check_file_date, check_temper, shown_value
from .safe_yaml import Located, not_regular, read_yaml_mapping

__all__ = [
    "CALIBRATION_FILE",
    "apply_calibration",
    "calibration_path",
    "calibration_yaml",
    "check_writable",
    "load_calibration",
    "uncalibrated",
    "write_calibration",
]


CALIBRATION_FILE = "calibration.yaml"


_SCORE_KEYS = ("untempered", "calibrated")
_EXTREMIZE_KEYS = ("temper_only", "joint")
_SCORE_BLOCKS = ("in_sample", "leave_one_out")
_KEYS = (
    "temper",
    "temper_interval",
    "searched",
    "extremize",
    "extremize_interval",
    "extremize_searched",
    "forced",
    "fitted",
    "questions",
    "log_score",
    "brier_score",
    "extremize_score",
    "version",
)


def calibration_path(data_dir: str | Path) -> Path:
    """``DATA/calibration.yaml``."""
    return Path(data_dir) / CALIBRATION_FILE


#: The largest score calibration.yaml may record (a mean daily log or Brier score is a few units).
_MAX_SCORE = 1e6


def _number(value: Any) -> float:
    # Compared as it is, not through float(): a 400-digit integer has no float (OverflowError).
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or value != value
        or not -_MAX_SCORE <= value <= _MAX_SCORE
    ):
        raise ValueError(
            f"expected a number from {-_MAX_SCORE:g} to {_MAX_SCORE:g}, got {shown_value(value)}"
        )
    return float(value)


def _scores(
    data: Any, key: str, where: Located, keys: tuple[str, str] = _SCORE_KEYS
) -> tuple[dict[str, tuple[float, float] | None], float | None]:
    """``{in_sample: {a, b}, leave_one_out: {a, b, gain_se}}`` as pairs and the held-out gain's
    standard error (optional: files written before it was recorded have none), or errors in ``where``."""
    found: dict[str, tuple[float, float] | None] = dict.fromkeys(_SCORE_BLOCKS)
    gain_se = None
    if data is None:
        return found, gain_se
    if not isinstance(data, dict):
        where.error(where.line_of((key,)), f"{key}: expected a mapping with {' and '.join(_SCORE_BLOCKS)}")
        return found, gain_se
    for block, pair in data.items():
        if block not in _SCORE_BLOCKS:
            where.error(
                where.line_of((key, block)),
                f"unknown key '{key}.{block}'; expected one of {', '.join(_SCORE_BLOCKS)}",
            )
            continue
        allowed = set(keys) | ({"gain_se"} if block == "leave_one_out" else set())
        if not isinstance(pair, dict) or not set(keys) <= set(pair) or not set(pair) <= allowed:
            extra = " (and optionally gain_se)" if block == "leave_one_out" else ""
            where.error(
                where.line_of((key, block)),
                f"{key}.{block}: expected a mapping with exactly {' and '.join(keys)}{extra}",
            )
            continue
        try:
            found[block] = (_number(pair[keys[0]]), _number(pair[keys[1]]))
        except ValueError as exc:
            where.error(where.line_of((key, block)), f"{key}.{block}: {exc}")
        if "gain_se" in pair:
            try:
                gain_se = _number(pair["gain_se"])
                if gain_se < 0:
                    raise ValueError(f"expected a number at least 0, got {pair['gain_se']!r}")
            except ValueError as exc:
                where.error(where.line_of((key, block, "gain_se")), f"{key}.{block}.gain_se: {exc}")
                gain_se = None
    return found, gain_se


def _range(data: dict, key: str, where: Located, value: float | None) -> tuple[float, float] | None:
    """``key: [lo, hi]``, two numbers greater than 0 with lo ≤ hi (``None`` where absent or wrong)."""
    raw = data.get(key)
    if raw is None:
        return None
    expected = f"{key}: expected [low, high], two numbers greater than 0 with low at most high, got {raw!r}"
    if not isinstance(raw, list) or len(raw) != 2:
        where.error(where.line_of((key,)), expected)
        return None
    try:
        lo, hi = (_number(v) for v in raw)
    except ValueError:
        where.error(where.line_of((key,)), expected)
        return None
    if not 0 < lo <= hi:
        where.error(where.line_of((key,)), expected)
        return None
    if key.endswith("searched") and value is not None and not lo <= value <= hi:
        what = "extremize" if key.startswith("extremize") else "temper"
        where.error(
            where.line_of((key,)), f"{key}: {what} {value!r} lies outside the searched range [{lo!r}, {hi!r}]"
        )
    return lo, hi


def load_calibration(data_dir: str | Path) -> Calibration | None:
    """The data folder's ``calibration.yaml``, checked; ``None`` where there is none.

    A file written before intervals, standard errors and searched ranges were recorded (it has
    none of them) still reads, with those fields ``None``.

    Raises
    ------
    CalibrationFileError
        With every problem, each as ``FILE:LINE: message``: a missing or unknown key, a
        ``temper`` or ``extremize`` that is not a number greater than 0, an interval or a
        searched range that is not ``[low, high]`` (or a searched range without its value),
        a ``gain_se`` below 0, a ``forced`` that is not true or false, a ``fitted`` that is
        not a date, or a path that is a folder or a FIFO rather than a file.
    """
    path = calibration_path(data_dir)
    if not path.exists() and not path.is_symlink():
        return None
    where = Located(display_path(path))
    data = read_yaml_mapping(path, where, expected="a mapping with temper: (a number greater than 0)")
    if data is None:
        raise CalibrationFileError(where.problems)
    line = where.line_of
    for key in data:
        if key not in _KEYS:
            where.error(line((key,)), f"unknown key {key!r}; expected one of {', '.join(_KEYS)}")
    temper = extremize = fitted = None
    if "temper" not in data:
        where.error(1, "temper: required field is missing; expected a number greater than 0")
    else:
        try:
            temper = check_temper(data["temper"])
        except ValueError as exc:
            where.error(line(("temper",)), f"temper: {exc}")
    if data.get("extremize") is not None:
        try:
            extremize = check_temper(data["extremize"])
        except ValueError:
            where.error(
                line(("extremize",)),
                f"extremize: expected a number greater than 0 and at most {MAX_TEMPER:g}, "
                f"got {shown_value(data['extremize'])}",
            )
    if data.get("fitted") is not None:
        try:
            fitted = check_file_date(data["fitted"])
        except ValueError as exc:
            where.error(line(("fitted",)), f"fitted: {exc}")
    forced = data.get("forced", False)
    if not isinstance(forced, bool):
        where.error(line(("forced",)), f"forced: expected true or false, got {forced!r}")
        forced = False
    questions = data.get("questions") or []
    if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
        where.error(line(("questions",)), "questions: expected a list of question ids")
        questions = []
    version = data.get("version", "")
    if not isinstance(version, (str, int, float)) or isinstance(version, bool):
        where.error(line(("version",)), f"version: expected text, got {version!r}")
    temper_interval = _range(data, "temper_interval", where, temper)
    searched = _range(data, "searched", where, temper)
    extremize_interval = _range(data, "extremize_interval", where, extremize)
    extremize_searched = _range(data, "extremize_searched", where, extremize)
    for key in ("extremize_interval", "extremize_searched", "extremize_score"):
        if data.get(key) is not None and extremize is None:
            where.error(line((key,)), f"{key}: given without extremize")
    log, log_gain_se = _scores(data.get("log_score"), "log_score", where)
    brier, _ = _scores(data.get("brier_score"), "brier_score", where)
    pool, pool_gain_se = _scores(data.get("extremize_score"), "extremize_score", where, _EXTREMIZE_KEYS)
    if where.has_errors or temper is None:
        raise CalibrationFileError(where.problems)
    return Calibration(
        temper=temper,
        extremize=extremize,
        fitted=fitted,
        questions=tuple(questions),
        log_in_sample=log["in_sample"],
        log_loo=log["leave_one_out"],
        brier_in_sample=brier["in_sample"],
        brier_loo=brier["leave_one_out"],
        version=str(version),
        path=where.path,
        temper_interval=temper_interval,
        searched=searched,
        log_gain_se=log_gain_se,
        extremize_interval=extremize_interval,
        extremize_searched=extremize_searched,
        extremize_in_sample=pool["in_sample"],
        extremize_loo=pool["leave_one_out"],
        extremize_gain_se=pool_gain_se,
        forced=forced,
    )


def apply_calibration(question: Question, calibration: Calibration | None) -> Question:
    """``question`` with the calibration's ``temper`` (and ``extremize``) where its file does not set its own.

    Examples
    --------
    >>> from forecast.model import Calibration
    >>> from forecast.inputs.questions import load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> apply_calibration(q, Calibration(temper=0.5)).temper
    0.5
    """
    if calibration is None:
        return question
    changes: dict[str, Any] = {}
    if "temper" not in question.set_in_file:
        changes["temper"] = calibration.temper
    if calibration.extremize is not None and "extremize" not in question.set_in_file:
        changes["extremize"] = calibration.extremize
    if not changes:
        return question
    return replace(question, calibration=calibration, **changes)


def _pair(pair: tuple[float, float] | None, keys: tuple[str, str], gain_se: float | None = None) -> str:
    if pair is None:
        return "null"
    se = "" if gain_se is None else f", gain_se: {gain_se!r}"
    return f"{{{keys[0]}: {pair[0]!r}, {keys[1]}: {pair[1]!r}{se}}}"


def _list(pair: tuple[float, float]) -> str:
    return f"[{pair[0]!r}, {pair[1]!r}]"


def calibration_yaml(calibration: Calibration) -> str:
    """The text of ``calibration.yaml`` for ``calibration``: what :func:`load_calibration` reads back."""
    c = calibration
    lines = [f"temper: {c.temper!r}"]
    if c.temper_interval is not None:
        lines.append(f"temper_interval: {_list(c.temper_interval)}")
    if c.searched is not None:
        lines.append(f"searched: {_list(c.searched)}")
    if c.extremize is not None:
        lines.append(f"extremize: {c.extremize!r}")
        if c.extremize_interval is not None:
            lines.append(f"extremize_interval: {_list(c.extremize_interval)}")
        if c.extremize_searched is not None:
            lines.append(f"extremize_searched: {_list(c.extremize_searched)}")
    if c.forced:
        lines.append("forced: true")
    if c.fitted is not None:
        lines.append(f"fitted: {c.fitted.isoformat()}")
    lines.append("questions:")
    lines.extend(f'  - "{q}"' for q in c.questions)
    blocks = [
        ("log_score", c.log_in_sample, c.log_loo, _SCORE_KEYS, c.log_gain_se),
        ("brier_score", c.brier_in_sample, c.brier_loo, _SCORE_KEYS, None),
    ]
    if c.extremize is not None:
        blocks.append(
            ("extremize_score", c.extremize_in_sample, c.extremize_loo, _EXTREMIZE_KEYS, c.extremize_gain_se)
        )
    for key, in_sample, loo, keys, gain_se in blocks:
        if in_sample is not None or loo is not None:
            lines.append(f"{key}:")
            if in_sample is not None:
                lines.append(f"  in_sample: {_pair(in_sample, keys)}")
            if loo is not None:
                lines.append(f"  leave_one_out: {_pair(loo, keys, gain_se)}")
    lines.append(f"version: {json.dumps(c.version)}")  # a JSON string is a YAML one, quotes escaped
    return "\n".join(lines) + "\n"


def check_writable(data_dir: str | Path) -> Path:
    """``DATA/calibration.yaml``, where a new one can replace what is there (nothing, or a file).

    Raises
    ------
    CalibrationFileError
        Where it is a folder, a FIFO, a device or a symbolic link loop, which writing would
        fail on (or replace a folder of the user's); nothing is changed.
    """
    path = calibration_path(data_dir)
    try:
        kind = not_regular(os.stat(path).st_mode)
    except FileNotFoundError:  # nothing there, or a link to nothing: the file is written in its place
        return path
    except OSError as exc:
        raise CalibrationFileError(
            [Problem(display_path(path), 0, f"cannot be read ({exc.strerror or exc}); expected a file")]
        ) from None
    if kind is not None:
        raise CalibrationFileError(
            [Problem(display_path(path), 0, f"is {kind}, not a file; move it away to write the calibration")]
        )
    return path


def write_calibration(data_dir: str | Path, calibration: Calibration) -> Path:
    """Write ``DATA/calibration.yaml`` for ``calibration``, atomically; returns its path.

    Raises
    ------
    CalibrationFileError
        As :func:`check_writable`, or where the file cannot be written (the folder is
        read-only, the disk is full); what was there is left as it was.
    """
    path = check_writable(data_dir)
    try:
        atomic_write_text(path, calibration_yaml(calibration))
    except OSError as exc:
        raise CalibrationFileError(
            [Problem(display_path(path), 0, f"cannot be written: {exc.strerror or exc}")]
        ) from None
    return path


def uncalibrated(question: Question) -> Question:
    """``question`` under the rule as stated: temper 1, and the pool's exponent the question's own (or 1).

    Examples
    --------
    >>> from forecast.model import Calibration
    >>> from forecast.inputs.questions import load_question
    >>> q = apply_calibration(load_question("data/questions/russia-syria-bases.yaml"), Calibration(0.5, 2.0))
    >>> (q.temper, q.extremize), (uncalibrated(q).temper, uncalibrated(q).extremize)
    ((0.5, 2.0), (1.0, 1.0))
    """
    changes: dict[str, Any] = {"temper": 1.0, "calibration": None}
    if (
        question.calibration is not None
        and question.calibration.extremize is not None
        and "extremize" not in question.set_in_file
    ):
        changes["extremize"] = 1.0
    return replace(question, **changes)
