"""Open-now answers with a fixed clock: periods by date, holidays from the `holidays` package, nth-weekday rules."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from knowledge_base.places import JST, Places, holiday_name, hours_on, next_opening, status


def jst(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JST)


@pytest.mark.parametrize(
    ("office_id", "at", "is_open", "reason", "until"),
    [
        # An ordinary weekday at 10:00.
        ("ward_office_chuo", jst(2026, 1, 7, 10), True, "open", jst(2026, 1, 7, 17)),
        ("chuo_library", jst(2026, 1, 6, 10), True, "open", jst(2026, 1, 6, 21)),
        ("ccia_desk", jst(2026, 1, 6, 10), True, "open", jst(2026, 1, 6, 20)),
        # Ward office: 9:00–17:00 from 2026-01-05, 8:30–17:30 before.
        ("ward_office_chuo", jst(2026, 1, 6, 8, 45), False, "after_hours", None),
        ("ward_office_chuo", jst(2025, 12, 1, 8, 45), True, "open", jst(2025, 12, 1, 17, 30)),
        ("ward_office_chuo", jst(2025, 12, 1, 17, 15), True, "open", jst(2025, 12, 1, 17, 30)),
        ("ward_office_chuo", jst(2026, 1, 6, 17, 15), False, "after_hours", None),
        # Year end, national holidays, 振替休日 (5/3 is a Sunday) and 国民の休日 (between two holidays).
        ("ward_office_chuo", jst(2026, 1, 1, 10), False, "year_end", None),
        ("ward_office_chuo", jst(2025, 12, 29, 10), False, "year_end", None),
        ("chuo_library", jst(2026, 1, 1, 10), False, "year_end", None),
        ("ward_office_chuo", jst(2026, 11, 23, 10), False, "national_holiday", None),
        ("ward_office_chuo", jst(2026, 5, 6, 10), False, "national_holiday", None),
        ("ward_office_chuo", jst(2026, 9, 22, 10), False, "national_holiday", None),
        ("ward_office_chuo", jst(2026, 1, 10, 10), False, "weekend", None),
        # Central Library: closed on Mondays, open 9:30–17:30 on a Monday holiday (2026-01-12 成人の日).
        ("chuo_library", jst(2026, 1, 19, 10), False, "closed_day", None),
        ("chuo_library", jst(2026, 1, 12, 10), True, "open", jst(2026, 1, 12, 17, 30)),
        ("chuo_library", jst(2026, 1, 12, 9), False, "after_hours", None),
        ("chuo_library", jst(2026, 1, 12, 17, 30), False, "after_hours", None),
        # Central Library: closed on the 3rd Thursday (2026-01-15, 2026-02-19), open on the 2nd.
        ("chuo_library", jst(2026, 1, 15, 10), False, "closed_day", None),
        ("chuo_library", jst(2026, 2, 19, 10), False, "closed_day", None),
        ("chuo_library", jst(2026, 1, 8, 10), True, "open", jst(2026, 1, 8, 21)),
        # CCIA: Saturdays 9:00–17:00, closed on Sundays.
        ("ccia_desk", jst(2026, 1, 10, 16), True, "open", jst(2026, 1, 10, 17)),
        ("ccia_desk", jst(2026, 1, 10, 17, 30), False, "after_hours", None),
        ("ccia_desk", jst(2026, 1, 11, 10), False, "weekend", None),
        # Pension offices: Monday until 19:00, Tuesday instead when Monday is a holiday, 2nd Saturday 9:30–16:00.
        ("pension_chiba", jst(2026, 1, 19, 18, 30), True, "open", jst(2026, 1, 19, 19)),
        ("pension_chiba", jst(2026, 1, 13, 18, 30), True, "open", jst(2026, 1, 13, 19)),
        ("pension_chiba", jst(2026, 1, 20, 18, 30), False, "after_hours", None),
        ("pension_makuhari", jst(2026, 1, 10, 10), True, "open", jst(2026, 1, 10, 16)),
        ("pension_makuhari", jst(2026, 1, 17, 10), False, "weekend", None),
        # Prefecture desk: lunch break 12:00–13:00.
        ("pref_foreign_desk", jst(2026, 1, 7, 12, 30), False, "after_hours", None),
        ("pref_foreign_desk", jst(2026, 1, 7, 13, 30), True, "open", jst(2026, 1, 7, 16)),
        # Prefectural library: a Monday-holiday closure moves to Tuesday.
        ("prefectural_library", jst(2026, 1, 12, 10), True, "open", jst(2026, 1, 12, 17)),
        ("prefectural_library", jst(2026, 1, 13, 10), False, "closed_day", None),
    ],
)
def test_open_now(places: Places, office_id: str, at: datetime, is_open: bool, reason: str, until) -> None:
    result = status(places.offices[office_id], at)
    assert (result.is_open, result.reason) == (is_open, reason)
    assert result.closes_at == until


@pytest.mark.parametrize(
    ("office_id", "at", "opens_next"),
    [
        # Friday after closing -> Monday morning.
        ("ward_office_chuo", jst(2026, 1, 16, 17, 30), jst(2026, 1, 19, 9)),
        # Before opening -> the same day.
        ("ward_office_chuo", jst(2026, 1, 6, 8, 45), jst(2026, 1, 6, 9)),
        # Across the change of hours: Sunday 2026-01-04 -> Monday 2026-01-05 at the new time.
        ("ward_office_chuo", jst(2026, 1, 4, 10), jst(2026, 1, 5, 9)),
        # Across the year end.
        ("ward_office_chuo", jst(2025, 12, 26, 18), jst(2026, 1, 5, 9)),
        # Saturday evening -> Tuesday, because Monday 2026-01-12 is 成人の日.
        ("ccia_desk", jst(2026, 1, 10, 17, 30), jst(2026, 1, 13, 9)),
        ("chuo_library", jst(2026, 1, 19, 10), jst(2026, 1, 20, 9, 30)),
        ("pref_foreign_desk", jst(2026, 1, 7, 12, 30), jst(2026, 1, 7, 13)),
    ],
)
def test_opens_next(places: Places, office_id: str, at: datetime, opens_next: datetime) -> None:
    result = status(places.offices[office_id], at)
    assert result.is_open is False
    assert result.opens_next == opens_next


def test_holiday_and_year_end_name_the_day(places: Places) -> None:
    new_year = status(places.offices["ward_office_chuo"], jst(2026, 1, 1, 10))
    assert new_year.holiday_name == "元日"
    assert status(places.offices["ward_office_chuo"], jst(2026, 5, 6, 10)).holiday_name == "振替休日"
    assert status(places.offices["chuo_library"], jst(2026, 1, 12, 10)).holiday_name == "成人の日"
    assert holiday_name(date(2026, 9, 22)) == "国民の休日"
    assert holiday_name(date(2026, 1, 7)) is None


@pytest.mark.parametrize(
    ("office_id", "at"),
    [
        ("miyako_library", jst(2026, 1, 7, 10)),  # hours not found
        ("sodai_center", jst(2026, 1, 7, 10)),
        ("ward_office_chuo", jst(2026, 1, 11, 10)),  # 2nd Sunday: 休日開庁, clock hours not found
        ("ward_office_chuo", jst(2026, 3, 29, 10)),  # last Sunday of March
        ("garbage_consult", jst(2026, 11, 23, 10)),  # holidays not given
        ("city_hall", jst(2026, 1, 10, 10)),  # which days it opens is not given
    ],
)
def test_unknown_hours_are_not_guessed(places: Places, office_id: str, at: datetime) -> None:
    result = status(places.offices[office_id], at)
    assert result.is_open is None
    assert result.reason == "unknown_hours"
    assert result.closes_at is None and result.opens_next is None and result.unknown_days == ()
    assert result.certainty == "uncertain"


def test_unknown_days_before_the_next_opening_are_named(places: Places) -> None:
    # Saturday 2026-01-10: Sunday 1/11 is a 休日開庁 Sunday with unknown hours, Monday 1/12 is 成人の日.
    result = status(places.offices["ward_office_chuo"], jst(2026, 1, 10, 10))
    assert result.opens_next == jst(2026, 1, 13, 9)
    assert result.unknown_days == (date(2026, 1, 11),)
    assert next_opening(places.offices["ward_office_chuo"], jst(2026, 1, 10, 10)) == jst(2026, 1, 13, 9)
    # An ordinary weekend has none.
    assert status(places.offices["ward_office_chuo"], jst(2026, 1, 16, 17, 30)).unknown_days == ()


def test_uncertain_rules_make_the_answer_uncertain(places: Places) -> None:
    third_thursday = status(places.offices["chuo_library"], jst(2026, 1, 15, 10))
    assert third_thursday.certainty == "uncertain"
    assert third_thursday.note and "第3木曜日" in third_thursday.note
    ccia_new_year = status(places.offices["ccia_desk"], jst(2025, 12, 30, 10))
    assert (ccia_new_year.is_open, ccia_new_year.reason, ccia_new_year.certainty) == (False, "year_end", "uncertain")
    assert status(places.offices["ccia_desk"], jst(2026, 1, 6, 10)).certainty == "confirmed"
    assert status(places.offices["call_centre"], jst(2026, 1, 6, 10)).certainty == "uncertain"


def test_times_are_japan_time(places: Places) -> None:
    office = places.offices["ward_office_chuo"]
    utc = datetime(2026, 1, 7, 1, 0, tzinfo=timezone.utc)  # 10:00 in Japan
    assert status(office, utc).is_open is True
    assert status(office, utc).at == jst(2026, 1, 7, 10)
    naive = datetime(2026, 1, 7, 8, 45)  # taken as Japan time
    assert status(office, naive).is_open is False


def test_hours_on_a_day(places: Places) -> None:
    day = hours_on(places.offices["pref_foreign_desk"], date(2026, 1, 7))
    assert day.state == "open"
    assert [str(interval) for interval in day.intervals] == ["09:00-12:00", "13:00-16:00"]
    closed = hours_on(places.offices["chuo_library"], date(2026, 1, 19))
    assert (closed.state, closed.reason, closed.intervals) == ("closed", "closed_day", ())
