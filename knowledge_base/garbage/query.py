"""Rule-based extraction of the item phrase from a resident's question (no morphology needed).

「スプレー缶は何ごみですか？」 -> 「スプレー缶」; 「壊れた傘を捨てたい」 -> 「壊れた傘」, then 「傘」;
"how do I throw away a spray can?" -> "spray can". Works on lightly normalised text (width, NFKC) so that the
phrase keeps its script for the embedding model.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import neologdn

# Words that start the question part after the item: 「は何ごみ」「の捨て方」「を出したい」「って燃える？」.
_FRAME_WORD = (
    r"(?:何|なに|なん|どう|どこ|どの|どんな|どれ|どっち|いつ|捨て|棄て|すて|ステ|出し|出す|出せ|出る|だし|だす|だせ|"
    r"分別|ぶんべつ|分け|わけ|処分|しょぶん|処理|燃え|燃や|燃える|燃やせ|もえ|もや|可燃|不燃|資源|粗大|有害|"
    r"ごみ|ゴミ|塵|回収|収集|廃棄|片付|片づ|かたづ|いらな|要らな|いる|要る|リサイクル|りさいくる)"
)
_PARTICLE = r"(?:って|は|を|の|も|が|とか|ってさ|て何)"
_FRAME_AT = re.compile(rf"\s*{_PARTICLE}\s*{_FRAME_WORD}")
# Frames written straight after the item (「スプレー缶 捨て方」「スプレー缶何ごみ」).
_BARE_FRAME_AT = re.compile(
    r"\s*(?:何ごみ|なにごみ|何ゴミ|なにゴミ|何の?ごみ|捨て方|すてかた|棄て方|出し方|だしかた|分別方法|分別|"
    r"捨てたい|すてたい|処分方法|処分したい|処分|捨てる|出す日)(?:\s|[はをのでにっ?!？！]|$)"
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
    r"こんにちは|千葉市で?は?)[\s、,]*"
)
_MODIFIER = re.compile(
    r"^(?:うちの|家の|いえの|古い|ふるい|古くなった|壊れた|こわれた|割れた|われた|使い終わった|つかいおわった|"
    r"使用済みの|使用済み|使い捨ての|いらない|要らない|いらなくなった|不要な|不要になった|空の|からの|中身が空の|"
    r"汚れた|よごれた|大きい|小さい|昔の|子供の|子どもの)[\s、,]*"
)
_EDGE_PUNCT = "\"'「」『』()（）[]【】?？!！。．.、,，:：;；~〜 \u3000"


@dataclass(frozen=True)
class Phrases:
    exact: list[str]  # to match whole against known names, longest first (「掃除機のごみ」 before 「掃除機」)
    core: str  # the item part of the question: search inside it and embed it


def light_normalize(text: str) -> str:
    """Width/NFKC clean-up that keeps scripts (katakana stays katakana, for the embedding model)."""
    text = neologdn.normalize(unicodedata.normalize("NFKC", text or ""))
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
