"""Opening hours as pure functions of an office and a moment in Japan time.

National holidays (振替休日 and 国民の休日 included) come from the `holidays` package, imported on first use.
A day's rules apply in this order: fixed_dates → nth_weekdays → holidays → shift_if_holiday → weekly (see the
schema at the top of data/places/offices.yaml). A day the sources do not cover is "unknown", never a guess: today
unknown gives is_open None; unknown days before the next opening are listed in `unknown_days`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from types import MappingProxyType

from knowledge_base.places.models import (
    AS_WEEKDAY,
    CLOSED,
    OPEN,
    UNKNOWN,
    DayHours,
    DayRule,
    Office,
    OpenStatus,
    Period,
)

JST = timezone(timedelta(hours=9), "JST")  # Japan has no daylight saving time
SEARCH_DAYS = 14  # how far ahead opens_next looks

_NTH_ON_HOLIDAY = "祝日と重なる日の扱いは資料に書かれていません。"
_NO_PERIOD = "この日の時間は資料にありません。"


def to_japan_time(at: datetime) -> datetime:
    """`at` in Japan time; a naive datetime is taken to be Japan time already."""
    return at.replace(tzinfo=JST) if at.tzinfo is None else at.astimezone(JST)


@lru_cache(maxsize=32)
def _holidays_of(year: int) -> Mapping[date, str]:
    import holidays  # lazy: only the hours need it

    return MappingProxyType(dict(holidays.country_holidays("JP", years=year, language="ja")))


def holiday_name(day: date) -> str | None:
    """The Japanese name of the national holiday on `day` (e.g. 成人の日, 振替休日), or None."""
    return _holidays_of(day.year).get(day)


def hours_on(office: Office, day: date) -> DayHours:
    """The office's opening intervals on `day`, or why it is closed, or that the sources do not say."""
    holiday = holiday_name(day)
    hours = office.hours
    period = hours.period_on(day) if hours else None
    if hours is None or period is None:
        note = None if hours is None else _NO_PERIOD
        return DayHours(day, UNKNOWN, (), "unknown_hours", holiday, "uncertain", note)
    rule, default_reason, clash = _rule_for(period, day, holiday)
    uncertain = hours.certainty == "uncertain" or rule.certainty == "uncertain" or clash
    note = " ".join(text for text in (rule.note, _NTH_ON_HOLIDAY if clash else None) if text) or None
    certainty = "uncertain" if uncertain else "confirmed"
    if rule.state == OPEN:
        return DayHours(day, OPEN, rule.intervals, "open", holiday, certainty, note)
    if rule.state == CLOSED:
        return DayHours(day, CLOSED, (), rule.reason or default_reason, holiday, certainty, note)
    return DayHours(day, UNKNOWN, (), "unknown_hours", holiday, "uncertain", note)


def _rule_for(period: Period, day: date, holiday: str | None) -> tuple[DayRule, str, bool]:
    """(rule, reason if it closes the day, whether an nth-weekday rule meets a holiday)."""
    for fixed in period.fixed_dates:
        if fixed.matches(day):
            return fixed.rule, "closed_day", False
    for nth in period.nth_weekdays:
        if nth.matches(day):
            return nth.rule, "closed_day", holiday is not None
    if holiday is not None and period.holidays.state != AS_WEEKDAY:
        return period.holidays, "national_holiday", False
    weekday = day.weekday()
    rule = period.weekly[weekday]
    previous = day - timedelta(days=1)
    if (
        rule.state == OPEN
        and previous.weekday() in period.shift_if_holiday
        and period.holidays.state != AS_WEEKDAY
        and holiday_name(previous) is not None
    ):
        rule = period.weekly[previous.weekday()]
    return rule, "weekend" if weekday >= 5 else "closed_day", False


def next_opening(office: Office, after: datetime, days: int = SEARCH_DAYS) -> datetime | None:
    """The first confirmed opening time strictly after `after` within `days` days (None if there is none).
    Days with unknown hours on the way are skipped: `status()` lists them in `unknown_days`."""
    return _search(office, to_japan_time(after), days)[0]


def _search(office: Office, local: datetime, days: int) -> tuple[datetime | None, tuple[date, ...]]:
    unknown: list[date] = []
    for offset in range(days + 1):
        day = local.date() + timedelta(days=offset)
        today = hours_on(office, day)
        if today.state == UNKNOWN:
            unknown.append(day)
            continue
        for interval in today.intervals:
            start = datetime.combine(day, interval.start, JST)
            if start > local:
                return start, tuple(unknown)
    return None, tuple(unknown)


def status(office: Office, at: datetime) -> OpenStatus:
    """Whether `office` is open at `at` (naive = Japan time), until when, or when it opens next."""
    local = to_japan_time(at)
    today = hours_on(office, local.date())
    if today.state == UNKNOWN:
        return _status(office, local, today, None, "unknown_hours")
    moment = local.time()
    for interval in today.intervals:
        if interval.contains(moment):
            closes = datetime.combine(local.date(), interval.end, JST)
            return _status(office, local, today, True, "open", closes_at=closes)
    reason = "after_hours" if today.state == OPEN else today.reason
    opens_next, unknown_days = _search(office, local, SEARCH_DAYS)
    return _status(office, local, today, False, reason, opens_next=opens_next, unknown_days=unknown_days)


def _status(
    office: Office,
    local: datetime,
    today: DayHours,
    is_open: bool | None,
    reason: str,
    closes_at: datetime | None = None,
    opens_next: datetime | None = None,
    unknown_days: tuple[date, ...] = (),
) -> OpenStatus:
    return OpenStatus(
        office_id=office.id,
        at=local,
        is_open=is_open,
        reason=reason,
        closes_at=closes_at,
        opens_next=opens_next,
        unknown_days=unknown_days,
        holiday_name=today.holiday_name,
        certainty=today.certainty,
        note=today.note,
        today=today,
    )
