"""Reading feeds and article files into :class:`Item` objects, treating everything read as untrusted.

- Feeds (RSS 2.0, Atom, RDF) are parsed by feedparser, after defusedxml has
  refused any that declares XML entities (the "billion laughs" and its kin);
- article text is extracted from HTML by trafilatura, from e-mail by the
  standard library's ``email`` package;
- every read is capped in size (:data:`MAX_FEED_BYTES`, :data:`MAX_ARTICLE_BYTES`),
  and fetching an address has a timeout.

A source that cannot be read raises :class:`SourceError`, a one-line message
naming it; the caller goes on with the other sources.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

from ..errors import ForecastError, display_path

__all__ = [
    "ARTICLE_SUFFIXES",
    "MAX_ARTICLE_BYTES",
    "MAX_FEED_BYTES",
    "MAX_ITEMS_PER_FEED",
    "MAX_SENTENCES",
    "TIMEOUT_SECONDS",
    "Item",
    "SourceError",
    "read_article",
    "read_articles",
    "read_bytes",
    "read_feed",
    "sentences",
]

#: A feed larger than this is refused (a news feed is a few hundred kilobytes).
MAX_FEED_BYTES = 10_000_000
#: An article file larger than this is refused.
MAX_ARTICLE_BYTES = 5_000_000
#: Items read from one feed at most (the first, in the feed's order).
MAX_ITEMS_PER_FEED = 2_000
#: Sentences of an article's body matched at most (the first ones).
MAX_SENTENCES = 400
#: Seconds to wait for an address to answer, and between its bytes.
TIMEOUT_SECONDS = 20.0
ARTICLE_SUFFIXES = (".html", ".htm", ".txt", ".eml")
#: Any entity declaration, however the document is formed (feedparser falls back to a lenient parser).
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")
_SPACES = re.compile(r"\s+")


class SourceError(ForecastError):
    """A feed, address or article file that cannot be read; the message names it."""


@dataclass(frozen=True, slots=True)
class Item:
    """One news item: a feed entry or an article file.

    ``url`` is the item's address (an article file's ``file:`` URI); ``source`` the
    feed's or site's name; ``body`` the article's sentences (empty for a feed entry,
    whose text is its ``title`` and ``description``).
    """

    url: str
    title: str
    description: str = ""
    body: tuple[str, ...] = ()
    published: date | None = None
    source: str = ""

    @property
    def digest(self) -> str:
        """A digest of the item's text (title, description, body), to know it again under another address."""
        text = "\n".join((self.title, self.description, *self.body))
        normal = _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()
        return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:16]


