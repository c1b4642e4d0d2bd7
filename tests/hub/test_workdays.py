"""Working days on the Chinese holiday calendar (hub/workdays.py).

The 2026 dates are the ones the installed chinese-calendar holds (checked
here, so a package that changed them fails loudly): Spring Festival off from
Sun 15 to Mon 23 February, worked on Sat 14 and Sat 28 February.
"""

import datetime

import pytest
from hypothesis import given, settings, strategies as st

from hub import workdays
from hub.workdays import CalendarUnknown, days_after

D = datetime.date


def test_the_calendar_knows_spring_festival_2026():
    assert workdays.is_working_day(D(2026, 2, 14))          # Saturday, make-up workday
    assert workdays.is_working_day(D(2026, 2, 28))          # Saturday, make-up workday
    assert not any(workdays.is_working_day(D(2026, 2, d)) for d in range(15, 24))
    assert workdays.is_working_day(D(2026, 2, 24))


def test_working_days_cross_spring_festival():
    # Friday 13 Feb: the 14th (a Saturday worked) is the first, the 24th the second.
    assert days_after(D(2026, 2, 13), 1) == (D(2026, 2, 14), True, None)
    assert days_after(D(2026, 2, 13), 2).date == D(2026, 2, 24)
    # Shenzhen's 10 working days to close a bad review opened on the 13th.
    assert days_after(D(2026, 2, 13), 10).date == D(2026, 3, 5)
    # A make-up Saturday counts, an ordinary Saturday does not.
    assert days_after(D(2026, 2, 27), 1).date == D(2026, 2, 28)
    assert days_after(D(2026, 3, 6), 1).date == D(2026, 3, 9)


def test_natural_days_ignore_the_calendar():
    assert days_after(D(2026, 2, 13), 7, "natural") == (D(2026, 2, 20), True, None)
    # and work in years the calendar does not know
    assert days_after(D(2030, 1, 1), 60, "natural").exact


def test_beyond_the_calendar_is_refused_or_marked():
    first, last = workdays.known_years()
    start = D(last, 12, 30)
    with pytest.raises(CalendarUnknown) as e:
        days_after(start, 10)
    assert str(last + 1) in str(e.value) and "chinese-calendar" in str(e.value)
    count = days_after(start, 10, fallback=True)
    assert not count.exact and str(last + 1) in count.note
    assert count.date.weekday() < 5
    with pytest.raises(CalendarUnknown):
        workdays.is_working_day(D(first - 1, 6, 1))


def test_zero_days_is_the_day_itself():
    assert days_after(D(2026, 2, 15), 0).date == D(2026, 2, 15)


@pytest.mark.parametrize("n", [-1, 1.0, True, workdays.MAX_DAYS + 1])
def test_bad_counts_are_refused(n):
    with pytest.raises(ValueError):
        days_after(D(2026, 1, 5), n)


@settings(max_examples=150, deadline=None)
@given(start=st.dates(D(2004, 1, 1), D(2026, 11, 1)), n=st.integers(1, 40))
def test_n_working_days_later_is_a_working_day_not_before_n_natural_days(start, n):
    end = days_after(start, n)
    if end.date.year > workdays.known_years()[1]:
        return
    assert end.exact
    assert workdays.is_working_day(end.date)
    assert end.date >= days_after(start, n, "natural").date
    # exactly n working days in (start, end]
    days = (end.date - start).days
    assert sum(workdays.is_working_day(start + datetime.timedelta(days=i))
               for i in range(1, days + 1)) == n
