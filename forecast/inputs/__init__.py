"""Inputs: question files, evidence logs, analysts' judgments and outside forecasts, validated.

Nothing here executes anything from a file, and every problem is located as
``FILE:LINE: what was expected``:

- :mod:`.safe_yaml` reads YAML safely, with each value's line (no tags, no aliases, YAML 1.2 plain values);
- :mod:`.questions` checks a question file against its schema and lints it;
- :mod:`.evidence` is the one reader of evidence logs (``validate``, ``run`` and ``evidence add`` alike);
- :mod:`.append` appends one validated row to a log, atomically, under the log's own lock;
- :mod:`.judgments` and :mod:`.outside` read an analyst team's files and outside forecasts;
- :mod:`.validate` finds a data folder's files by id and checks them all.
"""

from __future__ import annotations

from .evidence import (
    EVIDENCE_COLUMNS,
    FORMULA_PREFIXES,
    MAX_EVIDENCE_BYTES,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    csv_records,
    evidence_row,
    load_evidence,
    parse_evidence,
    read_evidence_file,
    read_evidence_rows,
)
from .judgments import (
    ANALYST_NAME,
    Judgment,
    JudgmentKey,
    changed_keys,
    check_judgments,
    describe_judgment,
    judgment_paths,
    judgments_dir,
    load_judgment,
    load_judgments,
    load_team_inputs,
    overlay,
    question_value,
)
from .outside import (
    ROW_TOLERANCE,
    OutsideForecast,
    OutsideForecasts,
    check_outside_forecasts,
    forecasts_path,
    load_outside_forecasts,
)
from .questions import (
    PRIOR_TOLERANCE,
    QUESTION_ID,
    check_iso_date,
    check_likelihood,
    check_prior,
    load_question,
)
from .safe_yaml import MAX_FILE_BYTES, Located, decode_utf8, read_regular_file, read_yaml_mapping
from .validate import evidence_path, load_by_id, parse_as_of, question_ids, question_path, validate_data

__all__ = [
    "ANALYST_NAME",
    "EVIDENCE_COLUMNS",
    "FORMULA_PREFIXES",
    "MAX_EVIDENCE_BYTES",
    "MAX_FILE_BYTES",
    "OPTIONAL_COLUMNS",
    "PRIOR_TOLERANCE",
    "QUESTION_ID",
    "REQUIRED_COLUMNS",
    "ROW_TOLERANCE",
    "Judgment",
    "JudgmentKey",
    "Located",
    "OutsideForecast",
    "OutsideForecasts",
    "changed_keys",
    "check_iso_date",
    "check_judgments",
    "check_likelihood",
    "check_outside_forecasts",
    "check_prior",
    "csv_records",
    "decode_utf8",
    "describe_judgment",
    "evidence_path",
    "evidence_row",
    "forecasts_path",
    "judgment_paths",
    "judgments_dir",
    "load_by_id",
    "load_evidence",
    "load_judgment",
    "load_judgments",
    "load_outside_forecasts",
    "load_question",
    "load_team_inputs",
    "overlay",
    "parse_as_of",
    "parse_evidence",
    "question_ids",
    "question_path",
    "question_value",
    "read_evidence_file",
    "read_evidence_rows",
    "read_regular_file",
    "read_yaml_mapping",
    "validate_data",
]
