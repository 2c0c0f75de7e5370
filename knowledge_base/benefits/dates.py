"""Calendar rules of the programmes: fiscal years (April–March), ages in months, and "the first 31 March after
reaching age N" (the Japanese school-year cohort: a child born on 1 April reaches an age the day before its
birthday, so it belongs to the earlier school year)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def fiscal_year(day: date) -> int:
    """The fiscal year of a date: FY2026 = 2026-04-01 … 2027-03-31."""
    return day.year if day.month >= 4 else day.year - 1


def fy_code(day: date) -> str:
    return f"FY{fiscal_year(day)}"


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def birth_range(age_months: int, today: date) -> tuple[date, date]:
    """Earliest and latest birth date of a child who is `age_months` completed months old on `today`."""
    latest = add_months(today, -age_months)
    earliest = add_months(today, -(age_months + 1)) + timedelta(days=1)
    return earliest, latest


def fy_end_reaching(birth: date, age: int) -> date:
    """The first 31 March on or after the day the person reaches `age` (the day before the birthday).
    18 → the end of 高校生年代; 6 → the end of the year before elementary school."""
    reached = add_years(birth - timedelta(days=1), age)
    year = reached.year if (reached.month, reached.day) <= (3, 31) else reached.year + 1
    return date(year, 3, 31)


def fy_start_reaching(birth: date, age: int) -> date:
    """1 April of the fiscal year in which the person reaches `age` (e.g. 12 → 小学6年生, 13 → 中学1年生)."""
    return date(fy_end_reaching(birth, age).year - 1, 4, 1)
