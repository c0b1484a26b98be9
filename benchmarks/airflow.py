"""Target 7: the scheduled job on Apache Airflow, against ``forecast run``.

- **One question.** The ``question`` task instance of ``forecast_dag`` (its own
  duration in Airflow's metadata, as ``airflow dags test`` ran it) against the
  wall time of ``forecast run --question russia-syria-bases`` in a fresh
  process; and the whole ``airflow dags test`` of that one question (parsing the
  DAG, five tasks, the index) against the same.
- **Sixteen questions over a local parallel executor.** The bundled question
  cloned under 16 ids; ``airflow dags test --use-executor`` with the
  ``LocalExecutor`` at parallelism 2 against parallelism 1, and against
  ``forecast run --jobs 2``. The ``LocalExecutor``'s task processes reach the
  execution API of an ``airflow api-server`` started here on a loopback port.

Airflow runs from its own environment (``make setup-airflow``) with SQLite
metadata in a temporary ``AIRFLOW_HOME``. Each run takes minutes, so there is one
of each (``--repeats`` adds more); ``--quick`` skips the sixteen questions.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from forecast.inputs.validate import copy_question

from .harness import Line, Options, register
from .scheduled_run import AS_OF, QUESTION, ROOT, run_command

VENV = Path(os.environ.get("FORECAST_AIRFLOW_VENV", ROOT / ".venv-airflow"))
AIRFLOW = VENV / "bin" / "airflow"
MANY = 16
_DAG_FILE = """
import os
from forecast.airflow import forecast_dag
dag = forecast_dag(os.environ["FORECAST_DATA"], os.environ["FORECAST_OUT"], dag_id="forecast_bench")
"""


class _Airflow:
    def __init__(self, home: Path) -> None:
        self.home = home
        (home / "dags").mkdir(parents=True)
        (home / "dags" / "forecast_bench.py").write_text(_DAG_FILE, encoding="utf-8")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "VIRTUAL_ENV"))}
        self.env.update(
            AIRFLOW_HOME=str(home),
            AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
        )

    def run(self, *args: str, **env: str) -> float:
        start = time.perf_counter()
        done = subprocess.run(
            [str(AIRFLOW), *args], env={**self.env, **env}, cwd=self.home, capture_output=True, text=True,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(args[:3])} failed:\n{(done.stdout + done.stderr)[-3000:]}")
        return elapsed

    def task_seconds(self, task_id: str) -> list[float]:
        """Durations of the latest DAG run's instances of ``task_id``."""
        with sqlite3.connect(self.home / "airflow.db") as db:
            (run_id,) = db.execute("SELECT run_id FROM dag_run ORDER BY id DESC LIMIT 1").fetchone()
            rows = db.execute(
                "SELECT start_date, end_date FROM task_instance WHERE run_id = ? AND task_id = ?",
                (run_id, task_id),
            ).fetchall()
        return [(datetime.fromisoformat(e) - datetime.fromisoformat(s)).total_seconds() for s, e in rows]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _api_server(airflow: _Airflow):
    """An ``airflow api-server`` (execution API only) on a loopback port, for the LocalExecutor."""
    port = _free_port()
    env = {
        **airflow.env,
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
    }
    log = (airflow.home / "api-server.log").open("wb")
    server = subprocess.Popen(
        [str(AIRFLOW), "api-server", "--apps", "execution", "-H", "127.0.0.1", "-p", str(port), "-w", "1"],
        env=env, cwd=airflow.home, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"airflow api-server did not start; see {airflow.home / 'api-server.log'}")
            time.sleep(0.5)
        yield env
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:6])} ... failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def _median(values: list[float]) -> float:
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


