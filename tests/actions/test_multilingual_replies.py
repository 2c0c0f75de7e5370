"""Every reply of the actions in the resident's language, against the real knowledge base (today: Tue 2026-11-24).

Curated content (translations.content) may still be partial: the assertions read it, so they hold both before and
after a language's curated files are complete — a curated name or how-to must then appear in the reply.
"""

from __future__ import annotations

import dataclasses
import re
import string
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.common.fallback import ActionFallback
from actions.common.replies import describe_schedule, display
from actions.garbage.bulky_waste import ActionBulkyWaste
from actions.garbage.collection_days import ActionCollectionDays
from actions.garbage.faq import ActionGarbageFaq
from actions.garbage.item import ActionGarbageItem
from knowledge_base.core.faq import FaqEntry, FaqText
from knowledge_base.garbage.collection import describe, parse_pattern
from knowledge_base.garbage.service import GarbageKnowledge
from translations import content
from translations.messages import LANGUAGES, catalogue

FOREIGN = ["en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id"]
OTHER_THAN_JA = [*FOREIGN, "ja-easy"]
CONSULT = "043-204-5380"
BULKY_CENTRE = "043-302-5374"
AOBA = {"town": "青葉町", "town_ward": "中央区"}  # 可燃 月・木, 不燃・有害 1・3水, びん・缶・ペット 金
DATA = Path(__file__).resolve().parents[2] / "knowledge_base" / "data" / "garbage"
CATEGORIES = {entry["id"]: entry for entry in yaml.safe_load((DATA / "categories.yaml").read_text(encoding="utf-8"))}
# (what the resident typed, item name in items/*.yaml, category id)
ITEMS = [
    ("スプレー缶", "スプレー缶", "yugai"),
    ("フライパンの捨て方", "フライパン", "funen"),
    ("ペットボトル", "ペットボトル", "bin_kan_pet"),
]

_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")
# Text a reply in the language must contain and Japanese data text never does.
SCRIPT = {
    "ko": re.compile(r"[\uac00-\ud7af]"),  # Hangul
    "ne": re.compile(r"[\u0900-\u097f]"),  # Devanagari
    "zh": re.compile(r"[于为请们这个垃圾语说]"),  # Simplified characters Japanese does not use
    "vi": re.compile(r"[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđơư]"),
}
_READING = re.compile(r"（[\u3041-\u309fー]+）")  # easy Japanese adds readings: 有害（ゆうがい）ごみ


def _plain(text: str) -> str:
    """Text without the readings easy Japanese puts after kanji: the official terms as printed."""
    return _READING.sub("", text)


def _own_words(text: str, lang: str) -> bool:
    """The line is written in the language, not just Japanese data text with a label."""
    if lang in SCRIPT:
        return bool(SCRIPT[lang].search(text))
    # Latin-script languages: more Latin letters than kana/kanji (official terms in brackets are allowed).
    cjk = len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]", text))
    return len(_LATIN.findall(text)) > cjk


def _curated_item_name(name: str, lang: str) -> str | None:
    names = (yaml.safe_load((DATA / "i18n" / "item_names.yaml").read_text(encoding="utf-8")) or {}).get(name) or {}
    value = names.get(lang)
    return (value[0] if isinstance(value, list) else value) if value else None


pytestmark = pytest.mark.usefixtures("kb")


# ---- items ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", OTHER_THAN_JA)
@pytest.mark.parametrize(("text", "name", "category_id"), ITEMS)
async def test_item_answer_is_in_the_language_with_the_official_term(
    text: str, name: str, category_id: str, lang: str, kb: Any, tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionGarbageItem(), tracker_for(text, "ask_garbage_item", lang=lang))
    official = CATEGORIES[category_id]["name"]
    first_line = reply.text.splitlines()[0]
    assert official in _plain(first_line)  # what is printed on the bag/sign, in every language
    assert name in first_line  # the item's Japanese name, next to its translation
    if lang != "ja-easy":
        assert _own_words(first_line, lang), first_line
    curated_name = _curated_item_name(name, lang)
    if curated_name:
        assert f"{curated_name}" in reply.text or f"{curated_name[:1].upper()}{curated_name[1:]}" in reply.text
    term = content.default_content().category_term(category_id, lang)
    if term:
        assert term in first_line
    # The item's own how-to in the language (i18n/item_texts) before the category's general one.
    item = kb.garbage.lookup_item(name).best.item
    how = (content.item_text(item.how, lang) if item.how else None) or content.category_how(category_id, lang)
    if how:
        assert display(how) in reply.text
    else:  # no curated how-to yet: the item's Japanese one, behind a label in the resident's language
        japanese = display(kb.garbage.lookup_item(name).best.item.how)
        label = next(line for line in reply.text.splitlines() if japanese in line).split(japanese)[0]
        assert label.strip()
        assert lang == "ja-easy" or _own_words(label, lang)
    assert reply.slot("item") == name  # the slot stays Japanese: the lookup and buttons use it
    assert all(url.startswith("http") for url in reply.sources)


