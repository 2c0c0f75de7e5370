"""Garbage knowledge the actions read: item lookup, categories, towns and collection days, the garbage FAQ."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

from knowledge_base.core.faq import FaqEntry, FaqSearch, faq_corpus
from knowledge_base.core.index import Corpus, Row
from knowledge_base.core.normalize import has_kanji_or_latin, loosen, normalize
from knowledge_base.garbage.collection import TownMatcher, describe, next_dates, parse_pattern
from knowledge_base.garbage.models import Category, Item, Knowledge, Town
from knowledge_base.garbage.query import item_phrases
from settings import KnowledgeBaseSettings

if TYPE_CHECKING:
    import numpy as np

    from knowledge_base.core.index import Indexes

# Records (Category, Item, FaqEntry, Town) are defined in knowledge_base.garbage.models.
__all__ = ["CollectionEntry", "GarbageKnowledge", "ItemLookup", "ItemMatch", "UnknownCategory"]


class UnknownCategory(KeyError):
    """A category id that the data does not define."""


@dataclass(frozen=True)
class ItemMatch:
    item: Item
    score: float  # 1.0 for an exact (normalised) name/alias match; otherwise cosine + <=0.04 for shared characters
    matched: str  # the name or alias that matched


@dataclass(frozen=True)
class ItemLookup:
    status: Literal["found", "ambiguous", "not_found"]
    best: ItemMatch | None = None
    candidates: list[ItemMatch] = field(default_factory=list)  # for a clarifying question
    method: str = ""  # exact | contained | vector | none: how the answer was found (logs, benchmarks)


@dataclass(frozen=True)
class CollectionEntry:
    category: Category
    pattern: str  # as printed in the official table, e.g. "月・木", "2・4水"
    description: str  # Japanese, e.g. "毎週月曜日・木曜日", "第2・第4水曜日"
    next_dates: list[date]


_MAX_CANDIDATES = 4
_LEXICAL_WEIGHT = 0.04  # e5 cosines of short names crowd into 0.83-0.92; shared characters separate them


class GarbageKnowledge:
    """Item lookup, categories, towns and collection days, and the garbage FAQ over the shared indexes."""

    def __init__(
        self,
        knowledge: Knowledge,
        indexes: Indexes,
        query_vector: Callable[[str], np.ndarray],
        settings: KnowledgeBaseSettings,
    ) -> None:
        self.knowledge = knowledge
        self._items_index = indexes[ITEMS_INDEX]
        self._query_vector = query_vector
        self._settings = settings
        self._towns = TownMatcher(knowledge.towns)
        self._item_names = _name_table(knowledge.items, normalize)
        self._item_loose = _name_table(knowledge.items, lambda text: loosen(normalize(text)))
        self._contained = sorted(
            ((key, owner, text) for key, hits in self._item_names.items() for owner, text in hits if _containable(key)),
            key=lambda entry: -len(entry[0]),
        )
        # Latin-script names (English, Spanish, Tagalog, ...) matched word-wise, plural-tolerant: "botellas de
        # plástico PET" finds "botella de plástico".
        self._latin = sorted(
            {
                (key, owner, text)
                for owner, item in enumerate(knowledge.items)
                for text in (*item.aliases, *item.foreign_names)
                if len(key := latin_key(text)) >= _MIN_LATIN_KEY
            },
            key=lambda entry: -len(entry[0]),
        )
        self.faq = FaqSearch(
            list(knowledge.faq),
            indexes[FAQ_INDEX],
            query_vector,
            settings.faq_threshold,
            settings.faq_threshold_other,
            translated=GARBAGE_FAQ_TRANSLATED,
        )

    # ---- items --------------------------------------------------------------------------------------------

    def lookup_item(self, text: str) -> ItemLookup:
        """`text` is the resident's whole message or just the item name."""
        phrases = item_phrases(text)
        if not phrases.exact:
            return ItemLookup("not_found", method="none")
        for phrase in phrases.exact:
            found = self._exact(phrase)
            if found:
                return found
        # The Latin matcher reads the raw text: Japanese normalisation joins words written with diacritics (vi).
        latin = self._contained_latin(text) if has_latin_letters(text) else None
        return self._contained_name(phrases.core) or latin or self._vector_lookup(phrases.core)

    def _exact(self, phrase: str) -> ItemLookup | None:
        """Normalised match first; then the loose form (no long vowels, small kana as normal: 「すぷれかん」)."""
        norm = normalize(phrase)
        for hits in (self._item_names.get(norm), self._item_loose.get(loosen(norm))):
            if hits:
                matches = [ItemMatch(self.knowledge.items[owner], 1.0, text) for owner, text in hits]
                return self._decide(matches, method="exact")
        return None

    def _contained_name(self, phrase: str) -> ItemLookup | None:
        """The known name inside the phrase that ends last (the head noun in 「AのB」), longest on ties."""
        key = normalize(phrase)
        best: tuple[int, int] | None = None
        matches: list[ItemMatch] = []
        for name, owner, text in self._contained:
            start = key.rfind(name)
            if start < 0:
                continue
            rank = (start + len(name), len(name))
            if best is None or rank > best:
                best, matches = rank, [ItemMatch(self.knowledge.items[owner], 1.0, text)]
            elif rank == best:
                matches.append(ItemMatch(self.knowledge.items[owner], 1.0, text))
        return self._decide(matches, method="contained") if matches else None

    def _contained_latin(self, phrase: str) -> ItemLookup | None:
        """The longest Latin-script name found as whole words in the phrase (leftmost-longest on ties)."""
        key = f" {latin_key(phrase)} "
        best_len = 0
        matches: list[ItemMatch] = []
        for name, owner, text in self._latin:
            if len(name) < best_len:
                break  # sorted longest first
            if f" {name} " in key:
                best_len = len(name)
                if all(m.item is not self.knowledge.items[owner] for m in matches):
                    matches.append(ItemMatch(self.knowledge.items[owner], 1.0, text))
        return self._decide(matches, method="contained") if matches else None

    def _vector_lookup(self, phrase: str) -> ItemLookup:
        """Nearest names by cosine + a bonus for shared characters (「ペンキ」: 「ペンキ缶」 before 「工具」)."""
        grams = _grams(normalize(phrase))
        per_item: dict[int, ItemMatch] = {}
        for row, cosine in self._items_index.search(self._query_vector(phrase), k=40):
            score = cosine + _LEXICAL_WEIGHT * _overlap(grams, normalize(row.text))
            if row.owner not in per_item or score > per_item[row.owner].score:
                per_item[row.owner] = ItemMatch(self.knowledge.items[row.owner], round(score, 4), row.text)
        ranked = sorted(per_item.values(), key=lambda m: -m.score)
        if not ranked or ranked[0].score < self._settings.item_threshold:
            near = [m for m in ranked[:_MAX_CANDIDATES] if m.score >= self._settings.item_threshold - 0.03]
            return ItemLookup("not_found", None, near, method="vector")
        close = [m for m in ranked[:_MAX_CANDIDATES] if m.score >= ranked[0].score - self._settings.item_margin]
        return self._decide(close, method="vector")

    @staticmethod
    def _decide(matches: list[ItemMatch], method: str) -> ItemLookup:
        """Found when every close candidate is in one category (the answer is the same); else ask."""
        unique: list[ItemMatch] = []
        for match in matches:
            if all(match.item is not seen.item for seen in unique):
                unique.append(match)
        if len({m.item.category for m in unique}) <= 1:
            return ItemLookup("found", unique[0], unique, method=method)
        return ItemLookup("ambiguous", unique[0], unique[:_MAX_CANDIDATES], method=method)

    def item_by_key(self, key: str) -> Item | None:
        """The item whose normalised name is `key` (Item.key), e.g. from a clarifying button's payload."""
        return next((item for item in self.knowledge.items if item.key == key), None)

    # ---- categories and collection days -------------------------------------------------------------------

    def category(self, category_id: str) -> Category:
        try:
            return self.knowledge.categories[category_id]
        except KeyError:
            raise UnknownCategory(category_id) from None

    def find_towns(self, text: str) -> list[Town]:
        """Towns named in `text` (longest match first; several when ambiguous, e.g. same name in two wards)."""
        return self._towns.find(text)

    def collection_days(
        self, town: Town, category_id: str | None = None, today: date | None = None, count: int = 3
    ) -> list[CollectionEntry]:
        """All station categories of the town, or just one; next `count` dates from `today` inclusive."""
        today = today or date.today()
        categories = [self.category(category_id)] if category_id else list(self.knowledge.categories.values())
        entries: list[CollectionEntry] = []
        for category in categories:
            if not category.schedule_column:
                continue  # no station collection (粗大ごみ: by appointment; 家電リサイクル: not by the city)
            pattern = town.pattern(category.schedule_column)
            if pattern is None:
                continue
            schedule = parse_pattern(pattern)
            entries.append(CollectionEntry(category, pattern, describe(schedule), next_dates(schedule, today, count)))
        return entries

    # ---- FAQ ----------------------------------------------------------------------------------------------

    def search_faq(self, text: str, topic: str | None = None) -> tuple[FaqEntry, float] | None:
        """Best FAQ entry and its score, or None below the threshold."""
        hit = self.faq.best(text, topic=topic)
        return (hit.entry, hit.score) if hit else None

    # ---- misc ----------------------------------------------------------------------------------------------

    def health(self) -> dict[str, int]:
        """Counts of loaded records/index rows, e.g. {"items": 640, "faq": 40, "towns": 261}."""
        return {
            "categories": len(self.knowledge.categories),
            "items": len(self.knowledge.items),
            "item_rows": len(self._items_index),
            "faq": len(self.knowledge.faq),
            "faq_rows": self.faq.rows,
            "towns": len(self.knowledge.towns),
        }


