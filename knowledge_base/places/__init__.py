"""Shared places of every domain: the six wards, offices and desks, their phones and opening hours (data/places/).

`load_places(data_dir)` reads and validates the data; `status(office, at)` says whether an office is open at a
moment, until when, or when it opens next; `find_offices(places, text)` finds the offices a message names.
"""

from knowledge_base.places.find import find_offices, find_wards, match_key
from knowledge_base.places.hours import JST, holiday_name, hours_on, next_opening, status, to_japan_time
from knowledge_base.places.load import load_places
from knowledge_base.places.models import (
    DayHours,
    DayRule,
    FixedDates,
    Hours,
    Interval,
    NthWeekday,
    Office,
    OpenStatus,
    Period,
    Phone,
    Places,
    Ward,
)

__all__ = [
    "JST",
    "DayHours",
    "DayRule",
    "FixedDates",
    "Hours",
    "Interval",
    "NthWeekday",
    "Office",
    "OpenStatus",
    "Period",
    "Phone",
    "Places",
    "Ward",
    "find_offices",
    "find_wards",
    "holiday_name",
    "hours_on",
    "load_places",
    "match_key",
    "next_opening",
    "status",
    "to_japan_time",
]
