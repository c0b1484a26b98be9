"""The confidence rule of a report's key judgments (docs/key-judgments.md), on plain numbers.

Five inputs each raise a concern or not; no concern is *high* confidence, one is
*moderate*, two or more (or no evidence counted) are *low*. The statement shows every
input, so a reader can check the level by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "AB_SHARE_AT_LEAST",
    "RANGE_WIDER_THAN",
    "SPREAD_WIDER_THAN",
    "TOP_SOURCE_ABOVE",
    "Confidence",
    "ConfidenceInput",
    "confidence",
    "shown_span",
]

#: A concern when less than this share of the counted weight comes from sources graded A–B.
AB_SHARE_AT_LEAST = 0.5
#: A concern when one source carries more than this share of the leading scenario's movement.
TOP_SOURCE_ABOVE = 0.5
#: A concern when the leading scenario's 5–95% range is wider than this many points.
RANGE_WIDER_THAN = 20.0
#: A concern (team view) when the analysts' spread on the leading scenario is wider than this many points.
SPREAD_WIDER_THAN = 15.0


@dataclass(frozen=True, slots=True)
class ConfidenceInput:
    """One input of the rule: its words, and how many concerns it raised (0, 1, or 2 for stale evidence)."""

    name: str
    text: str
    concerns: int


@dataclass(frozen=True, slots=True)
class Confidence:
    """The level ("low", "moderate" or "high") and every input it was worked out from.

    ``figures`` holds the rule's inputs as numbers (``summary.json``'s ``confidence.inputs``):
    shares as fractions, ages in days, widths in points; ``None`` where an input is not in play.
    """

    level: str
    inputs: tuple[ConfidenceInput, ...]
    figures: dict[str, float | int | str | None] = field(default_factory=dict)

    @property
    def concerns(self) -> int:
        """How many concerns the inputs raised."""
        return sum(i.concerns for i in self.inputs)

    @property
    def concern_names(self) -> tuple[str, ...]:
        """One entry per concern, the name of the input that raised it (stale evidence: ``"age"`` twice)."""
        return tuple(i.name for i in self.inputs for _ in range(i.concerns))

    @property
    def reasons(self) -> str:
        """Every input in one line, those that raised a concern marked ``(concern)``."""
        parts = [i.text + (" (concern)" if i.concerns else "") for i in self.inputs]
        return "; ".join(parts) + "."


def shown_span(low: float, high: float) -> int:
    """The width in whole points of a range shown as whole percents: ``47%–63%`` is 16 points.

    The rule judges a width on the figures the page shows, so that a reader can check it there.

    Examples
    --------
    >>> shown_span(0.474, 0.626)
    16
    """
    return round(high * 100) - round(low * 100)


def confidence(
    *,
    counted_weight: float,
    ab_weight: float,
    movement: float,
    top_source: str | None,
    top_source_movement: float,
    evidence_age_days: int | None,
    stale_after_days: int,
    range_points: float | None,
    analysts_spread_points: float | None = None,
) -> Confidence:
    """The confidence of a forecast, by the rule of docs/key-judgments.md.

    Parameters
    ----------
    counted_weight : float
        The total weight of the counted reports (role *counted*).
    ab_weight : float
        The part of ``counted_weight`` from sources graded A or B for reliability.
    movement : float
        The leading scenario's movement: the sum of the sizes of the counted reports'
        moves on it when they arrived, in points.
    top_source, top_source_movement : str or None, float
        The source that accounts for most of ``movement``, and how much of it.
    evidence_age_days : int or None
        Days from the latest counted report to the as-of date (``None``: no report counted).
    stale_after_days : int
        The question's ``stale_after_days``.
    range_points : float or None
        The width of the leading scenario's 5–95% range in points (``None``: no range), as
        shown: the difference of its ends in whole percents (:func:`shown_span`).
    analysts_spread_points : float or None
        The team view's spread on the leading scenario in points (``None``: not a team), as
        shown: the highest analyst's whole percent minus the lowest's.

    Returns
    -------
    Confidence

    Examples
    --------
    >>> c = confidence(counted_weight=4.2, ab_weight=2.4, movement=40.0, top_source="Reuters",
    ...                top_source_movement=22.0, evidence_age_days=3, stale_after_days=60,
    ...                range_points=16.0, analysts_spread_points=18.0)
    >>> c.level, c.concerns, c.concern_names
    ('low', 2, ('top_source', 'spread'))
    """
    if evidence_age_days is None or counted_weight <= 0:
        return Confidence(
            "low",
            (ConfidenceInput("evidence", "no evidence counted: the forecast is the priors", 1),),
            {"counted_weight": 0.0, "evidence_age_days": None, "stale_after_days": stale_after_days},
        )
    inputs = []
    # Each input is judged on the whole percent or point it is shown with, so that a reader can
    # check the level from the page: 49.6% shows as 50% and is not a concern.
    ab_share = round(ab_weight / counted_weight * 100) / 100
    inputs.append(
        ConfidenceInput(
            "ab_share",
            f"{ab_share * 100:.0f}% of counted weight from A–B sources",
            int(ab_share < AB_SHARE_AT_LEAST),
        )
    )
    top_share = round(top_source_movement / movement * 100) / 100 if movement > 0 else 0.0
    if top_source is None or movement <= 0:
        inputs.append(ConfidenceInput("top_source", "no report moved the leading scenario", 0))
    else:
        carries = (
            "carries most of the move"
            if top_share > TOP_SOURCE_ABOVE
            else "carries the largest part of the move"
        )
        inputs.append(
            ConfidenceInput(
                "top_source",
                f"one source ({top_source}) {carries}, {top_share * 100:.0f}%",
                int(top_share > TOP_SOURCE_ABOVE),
            )
        )
    age_concerns = int(evidence_age_days > stale_after_days / 2) + int(evidence_age_days > stale_after_days)
    day = "day" if evidence_age_days == 1 else "days"
    inputs.append(
        ConfidenceInput(
            "age",
            f"latest evidence {evidence_age_days} {day} old (stale after {stale_after_days} days)",
            age_concerns,
        )
    )
    if range_points is None:
        inputs.append(ConfidenceInput("range", "no 5–95% range (no ranged likelihood in play)", 0))
    else:
        inputs.append(
            ConfidenceInput(
                "range",
                f"5–95% range {range_points:.0f} points wide",
                int(round(range_points) > RANGE_WIDER_THAN),
            )
        )
    if analysts_spread_points is not None:
        inputs.append(
            ConfidenceInput(
                "spread",
                f"analysts span {analysts_spread_points:.0f} points",
                int(round(analysts_spread_points) > SPREAD_WIDER_THAN),
            )
        )
    concerns = sum(i.concerns for i in inputs)
    level = "high" if concerns == 0 else "moderate" if concerns == 1 else "low"
    figures = {
        "counted_weight": counted_weight,
        "ab_weight": ab_weight,
        "ab_share": ab_weight / counted_weight,
        "top_source": top_source if movement > 0 else None,
        "top_source_share": top_source_movement / movement
        if top_source is not None and movement > 0
        else None,
        "movement_points": movement,
        "evidence_age_days": evidence_age_days,
        "stale_after_days": stale_after_days,
        "range_points": range_points,
        "analysts_span_points": analysts_spread_points,
    }
    return Confidence(level, tuple(inputs), figures)
