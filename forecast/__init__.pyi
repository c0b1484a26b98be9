"""What static tools (type checkers, the documentation site) see of :mod:`forecast`.

``forecast/__init__.py`` imports each public name on first use; this stub names where each one
is defined, so that ``forecast.assess`` is documented and type-checked where users import it.
tests/test_docs.py checks that it declares exactly ``forecast.__all__``.
"""

from __future__ import annotations

from .analysis.scoring import brier_score as brier_score
from .analysis.scoring import log_score as log_score
from .assessment import Assessment as Assessment
from .assessment import assess as assess
from .engine import AuditEntry as AuditEntry
from .engine import ChecklistItem as ChecklistItem
from .engine import IndicatorState as IndicatorState
from .engine import Trajectory as Trajectory
from .engine import posterior_as_of as posterior_as_of
from .engine import trajectory as trajectory
from .engine.pool import log_pool as log_pool
from .errors import ArgumentError as ArgumentError
from .errors import CalibrationFileError as CalibrationFileError
from .errors import EvidenceFileError as EvidenceFileError
from .errors import EvidenceWriteError as EvidenceWriteError
from .errors import ForecastError as ForecastError
from .errors import InvalidInputError as InvalidInputError
from .errors import JudgmentFileError as JudgmentFileError
from .errors import LinkInOut as LinkInOut
from .errors import LockTimeoutError as LockTimeoutError
from .errors import OutputFolderError as OutputFolderError
from .errors import OutsideForecastFileError as OutsideForecastFileError
from .errors import Problem as Problem
from .errors import QuestionFileError as QuestionFileError
from .errors import RunError as RunError
from .inbox import InboxError as InboxError
from .inbox import SourceError as SourceError
from .inbox import SourcesFileError as SourcesFileError
from .inputs.evidence import load_evidence as load_evidence
from .inputs.judgments import Judgment as Judgment
from .inputs.judgments import load_judgments as load_judgments
from .inputs.outside import load_outside_forecasts as load_outside_forecasts
from .inputs.questions import load_question as load_question
from .inputs.validate import evidence_path as evidence_path
from .inputs.validate import question_ids as question_ids
from .inputs.validate import question_path as question_path
from .inputs.validate import validate_data as validate_data
from .model import EvidenceLog as EvidenceLog
from .model import EvidenceRow as EvidenceRow
from .model import Group as Group
from .model import Indicator as Indicator
from .model import Question as Question
from .model import Resolution as Resolution
from .model import Scenario as Scenario
from .publish.summary import SummaryError as SummaryError
from .record import history as history
from .schedule.job import QuestionOutcome as QuestionOutcome
from .schedule.job import run_question as run_question
from .team import TeamForecast as TeamForecast
from .words import probability_words as probability_words

__version__: str
__all__: list[str]
