"""Loading and validating question files and evidence logs.

Every problem names its file and line, prints as ``FILE:LINE: message``, and says
what was expected. The inline files below carry their line numbers so that a
reader can check each located message by eye.
"""

from __future__ import annotations

import tracemalloc
import uuid
from datetime import date
from pathlib import Path
from textwrap import dedent

import pytest

from forecast import (
    EvidenceFileError,
    Problem,
    QuestionFileError,
    load_evidence,
    load_question,
    validate_data,
)
from forecast.errors import display_path
from forecast.inputs.evidence import EVIDENCE_COLUMNS
from forecast.inputs.safe_yaml import MAX_FILE_BYTES

# Comments after each line give its number; YAML ignores them.
QUESTION = dedent("""\
    id: q                                     # 1
    title: Rain in Lisbon                     # 2
    question: Will it rain on the day?        # 3
    opened: 2025-01-01                        # 4
    closes: 2025-12-31                        # 5
    scenarios:                                # 6
      rain:                                   # 7
        name: It rains                        # 8
        prior: 0.6                            # 9
      dry:                                    # 10
        name: It stays dry                    # 11
        prior: 0.4                            # 12
    indicators:                               # 13
      clouds:                                 # 14
        text: Clouds gather in the west       # 15
        signals: rain                         # 16
        likelihood:                           # 17
          rain: 0.8                           # 18
          dry: 0.3                            # 19
      wind:                                   # 20
        text: A dry east wind                 # 21
        signals: dry                          # 22
        likelihood: {rain: 0.2, dry: [0.5, 0.7]}  # 23
    """)

HEADER = "id,date,indicator,observed,source,reliability,credibility,url,summary\n"
TODAY = date(2025, 6, 1)


def edit(old: str, new: str) -> str:
    """QUESTION with its one occurrence of ``old`` replaced by ``new``."""
    assert QUESTION.count(old) == 1, old
    return QUESTION.replace(old, new)


def question_problems(path: Path) -> tuple[Problem, ...]:
    """Every problem load_question raises for ``path`` (and that it raises)."""
    with pytest.raises(QuestionFileError) as caught:
        load_question(path)
    return caught.value.problems


def the_error(problems: tuple[Problem, ...], path: Path) -> Problem:
    """The one error among ``problems``, checked to name ``path``."""
    errors = [p for p in problems if p.is_error]
    assert len(errors) == 1, [str(p) for p in problems]
    assert errors[0].path == display_path(path)
    return errors[0]


def question_error(path: Path) -> Problem:
    return the_error(question_problems(path), path)


def evidence_error(make_question, csv_text: str | bytes) -> Problem:
    question_file, evidence_file = make_question(QUESTION, csv_text)
    with pytest.raises(EvidenceFileError) as caught:
        load_evidence(evidence_file, load_question(question_file), today=TODAY)
    return the_error(caught.value.problems, evidence_file)


def load_log(make_question, csv_text: str | bytes):
    question_file, evidence_file = make_question(QUESTION, csv_text)
    return load_evidence(evidence_file, load_question(question_file), today=TODAY)


# --------------------------------------------------------------------------- a valid question


def test_valid_question_loads_without_warnings(make_question):
    path, _ = make_question(QUESTION)
    question = load_question(path)
    assert question.scenario_ids == ("rain", "dry")
    assert question.indicator_ids == ("clouds", "wind")
    assert question.warnings == ()


def test_range_likelihood_is_kept_and_counts_at_its_midpoint(make_question):
    path, _ = make_question(QUESTION)
    wind = load_question(path).indicator("wind")
    assert wind.ranges == {"dry": (0.5, 0.7)}
    assert wind.likelihood == pytest.approx({"rain": 0.2, "dry": 0.6})


def test_problem_prints_as_file_line_message(make_question):
    path, _ = make_question(edit("rain: 0.8", "rain: 0"))
    assert str(question_error(path)) == (
        f"{display_path(path)}:18: indicators.clouds.likelihood.rain: "
        "expected a probability strictly between 0 and 1, got 0"
    )


def test_problem_about_a_whole_file_prints_without_a_line():
    problem = Problem("questions/q.yaml", 0, "file is too big")
    assert str(problem) == "questions/q.yaml: file is too big"


