"""The inbox in JupyterLab: the candidates as a pandas DataFrame, and accept and reject buttons.

``notebooks/inbox.ipynb`` calls these; the buttons call :func:`forecast.inbox.accept` and
:func:`forecast.inbox.reject`, the functions behind ``forecast inbox accept`` and ``reject``,
so a decision taken in the notebook is the same as one taken on the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ForecastError
from .store import INBOX_COLUMNS, read_inbox
from .update import accept, reject

__all__ = ["inbox_frame", "review_controls"]

#: The columns the notebook's table shows, in order.
SHOWN = ("id", "score", "indicator", "published", "title", "quote", "source", "url", "status")


def inbox_frame(data_dir: str | Path, question_id: str, *, status: str | None = "new"):
    """The question's candidates as a DataFrame, best first, indexed by id (``status=None``: all of them).

    Examples
    --------
    >>> inbox_frame("data", "russia-syria-bases").empty  # the bundled data has no inbox
    True
    """
    import pandas as pd

    rows = [r for r in read_inbox(data_dir, question_id) if status is None or r.status == status]
    frame = pd.DataFrame(
        [{c: getattr(r, c) for c in INBOX_COLUMNS} for r in rows], columns=list(INBOX_COLUMNS)
    )
    return frame.loc[:, list(SHOWN)].set_index("id")


def review_controls(
    data_dir: str | Path,
    question_id: str,
    *,
    reliability: str = "B",
    credibility: str = "2",
) -> Any:
    """A widget per new candidate: observed, reliability and credibility, and Accept and Reject buttons.

    Accept appends the evidence row (as ``forecast inbox accept``) and Reject marks
    the candidate rejected; each says what it did, or why the row was refused, beside it.

    Returns
    -------
    ipywidgets.VBox
    """
    import ipywidgets as widgets

    boxes = []
    for row in read_inbox(data_dir, question_id):
        if row.status != "new":
            continue
        observed = widgets.Dropdown(
            options=["yes", "no"], value="yes", description="observed", layout={"width": "160px"}
        )
        graded = widgets.Dropdown(
            options=list("ABCDEF"), value=reliability, description="reliability", layout={"width": "160px"}
        )
        credible = widgets.Dropdown(
            options=list("123456"), value=credibility, description="credibility", layout={"width": "160px"}
        )
        take, drop = (
            widgets.Button(description="Accept", button_style="success"),
            widgets.Button(description="Reject"),
        )
        said = widgets.Label()
        take.on_click(_on_accept(data_dir, question_id, row.id, observed, graded, credible, said, take, drop))
        drop.on_click(_on_reject(data_dir, question_id, row.id, said, take, drop))
        heading = widgets.HTML(
            f"<b>{row.id}</b> {row.score:.2f} <code>{_escaped(row.indicator)}</code> {_escaped(row.title)}"
        )
        boxes.append(widgets.VBox([heading, widgets.HBox([observed, graded, credible, take, drop, said])]))
    return widgets.VBox(boxes or [widgets.Label("No new candidates in the inbox.")])


def _escaped(text: str) -> str:
    import html

    return html.escape(text)


def _on_accept(data_dir, question_id, row_id, observed, graded, credible, said, *buttons):
    def click(_button) -> None:
        try:
            evidence, _, _ = accept(
                data_dir,
                question_id,
                row_id,
                observed=observed.value,
                reliability=graded.value,
                credibility=credible.value,
            )
        except ForecastError as exc:
            said.value = f"not added: {exc}"
            return
        said.value = f"added {evidence.id} to the log"
        for button in buttons:
            button.disabled = True

    return click


def _on_reject(data_dir, question_id, row_id, said, *buttons):
    def click(_button) -> None:
        try:
            reject(data_dir, question_id, row_id)
        except ForecastError as exc:
            said.value = f"not changed: {exc}"
            return
        said.value = "rejected"
        for button in buttons:
            button.disabled = True

    return click
