"""The scheduled job as an Apache Airflow 3 DAG: Airflow schedules, ``forecast`` provides the tasks.

An optional extra (``pip install "forecast[airflow]"``): nothing else in the
package imports this module, and it imports Airflow only when a DAG is built.
Each task calls the same functions as ``forecast run``
(:func:`forecast.schedule.job.run_question`, :func:`forecast.schedule.job.publish_run`), so the
same inputs and date give the same reports, whichever scheduler ran them.

The DAG's tasks::

    validate ─┐
    fetch ────┤
    plan ─────┴─> question (mapped, one per id) ──> publish ─┬─> failures
                                                            └─> alert
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

__all__ = ["forecast_dag", "run_name"]

_log = logging.getLogger("forecast.airflow")

#: A fixed, past start date: a DAG's schedule needs one, and ``catchup`` decides whether it is replayed.
_START = datetime(2024, 1, 1, tzinfo=UTC)


def run_name(run_id: str) -> str:
    """The name under which a DAG run's outcomes and manifest are kept in ``OUT/runs/``.

    Airflow's run id (``scheduled__2026-04-01T00:00:00+00:00``) with every
    character that does not belong in a file name replaced by ``-``.
    """
    return "airflow-" + re.sub(r"[^A-Za-z0-9._-]+", "-", run_id).strip("-.")


def _as_of(context: dict[str, Any]) -> date:
    """The DAG run's logical date (UTC); a run triggered without one uses the date it was queued for."""
    moment = context.get("logical_date") or context["dag_run"].run_after
    return moment.astimezone(UTC).date()


