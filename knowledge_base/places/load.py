"""Loading and validation of data/places/ (wards.yaml, offices.yaml, i18n/<lang>.yaml); schema: offices.yaml.

Every problem is collected and raised together as one DataError, each naming the file, line and entry.
"""

from __future__ import annotations

import re
from datetime import date, time
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from knowledge_base.core.data import DataError
from knowledge_base.places.find import MIN_KEY_CHARS, match_key, office_terms, ward_terms
from knowledge_base.places.models import (
    AS_WEEKDAY,
    CERTAINTIES,
    CLOSED,
    CLOSED_REASONS,
    OFFICE_KINDS,
    OPEN,
    UNKNOWN,
    WEEKDAYS,
    DayRule,
    FixedDates,
    Hours,
    Interval,
    NthWeekday,
    Office,
    Period,
    Phone,
    Places,
    Ward,
    curated_languages,
)

PLACES_DIR = "places"
WARDS_FILE = "wards.yaml"
OFFICES_FILE = "offices.yaml"
I18N_DIR = "i18n"

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$")
# Japanese numbers as written on city pages: 043-245-5750, 0570-05-1165, 0120-…; 10 digits (11 for 0X0 mobiles).
_PHONE = re.compile(r"^0\d{1,4}-\d{1,4}-\d{3,4}$")
_POSTCODE = re.compile(r"^\d{3}-\d{4}$")
_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")
_HIRAGANA = re.compile(r"^[\u3041-\u309fー]+$")

_OFFICE_KEYS = frozenset(
    {
        *("id", "name", "kind", "ward", "serves", "address", "postcode", "phone", "other_phones", "hours"),
        *("certainty", "source", "source_date", "address_source", "aliases", "notes"),
    }
)
_WARD_KEYS = frozenset({"id", "name", "reading", "romaji", "ward_office", "aliases"})
_HOURS_KEYS = frozenset({"certainty", "source", "source_date", "notes", "periods"})
_PERIOD_KEYS = frozenset(
    {
        *("valid_from", "valid_until", "weekly", "holidays", "shift_if_holiday", "nth_weekdays", "fixed_dates"),
        *("source", "source_date"),
    }
)
_RULE_KEYS = frozenset({"hours", "note", "certainty", "reason"})


