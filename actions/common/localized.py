"""FAQ answers in the resident's language, from the curated text each entry carries (i18n files of its domain).

Nothing is machine-translated here. Where no curated text exists, the Japanese data text is shown as it is and
labelled as Japanese, so a resident can show it to a neighbour or at the counter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions.common.replies import display
from translations.messages import DEFAULT_LANG, render

if TYPE_CHECKING:
    from knowledge_base.core.faq import FaqEntry

EASY_LANG = "ja-easy"
ENGLISH = "en"


def faq_answer(entry: FaqEntry, lang: str) -> str:
    """The curated answer in `lang`; else the English one with a note (not for easy Japanese); else the Japanese."""
    if lang == DEFAULT_LANG:
        return display(entry.answer)
    curated = entry.answer_in(lang)
    if curated:
        return display(curated)
    if lang != EASY_LANG:
        english = entry.answer_in(ENGLISH)
        if english:
            return render("faq_in_english", lang, text=display(english))
    return render("faq_in_japanese", lang, text=display(entry.answer))
