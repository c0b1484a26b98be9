"""Moves in percentage points, compared with a tolerance, shared by the analyses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np

__all__ = [
    "as_dict",
    "at_least",
]


# A move computed as 9.999999999999998 points is a 10-point move.
POINTS_TOLERANCE = 1e-9


def as_dict(keys: Sequence[str], values: np.ndarray) -> Mapping[str, float]:
    """A read-only mapping of ``keys`` to ``values`` (results hand out no mutable dict)."""
    return MappingProxyType(dict(zip(keys, values.tolist())))


def at_least(points: np.ndarray, threshold: float) -> np.ndarray:
    return np.abs(points) >= threshold - POINTS_TOLERANCE
