"""UI strings shared by the web chat, LINE and later the interpreter page: `translations/ui/<lang>.yml`.

One flat file per reply language maps keys to text: `common.*` for every channel, `web.*` for the web chat page,
`line.*` for LINE. `{name}` placeholders are filled by `ui_text(..., name=...)` or, for the web page, by chat.js. A
key missing from a language falls back to English, then Japanese, so a string can be added one language at a time.
Files are read on first use and cached per process. Plain Python and PyYAML only (the bot environment imports it).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import yaml

from translations import languages

UI_DIR = Path(__file__).resolve().parent / "ui"
FALLBACK_LANGS = ("en", "ja")  # after the requested language, in this order


class UiError(Exception):
    """Base class for UI-catalogue problems."""


class UnknownUiKey(UiError, KeyError):
    """The key is in neither the requested language nor its fallbacks."""


class MissingUiValue(UiError, KeyError):
    """A string needs a value that the caller did not pass."""


class BadUiFile(UiError, ValueError):
    """A UI file is unreadable or not a mapping of keys to strings."""


@lru_cache(maxsize=16)
def _read(code: str) -> Mapping[str, str]:
    path = UI_DIR / f"{code}.yml"  # code comes from languages.yaml, never from a request
    if not path.is_file():
        return MappingProxyType({})
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BadUiFile(f"{path}: cannot read the UI strings: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise BadUiFile(f"{path}: expected a mapping of UI keys to strings")
    return MappingProxyType(data)


@lru_cache(maxsize=16)
def _merged(code: str | None) -> Mapping[str, str]:
    chain = list(dict.fromkeys(c for c in (code, *FALLBACK_LANGS) if c))
    merged: dict[str, str] = {}
    for fallback in reversed(chain):  # Japanese first, so the requested language wins
        merged.update(_read(fallback))
    return MappingProxyType(merged)


def ui_strings(lang: str) -> dict[str, str]:
    """Every UI string in `lang` (aliases such as pt-BR resolved), missing keys filled from English, then Japanese.

    A language that is not a reply language gets English (then Japanese), as LINE shows it to such a user.
    """
    return dict(_merged(languages.resolve(lang)))


def ui_text(key: str, lang: str, **values: object) -> str:
    """The string `key` in `lang` (with the fallbacks of `ui_strings`); `values` fill its {placeholders}."""
    text = _merged(languages.resolve(lang)).get(key)
    if text is None:
        raise UnknownUiKey(f"no UI string {key!r} in {lang!r} or {', '.join(FALLBACK_LANGS)}")
    if not values:
        return text
    try:
        return text.format_map(values)
    except KeyError as exc:
        raise MissingUiValue(f"UI string {key!r} ({lang}) needs a value for {exc.args[0]!r}") from exc


def clear_cache() -> None:
    """Forget the files read so far (tests, or a reload after editing a UI file)."""
    _read.cache_clear()
    _merged.cache_clear()