def forecast_dag(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    dag_id: str = "forecast",
    schedule: Any = None,
    notebook: str | Path | None = None,
    **dag_kwargs: Any,
):
    """An Airflow 3 DAG that forecasts every question in ``data_dir`` into ``out_dir``.

    Tasks:

    - ``validate`` checks the data folder and logs every problem as
      ``FILE:LINE: message``; it fails nothing, so that a bad question fails only
      its own task.
    - ``fetch`` reads ``DATA/sources.yaml`` into the questions' news inboxes
      (:func:`forecast.inbox.fetch_inbox`, as ``forecast inbox fetch``); without
      sources it does nothing. It fails when no source could be read, but the
      question tasks run anyway (``trigger_rule="all_done"``): a failed fetch never
      stops a forecast, and the inbox changes no number.
    - ``plan`` lists the question ids: the ``questions`` parameter, or every file
      in ``DATA/questions/``.
    - ``question`` is mapped over the ids (``expand``), one task instance per
      question, labelled with its id, after ``fetch`` however it ended. Each runs :func:`forecast.schedule.job.run_question`
      as of the run's logical date: on success it returns the outcome (an XCom); a
      question with invalid input fails without retrying; a notebook error, a dead
      kernel or a timeout fails with a retry, as the task's retry settings allow.
    - ``publish`` (``trigger_rule="all_done"``, so it runs whatever failed) runs
      the scorecard when a planned question has resolved, then writes the index and
      the run's manifest (``OUT/runs/airflow-<run id>.json``) from what the
      question tasks recorded in OUT; a question whose task was killed is listed as
      failed.
    - ``failures`` fails when any question failed, so the DAG run is marked failed
      as ``forecast run`` exits 1.
    - ``alert`` is skipped when no scenario moved past the threshold; when one
      did, it fails if the ``fail_on_alert`` parameter is true (as ``forecast run
      --fail-on-alert`` exits 3) and succeeds with the alerts in its log otherwise.
      Its failure, or its success, is what ``on_failure_callback``,
      ``on_success_callback`` or a notifier attaches to.

    Parameters of each run (``airflow dags trigger --conf``, or the trigger form):
    ``questions`` (a list of ids, or null for all), ``alert_threshold`` (points,
    or null for each question's own), ``fail_on_alert`` (false) and ``timeout``
    (seconds per notebook, 600).

    Parameters
    ----------
    data_dir : str or Path
        The folder with ``questions/`` and ``evidence/``, readable by every worker.
    out_dir : str or Path
        The output folder (OUT), on a file system every worker shares.
    dag_id : str
    schedule : optional
        Any Airflow schedule (a cron string, a timetable); ``None`` runs only when triggered.
    notebook : str or Path, optional
        The report notebook (default: the one shipped with forecast).
    **dag_kwargs
        Passed to :class:`airflow.sdk.DAG`: ``default_args`` (``retries``,
        ``retry_delay``, ``pool``, ``execution_timeout``, callbacks), ``catchup``,
        ``max_active_runs`` (default 1, so a backfill runs its dates in order and
        each report is compared with the one before it), ``tags``, ...

    Returns
    -------
    airflow.sdk.DAG

    Raises
    ------
    ImportError
        Airflow is not installed; the message says how to install it.

    Examples
    --------
    In a file of the ``dags/`` folder:

    >>> from forecast.airflow import forecast_dag  # doctest: +SKIP
    >>> dag = forecast_dag("/srv/forecast/data", "/shared/forecast/reports", schedule="15 6 * * *")  # doctest: +SKIP
    """
    try:
        from airflow.sdk import DAG, Param, get_current_context, task
        from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != "airflow":
            raise
        raise ImportError(
            "forecast_dag needs Apache Airflow 3, which is not installed in this Python; install it with "
            "'pip install -r requirements-airflow.txt' (constraints in constraints-airflow.txt), "
            "or 'make setup-airflow' in a checkout of forecast",
            name="airflow",
        ) from exc

    from .inputs.validate import question_ids, validate_data
    from .schedule.job import default_notebook, is_resolved, publish_run, run_question, run_scorecard

    data_dir, out_dir = Path(data_dir), Path(out_dir)
    notebook = Path(notebook) if notebook else default_notebook()
    params = {
        "questions": Param(
            None, type=["null", "array"], items={"type": "string"}, description="question ids; null for all"
        ),
        "alert_threshold": Param(
            None, type=["null", "number"], exclusiveMinimum=0,
            description="points of move since the previous report that make an alert; null for each question's own",
        ),
        "fail_on_alert": Param(False, type="boolean", description="fail the alert task when there is an alert"),
        "timeout": Param(600, type="number", exclusiveMinimum=0, description="seconds per notebook"),
    }  # fmt: skip
    params.update(dag_kwargs.pop("params", {}))
    dag_kwargs.setdefault("start_date", _START)
    dag_kwargs.setdefault("catchup", False)
    dag_kwargs.setdefault("max_active_runs", 1)
    dag_kwargs.setdefault("tags", ["forecast"])
    dag_kwargs.setdefault(
        "doc_md",
        f"Scenario forecasts of `{data_dir}` into `{out_dir}`, as of each run's logical date. "
        "One `question` task per question; `publish` writes the index; `alert` fails on an alert "
        "when `fail_on_alert` is set.",
    )

    with DAG(dag_id, schedule=schedule, params=params, **dag_kwargs) as dag:

        @task
        def validate() -> dict[str, int]:
            """Log every problem in the data folder; never fail (a bad question fails its own task)."""
            problems = validate_data(data_dir)
            for problem in problems:
                (_log.error if problem.is_error else _log.warning)("%s", problem)
            errors = sum(p.is_error for p in problems)
            _log.info("%d errors, %d warnings in %s", errors, len(problems) - errors, data_dir)
            return {"errors": errors, "warnings": len(problems) - errors}

        @task
        def plan() -> list[str]:
            """The question ids of this run."""
            context = get_current_context()
            selected = context["params"].get("questions") or question_ids(data_dir)
            if not selected:
                raise AirflowFailException(
                    f"no question files in {data_dir / 'questions'}; expected <id>.yaml files there"
                )
            ids = list(dict.fromkeys(selected))
            _log.info("as of %s: %d questions: %s", _as_of(context), len(ids), ", ".join(ids))
            return ids

        @task
        def fetch() -> dict[str, Any]:
            """Fill the news inboxes from DATA/sources.yaml; fail only when no source could be read."""
            from .inbox import fetch_inbox

            result = fetch_inbox(data_dir, today=_as_of(get_current_context()))
            for message in [*result.skipped, *result.failed]:
                _log.warning("inbox: %s", message)
            _log.info(
                "inbox: read %d of %d sources, %d items; new candidates: %s",
                result.read, result.sources, result.items, result.added or "none",
            )  # fmt: skip
            if result.sources and not result.read:
                raise AirflowFailException(f"inbox: none of the {result.sources} sources could be read")
            return {"read": result.read, "sources": result.sources, "added": result.added}

        @task(map_index_template="{{ question_id }}", trigger_rule="all_done")
        def question(question_id: str) -> dict[str, Any]:
            """One question's job: validate, execute the notebook, render, publish."""
            context = get_current_context()
            context["question_id"] = question_id  # the mapped task's label in the UI
            params = context["params"]
            outcome = run_question(
                question_id, data_dir, out_dir, _as_of(context),
                timeout=float(params["timeout"]), alert_threshold=params.get("alert_threshold"),
                notebook=notebook, run=run_name(context["run_id"]), say=_log.info,
            )  # fmt: skip
            if outcome.ok:
                _log.info("%s: published %s (%.1f s)", question_id, outcome.report, outcome.duration_s)
                if outcome.alerts:
                    _log.warning("alert: %s", outcome.alert_line)
                return asdict(outcome)
            if outcome.cause == "input":  # the same input fails the same way: no retry
                raise AirflowFailException(f"{question_id}: {outcome.reason}")
            raise AirflowException(f"{question_id}: {outcome.reason}")

        @task(trigger_rule="all_done")
        def publish(ids: list[str]) -> dict[str, Any]:
            """The scorecard, the index and the run's manifest, from what is in OUT."""
            context = get_current_context()
            name, as_of, params = run_name(context["run_id"]), _as_of(context), context["params"]
            scorecard_notebook = notebook.with_name("scorecard.ipynb")
            scorecard = scorecard_notebook.is_file() and any(is_resolved(data_dir, q) for q in ids)
            if scorecard:
                run_scorecard(
                    data_dir, out_dir, notebook=scorecard_notebook, timeout=float(params["timeout"]), run=name
                )
            started = context["dag_run"].start_date or datetime.now(UTC)
            published = publish_run(
                out_dir, name, data_dir=data_dir, questions=ids, as_of=as_of, notebook=notebook,
                scorecard=scorecard, started=started,
                parameters={
                    "data_dir": str(data_dir), "out_dir": str(out_dir), "questions": ids,
                    "as_of": as_of.isoformat(), "timeout_s": float(params["timeout"]),
                    "alert_threshold": params.get("alert_threshold"), "notebook": str(notebook),
                    "dag_id": dag_id, "run_id": context["run_id"],
                },
            )  # fmt: skip
            _log.info("index: %s; manifest: %s", published.index, published.manifest)
            failed = [{"question": o.question, "reason": o.reason} for o in published.outcomes if not o.ok]
            for failure in failed:
                _log.error("%s: %s", failure["question"], failure["reason"])
            return {
                "index": str(published.index),
                "manifest": str(published.manifest),
                "failed": failed,
                "alerts": [
                    {"question": o.question, "scenarios": o.alerts, "line": o.alert_line}
                    for o in published.outcomes
                    if o.alerts
                ],
            }

        @task
        def failures(summary: dict[str, Any]) -> None:
            """Fail when any question failed, so that the DAG run is marked failed."""
            if summary["failed"]:
                lines = [f"{f['question']}: {f['reason']}" for f in summary["failed"]]
                raise AirflowFailException(f"{len(lines)} failed: " + "; ".join(lines))

        @task
        def alert(summary: dict[str, Any]) -> str:
            """An alert as a task outcome: skipped without one, failed with one under ``fail_on_alert``."""
            context = get_current_context()
            if not summary["alerts"]:
                raise AirflowSkipException("no scenario moved past its alert threshold")
            text = "; ".join(
                a.get("line") or f"{a['question']}: {', '.join(a['scenarios'])}" for a in summary["alerts"]
            )
            if context["params"].get("fail_on_alert"):
                raise AirflowFailException(f"alert: {text}")
            _log.warning("alert: %s", text)
            return text

        ids = plan()
        validate() >> ids
        summary = publish(ids)
        fetch() >> question.expand(question_id=ids) >> summary
        failures(summary)
        alert(summary)
    return dag
