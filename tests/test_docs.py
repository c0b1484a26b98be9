"""The documentation: a short README as the front page, a site that builds without a warning, and
docstring examples that run.

The site is built with the pinned tools of requirements-docs.txt (part of requirements-dev.txt, so
``make test`` installs them); it is never skipped.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

import forecast

README = REPO / "README.md"


def test_the_readme_is_a_front_page_of_at_most_300_lines():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines; the guide belongs on the site (docs/)"


def test_the_readme_gives_the_two_commands():
    text = README.read_text(encoding="utf-8")
    assert re.search(r"^make run\b", text, re.M) and re.search(r"^make test\b", text, re.M)


def test_every_relative_link_of_the_readme_leads_to_a_file():
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text(encoding="utf-8"))
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert local, "the README links into the site"
    missing = [t for t in local if not (REPO / t).exists()]
    assert not missing, missing


def _prose(text: str) -> list[str]:
    """The lines of a markdown text outside its code blocks (commands may be shown twice; prose not)."""
    return [line.strip() for line in re.sub(r"^```.*?^```", "", text, flags=re.M | re.S).splitlines()]


def test_no_line_of_the_readme_is_kept_twice_on_the_site():
    site = {
        line for page in (REPO / "docs").rglob("*.md") for line in _prose(page.read_text(encoding="utf-8"))
    }
    twice = [line for line in _prose(README.read_text(encoding="utf-8")) if len(line) > 60 and line in site]
    assert not twice, twice


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as ``make site`` builds it (``mkdocs build --strict``), into a temporary folder."""
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        pytest.fail(
            "mkdocs is not installed: `make setup-dev` installs requirements-docs.txt (run `make test`)",
            pytrace=False,
        )
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent), "HOME": str(out)},
    )
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stderr[-4000:]}"
    return out


def test_the_site_builds_strictly_and_has_a_page_on_dependence_groups(built_site: Path):
    page = built_site / "rule" / "dependence-groups.html"
    assert page.is_file()
    text = page.read_text(encoding="utf-8")
    assert "Dependence groups" in text and "L_leader + (1 − ρ)·Σ L_other" in text


def test_every_relative_link_of_the_site_opened_from_disk_lands_on_a_file(built_site: Path):
    """A reader who opens site/index.html from disk follows links as files, not as a web server would."""
    missing = []
    for page in built_site.rglob("*.html"):
        for href in re.findall(r'href="([^"#?]+)', page.read_text(encoding="utf-8")):
            if re.match(r"[a-z][a-z0-9+.-]*:", href) or href.startswith("/"):
                continue
            target = (page.parent / href).resolve()
            if not target.is_file():
                missing.append(f"{page.relative_to(built_site)} -> {href}")
    assert not missing, missing[:20]


@pytest.mark.parametrize("name", ["forecast.assess", "forecast.Assessment", "forecast.ForecastError"])
def test_the_api_reference_documents_public_names_where_users_import_them(built_site: Path, name: str):
    anchors = {
        anchor
        for page in (built_site / "api").rglob("*.html")
        for anchor in re.findall(r'id="([^"]+)"', page.read_text(encoding="utf-8"))
    }
    assert name in anchors


def test_the_api_reference_carries_the_docstrings_numpy_sections(built_site: Path):
    text = (built_site / "api" / "assessment.html").read_text(encoding="utf-8")
    assert "Parameters:" in text and "Returns:" in text


def test_the_api_reference_shows_no_sphinx_role_as_text(built_site: Path):
    roles = {
        page.name: found
        for page in (built_site / "api").rglob("*.html")
        if (found := re.findall(r":(?:class|func|meth|attr|mod|data|exc):", page.read_text(encoding="utf-8")))
    }
    assert not roles, roles


def test_the_stub_declares_exactly_the_public_names():
    """forecast/__init__.pyi is what the API reference reads: it must name every public name."""
    stub = ast.parse((REPO / "forecast" / "__init__.pyi").read_text(encoding="utf-8"))
    imports = [node for node in stub.body if isinstance(node, ast.ImportFrom) and node.level == 1]
    declared = {alias.asname for node in imports for alias in node.names}
    assert declared | {"__version__"} == set(forecast.__all__)
    for node in imports:
        module = importlib.import_module(f"forecast.{node.module}")
        for alias in node.names:
            assert getattr(forecast, alias.asname) is getattr(module, alias.name), alias.asname


MODULES = sorted(
    m.name for m in pkgutil.walk_packages(forecast.__path__, "forecast.") if m.name != "forecast.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_run(name: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(REPO)  # examples read the bundled data/
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_the_doctests_cover_the_public_api():
    examples = sum(
        len(test.examples)
        for name in ("forecast.assessment", "forecast.inputs.questions", "forecast.analysis.scoring")
        for test in doctest.DocTestFinder().find(importlib.import_module(name))
    )
    assert examples >= 10
