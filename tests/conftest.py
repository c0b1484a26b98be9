"""Fixtures shared by the test suite."""

from __future__ import annotations

import json
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


# --------------------------------------------------------------------------- every summary.json is checked


#: The folders of the tests that write unreadable summaries on purpose (left out of the session's check).
_UNREADABLE_ON_PURPOSE: set[Path] = set()


def check_summaries(folder: Path, *, hand_written: bool = True, skip: set[Path] = frozenset()) -> list[Path]:
    """Check every ``summary.json`` under ``folder``; return those checked.

    One with a ``schema_version`` (what ``forecast`` writes) must match the shipped
    schema exactly; one without is a summary of version 0 (a test's own, as an
    earlier version wrote them) and must read as one, when ``hand_written``.
    """
    import jsonschema

    from forecast.publish.summary import Summary, schema

    validator = jsonschema.Draft202012Validator(schema())
    checked = []
    for path in sorted(folder.rglob("summary.json")):
        if any(path.is_relative_to(s) for s in skip):
            continue
        if not hand_written:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                continue
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "schema_version" in data:
            errors = [
                f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)
            ]
            assert not errors, f"{path} does not match summary.schema.json: {errors[:5]}"
        elif hand_written:
            Summary.from_json(
                path.read_text(encoding="utf-8"), source=str(path), question=path.parent.parent.name
            )
        else:
            continue
        checked.append(path)
    return checked


@pytest.fixture(autouse=True)
def _every_summary_a_test_writes_matches_the_schema(request: pytest.FixtureRequest):
    """After each test that has a ``tmp_path``, every summary.json in it is checked (:func:`check_summaries`).

    A test that writes a summary forecast cannot read, on purpose, says so with
    ``@pytest.mark.unreadable_summaries``.
    """
    if "tmp_path" not in request.fixturenames:
        yield
        return
    folder = request.getfixturevalue("tmp_path")  # now, so that it is torn down after this check
    yield
    if request.node.get_closest_marker("unreadable_summaries") is not None:
        _UNREADABLE_ON_PURPOSE.add(folder)
    else:
        check_summaries(folder)


@pytest.fixture(scope="session", autouse=True)
def _every_summary_the_session_writes_matches_the_schema(tmp_path_factory: pytest.TempPathFactory):
    """At the end of the session, every summary.json forecast wrote under any test's folder is checked."""
    yield
    check_summaries(tmp_path_factory.getbasetemp(), hand_written=False, skip=_UNREADABLE_ON_PURPOSE)
