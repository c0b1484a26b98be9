"""The forecast DAG: copy this file into Airflow's dags/ folder.

Every worker needs `pip install "forecast[airflow]"` (pinned: requirements-airflow.txt), the data
folder, and the output folder on a file system they all share. Set the two paths here or in the
environment of the scheduler and the workers.
"""

import os

from forecast.airflow import forecast_dag

dag = forecast_dag(
    data_dir=os.environ.get("FORECAST_DATA", "/srv/forecast/data"),
    out_dir=os.environ.get("FORECAST_OUT", "/srv/forecast/reports"),
    dag_id="forecast",
    schedule=os.environ.get("FORECAST_SCHEDULE", "15 6 * * *"),  # daily at 06:15 UTC
    default_args={"retries": 1},  # a notebook error or a timeout is tried once more; bad input is not
)
