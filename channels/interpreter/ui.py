"""The words of the resident's half of the interpreter page (ui.yaml), per resident language."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

UI_FILE = Path(__file__).resolve().with_name("ui.yaml")
FALLBACK = "en"


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, str]]:
    data: Any = yaml.safe_load(UI_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get(FALLBACK), dict):
        raise ValueError(f"{UI_FILE.name}: expected a mapping of languages with {FALLBACK!r}")
    return {str(code): {str(k): str(v) for k, v in entry.items()} for code, entry in data.items()}


def resident_words(lang: str) -> MappingProxyType[str, str]:
    """Every key of the English words, in `lang` where curated (a missing key falls back to English)."""
    table = _table()
    return MappingProxyType({**table[FALLBACK], **table.get(lang, {})})