@pytest.mark.parametrize("lang", ["ja", *OTHER_THAN_JA])
@pytest.mark.parametrize(("text", "name", "category_id"), ITEMS)
async def test_item_answer_sends_a_card(
    text: str, name: str, category_id: str, lang: str, tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionGarbageItem(), tracker_for(text, "ask_garbage_item", lang=lang))
    [card] = reply.custom["cards"]
    assert card["type"] == "garbage_item"
    assert card["category_id"] == category_id
    assert card["colour"] == CATEGORIES[category_id]["colour"]
    assert CATEGORIES[category_id]["name"] in _plain(card["category"])
    assert name in card["item"]
    assert card["item"] in reply.text or card["item"][:1].upper() + card["item"][1:] in reply.text
    assert card["how"] and card["how"] in reply.text
    assert card["next_date"] is None  # no town known
    assert card["source"].startswith("https://")


@pytest.mark.parametrize(
    ("lang", "date"),
    [
        ("ja", "12月2日(水)"),
        ("ja-easy", "12月2日(水)"),
        ("en", "Wed 2 Dec"),
        ("zh", "12月2日（周三）"),
        ("ko", "12월 2일(수)"),
        ("vi", "T4 2/12"),
        ("tl", "Miy, Dis 2"),
        ("ne", "डिसेम्बर 2 (बुध)"),
        ("pt", "2 dez (qua)"),
        ("es", "mié 2 dic"),
        ("id", "Rab 2 Des"),
    ],
)
async def test_item_answer_gives_the_next_date_in_the_language(
    lang: str, date: str, tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionGarbageItem(), tracker_for("スプレー缶", slots=AOBA, lang=lang))
    assert date in reply.text
    assert "中央区青葉町" in reply.text  # town names stay as printed on the signs
    assert reply.custom["cards"][0]["next_date"] == date


@pytest.mark.parametrize("lang", OTHER_THAN_JA)
async def test_clarifying_buttons_are_labelled_in_the_language_and_answer_in_japanese(
    lang: str, tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionGarbageItem(), tracker_for("電池", "ask_garbage_item", lang=lang))
    assert _own_words(reply.text, lang) or lang == "ja-easy"
    assert reply.buttons
    for button in reply.buttons:
        entity = button["payload"].split('"item": "')[1].split('"')[0]
        assert entity in button["title"]  # the Japanese name the lookup knows, shown next to the translation
        curated = _curated_item_name(entity, lang)
        if curated:
            assert curated in button["title"]


@pytest.mark.parametrize("lang", OTHER_THAN_JA)
@pytest.mark.parametrize("text", ["", "xyzzy"])
async def test_item_questions_and_misses_are_in_the_language(text: str, lang: str, tracker_for: Any, run: Any) -> None:
    reply = await run(ActionGarbageItem(), tracker_for(text, "ask_garbage_item", lang=lang))
    ja = await run(ActionGarbageItem(), tracker_for(text, "ask_garbage_item", lang="ja"))
    assert reply.text != ja.text
    if lang != "ja-easy":
        assert _own_words(reply.text, lang)
    if text:
        assert CONSULT in reply.text


