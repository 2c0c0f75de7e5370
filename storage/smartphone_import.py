"""`python -m storage.smartphone_import FILE.csv [--example]`: load the smartphone class schedule into the database.

The CSV (UTF-8, with or without the BOM Excel writes) has the header
`id,topic,level,venue,date,start,end,capacity,phone,note`, one class a line; date YYYY-MM-DD and start/end HH:MM are
Japan time; topic and level are the codes of storage.smartphone (TOPICS, LEVELS); venue is an office id from
knowledge_base/data/places/offices.yaml; an empty phone means the venue's phone. Every problem is reported with its
line number and then nothing is imported. A valid file becomes the whole catalogue in one transaction: new classes
are added, known ones updated, the others deleted — except classes with bookings, which are kept, marked cancelled
and listed (staff then tell those residents). `--example` marks the classes as an invented example schedule.

`--example-if-empty` loads knowledge_base/data/smartphone/example_schedule.csv as example classes only when there are
no classes at all (run by `make migrate`; safe to repeat). The database is CHIBA_DATABASE_URL, migrated first.

Exit status: 0 done, 1 the file has problems (nothing imported), 2 the database or the places data is not usable.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from knowledge_base.core.data import DataError
from knowledge_base.places import Office, load_places
from settings import KnowledgeBaseSettings
from storage.smartphone import JST, LEVELS, TOPICS, CatalogueConflict, ClassRow, ImportResult

COLUMNS = ("id", "topic", "level", "venue", "date", "start", "end", "capacity", "phone", "note")
EXAMPLE_FILE = Path("smartphone") / "example_schedule.csv"  # under the knowledge-base data folder
MAX_CAPACITY = 999

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_PHONE = re.compile(r"^0\d{1,4}-\d{1,4}-\d{3,4}$")


class ScheduleError(Exception):
    """The schedule file has problems; `problems` are "line N: …" texts, in file order."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class ScheduleLine:
    line: int  # 1-based line of the file (the header is line 1)
    row: ClassRow


def example_schedule_path(data_dir: Path | None = None) -> Path:
    return (data_dir or KnowledgeBaseSettings().data_dir) / EXAMPLE_FILE


def read_schedule(path: Path, offices: Mapping[str, Office]) -> list[ScheduleLine]:
    """The classes of the CSV file at `path`; raises ScheduleError listing every problem."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ScheduleError([f"cannot read the file ({exc.strerror or exc})"]) from exc
    except UnicodeDecodeError as exc:
        raise ScheduleError(["the file is not UTF-8: save it as 'CSV UTF-8' (Excel) and try again"]) from exc
    return parse_schedule(text, offices)


def parse_schedule(text: str, offices: Mapping[str, Office]) -> list[ScheduleLine]:
    """The classes of CSV `text`; raises ScheduleError listing every problem (with line numbers)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[str] = []
    header = next(reader, None)
    if header is None:
        raise ScheduleError(["line 1: the file is empty (expected the header " + ",".join(COLUMNS) + ")"])
    names = [name.strip().lower() for name in header]
    missing = [column for column in COLUMNS if column not in names]
    unknown = [name for name in names if name not in COLUMNS]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if missing:
        problems.append(f"line 1: missing column(s): {', '.join(missing)} (the header is {','.join(COLUMNS)})")
    if unknown:
        problems.append(f"line 1: unknown column(s): {', '.join(unknown)}")
    if repeated:
        problems.append(f"line 1: column(s) given twice: {', '.join(repeated)}")
    if problems:
        raise ScheduleError(problems)

    lines: list[ScheduleLine] = []
    first_line: dict[str, int] = {}
    start_line = reader.line_num + 1
    for fields in reader:
        line, start_line = start_line, reader.line_num + 1
        if not any(field.strip() for field in fields):
            continue
        if len(fields) != len(names):
            problems.append(f"line {line}: {len(fields)} fields, expected {len(names)} ({','.join(names)})")
            continue
        record = {name: field.strip() for name, field in zip(names, fields, strict=True)}
        found: list[str] = []
        row = _row(record, offices, found)
        if row is not None and row.id in first_line:
            found.append(f"id '{row.id}' is already used on line {first_line[row.id]}")
        problems.extend(f"line {line}: {message}" for message in found)
        if row is not None and not found:
            first_line[row.id] = line
            lines.append(ScheduleLine(line, row))
    if problems:
        raise ScheduleError(problems)
    if not lines:
        raise ScheduleError(["the file has no classes (only the header)"])
    return lines


