"""Item names in residents' languages (knowledge_base/data/garbage/i18n/item_names.yaml) are complete and unambiguous.

A resident who types "frying pan" or "喷雾罐" must land on exactly one kind of rule, so a name may not point to
items of different categories, and every entry speaks every supported language in the right script.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge_base.core.normalize import normalize
from knowledge_base.garbage.models import Item, load_knowledge
from settings import KnowledgeBaseSettings

LANGS = ("en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id")
NAMES_FILE = Path(__file__).resolve().parents[2] / "knowledge_base" / "data" / "garbage" / "i18n" / "item_names.yaml"
MIN_ENTRIES = 250
MAX_NAMES = 3

# Scripts a resident expects: Chinese without Japanese kana, Hangul, Devanagari, Latin elsewhere.
_KANA = re.compile(r"[\u3041-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_DEVANAGARI = re.compile(r"[\u0900-\u097f]")
_NON_LATIN = re.compile(r"[\u3041-\u30ff\u4e00-\u9fff\uac00-\ud7af\u0900-\u097f]")


@cache
def _items() -> tuple[Item, ...]:
    return load_knowledge(KnowledgeBaseSettings.from_env().data_dir).items


class DuplicateKeyError(yaml.YAMLError):
    """Raised for a key written twice: plain YAML would silently keep only the last entry."""


class _UniqueKeyLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise DuplicateKeyError(f"duplicate key {key!r} at {key_node.start_mark}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_table(text: str) -> dict[str, Any]:
    return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: no arbitrary objects


@cache
def _table() -> dict[str, Any]:
    return load_table(NAMES_FILE.read_text(encoding="utf-8"))


def _categories() -> dict[str, str]:
    return {item.name: item.category for item in _items()}


# --- checkers (return problems, so the failure paths below can feed them broken data) ---


def unknown_keys(table: dict[str, Any], categories: dict[str, str]) -> list[str]:
    return sorted(key for key in table if key not in categories)


def bad_entries(table: dict[str, Any], lang: str) -> list[str]:
    """Entries whose `lang` list is missing, empty, too long, repeats a name, or holds a blank/non-string name."""
    problems = []
    for key, entry in table.items():
        names = entry.get(lang) if isinstance(entry, dict) else None
        if not isinstance(names, list) or not 1 <= len(names) <= MAX_NAMES:
            problems.append(f"{key}: {lang} must be a list of 1-{MAX_NAMES} names, got {names!r}")
        elif any(not isinstance(n, str) or not n.strip() or n != n.strip() for n in names):
            problems.append(f"{key}: {lang} has a blank or non-string name: {names!r}")
        elif len({normalize(n) for n in names}) != len(names):
            problems.append(f"{key}: {lang} repeats a name: {names!r}")
    return problems


def shared_names(table: dict[str, Any], categories: dict[str, str], lang: str) -> list[str]:
    """Names (normalised) that point to items of different categories within one language."""
    owners: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for key, entry in table.items():
        for name in entry.get(lang) or []:
            owners[normalize(str(name))].add((categories.get(key, "?"), key))
    return sorted(f"{name}: {sorted(keys)}" for name, keys in owners.items() if len({cat for cat, _ in keys}) > 1)


def clashes_with_japanese(table: dict[str, Any], items: tuple[Item, ...], lang: str) -> list[str]:
    """Names equal to a Japanese name/alias of an item in another category (both are retrieval aliases)."""
    japanese: dict[str, set[str]] = defaultdict(set)
    for item in items:
        for text in item.names:
            japanese[normalize(text)].add(item.category)
    categories = {item.name: item.category for item in items}
    return sorted(
        f"{key}: {name!r} is also a Japanese alias in {sorted(japanese[normalize(name)])}"
        for key, entry in table.items()
        for name in entry.get(lang) or []
        if japanese.get(normalize(str(name)), set()) - {categories.get(key)}
    )


SCRIPT_RULES = {
    "zh": lambda n: bool(_HAN.search(n)) and not _KANA.search(n),
    "ko": lambda n: bool(_HANGUL.search(n)),
    "ne": lambda n: bool(_DEVANAGARI.search(n)),
}


def wrong_script(table: dict[str, Any], lang: str) -> list[str]:
    """The display name must be in the language's script (Latin for en/vi/tl/pt/es/id)."""
    ok = SCRIPT_RULES.get(lang, lambda n: not _NON_LATIN.search(n))
    return sorted(f"{key}: {entry[lang][0]!r}" for key, entry in table.items() if not ok(str(entry[lang][0])))


# --- the real data ---


