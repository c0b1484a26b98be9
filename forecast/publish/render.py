"""Web pages for reviewers: a rendered report per executed notebook, and the index.

Reports are rendered with nbconvert's ``basic`` template with every input cell
and prompt excluded, and wrapped in a self-contained page: no scripts, no
external resources, and a Content-Security-Policy that forbids both, so nothing
a report shows can run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..analysis.changes import compare_summaries
from ..inputs.questions import QUESTION_ID
from ..store import (
    EVIDENCE_CSV,
    SCORECARD_DIR,
    SUMMARY,
    atomic_write_text,
    failed_dir,
    peek_summary,
    report_dir,
)
from .html import OUTSIDE_CSV, Html, render_template
from .summary import latest_two

__all__ = ["FORECASTER_ONLY", "ONLY_WITH_OUTPUT", "Failure", "index_page", "render_notebook", "write_index"]

#: Notebook cells with this tag are left out of the rendered report.
FORECASTER_ONLY = "forecaster-only"
#: Notebook cells with this tag are left out of the rendered report when they display nothing
#: (the team sections of a question without analysts), so that its page is as it was without them.
ONLY_WITH_OUTPUT = "only-with-output"


def _page(title: str, body: str, nav: list[tuple[str, str]], footer: str) -> str:
    return render_template("page.html.j2", title=title, body=Html(body), nav=nav, footer=footer)


def render_notebook(
    notebook: str | Path,
    html_path: str | Path,
    *,
    title: str,
    index_href: str,
    numbers: str = "summary.json",
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
    footer = f"Rendered by forecast {__version__} from the executed notebook report.ipynb beside this page."
    nav = [
        (index_href, "All questions"),
        ("report.ipynb", "Executed notebook"),
        (numbers, "Numbers (JSON)"),
    ]
    if Path(html_path).with_name(EVIDENCE_CSV).is_file():
        nav.append((EVIDENCE_CSV, "All evidence (CSV)"))
    if Path(html_path).with_name(OUTSIDE_CSV).is_file():
        nav.append((OUTSIDE_CSV, "All outside forecasts (CSV)"))
    atomic_write_text(html_path, _page(title, body, nav, footer))


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


def _question_card(out_dir: Path, question_id: str) -> dict[str, Any] | None:
    latest, before, dates = latest_two(out_dir, question_id)
    if latest is None:
        return None
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
    others = [d for d in reversed(dates) if d != latest.as_of]
    # The newest few with a summary that reads, checked lightly: the front page's cost and size stay
    # bounded whatever the history, and a report whose summary cannot be read is not linked.
    linked = []
    for d in others:
        if len(linked) == HISTORY_LINKS:
            break
        if peek_summary(report_dir(out_dir, question_id, d) / SUMMARY) is not None:
            linked.append(d)
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
        "closes": s.closes,
        "history": [
            {"as_of": d.isoformat(), "href": f"{question_id}/{d.isoformat()}/report.html"} for d in linked
        ],
        "more_reports": max(0, len(others) - HISTORY_LINKS) if len(linked) == HISTORY_LINKS else 0,
        "history_href": f"{question_id}/{HISTORY_PAGE}"
        if (out_dir / question_id / HISTORY_PAGE).is_file()
        else None,
    }


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
        {"probabilities": before.summary["probabilities"]},
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
) -> str:
    """The HTML of ``OUT/index.html``: every question's latest report, alerts and failures first."""
    out_dir = Path(out_dir)
    ids = (
        sorted(p.name for p in out_dir.iterdir() if p.is_dir() and QUESTION_ID.match(p.name))
        if out_dir.is_dir()
        else []
    )
    cards = [c for c in (_question_card(out_dir, i) for i in ids if i != "runs") if c is not None]
    # Alerts first, then open questions before resolved ones, each group by title.
    cards.sort(key=lambda c: (not c["alerts"], c["resolved"], c["title"].casefold()))
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
    return _page("Forecasts", body, [("index.html", "All questions")], footer)


#: A question's page of every report, beside its report folders.
HISTORY_PAGE = "history.html"


def history_page(out_dir: str | Path, question_id: str) -> str | None:
    """The HTML of ``OUT/<question>/history.html``: every report of the question, newest first.

    Each report's summary is read lightly (:func:`forecast.store.peek_summary`), and
    each move is worked out against the report just before it by date, as the index
    card does. ``None`` when the question has no readable report.
    """
    from ..store import report_dates

    dates = report_dates(out_dir, question_id)
    read = [(d, peek_summary(report_dir(out_dir, question_id, d) / SUMMARY)) for d in dates]
    reports = [(d, s) for d, s in read if s is not None]
    if not reports:
        return None
    latest = reports[-1][1]
    names = latest.get("scenario_names") if isinstance(latest.get("scenario_names"), dict) else {}
    labels = latest.get("scenario_labels") if isinstance(latest.get("scenario_labels"), dict) else {}
    order = [s for s in (latest.get("scenario_order") or []) if s in latest["probabilities"]]
    order += sorted(set().union(*(s["probabilities"] for _, s in reports)) - set(order))
    rows = []
    for k, (d, s) in enumerate(reports):
        before = reports[k - 1][1] if k else None
        changes = None if before is None else compare_summaries(s, before, threshold_points=_threshold(s))
        leading = (
            s.get("leading")
            if s.get("leading") in s["probabilities"]
            else max(s["probabilities"], key=s["probabilities"].get)
        )
        rows.append(
            {
                "as_of": d.isoformat(),
                "probabilities": s["probabilities"],
                "leading": leading,
                "moves": None if changes is None else dict(changes.moves),
                "alert": bool(changes and changes.alerting),
            }
        )
    title = latest.get("title") if isinstance(latest.get("title"), str) else question_id
    body = render_template(
        "history.html.j2",
        title=title,
        rows=list(reversed(rows)),
        order=order,
        names={**{str(k): str(v) for k, v in names.items()}, **{str(k): str(v) for k, v in labels.items()}},
        skipped=len(read) - len(reports),
    )
    footer = (
        f"forecast {__version__}. Each date links to its report; its numbers are in summary.json beside it."
    )
    return _page(f"{title}: every report", body, [("../index.html", "All questions")], footer)


def _threshold(summary: dict[str, Any]) -> float:
    value = summary.get("alert_threshold")
    return float(value) if isinstance(value, (int, float)) and value >= 0 else 10.0


def write_index(
    out_dir: str | Path,
    failures: list[Failure] = (),
    generated: datetime | None = None,
    histories: list[str] = (),
) -> Path:
    """Write ``OUT/index.html`` atomically and return its path.

    ``histories`` names the questions whose page of every report
    (``OUT/<question>/history.html``) is rewritten first: those a run has just published.
    """
    for question_id in histories:
        page = history_page(out_dir, question_id)
        if page is not None:
            atomic_write_text(Path(out_dir) / question_id / HISTORY_PAGE, page)
    path = Path(out_dir) / "index.html"
    atomic_write_text(path, index_page(out_dir, list(failures), generated))
    return path
