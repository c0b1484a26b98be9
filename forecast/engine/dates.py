"""The as-of date the API takes: a date, an ISO string, a datetime or a pandas Timestamp."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

__all__ = ["as_of_date"]

#: A day as the files and the command line write it (``date.fromisoformat`` alone also takes
#: ``20250220`` and ``2025-W08-4``).
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def as_of_date(value: Any, name: str = "as_of") -> date:
    """``value`` as a calendar date; ``None`` is today.

    Parameters
    ----------
    value : date, str, datetime, pandas.Timestamp or None
        A ``datetime`` or ``Timestamp`` is taken as its date: a naive one as it
        reads, an aware one in its own time zone. A string is an ISO date,
        ``YYYY-MM-DD``.
    name : str
        The parameter's name, for the error.

    Returns
    -------
    date

    Raises
    ------
    TypeError
        For anything else (a number, a ``numpy.datetime64``, ...), naming ``name``.
    ValueError
        For a string that is not an ISO date, or a missing time (``NaT``).

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> as_of_date("2025-02-20")
    datetime.date(2025, 2, 20)
    >>> as_of_date(datetime(2025, 2, 20, 23, 30, tzinfo=timezone(timedelta(hours=-5))))
    datetime.date(2025, 2, 20)
    """
    if value is None:
        return date.today()
    if isinstance(value, datetime):  # pandas.Timestamp is one
        if value != value:  # NaT
            raise ValueError(f"{name} is a missing time (NaT); expected a date")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            if not _ISO_DAY.fullmatch(value.strip()):
                raise ValueError
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{name} {value!r} is not a date: expected YYYY-MM-DD") from None
    raise TypeError(
        f"{name} must be a date, an ISO date string (YYYY-MM-DD), a datetime or a pandas Timestamp, "
        f"got {type(value).__name__}"
    )
