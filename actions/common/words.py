"""Finding words residents type in any of the ten languages: accent-folded Latin words match as whole words (so
"dat cho" finds "đặt chỗ"), other scripts (Japanese, Chinese, Korean, Nepali) as substrings with any spacing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable


def fold(text: str) -> str:
    """NFKC, lower case, Latin letters without accents (đ → d); other scripts unchanged."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", unicodedata.normalize("NFKC", str(text)).lower()):
        if unicodedata.category(ch) == "Mn" and out and is_latin(out[-1]):
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).replace("đ", "d")


def is_latin(ch: str) -> bool:
    return (ch.isascii() and ch.isalpha()) or "\u00c0" <= ch < "\u0250"


def word_pattern(word: str, *, plural: bool = False) -> str:
    """A Latin word as a whole word (a plural s allowed when `plural`), spaces inside as any spacing; other scripts
    as a substring."""
    folded = fold(word)
    parts = [re.escape(part) for part in folded.split()]
    if all(is_latin(ch) or ch in "-'/ " for ch in folded):
        return r"(?<![a-z0-9])" + r"\s+".join(parts) + (r"s?" if plural else "") + r"(?![a-z0-9])"
    return r"\s*".join(parts)


def compile_words(words: Iterable[str], *, plural: bool = False) -> re.Pattern[str]:
    """One pattern for all `words`, longest first (「再来週」 before 「来週」, "next week" before "week"); match it
    against `fold(text)`."""
    ordered = sorted(set(words), key=lambda w: -len(fold(w)))
    return re.compile("|".join(word_pattern(w, plural=plural) for w in ordered))