class _Problems:
    """Collects findings; `where` names file, line and entry for each."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


def load_places(data_dir: Path | str) -> Places:
    """Read and validate `<data_dir>/places/`; raises DataError listing every problem."""
    folder = Path(data_dir) / PLACES_DIR
    problems = _Problems()
    wards = _load_wards(folder / WARDS_FILE, problems)
    offices = _load_offices(folder / OFFICES_FILE, problems)
    _check_references(wards, offices, problems)
    names = _load_i18n(folder / I18N_DIR, wards, offices, problems)
    places = Places(MappingProxyType(wards), MappingProxyType(offices), MappingProxyType(names))
    _check_names(places, problems)
    if problems.items:
        raise DataError(problems.items)
    return places


# ---------- files ----------


def _read_list(path: Path, problems: _Problems) -> list[tuple[str, dict[str, Any]]]:
    """(where, entry) for each mapping of a YAML list file; `where` is "places/<file>:<line>"."""
    label = f"{PLACES_DIR}/{path.name}"
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except (OSError, yaml.YAMLError) as exc:
        problems.add(label, f"cannot read YAML ({exc})")
        return []
    if data is None:
        problems.add(label, "is empty")
        return []
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        problems.add(label, "expected a list of mappings")
        return []
    out: list[tuple[str, dict[str, Any]]] = []
    for entry, item in zip(data, node.value, strict=True):
        where = f"{label}:{item.start_mark.line + 1}"
        if not isinstance(entry, dict):
            problems.add(where, "expected a mapping")
            continue
        if isinstance(entry.get("id"), str):
            where = f"{where} ({entry['id']})"
        out.append((where, entry))
    return out


def _text(entry: dict[str, Any], key: str, where: str, problems: _Problems, required: bool = True) -> str | None:
    value = entry.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(where, f"missing '{key}'")
        return None
    if isinstance(value, date):  # an unquoted YAML date
        return value.isoformat()
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        problems.add(where, f"'{key}' must be text, got {type(value).__name__}")
        return None
    return str(value).strip()


def _texts(entry: dict[str, Any], key: str, where: str, problems: _Problems) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, (str, int)) for item in value):
        problems.add(where, f"'{key}' must be a list of text")
        return ()
    return tuple(dict.fromkeys(str(item).strip() for item in value if str(item).strip()))


def _unknown_keys(entry: dict[str, Any], allowed: frozenset[str], where: str, problems: _Problems) -> None:
    for key in entry:
        if key not in allowed:
            problems.add(where, f"unknown key {key!r}")


def _choice(value: str | None, allowed: tuple[str, ...], key: str, where: str, problems: _Problems) -> None:
    if value is not None and value not in allowed:
        problems.add(where, f"'{key}' must be one of {', '.join(allowed)}, got {value!r}")


def _url(value: str | None, key: str, where: str, problems: _Problems) -> None:
    if value is not None and not _URL.match(value):
        problems.add(where, f"'{key}' must be an http(s) URL, got {value!r}")


def _phone(value: str | None, key: str, where: str, problems: _Problems) -> None:
    if value is None:
        return
    digits = value.replace("-", "")
    if not _PHONE.match(value) or len(digits) not in (10, 11):
        problems.add(where, f"'{key}' {value!r} does not look like a Japanese phone number (e.g. 043-245-5750)")


# ---------- wards ----------


def _load_wards(path: Path, problems: _Problems) -> dict[str, Ward]:
    wards: dict[str, Ward] = {}
    for where, entry in _read_list(path, problems):
        _unknown_keys(entry, _WARD_KEYS, where, problems)
        fields = {key: _text(entry, key, where, problems) for key in ("id", "name", "reading", "romaji", "ward_office")}
        ward_id = fields["id"]
        if ward_id and not _ID.match(ward_id):
            problems.add(where, f"id {ward_id!r} must be lower-case letters, digits and _")
        if fields["reading"] and not _HIRAGANA.match(fields["reading"]):
            problems.add(where, f"'reading' must be hiragana, got {fields['reading']!r}")
        if not all(fields.values()):
            continue
        if ward_id in wards:
            problems.add(where, f"duplicate ward id {ward_id!r}")
        wards[str(ward_id)] = Ward(
            id=str(ward_id),
            name=str(fields["name"]),
            reading=str(fields["reading"]),
            romaji=str(fields["romaji"]),
            ward_office=str(fields["ward_office"]),
            aliases=_texts(entry, "aliases", where, problems),
        )
    return wards


# ---------- offices ----------


def _load_offices(path: Path, problems: _Problems) -> dict[str, Office]:
    offices: dict[str, Office] = {}
    for where, entry in _read_list(path, problems):
        office = _office(entry, where, problems)
        if office is None:
            continue
        if office.id in offices:
            problems.add(where, f"duplicate office id {office.id!r}")
        offices[office.id] = office
    return offices


def _office(entry: dict[str, Any], where: str, problems: _Problems) -> Office | None:
    _unknown_keys(entry, _OFFICE_KEYS, where, problems)
    required = {key: _text(entry, key, where, problems) for key in ("id", "name", "kind", "certainty", "source")}
    source_date = _text(entry, "source_date", where, problems)
    office_id, kind, certainty, source = required["id"], required["kind"], required["certainty"], required["source"]
    if office_id and not _ID.match(office_id):
        problems.add(where, f"id {office_id!r} must be lower-case letters, digits and _")
    _choice(kind, OFFICE_KINDS, "kind", where, problems)
    _choice(certainty, CERTAINTIES, "certainty", where, problems)
    _url(source, "source", where, problems)
    address_source = _text(entry, "address_source", where, problems, required=False)
    _url(address_source, "address_source", where, problems)
    phone = _text(entry, "phone", where, problems, required=False)
    _phone(phone, "phone", where, problems)
    postcode = _text(entry, "postcode", where, problems, required=False)
    if postcode and not _POSTCODE.match(postcode):
        problems.add(where, f"'postcode' must look like 260-8722, got {postcode!r}")
    hours = None
    if entry.get("hours") is not None:
        hours = _hours(entry["hours"], f"{where} hours", problems)
    elif "hours" not in entry:
        problems.add(where, "missing 'hours' (write `hours: null` when they were not found)")
    if certainty == "confirmed" and (entry.get("hours") is None or phone is None):
        problems.add(where, "an office without hours or phone must be 'certainty: uncertain'")
    aliases = _texts(entry, "aliases", where, problems)
    for alias in aliases:
        if len(match_key(alias)) < MIN_KEY_CHARS:
            problems.add(where, f"alias {alias!r} is too short to match safely")
    if not (all(required.values()) and source_date):
        return None
    return Office(
        id=str(office_id),
        name=str(required["name"]),
        kind=str(kind),
        ward=_text(entry, "ward", where, problems, required=False),
        address=_text(entry, "address", where, problems, required=False),
        phone=phone,
        hours=hours,
        certainty=str(certainty),
        source=str(source),
        source_date=source_date,
        aliases=aliases,
        notes=_text(entry, "notes", where, problems, required=False),
        postcode=postcode,
        address_source=address_source,
        other_phones=_other_phones(entry.get("other_phones"), where, problems),
        serves=_texts(entry, "serves", where, problems),
    )


def _other_phones(value: Any, where: str, problems: _Problems) -> tuple[Phone, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.add(where, "'other_phones' must be a list of {label, phone}")
        return ()
    phones: list[Phone] = []
    for i, item in enumerate(value):
        here = f"{where} other_phones[{i}]"
        if not isinstance(item, dict) or set(item) != {"label", "phone"}:
            problems.add(here, "expected {label, phone}")
            continue
        label, number = _text(item, "label", here, problems), _text(item, "phone", here, problems)
        _phone(number, "phone", here, problems)
        if label and number:
            phones.append(Phone(label, number))
    return tuple(phones)


# ---------- hours ----------


def _hours(value: Any, where: str, problems: _Problems) -> Hours | None:
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping (or null when the hours were not found)")
        return None
    _unknown_keys(value, _HOURS_KEYS, where, problems)
    certainty = _text(value, "certainty", where, problems)
    _choice(certainty, CERTAINTIES, "certainty", where, problems)
    source = _text(value, "source", where, problems, required=False)
    _url(source, "source", where, problems)
    raw_periods = value.get("periods")
    if not isinstance(raw_periods, list) or not raw_periods:
        problems.add(where, "'periods' must list at least one period")
        return None
    periods = [_period(raw, f"{where} periods[{i}]", problems) for i, raw in enumerate(raw_periods)]
    if any(period is None for period in periods) or certainty is None:
        return None
    ordered = [period for period in periods if period is not None]
    _check_period_order(ordered, where, problems)
    return Hours(
        periods=tuple(ordered),
        certainty=certainty,
        source=source,
        source_date=_text(value, "source_date", where, problems, required=False),
        notes=_text(value, "notes", where, problems, required=False),
    )


def _check_period_order(periods: list[Period], where: str, problems: _Problems) -> None:
    for i, period in enumerate(periods):
        if period.valid_from and period.valid_until and period.valid_from > period.valid_until:
            problems.add(f"{where} periods[{i}]", "valid_from is after valid_until")
    for i, (earlier, later) in enumerate(pairwise(periods)):
        if earlier.valid_until is None or later.valid_from is None or later.valid_from <= earlier.valid_until:
            problems.add(f"{where} periods[{i + 1}]", "periods must be in date order and must not overlap")


def _date(value: Any, key: str, where: str, problems: _Problems) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.add(where, f"'{key}' must be a date YYYY-MM-DD, got {value!r}")
        return None


def _period(value: Any, where: str, problems: _Problems) -> Period | None:
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping")
        return None
    _unknown_keys(value, _PERIOD_KEYS, where, problems)
    source = _text(value, "source", where, problems, required=False)
    _url(source, "source", where, problems)
    weekly = _weekly(value.get("weekly"), f"{where} weekly", problems)
    holidays = None
    if "holidays" not in value:
        problems.add(where, "missing 'holidays' (closed | unknown | as_weekday | [intervals])")
    else:
        holidays = _day_rule({"hours": value["holidays"]}, f"{where} holidays", problems, holidays=True)
    shift = set()
    for name in _texts(value, "shift_if_holiday", where, problems):
        if name not in WEEKDAYS:
            problems.add(where, f"'shift_if_holiday' names an unknown weekday {name!r}")
        else:
            shift.add(WEEKDAYS.index(name))
    nth = _list(value, "nth_weekdays", where, problems)
    fixed = _list(value, "fixed_dates", where, problems)
    nth_rules = [_nth_weekday(raw, f"{where} nth_weekdays[{i}]", problems) for i, raw in enumerate(nth)]
    fixed_rules = [_fixed_dates(raw, f"{where} fixed_dates[{i}]", problems) for i, raw in enumerate(fixed)]
    if weekly is None or holidays is None or None in nth_rules or None in fixed_rules:
        return None
    return Period(
        weekly=weekly,
        holidays=holidays,
        valid_from=_date(value.get("valid_from"), "valid_from", where, problems),
        valid_until=_date(value.get("valid_until"), "valid_until", where, problems),
        nth_weekdays=tuple(rule for rule in nth_rules if rule is not None),
        fixed_dates=tuple(rule for rule in fixed_rules if rule is not None),
        shift_if_holiday=frozenset(shift),
        source=source,
        source_date=_text(value, "source_date", where, problems, required=False),
    )


def _list(value: dict[str, Any], key: str, where: str, problems: _Problems) -> list[Any]:
    raw = value.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add(where, f"'{key}' must be a list")
        return []
    return raw


def _weekly(value: Any, where: str, problems: _Problems) -> tuple[DayRule, ...] | None:
    """Seven rules, Monday first; keys are weekdays or ranges (mon-fri, sat-sun); a day not named is closed."""
    if not isinstance(value, dict) or not value:
        problems.add(where, "must map weekdays (mon..sun, or ranges like mon-fri) to hours")
        return None
    days: list[DayRule | None] = [None] * 7
    ok = True
    for key, hours in value.items():
        indexes = _weekday_key(str(key))
        if indexes is None:
            problems.add(where, f"unknown weekday key {key!r} (use mon..sun or a range like mon-fri)")
            ok = False
            continue
        rule = _day_rule({"hours": hours}, f"{where} {key}", problems)
        for index in indexes:
            if days[index] is not None:
                problems.add(where, f"{WEEKDAYS[index]} is given twice")
                ok = False
            days[index] = rule
        ok = ok and rule is not None
    if not ok:
        return None
    return tuple(rule or DayRule(CLOSED) for rule in days)


def _weekday_key(key: str) -> list[int] | None:
    first, _, last = key.strip().lower().partition("-")
    if first not in WEEKDAYS or (last and last not in WEEKDAYS):
        return None
    start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
    return list(range(start, end + 1)) if start <= end else None


def _day_rule(value: dict[str, Any], where: str, problems: _Problems, holidays: bool = False) -> DayRule | None:
    """`hours` (closed | unknown | [intervals], or as_weekday for holidays) with optional note/certainty/reason."""
    hours = value.get("hours")
    note = _text(value, "note", where, problems, required=False)
    certainty = _text(value, "certainty", where, problems, required=False) or "confirmed"
    _choice(certainty, CERTAINTIES, "certainty", where, problems)
    reason = _text(value, "reason", where, problems, required=False)
    _choice(reason, CLOSED_REASONS, "reason", where, problems)
    states = (CLOSED, UNKNOWN, AS_WEEKDAY) if holidays else (CLOSED, UNKNOWN)
    if isinstance(hours, str) and hours in states:
        if reason and hours != CLOSED:
            problems.add(where, "'reason' is only for closed days")
        return DayRule(hours, (), reason, note, certainty)
    if not isinstance(hours, list) or not hours:
        problems.add(where, f'hours must be {" | ".join(states)} or a list of "HH:MM-HH:MM", got {hours!r}')
        return None
    if reason:
        problems.add(where, "'reason' is only for closed days")
    intervals = [_interval(item, where, problems) for item in hours]
    if None in intervals:
        return None
    checked = [interval for interval in intervals if interval is not None]
    for earlier, later in pairwise(checked):
        if later.start < earlier.end:
            problems.add(where, f"intervals must be in order and must not overlap ({earlier}, {later})")
            return None
    return DayRule(OPEN, tuple(checked), None, note, certainty)


def _interval(value: Any, where: str, problems: _Problems) -> Interval | None:
    match = _INTERVAL.match(str(value).strip())
    if not match:
        problems.add(where, f'interval {value!r} must look like "09:00-17:00"')
        return None
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h1, m1) >= (h2, m2):
        problems.add(where, f"interval {value!r} is not a valid opening time within one day")
        return None
    return Interval(time(h1, m1), time(h2, m2))


def _nth_weekday(value: Any, where: str, problems: _Problems) -> NthWeekday | None:
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping {nth, weekday, hours}")
        return None
    _unknown_keys(value, _RULE_KEYS | {"nth", "weekday", "months"}, where, problems)
    nth, weekday, months = value.get("nth"), str(value.get("weekday", "")).lower(), value.get("months") or []
    ok = True
    if nth not in (1, 2, 3, 4, 5, -1) or isinstance(nth, bool):
        problems.add(where, f"'nth' must be 1–5 or -1 (last), got {nth!r}")
        ok = False
    if weekday not in WEEKDAYS:
        problems.add(where, f"'weekday' must be one of {', '.join(WEEKDAYS)}, got {weekday!r}")
        ok = False
    if not isinstance(months, list) or not all(isinstance(m, int) and 1 <= m <= 12 for m in months):
        problems.add(where, f"'months' must list month numbers 1–12, got {months!r}")
        ok = False
    rule = _day_rule(value, where, problems)
    if not ok or rule is None:
        return None
    return NthWeekday(int(str(nth)), WEEKDAYS.index(weekday), rule, frozenset(months))


def _fixed_dates(value: Any, where: str, problems: _Problems) -> FixedDates | None:
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping {dates, hours}")
        return None
    _unknown_keys(value, _RULE_KEYS | {"dates"}, where, problems)
    text = str(value.get("dates", ""))
    first, _, last = text.partition("..")
    start, end = _month_day(first), _month_day(last or first)
    if start is None or end is None:
        problems.add(where, f'\'dates\' must be "MM-DD" or "MM-DD..MM-DD", got {text!r}')
    rule = _day_rule(value, where, problems)
    if start is None or end is None or rule is None:
        return None
    return FixedDates(start, end, rule)


def _month_day(text: str) -> tuple[int, int] | None:
    match = _MONTH_DAY.match(text.strip())
    if not match:
        return None
    month, day = int(match[1]), int(match[2])
    try:
        date(2024, month, day)  # a leap year, so 02-29 is accepted
    except ValueError:
        return None
    return month, day


# ---------- cross-references and names ----------


def _check_references(wards: dict[str, Ward], offices: dict[str, Office], problems: _Problems) -> None:
    where_office = f"{PLACES_DIR}/{OFFICES_FILE}"
    for office in offices.values():
        if office.ward is not None and office.ward not in wards:
            problems.add(f"{where_office} ({office.id})", f"ward {office.ward!r} is not in {WARDS_FILE}")
        for ward_id in office.serves:
            if ward_id not in wards:
                problems.add(f"{where_office} ({office.id})", f"serves unknown ward {ward_id!r}")
    for ward in wards.values():
        office = offices.get(ward.ward_office)
        where = f"{PLACES_DIR}/{WARDS_FILE} ({ward.id})"
        if office is None:
            problems.add(where, f"ward_office {ward.ward_office!r} is not in {OFFICES_FILE}")
        elif office.kind != "ward_office" or office.ward != ward.id:
            problems.add(where, f"ward_office {office.id!r} must be a ward_office in ward {ward.id!r}")


def _load_i18n(
    folder: Path, wards: dict[str, Ward], offices: dict[str, Office], problems: _Problems
) -> dict[str, MappingProxyType[str, MappingProxyType[str, str]]]:
    """lang -> {"wards": {id: name}, "offices": {id: name}}; every language names every ward and office."""
    names: dict[str, MappingProxyType[str, MappingProxyType[str, str]]] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            if path.stem not in curated_languages():
                problems.add(
                    f"{PLACES_DIR}/{I18N_DIR}/{path.name}", f"unknown language (expected {curated_languages()})"
                )
    for lang in curated_languages():
        path = folder / f"{lang}.yaml"
        label = f"{PLACES_DIR}/{I18N_DIR}/{path.name}"
        if not path.is_file():
            problems.add(label, "missing")
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            problems.add(label, f"cannot read YAML ({exc})")
            continue
        if not isinstance(data, dict) or set(data) - {"wards", "offices"}:
            problems.add(label, "expected a mapping with only 'wards' and 'offices'")
            continue
        tables: dict[str, MappingProxyType[str, str]] = {}
        for section, known in (("wards", wards), ("offices", offices)):
            table = data.get(section) or {}
            if not isinstance(table, dict):
                problems.add(label, f"'{section}' must map ids to names")
                continue
            for key, name in table.items():
                if key not in known:
                    problems.add(label, f"{section}: {key!r} is not a known id")
                elif not isinstance(name, str) or not name.strip():
                    problems.add(label, f"{section}: {key!r} needs a name")
            for key in known:
                if key not in table:
                    problems.add(label, f"{section}: no name for {key!r}")
            tables[section] = MappingProxyType(
                {str(k): v.strip() for k, v in table.items() if k in known and isinstance(v, str) and v.strip()}
            )
        names[lang] = MappingProxyType(tables)
    return names


def _check_names(places: Places, problems: _Problems) -> None:
    """A written form (name, alias or i18n name, after normalisation) must name one office and one ward only."""
    for label, terms in (("office", office_terms(places)), ("ward", ward_terms(places))):
        owners: dict[str, set[str]] = {}
        for key, target in terms:
            owners.setdefault(key, set()).add(target)
        for key, targets in sorted(owners.items()):
            if len(targets) > 1:
                problems.add(f"{PLACES_DIR}", f"{label} name {key!r} matches {', '.join(sorted(targets))}")
