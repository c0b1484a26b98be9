"""summary.json: one schema, shipped with the package, and one typed object that writes and reads it."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import date

import jsonschema
import pytest
from conftest import check_summaries
from helpers import AS_OF, DATA, EXAMPLE, REPO, copy_data, copy_data_without_team, forecast_cli

from forecast.publish.render import index_page
from forecast.publish.report import Report
from forecast.publish.summary import (
    SCHEMA_VERSION,
    Summary,
    SummaryError,
    previous_summary,
    read_summary,
    schema,
)

GOLDEN = REPO / "tests" / "golden"
SHIPPED = REPO / "forecast" / "publish" / "summary.schema.json"


@pytest.fixture(scope="module")
def report():
    return Report.load(EXAMPLE, as_of=AS_OF, data_dir=DATA, draws=100)


def version_0(text: str) -> str:
    """A summary as an earlier version wrote it: the same keys, no ``schema_version``."""
    data = json.loads(text)
    del data["schema_version"]
    return json.dumps(data, indent=2, sort_keys=True)


# --------------------------------------------------------------------------- the schema


def test_the_schema_is_a_valid_draft_2020_12_schema_with_an_id_a_title_and_a_version():
    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(shipped)
    assert shipped["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert shipped["$id"] and shipped["title"]
    assert shipped["properties"]["schema_version"]["enum"] == [1, 2, 3, SCHEMA_VERSION] == [1, 2, 3, 4]
    assert "schema_version" in shipped["required"]
    assert schema() == shipped  # what the package reads is the file it ships


def test_the_schema_describes_every_field_of_summary_and_nothing_else():
    described = set(schema()["$defs"]["fields"]["properties"]) | set(schema()["properties"])
    assert described == {f.name for f in dataclasses.fields(Summary)} - {"legacy_keys"}


def test_the_schema_ships_in_the_package_data():
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert (
        '"forecast.publish" = ["summary.schema.json"]' in text
        and '"forecast.publish.templates" = ["*"]' in text
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("probabilities", {"exit": 1.5}),
        ("as_of", "20 February 2025"),
        ("closes", "2027-6-30"),
        ("intervals", {"exit": [0.1]}),
        ("indicator_status", {"x": "seen"}),
    ],
)
def test_the_schema_refuses_a_probability_a_date_or_a_shape_out_of_range(report, key, value):
    data = report.summary() | {key: value}
    assert not jsonschema.Draft202012Validator(schema()).is_valid(data)


# --------------------------------------------------------------------------- every summary the run writes


@pytest.mark.slow
def test_every_summary_forecast_run_writes_matches_the_shipped_schema(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    for as_of in ("2025-01-15", AS_OF):
        result = forecast_cli("run", "--data", data, "--out", out, "--as-of", as_of)
        assert result.returncode == 0, result.stderr
    validator = jsonschema.Draft202012Validator(json.loads(SHIPPED.read_text(encoding="utf-8")))
    written = sorted(out.rglob("summary.json"))
    assert len(written) >= 4  # two questions or more, two dates
    for path in written:
        errors = [
            f"{list(e.absolute_path)}: {e.message}"
            for e in validator.iter_errors(json.loads(path.read_text()))
        ]
        assert not errors, (path, errors)
    later = json.loads((out / EXAMPLE / AS_OF / "summary.json").read_text(encoding="utf-8"))
    assert later["schema_version"] == 4 and later["previous"]["as_of"] == "2025-01-15"
    assert check_summaries(out) == written


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("analyst", [None, "mira"])
def test_a_summary_reads_back_as_the_same_summary(report, analyst):
    s = report.summary_record() if analyst is None else Report.load(EXAMPLE, as_of=AS_OF, data_dir=DATA, draws=100,
                                                                analyst=analyst).summary_record()  # fmt: skip
    assert Summary.from_json(s.to_json()) == s
    assert Summary.from_json(s.to_json()).to_json() == s.to_json()


def test_a_resolved_report_compared_with_an_earlier_one_reads_back_as_the_same_summary(tmp_path):
    data = copy_data_without_team(tmp_path / "data")
    folder = tmp_path / "out" / "harbour-bridge-reopening" / "2024-09-01"
    Report.load("harbour-bridge-reopening", as_of="2024-09-01", data_dir=data).write_summary(
        folder / "summary.json"
    )
    s = Report.load(
        "harbour-bridge-reopening", as_of="2024-10-01", data_dir=data, reports_dir=tmp_path / "out"
    )
    record = s.summary_record()
    assert record.resolution is not None and record.score is not None and record.changes is not None
    assert record.previous is not None and record.previous.as_of == "2024-09-01"
    assert Summary.from_json(record.to_json()) == record


def test_the_summary_is_written_with_sorted_keys_and_the_same_bytes_each_time(tmp_path, report):
    first = report.write_summary(tmp_path / "a" / "summary.json").read_bytes()
    again = Report.load(EXAMPLE, as_of=AS_OF, data_dir=DATA, draws=100).write_summary(
        tmp_path / "b" / "summary.json"
    )
    assert again.read_bytes() == first
    data = json.loads(first)
    assert list(data) == sorted(data) and first.endswith(b"}\n")
    assert data["schema_version"] == 4


# --------------------------------------------------------------------------- refusals


def test_a_value_of_the_wrong_type_is_refused_naming_its_key(report):
    data = report.summary() | {"evidence_counted": "thirty-two"}
    with pytest.raises(
        SummaryError, match=r"^summary.json: evidence_counted: 'thirty-two' is not of type 'integer'"
    ):
        Summary.from_json(json.dumps(data))


def test_a_report_id_that_is_not_text_is_refused_naming_where_it_is(report):
    data = report.summary()
    data["evidence_ids"] = [*data["evidence_ids"], 7]
    with pytest.raises(SummaryError, match=r"evidence_ids\.\d+: 7 is not of type 'string'"):
        Summary.from_json(json.dumps(data))


def test_a_missing_key_is_refused_naming_it(report):
    data = report.summary()
    del data["leading"]
    with pytest.raises(SummaryError, match=r"'leading' is a required property"):
        Summary.from_json(json.dumps(data))


def test_an_extra_key_is_refused_naming_it(report):
    data = report.summary() | {"certainty": "high"}
    with pytest.raises(SummaryError, match=r"'certainty' was unexpected"):
        Summary.from_json(json.dumps(data))


def test_a_probability_out_of_range_is_refused_naming_where_it_is(report):
    data = report.summary()
    data["watch"][0]["p_reported"] = 1.2
    with pytest.raises(SummaryError, match=r"watch\.0\.p_reported: 1\.2 is greater than the maximum of 1"):
        Summary.from_json(json.dumps(data))


def test_a_summary_of_a_later_version_is_refused_saying_which_version_is_read(report):
    data = report.summary() | {"schema_version": 5}
    with pytest.raises(SummaryError, match=r"schema_version: .* reads summaries of version 4 .* got 5"):
        Summary.from_json(json.dumps(data))


def test_a_summary_of_version_1_reads_with_temper_1(report):
    data = report.summary() | {"schema_version": 1}
    del data["temper"]
    read = Summary.from_json(json.dumps(data))
    assert read.temper == 1.0 and read.uncalibrated_probabilities is None
    assert read.probabilities == report.summary()["probabilities"]


def test_text_that_is_not_json_is_refused():
    with pytest.raises(SummaryError, match=r"^out/q/2025-01-01/summary.json: not JSON"):
        Summary.from_json('{"as_of": ', source="out/q/2025-01-01/summary.json")


@pytest.mark.unreadable_summaries
def test_a_malformed_summary_in_out_is_treated_as_absent_by_the_index_and_the_next_report(tmp_path):
    out = tmp_path / "out"
    good = out / EXAMPLE / "2025-01-15"
    Report.load(EXAMPLE, as_of="2025-01-15", data_dir=DATA, draws=50).write_summary(good / "summary.json")
    bad = out / EXAMPLE / "2025-02-01" / "summary.json"
    bad.parent.mkdir(parents=True)
    broken = json.loads((good / "summary.json").read_text()) | {
        "as_of": "2025-02-01",
        "probabilities": "high",
    }
    bad.write_text(json.dumps(broken), encoding="utf-8")
    (bad.parent / "report.html").write_text("<p>a report</p>")
    assert read_summary(bad) is None
    assert previous_summary(out, EXAMPLE, date(2025, 2, 20)).as_of == "2025-01-15"
    page = index_page(out)
    assert f'href="{EXAMPLE}/2025-01-15/report.html"' in page and "2025-02-01/report.html" not in page


# --------------------------------------------------------------------------- version 0


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.summary.json")), ids=lambda p: p.name)
def test_a_summary_without_schema_version_is_read_as_version_0(golden):
    old = version_0(golden.read_text(encoding="utf-8"))
    s = Summary.from_json(old)
    assert s.schema_version == 0
    kept = {k: v for k, v in json.loads(old).items() if k != "previous"}  # one level, as always
    assert s.as_dict() == kept | {"schema_version": 0}  # kept as it was, nothing invented
    assert s.probabilities == json.loads(old)["probabilities"]


def test_a_version_0_summary_with_only_its_date_and_probabilities_reads_with_what_absence_stood_for():
    s = Summary.from_json('{"as_of": "2025-01-01", "probabilities": {"a": 0.3, "b": 0.7}}', question="q")
    assert (s.question, s.title, s.leading, s.evidence_ids, s.moves, s.stale) == (
        "q",
        "q",
        "b",
        (),
        None,
        False,
    )
    assert s.as_dict() == {"schema_version": 0, "as_of": "2025-01-01", "probabilities": {"a": 0.3, "b": 0.7}}


def test_a_version_0_summary_without_probabilities_is_refused():
    with pytest.raises(SummaryError, match=r"probabilities: missing"):
        Summary.from_json('{"as_of": "2025-01-01"}')


def test_a_report_after_an_upgrade_compares_with_the_last_summary_written_before_it(tmp_path):
    out = tmp_path / "out"
    folder = out / EXAMPLE / "2025-01-15"
    earlier = Report.load(EXAMPLE, as_of="2025-01-15", data_dir=DATA, draws=50)
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(version_0(earlier.summary_record().to_json()), encoding="utf-8")
    now = Report.load(EXAMPLE, as_of=AS_OF, data_dir=DATA, reports_dir=out, draws=50)
    assert now.previous is not None and now.previous.schema_version == 0
    moves = {
        s: (p - earlier.assessment.probabilities[s]) * 100 for s, p in now.assessment.probabilities.items()
    }
    assert now.moves == pytest.approx(moves, abs=1e-12)
    ids_then = {e.row.id for e in earlier.assessment.audit if e.effect is not None}
    ids_now = [e.row.id for e in now.assessment.audit if e.effect is not None]
    assert list(now.changes.evidence_added) == [i for i in ids_now if i not in ids_then]
    written = json.loads(now.summary_record().to_json())
    assert written["previous"]["schema_version"] == 0 and written["previous"]["as_of"] == "2025-01-15"
    assert Summary.from_json(now.summary_record().to_json()) == now.summary_record()


def test_a_summary_of_version_0_is_shown_on_the_index(tmp_path):
    out = tmp_path / "out"
    folder = out / EXAMPLE / AS_OF
    folder.mkdir(parents=True)
    shutil.copy(GOLDEN / f"{EXAMPLE}-{AS_OF}.summary.json", folder / "summary.json")
    (folder / "summary.json").write_text(version_0((folder / "summary.json").read_text()), encoding="utf-8")
    page = index_page(out)
    assert f'href="{EXAMPLE}/{AS_OF}/report.html"' in page and "Russia" in page
