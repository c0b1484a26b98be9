"""mkdocs hooks for this site (mkdocs.yml ``hooks:``); not a page.

The docstrings name other objects with Sphinx roles (``:func:`forecast.trajectory```), which
mkdocstrings leaves as text: show each as the code it names, shortened after a ``~`` as Sphinx does.
"""

from __future__ import annotations

import re

ROLE = re.compile(r":(?:class|func|meth|attr|mod|data|exc|obj):<code>(~?)([^<]+)</code>")


def _code(match: re.Match[str]) -> str:
    short, name = match.groups()
    return f"<code>{name.rsplit('.', 1)[-1] if short else name}</code>"


def on_page_content(html: str, **kwargs) -> str:
    return ROLE.sub(_code, html)
