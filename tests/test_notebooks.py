"""Notebooks in git are clean sources: no outputs, and a tagged parameters cell papermill can read."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_the_report_notebook_is_shipped():
    assert "update.ipynb" in [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_in_git_carries_no_outputs_or_execution_counts(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_has_a_tagged_parameters_cell(path):
    assert papermill.inspect_notebook(str(path)), f"{path.name} has no cell tagged 'parameters'"


def test_the_report_notebook_parameters_and_their_defaults():
    params = papermill.inspect_notebook(str(NOTEBOOKS[[p.name for p in NOTEBOOKS].index("update.ipynb")]))
    assert params["question"]["default"] == '"russia-syria-bases"'
    assert params["as_of"]["default"] == "None"
    assert params["data_dir"]["default"] == '"../data"'


def test_the_parameters_cell_derives_nothing():
    nb = nbformat.read(NOTEBOOKS[[p.name for p in NOTEBOOKS].index("update.ipynb")], as_version=4)
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    for line in cell.source.splitlines():
        code = line.split("#")[0].strip()
        if code:
            name, _, value = code.partition("=")
            assert name.strip().isidentifier(), line
            literal = value.strip()
            assert (
                literal.startswith(('"', "None", "'"))
                or literal in ("True", "False")
                or literal.replace(".", "").isdigit()
            ), line


@pytest.mark.slow
def test_the_report_notebook_runs_top_to_bottom_with_its_defaults(tmp_path):
    """As a forecaster opening it in JupyterLab would: beside ../data, no parameters given."""
    from helpers import copy_data, read_json

    copy_data(tmp_path / "data")
    (tmp_path / "notebooks").mkdir()
    source = NOTEBOOKS[[p.name for p in NOTEBOOKS].index("update.ipynb")]
    papermill.execute_notebook(
        str(source),
        str(tmp_path / "notebooks" / "executed.ipynb"),
        cwd=str(tmp_path / "notebooks"),
        kernel_name="python3",
        progress_bar=False,
    )
    summary = read_json(tmp_path / "notebooks" / "summary.json")
    assert summary["question"] == "russia-syria-bases"
    assert summary["evidence_counted"] > 0


def test_the_report_notebook_takes_an_analyst_whose_default_is_the_team_view():
    params = papermill.inspect_notebook(str(NOTEBOOKS[[p.name for p in NOTEBOOKS].index("update.ipynb")]))
    assert params["analyst"]["default"] == '""'


@pytest.mark.slow
def test_the_report_notebook_shows_one_analysts_own_view_beside_the_teams(tmp_path):
    """A forecaster in JupyterLab sets ``analyst`` to their name and sees their forecast, and the team's."""
    from helpers import AS_OF, EXAMPLE, copy_data, read_json

    data = copy_data(tmp_path / "data")
    executed = tmp_path / "executed.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOKS[[p.name for p in NOTEBOOKS].index("update.ipynb")]),
        str(executed),
        parameters={"question": EXAMPLE, "as_of": AS_OF, "data_dir": str(data), "reports_dir": str(tmp_path / "r"),
                    "summary_path": str(tmp_path / "summary.json"), "analyst": "tomas", "draws": 200},
        cwd=str(tmp_path),
        kernel_name="python3",
        progress_bar=False,
    )  # fmt: skip
    summary = read_json(tmp_path / "summary.json")
    assert summary["analyst"] == "tomas"
    assert summary["probabilities"] == summary["analysts"]["tomas"]
    assert summary["team_probabilities"] != summary["probabilities"]
    outputs = "".join(
        o.get("data", {}).get("text/html", "") if isinstance(o.get("data", {}).get("text/html", ""), str)
        else "".join(o["data"]["text/html"])
        for c in nbformat.read(executed, as_version=4).cells if c.cell_type == "code" for o in c.get("outputs", [])
    )  # fmt: skip
    assert "tomas</strong>'s own forecast" in outputs and "Where the analysts differ" in outputs


def _frames_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and "tables." in c.source]


@pytest.mark.parametrize("name", ["update.ipynb", "explore.ipynb"])
def test_a_notebook_shows_its_frames_only_when_the_frames_parameter_is_set(name):
    """The DataFrame cells are for forecasters: tagged out of the report, and idle when ``frames`` is False."""
    path = NOTEBOOKS[[p.name for p in NOTEBOOKS].index(name)]
    assert papermill.inspect_notebook(str(path))["frames"]["default"] == "True"
    cells = _frames_cells(nbformat.read(path, as_version=4))
    assert cells
    for cell in cells:
        assert "forecaster-only" in cell.metadata.get("tags", []), cell.source
        assert cell.source.startswith("if frames:"), cell.source


@pytest.mark.slow
def test_a_scheduled_run_leaves_the_frames_cells_out(bundled_run):
    """``forecast run`` sets ``frames = False``: the executed notebook's frames cells show nothing."""
    from helpers import AS_OF, EXAMPLE

    folder = bundled_run.out / EXAMPLE / AS_OF
    executed = nbformat.read(folder / "report.ipynb", as_version=4)
    (injected,) = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert "frames = False" in injected.source
    assert all(c.outputs == [] for c in _frames_cells(executed))
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "The forecast as DataFrames" not in page and "tables." not in page