def test_enough_items_are_covered() -> None:
    assert len(_table()) >= MIN_ENTRIES


def test_every_key_is_an_existing_item_name() -> None:
    assert unknown_keys(_table(), _categories()) == []


def test_every_entry_has_only_known_languages() -> None:
    assert sorted({lang for entry in _table().values() for lang in entry} - set(LANGS)) == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_entry_names_the_item_in(lang: str) -> None:
    assert bad_entries(_table(), lang) == []


@pytest.mark.parametrize("lang", LANGS)
def test_no_name_points_to_two_categories_in(lang: str) -> None:
    assert shared_names(_table(), _categories(), lang) == []


@pytest.mark.parametrize("lang", LANGS)
def test_no_name_collides_with_a_japanese_alias_of_another_category_in(lang: str) -> None:
    assert clashes_with_japanese(_table(), _items(), lang) == []


@pytest.mark.parametrize("lang", LANGS)
def test_display_names_are_in_the_script_of(lang: str) -> None:
    assert wrong_script(_table(), lang) == []


@pytest.mark.parametrize(
    ("japanese", "lang", "expected"),
    [
        ("スプレー缶", "en", "spray can"),
        ("スプレー缶", "pt", "lata de spray"),
        ("フライパン", "en", "frying pan"),
        ("フライパン", "es", "sartén"),
        ("ペットボトル", "en", "PET bottle"),
        ("ペットボトル", "zh", "塑料瓶"),
    ],
)
def test_issue_items_are_named(japanese: str, lang: str, expected: str) -> None:
    assert expected in _table()[japanese][lang]


@pytest.mark.parametrize("japanese", ["スプレー缶", "フライパン", "ペットボトル"])
def test_issue_items_exist_in_every_language(japanese: str) -> None:
    assert set(_table()[japanese]) == set(LANGS)


# --- failure paths: the checkers catch the mistakes a translator makes ---

_CATS = {"スプレー缶": "yugai", "フライパン": "funen", "鍋": "funen"}


@pytest.mark.parametrize(
    ("check", "table", "problem"),
    [
        (lambda t: unknown_keys(t, _CATS), {"すぷれー": {"en": ["spray"]}}, "すぷれー"),
        (lambda t: bad_entries(t, "en"), {"鍋": {"zh": ["锅"]}}, "鍋: en must be"),
        (lambda t: bad_entries(t, "en"), {"鍋": {"en": []}}, "鍋: en must be"),
        (lambda t: bad_entries(t, "en"), {"鍋": {"en": ["a", "b", "c", "d"]}}, "鍋: en must be"),
        (lambda t: bad_entries(t, "en"), {"鍋": {"en": [""]}}, "blank or non-string"),
        (lambda t: bad_entries(t, "tl"), {"鍋": {"tl": [None]}}, "blank or non-string"),
        (lambda t: bad_entries(t, "tl"), {"鍋": {"tl": [True]}}, "blank or non-string"),
        (lambda t: bad_entries(t, "en"), {"鍋": {"en": ["pot", "Pot"]}}, "repeats a name"),
        (
            lambda t: shared_names(t, _CATS, "en"),
            {"スプレー缶": {"en": ["Can"]}, "フライパン": {"en": ["can"]}},
            "can:",
        ),
        (lambda t: wrong_script(t, "zh"), {"鍋": {"zh": ["なべ"]}}, "鍋"),
        (lambda t: wrong_script(t, "ne"), {"鍋": {"ne": ["pot"]}}, "鍋"),
        (lambda t: wrong_script(t, "en"), {"鍋": {"en": ["鍋"]}}, "鍋"),
    ],
)
def test_checkers_report_broken_data(check, table: dict[str, Any], problem: str) -> None:
    problems = check(table)
    assert problems and problem in problems[0]


def test_a_key_written_twice_is_refused() -> None:
    with pytest.raises(DuplicateKeyError, match="鍋"):
        load_table("鍋: {en: [pot]}\n鍋: {en: [saucepan]}\n")


def test_same_category_may_share_a_name() -> None:
    table = {"フライパン": {"en": ["pan"]}, "鍋": {"en": ["pan"]}}
    assert shared_names(table, _CATS, "en") == []


def test_clash_with_a_japanese_alias_of_another_category_is_reported() -> None:
    spray = next(item for item in _items() if item.name == "スプレー缶")
    pan = next(item for item in _items() if item.name == "フライパン")
    assert clashes_with_japanese({"フライパン": {"en": [spray.aliases[-1]]}}, (spray, pan), "en")
    assert clashes_with_japanese({"フライパン": {"en": [pan.name]}}, (spray, pan), "en") == []
