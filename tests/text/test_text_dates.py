"""Synthetic dates: each style written exactly, read back unambiguously, drawn uniformly."""

import datetime
import re
from collections import Counter

import pytest

from grukit.data import GrukitDataError
from grukit.text import synthetic_dates
from grukit.text.dates import DATE_STYLES, format_date

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

EXPECTED = {
    "day_month_year": ("21 November 2026", "3 February 2001"),
    "month_day_year": ("November 21, 2026", "February 3, 2001"),
    "short_year": ("Nov. 21, 26", "Feb. 3, 01"),
    "day_slash": ("21/11/2026", "03/02/2001"),
    "year_slash": ("2026/11/21", "2001/02/03"),
    "weekday": ("Saturday, 21 November 2026", "Saturday, 3 February 2001"),
    "lower_abbreviation": ("21 nov 2026", "3 feb 2001"),
    "dots": ("21.11.2026", "03.02.2001"),
    "upper_abbreviation": ("NOV 21 2026", "FEB 3 2001"),
    "ordinal": ("the 21st of November, 2026", "the 3rd of February, 2001"),
}

_M = "(?P<m>[A-Za-z]+)"
#: the test's own reader of every style: (regex, how the month is written)
READERS = {
    "day_month_year": (rf"(?P<d>\d{{1,2}}) {_M} (?P<y>\d{{4}})", "name"),
    "month_day_year": (rf"{_M} (?P<d>\d{{1,2}}), (?P<y>\d{{4}})", "name"),
    "short_year": (rf"{_M}\. (?P<d>\d{{1,2}}), (?P<y>\d{{2}})", "abbr"),
    "day_slash": (r"(?P<d>\d\d)/(?P<m>\d\d)/(?P<y>\d{4})", "number"),
    "year_slash": (r"(?P<y>\d{4})/(?P<m>\d\d)/(?P<d>\d\d)", "number"),
    "weekday": (rf"(?P<w>[A-Za-z]+day), (?P<d>\d{{1,2}}) {_M} (?P<y>\d{{4}})", "name"),
    "lower_abbreviation": (rf"(?P<d>\d{{1,2}}) {_M} (?P<y>\d{{4}})", "lower"),
    "dots": (r"(?P<d>\d\d)\.(?P<m>\d\d)\.(?P<y>\d{4})", "number"),
    "upper_abbreviation": (rf"{_M} (?P<d>\d{{1,2}}) (?P<y>\d{{4}})", "upper"),
    "ordinal": (rf"the (?P<d>\d{{1,2}})(?P<s>st|nd|rd|th) of {_M}, (?P<y>\d{{4}})", "name"),
}


def _month(text, how):
    names = {
        "name": MONTHS,
        "abbr": [m[:3] for m in MONTHS],
        "lower": [m[:3].lower() for m in MONTHS],
        "upper": [m[:3].upper() for m in MONTHS],
    }
    if how == "number":
        return int(text)
    return names[how].index(text) + 1 if text in names[how] else None


def _read(source):
    """Every (style, date) that ``source`` can be read as."""
    found = []
    for style, (pattern, how) in READERS.items():
        match = re.fullmatch(pattern, source)
        month = match and _month(match["m"], how)
        if not month:
            continue
        year = int(match["y"])
        if style == "short_year":
            year += 2000 if year <= 49 else 1900
        date = datetime.date(year, month, int(match["d"]))
        if style == "weekday":
            assert match["w"] == WEEKDAYS[date.weekday()], source
        if style == "ordinal":
            assert match["s"] == _suffix(date.day), source
        found.append((style, date))
    return found


def _suffix(day):
    return {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}.get(day, "th")


@pytest.mark.parametrize("style", sorted(EXPECTED))
def test_each_style_writes_the_expected_text(style):
    first, second = EXPECTED[style]
    assert format_date(datetime.date(2026, 11, 21), style) == first
    assert format_date(datetime.date(2001, 2, 3), style) == second
    assert DATE_STYLES[style] == first


def test_every_style_is_tested():
    assert set(DATE_STYLES) == set(EXPECTED)


@pytest.mark.parametrize(
    ("day", "text"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
     (21, "21st"), (22, "22nd"), (23, "23rd"), (24, "24th"), (30, "30th"), (31, "31st")],
)  # fmt: skip
def test_ordinal_suffixes(day, text):
    assert format_date(datetime.date(2020, 1, day), "ordinal") == f"the {text} of January, 2020"