# ---- collection days ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "weekly", "monthly", "next_date"),
    [
        ("ja", "毎週月曜日・木曜日", "第1・第3水曜日", "11月26日(木)"),
        (
            "ja-easy",
            "まいしゅう 月曜日（げつようび）と 木曜日（もくようび）",
            "まいつき 1かいめと 3かいめの 水曜日",
            "11月26日(木)",
        ),
        ("en", "every Monday and Thursday", "1st and 3rd Wednesday of the month", "Thu 26 Nov"),
        ("zh", "每周一和周四", "每月第1和第3个周三", "11月26日（周四）"),
        ("ko", "매주 월요일·목요일", "매월 첫째·셋째 수요일", "11월 26일(목)"),
        ("vi", "thứ Hai và thứ Năm hằng tuần", "thứ Tư của tuần thứ 1 và 3 mỗi tháng", "T5 26/11"),
        ("tl", "tuwing Lunes at Huwebes", "tuwing ika-1 at ika-3 na Miyerkules ng buwan", "Huw, Nob 26"),
        ("ne", "हरेक हप्ता सोमबार र बिहीबार", "हरेक महिनाको पहिलो र तेस्रो बुधबार", "नोभेम्बर 26 (बिही)"),
        ("pt", "segunda-feira e quinta-feira, toda semana", "quarta-feira da 1ª e 3ª semana do mês", "26 nov (qui)"),
        ("es", "cada lunes y jueves", "el 1.º y 3.º miércoles de cada mes", "jue 26 nov"),
        ("id", "setiap Senin dan Kamis", "Rabu minggu ke-1 dan 3 setiap bulan", "Kam 26 Nov"),
    ],
)
async def test_collection_days_in_the_language(
    lang: str, weekly: str, monthly: str, next_date: str, tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionCollectionDays(), tracker_for("中央区青葉町のごみの日", lang=lang))
    for fragment in (weekly, monthly, next_date, "中央区青葉町", "可燃ごみ", "不燃ごみ", "8:00", "10:00"):
        assert fragment in reply.text or fragment in _plain(reply.text)
    if lang in FOREIGN:
        assert _own_words(reply.text.splitlines()[0], lang)
    assert reply.slot("town") == "青葉町"


@pytest.mark.parametrize("lang", OTHER_THAN_JA)
async def test_asking_for_the_town_is_in_the_language(lang: str, tracker_for: Any, run: Any) -> None:
    reply = await run(ActionCollectionDays(), tracker_for("ごみの日", lang=lang))
    assert "中央区青葉町" in reply.text  # the example is written as the signs write it
    assert "Aoba-cho" in reply.text  # ... and in romaji, which a newly arrived resident can type
    assert "お住まいの町名" not in reply.text
    if lang != "ja-easy":
        assert _own_words(reply.text, lang)


@pytest.mark.parametrize("lang", FOREIGN)
async def test_town_footnotes_are_labelled_as_japanese(lang: str, tracker_for: Any, run: Any) -> None:
    reply = await run(ActionCollectionDays(), tracker_for("美浜区打瀬2丁目のごみの日", lang=lang))
    note = next(line for line in reply.text.splitlines() if "有害ごみのみ" in line)
    label = note.split(":")[0].split("：")[0]
    assert _own_words(label, lang)


def _table_patterns() -> list[str]:
    import csv

    path = DATA.parent / "collection_days" / "chiba_city_collection_days.csv"
    with path.open(encoding="utf-8") as handle:
        return sorted({value for row in list(csv.reader(handle))[1:] for value in row[2:]})


@pytest.mark.parametrize("pattern", _table_patterns())
def test_japanese_schedule_words_match_the_knowledge_base(pattern: str) -> None:
    assert describe_schedule(pattern, "ja") == describe(parse_pattern(pattern))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("pattern", ["月・木", "水・土", "火", "2・4土", "1・3月", "2・4火※", "※", "-"])
def test_every_language_describes_every_kind_of_pattern(pattern: str, lang: str) -> None:
    text = describe_schedule(pattern, lang)
    assert text.strip()
    assert "{" not in text


# ---- FAQ, bulky waste, fallback ------------------------------------------------------------------------------------