def test_warning_prints_marked_as_a_warning():
    problem = Problem("questions/q.yaml", 7, "odd", "warning")
    assert str(problem) == "questions/q.yaml:7: warning: odd"


# --------------------------------------------------------------------------- YAML that cannot be read


def test_yaml_syntax_error_is_located(make_question):
    path, _ = make_question(edit("title: Rain in Lisbon", "title: [Rain in Lisbon"))
    error = question_error(path)
    assert error.line == 3  # where the parser finds the unclosed '[' cannot go on
    assert "YAML syntax error" in error.message
    assert "expected ',' or ']'" in error.message


def test_tab_indentation_is_refused_on_its_line(make_question):
    path, _ = make_question(edit("    name: It rains", "\tname: It rains"))
    error = question_error(path)
    assert error.line == 8
    assert "tab character" in error.message and "spaces" in error.message


def test_empty_file_is_refused(make_question):
    path, _ = make_question("")
    error = question_error(path)
    assert error.line == 1
    assert "file is empty; expected a mapping" in error.message


def test_list_at_the_top_is_refused(make_question):
    path, _ = make_question("- rain\n- dry\n")
    error = question_error(path)
    assert error.line == 1
    assert "expected a mapping (key: value) at the top, found a list" in error.message


def test_non_utf8_question_file_is_refused_on_its_line(make_question):
    path, _ = make_question(edit("Rain in Lisbon", "Chuva em Bel\xe9m").encode("latin-1"))
    error = question_error(path)
    assert error.line == 2
    assert "byte 0xe9 is not UTF-8" in error.message


# --------------------------------------------------------------------------- keys


def test_unknown_key_is_a_warning_naming_it(make_question):
    path, _ = make_question(edit("    likelihood:  ", "    likelyhood: {rain: 0.9}\n    likelihood:  "))
    question = load_question(path)
    [warning] = question.warnings
    assert (warning.severity, warning.line) == ("warning", 17)
    assert "unknown key 'indicators.clouds.likelyhood' is ignored" in warning.message
    assert "expected one of group, likelihood, look_for, signals, text, tripwire, window" in warning.message


def test_misspelt_key_is_warned_about_and_the_missing_one_is_an_error(make_question):
    path, _ = make_question(edit("likelihood:  ", "likelyhood:  "))
    problems = question_problems(path)
    assert [(p.line, p.severity) for p in problems] == [(17, "warning"), (14, "error")]
    assert "'indicators.clouds.likelyhood'" in problems[0].message
    assert problems[1].message == "indicators.clouds.likelihood: required field is missing"


def test_duplicate_key_is_refused(make_question):
    path, _ = make_question(edit("title: Rain in Lisbon", "title: Rain in Lisbon\ntitle: Rain in Porto"))
    error = question_error(path)
    assert error.line == 3
    assert error.message == "duplicate key 'title'"


# --------------------------------------------------------------------------- id and dates


def test_id_must_equal_the_file_name_stem(make_question):
    path, _ = make_question(QUESTION, question_id="lisbon-rain")
    error = question_error(path)
    assert error.line == 1
    assert error.message == "id 'q' must equal the file name's stem 'lisbon-rain'"


def test_id_must_be_a_slug(make_question):
    path, _ = make_question(edit("id: q ", "id: Q_1 "))
    error = question_error(path)
    assert error.line == 1
    assert "id 'Q_1' is not a slug (lower-case letters, digits and '-'" in error.message


def test_date_that_does_not_exist_is_refused(make_question):
    path, _ = make_question(edit("opened: 2025-01-01", "opened: 2025-02-30"))
    error = question_error(path)
    assert error.line == 4
    assert error.message.startswith("opened: '2025-02-30' is not a date that exists")


def test_date_must_be_written_as_iso(make_question):
    path, _ = make_question(edit("opened: 2025-01-01", "opened: 1/1/2025"))
    error = question_error(path)
    assert error.line == 4
    assert "expected a date as YYYY-MM-DD" in error.message