ITEMS_INDEX = "garbage.items"
FAQ_INDEX = "garbage.faq"
# The garbage i18n files carry questions in every language, but matching them let off-topic English match FAQ
# entries ("What is the weather today?" -> cloth 0.86); the garbage FAQ is matched on its Japanese questions.
GARBAGE_FAQ_TRANSLATED = False


def item_rows(knowledge: Knowledge) -> list[Row]:
    """One row per distinct written form of an item (name, reading, aliases)."""
    rows: list[Row] = []
    for owner, item in enumerate(knowledge.items):
        seen: set[str] = set()
        for text in item.names:
            if text and text not in seen:
                seen.add(text)
                rows.append(Row(owner, text))
    return rows


def corpora(knowledge: Knowledge) -> dict[str, Corpus]:
    """Item names are short documents (passage role); FAQ questions are matched question-to-question."""
    return {
        ITEMS_INDEX: Corpus(item_rows(knowledge), "passage"),
        FAQ_INDEX: faq_corpus(list(knowledge.faq), translated=GARBAGE_FAQ_TRANSLATED),
    }


def _name_table(items: tuple[Item, ...], key: Callable[[str], str]) -> dict[str, list[tuple[int, str]]]:
    """Matching form of every name/reading/alias -> [(item index, text as written)]; names before aliases."""
    table: dict[str, list[tuple[int, str]]] = {}
    for owner, item in enumerate(items):
        # Latin-script foreign names go through the word-wise matcher instead (see latin_key).
        foreign = (text for text in item.foreign_names if not has_latin_letters(text))
        for text in (*item.names, *foreign):
            form = key(text)
            hits = table.setdefault(form, []) if form else []
            if form and all(o != owner for o, _ in hits):
                hits.append((owner, text))
    return table


