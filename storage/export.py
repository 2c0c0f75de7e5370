"""CSV exports for library and city staff: UTF-8 with a BOM (so Excel shows Japanese), a header row, fixed columns.

Times are Japan time (JST, UTC+9, no daylight saving). Cells a resident typed that start with = + - @ are prefixed
with an apostrophe so a spreadsheet shows them as text instead of running them as formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone

from storage.models import ReferenceRequest, UnansweredQuestion
from storage.repositories import QuestionCount
from storage.smartphone import BookingView, ClassView

JST = timezone(timedelta(hours=9), "JST")

REFERENCE_REQUEST_COLUMNS = (
    "number",
    "status",
    "created_at",
    "updated_at",
    "library",
    "lang",
    "consent",
    "question",
    "contact",
)
UNANSWERED_COLUMNS = ("id", "created_at", "lang", "intent", "domain", "text")
UNANSWERED_COUNT_COLUMNS = ("count", "lang", "text")
SMARTPHONE_BOOKING_COLUMNS = (
    "class_id",
    "date",
    "venue",
    "number",
    "status",
    "seats",
    "name",
    "phone",
    "position",
    "created_at",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _time(value: datetime) -> str:
    return value.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S")


def _text(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)  # excel dialect: CRLF line ends, quoting where needed
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def reference_requests_csv(requests: Iterable[ReferenceRequest]) -> bytes:
    """Columns REFERENCE_REQUEST_COLUMNS; the sender key stays in the database."""
    return _csv(
        REFERENCE_REQUEST_COLUMNS,
        (
            (
                r.number,
                r.status,
                _time(r.created_at),
                _time(r.updated_at),
                r.library or "",
                r.lang,
                "yes" if r.consent else "no",
                _text(r.question),
                _text(r.contact),
            )
            for r in requests
        ),
    )


def unanswered_csv(questions: Iterable[UnansweredQuestion]) -> bytes:
    """Columns UNANSWERED_COLUMNS (the text is already masked)."""
    return _csv(
        UNANSWERED_COLUMNS,
        ((q.id, _time(q.created_at), q.lang, q.intent, q.domain or "", _text(q.text)) for q in questions),
    )


def unanswered_counts_csv(counts: Iterable[QuestionCount]) -> bytes:
    """Columns UNANSWERED_COUNT_COLUMNS, in the order given (Unanswered.counts: most frequent first)."""
    return _csv(UNANSWERED_COUNT_COLUMNS, ((c.count, c.lang, _text(c.text)) for c in counts))


def smartphone_bookings_csv(
    classes: Iterable[ClassView], bookings_by_class: Mapping[str, Sequence[BookingView]]
) -> bytes:
    """Columns SMARTPHONE_BOOKING_COLUMNS: for each class in the order given, its bookings in the order given
    (SmartphoneClasses.bookings: booked, then the waiting list, then cancelled); a class without bookings has no
    rows. `date` is the class's start (Japan time), `venue` the office id, `position` the waiting-list place."""
    return _csv(
        SMARTPHONE_BOOKING_COLUMNS,
        (
            (
                cls.id,
                _time(cls.starts_at)[:16],
                cls.venue,
                b.number,
                b.status,
                b.seats,
                _text(b.name),
                _text(b.phone),
                b.position or "",
                _time(b.created_at),
            )
            for cls in classes
            for b in bookings_by_class.get(cls.id, ())
        ),
    )