def read_bytes(location: str, limit: int, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The bytes at an ``http(s)`` address or in a file, at most ``limit`` of them.

    Raises
    ------
    SourceError
        The address did not answer in ``timeout`` seconds or answered with an error,
        the file cannot be read, or either holds more than ``limit`` bytes.
    """
    if location.startswith(("http://", "https://")):
        request = urllib.request.Request(location, headers={"User-Agent": "forecast-inbox"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                raw = answer.read(limit + 1)
        except urllib.error.HTTPError as exc:
            raise SourceError(f"{location}: the server answered {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                reason = f"no answer within {timeout:g} s"
            raise SourceError(f"{location}: cannot fetch: {reason}") from None
    else:
        path = Path(location.removeprefix("file://")) if location.startswith("file://") else Path(location)
        shown = display_path(path)
        if not path.is_file():
            raise SourceError(f"{shown}: no such file")
        try:
            with path.open("rb") as handle:
                raw = handle.read(limit + 1)
        except OSError as exc:
            raise SourceError(f"{shown}: cannot read: {exc.strerror or exc}") from None
        location = shown
    if len(raw) > limit:
        raise SourceError(f"{location}: larger than {limit:,} bytes, the limit; not read")
    return raw


def _refuse_entities(raw: bytes, location: str) -> None:
    """Refuse a document that declares XML entities, before any parser can expand them."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    refused = f"{location}: refused: the feed declares XML entities (entity expansion is not allowed)"
    try:
        fromstring(raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise SourceError(refused) from None
    except (ParseError, ValueError):
        pass  # not well-formed: feedparser reads it leniently, but no declaration may pass that way either
    if _ENTITY_DECLARATION.search(raw):
        raise SourceError(refused)


def read_feed(location: str, *, name: str = "", timeout: float = TIMEOUT_SECONDS) -> list[Item]:
    """The items of an RSS 2.0, Atom or RDF feed, by address or file.

    Parameters
    ----------
    location : str
        An ``http(s)`` address, a ``file:`` URI or a path.
    name : str
        The source's name; by default the feed's own title.
    timeout : float
        Seconds to wait for an address.

    Raises
    ------
    SourceError
        The feed cannot be read, is too large, declares XML entities or is not a feed.
    """
    import feedparser

    raw = read_bytes(location, MAX_FEED_BYTES, timeout)
    shown = location if location.startswith(("http://", "https://")) else display_path(location)
    _refuse_entities(raw, shown)
    parsed = feedparser.parse(raw, sanitize_html=True, resolve_relative_uris=False)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        why = getattr(parsed, "bozo_exception", None) or "no RSS, Atom or RDF items"
        raise SourceError(f"{shown}: not a readable feed ({_one_line(str(why))})")
    source = name or _text(parsed.feed.get("title", "")) or shown
    items = []
    for entry in parsed.entries[:MAX_ITEMS_PER_FEED]:
        title = _text(entry.get("title", ""))
        description = _text(entry.get("summary", "") or entry.get("description", ""))
        if not (title or description):
            continue
        moment = entry.get("published_parsed") or entry.get("updated_parsed")
        published = date(*moment[:3]) if moment else None
        items.append(Item(entry.get("link", "") or "", title, description, (), published, source))
    return items


def read_article(path: str | Path, *, name: str = "") -> Item:
    """One article file (``.html``, ``.htm``, ``.txt`` or ``.eml``) as an item.

    HTML is reduced to its main text by trafilatura (its title, date and site name
    too); a text file's first line is its title; an e-mail's subject is its title
    and its plain-text part (or HTML part) its body, its sender's name its source. The
    item's ``url`` is the file's ``file:`` URI.

    Raises
    ------
    SourceError
        The file cannot be read, is too large or holds no text.
    """
    path = Path(path)
    shown = display_path(path)
    raw = read_bytes(str(path), MAX_ARTICLE_BYTES)
    suffix = path.suffix.lower()
    url, published, site = path.resolve().as_uri(), None, ""
    if suffix in (".html", ".htm"):
        title, text, published, site = _html_article(raw)
    elif suffix == ".eml":
        message = BytesParser(policy=policy.default).parsebytes(raw)
        title = _one_line(str(message.get("subject", "") or ""))
        name_, address = parseaddr(str(message.get("from", "") or ""))
        site = _one_line(name_ or address)
        part = message.get_body(preferencelist=("plain", "html"))
        content = "" if part is None else part.get_content()
        text = (
            _html_article(content.encode("utf-8"))[1]
            if part is not None and part.get_content_subtype() == "html"
            else content
        )
        try:
            published = (
                parsedate_to_datetime(str(message["date"])).astimezone(UTC).date()
                if message["date"]
                else None
            )
        except (TypeError, ValueError):
            published = None
    elif suffix == ".txt":
        text = raw.decode("utf-8", errors="replace")
        lines = [line.strip() for line in text.splitlines()]
        first = next((k for k, line in enumerate(lines) if line), None)
        title = "" if first is None else lines[first]
        text = "\n".join(lines[first + 1 :]) if first is not None else ""
    else:
        raise SourceError(f"{shown}: not an article file (expected {', '.join(ARTICLE_SUFFIXES)})")
    body = tuple(sentences(text))[:MAX_SENTENCES]
    if not (title or body):
        raise SourceError(f"{shown}: no text found")
    return Item(url, _one_line(title), "", body, published, name or site or path.parent.name)


def read_articles(folder: str | Path, *, name: str = "") -> tuple[list[Item], list[str]]:
    """The article files of a folder (not its subfolders), in name order, and a message per file not read."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError(f"{display_path(folder)}: no such folder")
    items, problems = [], []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in ARTICLE_SUFFIXES or not path.is_file():
            continue
        try:
            items.append(read_article(path, name=name))
        except SourceError as exc:
            problems.append(str(exc))
    return items, problems


def _html_article(raw: bytes) -> tuple[str, str, date | None, str]:
    """(title, main text, date, site name) of an HTML page, by trafilatura."""
    import trafilatura

    document = trafilatura.bare_extraction(
        raw.decode("utf-8", errors="replace"), with_metadata=True, include_comments=False, favor_recall=True
    )
    if document is None:
        return "", "", None, ""
    found = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    when = None
    if found.get("date"):
        try:
            when = date.fromisoformat(str(found["date"])[:10])
        except ValueError:
            when = None
    return str(found.get("title") or ""), str(found.get("text") or ""), when, str(found.get("sitename") or "")


def sentences(text: str) -> Iterable[str]:
    """The sentences of ``text``: split at line breaks and after ``.``, ``!`` or ``?`` before a capital.

    Examples
    --------
    >>> list(sentences("Russia is pulling back. Tartus stays.\\nA new line"))
    ['Russia is pulling back.', 'Tartus stays.', 'A new line']
    """
    for paragraph in text.splitlines():
        for sentence in _SENTENCE_END.split(paragraph.strip()):
            sentence = _SPACES.sub(" ", sentence).strip()
            if sentence:
                yield sentence


def _text(html: str) -> str:
    """The text of a feed field (feedparser has sanitized its HTML), on one line."""
    if "<" not in html and "&" not in html:
        return _one_line(html)
    import lxml.html

    try:
        return _one_line(lxml.html.fragment_fromstring(html, create_parent="div").text_content())
    except (ValueError, lxml.etree.ParserError):
        return _one_line(html)


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
