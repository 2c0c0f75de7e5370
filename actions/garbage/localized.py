"""Garbage data text in the resident's language: curated category and item names and how-tos (translations.content).

Nothing is machine-translated here. Where no curated text exists, the Japanese data text is shown as it is and
labelled as Japanese, so a resident can show it to a neighbour or at the counter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions.common.replies import display
from translations import content
from translations.messages import DEFAULT_LANG, render

if TYPE_CHECKING:
    from knowledge_base.garbage.models import Category, Item

EASY_LANG = "ja-easy"
ENGLISH = "en"


def category_label(category: Category, lang: str) -> str:
    """Display name, e.g. Hazardous waste (有害ごみ); the official term alone in Japanese or when untranslated."""
    if lang == DEFAULT_LANG:
        return category.name
    return content.category_name(category.id, lang) or category.name


def item_label(item: Item, lang: str) -> str:
    """Display name, e.g. spray can (スプレー缶); the Japanese name alone in Japanese or when untranslated."""
    return item.name if lang == DEFAULT_LANG else content.item_name(item.name, lang)


def category_how(category: Category, lang: str) -> str:
    """How to put the category out in `lang`, else the Japanese text labelled as Japanese ("" when there is none)."""
    if lang == DEFAULT_LANG:
        return display(category.how)
    curated = content.category_how(category.id, lang)
    if curated:
        return display(curated)
    return render("in_japanese", lang, text=display(category.how)) if category.how.strip() else ""


def item_how(item: Item, category: Category, lang: str) -> tuple[list[str], str]:
    """Reply lines on how to put the item out, and the how-to text alone (for the card).

    Every language gets the item's own how-to and notes where they are curated (i18n/item_texts), else the curated
    how-to of the category; a text with no curated translation is shown in Japanese, labelled as Japanese, so a
    safety note (a battery's fire risk) is never dropped.
    """
    if lang == DEFAULT_LANG:
        how = display(item.how or category.how)
        lines = [render("item_how", lang, how=how)] if how else []
        if item.notes:
            lines.append(render("item_notes", lang, notes=display(item.notes)))
        return lines, how
    lines: list[str] = []
    untranslated: list[str] = []
    how = ""
    if item.how:
        curated = content.item_text(item.how, lang)
        if curated:
            how = display(curated)
        else:
            untranslated.append(item.how)
    if not how:
        how = display(content.category_how(category.id, lang) or "")
    if how:
        lines.append(render("item_how", lang, how=how))
    if item.notes:
        note = content.item_text(item.notes, lang)
        if note:
            lines.append(render("item_notes", lang, notes=display(note)))
        else:
            untranslated.append(item.notes)
    if not how and not item.how and category.how.strip():
        untranslated.insert(0, category.how)
    japanese = "".join(display(text) for text in untranslated if text.strip())
    if japanese:
        lines.append(render("item_details_ja", lang, text=japanese))
    return lines, how or japanese


def data_text(ja_text: str, lang: str) -> str:
    """A Japanese text of the data in `lang` (i18n/item_texts), else the Japanese labelled as Japanese."""
    if lang == DEFAULT_LANG:
        return display(ja_text)
    curated = content.item_text(ja_text, lang)
    return display(curated) if curated else render("in_japanese", lang, text=display(ja_text))


def plastic_note(item: Item, notice: str | None, lang: str) -> str:
    """The coming プラスチック資源 change (2027-12) for a plastic item, in `lang` ("" for other items)."""
    return data_text(notice, lang) if notice and getattr(item, "plastic", False) else ""