def _grams(text: str) -> frozenset[str]:
    """Character pairs of a normalised text (single characters for one- or two-letter texts), without 「ごみ」."""
    grams = frozenset(text[i : i + 2] for i in range(len(text) - 1)) - {"ごみ"}
    return grams | frozenset(text) if len(text) <= 2 else grams


def _overlap(grams: frozenset[str], text: str) -> float:
    """Share of the query's characters/pairs found in `text` (0..1)."""
    return sum(gram in text for gram in grams) / len(grams) if grams else 0.0


_MIN_LATIN_KEY = 4  # "tv" or "pan" alone match too much by accident
_LATIN_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)


def has_latin_letters(text: str) -> bool:
    # Basic Latin, Latin-1/Extended-A/B, and Latin Extended Additional (Vietnamese: ạ, ả, ố, ...)
    return any("a" <= ch.lower() <= "z" or "\u00c0" <= ch <= "\u024f" or "\u1e00" <= ch <= "\u1eff" for ch in text)


def latin_key(text: str) -> str:
    """Lower-case words of a Latin-script text, each without a plural -s/-es, joined by single spaces."""
    words = _LATIN_WORD.findall(unicodedata.normalize("NFKC", text).lower())
    if not words or not all(has_latin_letters(w) or w.isdigit() for w in words):
        return ""
    return " ".join(_singular(w) for w in words)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("es") and word[-3] in "sxzh":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _containable(key: str) -> bool:
    """Long enough to be found inside a sentence without matching by accident (「いす」 in 「ないすな」).

    Purely Latin keys are left to the word-wise matcher: without spaces "tipo de" contains "ipod".
    """
    if all(has_latin_letters(ch) or not ch.isalpha() for ch in key):
        return False
    if has_kanji_or_latin(key):
        return len(key) >= (4 if key.isascii() else 2)
    return len(key) >= 3
