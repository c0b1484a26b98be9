"""YAML read safely, each value with its line.

PyYAML's safe loader (libyaml's where installed), after a scan that refuses
aliases and deep nesting, so neither an object-constructing tag nor an alias
bomb can do harm. Plain values are read by the YAML 1.2 core schema, so ``Yes``,
``No`` and ``On`` stay text, and the source text of a number or boolean is kept
for fields that are text. Only regular files are read (never a FIFO or a
device), up to a size limit. :class:`Located` collects a file's problems.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem

__all__ = [
    "MAX_FILE_BYTES",
    "Located",
    "decode_utf8",
    "is_missing",
    "not_regular",
    "read_regular_file",
    "read_yaml_mapping",
]


#: Files larger than this are refused before they are parsed.
MAX_FILE_BYTES = 1 << 20


_MAX_YAML_DEPTH = 20


class _PySafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that dates stay strings so that we check them."""


class SafeLoader(getattr(yaml, "CSafeLoader", _PySafeLoader)):
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


_PySafeLoader.yaml_implicit_resolvers = SafeLoader.yaml_implicit_resolvers = _core_schema_resolvers()
for _loader in {_PySafeLoader, SafeLoader}:
    _loader.add_constructor("tag:yaml.org,2002:int", _construct_core_int)


def _yaml_error(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """Line and message of a YAML error, worded by the pure-Python parser where it can."""
    if SafeLoader is not _PySafeLoader and isinstance(
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
        for event in yaml.parse(text, Loader=SafeLoader):
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


def _node_to_data(node: yaml.Node, path: tuple, where: Located, constructor: SafeLoader) -> Any:
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


def not_regular(mode: int) -> str | None:
    """What a file of this ``st_mode`` is, where it is not a regular file ("a folder", ...); else ``None``."""
    return next((kind for is_kind, kind in _NOT_REGULAR if is_kind(mode)), None)


def is_missing(path: str | Path) -> bool:
    """Is there nothing at ``path`` (a link to nothing included)?

    Unlike ``Path.exists()``, a symbolic link that loops is something: its reader then says
    that it cannot be read, rather than taking it for a file not yet written.
    """
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError:  # a loop, a folder that cannot be searched: there, and its reader says why not
        return False
    return False


def _cannot_read(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link that loops (or one of too many levels); expected a file"
    return f"cannot read the file: {exc.strerror or exc}"


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
        where.error(0, _cannot_read(exc))
        return None
    try:
        kind = not_regular(os.fstat(fd).st_mode)
        if kind is not None:
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


def decode_utf8(raw: bytes, where: Located) -> str | None:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        where.error(line, f"byte 0x{raw[exc.start]:02x} is not UTF-8; save the file as UTF-8")
        return None


def read_yaml_mapping(
    path: Path,
    where: Located,
    expected: str = "a mapping with id, title, question, scenarios, ...",
) -> dict | None:
    """The file's top-level mapping as plain data, each value's line recorded in ``where``.

    Also reads judgment files (:mod:`forecast.inputs.judgments`); ``expected`` says what
    an empty file should have held.
    """
    raw = read_regular_file(path, MAX_FILE_BYTES, where)
    if raw is None:
        return None
    text = decode_utf8(raw, where)
    if text is None or not _scan_yaml(text, where):
        return None
    try:
        node = yaml.compose(text, Loader=SafeLoader)
        if node is None:
            where.error(1, f"file is empty; expected {expected}")
            return None
        if not isinstance(node, yaml.MappingNode):
            kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
            where.error(node.start_mark.line + 1, f"expected a mapping (key: value) at the top, found {kind}")
            return None
        return _node_to_data(node, (), where, SafeLoader(""))
    except yaml.YAMLError as exc:
        where.error(*_yaml_error(exc, text))
        return None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        where.error(0, f"cannot read a value: {exc}")
        return None
