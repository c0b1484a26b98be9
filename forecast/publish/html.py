"""HTML fragments from the package's Jinja templates, escaped by default.

Every template is rendered with autoescaping on, so any text that came from a
question file or an evidence log is shown as text, never as markup; only
``http`` and ``https`` addresses become links. This module imports nothing
heavier than Jinja, so pages can be written without loading the engine.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..words import grade_words, percent, probability_words

__all__ = [
    "OUTSIDE_CSV",
    "Html",
    "page_html",
    "points_added",
    "render_template",
    "safe_url",
    "sentence",
    "shown_text",
]

#: Every outside forecast as of a report's date, written beside its page (the page shows the newest).
OUTSIDE_CSV = "outside_forecasts.csv"

_TEMPLATES = Path(__file__).parent / "templates"
_WEB_URL = re.compile(r"^https?://[^\s<>\"'`]+$", re.IGNORECASE)


class Html(str):
    """A fragment of HTML that notebooks display as HTML."""

    def _repr_html_(self) -> str:
        return str(self)

    def __html__(self) -> str:  # Jinja and MarkupSafe: already escaped, insert as is
        return str(self)


def safe_url(url: str) -> str | None:
    """``url`` if it is an http(s) address that may become a link, else ``None``."""
    return url if url and _WEB_URL.match(url) else None


def points_added(x: float) -> str:
    """A contribution in points as a reviewer says it: ``"added 10.0 points to"``, ``"took 1.3 points from"``."""
    size = abs(round(x, 1))
    unit = "point" if size == 1 else "points"
    return f"added {size:.1f} {unit} to" if x >= 0 else f"took {size:.1f} {unit} from"


def grade_abbr(grade: str) -> Markup:
    """An Admiralty grade as ``<abbr title="B2: usually reliable, probably true">B2</abbr>``."""
    return Markup('<abbr class="grade" title="{}">{}</abbr>').format(grade_words(grade), grade)


def dependence_words(rho: float) -> str:
    """A dependence group's rho as a reviewer says it: how much its other members count beside the strongest.

    Examples
    --------
    >>> dependence_words(1.0), dependence_words(0.0), dependence_words(0.4)
    ('fully dependent: counted once, as its strongest member', 'independent: each member counts in full', 'partly dependent: beside the strongest, the others count at 60% of their weight')
    """
    if rho >= 1:
        return "fully dependent: counted once, as its strongest member"
    if rho <= 0:
        return "independent: each member counts in full"
    return (
        f"partly dependent: beside the strongest, the others count at {(1 - rho) * 100:.0f}% of their weight"
    )


def sentence(text: str) -> str:
    """``text`` ending in one full stop (or its own ``!`` or ``?``), never two."""
    text = text.rstrip()
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def shown_text(text: str) -> str:
    """Text as the analyst wrote it: without the quote (') that guards a formula in a spreadsheet.

    ``evidence add`` writes ``=HYPERLINK(...)`` as ``'=HYPERLINK(...)`` so that a spreadsheet
    shows it as text; a page shows it as written (escaped, so still inert), and CSV files keep
    the quote.

    Examples
    --------
    >>> shown_text("'=HYPERLINK(1)")
    '=HYPERLINK(1)'
    >>> shown_text("'tis so")
    "'tis so"
    """
    from ..inputs.evidence import FORMULA_PREFIXES

    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_PREFIXES and text[1:2] else text


def _listed(items: list[str], limit: int = 20) -> str:
    """The first ``limit`` items, joined, and how many more there are: a list that stays short."""
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} and {len(items) - limit:,} more"


@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = percent
    env.filters["grade"] = grade_abbr
    env.filters["dependence_words"] = dependence_words
    env.filters["points"] = lambda x: "0" if round(x, 1) == 0 else f"{x:+.1f}"
    env.filters["points_added"] = points_added
    env.filters["sentence"] = sentence
    env.filters["words"] = probability_words
    env.filters["safe_url"] = safe_url
    env.filters["listed"] = _listed
    env.filters["shown_text"] = shown_text
    return env


def render_template(name: str, **context: Any) -> Html:
    """Render one of the package's templates with autoescaping."""
    return Html(_environment().get_template(name).render(**context))


def page_html(title: str, body: str, nav: list[tuple[str, str]], footer: str) -> str:
    """A whole page for reviewers: ``body`` (HTML) under a navigation bar of ``(href, text)`` links.

    A lone surrogate (JSON can spell one, ``"\\ud800"``, in a file someone put in OUT) is
    written as "?": the page is always valid UTF-8.
    """
    page = render_template("page.html.j2", title=title, body=Html(body), nav=nav, footer=footer)
    return page.encode("utf-8", "replace").decode("utf-8")
