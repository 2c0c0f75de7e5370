"""Formatting helpers and failure paths, without the real knowledge base (a small fake stands in for it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from actions.common import kb as kb_holder
from actions.common.kb_health import ActionKbHealth
from actions.common.replies import display, format_date, format_dates, lang_of
from actions.garbage.categories import categories_from_value, detect_categories
from actions.garbage.collection_days import ActionCollectionDays
from actions.garbage.faq import ActionGarbageFaq
from actions.garbage.item import ActionGarbageItem
from knowledge_base.garbage.models import Category, Item
from knowledge_base.garbage.service import ItemLookup, ItemMatch
from settings import ActionSettings, SettingsError

_SOURCE = "https://example.org/fake"


class FakeKnowledgeBase:
    """Only what the formatting tests need: an item lookup with many near-equal candidates."""

    def __init__(self) -> None:
        self.cat = Category("yugai", "有害ごみ", "", "", "#000", None, "", "8:00", _SOURCE)
        self.items = [Item(f"電池{i}", f"でんち{i}", "yugai", "confirmed", _SOURCE) for i in range(6)]

    def lookup_item(self, text: str, lang: str | None = None) -> ItemLookup:
        matches = [ItemMatch(item, 0.9, item.name) for item in self.items]
        return ItemLookup("ambiguous", matches[0], matches)

    def category(self, category_id: str) -> Category:
        return self.cat

    @property
    def garbage(self) -> FakeKnowledgeBase:
        """The hub's garbage domain: this fake plays both."""
        return self

    def find_towns(self, text: str) -> list[Any]:
        return []

    def search_faq(self, text: str, topic: str | None = None) -> None:
        return None

    def health(self) -> dict[str, int]:
        return {"items": len(self.items)}


@pytest.fixture
def fake_kb() -> Iterator[FakeKnowledgeBase]:
    fake = FakeKnowledgeBase()
    previous = kb_holder.set_kb(fake)  # type: ignore[arg-type]
    yield fake
    kb_holder.set_kb(previous)


