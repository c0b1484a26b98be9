"""Words for probabilities, on the ICD-203 scale."""

from __future__ import annotations

__all__ = ["probability_words"]

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
