"""requirements.txt and pyproject.toml say the same thing.

The rule: requirements.txt pins, with ``==``, exactly the package's runtime dependencies
(pyproject ``dependencies``), its ``lab`` extra (JupyterLab and the explorer's ipywidgets) and its
``news`` extra (the inbox), each at a version its pyproject range allows. The ``airflow`` extra is pinned apart, in
requirements-airflow.txt.
"""

from __future__ import annotations

import re
import tomllib

from helpers import REPO
from packaging.requirements import Requirement
from packaging.version import Version

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _name(text: str) -> str:
    """A distribution name normalised as PEP 503 does."""
    return re.sub(r"[-_.]+", "-", text).lower()


def _declared() -> dict[str, Requirement]:
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    listed = [*project["dependencies"], *extras["lab"], *extras["news"]]
    return {_name(r.name): r for r in map(Requirement, listed)}


def _pinned(path) -> dict[str, Version]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        [spec] = requirement.specifier
        assert spec.operator == "==", f"{path.name}: {line} is not pinned with =="
        pins[_name(requirement.name)] = Version(spec.version)
    return pins


def test_every_runtime_and_lab_dependency_is_pinned_in_requirements_txt():
    missing = set(_declared()) - set(_pinned(REPO / "requirements.txt"))
    assert not missing, f"in pyproject.toml but not pinned in requirements.txt: {sorted(missing)}"


def test_requirements_txt_pins_nothing_pyproject_does_not_declare():
    extra = set(_pinned(REPO / "requirements.txt")) - set(_declared())
    assert not extra, (
        f"pinned in requirements.txt but not in pyproject.toml dependencies, [lab] or [news]: {sorted(extra)}"
    )


def test_each_pin_is_within_the_pyproject_range():
    declared, pinned = _declared(), _pinned(REPO / "requirements.txt")
    outside = [
        f"{name}=={pinned[name]} is outside {declared[name].specifier}"
        for name in declared.keys() & pinned.keys()
        if not declared[name].specifier.contains(pinned[name], prereleases=True)
    ]
    assert not outside, outside


def test_the_explorer_widgets_and_jupyterlab_are_the_lab_extra_not_runtime():
    runtime = {_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    lab = {_name(Requirement(r).name) for r in PYPROJECT["project"]["optional-dependencies"]["lab"]}
    assert lab == {"jupyterlab", "ipywidgets"} and not lab & runtime


def test_the_pins_agree_with_constraints_txt():
    constraints = _pinned(REPO / "constraints.txt")
    differ = [
        f"{n}: {v} != {constraints.get(n)}"
        for n, v in _pinned(REPO / "requirements.txt").items()
        if constraints.get(n) != v
    ]
    assert not differ, differ
