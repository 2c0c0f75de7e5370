"""Rule-based extraction of the item phrase from a resident's question (no morphology needed).

「スプレー缶は何ごみですか？」 -> 「スプレー缶」; 「壊れた傘を捨てたい」 -> 「壊れた傘」, then 「傘」;
"how do I throw away a spray can?" -> "spray can". Works on lightly normalised text (width, NFKC) so that the
phrase keeps its script for the embedding model.
"""

from __future__ import annotations

import re
import unicodedata

import neologdn

# Words that start the question part after the item: 「は何ごみ」「の捨て方」「を出したい」「って燃える？」.
_FRAME_WORD = (
    r"(?:何|なに|なん|どう|どこ|どの|どんな|どれ|どっち|いつ|捨て|棄て|すて|ステ|出し|出す|出せ|出る|だし|だす|だせ|"
    r"分別|ぶんべつ|分け|わけ|処分|しょぶん|処理|燃え|燃や|燃える|燃やせ|もえ|もや|可燃|不燃|資源|粗大|有害|"
    r"ごみ|ゴミ|塵|回収|収集|廃棄|片付|片づ|かたづ|いらな|要らな|いる|要る|リサイクル|りさいくる)"
)
_PARTICLE = r"(?:って|は|を|の|も|が|とか|ってさ|て何)"
_PARTICLE_FRAME = re.compile(rf"^(?P<item>.+?)\s*{_PARTICLE}\s*{_FRAME_WORD}")
# Frames written straight after the item (「スプレー缶 捨て方」「スプレー缶何ごみ」).
_BARE_FRAME = re.compile(
    r"^(?P<item>.+?)\s*(?:何ごみ|なにごみ|何ゴミ|なにゴミ|何の?ごみ|捨て方|すてかた|棄て方|出し方|だしかた|分別方法|分別|"
    r"捨てたい|すてたい|処分方法|処分したい|処分|捨てる|出す日)(?:\s|[はをのでにっ?!？！]|$)"
)
_ENGLISH = re.compile(
    r"^(?:(?:how|where)\s+(?:do|can|should|to)\s+(?:i\s+|we\s+)?(?:throw\s+away|throw\s+out|dispose\s+of|get\s+rid\s+of"
    r"|put\s+out|discard|recycle|throw)|what\s+(?:kind|type)\s+of\s+(?:garbage|trash|waste|rubbish)\s+is"
    r"|which\s+(?:garbage|trash|waste)\s+(?:category\s+)?is|is)\s+(?:an?\s+|the\s+|my\s+|old\s+|used\s+)*(?P<item>.+?)"
    r"(?:\s+(?:burnable|non-burnable|garbage|trash|waste|recyclable))?\s*\??$",
    re.IGNORECASE,
)
# Openers and modifiers that are not part of the item: 「すみません、」「壊れた」「使い終わった」「古い」.
_PREFIX = re.compile(
    r"^(?:すみません|すいません|あの[ー〜]*|えっと|ちょっと|質問です|しつもんです|教えてください|おしえてください|"
    r"こんにちは|千葉市で?は?|うちの|家の|いえの|古い|ふるい|古くなった|壊れた|こわれた|割れた|われた|使い終わった|"
    r"つかいおわった|使用済みの|使用済み|使い捨ての|いらない|要らない|いらなくなった|不要な|不要になった|空の|からの|"
    r"中身が空の|汚れた|よごれた|大きい|小さい|昔の|子供の|子どもの)[\s、,]*"
)
_EDGE_PUNCT = "\"'「」『』()（）[]【】?？!！。．.、,，:：;；~〜 \u3000"


def light_normalize(text: str) -> str:
    """Width/NFKC clean-up that keeps scripts (katakana stays katakana, for the embedding model)."""
    text = neologdn.normalize(unicodedata.normalize("NFKC", text or ""))
    return text.strip(_EDGE_PUNCT)


def _strip_prefixes(phrase: str) -> str:
    previous = None
    while previous != phrase:
        previous = phrase
        phrase = _PREFIX.sub("", phrase).strip(_EDGE_PUNCT)
    return phrase


def item_phrases(text: str) -> list[str]:
    """Candidate item phrases, most specific first: without frame and modifiers, without frame, the whole text."""
    whole = light_normalize(text)
    phrases: list[str] = []
    core = whole
    for pattern in (_ENGLISH, _PARTICLE_FRAME, _BARE_FRAME):
        match = pattern.match(core)
        if match and match["item"].strip(_EDGE_PUNCT):
            core = match["item"].strip(_EDGE_PUNCT)
    for phrase in (_strip_prefixes(core), core, whole):
        if phrase and phrase not in phrases:
            phrases.append(phrase)
    return phrases
