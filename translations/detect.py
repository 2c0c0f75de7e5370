"""Which of the ten languages a resident wrote in: script rules first, then py3langid for Latin-script text.

Why script rules: py3langid reads kanji-only strings (住民票) as Chinese and guesses wildly on one Latin word
(sofa, Hello). Residents type short terms copied from bags and forms, so for those the user's last language is
the better guess. Precedence, with the case each rule protects:

1. Hangul / Devanagari at least as frequent as hiragana ⇒ ko / ne   ("粗大ごみ 어떻게 버려요?" quotes a term)
2. Two or more Latin words, more than the hiragana, and more Latin letters than CJK characters ⇒ Latin rules
   ("How do I throw away スプレー缶?"; "LINE Pay で払えますか" stays Japanese)
3. Japanese script (kana or kanji):
   - Chinese evidence (simplified-only characters absent from Shift_JIS, 的是什怎, the comma ，) ⇒ zh:
     with kana it must reach 2 and the hiragana count ("スプレー缶怎么扔"); kanji only, it must beat the
     Japanese-only forms absent from GB2312 (駅, 込, 証), and a long undecided text goes to py3langid (ja vs zh)
   - a term (kanji/katakana, ごみ allowed, ≤ 16 characters: 住民票, 粗大ごみ受付) ⇒ the last language
   - otherwise ja (kana is Japanese; so is an undecided short kanji string without history)
4. Latin: py3langid among en, vi, tl, pt, es, id; a text of ≤ 3 words it is unsure of ⇒ a telltale letter
   (ơ ư đ ⇒ vi, ñ ¿ ⇒ es, ã ç ⇒ pt), else the last language, else en
5. No letters at all (043-302-5374, 👍) ⇒ last language, else ja; another script (Cyrillic, Thai) ⇒ last, else en

The py3langid model (~1 s to load) is read on first use or by `warm_up()`; nothing happens at import time.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import Any

from translations import languages

# The ten languages, and the six of them written in Latin script (translations/languages.yaml). Read from the table
# on first access through the module's __getattr__ below, not at import time.
LANGS: tuple[str, ...]
LATIN_LANGS: tuple[str, ...]
DEFAULT_LANG = "ja"
LATIN_DEFAULT = "en"

MAX_CHARS = 512  # the opening of a long message says enough and keeps the cost flat
SHORT_HAN_CHARS = 12  # up to this many kanji without a telltale character: a term, not a sentence
SHORT_LATIN_WORDS = 3
MAX_TERM_CHARS = 16  # a kanji/katakana term copied from a bag, sign or form: 粗大ごみ受付センター
MIN_LATIN_CONFIDENCE = 0.7  # share of probability among the six Latin-script languages
MIN_LATIN_WORDS_IN_MIXED = 2

_HIRAGANA = re.compile(r"[\u3041-\u309f]")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fd-\u30ff\u31f0-\u31ff]")  # without ・ and ー, which Chinese uses too
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_DEVANAGARI = re.compile(r"[\u0900-\u097f]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]{2,}")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_CJK = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
# Common in Chinese questions, (almost) never in kanji-only Japanese; the rest of Chinese function words
# (吗 呢 么 们 这 哪) are simplified-only and caught by the Shift_JIS test.
_ZH_FUNCTION_CHARS = frozenset("的是什怎")
# Letters that, among our six Latin-script languages, only one of them uses.
_VI_LETTERS = re.compile(r"[ơưđăƠƯĐĂ\u1ea0-\u1ef9]")
_ES_MARKS = re.compile(r"[ñÑ¿¡]")
_PT_LETTERS = re.compile(r"[ãõçÃÕÇ]")


@lru_cache(maxsize=1)
def _latin_langs() -> tuple[str, ...]:
    return tuple(code for code in languages.detectable() if languages.script(code) == "Latn")


@lru_cache(maxsize=1)
def _base_langs() -> dict[str, str]:
    """Reply styles → the language they are a form of (last_lang "ja-easy" counts as Japanese evidence)."""
    return {lang.code: lang.base for lang in languages.languages() if not lang.detectable}


def __getattr__(name: str) -> object:
    if name == "LANGS":
        return languages.detectable()
    if name == "LATIN_LANGS":
        return _latin_langs()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class DetectorUnavailable(ImportError):
    """py3langid is not installed in this environment."""


_lock = threading.Lock()
_identifier: Any = None


def _model() -> Any:
    global _identifier
    if _identifier is None:
        with _lock:  # the first chat turns may arrive together; load the model once
            if _identifier is None:
                try:
                    from py3langid.langid import MODEL_FILE, LanguageIdentifier
                except ImportError as exc:
                    raise DetectorUnavailable("language detection needs py3langid: pip install py3langid") from exc
                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(languages.detectable()))
                _identifier = identifier
    return _identifier


def warm_up() -> None:
    """Load the model now (it takes about a second) rather than on the first message."""
    _model()


def _count(pattern: re.Pattern[str], text: str) -> int:
    return len(pattern.findall(text))


def _not_encodable(text: str, codec: str) -> int:
    return len(text) - len(text.encode(codec, errors="ignore").decode(codec))


def _rank(text: str, among: tuple[str, ...]) -> list[tuple[str, float]]:
    """py3langid's ranking limited to `among`, renormalised so the shares sum to 1."""
    scores = [(lang, score) for lang, score in _model().rank(text) if lang in among]
    total = sum(score for _, score in scores)
    if total <= 0:
        return [(lang, 1 / len(among)) for lang in among]
    return [(lang, score / total) for lang, score in scores]


