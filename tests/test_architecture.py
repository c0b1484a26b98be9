"""The package's map: data flows one way through its stages, and no module reaches into another's privates.

The stages, in the order data passes through them (docs/architecture.md): each module may import from
its own stage and the stages above it, never from a stage below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "forecast"

#: Top-level names of ``forecast`` (modules or subpackages), stage by stage.
STAGES = (
    {"errors", "model", "words", "store", "catalog"},
    {"inputs"},
    {"inbox"},
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


def _module_graph() -> dict[str, set[str]]:
    """Each module's dotted name to the modules it imports from forecast: at module level, in functions
    and under ``TYPE_CHECKING`` alike (a circle of type hints is still a circle for the reader)."""
    names = {".".join(_dotted(p)) or "__init__" for p in _modules()}
    graph: dict[str, set[str]] = {}
    for path in _modules():
        here = ".".join(_dotted(path)) or "__init__"
        edges = set()
        for _, target, imported in _imports(path):
            for name in imported:
                candidates = [".".join([*target, name]), ".".join(target)]
                found = next((c for c in candidates if c in names), None)
                if found and found != here:
                    edges.add(found)
        graph[here] = edges
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_modules_import_each_other_in_a_circle():
    # A package's __init__ gathers its modules' names; a module importing a sibling through it
    # would be a circle with the __init__, so the package initialisers are left out of the graph.
    graph = {m: {e for e in edges if e in _LEAVES} for m, edges in _module_graph().items() if m in _LEAVES}
    assert _circles(graph) == []


def test_the_circle_check_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


_LEAVES = {".".join(_dotted(p)) for p in _modules() if p.name != "__init__.py"}


def test_every_error_the_package_raises_derives_from_forecast_error_and_the_public_ones_are_exported():
    import importlib
    import inspect

    import forecast
    from forecast.errors import ForecastError

    errors = []
    for path in _modules():
        if path.name == "__main__.py":  # running it is the command line
            continue
        module = importlib.import_module(".".join(["forecast", *_dotted(path)]))
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and value.__module__ == module.__name__
                and issubclass(value, Exception)
            ):
                assert issubclass(value, ForecastError), f"{module.__name__}.{name} is not a ForecastError"
                errors.append((name, value))
    public = {name: value for name, value in errors if not name.startswith("_")}
    assert {"OutsideForecastFileError", "SummaryError", "RunError"} <= set(public)  # the walk found them
    assert sorted(set(public) - set(forecast.__all__)) == []
    assert all(getattr(forecast, name) is value for name, value in public.items())
