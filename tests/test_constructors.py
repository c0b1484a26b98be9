"""Constructors read and write nothing: a report, a scorecard and an explorer are built from inputs
already read, and reading them is each class's explicit ``load``."""

from __future__ import annotations

import builtins
import contextlib
import io
import os
from datetime import date
from unittest import mock

import pytest
from helpers import AS_OF, DATA, EXAMPLE

from forecast.inputs.judgments import load_team_inputs
from forecast.inputs.validate import load_by_id
from forecast.publish.explore import Exploration
from forecast.publish.report import Report
from forecast.publish.scorecard import QuestionInputs, Scorecard


@contextlib.contextmanager
def refusing_files():
    """While open, opening any file (by open, io.open or os.open) fails the test."""

    def refuse(path, *args, **kwargs):
        raise AssertionError(f"a constructor opened a file: {path!r}")

    with (
        mock.patch.object(builtins, "open", refuse),
        mock.patch.object(io, "open", refuse),
        mock.patch.object(os, "open", refuse),
    ):
        yield


def _inputs(question_id):
    question, log = load_by_id(DATA, question_id)
    judgments, outside = load_team_inputs(DATA, question)
    return question, log, tuple(judgments), outside


def test_the_refusal_catches_a_file_opened_while_it_is_on():
    with refusing_files(), pytest.raises(AssertionError, match="opened a file"):
        load_by_id(DATA, EXAMPLE)


def test_a_report_is_built_from_what_was_read_without_opening_a_file():
    question, log, judgments, outside = _inputs(EXAMPLE)
    as_of = date.fromisoformat(AS_OF)
    with refusing_files():
        report = Report(question, log, as_of, judgments=judgments, outside=outside)
        probabilities = dict(report.assessment.probabilities)
    assert probabilities == dict(Report.load(EXAMPLE, AS_OF, data_dir=DATA).assessment.probabilities)


def test_a_scorecard_is_built_from_what_was_read_without_opening_a_file():
    card = Scorecard.load(DATA)
    assert card.resolved
    inputs = [QuestionInputs(*_inputs(r.question.id)) for r in card.resolved]
    with refusing_files():
        built = Scorecard(inputs)
        scores = [r.score for r in built.resolved]
    assert scores == [r.score for r in card.resolved]


def test_an_exploration_is_built_from_what_was_read_without_opening_a_file():
    question, log, _, _ = _inputs(EXAMPLE)
    with refusing_files():
        probabilities = dict(Exploration(question, log, date.fromisoformat(AS_OF)).assessment.probabilities)
    assert probabilities == dict(Exploration.load(EXAMPLE, AS_OF, data_dir=DATA).assessment.probabilities)
