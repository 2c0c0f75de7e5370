"""Reading a resident's question: the item phrase, and what else the question says.

「スプレー缶は何ごみですか？」 -> 「スプレー缶」; 「壊れた傘を捨てたい」 -> 「壊れた傘」, then 「傘」;
"how do I throw away a spray can?" -> "spray can"; 「우산은 어떻게 버려요?」 -> 우산 (the matcher strips particles).
Besides the item, a question may name a category (「ピザの箱って資源？」 -> asked category "shigen"), ask for a day
(「ダンボールは何曜日？」), name another city (「船橋市の粗大ごみ」), or name something that is not a household item
(「牛」). The words for all of that, in ten languages, are data: knowledge_base/data/garbage/i18n/question_words.yaml.

Japanese phrases keep their script (katakana stays katakana) for the embedding model; matching normalises later.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import ahocorasick
import neologdn
import yaml

from knowledge_base.core.data import DataError
from knowledge_base.core.normalize import normalize
from knowledge_base.garbage.matcher import has_cjk, norm, unaccent, words

LEXICON_FILE = Path("garbage") / "i18n" / "question_words.yaml"
NE_ROMAN_FILE = Path("garbage") / "i18n" / "ne_roman.yaml"
# The lexicon is part of the matcher: a data dir without its own copy (test fixtures) uses the project's.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "data"
SHIGEN = "shigen"  # asked_category for 資源/recyclable without saying which: any category named 資源物…

# ---- Japanese frames (rules; the word lists of the other languages are in question_words.yaml) ----------------

# Words that start the question part after the item: 「は何ごみ」「の捨て方」「を出したい」「って燃える？」.
_FRAME_WORD = (
    r"(?:何|なに|なん|どう|どこ|どの|どんな|どれ|どっち|いつ|捨て|棄て|すて|ステ|出し|出す|出せ|出る|だし|だす|だせ|"
    r"分別|ぶんべつ|分け|わけ|処分|しょぶん|処理|燃え|燃や|燃える|燃やせ|もえ|もや|可燃|不燃|資源|粗大|有害|"
    r"ごみ|ゴミ|塵|回収|収集|廃棄|片付|片づ|かたづ|いらな|要らな|いる|要る|リサイクル|りさいくる|"
    r"壊れ|こわれ|割れ|われ|破れ|やぶれ|使わな|大丈夫|だいじょうぶ|OK|ok|オッケー|いい|良い|よい|"
    r"一緒|いっしょ|同じ|まとめ)"
)
_PARTICLE = r"(?:って|は|を|の|も|が|とか|ってさ|て何|で|に|って、|は、)"
_FRAME_AT = re.compile(rf"\s*{_PARTICLE}\s*{_FRAME_WORD}")
# Frames straight after the item: 「スプレー缶 捨て方」「鍋捨てたいんだけど」「電池出していい？」.
_BARE_FRAME_AT = re.compile(
    r"\s*(?:何ごみ|なにごみ|何ゴミ|なにゴミ|何の?ごみ|捨て方|すてかた|棄て方|出し方|だしかた|分別方法|分別|"
    r"捨てたい|すてたい|処分方法|処分したい|処分|捨てる|出す日|何曜日|なんようび)(?:\s|[はをのでにっんけよ?!？！]|$)"
    r"|\s*(?:捨てて|出して|だして|すてて)(?:いい|も|よい|良い|大丈夫)"
    r"|\s*(?:捨てられ|出せ)(?:る|ま)"
    # Chinese: 「雨伞怎么扔」「电池是什么垃圾」
    r"|\s*(?:怎么|如何|是什么垃圾|是哪|属于|算什么|该怎么|应该怎么|要怎么|能不能|可以扔|可以丢|扔到|丢到|放在哪|哪天|什么时候)"
)
_ENGLISH = re.compile(
    r"^(?:(?:how|where)\s+(?:do|can|should|to)\s+(?:i\s+|we\s+)?(?:throw\s+away|throw\s+out|dispose\s+of|get\s+rid\s+of"
    r"|put\s+out|discard|recycle|throw)|what\s+(?:kind|type)\s+of\s+(?:garbage|trash|waste|rubbish)\s+is"
    r"|which\s+(?:garbage|trash|waste)\s+(?:category\s+)?is|is)\s+(?:an?\s+|the\s+|my\s+|old\s+|used\s+)*(?P<item>.+?)"
    r"(?:\s+(?:burnable|non-burnable|garbage|trash|waste|recyclable))?\s*\??$",
    re.IGNORECASE,
)
# Openers are never part of the item; modifiers are (「汚れた衣類」 is 可燃ごみ, 「衣類」 is 古紙・布類), so a phrase
# without its modifier is only tried after the phrase with it.
_OPENER = re.compile(
    r"^(?:すみません|すいません|あの[ー〜]*|えっと|ちょっと|質問です|しつもんです|教えてください|おしえてください|"
    r"こんにちは|千葉市で?は?|ねえ|ねぇ|ところで)[\s、,]*"
)
_MODIFIER = re.compile(
    r"^(?:うちの|家の|いえの|古い|ふるい|古くなった|壊れた|こわれた|割れた|われた|使い終わった|つかいおわった|"
    r"使用済みの|使用済み|使い捨ての|いらない|要らない|いらなくなった|不要な|不要になった|空の|からの|中身が空の|"
    r"汚れた|よごれた|大きい|小さい|昔の|子供の|子どもの|破れた|錆びた|さびた|中古の|余った|使わない|使わなくなった|"
    r"旧的|坏的|坏了的|破的|用过的|废旧的?|空的|不要的|[おご](?=[\u4e00-\u9fff]))[\s、,]*"
)
_BATTERY_SIZE = re.compile(r"単([一二三四五])(?=形|型|電池|の電池)")
_EDGE_PUNCT = "\"'「」『』()（）[]【】?？!！。．.、,，:：;；~〜 \u3000"


@dataclass(frozen=True)
class Phrases:
    exact: list[str]  # to match whole against known names, longest first (「掃除機のごみ」 before 「掃除機」)
    core: str  # the item part of the question: search inside it and embed it


def light_normalize(text: str) -> str:
    """Width/NFKC clean-up that keeps scripts (katakana stays katakana, for the embedding model); battery sizes
    in kanji as the names write them (「単三電池」 -> 単3電池)."""
    text = neologdn.normalize(unicodedata.normalize("NFKC", text or ""))
    text = _BATTERY_SIZE.sub(lambda m: "単" + str("一二三四五".index(m[1]) + 1), text)
    return text.strip(_EDGE_PUNCT)


def _strip(pattern: re.Pattern[str], phrase: str) -> str:
    previous = None
    while previous != phrase:
        previous = phrase
        phrase = pattern.sub("", phrase).strip(_EDGE_PUNCT)
    return phrase


def _cuts(text: str) -> list[str]:
    """Every prefix of `text` that ends where a question frame starts, longest first."""
    english = _ENGLISH.match(text)
    if english:
        return [english["item"].strip(_EDGE_PUNCT)]
    cuts = set()
    for start in range(1, len(text)):
        rest = text[start:]
        if _FRAME_AT.match(rest) or _BARE_FRAME_AT.match(rest):
            cut = text[:start].strip(_EDGE_PUNCT)
            if cut:
                cuts.add(cut)
    return sorted(cuts, key=len, reverse=True)


def item_phrases(text: str) -> Phrases:
    """The whole message, the message cut before each question frame, and those without openers/modifiers."""
    whole = light_normalize(text)
    cuts = _cuts(whole)
    core = _strip(_OPENER, cuts[-1] if cuts else whole)
    exact: list[str] = []
    candidates = [whole, *cuts]
    for phrase in (
        *candidates,
        *(_strip(_OPENER, c) for c in candidates),
        *(_strip(_MODIFIER, _strip(_OPENER, c)) for c in candidates),
    ):
        if phrase and phrase not in exact:
            exact.append(phrase)
    return Phrases(exact, core)


# ---- the lexicon ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    name: str  # official Japanese name, e.g. 船橋市
    forms: tuple[str, ...]  # Japanese/Chinese/Korean spellings (with the suffix)
    roman: tuple[str, ...]  # romanised names
    suffix_only: bool  # romanised name is an ordinary word too: count it only with "city"/"shi"


Words = tuple[tuple[str, str], ...]  # (word, language) pairs; language "" when the file does not say


@dataclass(frozen=True)
class Lexicon:
    """question_words.yaml: every list as (word, language) pairs (a message's language is not always known)."""

    categories: dict[str, Words]
    day: Words
    day_exceptions: Words
    frames: Words
    disposal: Words
    modifiers: Words
    particles: tuple[str, ...]  # Korean particles, Nepali postpositions (Devanagari and romanised)
    chiba_city: Words
    cities: tuple[City, ...]
    city_suffixes: Words
    living: Words
    not_household: Words
    linkers: Words = ()
    not_plurals: Words = ()
    not_contained: Words = ()
    dead_animal_item: str | None = None  # the entry a dead pet or small animal is answered as
    dead_animals: Words = ()
    death: Words = ()

    def stop_words(self) -> set[str]:
        """Single words that are question words, never the item ("how", "버려요", "phalne")."""
        out: set[str] = set()
        for entry, _ in (*self.frames, *self.disposal, *self.day, *self.city_suffixes):
            tokens = words(entry)
            if len(tokens) == 1:
                out.add(tokens[0])
                out.add(unaccent(tokens[0]))
        return out


def _pairs(value: Any, where: str, problems: list[str]) -> Words:
    """{lang: [words]} or [words] -> ((word, lang), ...) without repeats."""
    if isinstance(value, dict):
        items = [(str(w).strip(), str(lang)) for lang, v in value.items() for w in (v or [])]
    elif isinstance(value, list):
        items = [(str(w).strip(), "") for w in value]
    else:
        problems.append(f"{where}: expected a list or a mapping of languages to lists")
        return ()
    return tuple(dict.fromkeys((w, lang) for w, lang in items if w))


def parse_lexicon(data: dict[str, Any], where: str = "question_words.yaml") -> Lexicon:
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise DataError([f"{where}: expected a mapping with `categories`"])
    categories = {str(cid): _pairs(v, f"{where}: categories.{cid}", problems) for cid, v in data["categories"].items()}
    cities: list[City] = []
    for i, entry in enumerate(data.get("other_cities") or []):
        if not isinstance(entry, dict) or not entry.get("ja"):
            problems.append(f"{where}: other_cities[{i}] needs `ja`")
            continue
        forms = [entry["ja"], *(entry.get("alt") or []), *(entry.get("zh") or []), *(entry.get("ko") or [])]
        forms += entry.get("ne") or []
        cities.append(
            City(
                name=str(entry["ja"]),
                forms=tuple(str(f) for f in forms),
                roman=tuple(str(r) for r in entry.get("roman") or []),
                suffix_only=bool(entry.get("suffix")),
            )
        )
    particles = data.get("particles") or {}
    lists = {
        key: _pairs(data.get(key) or [], f"{where}: {key}", problems)
        for key in (
            "day",
            "day_exceptions",
            "frames",
            "disposal",
            "modifiers",
            "chiba_city",
            "city_suffixes",
            "living",
            "not_household",
            "linkers",
            "not_plurals",
            "not_contained",
        )
    }
    dead = data.get("dead_animal") or {}
    if dead and not isinstance(dead, dict):
        problems.append(f"{where}: dead_animal: expected a mapping with `item`, `animals` and `death`")
        dead = {}
    if dead and not (dead.get("item") and dead.get("animals") and dead.get("death")):
        problems.append(f"{where}: dead_animal needs `item`, `animals` and `death`")
    lexicon = Lexicon(
        categories=categories,
        dead_animal_item=str(dead["item"]) if dead.get("item") else None,
        dead_animals=_pairs(dead.get("animals") or [], f"{where}: dead_animal.animals", problems),
        death=_pairs(dead.get("death") or [], f"{where}: dead_animal.death", problems),
        particles=tuple(w for w, _ in _pairs(particles, f"{where}: particles", problems)),
        cities=tuple(cities),
        **lists,
    )
    if problems:
        raise DataError(problems)
    return lexicon


def lexicon_path(data_dir: Path | None) -> Path:
    path = Path(data_dir) / LEXICON_FILE if data_dir else None
    return path if path and path.is_file() else DEFAULT_DATA_DIR / LEXICON_FILE


@lru_cache(maxsize=4)
def load_lexicon(path: Path) -> Lexicon:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError([f"{path}: cannot read ({exc})"]) from exc
    return parse_lexicon(data, str(path))


# ---- finding lexicon words in a message --------------------------------------------------------------------------


class TermFinder:
    """Finds lexicon entries in a message: Japanese/Chinese entries anywhere in the normalised text, the others as
    whole words (with or without diacritics, Korean particles stripped). Overlaps go to the longest entry."""

    def __init__(self, terms: Iterable[tuple[str, Any]], particles: Iterable[str] = ()) -> None:
        self._cjk = ahocorasick.Automaton()
        self._words = ahocorasick.Automaton()
        self._vocab: set[str] = set()
        self._particles = sorted(set(particles), key=len, reverse=True)
        cjk: dict[str, list[Any]] = {}
        spaced: dict[str, list[Any]] = {}
        for term, value in terms:
            if has_cjk(term):
                key = normalize(term)
                if key:
                    cjk.setdefault(key, []).append(value)
                continue
            tokens = words(term)
            if not tokens:
                continue
            self._vocab.update(tokens)
            for form in (tokens, [unaccent(t) for t in tokens]):
                spaced.setdefault(" " + " ".join(form) + " ", []).append(value)
        for key, values in cjk.items():
            self._cjk.add_word(key, (key, tuple(dict.fromkeys(values))))
        for key, values in spaced.items():
            self._words.add_word(key, (key, tuple(dict.fromkeys(values))))
        for automaton, keys in ((self._cjk, cjk), (self._words, spaced)):
            if keys:
                automaton.make_automaton()

    def tokens(self, text: str) -> list[str]:
        """Words of `text`; a Korean/Nepali word whose stem is a lexicon word loses its particle (「쓰레기는」)."""
        out = []
        for word in words(text):
            if word not in self._vocab:
                for particle in self._particles:
                    if word.endswith(particle) and word[: -len(particle)] in self._vocab:
                        word = word[: -len(particle)]
                        break
            out.append(word)
        return out

    def find_cjk(self, text: str) -> list[tuple[int, int, tuple[Any, ...]]]:
        """(start, end, values) in normalize(text), longest first among overlapping hits."""
        if len(self._cjk) == 0:
            return []
        key = normalize(text)
        hits = [(end - len(k) + 1, end + 1, values) for end, (k, values) in self._cjk.iter(key)]
        return _longest(hits)

    def find_words(self, tokens: list[str]) -> list[tuple[int, int, tuple[Any, ...]]]:
        """(first word, end word, values) over the word tokens, longest first among overlapping hits."""
        if len(self._words) == 0 or not tokens:
            return []
        hits = []
        for plain, form in ((False, tokens), (True, [unaccent(t) for t in tokens])):
            starts, offset = {}, 1
            for i, token in enumerate(form):
                starts[offset] = i
                offset += len(token) + 1
            text = " " + " ".join(form) + " "
            for end, (key, values) in self._words.iter(text):
                start = starts.get(end - len(key) + 2)
                if start is None:
                    continue
                stop = start + key.count(" ") - 1
                # Without diacritics a short word only matches a word typed without them: "o" (typed for "ở") is
                # a question word in "vut pin o dau", but "ô" (umbrella) in "cái ô cũ" is not.
                if plain and stop - start == 1 and len(key) - 2 < _SHORT and tokens[start] != form[start]:
                    continue
                hits.append((start, stop, values))
        return _longest(hits)


def _longest(hits: list[tuple[int, int, tuple[Any, ...]]]) -> list[tuple[int, int, tuple[Any, ...]]]:
    chosen: list[tuple[int, int, tuple[Any, ...]]] = []
    for hit in sorted(set(hits), key=lambda h: (h[0] - h[1], h[0])):
        if all(hit[1] <= other[0] or hit[0] >= other[1] for other in chosen):
            chosen.append(hit)
    return sorted(chosen)


# ---- what a question says besides the item ----------------------------------------------------------------------


@dataclass(frozen=True)
class Signals:
    asked_category: str | None  # category id named in the question, or SHIGEN
    asks_day: bool
    other_city: str | None  # official Japanese name of the other municipality
    disposal: bool  # the message asks how to get rid of something
    question_positions: frozenset[int]  # word positions of question words (frames, categories, days, cities)
    stop_positions: frozenset[int]  # those and the modifiers ("old", "cũ"): not the item
    content: tuple[str, ...]  # the other words (item words, unknown words), as typed
    linker_positions: frozenset[int]  # "of", "de", "ng": a name right after one may be a modifier
    langs: frozenset[str]  # languages of the question words found ("vut ... o dau" -> vi)
    tokens: tuple[str, ...] = ()  # every word, as typed


_CATEGORY, _DAY, _FRAME, _DISPOSAL, _MODIFIER_TAG, _CITY, _CHIBA = "cat", "day", "frame", "disp", "mod", "city", "chiba"
_LIVING, _NOT_HOUSEHOLD = "living", "not_household"
_ANIMAL, _DEATH = "animal", "death"
# Languages whose question words are too short or shared to tell a language ("o", "a", "de", "ma").
_WEAK_EVIDENCE = 2
_SHORT = 4  # letters: shorter words must match with their diacritics as typed
_GLUE = set("のはでにをがもとへや")  # particles between question words: 「船橋市の粗大ごみ」


class QuestionReader:
    """Reads the signals of a question with one lexicon; `reserved` are Chinese/Japanese names a bare city name must
    not be part of (Chiba City's towns and wards, item names)."""

    def __init__(self, lexicon: Lexicon, reserved: Iterable[str] = ()) -> None:
        self.lexicon = lexicon
        reserved_keys = [norm(r) for r in reserved if r]
        terms: list[tuple[str, Any]] = []
        for cid, entries in lexicon.categories.items():
            terms += [(w, (_CATEGORY, cid, lang)) for w, lang in entries]
        kinds = (
            (_DAY, lexicon.day),
            (_FRAME, lexicon.frames),
            (_DISPOSAL, lexicon.disposal),
            (_MODIFIER_TAG, lexicon.modifiers),
            (_CHIBA, lexicon.chiba_city),
        )
        for kind, entries in kinds:
            terms += [(w, (kind, None, lang)) for w, lang in entries]
        suffixes = [w for w, _ in lexicon.city_suffixes]
        for city in lexicon.cities:
            for form in city.forms:
                if city.suffix_only and not re.search(r"[市町村都시]$", form):
                    continue  # 「나리타」 is also the airport
                terms.append((form, (_CITY, city.name, "")))
                bare = re.sub(r"[市都]$", "", form)
                # 「船橋」 alone is Funabashi; a bare name inside a Chiba City town or an item name (「柏」 in 柏井町)
                # counts only with its 市. Towns and villages (栄町, 長生村) always need theirs.
                if (
                    bare != form
                    and len(bare) >= 2
                    and not city.suffix_only
                    and not any(norm(bare) in key for key in reserved_keys)
                ):
                    terms.append((bare, (_CITY, city.name, "")))
            for roman in city.roman:
                if not city.suffix_only:
                    terms.append((roman, (_CITY, city.name, "")))
                terms += [(f"{roman} {suffix}", (_CITY, city.name, "")) for suffix in suffixes]
        self._terms = TermFinder(terms, lexicon.particles)
        self._day_exceptions = [e.lower() for e, _ in lexicon.day_exceptions]
        self._unknown = TermFinder(
            [(w, _LIVING) for w, _ in lexicon.living] + [(w, _NOT_HOUSEHOLD) for w, _ in lexicon.not_household],
            lexicon.particles,
        )
        # On their own: the longer frames overlap them and win in `_terms` (「捨てる」 over 「捨て」).
        self._disposal = TermFinder(
            [(w, _DISPOSAL) for w, _ in lexicon.disposal]
            + [(w, _CATEGORY) for entries in lexicon.categories.values() for w, _ in entries],
            lexicon.particles,
        )
        self._dead = TermFinder(
            [(w, _ANIMAL) for w, _ in lexicon.dead_animals] + [(w, _DEATH) for w, _ in lexicon.death],
            lexicon.particles,
        )
        self.stop_words = lexicon.stop_words()
        self._linkers = {w for w, _ in lexicon.linkers if len(words(w)) == 1}

    def read(self, text: str) -> Signals:
        # Words come from the NFKC text: neologdn (light_normalize) drops the spaces between Korean or Vietnamese
        # words as it does between Japanese ones.
        raw = unicodedata.normalize("NFKC", text or "").lower()
        without_exceptions = raw
        for exception in self._day_exceptions:
            without_exceptions = without_exceptions.replace(exception, " ")
        tokens = self._terms.tokens(raw)
        cjk_hits = self._terms.find_cjk(light_normalize(without_exceptions))
        word_hits = self._terms.find_words(self._terms.tokens(without_exceptions))
        tags = [value for _, _, values in (*cjk_hits, *word_hits) for value in values]
        categories = [payload for kind, payload, _ in tags if kind == _CATEGORY]
        cities = [payload for kind, payload, _ in tags if kind == _CITY]
        chiba = any(kind == _CHIBA for kind, _, _ in tags)
        question: set[int] = set()
        modifiers: set[int] = set()
        evidence: dict[str, int] = {}
        for start, end, values in self._terms.find_words(tokens):
            span = range(start, end)
            kinds = {kind for kind, _, _ in values}
            (modifiers if kinds == {_MODIFIER_TAG} else question).update(span)
            letters = sum(len(tokens[i]) for i in span)
            for lang in {lang for _, _, lang in values if lang}:
                evidence[lang] = evidence.get(lang, 0) + letters
        stop = question | modifiers
        strong = {lang for lang, letters in evidence.items() if letters > _WEAK_EVIDENCE}
        return Signals(
            asked_category=_most_specific(categories),
            asks_day=any(kind == _DAY for kind, _, _ in tags),
            other_city=cities[0] if cities and not chiba else None,
            disposal=bool(
                self._disposal.find_cjk(light_normalize(without_exceptions))
                or self._disposal.find_words(self._disposal.tokens(without_exceptions))
            ),
            question_positions=frozenset(question),
            stop_positions=frozenset(stop),
            content=tuple(t for i, t in enumerate(tokens) if i not in stop),
            linker_positions=frozenset(i for i, t in enumerate(tokens) if t in self._linkers),
            langs=frozenset(strong),
            tokens=tuple(tokens),
        )

    def only_question_words(self, phrase: str) -> bool:
        """True when a Japanese/Chinese phrase holds nothing but question words, categories, days and cities
        (「船橋市の粗大ごみ」): there is no item to look up."""
        return all(ch in _GLUE for ch in self.without_question_words(phrase))

    def without_question_words(self, phrase: str) -> str:
        """normalize(phrase) without the question words, modifiers, categories, days and cities in it
        (「電卓こわれた」 -> 「電卓」): what is left names the item."""
        key = normalize(phrase)
        keep = [True] * len(key)
        for start, end, _values in self._terms.find_cjk(phrase):
            keep[start:end] = [False] * (end - start)
        return "".join(ch for ch, kept in zip(key, keep, strict=True) if kept)

    def names_dead_animal(self, text: str) -> bool:
        """The message names a pet or small animal and its death, wherever the words stand ("my dog died",
        「飼ってた犬が死んでしまった」, 「키우던 강아지가 죽었어요」)."""
        raw = unicodedata.normalize("NFKC", text or "").lower()
        hits = [*self._dead.find_cjk(raw), *self._dead.find_words(self._dead.tokens(raw))]
        return {value for _, _, values in hits for value in values} >= {_ANIMAL, _DEATH}

    def unknown_kind(self, phrase: str, content: Iterable[str]) -> str | None:
        """The kind "living" or "not_household" when the item phrase names an animal, a person, a vehicle, a
        building... as its head noun: last in Japanese/Chinese (「死んだ牛」, not 「牛乳」 or 「ねこのトイレの砂」),
        first or last of the content words elsewhere ("a dead cow", "vaca muerta")."""
        key = normalize(phrase)
        for _start, end, values in self._unknown.find_cjk(phrase):
            if end == len(key):
                return str(values[0])
        tokens = self._unknown.tokens(" ".join(content))
        for start, end, values in self._unknown.find_words(tokens):
            if start == 0 or end == len(tokens):
                return str(values[0])
        return None


def _most_specific(categories: list[str]) -> str | None:
    """The first category named; a specific one wins over the generic 資源 (「資源物の古紙」 -> koshi_nuno)."""
    specific = [c for c in categories if c != SHIGEN]
    return specific[0] if specific else categories[0] if categories else None
