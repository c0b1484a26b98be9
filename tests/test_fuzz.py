"""The loaders under random input: every file either loads or is refused with the project's own error.

Whatever bytes a question file or an evidence log holds, ``load_question`` and
``load_evidence`` return a model or raise an :class:`InvalidInputError` (with
located problems); never another exception, which the command line would show
as a traceback. The documents are random text and bytes, and structured but
wrong: a valid file with one value, key or cell replaced by something random.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast import EvidenceLog, Question, load_evidence, load_question
from forecast.errors import EvidenceFileError, QuestionFileError
from forecast.inputs.evidence import EVIDENCE_COLUMNS

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
TODAY = date(2025, 6, 1)

VALID_QUESTION = {
    "id": "q",
    "title": "Rain in Lisbon",
    "question": "Will it rain in Lisbon on 1 June 2025?",
    "opened": "2025-01-01",
    "closes": "2025-12-31",
    "scenarios": {
        "rain": {"name": "It rains", "prior": 0.6},
        "dry": {"name": "It stays dry", "prior": 0.4, "description": "No rain at the airport"},
    },
    "indicators": {
        "clouds": {"text": "Clouds gather", "signals": "rain", "likelihood": {"rain": 0.8, "dry": 0.3}},
        "east-wind": {
            "text": "A dry east wind",
            "signals": "dry",
            "likelihood": {"rain": 0.2, "dry": [0.5, 0.7]},
            "tripwire": True,
        },
    },
    "weights": {"reliability": {"A": 1.0}, "credibility": {"1": 1.0}},
    "resolution": {"scenario": "rain", "date": "2025-06-01", "note": "It rained"},
    "alert_threshold": 15,
}
VALID_ROWS = [
    ["e1", "2025-02-01", "clouds", "yes", "Met office", "A", "1", "https://example.org/1", "Dark clouds"],
    ["e2", "2025-02-03", "east-wind", "no", "Harbour log", "b", "2", "", 'No "east" wind, today'],
]

# Scalars that YAML reads as something other than plain text, and the awkward values of each type.
YAML_TOKENS = [
    "~", "null", "true", "no", "0", "-1", "1e400", "-.inf", ".nan", "0x1F", "0o17", "1_000", "9" * 400,
    "2025-02-30", "2025-01-01T10:00:00", "!!timestamp 2025-01-01", "!!binary aGVsbG8=", "!!float 1",
    "!!str 0.5", "!!set {a, b}", "!!omap [a: 1]", "!!python/name:os.system", "&a 1", "*a", "<<: {a: 1}",
    "[0.7, 0.5]", "[0.5]", "[]", "{}", "[[[[]]]]", "'", '"', "|", ">", "- x", "? x", "@", "`", "%YAML 1.1",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["rain", "dry", "clouds", "2025-01-01", "2024-12-31", "A", "6", ""]),
)
keys = st.one_of(
    st.text(max_size=12),
    st.sampled_from([*VALID_QUESTION, "likelyhood", "prior", "name", "signals", "likelihood"]),
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fuzz")
    (path / "questions").mkdir()
    (path / "evidence").mkdir()
    return path


@pytest.fixture(scope="module")
def question(folder) -> Question:
    path = folder / "questions" / "q.yaml"
    path.write_text(yaml.safe_dump(VALID_QUESTION, sort_keys=False), encoding="utf-8")
    return load_question(path)


def load_or_refuse_question(folder: Path, content: bytes) -> None:
    """Write ``content`` as a question file; it must load, or be refused with located problems."""
    path = folder / "questions" / "q.yaml"
    path.write_bytes(content)
    try:
        loaded = load_question(path)
    except QuestionFileError as exc:
        assert exc.errors, "refused without an error"
        assert all(p.path.endswith("q.yaml") and p.line >= 0 and p.message for p in exc.problems)
        return
    assert isinstance(loaded, Question)


def load_or_refuse_evidence(folder: Path, question: Question, content: bytes) -> None:
    """Write ``content`` as the evidence log; it must load, or be refused with located problems."""
    path = folder / "evidence" / "q.csv"
    path.write_bytes(content)
    try:
        log = load_evidence(path, question, today=TODAY)
    except EvidenceFileError as exc:
        assert exc.errors, "refused without an error"
        assert all(p.path.endswith("q.csv") and p.line >= 0 and p.message for p in exc.problems)
        return
    assert isinstance(log, EvidenceLog)
    assert all(row.indicator in question.indicator_ids for row in log.rows)


def test_the_fuzzed_valid_question_loads(question):
    """The documents below are wrong versions of one that loads: a failure here would void them."""
    assert question.scenario_ids == ("rain", "dry")


# --------------------------------------------------------------------------- question files


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_as_a_question_file(folder, content):
    load_or_refuse_question(folder, content)


@FUZZ
@given(
    st.text(alphabet=st.sampled_from(list("abq01.:-_[]{},&*!|>'\"#%@`?~ \t\n\r\ufeff\x00é")), max_size=300)
)
def test_random_yaml_like_text_as_a_question_file(folder, text):
    load_or_refuse_question(folder, text.encode("utf-8", "surrogatepass"))


def _paths(node, prefix=()):
    """Every (path, value) in a nested mapping, so that any one can be replaced."""
    yield prefix, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


def _replaced(document, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        return {k: (_replaced(v, rest, new) if k == head else v) for k, v in document.items()}
    return [(_replaced(v, rest, new) if i == head else v) for i, v in enumerate(document)]


PATHS = [p for p, _ in _paths(VALID_QUESTION)]


@FUZZ
@given(path=st.sampled_from(PATHS), new=values)
def test_a_valid_question_with_one_value_replaced_by_anything(folder, path, new):
    document = _replaced(VALID_QUESTION, path, new)
    load_or_refuse_question(folder, yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode())


@FUZZ
@given(path=st.sampled_from([p for p in PATHS if p]), key=keys, new=values, drop=st.booleans())
def test_a_valid_question_with_a_key_added_or_removed(folder, path, key, new, drop):
    parent = path[:-1]
    document = VALID_QUESTION
    for step in parent:
        document = document[step]
    if not isinstance(document, dict):
        document = {}
    changed = {k: v for k, v in document.items() if k != path[-1]} if drop else {**document, key: new}
    text = yaml.safe_dump(_replaced(VALID_QUESTION, parent, changed), sort_keys=False, allow_unicode=True)
    load_or_refuse_question(folder, text.encode())


@FUZZ
@given(st.dictionaries(keys, values, max_size=8))
def test_a_random_mapping_as_a_question_file(folder, document):
    load_or_refuse_question(folder, yaml.safe_dump(document, allow_unicode=True).encode())


VALID_QUESTION_LINES = yaml.safe_dump(VALID_QUESTION, sort_keys=False).splitlines()


@FUZZ
@given(line=st.integers(0, len(VALID_QUESTION_LINES) - 1), token=st.sampled_from(YAML_TOKENS))
def test_a_valid_question_with_one_value_written_as_an_awkward_yaml_token(folder, line, token):
    """Text-level replacement, to reach tags, anchors and literals that ``safe_dump`` never writes."""
    lines = list(VALID_QUESTION_LINES)
    lines[line] = f"{lines[line].split(':')[0]}: {token}"
    load_or_refuse_question(folder, ("\n".join(lines) + "\n").encode())


# --------------------------------------------------------------------------- evidence logs

cells = st.one_of(
    st.text(max_size=15),
    st.sampled_from(
        ["clouds", "east-wind", "rain", "yes", "no", "YES", "A", "f", "G", "1", "6", "7", "0",
         "2025-02-01", "2025-02-30", "2025-13-01", "2024-12-31", "2099-01-01", "e1", "e2", "", " ",
         '"', '""', ",", "\n", "\r\n", "\r", "\ufeff", "\x00", "javascript:x()", "https://example.org"]
    ),
)  # fmt: skip
headers = st.one_of(
    st.just(list(EVIDENCE_COLUMNS)),
    st.permutations(list(EVIDENCE_COLUMNS)),
    st.lists(st.sampled_from([*EVIDENCE_COLUMNS, "extra", "", "ID"]), max_size=11),
)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_as_an_evidence_log(folder, question, content):
    load_or_refuse_evidence(folder, question, content)


@FUZZ
@given(
    header=headers,
    rows=st.lists(st.lists(cells, min_size=0, max_size=11), max_size=6),
    bom=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
)
def test_random_rows_written_as_csv(folder, question, header, rows, bom, newline, quoting):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, quoting=quoting)
    writer.writerows([header, *VALID_ROWS, *rows])
    text = ("\ufeff" if bom else "") + buffer.getvalue()
    load_or_refuse_evidence(folder, question, text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(
    row=st.integers(0, len(VALID_ROWS) - 1),
    column=st.integers(0, len(EVIDENCE_COLUMNS) - 1),
    raw=st.text(alphabet=st.sampled_from(list('ab1,"\n\r \x00\ufeffé')), max_size=12),
)
def test_a_valid_log_with_one_raw_cell_spliced_in(folder, question, row, column, raw):
    """Raw text, not quoted by a writer: stray quotes, commas and newlines inside a record."""
    lines = [",".join(EVIDENCE_COLUMNS)]
    for i, fields in enumerate(VALID_ROWS):
        fields = ['"' + f.replace('"', '""') + '"' if ('"' in f or "," in f) else f for f in fields]
        if i == row:
            fields[column] = raw
        lines.append(",".join(fields))
    load_or_refuse_evidence(folder, question, ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))
