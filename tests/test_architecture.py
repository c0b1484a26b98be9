"""The package's map: data flows one way through its stages, and no module reaches into another's privates.

The stages, in the order data passes through them (README, "Layout"): each module may import from
its own stage and the stages above it, never from a stage below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "forecast"

#: Top-level names of ``forecast`` (modules or subpackages), stage by stage.
STAGES = (
    {"errors", "model", "words", "store"},
    {"inputs"},
    {"engine"},
    {"analysis"},
    {"assessment", "team", "leaderboard", "tables", "frames", "record"},
    {"publish"},
    {"schedule"},
    {"airflow", "cli", "__main__", "__init__"},
)
STAGE_OF = {name: k for k, names in enumerate(STAGES) for name in names}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _dotted(path: Path) -> list[str]:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imports(path: Path) -> list[tuple[int, list[str], list[str]]]:
    """(line, the imported module's parts under forecast, the names imported) of each import from forecast."""
    here = _dotted(path)
    package = here if path.name == "__init__.py" else here[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "forecast":
                target = node.module.split(".")[1:]
            else:
                continue
            found.append((node.lineno, target, [a.name for a in node.names]))
    return found


def _stage(parts: list[str], name: str = "") -> int:
    if not parts and name == "__version__":  # the installed package's metadata, not its code
        return 0
    top = parts[0] if parts else name  # `from . import analysis` names the module it imports
    return STAGE_OF[top]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_from_its_own_stage_or_above(path):
    if path.parent.name == "notebooks":
        return
    mine = _stage(_dotted(path) or ["__init__"])
    upward = [
        f"{path.name}:{line}: imports forecast.{'.'.join(target) or name}"
        for line, target, names in _imports(path)
        for name in names
        if _stage(target, name) > mine
    ]
    assert not upward, upward


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_another_modules_private_names(path):
    private = [
        f"{path.name}:{line}: {'.'.join(target)}.{name}"
        for line, target, names in _imports(path)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not private, private


def test_every_stage_is_a_module_or_package_that_exists():
    for name in STAGE_OF:
        if name == "__init__":
            continue
        assert (
            (PACKAGE / f"{name}.py").is_file()
            or (PACKAGE / name / "__init__.py").is_file()
            or name
            in {
                "assessment",
                "frames",
            }
        ), name