def test_weekdays_of_known_dates():
    assert format_date(datetime.date(1969, 7, 20), "weekday") == "Sunday, 20 July 1969"
    assert format_date(datetime.date(2000, 1, 1), "weekday") == "Saturday, 1 January 2000"
    assert format_date(datetime.date(2024, 2, 29), "weekday") == "Thursday, 29 February 2024"


def test_two_digit_years_stand_for_1950_to_2049():
    assert format_date(datetime.date(1950, 5, 1), "short_year") == "May. 1, 50"
    assert format_date(datetime.date(2049, 12, 31), "short_year") == "Dec. 31, 49"
    for year in (1949, 2050):
        with pytest.raises(GrukitDataError, match="'short_year' writes only the years 1950-2049"):
            format_date(datetime.date(year, 1, 1), "short_year")


def test_every_pair_reads_back_to_its_target_in_exactly_one_way():
    sources, targets = synthetic_dates(3000, seed=3)
    assert len(sources) == len(targets) == 3000
    styles = Counter()
    for source, target in zip(sources, targets, strict=True):
        read = _read(source)
        assert len(read) == 1, (source, read)
        style, date = read[0]
        assert date == datetime.date.fromisoformat(target)
        assert target == f"{date.year:04d}-{date.month:02d}-{date.day:02d}"
        styles[style] += 1
    # ten styles drawn uniformly: 300 each expected, sd about 16
    assert set(styles) == set(DATE_STYLES)
    assert all(220 < count < 380 for count in styles.values()), styles


def test_dates_are_uniform_over_every_day_of_the_range():
    targets = synthetic_dates(5000, seed=1, start_year=2000, end_year=2000)[1]
    every_day = {
        (datetime.date(2000, 1, 1) + datetime.timedelta(days=k)).isoformat() for k in range(366)
    }
    assert set(targets) == every_day  # 2000 is a leap year: 29 February included
    years = Counter(t[:4] for t in synthetic_dates(20000, seed=2)[1])
    assert set(years) == {str(year) for year in range(1950, 2050)}
    assert all(120 < count < 290 for count in years.values())  # 200 expected, sd 14


def test_years_outside_the_two_digit_window_are_never_written_with_two_digits():
    sources, targets = synthetic_dates(2000, seed=0, start_year=1800, end_year=1900)
    assert all(1800 <= int(t[:4]) <= 1900 for t in targets)
    assert "1900-02-29" not in targets  # 1900 is not a leap year
    assert not any(re.fullmatch(READERS["short_year"][0], s) for s in sources)
    for source, target in zip(sources, targets, strict=True):
        assert [date.isoformat() for _, date in _read(source)] == [target]


def test_the_same_seed_gives_the_same_pairs():
    assert synthetic_dates(50, seed=5) == synthetic_dates(50, seed=5)
    assert synthetic_dates(50, seed=5) != synthetic_dates(50, seed=6)
    assert synthetic_dates(10, seed=5)[0] == synthetic_dates(50, seed=5)[0][:10]


def test_a_subset_of_styles():
    sources, _ = synthetic_dates(40, styles=["dots", "ordinal"])
    assert {style for source in sources for style, _ in _read(source)} == {"dots", "ordinal"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"n": 0}, "`n` must be a positive integer, got 0"),
        ({"n": 2.0}, "`n` must be a positive integer, got 2.0"),
        ({"n": True}, "`n` must be a positive integer, got True"),
        ({"n": 3, "seed": -1}, "`seed` must be an integer >= 0"),
        ({"n": 3, "start_year": 2000, "end_year": 1999}, "`start_year` must be <= `end_year`"),
        ({"n": 3, "start_year": 999}, r"`start_year` must be an integer in \[1000, 9999\]"),
        ({"n": 3, "styles": ["dots", "iso"]}, r"`styles\[1\]` must be one of"),
        ({"n": 3, "styles": "dots"}, "`styles` must be a non-empty list"),
        ({"n": 3, "styles": []}, "`styles` must be a non-empty list"),
        ({"n": 3, "styles": ["short_year"], "start_year": 1900}, "holds only 'short_year'"),
    ],
)
def test_bad_arguments(arguments, message):
    with pytest.raises(GrukitDataError, match=message):
        synthetic_dates(**arguments)


def test_format_date_errors():
    with pytest.raises(GrukitDataError, match="`date` must be a datetime.date, got str"):
        format_date("2026-11-21", "dots")
    with pytest.raises(GrukitDataError, match="`style` must be one of"):
        format_date(datetime.date(2026, 11, 21), "iso")
