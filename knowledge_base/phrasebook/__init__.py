"""The counter phrasebook of the desk-tablet interpreter: curated phrases in every reply language, and their search.

    book = load_phrasebook(KnowledgeBaseSettings.from_env().data_dir)   # reads data/phrasebook/phrases.yaml
    book.search("ざいりゅうかーど", "ja")        # staff type Japanese; residents type their language
    book.get("directions_in_building_go_to_window").render("vi", window=5)

Nothing is read at import time; the search index of a language is built on its first search.
"""

from knowledge_base.phrasebook.models import (
    PHRASEBOOK_FILE,
    SLOT_KINDS,
    SPEAKERS,
    BadSlotValue,
    LanguageFormat,
    MissingSlot,
    Phrase,
    Phrasebook,
    PhrasebookError,
    SlotError,
    Topic,
    UnknownPhrase,
    UnknownSlot,
    UnknownTopic,
    load_phrasebook,
)
from knowledge_base.phrasebook.search import Hit

__all__ = [
    "PHRASEBOOK_FILE",
    "SLOT_KINDS",
    "SPEAKERS",
    "BadSlotValue",
    "Hit",
    "LanguageFormat",
    "MissingSlot",
    "Phrase",
    "Phrasebook",
    "PhrasebookError",
    "SlotError",
    "Topic",
    "UnknownPhrase",
    "UnknownSlot",
    "UnknownTopic",
    "load_phrasebook",
]