@register("airflow", 7, "Airflow: a mapped task vs forecast run --question; 16 questions on a LocalExecutor")
def airflow_overhead(options: Options) -> list[Line]:
    if not AIRFLOW.is_file():
        raise RuntimeError(f"no Airflow environment at {VENV}: run `make setup-airflow` first")
    with tempfile.TemporaryDirectory(prefix="forecast-bench-airflow-") as tmp:
        tmp_path = Path(tmp)
        airflow = _Airflow(tmp_path / "home")
        airflow.run("db", "migrate")
        data = tmp_path / "data"
        shutil.copytree(ROOT / "data", data)
        counter = iter(range(10**6))

        def fresh() -> Path:
            return tmp_path / f"out-{next(counter)}"

        one = json.dumps({"questions": [QUESTION]})
        env = {"FORECAST_DATA": str(data)}
        _timed(run_command(data, fresh(), [QUESTION]))  # warm-up: the file cache and a first kernel
        repeats = options.repeats_or(full=1, quick=1)
        task, dag_test, ours_run = [], [], []
        for _ in range(repeats):
            ours_run.append(_timed(run_command(data, fresh(), [QUESTION])))
            dag_test.append(
                airflow.run(
                    "dags", "test", "forecast_bench", AS_OF, "--conf", one, **env, FORECAST_OUT=str(fresh())
                )
            )
            task.extend(airflow.task_seconds("question"))
        run_s, task_s, dag_s = _median(ours_run), _median(task), _median(dag_test)
        lines = [
            Line(
                benchmark="airflow",
                label="Airflow mapped task, 1 question / forecast run --question",
                value=task_s / run_s,
                ours=task_s,
                theirs=run_s,
                what=(
                    f"The `question` task instance of forecast_dag for {QUESTION} as of {AS_OF}, its duration as "
                    "Airflow records it (start to end, in `airflow dags test`, SQLite metadata), against the wall "
                    f"time of a fresh `python -m forecast run --question {QUESTION}`. Median of {repeats}."
                ),
                details={"seconds": {"task": task, "forecast run": ours_run}},
            ),
            Line(
                benchmark="airflow",
                label="airflow dags test, 1 question / forecast run --question",
                value=dag_s / run_s,
                ours=dag_s,
                theirs=run_s,
                what=(
                    "The whole `airflow dags test forecast_bench` of that one question (starting Airflow, parsing "
                    "the DAG, validate, plan, the question, publish, failures, alert) against the same "
                    f"`forecast run`. Wall time, median of {repeats}: a run's fixed cost, paid once however "
                    "many questions it has."
                ),
                details={"seconds": {"dags test": dag_test, "forecast run": ours_run}},
            ),
        ]
        if options.quick:
            return lines

        many = tmp_path / "many"
        shutil.copytree(ROOT / "data", many)
        clones = [f"bench-clone-{k:02d}" for k in range(1, MANY + 1)]
        for clone in clones:
            copy_question(many, QUESTION, clone)
        for original in (many / "questions").glob("*.yaml"):
            if original.stem not in clones:
                original.unlink()
                (many / "evidence" / f"{original.stem}.csv").unlink(missing_ok=True)
        env = {"FORECAST_DATA": str(many)}
        seconds: dict[str, list[float]] = {
            "parallelism 1": [],
            "parallelism 2": [],
            "forecast run --jobs 2": [],
        }
        with _api_server(airflow) as server_env:
            for _ in range(repeats):
                seconds["forecast run --jobs 2"].append(_timed(run_command(many, fresh(), clones, jobs=2)))
                for parallelism in (1, 2):
                    seconds[f"parallelism {parallelism}"].append(
                        airflow.run(
                            "dags",
                            "test",
                            "forecast_bench",
                            AS_OF,
                            "--use-executor",
                            **server_env,
                            **env,
                            FORECAST_OUT=str(fresh()),
                            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
                            AIRFLOW__CORE__PARALLELISM=str(parallelism),
                        )
                    )
        two, one_worker, ours = (
            _median(seconds[k]) for k in ("parallelism 2", "parallelism 1", "forecast run --jobs 2")
        )
        lines += [
            Line(
                benchmark="airflow",
                label=f"{MANY} questions on a LocalExecutor: parallelism 2 / parallelism 1",
                value=two / one_worker,
                ours=two,
                theirs=one_worker,
                what=(
                    f"The bundled question cloned under {MANY} ids; `airflow dags test --use-executor` of "
                    "forecast_bench with AIRFLOW__CORE__EXECUTOR=LocalExecutor at parallelism 2 against 1, "
                    "task processes reaching an `airflow api-server` on a loopback port. Wall time, median of "
                    f"{repeats}. Machine: {os.cpu_count()} cores."
                ),
                details={"questions": MANY, "seconds": seconds},
            ),
            Line(
                benchmark="airflow",
                label=f"{MANY} questions: LocalExecutor parallelism 2 / forecast run --jobs 2",
                value=two / ours,
                ours=two,
                theirs=ours,
                what=(
                    f"The same {MANY} questions: Airflow at parallelism 2 against `forecast run --jobs 2` "
                    f"into a new --out. Wall time, median of {repeats}."
                ),
                details={"questions": MANY, "seconds": seconds},
            ),
        ]
        return lines


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run it as: python -m benchmarks --only airflow")
