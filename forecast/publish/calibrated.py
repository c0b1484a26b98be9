"""What a report says about its temper: whether the evidence counts at its stated strength.

A report whose question has a temper other than 1 (from its own file or from the data
folder's ``calibration.yaml``) says so in its bottom line and its probabilities section,
with the forecast the rule as stated would give beside it (docs/calibration.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..analysis.scoring import CalibrationBins, calibration_bins
from ..engine.compiled import Evidence, posterior_as_of
from ..model import Calibration, Question
from .html import Html, render_template

__all__ = [
    "FORCED_NOTE",
    "MIN_DRAWN",
    "Diagnostics",
    "TemperSection",
    "calibration_note",
    "murphy",
    "pool_word",
]


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
    "(its held-out gain was below its paired or jackknife standard error, "
    "or a value lay at an end of the searched range)."
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
            "temper_interval": None
            if self.fitted.temper_interval is None
            else list(self.fitted.temper_interval),
            "searched": None if self.fitted.searched is None else list(self.fitted.searched),
            "gain_se": self.fitted.log_gain_se,
            "extremize": self.fitted.extremize,
            "forced": self.fitted.forced,
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
            interval=n["temper_interval"],
            gain_se=n["gain_se"],
            forced=FORCED_NOTE if n["forced"] else None,
            extremize=n["extremize"],
            pool_word=None if n["extremize"] is None else pool_word(n["extremize"]),
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


#: A reliability diagram leaves undrawn the bins with fewer forecasts than this.
MIN_DRAWN = 5


def murphy(probabilities: np.ndarray, happened: np.ndarray, edges: np.ndarray) -> dict[str, float]:
    """The Murphy decomposition of the Brier score of binary forecasts, binned at ``edges``.

    ``reliability = Σ_k n_k (f̄_k − ō_k)² / N``, ``resolution = Σ_k n_k (ō_k − ō)² / N``,
    ``uncertainty = ō (1 − ō)``; ``brier`` is the mean ``(f − o)²``, which equals
    ``reliability − resolution + uncertainty`` when every forecast in a bin is the bin's mean
    (otherwise the two differ by the spread of the forecasts within the bins).

    Examples
    --------
    >>> d = murphy(np.array([0.2, 0.2, 0.8, 0.8]), np.array([0, 1, 1, 1]), np.linspace(0, 1, 11))
    >>> {k: round(v, 4) for k, v in d.items()}
    {'brier': 0.19, 'reliability': 0.065, 'resolution': 0.0625, 'uncertainty': 0.1875}
    """
    p, o = np.asarray(probabilities, float), np.asarray(happened, float)
    k = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    n, base = len(p), o.mean()
    reliability = resolution = 0.0
    for b in np.unique(k):
        inside = k == b
        f_bar, o_bar = p[inside].mean(), o[inside].mean()
        reliability += inside.sum() * (f_bar - o_bar) ** 2 / n
        resolution += inside.sum() * (o_bar - base) ** 2 / n
    return {
        "brier": float(((p - o) ** 2).mean()),
        "reliability": float(reliability),
        "resolution": float(resolution),
        "uncertainty": float(base * (1 - base)),
    }


class Diagnostics:
    """The scorecard's check of calibration itself, on the resolved questions of the record.

    τ is fitted on the daily forecasts and on the final forecasts alone (docs/calibration.md
    says why they differ); the final forecast of every scenario of every question, at τ = 1
    and at the τ fitted on the *other* questions (leave-one-question-out), is binned for a
    reliability diagram and decomposed (Murphy: reliability, resolution, uncertainty).

    Parameters
    ----------
    cases : sequence of (Question, Evidence, judgments)
        The record's resolved questions as their files give them, with their judgment files
        (the published forecast of a question with them is the team's pool).
    bins : int, default 10
    """

    def __init__(self, cases: Sequence[tuple[Question, Evidence, Sequence]], bins: int = 10) -> None:
        from ..analysis.calibration import fit_folder

        self.fit = fit_folder(cases, min_questions=len(cases) + 1)  # τ alone: a is the calibrate's
        self.edges = np.linspace(0.0, 1.0, bins + 1)
        t = self.fit.temper
        untempered, tempered, happened = [], [], []
        for q, played in enumerate(self.fit.replays):
            untempered.extend(played.final_forecasts(np.array([1.0]))[0])
            tempered.extend(played.final_forecasts(np.array([t.grid[t.loo_best[q]]]))[0])
            happened.extend(s == played.resolved for s in range(played.log_priors.shape[-1]))
        self.points = {
            "untempered": (np.array(untempered), np.array(happened)),
            "leave_one_out_tempered": (np.array(tempered), np.array(happened)),
        }

    def _bins(self, name: str) -> CalibrationBins:
        p, o = self.points[name]
        table = calibration_bins(list(zip(p.tolist(), o.tolist())), len(self.edges) - 1)
        few = table.count < MIN_DRAWN
        return CalibrationBins(
            table.edges,
            np.where(few, 0, table.count),
            np.where(few, np.nan, table.mean_predicted),
            np.where(few, np.nan, table.frequency),
        )

    def numbers(self) -> dict[str, Any]:
        """What ``scorecard.json`` holds under ``diagnostics``."""
        t, f = self.fit.temper, self.fit.final

        def number(x: float) -> float | None:
            return None if not np.isfinite(x) else float(x)

        out: dict[str, Any] = {
            "questions": len(t.questions),
            "temper_daily": {"value": t.value, "interval": list(t.interval)},
            "temper_final": {"value": f.value, "interval": list(f.interval)},
            "held_out_gain": {"log": t.gain, "se": number(t.gain_se)},
            "min_drawn": MIN_DRAWN,
        }
        for name in self.points:
            table = self._bins(name)
            out[name] = {
                "murphy": murphy(*self.points[name], self.edges),
                "count": [int(x) for x in table.count],
                "mean_predicted": [number(x) for x in table.mean_predicted],
                "frequency": [number(x) for x in table.frequency],
            }
        return out

    def table(self) -> Html:
        """τ fitted daily and on final forecasts, and the Murphy decomposition of both forecasts."""
        n = self.numbers()
        return render_template(
            "scorecard_diagnostics.html.j2",
            n=n,
            rows=[
                ("At temper 1", n["untempered"]["murphy"]),
                ("Tempered, leave one question out", n["leave_one_out_tempered"]["murphy"]),
            ],
        )

    def chart(self):
        """The reliability diagram: final forecasts at temper 1 beside the leave-one-out-tempered ones."""
        from .plots import calibration_by_forecaster_chart

        return calibration_by_forecaster_chart(
            {
                "temper 1": (self._bins("untempered"), len(self.points["untempered"][0])),
                "tempered, held out": (
                    self._bins("leave_one_out_tempered"),
                    len(self.points["leave_one_out_tempered"][0]),
                ),
            }
        )
