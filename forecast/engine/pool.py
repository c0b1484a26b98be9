"""Pooling analysts' probabilities: the logarithmic pool and the spread.

``pool(s) ∝ (Π_i p_i(s))^(a/N)``, computed in log space; ``a`` extremizes (1 is
the geometric mean). The spread of a scenario is the highest analyst's
probability minus the lowest. Array in, array out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .rule import softmax

__all__ = ["log_pool", "spread"]


def log_pool(probabilities: np.ndarray | Sequence, extremize: float = 1.0) -> np.ndarray:
    """The logarithmic pool of several forecasts, optionally extremized.

    Parameters
    ----------
    probabilities : array_like, shape (N, ..., S)
        Forecaster ``i``'s probabilities in ``probabilities[i]``, scenarios along the
        last axis; any axes between (dates, draws) are pooled element by element.
    extremize : float, default 1
        The exponent ``a`` in ``(Π_i p_i)^(a/N)``; 1 is the geometric mean, above 1
        pushes the pool away from the uniform forecast.

    Returns
    -------
    ndarray, shape (..., S)
        Probabilities summing to 1 along the last axis.

    Examples
    --------
    >>> log_pool([[0.6, 0.3, 0.1], [0.3, 0.5, 0.2]]).round(4).tolist()
    [0.4452, 0.4064, 0.1484]
    >>> log_pool([[0.6, 0.3, 0.1], [0.3, 0.5, 0.2]], extremize=2).round(4).tolist()
    [0.5143, 0.4286, 0.0571]
    """
    p = np.asarray(probabilities, dtype=float)
    if p.ndim < 2 or len(p) == 0:
        raise ValueError("expected at least one forecast: an array of shape (forecasters, ..., scenarios)")
    if not extremize > 0:
        raise ValueError(f"extremize must be a number greater than 0, got {extremize!r}")
    with np.errstate(divide="ignore"):
        logs = np.log(p)
    return softmax(logs.sum(axis=0) * (extremize / len(p)))


def spread(probabilities: np.ndarray | Sequence) -> np.ndarray:
    """Per scenario, the highest forecaster's probability minus the lowest (``(N, ..., S)`` to ``(..., S)``).

    Examples
    --------
    >>> spread([[0.6, 0.3, 0.1], [0.3, 0.5, 0.2]]).round(2).tolist()
    [0.3, 0.2, 0.1]
    """
    p = np.asarray(probabilities, dtype=float)
    return p.max(axis=0) - p.min(axis=0)
