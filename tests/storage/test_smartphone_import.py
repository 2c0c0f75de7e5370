"""The class schedule import: the example schedule, line-numbered validation, all-or-nothing imports, the command."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from knowledge_base.places import Office, Places, holiday_name, load_places
from settings import KnowledgeBaseSettings
from storage.repositories import Repositories
from storage.smartphone import JST, LEVELS, TOPICS
from storage.smartphone_import import (
    COLUMNS,
    ScheduleError,
    example_schedule_path,
    main,
    parse_schedule,
    read_schedule,
)

REPO = Path(__file__).resolve().parents[2]
HEADER = ",".join(COLUMNS)
GOOD = [
    "a-1,line,beginner,ward_office_chuo,2027-01-12,10:00,12:00,10,043-221-2133,",
    "a-2,scam,intermediate,ward_office_inage,2027-01-13,14:00,16:00,8,,持ち物：スマートフォン",
    "a-3,basics,beginner,ward_office_mihama,2027-01-14,9:30,11:00,12,043-270-3133,",
]
WARD_OFFICES = {
    "ward_office_chuo",
    "ward_office_hanamigawa",
    "ward_office_inage",
    "ward_office_wakaba",
    "ward_office_midori",
    "ward_office_mihama",
}


@pytest.fixture(scope="module")
def places() -> Places:
    return load_places(KnowledgeBaseSettings().data_dir)


@pytest.fixture(scope="module")
def offices(places: Places) -> dict[str, Office]:
    return dict(places.offices)


def csv_text(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def write(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "schedule.csv"
    path.write_text(csv_text(*lines, header=header), encoding="utf-8-sig")
    return path


# --- the example schedule ---


def test_the_example_schedule_is_valid_and_covers_every_topic_level_and_ward(
    offices: dict[str, Office],
) -> None:
    lines = read_schedule(example_schedule_path(), offices)
    rows = [line.row for line in lines]
    assert len(rows) == 16 and all(r.id.startswith("ex-") for r in rows)
    assert {r.venue for r in rows} == WARD_OFFICES
    assert {r.topic for r in rows} == set(TOPICS) and {r.level for r in rows} == set(LEVELS)
    for r in rows:
        start, end = r.starts_at.astimezone(JST), r.ends_at.astimezone(JST)
        assert date(2026, 12, 7) <= start.date() <= date(2027, 3, 31), r.id
        assert start.weekday() < 5 and holiday_name(start.date()) is None, r.id
        assert (start.time(), end.time()) in {(time(10), time(12)), (time(14), time(16))}, r.id
        assert 8 <= r.capacity <= 12 and r.phone == offices[r.venue].phone, r.id
        assert r.note == "例（実際の日程ではありません）"
    assert any(r.capacity == 10 for r in rows)


# --- validation ---


def test_a_valid_file(offices: dict[str, Office]) -> None:
    lines = parse_schedule(csv_text(*GOOD, ""), offices)  # blank lines are skipped
    assert [(line.line, line.row.id) for line in lines] == [(2, "a-1"), (3, "a-2"), (4, "a-3")]
    second = lines[1].row
    assert second.phone == offices["ward_office_inage"].phone  # empty phone: the venue's
    assert second.note == "持ち物：スマートフォン" and lines[0].row.note is None
    assert second.starts_at.astimezone(JST).isoformat() == "2027-01-13T14:00:00+09:00"
    assert lines[2].row.starts_at.astimezone(JST).time() == time(9, 30)


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("b,smartphone,beginner,ward_office_chuo,2027-01-12,10:00,12:00,10,,", "topic 'smartphone' is not one of"),
        ("b,line,expert,ward_office_chuo,2027-01-12,10:00,12:00,10,,", "level 'expert' is not one of"),
        ("b,line,beginner,chuo_ward,2027-01-12,10:00,12:00,10,,", "venue 'chuo_ward' is not an office id"),
        ("b,line,beginner,ward_office_chuo,2027/01/12,10:00,12:00,10,,", "date '2027/01/12' is not a date"),
        ("b,line,beginner,ward_office_chuo,2027-02-30,10:00,12:00,10,,", "date '2027-02-30' is not a date"),
        ("b,line,beginner,ward_office_chuo,2027-01-12,25:00,12:00,10,,", "start '25:00' is not a time"),
        ("b,line,beginner,ward_office_chuo,2027-01-12,12:00,10:00,10,,", "end 10:00 is not after start 12:00"),
        ("b,line,beginner,ward_office_chuo,2027-01-12,10:00,10:00,10,,", "end 10:00 is not after start 10:00"),
        ("b,line,beginner,ward_office_chuo,2027-01-12,10:00,12:00,0,,", "capacity '0' must be a whole number"),
        ("b,line,beginner,ward_office_chuo,2027-01-12,10:00,12:00,ten,,", "capacity 'ten' must be a whole number"),
        ("b,line,beginner,ward_office_chuo,2027-01-12,10:00,12:00,10,12345,", "phone '12345' must be written"),
        ("B C,line,beginner,ward_office_chuo,2027-01-12,10:00,12:00,10,,", "id 'B C' must be"),
        ("a-1,line,beginner,ward_office_chuo,2027-01-12,10:00,12:00,10,,", "id 'a-1' is already used on line 2"),
        ("b,line,beginner,ward_office_chuo,2027-01-12,10:00,12:00,10", "8 fields, expected 10"),
    ],
)
def test_each_problem_is_reported_with_its_line(offices: dict[str, Office], bad_line: str, message: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(csv_text(GOOD[0], GOOD[1], bad_line, GOOD[2]), offices)
    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].startswith("line 4: ") and message in raised.value.problems[0]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("id,topic,level,venue,date,start,end,phone,note", "line 1: missing column(s): capacity"),
        (HEADER + ",room", "line 1: unknown column(s): room"),
        (HEADER + ",note", "line 1: column(s) given twice: note"),
    ],
)
def test_a_wrong_header_is_reported(offices: dict[str, Office], header: str, message: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(csv_text(*GOOD, header=header), offices)
    assert raised.value.problems[0].startswith(message)


def test_every_problem_is_reported_at_once(offices: dict[str, Office]) -> None:
    text = csv_text(
        "x,cooking,beginner,nowhere,2027-13-01,10:00,12:00,0,,",
        *GOOD,
        "x,line,beginner,ward_office_chuo,2027-01-12,14:00,12:00,10,,",
    )
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(text, offices)
    assert [p.split(":")[0] for p in raised.value.problems] == ["line 2"] * 4 + ["line 6"]
    assert "topic 'cooking'" in raised.value.problems[0] and "end 12:00" in raised.value.problems[4]


def test_the_columns_may_come_in_any_order_and_excel_bom_is_fine(tmp_path: Path, offices: dict[str, Office]) -> None:
    header = "note,phone,capacity,end,start,date,venue,level,topic,id"
    path = write(tmp_path, ",043-221-2133,10,12:00,10:00,2027-01-12,ward_office_chuo,beginner,line,z", header=header)
    assert [line.row.id for line in read_schedule(path, offices)] == ["z"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "line 1: the file is empty"),
        (HEADER.encode() + b"\n", "the file has no classes"),
        ("id,topic\nあ,い\n".encode("shift_jis"), "the file is not UTF-8"),
    ],
)
def test_unusable_files(tmp_path: Path, offices: dict[str, Office], content: bytes, message: str) -> None:
    path = tmp_path / "schedule.csv"
    path.write_bytes(content)
    with pytest.raises(ScheduleError) as raised:
        read_schedule(path, offices)
    assert raised.value.problems[0].startswith(message)


# --- the command (in-process) ---


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CHIBA_DATABASE_URL", db_url)
    return db_url


def test_import_reports_what_it_did(
    database: str, tmp_path: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(write(tmp_path, *GOOD))]) == 0
    assert "imported 3 classes" in capsys.readouterr().out
    repos = Repositories.for_engine(engine, sender_salt="s")
    repos.smartphone.book("a-2", name="n", phone="p", seats=1, lang="ja", channel="web", sender_id="web-1")
    changed = GOOD[0].replace(",10,", ",12,")
    new = "a-4,photos,beginner,ward_office_midori,2027-01-15,10:00,12:00,10,,"
    assert main([str(write(tmp_path, changed, new)), "--example"]) == 0
    out = capsys.readouterr().out
    assert "imported 2 example classes" in out
    assert "1 added, 1 updated, 0 unchanged, 1 removed" in out  # a-3 had no bookings
    assert "a-2: not in the file but has bookings (1 active): kept and marked CANCELLED" in out
    classes = {c.id: c for c in repos.smartphone.all_classes()}
    assert set(classes) == {"a-1", "a-2", "a-4"}
    assert classes["a-2"].cancelled and classes["a-1"].capacity == 12 and classes["a-4"].example


def test_a_file_with_any_problem_imports_nothing(
    database: str, tmp_path: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(write(tmp_path, *GOOD))]) == 0
    capsys.readouterr()
    bad = "a-9,line,beginner,ward_office_chuo,2027-01-12,10:00,12:00,0,,"
    path = write(
        tmp_path, GOOD[0].replace(",10,", ",11,"), "a-8,line,beginner,ward_office_chuo,2027-01-20,10:00,12:00,9,,", bad
    )
    assert main([str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}: line 4: capacity '0'" in err and "1 problem(s); nothing imported" in err
    classes = {c.id: c for c in Repositories.for_engine(engine, sender_salt="s").smartphone.all_classes()}
    assert set(classes) == {"a-1", "a-2", "a-3"} and classes["a-1"].capacity == 10


def test_capacity_below_the_booked_seats_is_a_problem_of_its_line(
    database: str, tmp_path: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(write(tmp_path, *GOOD))]) == 0
    sp = Repositories.for_engine(engine, sender_salt="s").smartphone
    sp.book("a-3", name="n", phone="p", seats=4, lang="ja", channel="web", sender_id="web-1")
    capsys.readouterr()
    assert main([str(write(tmp_path, GOOD[0], GOOD[2].replace(",12,", ",3,")))]) == 1
    err = capsys.readouterr().err
    assert "line 3: a-3: capacity 3 is below the 4 seats already booked" in err and "nothing imported" in err
    assert {c.id for c in sp.all_classes()} == {"a-1", "a-2", "a-3"}


def test_example_if_empty_loads_once_and_never_over_real_classes(
    database: str, tmp_path: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--example-if-empty"]) == 0
    assert "loaded 16 EXAMPLE classes" in capsys.readouterr().out
    assert main(["--example-if-empty"]) == 0
    assert "16 class(es) already in the database; example schedule not loaded" in capsys.readouterr().out
    sp = Repositories.for_engine(engine, sender_salt="s").smartphone
    # Past ones too: the example schedule has fixed dates, and this test is about loading, not about which are ahead.
    loaded = sp.all_classes(include_past=True)
    assert len(loaded) == 16 and all(c.example for c in loaded)
    assert main([str(write(tmp_path, *GOOD))]) == 0  # staff load the real schedule
    assert main(["--example-if-empty"]) == 0
    assert {c.id for c in sp.all_classes()} == {"a-1", "a-2", "a-3"}


def test_example_if_empty_from_several_threads_loads_once(engine: Engine, offices: dict[str, Office]) -> None:
    sp = Repositories.for_engine(engine, sender_salt="s").smartphone
    rows = [line.row for line in read_schedule(example_schedule_path(), offices)]
    barrier = threading.Barrier(4)

    def load(_: int) -> object:
        barrier.wait()
        return sp.load_example_if_empty(rows)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(load, range(4)))
    assert sum(result is not None for result in results) == 1
    assert sp.count_classes() == 16


def test_command_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([], ["a.csv", "--example-if-empty"]):
        with pytest.raises(SystemExit) as raised:
            main(argv)
        assert raised.value.code == 2
    assert "give either a FILE or --example-if-empty" in capsys.readouterr().err


def test_the_command_runs_as_a_module(db_url: str) -> None:
    env = {**os.environ, "CHIBA_DATABASE_URL": db_url, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "storage.smartphone_import", "--example-if-empty"]
    first = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "loaded 16 EXAMPLE classes" in first.stdout
    missing = subprocess.run(
        [*command[:3], "/nonexistent/schedule.csv"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert missing.returncode == 1 and "cannot read the file" in missing.stderr
