"""Typed records of the shared places: wards, offices, their opening hours (schema: data/places/offices.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
OFFICE_KINDS = ("library", "ward_office", "desk", "pension_office", "tax_office", "call_centre", "city_hall", "garbage")
CERTAINTIES = ("confirmed", "uncertain")


def curated_languages() -> tuple[str, ...]:
    """Languages with a curated name file under i18n/ (every reply language but Japanese, which is the data)."""
    from translations.languages import codes

    return tuple(code for code in codes() if code != "ja")


# Languages written with CJK punctuation: the Japanese name goes in full-width parentheses.
_FULL_WIDTH_PARENS = frozenset({"zh"})

# Day states. A rule says a day is open (during intervals), closed, unknown (the sources do not say), or — for the
# national-holiday rule only — as on that weekday.
OPEN = "open"
CLOSED = "closed"
UNKNOWN = "unknown"
AS_WEEKDAY = "as_weekday"
# Why a rule closes a day (`reason:` in the data); status() adds national_holiday, weekend, after_hours, ...
CLOSED_REASONS = ("year_end", "closed_day")


@dataclass(frozen=True)
class Interval:
    """Opening from `start` (inclusive) to `end` (exclusive), within one day."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        return self.start <= moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class DayRule:
    """What one rule says about a day."""

    state: str  # open | closed | unknown | as_weekday (holidays only)
    intervals: tuple[Interval, ...] = ()  # when open
    reason: str | None = None  # when closed: year_end | closed_day (None = the caller's default)
    note: str | None = None  # Japanese, shown with the answer
    certainty: str = "confirmed"


@dataclass(frozen=True)
class NthWeekday:
    """The nth (1–5, or -1 = last) `weekday` of the month, optionally only in some months (3rd Thursday)."""

    nth: int
    weekday: int  # 0 = Monday
    rule: DayRule
    months: frozenset[int] = frozenset()  # empty = every month

    def matches(self, day: date) -> bool:
        if day.weekday() != self.weekday or (self.months and day.month not in self.months):
            return False
        if self.nth == -1:
            return (day.day + 7) > _days_in_month(day)
        return (day.day - 1) // 7 + 1 == self.nth


@dataclass(frozen=True)
class FixedDates:
    """The same calendar dates every year, from `start` to `end` (month, day) inclusive; may wrap the new year."""

    start: tuple[int, int]
    end: tuple[int, int]
    rule: DayRule

    def matches(self, day: date) -> bool:
        key = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= key <= self.end
        return key >= self.start or key <= self.end

    def __str__(self) -> str:
        text = f"{self.start[0]:02d}-{self.start[1]:02d}"
        return text if self.start == self.end else f"{text}..{self.end[0]:02d}-{self.end[1]:02d}"


@dataclass(frozen=True)
class Period:
    """The rules in force from `valid_from` to `valid_until` (both inclusive, None = open-ended)."""

    weekly: tuple[DayRule, ...]  # seven rules, Monday first
    holidays: DayRule  # national holidays (振替休日 and 国民の休日 included)
    valid_from: date | None = None
    valid_until: date | None = None
    nth_weekdays: tuple[NthWeekday, ...] = ()
    fixed_dates: tuple[FixedDates, ...] = ()
    # Weekdays whose hours move to the next day when they fall on a holiday (年金事務所: Monday late opening).
    shift_if_holiday: frozenset[int] = frozenset()
    source: str | None = None
    source_date: str | None = None

    def covers(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


@dataclass(frozen=True)
class Hours:
    periods: tuple[Period, ...]
    certainty: str  # of the hours as a whole; a single rule may be uncertain on its own
    source: str | None = None  # when the hours come from another page than the office entry
    source_date: str | None = None
    notes: str | None = None

    def period_on(self, day: date) -> Period | None:
        return next((period for period in self.periods if period.covers(day)), None)


@dataclass(frozen=True)
class Phone:
    label: str  # e.g. 代表, FAX, 証明書
    number: str


@dataclass(frozen=True)
class Office:
    id: str
    name: str  # official Japanese name
    kind: str  # one of OFFICE_KINDS
    ward: str | None  # ward id of its location, None = unknown or not in the city
    address: str | None
    phone: str | None
    hours: Hours | None  # None = not found (status() answers "unknown")
    certainty: str  # confirmed = every fact of the entry is on an official page; uncertain otherwise
    source: str
    source_date: str
    aliases: tuple[str, ...] = ()
    notes: str | None = None
    postcode: str | None = None
    address_source: str | None = None  # when the address comes from another page than `source`
    other_phones: tuple[Phone, ...] = ()
    serves: tuple[str, ...] = ()  # ward ids it is responsible for (pension and tax offices)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Ward:
    id: str
    name: str  # 中央区
    reading: str  # ちゅうおうく
    romaji: str  # Chuo-ku
    ward_office: str  # office id
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, self.reading, self.romaji, *self.aliases)


@dataclass(frozen=True, eq=False)  # compared by identity: find() caches its term tables per instance
class Places:
    wards: Mapping[str, Ward]
    offices: Mapping[str, Office]
    # lang -> {"wards": {id: name}, "offices": {id: name}} (curated, i18n/<lang>.yaml)
    names: Mapping[str, Mapping[str, Mapping[str, str]]]

    def office_name(self, office_id: str, lang: str = "ja") -> str:
        """The office's name for a reply in `lang`, with the official Japanese name in parentheses."""
        office = self.offices[office_id]
        return self._display(office.name, self.names.get(lang, {}).get("offices", {}).get(office_id), lang)

    def ward_name(self, ward_id: str, lang: str = "ja") -> str:
        ward = self.wards[ward_id]
        return self._display(ward.name, self.names.get(lang, {}).get("wards", {}).get(ward_id), lang)

    @staticmethod
    def _display(japanese: str, curated: str | None, lang: str) -> str:
        # ja-easy text is Japanese already (with furigana): no second copy of the name.
        if lang == "ja" or not curated:
            return japanese
        if lang == "ja-easy" or curated == japanese:
            return curated
        return f"{curated}（{japanese}）" if lang in _FULL_WIDTH_PARENS else f"{curated} ({japanese})"


@dataclass(frozen=True)
class DayHours:
    """An office's hours on one date, after every rule is applied."""

    day: date
    state: str  # open | closed | unknown
    intervals: tuple[Interval, ...]  # when open
    reason: str  # open | year_end | national_holiday | weekend | closed_day | unknown_hours
    holiday_name: str | None  # Japanese name of the national holiday on that date
    certainty: str  # uncertain when the hours or the rule that decided the day are
    note: str | None = None


@dataclass(frozen=True)
class OpenStatus:
    """Whether an office is open at a moment (Japan time)."""

    office_id: str
    at: datetime  # the moment asked about, in Japan time
    is_open: bool | None  # None = the hours for that day are unknown
    # open | after_hours (outside today's opening times) | year_end | national_holiday | weekend | closed_day |
    # unknown_hours
    reason: str
    closes_at: datetime | None  # when open: end of the current opening interval
    opens_next: datetime | None  # when closed: next confirmed opening within 14 days (None = none found)
    # When closed: days before opens_next (or in the 14 days searched) whose hours are unknown — the office may
    # open on them (休日開庁 Sundays); say so rather than promising opens_next.
    unknown_days: tuple[date, ...]
    holiday_name: str | None
    certainty: str
    note: str | None
    today: DayHours


def _days_in_month(day: date) -> int:
    following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return (following - date(day.year, day.month, 1)).days
