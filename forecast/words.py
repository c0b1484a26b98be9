"""Words for probabilities, on the ICD-203 scale, and for the Admiralty grades of sources and information."""

from __future__ import annotations

__all__ = ["CREDIBILITY_WORDS", "RELIABILITY_WORDS", "grade_words", "percent", "probability_words"]

# Upper bounds of each band; "roughly even chance" includes its upper bound (<= 55%).
_BANDS = (
    (0.05, False, "almost no chance"),
    (0.20, False, "very unlikely"),
    (0.45, False, "unlikely"),
    (0.55, True, "roughly even chance"),
    (0.80, False, "likely"),
    (0.95, False, "very likely"),
)


def probability_words(p: float) -> str:
    """The ICD-203 expression for a probability.

    Parameters
    ----------
    p : float
        A probability in [0, 1].

    Returns
    -------
    str
        ``"almost no chance"`` (< 5%), ``"very unlikely"`` (< 20%), ``"unlikely"``
        (< 45%), ``"roughly even chance"`` (<= 55%), ``"likely"`` (< 80%),
        ``"very likely"`` (< 95%), otherwise ``"almost certain"``.

    Examples
    --------
    >>> probability_words(0.6)
    'likely'
    >>> probability_words(0.55)
    'roughly even chance'
    """
    if not 0 <= p <= 1:
        raise ValueError(f"expected a probability between 0 and 1, got {p!r}")
    for bound, inclusive, words in _BANDS:
        if p < bound or (inclusive and p <= bound):
            return words
    return "almost certain"


#: The Admiralty (NATO) scale: how reliable the source is, A to F.
RELIABILITY_WORDS = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
#: ... and how credible the information is, 1 to 6.
CREDIBILITY_WORDS = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}


def grade_words(grade: str) -> str:
    """An Admiralty grade spelled out, as a reviewer reads it.

    Examples
    --------
    >>> grade_words("B2")
    'B2: usually reliable, probably true'
    """
    reliability, credibility = grade[:1], grade[1:]
    words = [RELIABILITY_WORDS.get(reliability, "")]
    if credibility.isdigit():
        words.append(CREDIBILITY_WORDS.get(int(credibility), ""))
    return f"{grade}: " + ", ".join(w for w in words if w)


def percent(p: float) -> str:
    """A probability as a whole percent, never rounding a chance that is there to nothing (or to certainty).

    Examples
    --------
    >>> percent(0.4), percent(0.0047), percent(0.0), percent(0.9991), percent(1.0)
    ('40%', '<1%', '0%', '>99%', '100%')
    """
    if 0 < p < 0.005:
        return "<1%"
    if 0.995 <= p < 1:
        return ">99%"
    return f"{p * 100:.0f}%"