def test_closes_before_opened_is_refused(make_question):
    path, _ = make_question(edit("closes: 2025-12-31", "closes: 2024-12-31"))
    error = question_error(path)
    assert error.line == 5
    assert error.message == "closes 2024-12-31 is before opened 2025-01-01"


# --------------------------------------------------------------------------- scenarios and priors


def test_missing_prior_is_located_at_its_scenario(make_question):
    path, _ = make_question(edit("    prior: 0.6  ", "    pryor: 0.6  "))
    problems = question_problems(path)
    error = the_error(problems, path)
    assert error.line == 7
    assert error.message == "scenarios.rain.prior: required field is missing"


@pytest.mark.parametrize("prior", ["0", "-0.2", "1.5", "likely"])
def test_prior_must_be_a_probability_above_zero(make_question, prior):
    path, _ = make_question(edit("prior: 0.6", f"prior: {prior}"))
    error = question_error(path)
    assert error.line == 9
    assert error.message.startswith("scenarios.rain.prior: expected a prior probability greater than 0")


def test_priors_must_sum_to_one(make_question):
    path, _ = make_question(edit("prior: 0.6", "prior: 0.7"))
    error = question_error(path)
    assert error.line == 6
    assert error.message.startswith("priors sum to 1.1; expected 1")


def test_fewer_than_two_scenarios_is_refused(make_question):
    path, _ = make_question(
        dedent("""\
            id: q
            title: Rain in Lisbon
            question: Will it rain on the day?
            opened: 2025-01-01
            closes: 2025-12-31
            scenarios:
              rain: {name: It rains, prior: 1.0}
            indicators:
              clouds: {text: Clouds, signals: rain, likelihood: {rain: 0.8}}
            """)
    )
    error = question_error(path)
    assert error.line == 6
    assert error.message == "expected 2 to 12 scenarios, found 1"


def test_more_than_twelve_scenarios_is_refused(make_question):
    scenarios = "".join(f"  s{k}: {{name: S{k}, prior: {1 / 13!r}}}\n" for k in range(13))
    likelihood = ", ".join(f"s{k}: {0.05 + k / 20:.2f}" for k in range(13))
    path, _ = make_question(
        dedent("""\
            id: q
            title: Many
            question: Which?
            opened: 2025-01-01
            closes: 2025-12-31
            scenarios:
            """)
        + scenarios
        + f"indicators:\n  x: {{text: X, signals: s12, likelihood: {{{likelihood}}}}}\n"
    )
    error = question_error(path)
    assert error.line == 6
    assert error.message == "expected 2 to 12 scenarios, found 13"


# --------------------------------------------------------------------------- likelihoods and signals


@pytest.mark.parametrize("value", ["0", "1", "1.2", "-0.1", "high"])
def test_likelihood_must_be_strictly_between_0_and_1(make_question, value):
    path, _ = make_question(edit("rain: 0.8", f"rain: {value}"))
    error = question_error(path)
    assert error.line == 18
    assert error.message.startswith(
        "indicators.clouds.likelihood.rain: expected a probability strictly between 0 and 1"
    )


def test_likelihood_range_must_have_low_before_high(make_question):
    path, _ = make_question(edit("dry: [0.5, 0.7]", "dry: [0.7, 0.5]"))
    error = question_error(path)
    assert error.line == 23
    assert "indicators.wind.likelihood.dry: range [0.7, 0.5] has low > high; expected [low, high]" in (
        error.message
    )


def test_likelihood_missing_a_scenario_is_refused(make_question):
    path, _ = make_question(edit("      dry: 0.3 ", "      # dry: 0.3 "))
    error = question_error(path)
    assert error.line == 17
    assert error.message == "likelihood has no value for scenario dry"


def test_likelihood_naming_an_unknown_scenario_is_refused(make_question):
    path, _ = make_question(edit("      dry: 0.3 ", "      dry: 0.3\n      snow: 0.1 "))
    error = question_error(path)
    assert error.line == 20
    assert error.message == "likelihood names 'snow', which is not a scenario; expected rain, dry"


def test_signals_must_name_a_scenario(make_question):
    path, _ = make_question(edit("signals: rain", "signals: snow"))
    error = question_error(path)
    assert error.line == 16
    assert error.message == "signals 'snow' is not a scenario; expected one of rain, dry"