def _latin(text: str, last: str | None) -> str:
    best, share = _rank(text, _latin_langs())[0]
    if share >= MIN_LATIN_CONFIDENCE or _count(_LATIN_WORD, text) > SHORT_LATIN_WORDS:
        return best
    if _VI_LETTERS.search(text):
        return "vi"
    if _ES_MARKS.search(text):
        return "es"
    if _PT_LETTERS.search(text):
        return "pt"
    return last or LATIN_DEFAULT


def _zh_score(raw: str, han: str) -> int:
    """Evidence of Chinese: simplified-only characters (not in Shift_JIS), function characters, the comma ，."""
    return _not_encodable(han, "cp932") + sum(ch in _ZH_FUNCTION_CHARS for ch in han) + raw.count("，")


def _is_term(text: str) -> bool:
    """Kanji/katakana only (ごみ allowed): a noun copied from a bag or form, not a Japanese sentence."""
    return (
        len(text) <= MAX_TERM_CHARS and not _HIRAGANA.search(text.replace("ごみ", "")) and not _LATIN_WORD.search(text)
    )


def _japanese_script(raw: str, text: str, han: str, hiragana: int, last: str | None) -> str:
    zh = _zh_score(raw, han)
    if hiragana or _KATAKANA.search(text):
        if zh >= 2 and zh >= hiragana:
            return "zh"  # a Chinese question quoting a Japanese term: スプレー缶怎么扔
    else:
        ja = _not_encodable(han, "gb2312")
        if zh > ja:
            return "zh"
        if ja == zh and len(han) > SHORT_HAN_CHARS:
            return _rank(han, ("ja", "zh"))[0][0]
    if last and _is_term(text.strip(" ?？!！。.")):
        return last
    return DEFAULT_LANG


def detect_language(text: str, last_lang: str | None = None) -> str:
    """The language of `text`, one of LANGS. `last_lang` (the user's previous reply language) breaks ties."""
    last = _base_langs().get(last_lang or "", last_lang)
    last = last if last in languages.detectable() else None
    raw = text[:MAX_CHARS]
    text = unicodedata.normalize("NFKC", raw)  # half-width katakana and full-width Latin become ordinary

    hiragana = _count(_HIRAGANA, text)
    for pattern, lang in ((_HANGUL, "ko"), (_DEVANAGARI, "ne")):
        found = _count(pattern, text)
        if found and found >= hiragana:
            return lang

    han = "".join(_HAN.findall(text))
    cjk = sum(len(run) for run in _CJK.findall(text))
    latin_words = _count(_LATIN_WORD, text)
    particles = _count(_HIRAGANA, text.replace("ごみ", ""))  # hiragana of a Japanese sentence, not of a term
    latin_mixed = latin_words >= MIN_LATIN_WORDS_IN_MIXED and latin_words > particles
    if cjk and latin_mixed and _count(_LATIN_LETTER, text) > cjk:
        return _latin(_CJK.sub(" ", text), last)
    if cjk:
        return _japanese_script(raw, text, han, hiragana, last)
    if _LATIN_LETTER.search(text):
        return _latin(text, last)
    if any(unicodedata.category(ch).startswith("L") for ch in text):
        return last or LATIN_DEFAULT  # a script we do not serve: English is the likelier shared language
    return last or DEFAULT_LANG
