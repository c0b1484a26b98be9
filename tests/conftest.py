"""Fixtures shared by the test suite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from forecast import evidence_path, question_path

#: A question file and its evidence log, as text (or bytes, to write them exactly).
FileText = str | bytes


@pytest.fixture
def bundled_data() -> Path:
    """The example data folder shipped with the repository."""
    return Path(__file__).parent.parent / "data"


@pytest.fixture
def make_question(tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    """Write a question file (and optionally its evidence log) into a data folder at ``tmp_path``.

    Call it as ``make_question(yaml_text, csv_text=None, question_id="q")``; it returns the
    paths ``(tmp_path/questions/<id>.yaml, tmp_path/evidence/<id>.csv)``. Text is written
    exactly as given (no newline translation), so line numbers and line endings are the test's.
    The evidence log is only written when ``csv_text`` is given.
    """

    def make(yaml_text: FileText, csv_text: FileText | None = None, question_id: str = "q"):
        paths = question_path(tmp_path, question_id), evidence_path(tmp_path, question_id)
        for path, content in zip(paths, (yaml_text, csv_text)):
            if content is None:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8", newline="")
        return paths

    return make


class BundledRun:
    """One real ``forecast run`` of the bundled example, shared by the tests that read its output."""

    def __init__(self, data: Path, out: Path, result, data_digest: dict[str, str]) -> None:
        self.data, self.out, self.result, self.data_digest = data, out, result, data_digest


@pytest.fixture(scope="session")
def bundled_run(tmp_path_factory: pytest.TempPathFactory) -> BundledRun:
    """``forecast run`` on a copy of ``data/`` as of the example's last report date."""
    from helpers import AS_OF, copy_data, forecast_cli, tree_digest

    root = tmp_path_factory.mktemp("bundled-run")
    data, out = copy_data(root / "data"), root / "reports"
    digest = tree_digest(data)
    result = forecast_cli("run", "--data", data, "--out", out, "--as-of", AS_OF)
    assert result.returncode == 0, result.stderr
    return BundledRun(data, out, result, digest)
