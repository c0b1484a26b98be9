"""Web pages for reviewers: a rendered report per executed notebook, and the index.

Reports are rendered with nbconvert's ``basic`` template with every input cell
and prompt excluded, and wrapped in a self-contained page: no scripts, no
external resources, and a Content-Security-Policy that forbids both, so nothing
a report shows can run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..analysis.changes import compare_summaries
from ..catalog import Catalog, mark_checked, read_catalog, refresh_catalog
from ..errors import printable_name
from ..inputs.questions import QUESTION_ID
from ..store import (
    EVIDENCE_CSV,
    RESERVED_NAMES,
    SCORECARD_DIR,
    LinkInOut,
    ReportEntry,
    atomic_write_text,
    failed_dir,
    is_own_file,
    report_dir,
)
from .history import HISTORY_PAGE, history_page
from .html import OUTSIDE_CSV, page_html, render_template
from .summary import Summary, current_report, read_summary

__all__ = [
    "FORECASTER_ONLY",
    "ONLY_WITH_OUTPUT",
    "Failure",
    "index_page",
    "question_folders",
    "refresh_catalogs",
    "render_notebook",
    "write_index",
]

#: Notebook cells with this tag are left out of the rendered report.
FORECASTER_ONLY = "forecaster-only"
#: Notebook cells with this tag are left out of the rendered report when they display nothing
#: (the team sections of a question without analysts), so that its page is as it was without them.
ONLY_WITH_OUTPUT = "only-with-output"


def render_notebook(
    notebook: str | Path,
    html_path: str | Path,
    *,
    title: str,
    index_href: str,
    numbers: str = "summary.json",
    history_href: str | None = None,
) -> None:
    """Render an executed notebook to a standalone HTML page with the code hidden.

    Parameters
    ----------
    notebook : str or Path
        The executed ``report.ipynb``.
    html_path : str or Path
        Where to write the page (atomically).
    title : str
        The page title.
    index_href : str
        Relative link back to the index page.
    numbers : str
        The name of the JSON file of numbers written beside the page.
    history_href : str, optional
        Relative link to the question's page of every report (``OUT/<question>/history.html``).
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="basic",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )
    # Cells tagged for forecasters (how to use the notebook) are not for reviewers.
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={FORECASTER_ONLY}, enabled=True), True
    )
    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells = [c for c in nb.cells if c.get("outputs") or ONLY_WITH_OUTPUT not in c.metadata.get("tags", [])]
    # Numbered once the empty team cells are gone, so that a page without them is as it was.
    _number_cells(nb)
    body, _ = exporter.from_notebook_node(nb)
    footer = f"Rendered by forecast {__version__} from the executed notebook beside this page."
    nav = [(index_href, "All questions")]
    if history_href:
        nav.append((history_href, "Every report of this question"))
    nav += [
        ("report.ipynb", "Executed notebook"),
        (numbers, "Numbers (JSON)"),
    ]
    if Path(html_path).with_name(EVIDENCE_CSV).is_file():
        nav.append((EVIDENCE_CSV, "All evidence (CSV)"))
    if Path(html_path).with_name(OUTSIDE_CSV).is_file():
        nav.append((OUTSIDE_CSV, "All outside forecasts (CSV)"))
    atomic_write_text(html_path, page_html(title, body, nav, footer))


def _number_cells(nb) -> None:
    """Give every cell the id ``cell-<position>``, so the same notebook renders the same bytes.

    papermill gives the cell of injected parameters a random id, and nbconvert
    writes each cell's id into the page: without this, every run's page differs.
    """
    for position, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{position}"


@dataclass(frozen=True, slots=True)
class Failure:
    """A question that did not produce its report in a run."""

    question: str
    reason: str
    as_of: str = ""
    has_notebook: bool = False


