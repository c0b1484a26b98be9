"""``import forecast`` stays light: the heavy libraries load only when drawing, running or comparing.

Start-up time itself is measured by ``python -m benchmarks --only startup``; this
checks only which modules a fresh interpreter has loaded after the import.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import REPO

HEAVY = ("matplotlib", "papermill", "nbconvert", "scipy", "pgmpy", "airflow")


@pytest.fixture(scope="module")
def modules_after_import() -> set[str]:
    """Every module loaded by ``import forecast`` in a fresh interpreter."""
    code = "import json, sys; import forecast; print(json.dumps(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(run.stdout))


def test_import_forecast_succeeds(modules_after_import: set[str]) -> None:
    assert "forecast" in modules_after_import


@pytest.mark.parametrize("library", HEAVY)
def test_import_forecast_does_not_load(library: str, modules_after_import: set[str]) -> None:
    loaded = sorted(m for m in modules_after_import if m == library or m.startswith(library + "."))
    assert not loaded, f"`import forecast` loaded {library}: {loaded[:5]}"


def test_every_public_name_resolves_and_nothing_else_is_public():
    import forecast

    for name in forecast.__all__:
        assert getattr(forecast, name) is not None, name
    with pytest.raises(AttributeError):
        forecast.no_such_name  # noqa: B018


def test_validate_never_loads_numpy():
    code = "import sys; from forecast.cli import main; main(['validate', '--data', 'data']); print('numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.stdout.strip().splitlines()[-1] == "False"
