"""Every action-server setting: one environment variable each, with a typed default, read in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

# Japan has no daylight saving time, so a fixed offset is Asia/Tokyo without needing tzdata.
JST = timezone(timedelta(hours=9), "Asia/Tokyo")


def _date(name: str) -> date | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a date like 2025-11-25, got {value!r}") from exc


def _datetime(name: str) -> datetime | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be a date and time like 2026-01-06T10:00, got {value!r}") from exc
    return moment.replace(tzinfo=JST) if moment.tzinfo is None else moment.astimezone(JST)


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {value!r}") from exc


@dataclass(frozen=True)
class Settings:
    today_override: date | None  # CHIBA_TODAY=YYYY-MM-DD: fixes "today" (tests, demos); unset = today in Asia/Tokyo
    next_dates: int  # CHIBA_NEXT_DATES: how many upcoming collection dates an answer lists
    max_buttons: int  # CHIBA_MAX_BUTTONS: most choices offered in one clarifying question
    # CHIBA_NOW=YYYY-MM-DDTHH:MM (Japan time): fixes "now" for "is it open now?" (tests, demos); also fixes today
    now_override: datetime | None = None

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            today_override=_date("CHIBA_TODAY"),
            next_dates=_int("CHIBA_NEXT_DATES", 3),
            max_buttons=_int("CHIBA_MAX_BUTTONS", 4),
            now_override=_datetime("CHIBA_NOW"),
        )

    def today(self) -> date:
        return self.today_override or self.now().date()

    def now(self) -> datetime:
        """The current moment in Japan time."""
        return self.now_override or datetime.now(JST)
