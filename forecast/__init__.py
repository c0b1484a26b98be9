"""forecast: scenario forecasts that stay honest as evidence arrives.

A question is a set of mutually exclusive, exhaustive scenarios with priors and
an indicator checklist; evidence is a dated, graded log of indicators seen or
confirmed absent. This package loads and validates both, updates the scenario
probabilities by Bayes' rule, and explains every move.

The public names below are imported on first use (PEP 562), so ``import
forecast`` costs almost nothing and ``forecast validate`` never loads numpy;
matplotlib, papermill and nbconvert are imported only by the modules that draw
or run notebooks, and Airflow only by :mod:`forecast.airflow` (an optional extra).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "ArgumentError",
    "Assessment",
    "AuditEntry",
    "CalibrationFileError",
    "ChecklistItem",
    "EvidenceFileError",
    "EvidenceLog",
    "EvidenceRow",
    "EvidenceWriteError",
    "ForecastError",
    "Group",
    "InboxError",
    "Indicator",
    "IndicatorState",
    "InvalidInputError",
    "Judgment",
    "JudgmentFileError",
    "LinkInOut",
    "LockTimeoutError",
    "OutputFolderError",
    "OutsideForecastFileError",
    "Problem",
    "Question",
    "QuestionFileError",
    "QuestionOutcome",
    "Resolution",
    "RunError",
    "Scenario",
    "SourceError",
    "SourcesFileError",
    "SummaryError",
    "TeamForecast",
    "Trajectory",
    "__version__",
    "assess",
    "brier_score",
    "evidence_path",
    "history",
    "load_evidence",
    "load_judgments",
    "load_outside_forecasts",
    "load_question",
    "log_pool",
    "log_score",
    "posterior_as_of",
    "probability_words",
    "question_ids",
    "question_path",
    "run_question",
    "trajectory",
    "validate_data",
]

# Where each public name is defined; it is imported from there on first use.
_MODULE_OF = {
    name: module
    for module, names in {
        "engine": ("AuditEntry", "ChecklistItem", "IndicatorState", "Trajectory", "posterior_as_of",
                   "trajectory"),
        "assessment": ("Assessment", "assess"),
        "errors": ("ArgumentError", "CalibrationFileError", "EvidenceFileError", "EvidenceWriteError", "ForecastError", "InvalidInputError",
                   "JudgmentFileError", "LinkInOut", "LockTimeoutError", "OutputFolderError", "OutsideForecastFileError", "Problem",
                   "QuestionFileError", "RunError"),
        "publish.summary": ("SummaryError",),
        "inbox": ("InboxError", "SourceError", "SourcesFileError"),
        "schedule.job": ("QuestionOutcome", "run_question"),
        "inputs.judgments": ("Judgment", "load_judgments"),
        "inputs.outside": ("load_outside_forecasts",),
        "engine.pool": ("log_pool",),
        "analysis.scoring": ("brier_score", "log_score"),
        "team": ("TeamForecast",),
        "inputs.evidence": ("load_evidence",),
        "inputs.questions": ("load_question",),
        "inputs.validate": ("evidence_path", "question_ids", "question_path", "validate_data"),
        "model": ("EvidenceLog", "EvidenceRow", "Group", "Indicator", "Question", "Resolution", "Scenario"),
        "words": ("probability_words",),
        "record": ("history",),
    }.items()
    for name in names
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("forecast")
        except PackageNotFoundError:  # a source tree that is not installed
            value = "0+unknown"
    elif name in _MODULE_OF:
        value = getattr(import_module(f".{_MODULE_OF[name]}", __name__), name)
    else:
        raise AttributeError(f"module 'forecast' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
