"""Performance benchmarks for forecast: ratios against a reference, a peer and a floor.

Run ``python -m benchmarks`` (or ``make bench``) from the repository root; see
``python -m benchmarks --help``. Each benchmark times two things side by side in
the same run and reports their ratio against a target from the performance
issue, so results stay comparable on a shared machine whose absolute speed drifts.

Layout:

- ``harness.py``: the registry, side-by-side timing, result lines and the table;
- ``synthetic.py``: seeded synthetic questions and evidence logs;
- ``reference.py``: the update rule as a plain pure-Python loop over reports;
- one module per benchmark: ``engine_vs_reference.py`` (target 1),
  ``engine_vs_peer.py`` (2, pgmpy), ``analysis.py`` (3, Monte Carlo intervals and
  leave-one-out), ``startup.py`` (5), ``memory.py`` (6).

To add one: write a function ``(Options) -> list[Line]`` in a new module, decorate
it with ``@register("name", target_number, "title")`` and add the module to
``MODULES`` in ``__main__.py``.
"""
