"""What a report says about its temper: whether the evidence counts at its stated strength.

A report whose question has a temper other than 1 (from its own file or from the data
folder's ``calibration.yaml``) says so in its bottom line and its probabilities section,
with the forecast the rule as stated would give beside it (docs/calibration.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..analysis.scoring import CalibrationBins, calibration_bins
from ..engine.compiled import Evidence, posterior_as_of
from ..model import Calibration, Question
from .html import Html, render_template

__all__ = ["FORCED_NOTE", "TemperSection", "calibration_note", "pool_word"]


def calibration_note(question: Question, uncalibrated: Mapping[str, float] | None) -> str | None:
    """The sentence a tempered report shows; ``None`` for a question at temper 1.

    Parameters
    ----------
    question : Question
        The question as forecast (its ``temper`` and, if fitted, its ``calibration``).
    uncalibrated : mapping of str to float, optional
        The probabilities at temper 1, by scenario id; its leading scenario is named.

    Examples
    --------
    >>> from datetime import date
    >>> from dataclasses import replace
    >>> from forecast.model import Calibration
    >>> from forecast.inputs.questions import load_question
    >>> q = load_question("data/questions/russia-syria-bases.yaml")
    >>> fit = Calibration(0.42, fitted=date(2026, 11, 30), questions=("a",) * 14, log_loo=(0.81, 0.64),
    ...                   temper_interval=(0.30, 0.55), log_gain_se=0.05)
    >>> calibration_note(replace(q, temper=0.42, calibration=fit), {"keep": 0.0, "partial": 0.97, "exit": 0.03})
    'Calibrated: past forecasts were overconfident: the evidence counts at 0.42 of its stated strength (0.42 (90%: 0.30–0.55), fitted on 14 resolved questions on 2026-11-30; cross-validated log score 0.81 → 0.64, a gain of 0.17 ± 0.05). Uncalibrated: Partial deal 97%.'
    """
    if not question.tempered:
        return None
    strength = f"the evidence counts at {question.temper:.2f} of its stated strength"
    fit = question.calibration
    if fit is None or "temper" in question.set_in_file:
        said, how, plain = "Tempered", " (set in the question file)", "Untempered"
    else:
        said, plain = "Calibrated", "Uncalibrated"
        confidence = "overconfident" if question.temper < 1 else "underconfident"
        strength = f"past forecasts were {confidence}: {strength}"
        parts = []
        fitted_on = ""
        if fit.questions:
            n = len(fit.questions)
            on = f" on {fit.fitted.isoformat()}" if fit.fitted else ""
            fitted_on = f"fitted on {n} resolved question{'s' * (n != 1)}{on}"
        elif fit.fitted:
            fitted_on = f"fitted on {fit.fitted.isoformat()}"
        if fit.temper_interval is not None:
            lo, hi = fit.temper_interval
            interval = f"{fit.temper:.2f} (90%: {lo:.2f}–{hi:.2f})"
            parts.append(f"{interval}, {fitted_on}" if fitted_on else interval)
        elif fitted_on:
            parts.append(fitted_on)
        if fit.log_loo is not None:
            scores = f"cross-validated log score {fit.log_loo[0]:.2f} → {fit.log_loo[1]:.2f}"
            if fit.log_gain_se is not None:
                scores += f", a gain of {fit.log_loo[0] - fit.log_loo[1]:.2f} ± {fit.log_gain_se:.2f}"
            parts.append(scores)
        how = f" ({'; '.join(parts)})" if parts else ""
    sentence = f"{said}: {strength}{how}."
    if fit is not None and fit.forced and said == "Calibrated":
        sentence += f" {FORCED_NOTE}"
    if uncalibrated:
        leading = max(question.scenario_ids, key=lambda s: uncalibrated[s])
        name = question.scenario(leading).label
        sentence += f" {plain}: {name} {uncalibrated[leading] * 100:.0f}%."
    return sentence


#: What every page using a fit written under ``--force`` says of it.
FORCED_NOTE = (
    "This fit was forced: written with --force although the gate held it back "
    "(its held-out gain was below its standard error, or a value lay at an end of the searched range)."
)


def pool_word(extremize: float) -> str:
    """How a pool's exponent changes the pool: "softened" below 1, "extremized" above, "unchanged" at 1."""
    return "softened" if extremize < 1 else "extremized" if extremize > 1 else "unchanged"


#: The values of τ the scorecard's curve shows, beside the fitted one.
_CURVE_TEMPERS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


class TemperSection:
    """The scorecard's calibration section: the temper in use, its curve and what it does to the scores.

    Parameters
    ----------
    fitted : Calibration
        The data folder's ``calibration.yaml``.
    resolved : sequence of (Question, Evidence)
        The scorecard's resolved questions (as their files give them, untempered).

    The curve is recomputed on ``resolved`` (each question's daily-averaged log score at
    each τ, as ``forecast calibrate`` fits it); the calibration chart compares the final
    forecasts of the question files' own model at temper 1 and at the fitted temper.
    """

    def __init__(self, fitted: Calibration, resolved: Sequence[tuple[Question, Evidence]]) -> None:
        from ..analysis.calibration import fit_temper

        self.fitted = fitted
        self.resolved = tuple(resolved)
        self.curve = fit_temper(self.resolved)

    def _final_bins(self, temper: float, bins: int) -> tuple[CalibrationBins, int]:
        points = []
        for question, evidence in self.resolved:
            end = question.resolution.date
            p = posterior_as_of(replace(question, temper=temper, calibration=None), evidence, end)
            points += [(v, s == question.resolution.scenario) for s, v in p.items()]
        return calibration_bins(points, bins), len(points)

    def numbers(self) -> dict[str, Any]:
        """What ``scorecard.json`` holds under ``temper``."""
        c, t = self.curve, self.fitted.temper
        shown = sorted(set(_CURVE_TEMPERS) | {round(t, 2)})
        return {
            "temper": t,
            "fitted": None if self.fitted.fitted is None else self.fitted.fitted.isoformat(),
            "questions_fitted_on": len(self.fitted.questions),
            "log_daily": {"untempered": c.mean_log_at(1.0), "calibrated": c.mean_log_at(t)},
            "leave_one_out": None
            if self.fitted.log_loo is None
            else {"untempered": self.fitted.log_loo[0], "calibrated": self.fitted.log_loo[1]},
            "curve": {f"{v:.2f}": c.mean_log_at(v) for v in shown},
        }

    def table(self) -> Html:
        """The section as HTML: the temper, the scores before and after, and the curve."""
        n = self.numbers()
        return render_template(
            "scorecard_temper.html.j2",
            temper=n["temper"],
            fitted=n["fitted"],
            fitted_on=n["questions_fitted_on"],
            scored=len(self.resolved),
            log_daily=n["log_daily"],
            leave_one_out=n["leave_one_out"],
            curve=[
                (float(v), s, abs(float(v) - round(n["temper"], 2)) < 1e-9) for v, s in n["curve"].items()
            ],
        )

    def chart(self, bins: int = 10):
        """The calibration chart of the final forecasts at temper 1 beside those at the fitted temper."""
        from .plots import calibration_by_forecaster_chart

        return calibration_by_forecaster_chart(
            {
                "raw (temper 1)": self._final_bins(1.0, bins),
                f"calibrated (temper {self.fitted.temper:.2f})": self._final_bins(self.fitted.temper, bins),
            }
        )
