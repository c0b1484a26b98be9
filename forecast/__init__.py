"""forecast: scenario forecasts that stay honest as evidence arrives.

A question is a set of mutually exclusive, exhaustive scenarios with priors and
an indicator checklist; evidence is a dated, graded log of indicators seen or
confirmed absent. This package loads and validates both, updates the scenario
probabilities by Bayes' rule, and explains every move.

Heavy libraries (matplotlib, papermill, nbconvert) are imported only by the
modules that draw or run notebooks, so ``import forecast`` stays light.
"""

from importlib.metadata import PackageNotFoundError, version

from .engine import (
    Assessment,
    AuditEntry,
    ChecklistItem,
    IndicatorState,
    Trajectory,
    assess,
    posterior_as_of,
    trajectory,
)
from .errors import (
    EvidenceFileError,
    ForecastError,
    InvalidInputError,
    LockTimeoutError,
    Problem,
    QuestionFileError,
    RunError,
)
from .load import evidence_path, load_evidence, load_question, question_ids, question_path, validate_data
from .model import EvidenceLog, EvidenceRow, Indicator, Question, Resolution, Scenario
from .words import probability_words

try:
    __version__ = version("forecast")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "Assessment",
    "AuditEntry",
    "ChecklistItem",
    "EvidenceFileError",
    "EvidenceLog",
    "EvidenceRow",
    "ForecastError",
    "Indicator",
    "IndicatorState",
    "InvalidInputError",
    "LockTimeoutError",
    "Problem",
    "Question",
    "QuestionFileError",
    "Resolution",
    "RunError",
    "Scenario",
    "Trajectory",
    "__version__",
    "assess",
    "evidence_path",
    "load_evidence",
    "load_question",
    "posterior_as_of",
    "probability_words",
    "question_ids",
    "question_path",
    "trajectory",
    "validate_data",
]