def test_resolution_must_name_a_scenario(make_question):
    path, _ = make_question(QUESTION + "resolution:\n  scenario: snow\n  date: 2025-06-01\n")
    error = question_error(path)
    assert error.line == 25
    assert error.message == "resolution scenario 'snow' is not a scenario; expected one of rain, dry"


# --------------------------------------------------------------------------- lint warnings


def test_warns_when_an_indicator_favours_another_scenario_than_it_signals(make_question):
    path, _ = make_question(edit("signals: rain", "signals: dry"))
    [warning] = load_question(path).warnings
    assert warning.line == 14
    assert (
        warning.message == "indicator 'clouds' signals 'dry' but favours 'rain' (likelihood 0.8 against 0.3)"
    )


def test_warns_when_an_indicator_is_nearly_non_diagnostic(make_question):
    path, _ = make_question(edit("rain: 0.8", "rain: 0.34"))
    [warning] = load_question(path).warnings
    assert warning.line == 14
    assert "indicator 'clouds' is nearly non-diagnostic" in warning.message
    assert "within 0.05" in warning.message


# --------------------------------------------------------------------------- hostile files


def test_python_object_tag_is_refused_and_not_run(make_question, tmp_path):
    marker = tmp_path / f"pwned-{uuid.uuid4().hex}"
    path, _ = make_question(
        edit("title: Rain in Lisbon", f'title: !!python/object/apply:os.system ["touch {marker}"]')
    )
    error = question_error(path)
    assert error.line == 2
    assert "python/object/apply:os.system" in error.message
    assert "is not allowed" in error.message
    assert not marker.exists()


