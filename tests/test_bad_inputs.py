"""A corpus of bad inputs, through the real command: clear errors, nothing executed, nothing changed.

Each file in ``tests/bad_inputs/`` has one thing wrong with it, and
``tests/bad_inputs/expected.yaml`` says exactly what ``forecast validate`` prints
for it. The corpus is copied into one data folder beside the bundled question
(each bad evidence log, judgment file or outside-forecast log beside a copy of
that question under the case's name),
so that one ``validate`` and one ``run`` (one kernel, for the good question)
cover every case.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import re
import shutil
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from helpers import AS_OF, DATA, EXAMPLE, clone_question, copy_data, forecast_cli, read_json, tree_digest

from forecast import QuestionFileError, load_evidence, load_question
from forecast.inputs.evidence import MAX_EVIDENCE_BYTES
from forecast.inputs.questions import QUESTION_ID
from forecast.inputs.safe_yaml import MAX_FILE_BYTES

CORPUS = Path(__file__).parent / "bad_inputs"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
#: Written by the corpus's object-constructing tags, if anything ever ran them.
PWNED = "PWNED"


def is_warning(problem: str) -> bool:
    return problem.split(": ", 1)[1].startswith("warning: ")


@dataclass(frozen=True)
class Case:
    """One bad file: where it goes in DATA, and the problems ``validate`` prints for it."""

    kind: str  # "questions", "evidence", "judgments" or "forecasts"
    name: str  # its path in DATA/<kind>/ (judgments: "<question>/<analyst>.yaml")
    problems: tuple[str, ...]  # "LINE: message", as in expected.yaml

    @property
    def question(self) -> str:
        return Path(self.name).parts[0] if self.kind == "judgments" else Path(self.name).stem

    @property
    def shown(self) -> str:
        """The file as the command names it, run from the folder that holds ``data/``."""
        return f"data/{self.kind}/{self.name}"

    def printed(self) -> list[str]:
        """The start of each line ``validate`` prints for this file: FILE:LINE: message."""
        lines = []
        for problem in self.problems:
            line, message = problem.split(": ", 1)
            lines.append(f"{self.shown}: {message}" if line == "0" else f"{self.shown}:{line}: {message}")
        return lines

    def reason(self) -> str:
        """The start of the one line ``run`` prints when it skips this question."""
        if not QUESTION_ID.match(self.question):
            return f"{self.question!r} is not a question id (lower-case letters, digits and '-')"
        errors = [line for line, p in zip(self.printed(), self.problems) if not is_warning(p)]
        return errors[0]

    def write(self, data: Path) -> None:
        if self.kind != "questions":
            clone_question(data, self.question)
        target = data / self.kind / self.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if self.name in GENERATED:
            GENERATED[self.name](target)
        else:
            shutil.copyfile(CORPUS / self.kind / self.name, target)


def _oversized_question(path: Path) -> None:
    head = b"id: question-too-big\n# "
    path.write_bytes(head + b"x" * (MAX_FILE_BYTES + 1 - len(head)))


def _oversized_log(path: Path) -> None:
    with path.open("wb") as handle:  # sparse: refused by its size, so never read
        handle.truncate(MAX_EVIDENCE_BYTES + 1)


KINDS = ("questions", "evidence", "judgments", "forecasts")


def _fifo_log(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)  # reading it would wait for a writer forever


def _dev_zero_log(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to("/dev/zero")  # reading it would never end


def _folder_log(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.mkdir()


def _symlink_loop(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.symlink_to(path.name)  # a link to itself: opening it fails with "too many levels"


#: Cases too big to keep as files, or that are not files: made by the test.
GENERATED = {
    "question-too-big.yaml": _oversized_question,
    "log-too-big.csv": _oversized_log,
    "log-fifo.csv": _fifo_log,
    "log-dev-zero.csv": _dev_zero_log,
    "log-a-folder.csv": _folder_log,
    "log-symlink-loop.csv": _symlink_loop,
    "question-symlink-loop.yaml": _symlink_loop,
}
LOOP = "is a symbolic link that loops (or one of too many levels); expected a file"
NOT_REGULAR = "not a regular file; expected a file that can be read to its end"

CASES = [
    *(Case(kind, name, tuple(problems)) for kind in KINDS for name, problems in EXPECTED[kind].items()),
    Case("questions", "question-too-big.yaml", (f"0: file is {MAX_FILE_BYTES + 1:,} bytes; the limit is {MAX_FILE_BYTES:,}",)),
    Case("evidence", "log-too-big.csv", (f"0: file is {MAX_EVIDENCE_BYTES + 1:,} bytes; the limit is {MAX_EVIDENCE_BYTES:,}",)),
    Case("evidence", "log-fifo.csv", (f"0: is a named pipe (FIFO), {NOT_REGULAR}",)),
    Case("evidence", "log-dev-zero.csv", (f"0: is a character device, {NOT_REGULAR}",)),
    Case("evidence", "log-a-folder.csv", (f"0: is a folder, {NOT_REGULAR}",)),
    Case("evidence", "log-symlink-loop.csv", (f"0: {LOOP}",)),
    Case("questions", "question-symlink-loop.yaml", (f"0: {LOOP}",)),
]  # fmt: skip
ACCEPTED = sorted(p.name for p in (CORPUS / "accepted").glob("*.csv"))


def test_every_file_in_the_corpus_has_its_expected_output():
    on_disk = {
        (kind, str(p.relative_to(CORPUS / kind)))
        for kind in KINDS
        for p in (CORPUS / kind).rglob("*")
        if p.is_file()
    }
    assert on_disk == {(c.kind, c.name) for c in CASES if c.name not in GENERATED}


def example_only(data: Path) -> Path:
    """A data folder holding just the bundled question and its log (so a run starts one kernel)."""
    for kind, suffix in (("questions", ".yaml"), ("evidence", ".csv")):
        (data / kind).mkdir(parents=True)
        shutil.copyfile(DATA / kind / f"{EXAMPLE}{suffix}", data / kind / f"{EXAMPLE}{suffix}")
    return data


def corpus_data(data: Path) -> Path:
    example_only(data)
    for case in CASES:
        case.write(data)
    return data


def no_traceback(result) -> bool:
    return "Traceback" not in result.stdout + result.stderr


def nothing_executed(root: Path) -> bool:
    return not any(p.name == PWNED for p in root.rglob("*"))


# --------------------------------------------------------------------------- forecast validate


@dataclass
class Validated:
    root: Path
    data: Path
    before: dict[str, str]
    result: object

    def lines_for(self, shown: str) -> list[str]:
        return [line for line in self.result.stdout.splitlines() if line.startswith(f"{shown}:")]


@pytest.fixture(scope="module")
def validated(tmp_path_factory) -> Validated:
    root = tmp_path_factory.mktemp("validate")
    data = corpus_data(root / "data")
    for name in ACCEPTED:
        clone_question(data, Path(name).stem)
        shutil.copyfile(CORPUS / "accepted" / name, data / "evidence" / name)
    before = tree_digest(data)
    result = forecast_cli("validate", "--data", "data", cwd=root)
    return Validated(root, data, before, result)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_validate_prints_file_line_and_what_was_expected(validated, case):
    printed = validated.lines_for(case.shown)
    assert len(printed) == len(case.problems), printed
    for line, expected in zip(printed, case.printed()):
        assert line.startswith(expected), line


def test_validate_exits_1_without_a_traceback_and_prints_nothing_else(validated):
    assert validated.result.returncode == 1
    assert no_traceback(validated.result)
    expected = sum(len(c.problems) for c in CASES)
    assert len(validated.result.stdout.splitlines()) == expected
    errors = sum(not is_warning(p) for c in CASES for p in c.problems)
    assert validated.result.stderr == f"{errors} errors, {expected - errors} warnings in data\n"


def test_validate_changes_nothing_in_data_and_runs_nothing(validated):
    assert tree_digest(validated.data) == validated.before
    assert nothing_executed(validated.root)


@pytest.mark.parametrize("name", ACCEPTED)
def test_bom_blank_lines_crlf_and_lower_case_grades_are_accepted(validated, name):
    assert validated.lines_for(f"data/evidence/{name}") == []
    question = load_question(validated.data / "questions" / f"{Path(name).stem}.yaml")
    plain = load_evidence(CORPUS / "accepted" / "log-plain.csv", question)
    log = load_evidence(CORPUS / "accepted" / name, question)

    def fields(rows):
        return [(r.id, r.date, r.indicator, r.observed, r.source, r.reliability, r.credibility, r.url, r.summary)
                for r in rows]  # fmt: skip

    assert fields(log.rows) == fields(plain.rows)
    assert {r.reliability for r in log.rows} == {"A", "B", "C"}  # lower-case grades are normalised


def test_blank_lines_do_not_shift_the_line_numbers_of_rows():
    question = load_question(DATA / "questions" / f"{EXAMPLE}.yaml")
    log = load_evidence(CORPUS / "accepted" / "log-blank-lines.csv", question)
    assert [r.line for r in log.rows] == [3, 6, 8]


@pytest.mark.parametrize("name", ["alias-bomb.yaml", "deep-nesting.yaml"])
def test_alias_bombs_and_deep_nesting_are_refused_in_little_memory(name):
    # Memory, not wall-clock time, is the promise: expanding the bomb is what would be slow.
    tracemalloc.start()
    try:
        with pytest.raises(QuestionFileError):
            load_question(CORPUS / "questions" / name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # a billion laughs expanded would be gigabytes


# --------------------------------------------------------------------------- forecast run

#: Markup where the reports show text: the good question's title, and a data: URL in its log.
HOSTILE_TITLE = '<img src=x onerror="window.__pwned = 5">Russia\'s bases'
HOSTILE_URL = "data:text/html,<script>window.__pwned = 6</script>"


@dataclass
class Ran:
    root: Path
    data: Path
    out: Path
    before: dict[str, str]
    result: object

    def reasons(self) -> dict[str, str]:
        """question id -> the line ``run`` printed for it."""
        lines = [line for line in self.result.stderr.splitlines() if line.startswith("forecast: ")]
        return {line.removeprefix("forecast: ").split(": ", 1)[0]: line for line in lines}


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> Ran:
    root = tmp_path_factory.mktemp("run")
    data = corpus_data(root / "data")
    question = data / "questions" / f"{EXAMPLE}.yaml"
    text = question.read_text(encoding="utf-8")
    question.write_text(re.sub(r"(?m)^title: .*$", f"title: {json.dumps(HOSTILE_TITLE)}", text, count=1))
    with (data / "evidence" / f"{EXAMPLE}.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerow(
            ["x1", "2025-02-19", "no-settlement-yet", "yes", "Wire", "C", "3", HOSTILE_URL,
             f'<a href="{HOSTILE_URL}">click</a>']
        )  # fmt: skip
    before = tree_digest(data)
    result = forecast_cli("run", "--data", "data", "--out", "out", "--as-of", AS_OF, cwd=root)
    return Ran(root, data, root / "out", before, result)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_run_skips_a_bad_question_with_a_one_line_reason(ran, case):
    line = ran.reasons()[case.question]
    assert line.startswith(f"forecast: {case.question}: {case.reason()}"), line
    assert not (ran.out / case.question / AS_OF).exists()


@pytest.mark.slow
def test_run_still_reports_the_good_question_and_exits_1(ran):
    assert ran.result.returncode == 1
    assert no_traceback(ran.result)
    assert ran.result.stderr.count("\n") == len(CASES)  # one line per bad question, nothing else
    assert set(ran.reasons()) == {c.question for c in CASES}
    assert (ran.out / EXAMPLE / AS_OF / "report.html").is_file()
    assert ran.result.stdout.strip() == "out/index.html"
    (manifest,) = (ran.out / "runs").glob("*.json")
    assert {e["question"] for e in read_json(manifest)["errors"]} == {c.question for c in CASES}
    assert not (ran.out / ".forecast-work").exists()


@pytest.mark.slow
def test_run_changes_nothing_in_data_and_runs_nothing(ran):
    assert tree_digest(ran.data) == ran.before
    assert nothing_executed(ran.root)


@pytest.mark.slow
def test_markup_in_reasons_titles_and_urls_is_written_inert(ran):
    index = (ran.out / "index.html").read_text(encoding="utf-8")
    report = (ran.out / EXAMPLE / AS_OF / "report.html").read_text(encoding="utf-8")
    for page in (index, report):
        assert "<script" not in page.lower() and "<img src=x" not in page
        assert not re.search(r"<a\b[^>]*\bhref=[\"']?data:", page, re.IGNORECASE)
    assert "signals &#39;&lt;script&gt;window.__pwned = 1&lt;/script&gt;&#39; is not a scenario" in index
    assert "&lt;img src=x onerror=" in index and "&lt;img src=x onerror=" in report


@pytest.mark.slow
def test_pages_with_hostile_text_run_nothing_in_a_browser(ran):
    browser_test = pytest.importorskip("test_browser")
    if browser_test.CHROMIUM is None:
        if browser_test._REQUIRED:
            pytest.fail("FORECAST_REQUIRE_BROWSER=1 but no chromium is installed (apt-get install chromium)")
        pytest.skip("no system Chromium installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=browser_test.CHROMIUM, args=browser_test._LAUNCH_ARGS
        )
        try:
            for path in (ran.out / "index.html", ran.out / EXAMPLE / AS_OF / "report.html"):
                page = browser_test.Page(browser, path)
                page.page.hover("body")
                assert page.page.evaluate("typeof window.__pwned") == "undefined"
                assert page.page.locator("script, img[onerror], a[href^='data:']").count() == 0
                assert page.errors == []
                assert HOSTILE_TITLE in page.text()
            page.open_sections()  # the evidence log is collapsed until opened
            row = page.page.locator("#evidence-x1")
            assert HOSTILE_URL in row.inner_text() and row.locator("a").count() == 0
        finally:
            browser.close()


# --------------------------------------------------------------------------- names used in paths


def test_question_ids_that_are_paths_read_nothing_outside_data_and_write_nothing_outside_out(tmp_path):
    data, out = example_only(tmp_path / "data"), tmp_path / "out"
    planted = tmp_path / "planted.yaml"  # a question file outside DATA that a traversal would reach
    shutil.copyfile(DATA / "questions" / f"{EXAMPLE}.yaml", planted)
    hostile = ["../../planted", str(planted.with_suffix("")), "..", ".", "a b", f"{EXAMPLE}/../{EXAMPLE}",
               f"{EXAMPLE} ", "-rf", "\u212a"]  # fmt: skip
    before = tree_digest(tmp_path)
    result = forecast_cli("run", "--data", data, "--out", out, *(f"--question={q}" for q in hostile))
    assert result.returncode == 1 and no_traceback(result)
    for q in hostile:
        assert f"forecast: {q}: {q!r} is not a question id" in result.stderr
    assert {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()} - set(before) == {
        "out/.forecast.lock",
        "out/.forecast-locks/_index.lock",
        "out/.forecast-out",
        "out/index.html",
        next(str(p.relative_to(tmp_path)) for p in (out / "runs").glob("*.json")),
    }
    assert {k: v for k, v in tree_digest(tmp_path).items() if not k.startswith("out/")} == before
    manifest = read_json(next((out / "runs").glob("*.json")))
    assert all(p.endswith(".ipynb") for p in manifest["inputs"])  # no input file was even hashed


#: A folder name that would break out of a Python string literal if pasted into code unescaped.
INJECTION = 'x" + str(open("PWNED", "w")) + "\\\' # \n é'


@pytest.mark.slow
def test_a_folder_name_cannot_inject_code_into_the_executed_notebook(tmp_path):
    data, out = copy_data(tmp_path / f"data{INJECTION}"), tmp_path / f"out{INJECTION}"
    result = forecast_cli(
        "run", "--data", data, "--out", out, "--question", EXAMPLE, "--as-of", AS_OF, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert nothing_executed(tmp_path)
    notebook = read_json(out / EXAMPLE / AS_OF / "report.ipynb")
    (cell,) = [c for c in notebook["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    statements = ast.parse("".join(cell["source"])).body
    assert all(isinstance(s, ast.Assign) and isinstance(s.value, ast.Constant) for s in statements)
    values = {s.targets[0].id: s.value.value for s in statements}
    assert values["data_dir"] == "inputs"  # the job's snapshot of the data folder, beside the notebook
    assert values["reports_dir"] == str(out.resolve())
    assert values["question"] == EXAMPLE
