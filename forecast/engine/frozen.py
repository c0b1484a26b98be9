"""Read-only views for the results the suite hands out, so that a caller cannot change a kept number.

An :class:`~forecast.Assessment` computes each number once and keeps it; the same
objects are read by the report, the frames and ``summary.json``. A mapping handed out
is a :class:`types.MappingProxyType` and an array has ``writeable = False``, so that
``a.probabilities["keep"] = 0.99`` raises instead of changing what the rest reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar

import numpy as np

__all__ = ["frozen_array", "read_only"]

K = TypeVar("K")
V = TypeVar("V")


def read_only(mapping: Mapping[K, V]) -> Mapping[K, V]:
    """A read-only view of ``mapping``: a copy of it, so later changes to it do not show (a view
    already read-only is returned as it is)."""
    if isinstance(mapping, MappingProxyType):
        return mapping
    return MappingProxyType(dict(mapping))


def frozen_array(array: np.ndarray) -> np.ndarray:
    """``array``, marked read-only in place, so the caller's own array is frozen too (an array that does
    not own its data is copied first, leaving the array it views writeable)."""
    if array.flags.writeable:
        if not array.flags.owndata:
            array = array.copy()
        array.flags.writeable = False
    return array
