"""The scheduled job on Apache Airflow: the real `airflow dags test`, on the bundled data, compared with `forecast run`.

Airflow runs from an environment of its own (`make setup-airflow` builds
``.venv-airflow`` from requirements-airflow.txt), with SQLite metadata in a
temporary ``AIRFLOW_HOME``. Without that environment these tests are skipped with
a reason, unless ``FORECAST_REQUIRE_AIRFLOW=1`` (which ``make test`` sets, after
building it): then they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import AS_OF, EXAMPLE, REPO, clone_question, copy_data, notebook_with_extra_cell, read_json

VENV = Path(os.environ.get("FORECAST_AIRFLOW_VENV", REPO / ".venv-airflow"))
AIRFLOW = VENV / "bin" / "airflow"
_REQUIRED = os.environ.get("FORECAST_REQUIRE_AIRFLOW") == "1"
EXAMPLE_DAG = REPO / "examples" / "airflow" / "forecast_dag.py"
LATER = "2025-02-21"


class Airflow:
    """An Airflow installation with its own home, dags folder and SQLite metadata database."""

    def __init__(self, home: Path) -> None:
        self.home, self.dags = home, home / "dags"
        self.dags.mkdir(parents=True)
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "VIRTUAL_ENV", "JUPYTER"))
        }
        self.env.update(
            AIRFLOW_HOME=str(home),
            AIRFLOW__CORE__DAGS_FOLDER=str(self.dags),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            PATH=f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        )

    def __call__(self, *args: str, timeout: float = 900, **env: str) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(AIRFLOW), *args], env={**self.env, **env}, capture_output=True, text=True,
            timeout=timeout, stdin=subprocess.DEVNULL, cwd=self.home,
        )  # fmt: skip
        (self.home / "logs.txt").open("a", encoding="utf-8").write(result.stdout + result.stderr)
        return result

    def query(self, sql: str, *args: object) -> list[tuple]:
        with sqlite3.connect(self.home / "airflow.db") as db:
            return db.execute(sql, args).fetchall()

    def latest_run(self, dag_id: str) -> tuple[str, str]:
        """(run_id, state) of the DAG's latest run."""
        return self.query(
            "SELECT run_id, state FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", dag_id
        )[0]

    def task_states(self, dag_id: str, run_id: str) -> dict[tuple[str, str], str]:
        """(task id, the mapped task's label or "") -> final state."""
        rows = self.query(
            "SELECT task_id, map_index, rendered_map_index, state FROM task_instance"
            " WHERE dag_id = ? AND run_id = ?",
            dag_id,
            run_id,
        )
        return {
            (task, label or (str(index) if index >= 0 else "")): state for task, index, label, state in rows
        }


@pytest.fixture(scope="module")
def airflow(tmp_path_factory) -> Airflow:
    if not AIRFLOW.is_file():
        if _REQUIRED:
            pytest.fail(f"FORECAST_REQUIRE_AIRFLOW=1 but {AIRFLOW} is missing (make setup-airflow)")
        pytest.skip(
            f"no Airflow environment at {VENV} (make setup-airflow); set FORECAST_REQUIRE_AIRFLOW=1 to fail"
        )
    installation = Airflow(tmp_path_factory.mktemp("airflow-home"))
    migrated = installation("db", "migrate")
    assert migrated.returncode == 0, migrated.stdout[-3000:] + migrated.stderr[-3000:]
    return installation


@pytest.fixture(scope="module")
def scheduled(airflow, tmp_path_factory):
    """The example DAG file, dropped into dags/ as shipped, run by `airflow dags test forecast AS_OF`."""
    root = tmp_path_factory.mktemp("airflow-run")
    data, out = copy_data(root / "data"), root / "out"
    shutil.copy(EXAMPLE_DAG, airflow.dags / "forecast_dag.py")
    result = airflow("dags", "test", "forecast", AS_OF, FORECAST_DATA=str(data), FORECAST_OUT=str(out))
    return data, out, result


def _tail(result: subprocess.CompletedProcess) -> str:
    return (result.stdout + result.stderr)[-4000:]


