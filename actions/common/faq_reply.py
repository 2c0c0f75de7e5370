"""Turning a FAQ entry of the knowledge base into a reply (shared by the bulky-waste and FAQ actions)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions.common.localized import faq_answer
from translations.messages import render

if TYPE_CHECKING:
    from knowledge_base.garbage.models import FaqEntry


def faq_text(entry: FaqEntry, lang: str, phone_key: str = "faq_phone", fallback_phone: str | None = None) -> str:
    """The answer in `lang`, its phone number unless the answer already gives it, a caution when it is uncertain,
    a note that the steps are general guidance when they are."""
    answer = faq_answer(entry, lang)
    lines = [answer]
    if entry.phone and entry.phone not in answer:
        lines.append(render(phone_key, lang, phone=entry.phone))
    if entry.certainty == "uncertain" and (entry.phone or fallback_phone):
        lines.append(render("faq_uncertain", lang, phone=entry.phone or fallback_phone))
    elif entry.certainty == "general":
        lines.append(render("faq_general", lang))
    return "\n".join(lines)
