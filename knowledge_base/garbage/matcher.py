"""Find known item names inside a resident's sentence, in any of the ten languages.

Two made-for-the-job matchers over the gazetteer (every name, reading, alias and foreign name of every item):

- Japanese/Chinese (no spaces between words): names in their `normalize` form in an Aho-Corasick automaton
  (pyahocorasick); the name that ends last in the phrase is the head noun (「ジュースの缶」 is a can).
- Words (Latin script, Hangul, Devanagari): names as word sequences " w1 w2 " in two Aho-Corasick automata, one
  with diacritics and one without ("vut pin o dau" = "vứt pin ở đâu"), so that only whole words match. Query words
  are first brought to the form the names use: Korean particles and Nepali postpositions are stripped
  (「우산은」 -> 우산), plurals are mapped to the singular the names use ("botellas" -> botella, "pilhas" -> pilha,
  "batteries" -> battery, "botol-botol" -> botol), and - only when nothing matched - a word of five or more
  letters one edit away from exactly one name word is read as that word (rapidfuzz).

The matcher only finds names; deciding whether the finding is confident is the service's job
(knowledge_base.garbage.service.GarbageKnowledge.lookup_item).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import ahocorasick
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from knowledge_base.core.normalize import has_kanji_or_latin, loosen, normalize

# Letters of the word scripts: Latin (with Vietnamese and combining marks), digits, Hangul, Devanagari.
_WORD = re.compile(
    r"[0-9a-z\u00b5\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0300-\u036f\u1e00-\u1eff"
    r"\uac00-\ud7af\u1100-\u11ff\u3130-\u318f\u0900-\u0963\u0966-\u097f]+"
)
_REDUPLICATED = re.compile(r"\b(\w{2,})-\1\b")  # Indonesian/Malay plural: "botol-botol" -> "botol"
_LATIN = re.compile(r"[a-z\u00c0-\u024f\u1e00-\u1eff]")
_MODIFIES = re.compile(r"^(?:の|用の|製の|から出た|についてる|についた|に入った|に入ってた).")  # 「Aの + B」
_BRACKET = re.compile(r"[()（）\[\]【】［］〔〕]")
_KANA = re.compile(r"[\u3041-\u309f\u30a1-\u30fc]+")
# After a kana name, kana that only lengthen or bend its last sound: the name is part of a longer word
# (「なっと」 (ナット) in 「なっとう」, 納豆). Never the first kana of a particle or a question frame.
_WORD_GOES_ON = re.compile(r"[うぁぃぅぇぉゃゅょっーゥァィェォャュョッ]")
# A katakana word: a name that is only its beginning is a modifier of the word, not the thing (「デスク」 of
# 「デスクトップ」, 「ノート」 of 「ノートパソコン」); its end is the head (「キャップ」 of 「ペットボトルキャップ」).
_KATAKANA_WORD = re.compile(r"[\u30a1-\u30fa\u30fc\uff66-\uff9f]{2,}")
_SHORT = 4  # a one-word name shorter than this (without diacritics) matches only under the rules of `_short_ok`
_TYPO_MIN = 5  # words shorter than this are not corrected: too many neighbours
# Kana (with the prolonged-sound mark and half-width katakana) and kanji: the scripts written without spaces.
_CJK = re.compile(r"[\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]")

# Names repeat across items, base forms and the reader's checks: normalise each text once.
norm = lru_cache(maxsize=262144)(normalize)
_KANJI = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf々〆]")
_KATAKANA = re.compile(r"[\u30a1-\u30ffｦ-ﾟ]")


def is_hangul(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7af" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f" for ch in text)


def is_devanagari(text: str) -> bool:
    return any("\u0900" <= ch <= "\u097f" for ch in text)


def has_latin(text: str) -> bool:
    return bool(_LATIN.search(text.lower()))


def has_cjk(text: str) -> bool:
    """True when `text` has kana or kanji (half-width katakana included)."""
    return _CJK.search(text) is not None


def is_word_script(text: str) -> bool:
    """True for names matched word by word (no kana/kanji): "spray can", 「우산」, 「छाता」."""
    return not has_cjk(text)


@lru_cache(maxsize=65536)
def unaccent(word: str) -> str:
    """Latin letters without diacritics (đ -> d); Devanagari and Hangul unchanged (their marks are letters)."""
    if word.isascii():
        return word
    out = []
    for ch in word:
        if "\u0900" <= ch <= "\u097f" or "\uac00" <= ch <= "\ud7af":
            out.append(ch)
            continue
        out.extend(c for c in unicodedata.normalize("NFD", ch) if unicodedata.category(c) != "Mn")
    return "".join(out).replace("đ", "d")


def words(text: str) -> list[str]:
    """Lower-case words of the word scripts, in order; kana/kanji and punctuation separate words."""
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text or "").lower())
    text = _REDUPLICATED.sub(r"\1", text)
    return _WORD.findall(text)


# ---- plurals ---------------------------------------------------------------------------------------------------
# (singular ending, plural ending) pairs of en, es, pt and id/tl loanwords. Used in both directions over the words
# the names use, so a rule never rewrites a word that no name contains.
_PLURAL_RULES: tuple[tuple[str, str], ...] = (
    ("", "s"),
    ("", "es"),
    ("y", "ies"),
    ("f", "ves"),
    ("fe", "ves"),
    ("z", "ces"),
    ("ão", "ões"),
    ("ão", "ães"),
    ("ão", "ãos"),
    ("ao", "oes"),
    ("ao", "aes"),
    ("ao", "aos"),
    ("al", "ais"),
    ("el", "éis"),
    ("el", "eis"),
    ("ol", "óis"),
    ("ol", "ois"),
    ("ul", "uis"),
    ("il", "is"),
    ("m", "ns"),
    ("ón", "ones"),
    ("és", "eses"),
)


def _plurals(word: str) -> Iterator[str]:
    for singular, plural in _PLURAL_RULES:
        if word.endswith(singular) and len(word) > len(singular) + 1:
            yield word[: len(word) - len(singular)] + plural


def _singulars(word: str) -> Iterator[str]:
    for singular, plural in _PLURAL_RULES:
        if word.endswith(plural) and len(word) > len(plural) + 1:
            yield word[: len(word) - len(plural)] + singular


# ---- gazetteer -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Name:
    """One written form that identifies an item."""

    owner: int  # index of the item in Knowledge.items
    text: str  # as written in the data
    langs: frozenset[str]  # languages it is a name in ("ja" for names, readings and Japanese aliases)
    base: bool = False  # a part of a longer name (「空き缶（飲食用）」 -> 空き缶): used only when no full name matches


@dataclass(frozen=True)
class WordName:
    name: Name
    n_words: int
    plain_letters: int  # letters without spaces and diacritics
    accented: bool  # the name carries diacritics (its plain form is a different string)
    acronym: bool  # written in capitals in the data ("TV", "CD"): a short acronym is a name in every language

    @property
    def short(self) -> bool:
        """Too short to trust in any language: < 4 Latin letters, one Hangul syllable, < 3 Devanagari letters."""
        text = self.name.text
        if is_hangul(text):
            return self.plain_letters < 2
        if is_devanagari(text):
            return self.plain_letters < 3
        return self.plain_letters < _SHORT


@dataclass(frozen=True)
class Span:
    """A run of query words that equals a name (start/end are word positions, end exclusive)."""

    start: int
    end: int
    names: tuple[Name, ...]
    fuzzy: bool = False  # found after correcting a typo


@dataclass
class QueryWords:
    """The words of a query, each as typed (lower case) and brought to the form the names use."""

    surface: list[str]
    accented: list[str]  # canonical form with diacritics
    plain: list[str]  # canonical form without diacritics
    corrected: set[int] = field(default_factory=set)  # positions changed by typo correction

    def spaced(self, plain: bool) -> tuple[str, list[int]]:
        """The text " w1 w2 w3 " and where each word starts (to map automaton hits back to word positions)."""
        starts, parts, offset = [], [], 1
        for word in self.plain if plain else self.accented:
            starts.append(offset)
            parts.append(word)
            offset += len(word) + 1
        return " " + " ".join(parts) + " ", starts


def _spaced(tokens: Iterable[str]) -> str:
    return " " + " ".join(tokens) + " "


def name_texts(item: object) -> list[tuple[str, bool]]:
    """(text, is_base) for every written form of an item: name, reading, aliases, the dictionary names it joined
    (Item.jiten_names, when the data has them), and the parts of qualified names: 「空き缶（飲食用）」 -> 空き缶,
    「IHクッキングヒーター・IH調理器」 -> IHクッキングヒーター, IH調理器."""
    full = [*getattr(item, "names", ()), *getattr(item, "jiten_names", ())]
    out: dict[str, bool] = {}
    for text in full:
        if text:
            out.setdefault(text, False)
    for text in full:
        for part in base_forms(text):
            out.setdefault(part, True)
    spelled = [(getattr(item, "name", ""), getattr(item, "reading", ""))]
    for name, reading in getattr(item, "jiten_readings", ()):
        spelled.append((name, reading))
        if len(normalize(reading)) >= _MIXED_MIN:
            out.setdefault(reading, False)  # the dictionary name's reading, as the item's own reading is
    for name, reading in spelled:
        for bare in [name, *base_forms(name)]:
            for text in mixed_spellings(bare, reading):
                out.setdefault(text, bare != name)
    return list(out.items())


_KANJI_RUN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf々〆]+")
_MIXED_MIN = 3  # characters: shorter mixed spellings turn up inside ordinary words
_KANA_PER_KANJI = (1, 3)  # a kanji reads one to three kana (「石」 せき, 「膏」 こう, 「鉢」 はち)


def mixed_spellings(name: str, reading: str) -> list[str]:
    """The name with part of one kanji word written in kana, as residents type what they cannot write
    (交ぜ書き: 「植木ばち」 for 植木鉢, 「長ぐつ」 for 長靴, 「石こうボード」 for 石膏ボード,
    「豆でんきゅう」 for 豆電球), or one of its kanji words in kana (「目覚ましどけい」).
    The reading of each kanji run comes from aligning the name with its reading on the kana between the runs; the
    kanji part keeps one to three kana per kanji. Empty when the name and the reading do not align."""
    key, kana = normalize(name), normalize(reading)
    runs = list(_KANJI_RUN.finditer(key))
    if not runs or not kana or _KANJI.search(kana):
        return []
    pattern, last = "", 0
    for run in runs:
        pattern += re.escape(key[last : run.start()]) + "(.+?)"
        last = run.end()
    aligned = re.fullmatch(pattern + re.escape(key[last:]), kana)
    if aligned is None:
        return []
    low, high = _KANA_PER_KANJI
    out: list[str] = []
    for number, run in enumerate(runs, start=1):
        word, said = run.group(), aligned.group(number)
        before, after = key[: run.start()], key[run.end() :]
        if len(runs) > 1:
            out.append(before + said + after)  # one word of several in kana: 「目覚ましどけい」
        for cut in range(1, len(word)):
            for split in range(1, len(said)):
                head_ok = low * cut <= split <= high * cut
                tail_ok = low * (len(word) - cut) <= len(said) - split <= high * (len(word) - cut)
                if not (head_ok and tail_ok):
                    continue
                # kanji then kana (「植木ばち」), kana then kanji (「まめ電球」 is rarer, but 「せっ膏」 is not typed)
                out.append(before + word[:cut] + said[split:] + after)
                out.append(before + said[:split] + word[cut:] + after)
    return [t for t in dict.fromkeys(out) if len(t) >= _MIXED_MIN and t != key]


_BRACKETS = re.compile(r"[（(【［\[〔][^（）()【】［］\[\]〔〕]*[）)】］\]〕]")


def base_forms(text: str) -> list[str]:
    """The parts of a qualified dictionary name a resident would type alone (may be empty)."""
    bare = _BRACKETS.sub("", text).strip()
    parts = [bare] if bare and bare != text else []
    if "・" in bare:
        pieces = [p.strip() for p in bare.split("・")]
        if all(len(norm(p)) >= 2 for p in pieces):
            parts.extend(pieces)
    return [p for p in dict.fromkeys(parts) if norm(p)]


_QUALIFIER_RUN = re.compile(r"[\u4e00-\u9fff々〆]{2,}|[\u30a1-\u30fc]{3,}|[A-Za-z0-9]{3,}")


def is_qualified(text: str) -> bool:
    """A name with a bracketed qualifier: 「カップ（陶器製）」."""
    return bool(_BRACKETS.search(text))


def qualifier_words(text: str) -> list[str]:
    """Normalised kanji runs (2+), katakana runs (3+) and Latin words (3+) inside the brackets of a dictionary
    name: 「炊飯器（一升炊き超）」 -> [一升], 「マットレス（スプリングあり）」 -> [スプリング]. Words a resident would
    write."""
    inside = " ".join(m.group(0)[1:-1] for m in _BRACKETS.finditer(text))
    return [norm(w) for w in _QUALIFIER_RUN.findall(inside) if norm(w)]


def containable(key: str) -> bool:
    """Long enough to be found inside a Japanese/Chinese sentence without matching by accident (「いす」 in
    「ないすな」); keys without kanji/kana are matched word-wise instead."""
    if not has_cjk(key):
        return False
    if has_kanji_or_latin(key):
        return len(key) >= 2
    return len(key) >= 3


class NameMatcher:
    """The gazetteer of one Knowledge, built once; every method is read-only and thread-safe."""

    def __init__(
        self,
        names: Iterable[Name],
        stop_words: Iterable[str] = (),
        keep_plurals: Iterable[str] = (),
        not_contained: Iterable[str] = (),
    ) -> None:
        names = list(names)
        # Readings that are also verb forms in a sentence (竹刀 is read しない): found as the whole phrase only.
        whole_only = {norm(w) for w in not_contained}
        self.names = names
        self._stop = {unaccent(w) for w in stop_words}
        # Japanese/Chinese side: normalised and loose forms for whole-phrase matching, an automaton for containment.
        self.exact: dict[str, list[Name]] = defaultdict(list)
        self.loose: dict[str, list[Name]] = defaultdict(list)
        self._cjk = ahocorasick.Automaton()
        contained: dict[str, list[Name]] = defaultdict(list)
        word_names: list[tuple[list[str], WordName]] = []
        for name in names:
            if is_word_script(name.text):
                tokens = words(name.text)
                if not tokens:
                    continue
                plain_letters = sum(len(unaccent(t)) for t in tokens)
                accented = any(unaccent(t) != t for t in tokens)
                acronym = name.text.isupper() and name.text.isascii()
                word_names.append((tokens, WordName(name, len(tokens), plain_letters, accented, acronym)))
                continue
            key = norm(name.text)
            if not key:
                continue
            self.exact[key].append(name)
            self.loose[loosen(key)].append(name)
            if containable(key) and key not in whole_only:
                contained[key].append(name)
        # One-kanji names (鍋, 鍵, 服, 花) are too short to find inside text by the automaton; single_kanji_names
        # looks for them as a word of their own.
        self._single = {key: hits for key, hits in self.exact.items() if len(key) == 1 and _KANJI.fullmatch(key)}
        for key, hits in contained.items():
            self._cjk.add_word(key, (key, tuple(hits)))
        if contained:
            self._cjk.make_automaton()
        self._cjk_keys = list(self.exact)

        # Word side: vocabulary, plural map, particle-stripping targets and the two automata.
        vocab: set[str] = {t for tokens, _ in word_names for t in tokens}
        vocab |= {unaccent(t) for t in vocab}
        for tokens, _ in word_names:
            if len(tokens) > 1 and all(is_hangul(t) for t in tokens):
                vocab.add("".join(tokens))  # 「스프레이 캔」 is also typed 「스프레이캔」
        # Plurals in names and queries become the singular the vocabulary has, except words whose plural is
        # another word ("glasses" are spectacles, not glass): those keep their form.
        keep = {w.lower() for w in keep_plurals} | {unaccent(w.lower()) for w in keep_plurals}
        self._canon: dict[str, str] = {w: w for w in vocab}
        for word in sorted(vocab - keep):
            for singular in _singulars(word):
                if singular in vocab:
                    self._canon[word] = self._canon.get(singular, singular)
                    break
        for word in sorted(vocab):
            for plural in _plurals(word):
                if plural in keep:
                    continue
                if plural not in vocab:
                    self._canon.setdefault(plural, self._canon[word])
            for singular in _singulars(word):
                if singular not in vocab and len(singular) >= _SHORT:  # "gas" must not make "ga" (gà) a name word
                    self._canon.setdefault(singular, self._canon[word])
        self.vocab = vocab
        self._typo_vocab = sorted(
            w for w in vocab if len(w) >= _TYPO_MIN and w.isascii() and w.isalpha() and w not in self._stop
        )

        self._accented = ahocorasick.Automaton()
        self._plain = ahocorasick.Automaton()
        accented_keys: dict[str, list[WordName]] = defaultdict(list)
        plain_keys: dict[str, list[WordName]] = defaultdict(list)
        self._word_index: dict[str, list[WordName]] = defaultdict(list)  # canonical plain word -> names with it
        self._word_sets: dict[int, frozenset[str]] = {}  # id(WordName) -> its canonical plain words
        for tokens, word_name in word_names:
            canon = [self._canon.get(t, t) for t in tokens]
            variants = [canon]
            if len(tokens) > 1 and all(is_hangul(t) for t in tokens):
                variants.append(["".join(canon)])
            for variant in variants:
                accented_keys[_spaced(variant)].append(word_name)
                plain_keys[_spaced(unaccent(t) for t in variant)].append(word_name)
            for token in dict.fromkeys(unaccent(t) for t in canon):
                self._word_index[self._canon.get(token, token)].append(word_name)
            self._word_sets[id(word_name)] = frozenset(self._canon.get(unaccent(t), unaccent(t)) for t in canon)
        for key, hits in accented_keys.items():
            self._accented.add_word(key, (key, tuple(hits)))
        for key, hits in plain_keys.items():
            self._plain.add_word(key, (key, tuple(hits)))
        for automaton, keys in ((self._accented, accented_keys), (self._plain, plain_keys)):
            if keys:
                automaton.make_automaton()

    # ---- Japanese / Chinese ------------------------------------------------------------------------------------

    def exact_names(self, phrase: str) -> list[Name]:
        """Names whose normalised (then loose: no long vowels, small kana as normal) form is the whole phrase."""
        key = norm(phrase)
        return self.exact.get(key) or self.loose.get(loosen(key)) or []

    def single_kanji_names(self, text: str) -> list[Name]:
        """The names of the last one-kanji name in `text` that stands as a word: no kanji or katakana right before
        or after it (「着なくなった服どう…」, 「取っ手がとれた鍋」; not 服 in 洋服ダンス, 花 in 花火). Empty if none."""
        text = unicodedata.normalize("NFKC", text)
        for at in range(len(text) - 1, -1, -1):
            names = self._single.get(norm(text[at]))
            if not names:
                continue
            before, after = text[at - 1 : at], text[at + 1 : at + 2]
            if not any(_KANJI.fullmatch(c) or _KATAKANA.fullmatch(c) for c in (before, after) if c):
                return list(names)
        return []

    def contained_names(self, phrase: str) -> list[Name]:
        """The names (one written form) found inside the phrase that end last, longest on ties: the head noun.
        None when that name is followed by 「の」 and more (「ねこのトイレの砂」: the sand, not the litter box)."""
        return self.contained_parts(phrase)[0]

    def contained_parts(self, phrase: str) -> tuple[list[Name], list[Name]]:
        """(head, others): the head noun as `contained_names` finds it, and the head nouns of the other parts of a
        phrase with brackets (「ヘルメット（自転車用）」 -> 自転車, [ヘルメット]): the resident may mean either, and the
        category may differ. A kana name followed by a kana that lengthens its last sound is part of a longer word
        and not found (「ナット」 in 「なっとう」)."""
        key = norm(phrase)
        if not key or not self._cjk_keys or len(self._cjk) == 0:
            return [], []
        words = {norm(w) for w in _KATAKANA_WORD.findall(unicodedata.normalize("NFKC", phrase))}
        hits: list[tuple[int, int, tuple[Name, ...]]] = []  # (start, end exclusive, names)
        for end, (name_key, names) in self._cjk.iter(key):
            if _KANA.fullmatch(name_key) and _WORD_GOES_ON.match(key[end + 1 : end + 2]):
                continue
            start = end + 1 - len(name_key)
            if any(len(word) > len(name_key) and key.startswith(word, start) for word in words):
                continue
            hits.append((start, end + 1, names))
        if not hits:
            return [], []
        # 「押し入れから出した…」: a name followed by 「から」 is where the thing was, not the thing.
        heads = [h for h in hits if not key.startswith("から", h[1])] or hits
        _start, stop, head = max(heads, key=lambda h: (h[1], h[1] - h[0]))
        if _MODIFIES.match(key[stop:]):
            return [], []
        # 「ヘアスプレーの空き缶」: a known thing right before 「の」 + the head is what the head belonged to or held,
        # and may decide the category: offered too (the caller asks when the category differs).
        owners = [h for h in hits if h[1] < _start and key[h[1] : _start] == "の"]
        others: list[Name] = list(max(owners, key=lambda h: h[1] - h[0])[2]) if owners else []
        if _BRACKET.search(phrase):
            head_ids = {id(name) for name in head}
            for segment in _BRACKET.split(phrase):
                if segment.strip() and norm(segment) != key:
                    found = self.contained_parts(segment)[0]
                    if not {id(name) for name in found} & head_ids:
                        others.extend(found)
        return list(head), others

    def fuzzy_names(self, phrase: str) -> list[Name]:
        """Names one edit away from the whole phrase (「すぷれい缶」 -> スプレー缶), for phrases of five or more
        characters; the caller accepts them only when they are one item."""
        key = norm(phrase)
        if len(key) < _TYPO_MIN or not has_cjk(key):
            return []
        found = process.extract(key, self._cjk_keys, scorer=Levenshtein.distance, score_cutoff=1, limit=None)
        out: list[Name] = []
        for name_key, _, _ in found:
            if len(name_key) >= _TYPO_MIN:
                out.extend(self.exact[name_key])
        return out

    def names_containing(self, phrase: str, limit: int = 30) -> list[Name]:
        """Names that contain the whole phrase (「電池」 -> 乾電池, 充電式電池, ボタン電池), shortest first."""
        key = norm(phrase)
        if not containable(key):
            return []
        keys = sorted((k for k in self._cjk_keys if key in k and k != key), key=len)[:limit]
        return [name for k in keys for name in self.exact[k]]

    # ---- words --------------------------------------------------------------------------------------------------

    def query_words(self, text: str, suffixes: Iterable[str] = ()) -> QueryWords:
        """Words of `text` in the names' form: particles/postpositions stripped when that gives a known word,
        plurals mapped to the singular the names use."""
        suffixes = sorted(set(suffixes), key=len, reverse=True)
        surface = words(text)
        accented, plain = [], []
        for word in surface:
            form = self._known_form(word, suffixes)
            accented.append(self._canon.get(form, form))
            bare = unaccent(form)
            plain.append(self._canon.get(bare, bare))
        return QueryWords(surface, accented, plain)

    def _known_form(self, word: str, suffixes: list[str]) -> str:
        if word in self._canon or unaccent(word) in self._canon or not suffixes:
            return word
        stem = word
        for _ in range(2):  # 「우산들은」: plural 들 + topic 은
            for suffix in suffixes:
                if stem.endswith(suffix) and len(stem) > len(suffix):
                    stem = stem[: -len(suffix)]
                    if stem in self._canon:
                        return stem
                    break
            else:
                break
        return word

    def correct_typos(self, query: QueryWords, skip: set[str]) -> QueryWords:
        """A copy where each unknown Latin word of five or more letters that is one edit away from exactly one name
        word becomes that word ("umbrela" -> umbrella); words in `skip` (question words) are left alone."""
        accented, plain, corrected = list(query.accented), list(query.plain), set()
        for i, word in enumerate(query.plain):
            if len(word) < _TYPO_MIN or not word.isascii() or not word.isalpha() or word in self._canon or word in skip:
                continue
            near = process.extract(word, self._typo_vocab, scorer=Levenshtein.distance, score_cutoff=1, limit=3)
            targets = {self._canon.get(w, w) for w, _, _ in near}
            if len(targets) == 1:
                (target,) = targets
                accented[i] = plain[i] = target
                corrected.add(i)
        return QueryWords(query.surface, accented, plain, corrected)

    def word_spans(self, query: QueryWords, langs: frozenset[str] | None) -> list[Span]:
        """Every run of query words that is a name: with diacritics as typed, or without them when the name is long
        enough not to match by accident (two words or four letters: "o" is not "ô", but "pin kho" is "pin khô")."""
        found: dict[tuple[int, int], dict[int, Name]] = defaultdict(dict)
        for plain in (False, True):
            text, starts = query.spaced(plain)
            position = {offset: i for i, offset in enumerate(starts)}
            automaton = self._plain if plain else self._accented
            if len(automaton) == 0:
                continue
            for end, (key, hits) in automaton.iter(text):
                start = position.get(end - len(key) + 2)
                if start is None:
                    continue
                n_words = key.count(" ") - 1
                for hit in hits:
                    if plain and hit.n_words < 2 and hit.short:
                        continue  # "o" must not be "ô" (umbrella): too short to trust without diacritics
                    one_vi_word = n_words == 1 and hit.accented and "vi" in hit.name.langs
                    if plain and one_vi_word and _typed_accented(query, start):
                        # Typed with other diacritics than the name's: another Vietnamese word ("trâu", a buffalo,
                        # is not "trấu", rice husks). Without any diacritics it may be either, so it still matches.
                        continue
                    if not _short_ok(hit, langs):
                        continue
                    found[(start, start + n_words)][id(hit.name)] = hit.name
        corrected = query.corrected
        return [
            Span(start, end, tuple(names.values()), fuzzy=any(start <= i < end for i in corrected))
            for (start, end), names in sorted(found.items())
        ]

    def names_with_all_words(self, query: QueryWords, min_words: int = 3) -> list[Name]:
        """Names of `min_words` or more words that the message has every one of, anywhere and in any order
        (「프린터 잉크 카트리지」 in 「프린터 잉크 다 떨어져서 … 헌 카트리지는요」), longest first."""
        have = set(query.plain)
        found: dict[int, WordName] = {}
        for word in have:
            for hit in self._word_index.get(word, ()):
                if hit.n_words >= min_words and self._word_sets[id(hit)] <= have:
                    found[id(hit.name)] = hit
        return [hit.name for hit in sorted(found.values(), key=lambda hit: -hit.n_words)]

    def partial_names(
        self, query: QueryWords, positions: Iterable[int], langs: frozenset[str] | None
    ) -> list[tuple[float, Name]]:
        """Names that share a word with the query's content words ("pin" -> "pin khô", "pin sạc"), with the share of
        the name's words the query covers; the caller never treats these as confident."""
        scores: dict[int, tuple[float, Name]] = {}
        wanted = [query.plain[i] for i in positions]
        for word in dict.fromkeys(wanted):
            if len(word) < 3 and not is_hangul(word):
                continue
            for hit in self._word_index.get(word, ()):
                if langs is not None and not hit.name.langs & langs:
                    continue
                name_words = {self._canon.get(unaccent(t), unaccent(t)) for t in words(hit.name.text)}
                share = len(name_words & set(wanted)) / max(len(name_words), 1)
                if id(hit.name) not in scores or share > scores[id(hit.name)][0]:
                    scores[id(hit.name)] = (share, hit.name)
        return sorted(scores.values(), key=lambda pair: (-pair[0], len(pair[1].text)))


def _typed_accented(query: QueryWords, position: int) -> bool:
    """The query word at `position` was typed with diacritics (its plain form is a different string)."""
    return query.accented[position] != query.plain[position]


def _short_ok(hit: WordName, langs: frozenset[str] | None) -> bool:
    """Short one-word names ("tv", "pan", "ô", "pin"; a one-syllable Korean word) are common words in other
    languages: accept them only as an acronym ("TV", "CD" in several languages), or in the languages the message
    is in (English when not known), with the diacritics as written."""
    if hit.n_words > 1 or not hit.short:
        return True
    if hit.acronym and len(hit.name.langs) > 1:
        return True
    if hit.accented and langs is None:
        return True  # 「ô」 with its diacritic is Vietnamese whatever the detector said
    return bool(hit.name.langs & (langs if langs is not None else frozenset({"en"})))


def allowed_langs(lang: str | None) -> frozenset[str]:
    """Languages whose names count in a message of `lang`: English when unknown; Taglish mixes in English."""
    if lang is None:
        return frozenset({"en"})
    return frozenset({lang, "en"}) if lang == "tl" else frozenset({lang})
