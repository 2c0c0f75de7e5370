"""Phrase search without a model: staff type Japanese, residents type their own language.

Japanese (ja, ja-easy) is matched against the Japanese text, its hiragana reading and the やさしい日本語 text (with and
without its furigana), all in the canonical form of knowledge_base.core.normalize (NFKC, width, katakana as
hiragana, one long-vowel mark, no spaces or punctuation) and in the looser form people type (no long-vowel marks,
small kana as normal kana), so 「ざいりゅうかど」 finds 在留カード. Chinese and Korean are matched by characters
(Traditional Chinese folded to Simplified), the other languages by words, ignoring case and diacritics, so
"the cu tru" finds "thẻ cư trú". Every text keeps the official Japanese terms in parentheses, so a resident may also
type the term from a form (在留カード) in any language. A number in the query stands for a number placeholder:
"window 5" finds "Please go to window {window}" and the hit carries {"window": "5"}.

Ranking, best first: the whole text ("exact"), the query as one piece ("phrase"), every query word ("words"), then
enough of the query ("partial": words, or for ja/zh/ko character pairs, weighted by how rare they are in that
language's phrases). Within a tier, more of the query matched, then shorter phrases, with a small bonus for a phrase
whose blanks take the query's numbers; then file order. Indexes are built per language on the first search in it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from knowledge_base.core.normalize import loosen, normalize
from knowledge_base.phrasebook.models import (
    PLACEHOLDER,
    SPEAKERS,
    ZH_FOLD,
    Phrase,
    char_script,
    furigana_only,
    strip_furigana,
)
from translations import languages

if TYPE_CHECKING:
    from knowledge_base.phrasebook.models import Phrasebook

TIERS: Mapping[str, int] = MappingProxyType({"exact": 4, "phrase": 3, "words": 2, "partial": 1})
MIN_PARTIAL = 0.5  # share of the query (weighted by rarity) a partial hit must cover
# Character scripts: a partial hit needs a query of at least 3 character pairs, 2 of them found (「らくだ」 is not half
# of 「れんらくください」). A pair no phrase has is mostly one across a particle (所を in 住所を登録), so it weighs like
# a common pair; an unknown word in the other scripts weighs like the rarest word.
MIN_PARTIAL_PAIRS, MIN_FOUND_PAIRS, UNSEEN_PAIR_WEIGHT = 3, 2, 1.0
_CHAR_SCRIPTS = frozenset({"Jpan", "Hans", "Hang"})  # matched by characters; the other scripts by words
# Numbers typed in a query: a date (2026-04-15, 4/15, 4月15日), a clock time (14:30, 14時30分, 14時半, 14時) or any
# other number (5, 1,200). In folded text a date and {date} read "000", a time and {time} "00", every other number
# and placeholder "0": "window 5" meets "window {window}", "14:30" meets "{time}". The query's times and other numbers
# become the hit's slot values; its dates do not (a date needs a year, which the page's date picker gives).
_NUMBERS = re.compile(
    r"(?P<date>(?<!\d)(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}|\d{1,2}月\d{1,2}日)(?!\d))"
    r"|(?P<time>(?<!\d)(?P<h>\d{1,2})(?::(?P<m>\d{2})(?!\d)|時(?:(?P<jm>\d{1,2})分|(?P<half>半))?(?!間)))"
    r"|(?P<number>\d+(?:[,.]\d{3})+(?!\d)|\d+)"
)
_MARKS = MappingProxyType({"date": " 000 ", "time": " 00 ", "number": " 0 "})
_SLOT_MARKS = MappingProxyType({"date": _MARKS["date"], "time": _MARKS["time"]})  # other slots: _MARKS["number"]
_TIME_SLOTS, _SKIPPED_SLOTS = frozenset({"time"}), frozenset({"date"})
# Within a tier: how much of the query matched, shorter phrases, and the query's numbers filling the placeholders.
SHARE_WEIGHT, BREVITY_WEIGHT, SLOT_BONUS = 0.6, 0.1, 0.05
_ZH_TABLE = str.maketrans(dict(ZH_FOLD))
_APOSTROPHES = str.maketrans("", "", "'’")


@dataclass(frozen=True, slots=True)
class Hit:
    phrase: Phrase
    match: str  # exact | phrase | words | partial | topic (empty query: the topic's phrases)
    score: float  # higher is better; the integer part is the tier (4 exact … 1 partial, 0 topic)
    # numbers typed in the query for the phrase's placeholders, e.g. {"window": "5"}; a page may prefill them
    slots: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class _Field:
    key: str  # folded text: characters without spaces (ja/zh/ko) or words joined by single spaces
    units: frozenset[str]  # what partial matching counts: character pairs, or words
    loose: bool = False  # Japanese looser form: compare with the loosened query


def _fold_numbers(text: str) -> str:
    """NFKC; dates and {date} as 000, clock times and {time} as 00, every other number and placeholder as 0."""
    text = unicodedata.normalize("NFKC", text)
    text = _NUMBERS.sub(lambda m: _MARKS[str(m.lastgroup)], text)  # before placeholders: the marks are digits
    return PLACEHOLDER.sub(lambda m: _SLOT_MARKS.get(m.group(1), _MARKS["number"]), text)


def fold_words(text: str) -> tuple[str, ...]:
    """Words of a Latin- or Devanagari-script text: lower case, no diacritics (đ → d), numbers as 0."""
    out = []
    for ch in _fold_numbers(text).translate(_APOSTROPHES):
        if ch in "đĐ":
            out.append("d")
        elif char_script(ch) == "Latn":
            out.append("".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)))
        elif unicodedata.category(ch)[0] in "LMN":
            out.append(ch)
        else:
            out.append(" ")
    return tuple(unicodedata.normalize("NFC", "".join(out)).casefold().split())


def fold_chars(code: str, text: str) -> str:
    """A Japanese, Chinese or Korean text as one string of letters and digits (numbers as 0)."""
    text = _fold_numbers(text)
    if code == "ja":
        return normalize(text)
    if code == "zh":
        text = text.translate(_ZH_TABLE)
    return "".join(ch for ch in text.casefold() if unicodedata.category(ch)[0] in "LMN")


def _pairs(key: str) -> frozenset[str]:
    return frozenset(key[i : i + 2] for i in range(len(key) - 1)) if len(key) > 1 else frozenset({key} - {""})


class LanguageIndex:
    """The folded texts of every phrase in one language, with the rarity weight of each word or character pair."""

    def __init__(self, code: str, phrases: tuple[Phrase, ...]) -> None:
        self.code = code
        self.by_chars = languages.script(code) in _CHAR_SCRIPTS
        self.entries = [(phrase, self._fields(phrase)) for phrase in phrases]
        df: dict[str, int] = {}
        for _, fields in self.entries:
            for unit in frozenset().union(*(f.units for f in fields)):
                df[unit] = df.get(unit, 0) + 1
        total = len(self.entries)
        self.unknown_weight = UNSEEN_PAIR_WEIGHT if self.by_chars else math.log(1 + total)
        self.weights = {unit: math.log(1 + total / (1 + count)) for unit, count in df.items()}

    def _fields(self, phrase: Phrase) -> tuple[_Field, ...]:
        if not self.by_chars:
            words = fold_words(phrase.texts[self.code])
            return (_Field(" ".join(words), frozenset(words)),)
        if self.code != "ja":
            key = fold_chars(self.code, phrase.texts[self.code])
            return (_Field(key, _pairs(key)),)
        easy = phrase.texts["ja-easy"]
        sources = (phrase.texts["ja"], phrase.reading, strip_furigana(easy), furigana_only(easy))
        keys = dict.fromkeys(fold_chars("ja", text) for text in sources)
        loose = dict.fromkeys(loosen(key) for key in keys)
        strict = [_Field(key, _pairs(key)) for key in keys if key]
        return (*strict, *(_Field(key, _pairs(key), loose=True) for key in loose if key and key not in keys))

    def weight(self, unit: str) -> float:
        return self.weights.get(unit, self.unknown_weight)


@dataclass(frozen=True, slots=True)
class _Query:
    terms: tuple[str, ...]  # folded words (word scripts) or folded space-separated pieces (character scripts)
    joined: str  # the query as one key
    units: frozenset[str]  # character pairs of each piece, or the words


def _query(index: LanguageIndex, text: str, loose: bool = False) -> _Query:
    if not index.by_chars:
        words = fold_words(text)
        return _Query(words, " ".join(words), frozenset(words))
    pieces = [fold_chars(index.code, piece) for piece in text.split()]
    if loose:
        pieces = [loosen(piece) for piece in pieces]
    terms = tuple(piece for piece in pieces if piece)
    return _Query(terms, "".join(terms), frozenset().union(*(_pairs(t) for t in terms)))


def _word_strength(term: str, words: frozenset[str]) -> float:
    if term in words:
        return 1.0
    if len(term) >= 2 and any(word.startswith(term) for word in words):
        return 0.8
    if len(term) >= 4 and any(term in word for word in words):
        return 0.6
    return 0.0


def _match(index: LanguageIndex, query: _Query, fld: _Field) -> tuple[str, float] | None:
    """(tier, share of the query matched) of one field, or None."""
    key = fld.key
    if not key or not query.joined:
        return None
    if key == query.joined:
        return "exact", 1.0
    if index.by_chars:
        if query.joined in key:
            return "phrase", 1.0
        if len(query.terms) > 1 and all(term in key for term in query.terms):
            return "words", 1.0
        found = query.units & fld.units
        if fld.loose or len(query.units) < MIN_PARTIAL_PAIRS or len(found) < MIN_FOUND_PAIRS:
            return None  # the looser spelling only decides whole matches, not partial ones
        share = sum(index.weight(unit) for unit in found) / sum(index.weight(unit) for unit in query.units)
        return ("partial", share) if share >= MIN_PARTIAL else None
    if f" {key}".find(f" {query.joined}") >= 0:
        return "phrase", 1.0
    strengths = [(_word_strength(term, fld.units), index.weight(term)) for term in query.terms]
    total = sum(weight for _, weight in strengths)
    share = sum(strength * weight for strength, weight in strengths) / total if total else 0.0
    if all(strength > 0 for strength, _ in strengths):
        return "words", share
    return ("partial", share) if share >= MIN_PARTIAL else None


def _numbers(text: str) -> list[tuple[bool, str]]:
    """The numbers typed in the query in order, as (is a clock time, value): 14時半 → 14:30, 1,200 → 1200, 5."""
    found = []
    for m in _NUMBERS.finditer(unicodedata.normalize("NFKC", text)):
        if m.group("date"):
            continue
        if m.group("time"):
            minutes = m.group("m") or m.group("jm") or ("30" if m.group("half") else "0")
            found.append((True, f"{int(m.group('h'))}:{int(minutes):02d}"))
        else:
            found.append((False, re.sub(r"[,.]", "", m.group("number"))))
    return found


def _slot_values(phrase: Phrase, code: str, numbers: list[tuple[bool, str]]) -> Mapping[str, str]:
    """The query's numbers for the phrase's placeholders when they pair up in order and kind (time or number)."""
    order = [m.group(1) for m in PLACEHOLDER.finditer(phrase.texts[code]) if m.group(1) not in _SKIPPED_SLOTS]
    names = list(dict.fromkeys(order))
    kinds = [name in _TIME_SLOTS for name in names]
    if not numbers or kinds != [is_time for is_time, _ in numbers]:
        return MappingProxyType({})
    return MappingProxyType({name: value for name, (_, value) in zip(names, numbers, strict=True)})


def search(
    book: Phrasebook, text: str, lang: str, limit: int = 10, *, topic: str | None = None, speaker: str | None = None
) -> list[Hit]:
    """See Phrasebook.search."""
    language = languages.get(lang)
    code = language.base  # やさしい日本語 is searched like Japanese
    allowed = book.by_topic(topic) if topic is not None else None
    if speaker is not None and speaker not in SPEAKERS:
        raise ValueError(f"speaker must be one of {', '.join(SPEAKERS)}, got {speaker!r}")
    speakers = {speaker, "both"} if speaker is not None else set(SPEAKERS)
    if limit <= 0:
        return []
    index = book.index(code)
    strict = _query(index, text or "")
    if not strict.joined:
        pool = allowed or ()
        return [Hit(p, "topic", 0.0) for p in pool if p.speaker in speakers][:limit]
    loose = _query(index, text, loose=True) if code == "ja" else strict
    numbers = _numbers(text)
    allowed_ids = {p.id for p in allowed} if allowed is not None else None
    scored: list[tuple[float, int, Hit]] = []
    for order, (phrase, fields) in enumerate(index.entries):
        if phrase.speaker not in speakers or (allowed_ids is not None and phrase.id not in allowed_ids):
            continue
        best: tuple[float, str] | None = None
        for fld in fields:
            query = loose if fld.loose else strict
            found = _match(index, query, fld)
            if found is None:
                continue
            tier, share = found
            brevity = min(1.0, len(query.joined) / len(fld.key))
            score = TIERS[tier] + SHARE_WEIGHT * share + BREVITY_WEIGHT * brevity
            if best is None or score > best[0]:
                best = (score, tier)
        if best is not None:
            slots = _slot_values(phrase, language.code, numbers)
            score = best[0] + (SLOT_BONUS if slots else 0.0)
            scored.append((score, order, Hit(phrase, best[1], round(score, 4), slots)))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [hit for _, _, hit in scored[:limit]]
