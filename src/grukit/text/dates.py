"""Synthetic date-normalisation pairs for a translation demo: a date in words or digits -> ISO.

:func:`synthetic_dates` draws dates uniformly from the days of ``start_year``-01-01 to
``end_year``-12-31 (valid calendar dates, leap days included) and writes each in one of
:data:`DATE_STYLES`, drawn uniformly; the target is its ISO form ``YYYY-MM-DD``
(:meth:`datetime.date.isoformat`). :func:`format_date` writes one date in one style. English
names only, independent of the locale. The same seed always gives the same pairs
(:func:`numpy.random.default_rng`), and the first pairs of a longer draw are those of a
shorter one.

No two styles could be read with day and month the other way round: numeric styles put the
day before the month (``21/11/2026``, ``21.11.2026``) or the year first (``2026/11/21``), and no
month-first numeric style is offered. Numbers in numeric styles have two digits
(``03/02/2001``), days in words have none added (``3 February 2001``); a month is abbreviated
to its first three letters (``Nov``, ``May``), followed by a full stop in ``"short_year"``.

Two-digit years (style ``"short_year"``, ``Nov. 21, 26``) follow one rule: ``yy`` is
``2000 + yy`` when ``yy <= 49``, else ``1900 + yy``, so they stand for the years 1950 to 2049
(:data:`TWO_DIGIT_YEARS`) and each reads back to exactly one date. A date outside those years
is never written in that style (another style is drawn for it).

>>> import datetime
>>> format_date(datetime.date(2026, 11, 21), "ordinal")
'the 21st of November, 2026'
>>> sources, targets = synthetic_dates(4, seed=1)
>>> len(sources), all(datetime.date.fromisoformat(t) for t in targets)
(4, True)
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np

from grukit import checks
from grukit.data._errors import GrukitDataError

__all__ = ["DATE_STYLES", "TWO_DIGIT_YEARS", "format_date", "synthetic_dates"]

#: Every style, with 2026-11-21 written in it.
DATE_STYLES = {
    "day_month_year": "21 November 2026",
    "month_day_year": "November 21, 2026",
    "short_year": "Nov. 21, 26",
    "day_slash": "21/11/2026",
    "year_slash": "2026/11/21",
    "weekday": "Saturday, 21 November 2026",
    "lower_abbreviation": "21 nov 2026",
    "dots": "21.11.2026",
    "upper_abbreviation": "NOV 21 2026",
    "ordinal": "the 21st of November, 2026",
}
#: The years a two-digit year stands for: ``yy <= 49`` is ``20yy``, the rest ``19yy``.
TWO_DIGIT_YEARS = (1950, 2049)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _ordinal(day: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``12th``, ``13th``, ``21st``, ..."""
    if day % 100 in (11, 12, 13):
        return f"{day}th"
    return f"{day}{({1: 'st', 2: 'nd', 3: 'rd'}).get(day % 10, 'th')}"


def format_date(date: datetime.date, style: str) -> str:
    """``date`` written in ``style`` (one of :data:`DATE_STYLES`).

    Raises
    ------
    grukit.data.GrukitDataError
        An unknown style, a ``date`` that is not a :class:`datetime.date`, or the style
        ``"short_year"`` for a year outside :data:`TWO_DIGIT_YEARS`.

    Examples
    --------
    >>> date = datetime.date(2001, 2, 3)
    >>> format_date(date, "weekday"), format_date(date, "short_year")
    ('Saturday, 3 February 2001', 'Feb. 3, 01')
    """
    if not isinstance(date, datetime.date):
        raise GrukitDataError(f"`date` must be a datetime.date, got {type(date).__name__}")
    checks.choice("style", style, DATE_STYLES, error=GrukitDataError)
    day, month, year = date.day, MONTHS[date.month - 1], date.year
    short = month[:3]
    if style == "short_year":
        low, high = TWO_DIGIT_YEARS
        if not low <= year <= high:
            raise GrukitDataError(
                f"the style 'short_year' writes only the years {low}-{high} (two digits read "
                f"back as one of them), got {date.isoformat()}"
            )
        return f"{short}. {day}, {year % 100:02d}"
    written = {
        "day_month_year": f"{day} {month} {year}",
        "month_day_year": f"{month} {day}, {year}",
        "day_slash": f"{day:02d}/{date.month:02d}/{year}",
        "year_slash": f"{year}/{date.month:02d}/{day:02d}",
        "weekday": f"{WEEKDAYS[date.weekday()]}, {day} {month} {year}",
        "lower_abbreviation": f"{day} {short.lower()} {year}",
        "dots": f"{day:02d}.{date.month:02d}.{year}",
        "upper_abbreviation": f"{short.upper()} {day} {year}",
        "ordinal": f"the {_ordinal(day)} of {month}, {year}",
    }
    return written[style]


