"""Curated multilingual garbage content for the replies: category names and how-tos, FAQ answers, item names.

Read from (every file and entry is optional: a missing one means "no curated text", never an error):
- knowledge_base/data/garbage/i18n/<lang>.yaml — categories.<id>.{name, how} and faq.<id>.answer per language
- knowledge_base/data/garbage/i18n/item_names.yaml — {日本語の品目名: {lang: [display name, synonyms...]}}, over
  i18n/jiten_names/*.yaml (the same for the names of the city's 分別事典)
- knowledge_base/data/garbage/i18n/item_texts/*.yaml — {an item's Japanese how-to or note: {lang: text}}
- translations/glossary.py `term(ja, lang)` — category names the i18n file lacks
- knowledge_base/data/garbage/{categories,faq}.yaml — the official Japanese text (and categories' name_en)
Nothing is machine-translated here. Names come back with the official Japanese term in parentheses, because that
is what residents must match on bags, signs and forms: "Hazardous waste (有害ごみ)".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from translations.messages import DEFAULT_LANG, LANGUAGES, render, reply_language

logger = logging.getLogger(__name__)

# Readings that easy-Japanese text puts after kanji: 有害（ゆうがい）ごみ.
_READING = re.compile(r"[（(][\u3041-\u309f\u30fc]+[）)]")
Glossary = Callable[[str, str], "str | None"]


def _read_yaml(path: Path) -> Any:
    """The parsed file, or None when it is missing or unreadable (logged: curated content is optional)."""
    if not path.is_file():
        return None
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        logger.warning("ignoring unreadable curated content %s: %s", path, exc)
        return None


def _text(value: Any) -> str | None:
    """A non-empty string (a name list gives its first entry, the display name), else None."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, (str, int, float)) and str(value).strip():
        return str(value).strip()
    return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _glossary_term(ja: str, lang: str) -> str | None:
    """The city glossary's rendering of a Japanese term (None while the glossary module does not exist)."""
    try:
        from translations import glossary
    except ImportError:
        return None
    return glossary.term(ja, lang)


