"""Working days on the Chinese holiday calendar, and natural days.

Deadlines in the hall rules are counted in working days (工作日): weekdays,
less the public holidays the State Council announces each year, plus its
make-up workdays (调休: a Saturday or Sunday worked in exchange for a longer
holiday). The calendar is the PyPI package `chinese-calendar`, which knows
the years the State Council has published (1.11.0: 2004 to 2026); a new
year's holidays arrive with a new release of the package, usually in the
November before.

Beyond the years it knows, nothing is guessed silently: `days_after` raises
CalendarUnknown, or with `fallback=True` counts Monday to Friday as working
days for the unknown years and returns a Count whose `exact` is False and
whose `note` says so. The caller decides, and logs or shows the note.

    days_after(date(2026, 2, 13), 2)   # Count(date(2026, 2, 24), True, None): the 14th is worked
    days_after(date(2026, 2, 13), 7, "natural")
    days_after(date(2026, 12, 30), 10, fallback=True).exact   # False: 2027 unknown

"N working days after D" is the Nth working day strictly after D (D itself
does not count, whether it is a working day or not); 0 is D itself.
"""

import datetime
from typing import NamedTuple

KINDS = ("working", "natural")
_ONE = datetime.timedelta(days=1)
MAX_DAYS = 3660          # ten years: no rule of this hub counts further


class CalendarUnknown(ValueError):
    """A day in a year the installed holiday calendar does not cover."""

    def __init__(self, year, first, last):
        self.year = year
        super().__init__(
            "the holiday calendar (chinese-calendar %s) knows the years %d to %d, not %d; "
            "update the package (pip install -U chinese-calendar) once the State Council has "
            "published %d's holidays" % (_version(), first, last, year, year))


class Count(NamedTuple):
    date: datetime.date
    exact: bool            # False: part of the count fell outside the calendar's years
    note: str | None       # why it is not exact, for the log or the page


def _version():
    try:
        from importlib.metadata import version
        return version("chinese-calendar")
    except Exception:      # an unusual install: the years still say enough
        return "?"


def known_years():
    """(first, last) year the installed calendar covers."""
    from chinese_calendar import constants
    return min(constants.holidays).year, max(constants.holidays).year


def is_working_day(day):
    """True on a working day (make-up workdays included); CalendarUnknown outside
    the calendar's years."""
    first, last = known_years()
    if not first <= day.year <= last:
        raise CalendarUnknown(day.year, first, last)
    import chinese_calendar
    return chinese_calendar.is_workday(day)


def _check(start, n, kind):
    if not isinstance(start, datetime.date) or isinstance(start, datetime.datetime):
        raise TypeError("start must be a datetime.date, got %r" % (start,))
    if type(n) is not int or not 0 <= n <= MAX_DAYS:
        raise ValueError("days must be a whole number from 0 to %d, got %r" % (MAX_DAYS, n))
    if kind not in KINDS:
        raise ValueError("kind must be working or natural, got %r" % (kind,))


def days_after(start, n, kind="working", fallback=False):
    """The day N days of KIND after START -> Count. kind "natural": calendar
    days. "working": see the module docstring; outside the calendar's years
    CalendarUnknown, or with FALLBACK Monday to Friday count (exact False)."""
    _check(start, n, kind)
    if kind == "natural":
        return Count(start + n * _ONE, True, None)
    first, last = known_years()
    import chinese_calendar
    day, left, guessed = start, n, set()
    while left:
        day += _ONE
        if first <= day.year <= last:
            working = chinese_calendar.is_workday(day)
        elif fallback:
            guessed.add(day.year)
            working = day.weekday() < 5
        else:
            raise CalendarUnknown(day.year, first, last)
        if working:
            left -= 1
    if not guessed:
        return Count(day, True, None)
    years = ", ".join(str(y) for y in sorted(guessed))
    return Count(day, False, "working days in %s counted as Monday to Friday: the holiday "
                 "calendar (chinese-calendar %s) knows %d to %d; update it when the State "
                 "Council has published the holidays" % (years, _version(), first, last))
