"""Curated reply templates: one folder per language, one file per domain (`translations/messages/<lang>/<domain>.yml`,
plus `common.yml` for what every domain shares).

A language's catalogue is the union of its files (a key defined twice is an error). It maps keys to `str.format`
templates. A key missing from a language falls back to Japanese, so a new language can be added one template at a
time. Catalogues are read on first use and cached per process.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from translations import languages

DEFAULT_LANG = "ja"
# Reply languages with a catalogue (translations/languages.yaml); ja-easy is やさしい日本語. Read from the table
# on first access through the module's __getattr__ below, not at import time.
LANGUAGES: tuple[str, ...]
MESSAGES_DIR = Path(__file__).resolve().parent / "messages"
# Language codes come from request metadata: only plain codes (ja, en, zh, ja-easy, pt-br) may name a file.
_LANG_CODE = re.compile(r"^[a-z]{2,3}(?:[-_][a-z0-9]{2,8})?$")


class MessageError(Exception):
    """Base class for catalogue problems."""


class UnknownMessageKey(MessageError, KeyError):
    """The key is in neither the requested language nor Japanese."""


class MissingPlaceholder(MessageError, KeyError):
    """A template needs a value that the caller did not pass."""


class BadCatalogue(MessageError, ValueError):
    """A catalogue file is not a mapping of keys to strings."""


def _catalogue_dir(lang: str) -> Path | None:
    code = lang.strip().lower().replace("_", "-")
    if not _LANG_CODE.match(code):
        return None
    folder = MESSAGES_DIR / code
    return folder if folder.is_dir() else None


@lru_cache(maxsize=32)
def catalogue(lang: str) -> dict[str, str]:
    """All templates of one language ({} when the language has no catalogue)."""
    folder = _catalogue_dir(lang)
    if folder is None:
        return {}
    merged: dict[str, str] = {}
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise BadCatalogue(f"{path}: expected a mapping of message keys to strings")
        twice = sorted(set(merged) & set(data))
        if twice:
            raise BadCatalogue(f"{path}: keys already defined in another file of {folder.name}/: {', '.join(twice)}")
        merged.update(data)
    return merged


def __getattr__(name: str) -> object:
    if name == "LANGUAGES":
        return languages.codes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def reply_language(lang: object) -> str:
    """The supported reply language for a metadata value: "EN" -> en, "pt-BR" -> pt, "fil" -> tl; else Japanese."""
    return languages.resolve(lang) or DEFAULT_LANG


def has_language(lang: str) -> bool:
    return _catalogue_dir(lang) is not None


def template(key: str, lang: str = DEFAULT_LANG) -> str:
    """The raw template of `key` in `lang`, else in Japanese."""
    for code in (lang, DEFAULT_LANG):
        text = catalogue(code).get(key)
        if text is not None:
            return text
    raise UnknownMessageKey(f"no message {key!r} in {lang!r} or {DEFAULT_LANG!r}")


def render(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """Fill the template of `key` in `lang` (falling back to Japanese) with `values`."""
    text = template(key, lang)
    try:
        return text.format_map(values)
    except KeyError as exc:
        raise MissingPlaceholder(f"message {key!r} ({lang}) needs a value for {exc.args[0]!r}") from exc