@pytest.fixture
def curated(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The bulky-waste procedure entry with only the curated answers a test puts in the returned dict (lang -> text)."""
    answers: dict[str, str] = {}
    search = GarbageKnowledge.search_faq

    def search_with_answers(
        self: GarbageKnowledge, text: str, topic: str | None = None
    ) -> tuple[FaqEntry, float] | None:
        hit = search(self, text, topic=topic)
        if hit is None or hit[0].id != "sodai_procedure":
            return hit
        texts = {code: FaqText(answer=answer) for code, answer in answers.items()}
        return dataclasses.replace(hit[0], translations=texts), hit[1]

    monkeypatch.setattr(GarbageKnowledge, "search_faq", search_with_answers)
    return answers


ENGLISH = "Bulky waste (粗大ごみ) must be booked in advance: call 043-302-5374."
KOREAN = "대형 쓰레기(粗大ごみ)는 사전 신청제입니다. 043-302-5374로 신청하세요."


@pytest.mark.parametrize(
    ("files", "lang", "expected", "note"),
    [
        ({"ko": KOREAN, "en": ENGLISH}, "ko", KOREAN, False),  # curated in the language
        ({"en": ENGLISH}, "ko", ENGLISH, True),  # English, with a note in Korean
        ({}, "ko", "粗大ごみは事前申込制", True),  # Japanese, with a note in Korean
        ({"en": ENGLISH}, "ja-easy", "粗大ごみは事前申込制", True),  # easy Japanese readers read Japanese, not English
        ({"en": ENGLISH}, "en", ENGLISH, False),
        ({}, "en", "粗大ごみは事前申込制", True),
    ],
)
async def test_bulky_waste_answer_falls_back_from_the_language_to_english_to_japanese(
    files: dict[str, str], lang: str, expected: str, note: bool, curated: dict[str, str], tracker_for: Any, run: Any
) -> None:
    curated.update(files)
    reply = await run(ActionBulkyWaste(), tracker_for("粗大ごみはどうやって出しますか", "ask_bulky_waste", lang=lang))
    assert expected in reply.text
    assert BULKY_CENTRE in reply.text
    first = reply.text.splitlines()[0]
    assert (first != expected and expected not in first) is note
    if note and lang != "ja-easy":
        assert _own_words(first, lang)


@pytest.mark.parametrize("lang", OTHER_THAN_JA)
async def test_uncertain_faq_caution_is_in_the_language(lang: str, tracker_for: Any, run: Any) -> None:
    tracker = tracker_for("年末年始のごみ収集はどうなりますか", "ask_garbage_rules", lang=lang)
    reply = await run(ActionGarbageFaq(), tracker)
    caution = reply.text.splitlines()[-1]
    assert CONSULT in caution
    assert "念のため" not in caution
    if lang != "ja-easy":
        assert _own_words(caution, lang)


@pytest.mark.parametrize("lang", OTHER_THAN_JA)
async def test_fallback_is_in_the_language(lang: str, tracker_for: Any, run: Any) -> None:
    reply = await run(ActionFallback(), tracker_for("hello", lang=lang))
    ja = await run(ActionFallback(), tracker_for("hello", lang="ja"))
    assert reply.text != ja.text
    assert CONSULT in reply.text
    assert "粗大ごみ" in reply.text  # the official term residents will meet
    assert "中央区青葉町" in reply.text
    assert reply.custom["fallback"] is True
    if lang != "ja-easy":
        assert _own_words(reply.text, lang)


@pytest.mark.parametrize("lang", ["xx", "ja-JP", "klingon", "", None])
async def test_unknown_languages_get_japanese(lang: str | None, tracker_for: Any, run: Any) -> None:
    reply = await run(ActionGarbageItem(), tracker_for("スプレー缶", lang=lang))
    assert "「スプレー缶」は「有害ごみ」です。" in reply.text


@pytest.mark.parametrize(("lang", "expected"), [("EN", "en"), ("pt-BR", "pt"), ("zh-Hans", "zh"), ("fil", "tl")])
async def test_language_code_variants_are_understood(lang: str, expected: str, tracker_for: Any, run: Any) -> None:
    reply = await run(ActionFallback(), tracker_for("hello", lang=lang))
    same = await run(ActionFallback(), tracker_for("hello", lang=expected))
    assert reply.text == same.text


# ---- the catalogues ------------------------------------------------------------------------------------------------


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_every_key_with_the_same_placeholders(lang: str) -> None:
    ja, other = catalogue("ja"), catalogue(lang)
    assert sorted(other) == sorted(ja)
    for key, template in ja.items():
        assert _fields(other[key]) == _fields(template), key


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    ("key", "count"), [("weekday_names", 7), ("weekday_full", 7), ("month_names", 12), ("ordinals", 5)]
)
def test_indexed_lists_are_complete(lang: str, key: str, count: int) -> None:
    entries = [entry.strip() for entry in catalogue(lang)[key].split(",")]
    assert len(entries) == count
    assert all(entries)
