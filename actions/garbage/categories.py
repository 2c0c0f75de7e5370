"""Which garbage categories a message asks about, from the words residents use for them."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from knowledge_base.core.normalize import normalize

# Everyday words per category id (knowledge_base/README.md). 葉 alone is not a keyword: 千葉 and 若葉区 contain it.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "kanen": ("可燃", "燃えるごみ", "燃やせるごみ", "もえるごみ", "生ごみ"),
    "funen": ("不燃", "燃えないごみ", "燃やせないごみ", "もえないごみ"),
    "yugai": ("有害",),
    "bin_kan_pet": ("びん", "瓶", "缶", "ペットボトル", "ペット", "資源物"),
    "koshi_nuno": ("古紙", "新聞", "雑誌", "段ボール", "雑がみ", "紙類", "布類", "古布", "古着", "資源物"),
    "eda_kusa": ("木の枝", "枝", "刈り草", "草", "落ち葉", "葉っぱ", "剪定", "資源物"),
}
# Place names are removed before matching so 千草台 or 若葉区 do not read as 草 or 葉.
_ALWAYS_EXCLUDED = ("千葉",)


@lru_cache(maxsize=1)
def _normalised_words() -> list[tuple[str, str]]:
    """(normalised word, category id), longest words first so 燃えないごみ wins over shorter overlaps."""
    pairs = [(normalize(word), cid) for cid, words in CATEGORY_WORDS.items() for word in words]
    return sorted(pairs, key=lambda pair: -len(pair[0]))


def detect_categories(text: str, exclude: Iterable[str] = ()) -> list[str]:
    """Category ids named in `text`, in the order they appear; [] when none is named."""
    norm = normalize(text)
    for name in (*_ALWAYS_EXCLUDED, *exclude):
        key = normalize(name)
        if key:
            norm = norm.replace(key, " ")
    found: list[tuple[int, str]] = []
    for word, cid in _normalised_words():
        pos = norm.find(word)
        if pos >= 0 and all(cid != seen for _, seen in found):
            found.append((pos, cid))
    order = list(CATEGORY_WORDS)
    return [cid for _, cid in sorted(found, key=lambda hit: (hit[0], order.index(hit[1])))]


def categories_from_value(value: str) -> list[str]:
    """An entity value may be a category id (kanen) or a word (燃えるごみ)."""
    if value in CATEGORY_WORDS:
        return [value]
    return detect_categories(value)