def _page(path: Path) -> str:
    """A page without what differs between two runs of the same inputs: papermill's random id of
    the cell it injects, and the index's time of generation."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'celltag_injected-parameters" id="cell-id=[0-9a-f-]+"', "injected", text)
    return re.sub(r"as of the run of [0-9-]+ [0-9:]+ UTC", "as of the run of ...", text)


@pytest.mark.slow
def test_the_dag_run_succeeds_with_one_mapped_task_per_question(airflow, scheduled):
    data, _, result = scheduled
    assert result.returncode == 0, _tail(result)
    run_id, state = airflow.latest_run("forecast")
    assert state == "success"
    states = airflow.task_states("forecast", run_id)
    questions = sorted(p.stem for p in (data / "questions").glob("*.yaml"))
    assert {label: s for (task, label), s in states.items() if task == "question"} == dict.fromkeys(
        questions, "success"
    )
    assert states[("validate", "")] == states[("plan", "")] == states[("publish", "")] == "success"
    assert states[("fetch", "")] == "success"  # no sources.yaml: nothing to fetch
    assert states[("failures", "")] == "success"
    assert states[("alert", "")] == "skipped"  # no earlier report, so nothing moved


@pytest.mark.slow
def test_a_failed_fetch_fails_its_task_and_the_question_tasks_run_anyway(airflow, tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    (data / "sources.yaml").write_text(f"feeds:\n  - file: {tmp_path / 'absent.xml'}\n", encoding="utf-8")
    shutil.copy(EXAMPLE_DAG, airflow.dags / "forecast_dag.py")
    result = airflow("dags", "test", "forecast", LATER, FORECAST_DATA=str(data), FORECAST_OUT=str(out))
    run_id, _ = airflow.latest_run("forecast")
    states = airflow.task_states("forecast", run_id)
    assert states[("fetch", "")] == "failed", _tail(result)
    questions = sorted(p.stem for p in (data / "questions").glob("*.yaml"))
    assert {label: s for (task, label), s in states.items() if task == "question"} == dict.fromkeys(
        questions, "success"
    )
    assert (out / EXAMPLE / LATER / "summary.json").is_file()


@pytest.mark.slow
def test_the_dag_publishes_the_same_reports_as_forecast_run_for_its_logical_date(scheduled, bundled_run):
    data, out, result = scheduled
    assert result.returncode == 0, _tail(result)
    questions = sorted(p.stem for p in (data / "questions").glob("*.yaml"))
    for question in questions:
        ours, theirs = out / question / AS_OF, bundled_run.out / question / AS_OF
        assert (ours / "summary.json").read_bytes() == (theirs / "summary.json").read_bytes(), question
        assert _page(ours / "report.html") == _page(theirs / "report.html"), question
    scorecard = "_scorecard/scorecard.json"
    assert (out / scorecard).read_bytes() == (bundled_run.out / scorecard).read_bytes()
    assert _page(out / "_scorecard" / "report.html") == _page(bundled_run.out / "_scorecard" / "report.html")
    assert _page(out / "index.html") == _page(bundled_run.out / "index.html")


@pytest.mark.slow
def test_the_dag_run_writes_a_manifest_of_its_outcomes(scheduled):
    data, out, _ = scheduled
    (path,) = (out / "runs").glob("airflow-*.json")
    manifest = read_json(path)
    questions = sorted(p.stem for p in (data / "questions").glob("*.yaml"))
    assert manifest["parameters"]["as_of"] == AS_OF
    assert manifest["parameters"]["questions"] == questions
    assert [q["question"] for q in manifest["questions"]] == [*questions, "_scorecard"]
    assert all(q["status"] == "ok" for q in manifest["questions"]) and manifest["errors"] == []
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["inputs"][str(data / "questions" / f"{EXAMPLE}.yaml")])
    assert sorted(p.name for p in (out / "runs").iterdir()) == [
        path.name
    ]  # the per-question records are gone


@pytest.mark.slow
def test_a_broken_question_fails_only_its_own_task_and_the_index_lists_it(airflow, scheduled, tmp_path):
    """A second run on the same OUT, a day later: one question's notebook raises, one file is bad YAML."""
    data, out, first = scheduled
    assert first.returncode == 0, _tail(first)
    clone_question(data, "breaks-in-kernel")
    (data / "questions" / "bad-input.yaml").write_text("id: bad-input\ntitle: [unclosed\n", encoding="utf-8")
    notebook = notebook_with_extra_cell(
        tmp_path / "update.ipynb",
        'if question == "breaks-in-kernel":\n    raise RuntimeError("deliberate failure")',
    )
    (airflow.dags / "forecast_broken.py").write_text(
        "import os\nfrom forecast.airflow import forecast_dag\n"
        'dag = forecast_dag(os.environ["FORECAST_DATA"], os.environ["FORECAST_OUT"], dag_id="forecast_broken",'
        ' notebook=os.environ["FORECAST_NOTEBOOK"])\n',
        encoding="utf-8",
    )
    conf = json.dumps({"questions": [EXAMPLE, "breaks-in-kernel", "bad-input"]})
    result = airflow(
        "dags", "test", "forecast_broken", LATER, "--conf", conf,
        FORECAST_DATA=str(data), FORECAST_OUT=str(out), FORECAST_NOTEBOOK=str(notebook),
    )  # fmt: skip
    run_id, state = airflow.latest_run("forecast_broken")
    states = airflow.task_states("forecast_broken", run_id)
    assert {label: s for (task, label), s in states.items() if task == "question"} == {
        EXAMPLE: "success",
        "breaks-in-kernel": "failed",
        "bad-input": "failed",
    }, _tail(result)
    assert states[("publish", "")] == "success"
    assert states[("failures", "")] == "failed" and state == "failed"  # as `forecast run` exits 1
    assert (out / EXAMPLE / LATER / "report.html").is_file()
    assert not (out / "breaks-in-kernel" / LATER).exists()
    assert "deliberate failure" in (out / "breaks-in-kernel" / "failed" / LATER / "report.ipynb").read_text(
        encoding="utf-8"
    )
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Failed in the latest run" in index
    assert "deliberate failure" in index and "bad-input.yaml:3: YAML syntax error" in index
    assert f'href="{EXAMPLE}/{LATER}/report.html"' in index
    summary = read_json(out / EXAMPLE / LATER / "summary.json")
    assert summary["previous"]["as_of"] == AS_OF  # compared with the first DAG run's report
    manifest = read_json(max((out / "runs").glob("airflow-*.json"), key=lambda p: p.stat().st_mtime))
    assert {e["question"] for e in manifest["errors"]} == {"breaks-in-kernel", "bad-input"}


