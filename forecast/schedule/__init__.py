"""Scheduling: running the notebooks, one question at a time or many.

- :mod:`.job` is the work of one question, start to finish: the function ``forecast run``
  and the Airflow DAG both call;
- :mod:`.worker` runs a notebook in a forked process with its own kernel, killable as a whole;
- :mod:`.run` is ``forecast run``: the questions of a data folder, ``--jobs`` at a time.

Nothing is imported here, so that importing one of these does not load the others.
"""