def _question_card(
    out_dir: Path, question_id: str, catalog: Catalog, mark: bool, trust: bool = True
) -> dict[str, Any] | None:
    latest = _current(out_dir, question_id, catalog, mark, trust)
    if latest is None:
        return None
    dates = catalog.dates()  # after reading: a report found unreadable on the way is not linked
    before = None
    for as_of in (d for d in reversed(dates) if d < latest.as_of):
        entry = catalog.fresh(as_of)  # its summary's stamp checked: a summary edited since is read again
        if entry is not None:
            before = ReportEntry(as_of, report_dir(out_dir, question_id, as_of), entry)
            break
    s = latest.summary  # a Summary: the schema holds, and a summary of version 0 has its gaps filled
    probabilities = dict(s.probabilities)
    leading = s.leading
    names = s.scenario_names
    labels = {**names, **s.scenario_labels}
    # The question file's order, as in the report; older summaries without it list by probability.
    order = [i for i in s.scenario_order if i in probabilities]
    if len(order) != len(probabilities):
        order = sorted(probabilities, key=lambda k: -probabilities[k])
    analysts = s.analysts or {}
    move = _move_by_date(latest, before)
    # The newest few: the front page's cost and size stay bounded whatever the history.
    others = [d for d in reversed(dates) if d != latest.as_of]
    linked = others[:HISTORY_LINKS]
    return {
        "id": question_id,
        "title": s.title or question_id,
        "as_of": latest.as_of.isoformat(),
        "href": f"{question_id}/{latest.as_of.isoformat()}/report.html",
        "probabilities": probabilities,
        "ranked": [(k, probabilities[k]) for k in order],
        "leading": leading,
        "leading_name": s.leading_name or names.get(leading, leading),
        "leading_words": s.leading_words,
        "names": labels,
        "moves": move["moves"],
        "alerts": move["alerts"],
        "threshold": s.alert_threshold,
        "tripwires": list(s.tripwires_fired),
        "resolved": s.score is not None,
        "resolution": s.resolution,
        "score": s.score,
        "compared_with": move["compared_with"],
        "replaced": move["replaced"],
        "outdated": move["outdated"],
        "analysts": sorted(analysts),
        "spread": _spread(analysts, probabilities),
        "stale": s.stale,
        "latest_report": s.latest_report_date or "",
        "evidence_age": s.evidence_age_days,
        "closed_unresolved": s.closed_unresolved,
        "inbox_unreviewed": s.inbox_unreviewed,
        "closes": s.closes,
        "history": [
            {"as_of": d.isoformat(), "href": f"{question_id}/{d.isoformat()}/report.html"} for d in linked
        ],
        "more_reports": len(others) - len(linked),
        "history_href": f"{question_id}/{HISTORY_PAGE}"
        if is_own_file(out_dir / question_id / HISTORY_PAGE)
        else None,
    }


def _current(
    out_dir: Path, question_id: str, catalog: Catalog, mark: bool, trust: bool
) -> ReportEntry | None:
    """The question's current report, read in full, its summary checked against the schema once.

    A summary that the catalog marks checked, with the entry's stamp before and after
    it is read, is not checked again (unless ``trust`` is false). One checked here is
    marked so in the catalog when ``mark`` (see :func:`forecast.catalog.mark_checked`),
    so the next index skips it.
    """

    def read(path: Path) -> Summary | None:
        entry = catalog.fresh(date.fromisoformat(path.parent.name))
        if entry is None:
            return None
        if entry.checked and trust:
            summary = read_summary(path, schema_checked=True)
            if summary is not None and catalog.fresh(entry.as_of) == entry:
                return summary
        summary = read_summary(path)
        if summary is not None and mark:
            mark_checked(out_dir, entry, question_id)
        return summary

    return current_report(out_dir, question_id, dates=catalog.dates(), read=read)