def test_import_forecast_does_not_import_airflow():
    """Airflow is an optional extra: the package, its job and `forecast run` never load it."""
    code = (
        "import sys, forecast, forecast.schedule.job, forecast.schedule.run; print('airflow' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_forecast_dag_without_airflow_says_what_to_install():
    """Without Airflow, building the DAG raises an ImportError naming the way to install it, not a bare module error."""
    code = (
        "import importlib.util, sys\n"
        "if importlib.util.find_spec('airflow') is not None: sys.exit(99)\n"
        "from forecast.airflow import forecast_dag\n"
        "try:\n"
        "    forecast_dag('data', 'reports')\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if done.returncode == 99:
        pytest.skip("Airflow is installed in this environment")
    assert done.returncode == 0, done.stderr
    said = done.stdout.strip()
    assert said.startswith("ImportError ") and "ModuleNotFoundError" not in said
    assert "pip install -r requirements-airflow.txt" in said and "make setup-airflow" in said


@pytest.mark.slow
def test_the_alert_threshold_and_fail_on_alert_are_run_parameters_and_an_alert_is_the_alert_tasks_outcome(
    airflow, tmp_path
):
    """Three runs of the example question: the team moves 9.2 points from 2025-01-05 to 2025-02-05 and
    18 points from 2025-02-05 to 2025-02-20, so a threshold of 5 alerts where the default of 10 does not."""
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    shutil.copy(EXAMPLE_DAG, airflow.dags / "forecast_dag.py")

    def run(as_of: str, **conf: object) -> dict[tuple[str, str], str]:
        conf = json.dumps({"questions": [EXAMPLE], **conf})
        result = airflow(
            "dags", "test", "forecast", as_of, "--conf", conf, FORECAST_DATA=str(data), FORECAST_OUT=str(out)
        )
        run_id, _ = airflow.latest_run("forecast")
        states = airflow.task_states("forecast", run_id)
        assert states[("question", EXAMPLE)] == "success", _tail(result)
        return states

    run("2025-01-05")
    lowered = run("2025-02-05", alert_threshold=5)
    summary = read_json(out / EXAMPLE / "2025-02-05" / "summary.json")
    assert summary["alert_threshold"] == 5 and summary["alerts"]
    assert max(abs(m) for m in summary["moves"].values()) < 10  # the question's own threshold would not alert
    assert lowered[("alert", "")] == "success"  # an alert, reported without failing the run
    strict = run(AS_OF, fail_on_alert=True)
    assert read_json(out / EXAMPLE / AS_OF / "summary.json")["alerts"]
    assert strict[("alert", "")] == "failed"  # as `forecast run --fail-on-alert` exits 3
    assert strict[("failures", "")] == "success"  # no question failed