def _row(record: dict[str, str], offices: Mapping[str, Office], problems: list[str]) -> ClassRow | None:
    class_id = record["id"]
    if not _ID.match(class_id):
        problems.append(f"id '{class_id}' must be 1-64 lowercase letters, digits, '-' or '_'")
    topic = record["topic"]
    if topic not in TOPICS:
        problems.append(f"topic '{topic}' is not one of {', '.join(TOPICS)}")
    level = record["level"]
    if level not in LEVELS:
        problems.append(f"level '{level}' is not one of {', '.join(LEVELS)}")
    venue = record["venue"]
    office = offices.get(venue)
    if office is None:
        problems.append(f"venue '{venue}' is not an office id of knowledge_base/data/places/offices.yaml")
    day = _date(record["date"], problems)
    start = _time("start", record["start"], problems)
    end = _time("end", record["end"], problems)
    if start is not None and end is not None and end <= start:
        problems.append(f"end {record['end']} is not after start {record['start']}")
    capacity = _capacity(record["capacity"], problems)
    phone = record["phone"] or (office.phone if office is not None else None) or ""
    if not phone and office is not None:
        problems.append(f"phone is empty and {venue} has no phone number in offices.yaml")
    elif phone and not _PHONE.match(phone):
        problems.append(f"phone '{phone}' must be written like 043-245-5750")
    if problems or day is None or start is None or end is None or capacity is None:
        return None
    return ClassRow(
        id=class_id,
        topic=topic,
        level=level,
        venue=venue,
        starts_at=datetime.combine(day, start, JST),
        ends_at=datetime.combine(day, end, JST),
        capacity=capacity,
        phone=phone,
        note=record["note"] or None,
    )


def _date(value: str, problems: list[str]) -> date | None:
    try:
        if _DATE.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    problems.append(f"date '{value}' is not a date written YYYY-MM-DD")
    return None


def _time(column: str, value: str, problems: list[str]) -> time | None:
    found = _TIME.match(value)
    if found and int(found.group(1)) < 24 and int(found.group(2)) < 60:
        return time(int(found.group(1)), int(found.group(2)))
    problems.append(f"{column} '{value}' is not a time written HH:MM (Japan time)")
    return None


def _capacity(value: str, problems: list[str]) -> int | None:
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_CAPACITY:
        return int(value)
    problems.append(f"capacity '{value}' must be a whole number from 1 to {MAX_CAPACITY}")
    return None


def summary(result: ImportResult) -> list[str]:
    """What an import did, one line each, for the person who ran it (no personal data: class ids and counts)."""
    lines = [f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged, {result.removed} removed"]
    for class_id, active in result.cancelled:
        lines.append(
            f"{class_id}: not in the file but has bookings ({active} active): kept and marked CANCELLED — "
            "tell those residents (staff page, bookings CSV)"
        )
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m storage.smartphone_import",
        description="Validate a smartphone class schedule (CSV) and make it the catalogue, all or nothing.",
    )
    parser.add_argument("file", nargs="?", type=Path, help="the schedule CSV (" + ",".join(COLUMNS) + ")")
    parser.add_argument("--example", action="store_true", help="mark the classes as an invented example schedule")
    parser.add_argument(
        "--example-if-empty",
        action="store_true",
        help="load the example schedule (knowledge_base/data/smartphone/example_schedule.csv) only when the "
        "database has no classes",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.example_if_empty == (args.file is not None):
        parser.error("give either a FILE or --example-if-empty")
    data_dir = KnowledgeBaseSettings().data_dir
    path: Path = args.file if args.file is not None else example_schedule_path(data_dir)
    try:
        offices = load_places(data_dir).offices
    except DataError as exc:
        print(f"smartphone classes: the places data is not valid: {exc}", file=sys.stderr)
        return 2
    try:
        lines = read_schedule(path, offices)
    except ScheduleError as exc:
        for problem in exc.problems:
            print(f"{path}: {problem}", file=sys.stderr)
        print(f"{path}: {len(exc.problems)} problem(s); nothing imported", file=sys.stderr)
        return 1
    return _store(path, lines, example=args.example, if_empty=args.example_if_empty)


def _store(path: Path, lines: list[ScheduleLine], *, example: bool, if_empty: bool) -> int:
    from sqlalchemy.exc import ArgumentError, OperationalError

    from storage.db import create_engine_from_url, database_url, display_url
    from storage.migrate import upgrade
    from storage.repositories import Repositories

    rows = [line.row for line in lines]
    url = ""
    try:
        url = database_url()
        upgrade(url)
        engine = create_engine_from_url(url)
    except (ArgumentError, ValueError) as exc:
        print(f"smartphone classes: CHIBA_DATABASE_URL is not usable: {exc}", file=sys.stderr)
        return 2
    except (OperationalError, OSError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        print(
            f"smartphone classes: cannot reach the database {display_url(url)}: {reason[0] if reason else exc}",
            file=sys.stderr,
        )
        return 2
    try:
        repo = Repositories.for_engine(engine).smartphone
        if if_empty:
            result = repo.load_example_if_empty(rows)
            if result is None:
                count = repo.count_classes()
                print(f"smartphone classes: {count} class(es) already in the database; example schedule not loaded")
                return 0
            print(f"smartphone classes: loaded {result.added} EXAMPLE classes from {path} (the database had none)")
            return 0
        try:
            result = repo.replace_catalogue(rows, example=example)
        except CatalogueConflict as exc:
            line_of = {line.row.id: line.line for line in lines}
            for class_id, message in exc.problems:
                print(f"{path}: line {line_of.get(class_id, '?')}: {class_id}: {message}", file=sys.stderr)
            print(f"{path}: {len(exc.problems)} problem(s); nothing imported", file=sys.stderr)
            return 1
    finally:
        engine.dispose()
    kind = "example classes" if example else "classes"
    print(f"smartphone classes: imported {len(rows)} {kind} from {path}")
    for text in summary(result):
        print(f"smartphone classes: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