class Content:
    """Curated content of one data folder; files are read on first use and kept (call `clear` to reread)."""

    def __init__(self, data_dir: Path, glossary: Glossary | None = _glossary_term) -> None:
        self.garbage_dir = data_dir / "garbage"
        self.i18n_dir = self.garbage_dir / "i18n"
        self._glossary = glossary
        self._cache: dict[str, Any] = {}

    def clear(self) -> None:
        self._cache.clear()

    def _cached(self, key: str, load: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = load()
        return self._cache[key]

    # ---- files ------------------------------------------------------------------------------------------------

    def _i18n(self, lang: str) -> dict[str, Any]:
        """The curated file of a supported non-Japanese language ({} for ja, unknown codes or a missing file)."""
        if lang not in LANGUAGES or lang == DEFAULT_LANG:
            return {}
        return self._cached(f"i18n:{lang}", lambda: _mapping(_read_yaml(self.i18n_dir / f"{lang}.yaml")))

    def _entry(self, lang: str, section: str, entry_id: str) -> dict[str, Any]:
        return _mapping(_mapping(self._i18n(lang).get(section)).get(entry_id))

    def _by_id(self, name: str) -> dict[str, dict[str, Any]]:
        """categories.yaml / faq.yaml as {id: entry}."""

        def load() -> dict[str, dict[str, Any]]:
            data = _read_yaml(self.garbage_dir / f"{name}.yaml")
            entries = data if isinstance(data, list) else []
            return {str(e["id"]): e for e in entries if isinstance(e, dict) and e.get("id")}

        return self._cached(name, load)

    def _item_names(self) -> dict[str, dict[str, Any]]:
        """Curated names (item_names.yaml) over the names of the dictionary's entries (jiten_names/*.yaml)."""

        def load() -> dict[str, dict[str, Any]]:
            names: dict[str, dict[str, Any]] = {}
            for path in (*sorted((self.i18n_dir / "jiten_names").glob("*.yaml")), self.i18n_dir / "item_names.yaml"):
                data = _mapping(_read_yaml(path))
                # Keys as the dictionary prints them (a line break, a trailing space): the items' names have none.
                names.update({"".join(str(name).split()): _mapping(per_lang) for name, per_lang in data.items()})
            return names

        return self._cached("item_names", load)

    def _item_texts(self) -> dict[str, dict[str, Any]]:
        """{Japanese how-to or note as in the data: {lang: text}} from i18n/item_texts/*.yaml."""

        def load() -> dict[str, dict[str, Any]]:
            texts: dict[str, dict[str, Any]] = {}
            for path in sorted((self.i18n_dir / "item_texts").glob("*.yaml")):
                data = _mapping(_read_yaml(path))
                texts.update({str(ja).strip(): _mapping(per_lang) for ja, per_lang in data.items()})
            return texts

        return self._cached("item_texts", load)

    def _glossary_term(self, ja: str, lang: str) -> str | None:
        if self._glossary is None:
            return None
        try:
            return _text(self._glossary(ja, lang))
        except Exception:  # a broken glossary must cost the translation, not the answer
            logger.exception("glossary lookup failed for %r (%s)", ja, lang)
            return None

    # ---- categories -------------------------------------------------------------------------------------------

    def official_name(self, category_id: str) -> str | None:
        """The official Japanese term, e.g. 有害ごみ."""
        return _text(self._by_id("categories").get(category_id, {}).get("name"))

    def category_term(self, category_id: str, lang: str) -> str | None:
        """The curated translated term alone (Hazardous waste); None for Japanese or when nothing is curated."""
        lang = reply_language(lang)
        official = self.official_name(category_id)
        if lang == DEFAULT_LANG or official is None:
            return None
        term = _text(self._entry(lang, "categories", category_id).get("name"))
        if term is None:
            term = self._glossary_term(official, lang)
        if term is None and lang == "en":
            term = _text(self._by_id("categories")[category_id].get("name_en"))
        return term if term != official else None

    def category_name(self, category_id: str, lang: str) -> str | None:
        """Display name: "Hazardous waste (有害ごみ)"; the official term alone when untranslated; None if unknown."""
        official = self.official_name(category_id)
        if official is None:
            return None
        return with_official(self.category_term(category_id, lang), official, reply_language(lang))

    def category_how(self, category_id: str, lang: str) -> str | None:
        """How to put the category out, in `lang` (Japanese: the data's own text); None when not curated."""
        lang = reply_language(lang)
        if lang == DEFAULT_LANG:
            return _text(self._by_id("categories").get(category_id, {}).get("how"))
        return _text(self._entry(lang, "categories", category_id).get("how"))

    # ---- FAQ and items ----------------------------------------------------------------------------------------

    def faq_answer(self, faq_id: str, lang: str) -> str | None:
        """The answer of a faq.yaml entry in `lang` (Japanese: the data's own text); None when not curated."""
        lang = reply_language(lang)
        if lang == DEFAULT_LANG:
            return _text(self._by_id("faq").get(faq_id, {}).get("answer"))
        return _text(self._entry(lang, "faq", faq_id).get("answer"))

    def item_term(self, ja_name: str, lang: str) -> str | None:
        """The curated display name of an item in `lang` (spray can), or None."""
        lang = reply_language(lang)
        if lang == DEFAULT_LANG:
            return None
        term = _text(self._item_names().get("".join(ja_name.split()), {}).get(lang))
        return term if term != ja_name else None

    def item_name(self, ja_name: str, lang: str) -> str:
        """Display name: "spray can (スプレー缶)"; the Japanese name alone when there is no curated name."""
        return with_official(self.item_term(ja_name, lang), ja_name, reply_language(lang))

    def item_text(self, ja_text: str, lang: str) -> str | None:
        """An item's how-to or note in `lang` (Japanese: the text itself); None when not curated."""
        lang = reply_language(lang)
        if lang == DEFAULT_LANG:
            return ja_text
        return _text(self._item_texts().get(ja_text.strip(), {}).get(lang))


def with_official(term: str | None, official: str, lang: str) -> str:
    """「term (official)」 in the language's style; the official term alone when there is no translation."""
    if not term:
        return official
    if official in term or official in _READING.sub("", term):  # already named: 有害（ゆうがい）ごみ
        return term
    return render("term_with_official", lang, name=term, official=official)


@lru_cache(maxsize=1)
def default_content() -> Content:
    """The process-wide content of the configured data folder (CHIBA_DATA_DIR)."""
    from settings import KnowledgeBaseSettings

    return Content(KnowledgeBaseSettings.from_env().data_dir)


def clear_cache() -> None:
    """Forget the loaded files and the data folder (tests; a changed CHIBA_DATA_DIR)."""
    default_content.cache_clear()


def category_name(category_id: str, lang: str) -> str | None:
    return default_content().category_name(category_id, lang)


def category_how(category_id: str, lang: str) -> str | None:
    return default_content().category_how(category_id, lang)


def faq_answer(faq_id: str, lang: str) -> str | None:
    return default_content().faq_answer(faq_id, lang)


def item_name(ja_name: str, lang: str) -> str:
    return default_content().item_name(ja_name, lang)


def item_text(ja_text: str, lang: str) -> str | None:
    return default_content().item_text(ja_text, lang)


def glossary_term(ja: str, lang: str) -> str | None:
    """The city glossary's rendering of a Japanese term in `lang`, or None."""
    return default_content()._glossary_term(ja, lang)
