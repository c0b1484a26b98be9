"""The package installs from its wheel and runs outside the repository.

The wheel is built without the network (``pip wheel --no-build-isolation``, with the pinned
setuptools of requirements-dev.txt) and installed, without its dependencies, into a fresh
virtual environment that sees the test environment's packages through a ``.pth`` file. Then
``forecast run`` is run from a folder that is not the repository: the notebooks, templates and
schemas must come from the wheel.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import AS_OF, EXAMPLE, REPO, copy_data

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    # The dependencies' data files (nbconvert's templates, the kernel spec) are installed under the
    # test environment's prefix, which a .pth file does not share; Jupyter is told where they are.
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    built = _run(
        sys.executable, "-m", "pip", "wheel", "--verbose", "--no-deps", "--no-build-isolation", "--no-index",
        "-w", folder, REPO, cwd=folder,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    (folder / "build.log").write_text(built.stdout + built.stderr, encoding="utf-8")
    [found] = folder.glob("forecast-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("venv") / "env"
    made = _run(sys.executable, "-m", "venv", "--without-pip", root, cwd=root.parent)
    assert made.returncode == 0, made.stderr
    python = root / "bin" / "python"
    [own] = _run(python, "-c", "import site; print(site.getsitepackages()[0])", cwd=root).stdout.split()
    # The dependencies come from the test environment; the wheel's forecast comes first.
    (Path(own) / "test-dependencies.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n", encoding="utf-8"
    )
    installed = _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=root
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    return root


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_holds_every_template(wheel):
    templates = {
        f"forecast/publish/templates/{p.name}" for p in (REPO / "forecast/publish/templates").iterdir()
    }
    assert templates and templates <= _names(wheel)


def test_the_build_declares_every_package_it_installs(wheel):
    """No "Package would be ignored" warnings: the templates folder is declared as the data it is."""
    log = (wheel.parent / "build.log").read_text(encoding="utf-8")
    assert "running bdist_wheel" in log  # the build's own output is in the log
    assert "would be ignored" not in log


def test_the_wheel_holds_every_notebook_inside_the_package(wheel):
    notebooks = {f"forecast/notebooks/{p.name}" for p in (REPO / "notebooks").glob("*.ipynb")}
    assert {"forecast/notebooks/update.ipynb", "forecast/notebooks/scorecard.ipynb"} <= notebooks
    assert notebooks <= _names(wheel)


def test_the_wheel_holds_every_json_schema_of_the_package(wheel):
    schemas = {str(p.relative_to(REPO)) for p in (REPO / "forecast").rglob("*.json")}
    assert schemas <= _names(wheel)


def test_the_wheel_holds_no_tests_data_or_benchmarks(wheel):
    top = {name.split("/")[0] for name in _names(wheel)}
    assert top == {"forecast", "forecast-0.1.0.dist-info"}, top
    assert not [n for n in _names(wheel) if "/tests/" in n or n.endswith(".csv") or "benchmarks" in n]


def test_the_installed_forecast_is_the_wheels(venv, tmp_path):
    code = (
        "import forecast, forecast.schedule.job as j; print(forecast.__file__); print(j.default_notebook())"
    )
    shown = _run(venv / "bin" / "python", "-c", code, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    module, notebook = (Path(line) for line in shown.stdout.split())
    assert module.is_relative_to(venv) and not module.is_relative_to(REPO)
    assert notebook.is_relative_to(venv) and notebook.is_file()


def test_forecast_run_from_the_wheel_writes_the_report_outside_the_repository(venv, tmp_path):
    data = copy_data(tmp_path / "data")
    out = tmp_path / "out"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = _run(
        venv / "bin" / "forecast", "run", "--data", data, "--out", out, "--as-of", AS_OF, "--question", EXAMPLE,
        cwd=elsewhere,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = out / EXAMPLE / AS_OF
    assert (report / "report.html").is_file() and (report / "summary.json").is_file()
    assert "Traceback" not in result.stderr
