"""The news inbox: feeds and article files matched against each open question's indicators.

Nothing here changes a forecast. Candidates wait in ``DATA/inbox/<question>.csv``
until a forecaster accepts one (which appends an evidence row through the path of
``forecast evidence add``) or rejects it.

- :mod:`.sources` reads ``DATA/sources.yaml``;
- :mod:`.fetch` reads feeds and article files, as untrusted input (size caps,
  timeouts, no XML entities);
- :mod:`.match` scores each item against each indicator (docs/forecasters/inbox-matching.md);
- :mod:`.store` keeps the inbox file, written atomically under its lock;
- :mod:`.update` fetches into the inboxes, and accepts or rejects a candidate.
"""

from __future__ import annotations

from .fetch import Item, SourceError, read_article, read_feed
from .match import Candidate, QuestionMatcher, match_items
from .sources import Source, SourcesFileError, load_sources
from .store import INBOX_COLUMNS, InboxError, InboxRow, inbox_path, read_inbox, unreviewed_count
from .update import FetchResult, accept, fetch_inbox, open_questions, reject

__all__ = [
    "INBOX_COLUMNS",
    "Candidate",
    "FetchResult",
    "InboxError",
    "InboxRow",
    "Item",
    "QuestionMatcher",
    "Source",
    "SourceError",
    "SourcesFileError",
    "accept",
    "fetch_inbox",
    "inbox_path",
    "load_sources",
    "match_items",
    "open_questions",
    "read_article",
    "read_feed",
    "read_inbox",
    "reject",
    "unreviewed_count",
]
