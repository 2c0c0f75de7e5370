"""Every item-specific how-to and note reaches a resident in their language (i18n/item_texts/*.yaml).

Before, non-Japanese answers showed these texts "(in Japanese)": a battery's fire risk or 「危険」 marking was lost on
a resident who cannot read Japanese. Every item of the merged data (curated items and the city's 分別事典) and the
announced plastic change must have a curated text in each of the nine other languages, in the right script.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from knowledge_base.garbage.models import Knowledge, load_knowledge
from settings import KnowledgeBaseSettings
from translations.content import Content

LANGS = ("en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id")
_DANGER_MARK = re.compile(r"[｢「]危険[」｣]")  # the word to write on the bag, not 火災の危険 (a fire risk)
_PHONE = re.compile(r"0\d{1,3}-\d{2,4}-\d{4}")
_SCRIPT = {
    "ko": re.compile(r"[\uac00-\ud7af]"),
    "ne": re.compile(r"[\u0900-\u097f]"),
    "zh": re.compile(r"[\u4e00-\u9fff]"),
}


@cache
def _knowledge() -> Knowledge:
    return load_knowledge(KnowledgeBaseSettings.from_env().data_dir)


@cache
def _content() -> Content:
    return Content(Path(KnowledgeBaseSettings.from_env().data_dir))


def _texts() -> list[str]:
    knowledge = _knowledge()
    texts = {text for item in knowledge.items for text in (item.how, item.notes) if text and text.strip()}
    if knowledge.plastic is not None:
        texts.add(knowledge.plastic.change)
    return sorted(texts)


@pytest.mark.parametrize("lang", LANGS)
def test_every_item_text_is_curated_in_the_language(lang: str) -> None:
    missing = [text for text in _texts() if not _content().item_text(text, lang)]
    assert not missing, f"{len(missing)} texts have no {lang} translation, e.g. {missing[:3]}"


@pytest.mark.parametrize("lang", LANGS)
def test_phone_numbers_and_danger_marks_survive_translation(lang: str) -> None:
    """A translated note that drops the number to call or the 「危険」 marking is a wrong answer."""
    problems = []
    for text in _texts():
        translated = _content().item_text(text, lang) or ""
        for phone in _PHONE.findall(text):
            if phone not in translated:
                problems.append((text[:30], phone))
        if _DANGER_MARK.search(text) and "危険" not in translated:
            problems.append((text[:30], "危険"))
        script = _SCRIPT.get(lang)
        if script and not script.search(translated):
            problems.append((text[:30], "script"))
    assert not problems, problems[:5]


def test_a_text_without_translation_is_not_invented() -> None:
    assert _content().item_text("この文はどこにもありません", "en") is None
    assert _content().item_text("この文はどこにもありません", "ja") == "この文はどこにもありません"