def test_alias_bomb_is_refused_without_expanding_it(make_question):
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 9)}]" for k in range(1, 10)]
    path, _ = make_question("\n".join(levels) + "\n")
    tracemalloc.start()
    try:
        error = question_error(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20  # nine levels of nine-fold aliases expanded would be gigabytes
    assert "alias" in error.message


def test_deep_nesting_is_refused(make_question):
    path, _ = make_question("id: " + "[" * 10_000 + "\n")
    error = question_error(path)
    assert error.line == 1
    assert "nesting deeper than" in error.message


def test_file_over_one_mebibyte_is_refused_by_its_size(make_question):
    path, _ = make_question(QUESTION + "# padding\n" * (MAX_FILE_BYTES // 10))
    error = question_error(path)
    assert error.line == 0
    assert error.message == f"file is {path.stat().st_size:,} bytes; the limit is 1,048,576"


# --------------------------------------------------------------------------- evidence logs


def test_evidence_rows_load_in_file_order_with_their_lines(make_question):
    log = load_log(
        make_question,
        HEADER
        + "e1,2025-02-01,clouds,yes,Met office,A,1,https://example.org/1,Dark clouds\n"
        + "e2,2025-02-03,wind,no,Harbour log,B,2,,No east wind\n",
    )
    assert [(r.id, r.line, r.indicator, r.observed, r.grade) for r in log.rows] == [
        ("e1", 2, "clouds", True, "A1"),
        ("e2", 3, "wind", False, "B2"),
    ]
    assert log.warnings == ()


def test_missing_evidence_file_is_an_empty_log(make_question):
    question_file, evidence_file = make_question(QUESTION)
    log = load_evidence(evidence_file, load_question(question_file), today=TODAY)
    assert (log.rows, log.warnings) == ((), ())


def test_missing_required_column_is_named(make_question):
    error = evidence_error(make_question, "id,date,indicator,source,reliability,credibility\n")
    assert error.line == 1
    assert error.message.startswith("missing required column 'observed'; the header has id, date,")


def test_unterminated_quote_is_located_at_its_record(make_question):
    error = evidence_error(
        make_question,
        HEADER
        + "e1,2025-02-01,clouds,yes,Met office,A,1,,fine\n"
        + 'e2,2025-02-02,clouds,yes,"Met office,A,1,,never closed\n'
        + "e3,2025-02-03,clouds,yes,Met office,A,1,,fine\n",
    )
    assert error.line == 3
    assert "a quoted field is never closed; expected a closing double quote" in error.message


def test_row_with_too_few_fields_is_refused(make_question):
    error = evidence_error(make_question, HEADER + "e1,2025-02-01,clouds,yes,Met office,A\n")
    assert error.line == 2
    assert error.message == "expected 9 fields as in the header, found 6"


@pytest.mark.parametrize(
    ("grade", "message"),
    [
        ("G,1", "reliability 'G' is not an Admiralty grade (A-F)"),
        ("A,7", "credibility '7' is not an Admiralty grade (1-6)"),
    ],
)
def test_grade_outside_the_admiralty_scale_is_refused(make_question, grade, message):
    error = evidence_error(make_question, HEADER + f"e1,2025-02-01,clouds,yes,Met office,{grade},,\n")
    assert (error.line, error.message) == (2, message)


def test_lower_case_reliability_is_accepted_as_upper_case(make_question):
    log = load_log(make_question, HEADER + "e1,2025-02-01,clouds,yes,Met office,b,2,,\n")
    assert log.rows[0].reliability == "B"
    assert log.rows[0].grade == "B2"


def test_observed_must_be_yes_or_no(make_question):
    error = evidence_error(make_question, HEADER + "e1,2025-02-01,clouds,maybe,Met office,A,1,,\n")
    assert error.line == 2
    assert error.message == "observed 'maybe' must be 'yes' (seen) or 'no' (looked for, not seen)"


def test_duplicate_id_names_the_line_of_its_first_use(make_question):
    error = evidence_error(
        make_question,
        HEADER + "e1,2025-02-01,clouds,yes,Met office,A,1,,\n" + "e1,2025-02-02,wind,no,Harbour log,B,2,,\n",
    )
    assert error.line == 3
    assert error.message == "id 'e1' is already used on line 2; ids must be unique"


def test_unknown_indicator_is_refused(make_question):
    error = evidence_error(make_question, HEADER + "e1,2025-02-01,fog,yes,Met office,A,1,,\n")
    assert error.line == 2
    assert error.message == "indicator 'fog' is not in the question's checklist; expected one of clouds, wind"


def test_date_that_does_not_exist_in_a_log_is_refused(make_question):
    error = evidence_error(make_question, HEADER + "e1,2025-02-30,clouds,yes,Met office,A,1,,\n")
    assert error.line == 2
    assert error.message.startswith("date: '2025-02-30' is not a date that exists")


def test_non_utf8_byte_is_located_on_its_line(make_question):
    text = (
        HEADER + "e1,2025-02-01,clouds,yes,Met office,A,1,,\n" + "e2,2025-02-02,wind,no,Bel\xe9m port,B,2,,\n"
    )
    error = evidence_error(make_question, text.encode("latin-1"))
    assert error.line == 3
    assert error.message == "byte 0xe9 is not UTF-8; save the file as UTF-8"


def test_byte_order_mark_is_accepted(make_question):
    log = load_log(make_question, "\ufeff" + HEADER + "e1,2025-02-01,clouds,yes,Met office,A,1,,\n")
    assert [(r.id, r.line) for r in log.rows] == [("e1", 2)]


def test_blank_lines_are_ignored_and_later_lines_keep_their_numbers(make_question):
    text = (
        HEADER  # 1
        + "\n"  # 2
        + "e1,2025-02-01,clouds,yes,Met office,A,1,,\n"  # 3
        + "\n"  # 4
        + "\n"  # 5
        + "e2,2025-02-02,wind,no,Harbour log,G,2,,\n"  # 6
    )
    error = evidence_error(make_question, text)
    assert (error.line, error.message) == (6, "reliability 'G' is not an Admiralty grade (A-F)")


def test_windows_line_endings_are_accepted(make_question):
    text = (
        HEADER
        + "e1,2025-02-01,clouds,yes,Met office,A,1,,Dark\n"
        + "e2,2025-02-02,wind,no,Harbour log,B,2,,Calm\n"
    )
    log = load_log(make_question, text.replace("\n", "\r\n"))
    assert [(r.id, r.line, r.summary) for r in log.rows] == [("e1", 2, "Dark"), ("e2", 3, "Calm")]


def test_multi_line_summary_keeps_the_next_rows_line_number(make_question):
    text = (
        HEADER  # 1
        + 'e1,2025-02-01,clouds,yes,Met office,A,1,,"Dark clouds,\n'  # 2
        + "then thunder,\n"  # 3
        + 'then rain"\n'  # 4
        + "e2,2025-02-02,wind,no,Harbour log,B,9,,\n"  # 5
    )
    error = evidence_error(make_question, text)
    assert (error.line, error.message) == (5, "credibility '9' is not an Admiralty grade (1-6)")


def test_multi_line_summary_is_kept_whole(make_question):
    text = HEADER + 'e1,2025-02-01,clouds,yes,Met office,A,1,,"Dark clouds,\nthen rain"\n'
    [row] = load_log(make_question, text).rows
    assert (row.line, row.summary) == (2, "Dark clouds,\nthen rain")


def test_extra_columns_are_kept_with_a_warning_naming_them(make_question):
    log = load_log(
        make_question,
        HEADER.replace("summary", "summary,analyst") + "e1,2025-02-01,clouds,yes,Met office,A,1,,,jo\n",
    )
    assert log.extra_columns == ("analyst",)
    assert log.rows[0].extra == {"analyst": "jo"}
    [warning] = log.warnings
    assert (warning.severity, warning.line) == ("warning", 1)
    assert "column 'analyst' is not one the suite uses; it is kept and shown" in warning.message


def test_row_dated_before_the_question_opened_is_a_warning(make_question):
    log = load_log(make_question, HEADER + "e1,2024-12-31,clouds,yes,Met office,A,1,,\n")
    assert len(log.rows) == 1
    [warning] = log.warnings
    assert (warning.severity, warning.line) == ("warning", 2)
    assert warning.message == "dated 2024-12-31, before the question opened on 2025-01-01"


def test_row_dated_after_today_is_a_warning(make_question):
    log = load_log(make_question, HEADER + "e1,2025-06-02,clouds,yes,Met office,A,1,,\n")
    assert len(log.rows) == 1
    [warning] = log.warnings
    assert (warning.severity, warning.line) == ("warning", 2)
    assert warning.message == "dated 2025-06-02, after today (2025-06-01)"


# --------------------------------------------------------------------------- a data folder


def test_bundled_example_loads_without_warnings(bundled_data):
    question = load_question(bundled_data / "questions" / "russia-syria-bases.yaml")
    log = load_evidence(bundled_data / "evidence" / "russia-syria-bases.csv", question)
    assert question.warnings == ()
    assert log.warnings == ()
    assert len(log.rows) > 0


def test_bundled_data_validates_clean(bundled_data):
    assert validate_data(bundled_data) == []


def test_validate_data_flags_an_evidence_log_without_a_question(make_question, tmp_path):
    make_question(QUESTION, HEADER)
    orphan = tmp_path / "evidence" / "snow.csv"
    orphan.write_text(HEADER)
    [problem] = validate_data(tmp_path, today=TODAY)
    assert (problem.path, problem.line, problem.is_error) == (display_path(orphan), 0, True)
    assert problem.message == "no question file questions/snow.yaml for this log"


def test_validate_data_sorts_problems_by_file_then_line(make_question, tmp_path):
    # p: a warning in the question file and one in its log; q: a warning after an error in the file.
    make_question(
        edit("id: q ", "id: p ").replace("rain: 0.8", "rain: 0.34"),
        HEADER + "e1,2025-07-01,clouds,yes,Met office,A,1,,\n",
        question_id="p",
    )
    make_question(edit("likelihood:  ", "likelyhood:  "), question_id="q")
    (tmp_path / "evidence" / "snow.csv").write_text(HEADER)
    problems = validate_data(tmp_path, today=TODAY)
    assert [(Path(p.path).name, p.line, p.severity) for p in problems] == [
        ("p.yaml", 14, "warning"),
        ("p.csv", 2, "warning"),
        ("q.yaml", 14, "error"),
        ("q.yaml", 17, "warning"),
        ("snow.csv", 0, "error"),
    ]


# --------------------------------------------------------------------------- every row read as evidence_row reads it


def parse_row_by_row(text: str, question, where, today: date):
    """The log as read when every row goes through ``evidence_row``: what the quick read must equal."""
    from forecast.inputs.evidence import csv_records, evidence_row
    from forecast.model import EvidenceLog

    records = iter(csv_records(text, where))
    _, header = next(records)
    header = [h.strip() for h in header]
    extra = tuple(h for h in header if h not in EVIDENCE_COLUMNS and h)
    for name in extra:
        where.warn(1, f"column {name!r} ...")
    rows, first_seen, indicators = [], {}, set(question.indicator_ids)
    for line, fields in records:
        if len(fields) != len(header):
            where.error(line, f"expected {len(header)} fields as in the header, found {len(fields)}")
            continue
        row = evidence_row(
            dict(zip(header, map(str.strip, fields))),
            line,
            question,
            indicators,
            first_seen,
            where,
            today,
            extra,
        )
        if row is not None:
            rows.append(row)
    if where.has_errors:
        raise EvidenceFileError(where.problems)
    return EvidenceLog(rows=tuple(rows), path=where.path, extra_columns=extra, warnings=tuple(where.problems))


#: Cells a row may hold, most of them fine, the others each a problem or a warning.
CELLS = {
    "id": ["", "=cmd", "'quoted", " padded "],
    "date": ["2024-12-30", "2025-13-01", "1 May", "2025-07-01", " 2025-03-03 "],
    "indicator": ["fog", " wind "],
    "observed": ["Yes", "NO", "maybe", ""],
    "source": ["", "+x", "@who", "Met office "],
    "reliability": ["a", "b", "G", "", " C"],
    "credibility": ["0", "7", "x", "1.0", " 2"],
    "url": ["ftp://x", "HTTPS://x.org", "-x", "www.x.org"],
    "summary": ["=1+1", "\tindented", "fine, quoted"],
    "note": ["=sum()", "kept"],
}


@pytest.mark.parametrize("extra", [False, True])
@pytest.mark.parametrize("seed", range(8))
def test_the_quick_read_of_a_row_gives_the_rows_and_problems_of_reading_every_row_in_full(seed, extra):
    import csv as csv_module
    import io
    import random

    from forecast.inputs.evidence import parse_evidence
    from forecast.inputs.safe_yaml import Located

    rng = random.Random(seed)
    columns = [*EVIDENCE_COLUMNS, *(["note"] if extra else [])]
    buffer = io.StringIO()
    writer = csv_module.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for k in range(300):
        cells = {
            "id": f"e{rng.randrange(400)}",
            "date": f"2025-{rng.randint(1, 5):02d}-{rng.randint(1, 28):02d}",
            "indicator": rng.choice(["clouds", "wind"]),
            "observed": rng.choice(["yes", "no"]),
            "source": f"Source {k}",
            "reliability": rng.choice("ABCDEF"),
            "credibility": str(rng.randint(1, 6)),
            "url": rng.choice(["", "https://example.org/a", "http://x"]),
            "summary": rng.choice(["", "Report."]),
            "note": "",
        }
        if rng.random() < 0.3:  # one cell off
            name = rng.choice([c for c in columns])
            cells[name] = rng.choice(CELLS[name])
        if rng.random() < 0.02:
            writer.writerow([])  # a blank line
        fields = [cells[c] for c in columns]
        writer.writerow(fields if rng.random() > 0.01 else fields[:-1])
    text = buffer.getvalue()
    question = load_question_text()
    read = []
    for parse in (parse_evidence, parse_row_by_row):
        where = Located("log.csv")
        try:
            log = parse(text, question, where, TODAY)
            read.append((log.rows, [p for p in log.warnings if p.line > 1]))
        except EvidenceFileError as exc:
            read.append(("refused", [p for p in exc.problems if p.line > 1]))
    assert read[0] == read[1]
    # And so for a log with nothing wrong in it: every row read quickly.
    fine = ["e1", "2025-02-01", "clouds", "yes", "Met office", "A", "1", "", "", *([""] if extra else [])]
    good = ",".join(columns) + "\n" + ",".join(fine) + "\n"
    assert parse_evidence(good, question, Located("log.csv"), TODAY).rows[0].grade == "A1"


def load_question_text():
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "q.yaml"
        path.write_text(QUESTION, encoding="utf-8")
        return load_question(path)