def _styles(styles: Sequence[str] | None, start_year: int, end_year: int) -> list[str]:
    if styles is None:
        return list(DATE_STYLES)
    if isinstance(styles, str) or not isinstance(styles, Sequence) or not styles:
        raise GrukitDataError(
            f"`styles` must be a non-empty list of names from {list(DATE_STYLES)}, got "
            f"{styles!r:.80}"
        )
    for index, style in enumerate(styles):
        checks.choice(f"styles[{index}]", style, DATE_STYLES, error=GrukitDataError)
    low, high = TWO_DIGIT_YEARS
    if set(styles) == {"short_year"} and (start_year < low or end_year > high):
        raise GrukitDataError(
            f"`styles` holds only 'short_year', which writes only the years {low}-{high}, but "
            f"the years are {start_year}-{end_year}"
        )
    return list(styles)


def synthetic_dates(
    n: int,
    *,
    seed: int = 0,
    start_year: int = 1950,
    end_year: int = 2049,
    styles: Sequence[str] | None = None,
) -> tuple[list[str], list[str]]:
    """``n`` date-normalisation pairs: a date in a human style, and its ``YYYY-MM-DD`` form.

    Parameters
    ----------
    n : int
        The number of pairs, > 0.
    seed : int, default 0
        The seed of :func:`numpy.random.default_rng` (>= 0).
    start_year, end_year : int, default 1950, 2049
        The dates are drawn uniformly from the days of these years, both included
        (``1000 <= start_year <= end_year <= 9999``, so every year has four digits).
    styles : sequence of str, optional
        The styles to draw from (names of :data:`DATE_STYLES`), by default all of them.

    Returns
    -------
    (list of str, list of str)
        The sources (dates as written) and the targets (ISO dates).

    Examples
    --------
    >>> sources, targets = synthetic_dates(3, seed=7, styles=["dots"])
    >>> [s.split(".")[::-1] == t.split("-") for s, t in zip(sources, targets)]
    [True, True, True]
    """
    n = checks.positive_int("n", n, error=GrukitDataError)
    seed = checks.non_negative_int("seed", seed, error=GrukitDataError)
    start_year = checks.integer("start_year", start_year, minimum=1000, maximum=9999,
                                error=GrukitDataError)  # fmt: skip
    end_year = checks.integer("end_year", end_year, minimum=1000, maximum=9999,
                              error=GrukitDataError)  # fmt: skip
    if start_year > end_year:
        raise GrukitDataError(
            f"`start_year` must be <= `end_year`, got {start_year} and {end_year}"
        )
    chosen = _styles(styles, start_year, end_year)
    without_short = [style for style in chosen if style != "short_year"]
    first = datetime.date(start_year, 1, 1).toordinal()
    days = datetime.date(end_year, 12, 31).toordinal() - first + 1
    draws = np.random.default_rng(seed).random(size=(n, 2)).tolist()  # (day, style) per pair
    low, high = TWO_DIGIT_YEARS
    sources, targets = [], []
    for day, pick in draws:
        date = datetime.date.fromordinal(first + min(int(day * days), days - 1))
        allowed = chosen if low <= date.year <= high else without_short
        style = allowed[min(int(pick * len(allowed)), len(allowed) - 1)]
        sources.append(format_date(date, style))
        targets.append(date.isoformat())
    return sources, targets
