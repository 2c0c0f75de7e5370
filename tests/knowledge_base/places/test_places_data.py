"""The real places data loads and validates; broken data is refused with the entry named."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge_base.core.data import DataError
from knowledge_base.places import Places, load_places

PLAN_OFFICE_IDS = {
    *("chuo_library", "miyako_library", "miyako_shirahata_branch", "mizuho_hasunohana_library"),
    *("hanamigawa_library", "hanamigawa_danchi_branch", "inage_library", "wakaba_library", "wakaba_izumi_branch"),
    *("wakaba_nishitsuga_branch", "midori_library", "midori_asumigaoka_branch", "midori_toke_room"),
    *("mihama_library", "mihama_uchise_branch", "prefectural_library"),
    *("ward_office_chuo", "ward_office_hanamigawa", "ward_office_inage", "ward_office_wakaba"),
    *("ward_office_midori", "ward_office_mihama"),
    *("ccia_desk", "pref_foreign_desk", "immigration_chiba", "pension_chiba", "pension_makuhari", "nenkin_dial"),
    *("tax_east", "tax_west", "call_centre", "city_hall", "garbage_consult", "sodai_center"),
}
URL = re.compile(r"^https?://\S+$")


def test_real_data_has_every_planned_office_and_ward(places: Places) -> None:
    assert set(places.offices) == PLAN_OFFICE_IDS
    assert set(places.wards) == {"chuo", "hanamigawa", "inage", "wakaba", "midori", "mihama"}
    assert places.wards["chuo"].name == "中央区"
    assert places.wards["chuo"].romaji == "Chuo-ku"
    assert places.offices["ward_office_chuo"].ward == "chuo"


@pytest.mark.parametrize("office_id", sorted(PLAN_OFFICE_IDS))
def test_every_office_has_a_source_and_its_certainty(places: Places, office_id: str) -> None:
    office = places.offices[office_id]
    assert URL.match(office.source)
    assert office.source_date
    assert office.certainty in ("confirmed", "uncertain")
    if office.hours is None or office.phone is None:
        assert office.certainty == "uncertain"


def test_key_facts_are_copied_exactly(places: Places) -> None:
    offices = places.offices
    assert offices["ccia_desk"].phone == "043-245-5750"
    assert offices["call_centre"].phone == "043-245-4894"
    assert offices["garbage_consult"].phone == "043-204-5380"
    assert offices["sodai_center"].phone == "043-302-5374"
    assert offices["pref_foreign_desk"].phone == "043-297-2966"
    assert offices["chuo_library"].address == "千葉市中央区弁天3-7-7"
    # The library list is a third-party copy of the official list.
    assert all(o.certainty == "uncertain" for o in offices.values() if o.kind == "library")


def test_ccia_old_number_is_not_in_the_data() -> None:
    folder = Path(__file__).resolve().parents[3] / "knowledge_base" / "data" / "places"
    for path in folder.rglob("*.yaml"):
        assert "043-202-3000" not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize(
    ("lang", "office_id", "shown"),
    [
        ("ja", "chuo_library", "中央図書館"),
        ("en", "chuo_library", "Central Library (中央図書館)"),
        ("vi", "chuo_library", "Thư viện Trung tâm (中央図書館)"),
        ("zh", "ward_office_midori", "绿区役所（緑区役所）"),
        ("zh", "ward_office_chuo", "中央区役所"),  # same as the Japanese: not repeated
        ("ja-easy", "ward_office_chuo", "中央区役所（ちゅうおう くやくしょ）"),
        ("xx", "chuo_library", "中央図書館"),  # no curated name: the Japanese one
    ],
)
def test_office_name_adds_the_official_japanese_name(places: Places, lang: str, office_id: str, shown: str) -> None:
    assert places.office_name(office_id, lang) == shown


# ---------- broken data ----------


def _edit_offices(data_dir: Path, edit) -> None:
    path = data_dir / "places" / "offices.yaml"
    entries: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit({entry["id"]: entry for entry in entries}, entries)
    path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _set(office_id: str, key: str, value: Any):
    def edit(by_id: dict[str, dict[str, Any]], entries: list[dict[str, Any]]) -> None:
        by_id[office_id][key] = value

    return edit


def _set_hours(office_id: str, period: dict[str, Any]):
    def edit(by_id: dict[str, dict[str, Any]], entries: list[dict[str, Any]]) -> None:
        by_id[office_id]["hours"]["periods"] = [period]

    return edit


def _duplicate(office_id: str):
    def edit(by_id: dict[str, dict[str, Any]], entries: list[dict[str, Any]]) -> None:
        entries.append(dict(by_id[office_id]))

    return edit


def _overlapping_periods(by_id: dict[str, dict[str, Any]], entries: list[dict[str, Any]]) -> None:
    periods = by_id["ward_office_chuo"]["hours"]["periods"]
    periods[1]["valid_from"] = "2026-01-01"


_WEEKDAY = {"mon-fri": ["09:00-17:00"]}
_SIXTH_THURSDAY = [{"nth": 6, "weekday": "thu", "hours": "closed"}]


@pytest.mark.parametrize(
    ("edit", "office_id", "message"),
    [
        (_set("chuo_library", "source", "図書館のページ"), "chuo_library", "'source' must be an http(s) URL"),
        (_set("chuo_library", "phone", "043-287"), "chuo_library", "does not look like a Japanese phone number"),
        (_set("chuo_library", "ward", "tokyo"), "chuo_library", "ward 'tokyo' is not in wards.yaml"),
        (_set("chuo_library", "kind", "museum"), "chuo_library", "'kind' must be one of"),
        (_set("miyako_library", "certainty", "confirmed"), "miyako_library", "must be 'certainty: uncertain'"),
        (_duplicate("ccia_desk"), "ccia_desk", "duplicate office id 'ccia_desk'"),
        (_set("ccia_desk", "aliases", ["中央図書館"]), "ccia_desk", "matches ccia_desk, chuo_library"),
        (
            _set_hours("ccia_desk", {"weekly": {"mon-fri": ["17:00-09:00"]}, "holidays": "closed"}),
            "ccia_desk",
            "is not a valid opening time",
        ),
        (
            _set_hours("ccia_desk", {"weekly": {"monday": ["09:00-17:00"]}, "holidays": "closed"}),
            "ccia_desk",
            "unknown weekday key 'monday'",
        ),
        (
            _set_hours("ccia_desk", {"weekly": {"mon-fri": ["09:00-13:00", "12:00-17:00"]}, "holidays": "closed"}),
            "ccia_desk",
            "must not overlap",
        ),
        (_set_hours("ccia_desk", {"weekly": _WEEKDAY}), "ccia_desk", "missing 'holidays'"),
        (
            _set_hours("ccia_desk", {"weekly": _WEEKDAY, "holidays": "closed", "fixed_dates": [{"dates": "13-01"}]}),
            "ccia_desk",
            "'dates' must be",
        ),
        (
            _set_hours("ccia_desk", {"weekly": _WEEKDAY, "holidays": "closed", "nth_weekdays": _SIXTH_THURSDAY}),
            "ccia_desk",
            "'nth' must be 1–5 or -1",
        ),
        (_overlapping_periods, "ward_office_chuo", "must not overlap"),
    ],
)
def test_invalid_data_is_refused_naming_the_entry(places_copy: Path, edit, office_id: str, message: str) -> None:
    _edit_offices(places_copy, edit)
    with pytest.raises(DataError) as raised:
        load_places(places_copy)
    problems = [problem for problem in raised.value.problems if message in problem]
    assert problems, raised.value.problems
    assert any(office_id in problem for problem in problems), problems


def test_problems_name_the_file_and_line(places_copy: Path) -> None:
    _edit_offices(places_copy, _set("chuo_library", "phone", "12345"))
    with pytest.raises(DataError) as raised:
        load_places(places_copy)
    assert re.search(r"places/offices\.yaml:\d+ \(chuo_library\): 'phone'", str(raised.value))


def test_every_problem_is_reported_at_once(places_copy: Path) -> None:
    def edit(by_id: dict[str, dict[str, Any]], entries: list[dict[str, Any]]) -> None:
        by_id["chuo_library"]["source"] = "not a url"
        by_id["ccia_desk"]["phone"] = "5750"

    _edit_offices(places_copy, edit)
    with pytest.raises(DataError) as raised:
        load_places(places_copy)
    text = str(raised.value)
    assert "(chuo_library): 'source'" in text
    assert "(ccia_desk): 'phone'" in text


def test_a_missing_translation_is_refused(places_copy: Path) -> None:
    path = places_copy / "places" / "i18n" / "vi.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["offices"]["chuo_library"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataError, match=r"i18n/vi\.yaml: offices: no name for 'chuo_library'"):
        load_places(places_copy)


def test_a_ward_office_must_exist(places_copy: Path) -> None:
    path = places_copy / "places" / "wards.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("ward_office_mihama", "ward_office_tokyo"), "utf-8")
    with pytest.raises(DataError, match=r"\(mihama\): ward_office 'ward_office_tokyo' is not in offices\.yaml"):
        load_places(places_copy)
