"""Garbage knowledge the actions read: item lookup, categories, towns and collection days, the garbage FAQ.

Item lookup states a category only when it is sure: a known name (name, reading, alias, dictionary name or a
foreign name) was found in the sentence and every item found is in one category. Everything else - close
candidates of different categories, a name one typo away from several items, or only a similarity (e5) match - is
"ambiguous" (up to three candidates to pick from) or "not_found"/"unknown"; a confident wrong answer is worse than
"I don't know" (docs: /work/shared/ARCHITECTURE.md, "Understanding a message").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml

from knowledge_base.core.faq import FaqEntry, FaqSearch, faq_corpus
from knowledge_base.core.index import Corpus, Row
from knowledge_base.core.normalize import normalize
from knowledge_base.garbage.collection import TownMatcher, describe, load_town_readings, next_dates, parse_pattern
from knowledge_base.garbage.matcher import (
    Name,
    NameMatcher,
    QueryWords,
    Span,
    allowed_langs,
    base_forms,
    has_cjk,
    has_latin,
    is_qualified,
    is_word_script,
    name_texts,
    norm,
    qualifier_words,
    words,
)
from knowledge_base.garbage.models import Category, Item, Knowledge, Town
from knowledge_base.garbage.query import (
    DEFAULT_DATA_DIR,
    NE_ROMAN_FILE,
    SHIGEN,
    Phrases,
    QuestionReader,
    Signals,
    item_phrases,
    lexicon_path,
    load_lexicon,
)
from settings import KnowledgeBaseSettings

if TYPE_CHECKING:
    import numpy as np

    from knowledge_base.core.index import Indexes

# Records (Category, Item, FaqEntry, Town) are defined in knowledge_base.garbage.models.
__all__ = ["CollectionEntry", "GarbageKnowledge", "ItemLookup", "ItemMatch", "UnknownCategory"]

log = logging.getLogger(__name__)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the name files are large


class UnknownCategory(KeyError):
    """A category id that the data does not define."""


@dataclass(frozen=True)
class ItemMatch:
    item: Item
    # 1.0: a name found as typed; FUZZY_SCORE: found after correcting one typo ("umbrela"), worth saying which item
    # the answer is about; otherwise (similarity candidates) the cosine + <=0.04 for shared characters.
    score: float
    matched: str  # the name or alias that matched


Status = Literal["found", "ambiguous", "not_found", "unknown"]


@dataclass(frozen=True)
class ItemLookup:
    """What an item question asked and what the knowledge base can say about it.

    status:
      found      a known name is in the text and every item found is in one category: state it (`best`).
      ambiguous  several items of different categories, a partial name ("pin" -> pin khô / pin sạc) or only a
                 similarity match: never state a category, offer `candidates` (at most 3) and the phone number.
      not_found  nothing item-like: `candidates` may hold near misses to offer as guesses.
      unknown    the text names something that is not a household item (an animal, a vehicle, a building:
                 `unknown_kind` "living" / "not_household"), or asks how to throw away a thing nobody knows
                 (`unknown_kind` "unknown"): ask what is meant.
    asked_category: the category the question names, for a yes/no answer: a category id ("kanen" for "is it
      burnable?") or "shigen" (SHIGEN) for 資源/recyclable without saying which; `asked_ids` lists the ids it
      covers (for "shigen": every category whose name starts with 資源物). Use GarbageKnowledge.asked_answer().
    asks_day: the question asks on which day (「何曜日」, "when", "언제", "ngày nào").
    other_city: the official name of another municipality the question is about (「船橋市」): Chiba City's rules
      may not apply there. Never Chiba City itself.
    item_words: the words of the message that may name the item, normalised: Japanese and Chinese without openers,
      question words, modifiers, categories, days and cities (「電卓こわれた」 -> 「電卓」); other scripts without
      modifiers ("old CDs and their cases" -> "cdsandtheircases"). How much of it the found name covers tells an
      item question from a message that merely mentions an item (actions/garbage/item.py `claims`).
    asks_disposal: the message has a disposal or category word (「捨てたい」, "throw away", "burnable").
    """

    status: Status
    best: ItemMatch | None = None
    candidates: list[ItemMatch] = field(default_factory=list)  # for a clarifying question (at most 3)
    # exact | contained | fuzzy | partial | vector | lexicon | none: how the answer was found (logs, benchmarks)
    method: str = ""
    asked_category: str | None = None
    asks_day: bool = False
    other_city: str | None = None
    unknown_kind: str | None = None
    asked_ids: tuple[str, ...] = ()
    item_words: str = ""
    asks_disposal: bool = False

    @property
    def confident(self) -> bool:
        return self.status == "found" and self.best is not None


@dataclass(frozen=True)
class CollectionEntry:
    category: Category
    pattern: str  # as printed in the official table, e.g. "月・木", "2・4水"
    description: str  # Japanese, e.g. "毎週月曜日・木曜日", "第2・第4水曜日"
    next_dates: list[date]


MAX_CANDIDATES = 3  # buttons a clarifying question offers
FUZZY_SCORE = 0.99
_LEXICAL_WEIGHT = 0.04  # e5 cosines of short names crowd into 0.83-0.92; shared characters separate them
_VECTOR_WINDOW = 0.03  # similarity candidates within this of the best are offered together
# A similarity candidate shares at least this share of the query's character pairs with the name, or its cosine
# is this much above the threshold (measured: bench/retrieval_accuracy.py and the report of issue 7).
_MIN_OVERLAP = 0.3
_UNSUPPORTED_EXTRA = 0.02
_LIST_SEPARATOR = re.compile(r"[とや、,・]|および|及び")  # 「缶とびん」: two items asked together


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
        # Readings let residents name their town in hiragana or romaji ("Aoba-cho", 「あおばちょう」).
        self._towns = TownMatcher(knowledge.towns, load_town_readings(settings.data_dir))
        lexicon = load_lexicon(lexicon_path(settings.data_dir))
        reserved = [*(town.name for town in knowledge.towns), *(town.ward for town in knowledge.towns)]
        reserved += [item.name for item in knowledge.items]
        self._reader = QuestionReader(lexicon, reserved)
        self._particles = lexicon.particles
        self._names = NameMatcher(
            gazetteer(knowledge, settings.data_dir),
            self._reader.stop_words,
            keep_plurals=[word for word, _ in lexicon.not_plurals],
            not_contained=[word for word, _ in lexicon.not_contained],
        )
        self._siblings = siblings(self._names.names)
        self._compounds = compounds(self._names.names)
        self._owner = {id(item): owner for owner, item in enumerate(knowledge.items)}
        self._shigen = tuple(cid for cid, c in knowledge.categories.items() if c.name.startswith("資源物"))
        # None in a knowledge base without that entry (small test fixtures); tests check the project's has it.
        self.dead_animal_item = next((i for i in knowledge.items if i.name == lexicon.dead_animal_item), None)
        self.faq = FaqSearch(
            list(knowledge.faq),
            indexes[FAQ_INDEX],
            query_vector,
            settings.faq_threshold,
            settings.faq_threshold_other,
            translated=GARBAGE_FAQ_TRANSLATED,
        )

    # ---- items --------------------------------------------------------------------------------------------

    def lookup_item(self, text: str, lang: str | None = None) -> ItemLookup:
        """`text` is the resident's whole message or just the item name; `lang` the message's language if known
        (short names such as "pin" or "ô" count only in their own language)."""
        signals = self._reader.read(text)
        result = self._wider(self._qualified(self._find(text, _language(lang), signals), text), text)
        asked = signals.asked_category
        return replace(
            result,
            asked_category=asked,
            asked_ids=self._asked_ids(asked),
            asks_day=signals.asks_day,
            other_city=signals.other_city,
            item_words=self._item_words(text, signals),
            asks_disposal=signals.disposal,
        )

    def _item_words(self, text: str, signals: Signals) -> str:
        if has_cjk(text):
            return self._reader.without_question_words(item_phrases(text).core)
        # Other scripts: every word but the modifiers ("old", "rusak", "velho"). Question words stay, unlike in the
        # item search: "do i need an umbrella this afternoon" must not become an item question (bench --part e2e:
        # removing them too claimed it, and this weather question got a category).
        modifiers = signals.stop_positions - signals.question_positions
        return normalize(" ".join(t for i, t in enumerate(signals.tokens) if i not in modifiers))

    def other_city(self, text: str) -> str | None:
        """The other municipality a message is about (「船橋市の粗大ごみ」 -> 船橋市), for any reply that must say the
        assistant knows Chiba City only."""
        return self._reader.read(text).other_city

    def asked_answer(self, lookup: ItemLookup) -> Literal["yes", "no", "depends"] | None:
        """The answer to a yes/no question (「ピザの箱って資源？」): "depends" when the item's category is a size
        rule that includes the asked one (可燃ごみまたは粗大ごみ asked as 粗大ごみ); None without a confident item or
        without an asked category."""
        if not lookup.confident or not lookup.asked_ids or lookup.best is None:
            return None
        category_id = lookup.best.item.category
        if category_id in lookup.asked_ids:
            return "yes"
        category = self.knowledge.categories.get(category_id)
        alternatives = getattr(category, "alternatives", ()) or ()
        return "depends" if set(alternatives) & set(lookup.asked_ids) else "no"

    def _asked_ids(self, asked: str | None) -> tuple[str, ...]:
        if asked == SHIGEN:
            return self._shigen
        return (asked,) if asked in self.knowledge.categories else ()

    def _find(self, text: str, lang: str | None, signals: Signals) -> ItemLookup:
        if self.dead_animal_item is not None and self._reader.names_dead_animal(text):
            # "my dog died": the animal is the item, not "a living thing" to ask about, and its name alone would
            # find the dog's kennel or its droppings.
            match = ItemMatch(self.dead_animal_item, 1.0, self.dead_animal_item.name)
            return ItemLookup("found", match, [match], method="animal")
        phrases = item_phrases(text)
        if not phrases.exact:
            return ItemLookup("not_found", method="none")
        cjk = has_cjk(text)
        query = self._names.query_words(text, self._particles)
        langs = _effective_langs(lang, signals.langs)
        if cjk:
            found = self._exact(phrases.exact) or self._contained(phrases.core)
            if found:
                return found
            # 「消火器の期限切れ」: after 「の」 only a state, no other thing; without it the name is the head.
            bare = self._reader.without_question_words(phrases.core)
            found = bare != norm(phrases.core) and self._contained(bare)
            if found:
                return found
        found = self._in_words(query, signals, langs)
        if found:
            return found
        if cjk and phrases.core != phrases.exact[0]:
            found = self._contained(phrases.exact[0])  # the whole message, when the cut missed the item
            if found:
                return found
        core = phrases.core if cjk else " ".join(signals.content)
        if cjk and self._reader.only_question_words(core):
            core = ""  # 「船橋市の粗大ごみの出し方」: a category and a city, no item
        kind = self._reader.unknown_kind(core, signals.content)
        if kind:  # before typo correction: "horse" is not a misspelt name
            return ItemLookup("unknown", method="lexicon", unknown_kind=kind)
        found = self._fuzzy(phrases, query, signals, langs, cjk)
        if found:
            return found
        found = self._partial(phrases, query, signals, langs, cjk)
        if found:
            return found
        if not core.strip():
            return ItemLookup("not_found", method="none")
        result = self._vector_lookup(core)
        if cjk and result.status == "not_found" and not result.candidates:
            single = self._names.single_kanji_names(text)
            if single:
                # 「なくした鍵の予備」: one character is too little to be sure of: ask, that thing first.
                matches = self._matches(single)
                return ItemLookup("ambiguous", matches[0], matches[:MAX_CANDIDATES], method="single")
        if result.status == "not_found" and signals.disposal and not result.candidates:
            return replace(result, status="unknown", unknown_kind="unknown")
        return result

    def _wider(self, result: ItemLookup, text: str) -> ItemLookup:
        """「프린터 잉크 … 헌 카트리지는요」: the printer was found, but every word of a longer name of another thing
        (「프린터 잉크 카트리지」) is in the message too — that thing may be what is meant: ask, it first."""
        if result.status != "found" or result.best is None:
            return result
        query = self._names.query_words(text, self._particles)
        found_words = len(words(result.best.matched)) or 1
        wider = [
            name
            for name in self._names.names_with_all_words(query)
            if name.owner != self._owner[id(result.best.item)] and len(words(name.text)) > found_words
        ]
        if not wider:
            return result
        matches = self._matches(wider[:1])
        if matches[0].item.category == result.best.item.category:
            return result  # the same answer either way
        candidates = [*matches, result.best]
        return ItemLookup("ambiguous", candidates[0], candidates[:MAX_CANDIDATES], method="words")

    def _qualified(self, result: ItemLookup, text: str) -> ItemLookup:
        """「未使用のマッチ」, 「スプリング入りのマットレス」: the dictionary splits some things by a qualifier
        (「マッチ（未使用）」, 「マットレス（スプリングあり）」) that can change the category. When the message names
        the qualifier of one such entry of the found thing, that entry is the answer."""
        if result.best is None or result.method not in ("exact", "contained", "fuzzy"):
            return result
        key = norm(text)
        best = result.best.item
        own = norm(" ".join(best.names))
        scored = []
        owner_of_best = self._owner[id(best)]
        related = self._siblings.get(owner_of_best, set()) | self._compounds.get(owner_of_best, set())
        for owner in sorted(related):
            item = self.knowledge.items[owner]
            words = {w for name in (item.name, *item.jiten_names) for w in qualifier_words(name) if w not in own}
            hits = sum(len(w) for w in words if w in key)
            if hits:
                scored.append((hits, owner))
        if not scored:
            return self._unqualified(result)
        item = self.knowledge.items[max(scored)[1]]
        return replace(result, status="found", best=ItemMatch(item, result.best.score, item.name), candidates=[])

    @staticmethod
    def _unqualified(result: ItemLookup) -> ItemLookup:
        """「カップ」 found only as the unqualified part of 「カップ（陶器製）」: the resident did not say what the
        qualifier says, so the answer is not certain — ask, that entry first."""
        if result.status != "found" or result.best is None or result.best.score < 1.0:
            return result
        item, matched = result.best.item, norm(result.best.matched)
        texts = (*item.names, *item.foreign_names)
        if any(norm(text) == matched for text in texts):
            return result
        # Only a bracketed qualifier left out counts: 「IHクッキングヒーター」 of 「IHクッキングヒーター・IH調理器」 is
        # a whole name; romanised Nepali and the like are whole names too.
        if not any(norm(part) == matched for text in texts if is_qualified(text) for part in base_forms(text)):
            return result
        return replace(result, status="ambiguous", candidates=result.candidates or [result.best])

    def _exact(self, phrases: list[str]) -> ItemLookup | None:
        """A phrase of the message (whole, cut before the question frame, without openers/modifiers) is a name;
        or each part of a listed pair is (「缶とびんは一緒に出せる？」)."""
        for phrase in phrases:
            names = _full_first(self._names.exact_names(phrase))
            if names:
                return self._decide(self._matches(names), method="exact")
        for phrase in phrases:
            parts = [p for p in _LIST_SEPARATOR.split(phrase) if p]
            if len(parts) < 2:
                continue
            found = [_full_first(self._names.exact_names(part)) for part in parts]
            if all(found):
                return self._decide(self._matches(n for names in found for n in names), method="exact")
        return None

    def _contained(self, phrase: str) -> ItemLookup | None:
        """The known name inside the phrase that ends last (the head noun in 「AのB」), longest on ties."""
        head, others = self._names.contained_parts(phrase)
        names = _full_first(head)
        if not names:
            return None
        found = self._decide(self._matches(names), method="contained")
        if found.status != "found" or found.best is None:
            return found
        # 「ヘルメット（自転車用）」: an item named in another part of a bracketed phrase may be what the resident
        # means: when its category differs, ask, the head first.
        category = found.best.item.category
        extra = [m for m in self._matches(_full_first(others)) if m.item.category != category]
        if extra:
            candidates = list({id(m.item): m for m in [*found.candidates, *extra]}.values())
            return ItemLookup("ambiguous", found.best, candidates[:MAX_CANDIDATES], method="contained")
        return found

    def _in_words(self, query: QueryWords, signals: Signals, langs: frozenset[str] | None) -> ItemLookup | None:
        """Names written in words ("spray can", 「우산」, "payong", "chhata") found as whole words of the message."""
        spans = self._names.word_spans(query, langs)
        # A name made only of question words or modifiers is not the thing: pt "lama" (mud) is "old" in "wajan lama".
        chosen = _maximal([s for s in spans if not set(range(s.start, s.end)) <= signals.stop_positions])
        # "lid of a jam jar": a name after a linker with an unknown word before it is what the thing belongs to.
        chosen = [s for s in chosen if not _modifier_span(s, chosen, signals)]
        if not chosen:
            return None
        names = [name for span in chosen for name in _full_first(list(span.names))]
        covered = {i for span in chosen for i in range(span.start, span.end)}
        content = set(range(len(query.surface))) - signals.stop_positions
        fuzzy = any(span.fuzzy for span in chosen)
        method = "fuzzy" if fuzzy else "exact" if content <= covered else "contained"
        found = self._decide(self._matches(names, FUZZY_SCORE if fuzzy else 1.0), method=method)
        uncovered = content - covered
        # A Vietnamese syllable right after an unknown one ("hoa" in "dieu hoa", air conditioner) or a name found only
        # by correcting a typo among other unknown words may be another word: ask, that item first.
        syllable = len(chosen) == 1 and _syllable_of_compound(chosen[0], names, uncovered)
        # "arena del gato": an unknown word after a linker that follows the name says whose it is, and may make it
        # another thing (cat litter, not sand): ask, that item first.
        owned = any(s.end in signals.linker_positions and s.end + 1 in uncovered for s in chosen)
        if found.status == "found" and uncovered and (syllable or owned or (fuzzy and len(uncovered) >= 2)):
            return replace(found, status="ambiguous")
        return found

    def _fuzzy(
        self, phrases: Phrases, query: QueryWords, signals: Signals, langs: frozenset[str] | None, cjk: bool
    ) -> ItemLookup | None:
        """One typo: a Latin word one edit from exactly one name word, or a Japanese phrase one edit from names of
        one item (「すぷれい缶」). Found only when that leads to one category."""
        corrected = self._names.correct_typos(query, self._reader.stop_words)
        if corrected.corrected:
            found = self._in_words(corrected, signals, langs)
            if found:
                return found
        if cjk:
            for phrase in phrases.exact[:3]:
                names = _full_first(self._names.fuzzy_names(phrase))
                items = {name.owner for name in names}
                if len(items) == 1:
                    return self._decide(self._matches(names, FUZZY_SCORE), method="fuzzy")
        return None

    def _partial(
        self, phrases: Phrases, query: QueryWords, signals: Signals, langs: frozenset[str] | None, cjk: bool
    ) -> ItemLookup | None:
        """Part of names only ("pin" -> pin khô, pin sạc; 「電池」 -> 乾電池, ボタン電池): never confident."""
        content = [i for i in range(len(query.surface)) if i not in signals.stop_positions]
        scored = self._names.partial_names(query, content, langs)
        names = [name for share, name in scored if share >= 0.3]
        if cjk and not names:
            names = self._names.names_containing(phrases.core) or (
                self._names.names_containing(phrases.exact[-1]) if phrases.exact else []
            )
        matches = self._matches(names)
        if not matches:
            return None
        return ItemLookup("ambiguous", matches[0], matches[:MAX_CANDIDATES], method="partial")

    def _matches(self, names: Iterable[Name], score: float = 1.0) -> list[ItemMatch]:
        """One ItemMatch per item, in the order found. A name found only as the unqualified part of dictionary
        names ("gas cylinder" of 「ガスボンベ（卓上カートリッジ式）」) brings the items that share that part
        (「ガスボンベ（LP・プロパン）」): the qualifier the resident left out may change the category."""
        names = list(names)
        out: dict[int, ItemMatch] = {}
        for name in names:
            out.setdefault(name.owner, ItemMatch(self.knowledge.items[name.owner], score, name.text))
        if names and all(name.base for name in names):
            for name in names:
                for owner in sorted(self._siblings.get(name.owner, ())):
                    item = self.knowledge.items[owner]
                    out.setdefault(owner, ItemMatch(item, score, item.name))
        return list(out.values())

    def _vector_lookup(self, phrase: str) -> ItemLookup:
        """Similarity only: nearest names by cosine + a bonus for shared characters (「ペンキ」: 「ペンキ缶」 before
        「工具」). Never "found": up to three candidates when close, else not_found with near misses."""
        key = normalize(phrase)
        grams = _grams(key)
        cjk_query = has_cjk(key)
        threshold = self._settings.item_threshold
        per_item: dict[int, ItemMatch] = {}
        for row, cosine in self._items_index.search(self._query_vector(phrase), k=40):
            row_key = normalize(row.text)
            overlap = _overlap(grams, row_key)
            # Without shared characters (another script, or a word the model only finds "similar") the cosine alone
            # must be well above the threshold: 「ふわもこぴょん」 is close to nothing, "gas cylinder" no snowboard.
            supported = cjk_query == has_cjk(row_key) and (overlap >= _MIN_OVERLAP or _inside(row_key, key))
            if not supported and cosine < threshold + _UNSUPPORTED_EXTRA:
                continue
            score = cosine + _LEXICAL_WEIGHT * overlap
            if row.owner not in per_item or score > per_item[row.owner].score:
                per_item[row.owner] = ItemMatch(self.knowledge.items[row.owner], round(score, 4), row.text)
        ranked = sorted(per_item.values(), key=lambda m: -m.score)
        if not ranked or ranked[0].score < threshold:
            near = [m for m in ranked[:MAX_CANDIDATES] if m.score >= threshold - _VECTOR_WINDOW]
            return ItemLookup("not_found", None, near, method="vector")
        close = [m for m in ranked[:MAX_CANDIDATES] if m.score >= ranked[0].score - _VECTOR_WINDOW]
        return ItemLookup("ambiguous", close[0], close, method="vector")

    @staticmethod
    def _decide(matches: list[ItemMatch], method: str) -> ItemLookup:
        """Found when every item found is in one category (the answer is the same); else ask."""
        if not matches:
            return ItemLookup("not_found", method=method)
        if len({m.item.category for m in matches}) <= 1:
            return ItemLookup("found", matches[0], matches[:MAX_CANDIDATES], method=method)
        return ItemLookup("ambiguous", matches[0], matches[:MAX_CANDIDATES], method=method)

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


def gazetteer(knowledge: Knowledge, data_dir: Path | None = None) -> list[Name]:
    """Every written form of every item with the languages it is a name in: names, readings, aliases and
    dictionary names ("ja"; Latin aliases "en"), their unqualified parts (base forms), the foreign names the loader
    attached (languages from i18n/item_names.yaml and i18n/jiten_names/*.yaml) and romanised Nepali names."""
    data_dir = Path(data_dir) if data_dir else DEFAULT_DATA_DIR
    langs_of = foreign_name_languages(data_dir)
    roman = _read_mapping(data_dir / NE_ROMAN_FILE if (data_dir / NE_ROMAN_FILE).is_file() else None)
    entries: dict[tuple[int, str], tuple[set[str], bool]] = {}

    def add(owner: int, text: str, langs: Iterable[str], base: bool) -> None:
        langs_set, was_base = entries.setdefault((owner, text), (set(), base))
        langs_set.update(langs)
        entries[(owner, text)] = (langs_set, was_base and base)

    for owner, item in enumerate(knowledge.items):
        for text, base in name_texts(item):
            add(owner, text, {"en"} if is_word_script(text) and has_latin(text) else {"ja"}, base)
        for text in item.foreign_names:
            langs = langs_of.get(text, set())
            add(owner, text, langs, False)
            for part in base_forms(text):
                add(owner, part, langs, True)
        for text in roman.get(item.name, ()):
            add(owner, text, {"ne"}, False)
    return [Name(owner, text, frozenset(langs), base) for (owner, text), (langs, base) in entries.items()]


def siblings(names: Iterable[Name]) -> dict[int, set[int]]:
    """Item -> the other items that share one of its Japanese base forms or have it as their name
    (「ガスボンベ（卓上カートリッジ式）」 <-> 「ガスボンベ（LP・プロパン）」, both 「ガスボンベ」)."""
    by_key: dict[str, set[int]] = {}
    full_keys: dict[str, set[int]] = {}
    for name in names:
        if is_word_script(name.text):
            continue
        key = norm(name.text)
        (by_key if name.base else full_keys).setdefault(key, set()).add(name.owner)
    out: dict[int, set[int]] = {}
    for key, owners in by_key.items():
        group = owners | full_keys.get(key, set())
        for owner in group:  # the curated 「マッチ」 knows 「マッチ（未使用）」 too (qualifier evidence)
            out.setdefault(owner, set()).update(group - {owner})
    return out


def compounds(names: Iterable[Name]) -> dict[int, set[int]]:
    """Item -> the items whose Japanese name ends with one of its names (「ライター」 -> 「金属製ライター（ジッポ）」):
    the longer name is a kind of it, and the words in its brackets (ジッポ) pick it when the message names them."""
    owners: dict[str, set[int]] = {}
    keys: list[tuple[str, int]] = []
    for name in names:
        if is_word_script(name.text):
            continue
        key = norm(name.text)
        owners.setdefault(key, set()).add(name.owner)
        for part in base_forms(name.text) if is_qualified(name.text) else ():
            keys.append((norm(part), name.owner))
        keys.append((key, name.owner))
    out: dict[int, set[int]] = {}
    for key, owner in keys:
        for cut in range(1, len(key) - 1):  # proper suffixes of two characters or more
            for short in owners.get(key[cut:], ()):
                if short != owner:
                    out.setdefault(short, set()).add(owner)
    return out


def foreign_name_languages(data_dir: Path) -> dict[str, set[str]]:
    """Foreign name -> the languages it is listed under ({Japanese name: {lang: [names]}} files)."""
    garbage = Path(data_dir) / "garbage" / "i18n"
    files = [garbage / "item_names.yaml", *sorted((garbage / "jiten_names").glob("*.yaml"))]
    out: dict[str, set[str]] = {}
    for path in files:
        for per_lang in _read_mapping(path if path.is_file() else None).values():
            if not isinstance(per_lang, dict):
                continue
            for lang, names in per_lang.items():
                for name in names if isinstance(names, list) else []:
                    out.setdefault(str(name).strip(), set()).add(str(lang))
    return out


def _read_mapping(path: Path | None) -> dict:
    """A YAML mapping, or {} when the file is missing or unreadable (the loader reports bad data files)."""
    if path is None:
        return {}
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        log.warning("cannot read %s: %s", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def _language(lang: str | None) -> str | None:
    """The language a code stands for (translations/languages.yaml): "ja-easy" -> "ja", "pt-BR" -> "pt"."""
    if not lang:
        return None
    from translations.languages import get, resolve

    code = resolve(lang)
    return get(code).base if code else lang.split("-")[0].lower()


def _effective_langs(lang: str | None, evidence: frozenset[str]) -> frozenset[str] | None:
    """The languages whose short names count: the message's language, unless its question words are all of other
    languages (a detector reading "vut pin o dau" as English must not make "pin" a sewing pin)."""
    if lang and (not evidence or lang in evidence):
        return allowed_langs(lang)
    if evidence:
        return frozenset(evidence | ({"en"} if "tl" in evidence else set()))
    return None


def _full_first(names: list[Name]) -> list[Name]:
    """Whole names win over base forms (「空き缶」 is the curated item, not every 「空き缶（…）」 entry)."""
    full = [name for name in names if not name.base]
    return full or names


def _syllable_of_compound(span: Span, names: list[Name], uncovered: set[int]) -> bool:
    """A one-syllable Vietnamese name typed without diacritics right after an unknown word ("hoa" in "dieu hoa",
    điều hòa) is likely the second syllable of another word."""
    if span.end - span.start != 1 or span.start - 1 not in uncovered:
        return False
    return all(
        name.langs == frozenset({"vi"}) and len(words(name.text)) == 1 and name.text.isascii() and len(name.text) < 4
        for name in names
    )


def _maximal(spans: list[Span]) -> list[Span]:
    """Longest spans first, without overlaps: "pet bottle cap" hides "pet bottle" and "cap"."""
    chosen: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start - s.end, s.start)):
        if all(span.end <= other.start or span.start >= other.end for other in chosen):
            chosen.append(span)
    return chosen


def _modifier_span(span: Span, spans: list[Span], signals: Signals) -> bool:
    """True for "jar" in "lid of a jam jar" (linker, then maybe question words/modifiers, then the name, with a
    word before the linker that is neither a question word nor part of another name)."""
    before = span.start - 1
    while before >= 0 and before in signals.stop_positions and before not in signals.linker_positions:
        before -= 1  # "of a jam jar": skip "a"
    if before < 0 or before not in signals.linker_positions:
        return False
    head = before - 1
    while head >= 0 and head in signals.stop_positions and head not in signals.linker_positions:
        head -= 1
    if head < 0 or head in signals.question_positions:
        return False
    return not any(other.start <= head < other.end for other in spans if other is not span)


def _grams(text: str) -> frozenset[str]:
    """Character pairs of a normalised text (single characters for one- or two-letter texts), without 「ごみ」."""
    grams = frozenset(text[i : i + 2] for i in range(len(text) - 1)) - {"ごみ"}
    return grams | frozenset(text) if len(text) <= 2 else grams


def _inside(name: str, query: str) -> bool:
    """The whole (normalised) name is in the query: 「服」 in 「着なくなった服」."""
    return bool(name) and name in query and (len(name) >= 2 or not name.isascii())


def _overlap(grams: frozenset[str], text: str) -> float:
    """Share of the query's characters/pairs found in `text` (0..1)."""
    return sum(gram in text for gram in grams) / len(grams) if grams else 0.0