@pytest.fixture
def broken_kb(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The knowledge base fails to load, as with a missing model folder."""
    from knowledge_base import service

    def fail(cls: type) -> None:
        raise FileNotFoundError("var/models/multilingual-e5-small")

    monkeypatch.setattr(service.KnowledgeBase, "load", classmethod(fail))
    previous = kb_holder.set_kb(None)
    yield
    kb_holder.set_kb(previous)


@pytest.mark.parametrize(
    ("day", "text"),
    [(date(2026, 11, 26), "11月26日(木)"), (date(2027, 1, 4), "1月4日(月)"), (date(2026, 12, 6), "12月6日(日)")],
)
def test_dates_read_as_residents_write_them(day: date, text: str) -> None:
    assert format_date(day, "ja") == text


def test_several_dates_are_joined_with_the_japanese_comma() -> None:
    assert format_dates([date(2026, 11, 26), date(2026, 11, 30)], "ja") == "11月26日(木)、11月30日(月)"


@pytest.mark.parametrize(
    ("text", "exclude", "expected"),
    [
        ("中央区青葉町の燃えないごみの日は？", (), ["funen"]),
        ("燃えるゴミはいつ？", (), ["kanen"]),
        ("可燃ごみと不燃ごみの日", (), ["kanen", "funen"]),
        ("有害ごみの収集日", (), ["yugai"]),
        ("ペットボトルの日", (), ["bin_kan_pet"]),
        ("新聞と段ボールはいつ出せる？", (), ["koshi_nuno"]),
        ("木の枝や刈り草の日", (), ["eda_kusa"]),
        ("資源物の日", (), ["bin_kan_pet", "koshi_nuno", "eda_kusa"]),
        ("若葉区のごみの日", (), []),  # 葉 of 若葉区 is not a leaf
        ("千葉市のごみの日", (), []),
        ("千草台のごみの日", ("千草台",), []),  # 草 of 千草台 is not grass
        ("収集日を教えて", (), []),
    ],
)
def test_categories_are_read_from_everyday_words(text: str, exclude: tuple[str, ...], expected: list[str]) -> None:
    assert detect_categories(text, exclude=exclude) == expected


@pytest.mark.parametrize(("value", "expected"), [("kanen", ["kanen"]), ("燃えないごみ", ["funen"]), ("???", [])])
def test_category_entity_may_be_an_id_or_a_word(value: str, expected: list[str]) -> None:
    assert categories_from_value(value) == expected


@pytest.mark.parametrize(
    ("metadata", "lang"), [({"lang": "en"}, "en"), ({}, "ja"), ({"lang": ""}, "ja"), ({"lang": 3}, "ja"), (None, "ja")]
)
def test_reply_language_comes_from_the_message_metadata(metadata: Any, lang: str, tracker_for: Any) -> None:
    tracker = tracker_for("hello")
    tracker.latest_message["metadata"] = metadata
    assert lang_of(tracker) == lang


@pytest.mark.parametrize("value", ["2026-13-01", "tomorrow", "26/11/2026"])
def test_a_bad_today_override_names_the_variable(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIBA_TODAY", value)
    with pytest.raises(SettingsError, match="CHIBA_TODAY"):
        ActionSettings.from_env()


def test_today_override_is_used(fixed_today: str) -> None:
    assert ActionSettings.from_env().today() == date.fromisoformat(fixed_today)


async def test_ambiguous_item_offers_at_most_three_buttons(
    fake_kb: FakeKnowledgeBase, tracker_for: Any, run: Any
) -> None:
    reply = await run(ActionGarbageItem(), tracker_for("電池", "ask_garbage_item"))
    assert len(reply.buttons) == 3  # the fake offers four close candidates
    first = reply.buttons[0]
    assert first["title"] == "電池0"
    assert first["payload"].startswith("/ask_garbage_item{")
    assert json.loads(first["payload"].removeprefix("/ask_garbage_item")) == {"item": "電池0"}


@pytest.mark.parametrize(
    ("action", "text"),
    [(ActionGarbageItem(), "スプレー缶"), (ActionCollectionDays(), "中央区青葉町"), (ActionGarbageFaq(), "ごみの日")],
)
async def test_a_missing_knowledge_base_still_gets_an_answer(
    action: Any, text: str, broken_kb: None, tracker_for: Any, run: Any
) -> None:
    reply = await run(action, tracker_for(text))
    assert "043-245-4894" in reply.text  # the city call centre answers any question while the data is unreadable
    assert reply.events == []


async def test_health_reports_a_knowledge_base_that_does_not_load(broken_kb: None, tracker_for: Any, run: Any) -> None:
    reply = await run(ActionKbHealth(), tracker_for("/health"))
    assert reply.custom["kb"] is None
    assert "multilingual-e5-small" in reply.custom["error"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("透明な袋に入れ、 不燃ごみの袋とは別にします。", "透明な袋に入れ、不燃ごみの袋とは別にします。"),
        ("  朝8時までに出します。 ", "朝8時までに出します。"),
        ("spray can と aerosol can", "spray can と aerosol can"),
        ("受付センター（043-302-5374） に電話", "受付センター（043-302-5374）に電話"),
    ],
)
def test_data_text_loses_the_gaps_of_folded_yaml(text: str, shown: str) -> None:
    assert display(text) == shown


@pytest.mark.parametrize("lang", ["ja", "ja-easy", "en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id"])
@pytest.mark.parametrize(
    ("certainty", "key"), [("general", "faq_general"), ("uncertain", "faq_uncertain"), ("confirmed", None)]
)
def test_an_answer_says_how_sure_it_is(certainty: str, key: str | None, lang: str) -> None:
    """General guidance (how-tos whose menus vary by phone) says so; an uncertain fact says to call; a confirmed one
    adds nothing."""
    from actions.common.faq_reply import faq_text
    from knowledge_base.core.faq import FaqEntry
    from translations.messages import render

    entry = FaqEntry("x", "t", ("q",), "1. 手順", certainty, _SOURCE, phone="043-245-5111")
    text = faq_text(entry, lang)
    notes = {k: render(k, lang, phone="043-245-5111") for k in ("faq_general", "faq_uncertain")}
    for name, note in notes.items():
        assert (note in text) is (name == key)


async def test_a_greeting_does_not_wait_for_the_knowledge_base(
    monkeypatch: pytest.MonkeyPatch, tracker_for: Any, run: Any
) -> None:
    """Loading the model, indexes and question classifier takes tens of seconds at start-up; a greeting reads the
    places data alone (desk phones), so the first "こんにちは" is answered at once."""
    from actions.common.chitchat import ActionGreet, ActionHelp
    from knowledge_base import service

    def must_not_load(cls: type) -> None:
        raise AssertionError("the greeting loaded the whole knowledge base")

    monkeypatch.setattr(service.KnowledgeBase, "load", classmethod(must_not_load))
    previous = kb_holder.set_kb(None)
    try:
        greeting = await run(ActionGreet(), tracker_for("こんにちは", "greet"))
        help_reply = await run(ActionHelp(), tracker_for("何ができますか", "help"))
    finally:
        kb_holder.set_kb(previous)
    assert "千葉市" in greeting.text
    assert "043-204-5380" in help_reply.text  # the garbage desk's phone, from the places data
    assert "043-245-4894" in help_reply.text
