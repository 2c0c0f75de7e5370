"""The LINE channel's own short UI strings, per reply language (answers themselves come from Rasa).

The strings live in the shared UI catalogue (`translations/ui/<lang>.yml`, keys `line.*` and `common.*`); the
language menu comes from `translations/languages.yaml`. A missing language falls back to English, then Japanese;
`ja-easy` is やさしい日本語.
"""

from __future__ import annotations

from translations import languages
from translations.ui import ui_text

# (code, label on the language menu) and the codes alone; LINE quick-reply labels hold at most 20 characters.
# Read from the languages table on first access (module __getattr__ below), not at import time.
LANGUAGES: tuple[tuple[str, str], ...]
LANG_CODES: frozenset[str]

# The keys this channel has always used → keys of the shared catalogue.
CATALOGUE_KEYS = {
    "non_text": "line.photo_not_supported",
    "choose_language": "line.choose_language",
    "language_set": "line.language_set",
    "welcome": "line.welcome",
    "unavailable": "common.unavailable",
    "card_how": "line.card_how",  # labels on the garbage-item card
    "card_next": "line.card_next",
    "card_source": "line.card_source",
}


def __getattr__(name: str) -> object:
    if name == "LANGUAGES":
        return tuple((lang.code, lang.native) for lang in languages.languages())
    if name == "LANG_CODES":
        return frozenset(languages.codes())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def text(key: str, lang: str) -> str:
    """The string `key` (one of the keys above) in `lang`, else English, else Japanese; KeyError for another key."""
    return ui_text(CATALOGUE_KEYS[key], lang)
