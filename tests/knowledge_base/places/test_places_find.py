"""Finding the offices and wards a resident's message names, in any language."""

from __future__ import annotations

import pytest

from knowledge_base.places import Places, find_offices, find_wards


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("中央図書館は今開いてる？", ["chuo_library"]),
        ("is the central library open", ["chuo_library"]),
        ("Is the Central Library open now?", ["chuo_library"]),
        ("Thư viện Trung tâm có mở cửa không?", ["chuo_library"]),
        ("thu vien trung tam co mo cua khong", ["chuo_library"]),  # typed without diacritics
        ("中央图书馆现在开着吗", ["chuo_library"]),
        ("중앙도서관 지금 열려 있어요?", ["chuo_library"]),
        ("チュウオウトショカンって何時まで", ["chuo_library"]),
        ("県立中央図書館は何時まで？", ["prefectural_library"]),  # the longer name wins its span
        ("Is the Chiba Prefectural Central Library open?", ["prefectural_library"]),
        ("みやこ図書館白旗分館の電話番号", ["miyako_shirahata_branch"]),
        ("みやこ図書館の電話番号", ["miyako_library"]),
        ("中央区役所と幕張年金事務所は何時まで", ["ward_office_chuo", "pension_makuhari"]),
        ("千葉市役所コールセンターの番号", ["call_centre"]),
        ("CCIA is open on Saturday?", ["ccia_desk"]),
        ("粗大ゴミ受付センターに電話したい", ["sodai_center"]),
        ("図書館は開いてる？", []),  # no particular library
        ("", []),
    ],
)
def test_find_offices(places: Places, text: str, expected: list[str]) -> None:
    assert [office.id for office in find_offices(places, text)] == expected


def test_find_offices_by_kind(places: Places) -> None:
    text = "中央区役所の近くの中央図書館"
    assert [office.id for office in find_offices(places, text, kinds={"library"})] == ["chuo_library"]
    assert [office.id for office in find_offices(places, text)] == ["ward_office_chuo", "chuo_library"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("美浜区に住んでいます", ["mihama"]),
        ("I live in Chuo Ward", ["chuo"]),
        ("Tôi sống ở Quận Mihama", ["mihama"]),
        ("inage-ku", ["inage"]),
        ("千葉市です", []),
    ],
)
def test_find_wards(places: Places, text: str, expected: list[str]) -> None:
    assert [ward.id for ward in find_wards(places, text)] == expected
