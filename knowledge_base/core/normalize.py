"""Japanese text normalisation for matching (the original text is kept for display).

`normalize` is the canonical form used on both sides of every comparison: NFKC + neologdn (width, repeated
long vowels, spaces between Japanese words), lower case, katakana -> hiragana, one long-vowel mark, no
spaces/punctuation. `variants` adds looser forms (no long-vowel marks, small kana -> normal, ゔ -> ぶ) that
residents commonly type, so 「すぷれかん」 and 「スプレーカン」 meet 「スプレー缶」 (reading すぷれーかん).
"""

from __future__ import annotations

import re
import unicodedata

import jaconv
import neologdn

# Wave dashes and tildes after kana are long-vowel marks (「スプレ〜」); neologdn would delete them.
_KANA_TILDE = re.compile(r"(?<=[\u3041-\u30ff\uff66-\uff9f])[~〜～∼〰]")
# After NFKC every remaining dash-like character after kana is a long-vowel mark (「スプレ－缶」).
_KANA_DASH = re.compile(r"(?<=[\u3041-\u309f])[-‐‑‒–—―−ｰ]+")
_LONG_RUN = re.compile(r"ー{2,}")
_ODD_KANA = str.maketrans({"ヶ": "け", "ゖ": "け", "ヵ": "か", "ゕ": "か"})
_SMALL_KANA = str.maketrans("ぁぃぅぇぉっゃゅょゎ", "あいうえおつやゆよわ")
_VU = (("ゔぁ", "ば"), ("ゔぃ", "び"), ("ゔぇ", "べ"), ("ゔぉ", "ぼ"), ("ゔ", "ぶ"))


def _keep(ch: str) -> bool:
    """Letters, digits, marks and the long-vowel sign survive; spaces, punctuation and symbols go."""
    if ch == "ー":
        return True
    cat = unicodedata.category(ch)
    return cat[0] in "LNM"


def normalize(text: str) -> str:
    """Canonical matching form: 「ｽﾌﾟﾚｰ缶」, 「スプレー缶」 and 「すぷれー缶」 all give 「すぷれー缶」."""
    if not text:
        return ""
    text = _KANA_TILDE.sub("ー", unicodedata.normalize("NFKC", text))
    text = neologdn.normalize(text)
    text = unicodedata.normalize("NFKC", text).lower()
    text = jaconv.kata2hira(text).translate(_ODD_KANA)
    text = _KANA_DASH.sub("ー", text)
    text = "".join(ch for ch in text if _keep(ch))
    return _LONG_RUN.sub("ー", text)


def loosen(normalized: str) -> str:
    """Looser form of an already normalised string: no long-vowel marks, small kana as normal kana, ゔ as ぶ."""
    for src, dst in _VU:
        normalized = normalized.replace(src, dst)
    return normalized.replace("ー", "").translate(_SMALL_KANA)


def variants(text: str) -> list[str]:
    """The normalised form first, then looser forms; no duplicates, no empty strings."""
    norm = normalize(text)
    out: list[str] = []
    for form in (norm, norm.replace("ー", ""), loosen(norm)):
        if form and form not in out:
            out.append(form)
    return out


def has_kanji_or_latin(text: str) -> bool:
    """True when `text` carries a kanji or a Latin letter (short kana-only strings match too much by accident)."""
    return any("\u4e00" <= ch <= "\u9fff" or (ch.isascii() and ch.isalpha()) for ch in text)


def has_cjk(text: str) -> bool:
    """True for text with kana or kanji (Japanese, or Chinese, which the gateway translates first)."""
    return any("\u3041" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" or "\uff66" <= ch <= "\uff9f" for ch in text)
