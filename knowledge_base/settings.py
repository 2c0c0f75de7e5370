"""Every knowledge-base setting: one environment variable each, with a typed default, read in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {value!r}") from exc


@dataclass(frozen=True)
class Settings:
    data_dir: Path  # CHIBA_DATA_DIR: the data files (garbage/, collection_days/)
    index_dir: Path  # CHIBA_INDEX_DIR: FAISS indexes + meta.json
    item_threshold: float  # CHIBA_ITEM_THRESHOLD: below this cosine an item lookup is "not_found"
    item_margin: float  # CHIBA_ITEM_MARGIN: candidates within this of the best make the lookup "ambiguous"
    faq_threshold: float  # CHIBA_FAQ_THRESHOLD: below this cosine search_faq returns None (kana/kanji text)
    # CHIBA_FAQ_THRESHOLD_OTHER: the same for text without kana/kanji (en, ko, vi...): cross-lingual cosines run lower
    faq_threshold_other: float = 0.84
    # CHIBA_FAQ_CONFIDENT: question-and-answer domains (library, foreign residents) answer when the classifier gives
    # the best entry at least this probability (5-fold CV on the training questions: 2.7% wrong at 0.5)
    faq_confident: float = 0.5
    # CHIBA_FAQ_UNSURE: from this probability up to faq_confident, the entry is offered as a candidate button
    faq_unsure: float = 0.15

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            data_dir=_path("CHIBA_DATA_DIR", _ROOT / "knowledge_base" / "data"),
            index_dir=_path("CHIBA_INDEX_DIR", _ROOT / "var" / "index"),
            item_threshold=_float("CHIBA_ITEM_THRESHOLD", 0.895),
            item_margin=_float("CHIBA_ITEM_MARGIN", 0.01),
            faq_threshold=_float("CHIBA_FAQ_THRESHOLD", 0.91),
            faq_threshold_other=_float("CHIBA_FAQ_THRESHOLD_OTHER", 0.84),
            faq_confident=_float("CHIBA_FAQ_CONFIDENT", 0.5),
            faq_unsure=_float("CHIBA_FAQ_UNSURE", 0.15),
        )
