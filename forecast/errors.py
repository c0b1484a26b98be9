"""The error hierarchy, and the located problems that input errors carry.

Every error the suite raises on purpose derives from :class:`ForecastError`, so a
caller can catch one thing or many. Input errors carry :class:`Problem` objects
that print as ``FILE:LINE: message``.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ArgumentError",
    "CalibrationFileError",
    "EvidenceFileError",
    "EvidenceWriteError",
    "ForecastError",
    "InvalidInputError",
    "JudgmentFileError",
    "LinkInOut",
    "LockTimeoutError",
    "OutputFolderError",
    "OutsideForecastFileError",
    "Problem",
    "QuestionFileError",
    "RunError",
    "display_path",
    "not_a_name",
    "printable_name",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem in an input file.

    Parameters
    ----------
    path : str
        The file, as the user named it.
    line : int
        1-based line number; 0 when the problem concerns the whole file.
    message : str
        What was found and what was expected, for a person.
    severity : {"error", "warning"}
        Errors stop a question from being used; warnings do not.
    """

    path: str
    line: int
    message: str
    severity: str = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        mark = "warning: " if self.severity == "warning" else ""
        return f"{where}: {mark}{self.message}"


class ForecastError(Exception):
    """Base class of every error raised by ``forecast``."""


class InvalidInputError(ForecastError, ValueError):
    """An input file (question or evidence log) is not valid.

    Attributes
    ----------
    problems : tuple of Problem
        Every problem found, errors and warnings, in file order.
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        errors = self.errors
        first = str(errors[0]) if errors else "invalid input"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.is_error)


class QuestionFileError(InvalidInputError):
    """A question file (``questions/<id>.yaml``) is not valid."""


class EvidenceFileError(InvalidInputError):
    """An evidence log (``evidence/<id>.csv``) is not valid."""


class EvidenceWriteError(ForecastError):
    """An evidence log could not be locked or written (the log is left as it was)."""


class JudgmentFileError(InvalidInputError):
    """An analyst's judgment file (``judgments/<id>/<analyst>.yaml``) is not valid."""


class OutsideForecastFileError(InvalidInputError):
    """An outside-forecast log (``forecasts/<id>.csv``) is not valid."""


class CalibrationFileError(InvalidInputError):
    """A data folder's ``calibration.yaml`` is not valid."""


class ArgumentError(ForecastError, ValueError):
    """An argument given to a public function is not valid (a ``ValueError`` too)."""


class OutputFolderError(ForecastError, FileNotFoundError):
    """An output folder (OUT) to read does not exist or is not a folder (a ``FileNotFoundError`` too)."""


class RunError(ForecastError):
    """A scheduled run could not do its work (locked, unwritable output, ...)."""


class LockTimeoutError(RunError):
    """Another run holds the lock on the output folder for too long."""


class LinkInOut(RunError, OSError):
    """A symbolic link in OUT where forecast keeps a file or folder of its own: it is left alone.

    forecast never follows a link found inside OUT to delete or write (see
    :func:`forecast.store.refuse_links`). An ``OSError`` too, so that what reports a
    write that failed reports this one; its text is ``<path>: a symbolic link, left alone``.
    """

    def __init__(self, path: str | Path) -> None:
        OSError.__init__(self, errno.ELOOP, f"{path}: a symbolic link, left alone", str(path))

    def __str__(self) -> str:
        return str(self.strerror)


def display_path(path: str | Path) -> str:
    """The path as a user would recognise it: relative to the working directory when inside it."""
    p = Path(path)
    try:
        return printable_name(str(p.resolve().relative_to(Path.cwd().resolve())))
    except ValueError:
        return printable_name(str(p))
    except (RuntimeError, OSError):  # a symbolic link that loops (Python 3.11 raises RuntimeError)
        try:
            return printable_name(os.path.relpath(os.path.abspath(p)))
        except (OSError, ValueError):
            return printable_name(str(p))


def printable_name(name: str) -> str:
    """``name`` with each byte that is not UTF-8 shown escaped, as ``\\xe9``.

    Python reads such a byte of a file name as a lone surrogate, which no page,
    JSON file or terminal can write; the escaped form names the file exactly.

    Examples
    --------
    >>> printable_name("caf\\udce9.yaml")
    'caf\\\\xe9.yaml'
    """
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no byte decodes to
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def not_a_name(stem: str, what: str) -> str:
    """What is wrong with a file name ``stem`` that is not ``what``: not UTF-8 is said apart, bytes escaped."""
    if printable_name(stem) != stem:
        return (
            f"file name '{printable_name(stem)}' is not UTF-8 (its bytes shown escaped); rename it to {what}"
        )
    return f"file name {stem!r} is not {what}"