def _card_of(
    out_dir: Path, question_id: str, catalog: Catalog, mark: bool, notes: list[str] | None = None
) -> dict[str, Any] | None:
    """The question's card, made and shown once on its own; ``None`` (said in ``notes``) if it cannot be.

    A catalog's line is checked against tampering by accident, not by design: anyone who
    can write OUT can write a line marked checked. So a card that cannot be made, sorted
    or shown from a summary read that way is made again with every summary checked
    against its schema; a card that still cannot be shown is left out, with a note.
    """
    for trust in (True, False):
        try:
            card = _question_card(out_dir, question_id, catalog, mark, trust)
            if card is not None:
                _card_order(card)
                render_template("index.html.j2", questions=[card], failures=[], generated="", extra_links=[])
            return card
        except Exception as exc:  # whatever a summary in OUT holds: never a traceback, the index is written
            problem = exc
    if notes is not None:
        notes.append(f"{question_id}: left off the index: its report cannot be shown ({_said(problem)})")
    return None


def _card_order(card: dict[str, Any]) -> tuple[bool, bool, str]:
    """Alerts first, then open questions before resolved ones, each group by title."""
    return (not card["alerts"], card["resolved"], card["title"].casefold())


def _said(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return printable_name(f"{type(exc).__name__}: {text[0] if text else ''}".strip())


#: How many of a question's other reports its index card links to, newest first.
HISTORY_LINKS = 10


def _move_by_date(latest: Any, before: Any) -> dict[str, Any]:
    """The card's move: the latest report against the report just before it by date, worked out now.

    A report's own ``moves`` were computed when it was made, against whatever report
    came before it then; a report of an earlier date added afterwards (a backfill)
    is not in them. So the card compares the two summaries itself, and raises the
    alert on the same threshold. Only when no report is dated before the latest does
    the card keep the report's own comparison (with the report of the same date it
    replaced). ``outdated`` is the date the report's own comparison should have been
    made with, when it was made with another (or none): the report page then says
    something the card does not, until the report is run again.
    """
    s = latest.summary
    own_previous = s.changes.previous_as_of if s.changes else None
    resolved = s.score is not None
    if before is None:
        return {
            "moves": s.moves,
            "alerts": [] if resolved else list(s.alerts),
            "compared_with": own_previous,
            "replaced": bool(s.changes and s.changes.previous_replaced),
            "outdated": None,
        }
    changes = compare_summaries(
        {"probabilities": s.probabilities},
        {"probabilities": dict(before.summary.probabilities)},
        threshold_points=s.alert_threshold,
    )
    return {
        "moves": dict(changes.moves),
        # A settled question raises no alert: its forecast no longer moves on evidence.
        "alerts": [] if resolved else list(changes.alerting),
        "compared_with": before.as_of.isoformat(),
        "replaced": False,
        "outdated": None if own_previous == before.as_of.isoformat() else before.as_of.isoformat(),
    }


def _spread(analysts: dict[str, Any], probabilities: dict[str, float]) -> dict[str, float] | None:
    """Per scenario, the highest analyst's probability minus the lowest, in points (``None``: no analysts)."""
    forecasts = [a for a in analysts.values() if isinstance(a, dict)]
    if not forecasts:
        return None
    spread = {}
    for s in probabilities:
        values = [float(a[s]) for a in forecasts if isinstance(a.get(s), (int, float))]
        spread[s] = (max(values) - min(values)) * 100 if values else 0.0
    return spread


def index_page(
    out_dir: str | Path,
    failures: list[Failure] = (),
    generated: datetime | None = None,
    extra_links: list[dict[str, str]] = (),
    catalogs: Mapping[str, Catalog] | None = None,
    notes: list[str] | None = None,
) -> str:
    """The HTML of ``OUT/index.html``: every question's latest report, alerts and failures first.

    Each question's reports are found in its catalog: ``catalogs`` (by question id,
    as :func:`refresh_catalogs` gives them), or else each read here, by its folder's
    listing, without writing anything. A question whose report cannot be shown is
    left off, and said in ``notes`` (``"<question>: <what>"``) when a list is given.
    """
    out_dir = Path(out_dir)
    mark = catalogs is not None  # a run's index notes in each catalog which summaries it checked
    if catalogs is None:
        catalogs = {q: read_catalog(out_dir, q, stamps=False) for q in question_folders(out_dir)}
    made = (_card_of(out_dir, q, catalogs[q], mark, notes) for q in sorted(catalogs))
    cards = sorted((c for c in made if c is not None), key=_card_order)
    extra_links = list(extra_links)
    if (out_dir / SCORECARD_DIR / "report.html").is_file():
        extra_links.append(
            {
                "href": f"{SCORECARD_DIR}/report.html",
                "text": "Scorecard: how well resolved questions were forecast",
            }
        )
    failed = [
        {
            "question": f.question,
            "reason": f.reason,
            "notebook_href": f"{f.question}/failed/{f.as_of}/report.ipynb"
            if f.has_notebook and (failed_dir(out_dir, f.question, f.as_of) / "report.ipynb").exists()
            else None,
        }
        for f in failures
    ]
    stamp = generated.strftime("%Y-%m-%d %H:%M UTC") if generated else ""
    body = render_template(
        "index.html.j2", questions=cards, failures=failed, generated=stamp, extra_links=extra_links
    )
    footer = f"forecast {__version__}. Each report links to its executed notebook and its numbers; run manifests are in runs/."
    return page_html("Forecasts", body, [("index.html", "All questions")], footer)


def question_folders(out_dir: str | Path) -> list[str]:
    """The ids of the questions with a folder in OUT, sorted.

    A link named like a question is no question folder: it is left alone, neither read
    nor written through (see :func:`forecast.store.refuse_links`).
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        return []
    return sorted(
        p.name
        for p in out_dir.iterdir()
        if QUESTION_ID.match(p.name) and p.name not in RESERVED_NAMES and p.is_dir() and not p.is_symlink()
    )


def refresh_catalogs(out_dir: str | Path) -> dict[str, Catalog]:
    """Every question's catalog in OUT, checked by its folder's listing and repaired on disk where needed.

    See :func:`forecast.catalog.refresh_catalog`; call while holding the index lock.
    """
    return {q: refresh_catalog(out_dir, q) for q in question_folders(out_dir)}


def write_index(
    out_dir: str | Path,
    failures: list[Failure] = (),
    generated: datetime | None = None,
    histories: list[str] = (),
    catalogs: Mapping[str, Catalog] | None = None,
    notes: list[str] | None = None,
) -> Path:
    """Write ``OUT/index.html`` atomically and return its path.

    ``histories`` names the questions whose page of every report
    (``OUT/<question>/history.html``) is rewritten first: those a run has just
    published. A question without that page, or whose catalog had to be repaired,
    gets it too. ``catalogs``: as :func:`index_page` takes them (default: read and
    repaired here, :func:`refresh_catalogs`). A history page that is a link is left
    alone, and said in ``notes`` (as ``"<question>: <what>"``) when a list is given, as is a
    history page that cannot be made and a question left off the index (see :func:`index_page`).

    Raises
    ------
    LinkInOut
        ``OUT/index.html`` is a symbolic link: it is left alone.
    """
    out_dir = Path(out_dir)
    if catalogs is None:
        catalogs = refresh_catalogs(out_dir)
    for question_id, catalog in catalogs.items():
        target = out_dir / question_id / HISTORY_PAGE
        if question_id in histories or catalog.notes or not is_own_file(target):
            # Every report's stamp checked (a stat each): the page shows what the summaries hold now.
            try:
                page = history_page(read_catalog(out_dir, question_id))
            except Exception as exc:  # whatever OUT holds: the page is left as it was, the index is written
                page = None
                if notes is not None:
                    notes.append(f"{question_id}: {HISTORY_PAGE} not written: {_said(exc)}")
            try:
                if page is not None:
                    atomic_write_text(target, page, within=out_dir)
            except LinkInOut as exc:
                if notes is not None:
                    notes.append(f"{question_id}: {exc}")
    path = out_dir / "index.html"
    page = index_page(out_dir, list(failures), generated, catalogs=catalogs, notes=notes)
    atomic_write_text(path, page, within=out_dir)
    return path
