"""A data folder's news sources: ``DATA/sources.yaml``.

::

    feeds:                      # RSS 2.0, Atom or RDF, by address or file
      - url: https://example.org/world/rss.xml
        name: Example World     # optional: the source written in the log (default: the feed's title)
        questions: [russia-syria-bases]   # optional: match only against these questions
      - file: feeds/wire.xml    # relative to the data folder
    articles:                   # folders of .html, .htm, .txt and .eml files
      - folder: articles/
        name: Clippings

A file that is not there means no sources (``forecast inbox fetch`` then does
nothing). Every problem is reported as ``FILE:LINE: what was expected``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidInputError, Problem, display_path
from ..inputs.questions import QUESTION_ID
from ..inputs.safe_yaml import Located, read_yaml_mapping

__all__ = ["SOURCES_FILE", "Source", "SourcesFileError", "load_sources", "sources_path"]

SOURCES_FILE = "sources.yaml"
_KINDS = {"feeds": ("url", "file"), "articles": ("folder",)}
_ITEM_KEYS = {"url", "file", "folder", "name", "questions"}


class SourcesFileError(InvalidInputError):
    """``sources.yaml`` is invalid."""


@dataclass(frozen=True, slots=True)
class Source:
    """One feed or folder of articles.

    ``kind`` is ``"feed"`` or ``"articles"``; ``location`` an ``http(s)`` address
    or a path; ``questions`` the questions its items are matched against
    (``None``: every open question).
    """

    kind: str
    location: str
    name: str = ""
    questions: tuple[str, ...] | None = None
    line: int = 0

    @property
    def is_url(self) -> bool:
        return self.location.startswith(("http://", "https://"))


def sources_path(data_dir: str | Path) -> Path:
    """``DATA/sources.yaml``."""
    return Path(data_dir) / SOURCES_FILE


def load_sources(data_dir: str | Path) -> list[Source]:
    """The sources listed in ``DATA/sources.yaml`` (none if the file is not there).

    Parameters
    ----------
    data_dir : str or Path
        The data folder; a relative ``file:`` or ``folder:`` is read from it.

    Returns
    -------
    list of Source
        Feeds first, then folders of articles, each in file order.

    Raises
    ------
    SourcesFileError
        With every problem found, each located as ``FILE:LINE: message``.
    """
    path = sources_path(data_dir)
    if not path.exists() and not path.is_symlink():
        return []
    where = Located(display_path(path))
    data = read_yaml_mapping(path, where, expected="a mapping with feeds: and articles:")
    if data is None:
        raise SourcesFileError(where.problems)
    sources: list[Source] = []
    for key in data:
        if key not in _KINDS:
            where.error(where.line_of((key,)), f"unknown key {key!r}; expected feeds: or articles:")
    for section, places in _KINDS.items():
        entries = data.get(section) or []
        if not isinstance(entries, list):
            where.error(
                where.line_of((section,)), f"{section}: expected a list of entries, each '- {places[0]}: ...'"
            )
            continue
        for k, entry in enumerate(entries):
            source = _source(section, places, entry, (section, k), Path(data_dir), where)
            if source is not None:
                sources.append(source)
    if where.has_errors:
        raise SourcesFileError(where.problems)
    return sources


def _source(
    section: str, places: tuple[str, ...], entry: object, at: tuple, data_dir: Path, where: Located
) -> Source | None:
    line = where.line_of(at)
    if isinstance(entry, str):
        entry = {places[0]: entry}
    if not isinstance(entry, dict):
        where.error(line, f"expected a mapping with {' or '.join(places)}:, got {type(entry).__name__}")
        return None
    for key in entry:
        if key not in _ITEM_KEYS or (key in ("url", "file", "folder") and key not in places):
            where.error(
                where.line_of(at + (key,)),
                f"unknown key {key!r} in {section}; expected {', '.join(places)}, name, questions",
            )
    given = [p for p in places if p in entry]
    if len(given) != 1:
        where.error(line, f"expected exactly one of {', '.join(p + ':' for p in places)}")
        return None
    value = entry[given[0]]
    if not isinstance(value, str) or not value.strip():
        where.error(where.line_of(at + (given[0],)), f"{given[0]}: expected text, got {value!r}")
        return None
    value = value.strip()
    if given[0] == "url" and not value.startswith(("http://", "https://")):
        where.error(
            where.line_of(at + ("url",)),
            f"url: expected an http:// or https:// address, got {value!r}; use file: for a file",
        )
        return None
    if given[0] != "url":
        value = str(data_dir / value) if not Path(value).is_absolute() else value
    name = entry.get("name", "")
    if not isinstance(name, str):
        where.error(where.line_of(at + ("name",)), f"name: expected text, got {name!r}")
        return None
    questions = entry.get("questions")
    if questions is not None:
        if isinstance(questions, str):
            questions = [questions]
        bad = not isinstance(questions, list) or not all(
            isinstance(q, str) and QUESTION_ID.match(q) for q in questions
        )
        if bad:
            where.error(where.line_of(at + ("questions",)), "questions: expected a list of question ids")
            return None
        questions = tuple(questions)
    kind = "feed" if section == "feeds" else "articles"
    return Source(kind, value, name.strip(), questions, line)


def problem(location: str, message: str) -> Problem:
    """A problem with one source as a whole, named by its address or path."""
    return Problem(location, 0, message)
