"""An office or library as residents need it: its name in their language (official name in parentheses), phone,
whether it is open now (computed from the places data: weekends, national holidays, the year-end closure), address."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from actions.common.replies import format_date
from translations.messages import render

if TYPE_CHECKING:
    from knowledge_base.places import OpenStatus, Places

_REASONS = {"after_hours", "national_holiday", "year_end", "weekend", "closed_day"}


def status_text(state: OpenStatus, lang: str) -> str:
    """「いまは開いています（17:00まで）。」 / "Closed now (national holiday: 文化の日). It opens next on …"."""
    if state.is_open is None:
        return render("office_hours_unknown", lang)
    if state.is_open:
        text = render("office_open_until", lang, time=f"{state.closes_at:%H:%M}") if state.closes_at else ""
    else:
        reason_key = f"reason_{state.reason}" if state.reason in _REASONS else "reason_closed_day"
        reason = render(reason_key, lang, holiday=state.holiday_name or "")
        if state.opens_next:
            text = render("office_closed_opens", lang, reason=reason, when=when_text(state.opens_next, lang))
        else:
            text = render("office_closed", lang, reason=reason)
    if state.certainty == "uncertain":
        text += render("office_hours_uncertain", lang)
    return text


def when_text(moment: datetime, lang: str) -> str:
    return render("office_when", lang, date=format_date(moment.date(), lang), time=f"{moment:%H:%M}")


def office_lines(places: Places, office_id: str, lang: str, now: datetime) -> list[str]:
    """Name, phone, open-now line and address of an office ([] for an unknown id)."""
    from knowledge_base.places import status

    office = places.offices.get(office_id)
    if office is None:
        return []
    lines = [render("office_line", lang, name=places.office_name(office_id, lang))]
    if office.phone:
        lines.append(render("office_phone", lang, phone=office.phone))
    lines.append(status_text(status(office, now), lang))
    if office.address:
        lines.append(render("office_address", lang, address=office.address))
    return lines


def office_phone(places: Places | None, office_id: str | None) -> str | None:
    office = places.offices.get(office_id) if places is not None and office_id else None
    return office.phone if office else None


def office_sources(places: Places | None, office_id: str | None) -> list[str]:
    office = places.offices.get(office_id) if places is not None and office_id else None
    return [office.source] if office else []
