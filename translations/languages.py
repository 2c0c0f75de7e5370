"""The reply languages, read from `translations/languages.yaml` (the one place they are listed).

    >>> codes()[:3]
    ('ja', 'ja-easy', 'en')
    >>> resolve("pt-BR"), resolve("zh_TW"), resolve("en-US"), resolve("fr")
    ('pt', 'zh', 'en', None)

`codes()` are the reply languages (with the style ja-easy, やさしい日本語); `detectable()` the ten languages the
detector tells apart. The table is read on first use and kept for the process. Plain Python and PyYAML only: the bot
environment (Python 3.10, Rasa) imports this module too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES_FILE = Path(__file__).resolve().parent / "languages.yaml"
KINDS = frozenset({"language", "style"})  # language: the detector tells it apart; style: a way of writing its base
DIRECTIONS = frozenset({"ltr", "rtl"})
_CODE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")
_SCRIPT = re.compile(r"^[A-Z][a-z]{3}$")  # ISO 15924: Jpan, Latn, Hans, Hang, Deva
_FIELDS = frozenset({"code", "name", "native", "script", "kind", "base", "dir", "tag", "aliases"})


class LanguageTableError(ValueError):
    """languages.yaml is unreadable or inconsistent; the message names the file and the entry."""


class UnknownLanguage(LookupError):
    """A code that is neither a reply language nor one of its aliases."""


@dataclass(frozen=True, slots=True)
class Language:
    code: str
    name: str  # in English
    native: str  # as a language picker shows it
    script: str  # ISO 15924
    kind: str  # "language" or "style"
    base: str  # the language itself, or for a style the language it is a style of
    direction: str  # "ltr" or "rtl"
    tag: str  # BCP 47 tag for HTML lang attributes
    aliases: tuple[str, ...] = ()  # normalised: lower case, "-" between subtags

    @property
    def detectable(self) -> bool:
        return self.kind == "language"


def normalise(code: str) -> str:
    """`" PT_br "` → `"pt-br"`: the form codes and aliases are compared in."""
    return code.strip().lower().replace("_", "-")


def _text(path: Path, where: str, entry: dict[str, Any], key: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise LanguageTableError(f"{path}: {where}: {key!r} must be a non-empty string")
    return value.strip()


def _language(path: Path, n: int, entry: object) -> Language:
    if not isinstance(entry, dict):
        raise LanguageTableError(f"{path}: entry {n} is not a mapping")
    where = f"entry {n} ({entry.get('code', '?')})"
    unknown = sorted(str(key) for key in entry if key not in _FIELDS)
    if unknown:
        raise LanguageTableError(f"{path}: {where}: unknown keys {unknown}")
    code = _text(path, where, entry, "code")
    if not _CODE.match(code):
        raise LanguageTableError(f"{path}: {where}: code {code!r} is not a lower-case language code")
    kind = _text(path, where, entry, "kind")
    if kind not in KINDS:
        raise LanguageTableError(f"{path}: {where}: kind {kind!r} is not one of {sorted(KINDS)}")
    if kind == "style" and "base" not in entry:
        raise LanguageTableError(f"{path}: {where}: a style needs the language it is based on ('base')")
    script = _text(path, where, entry, "script")
    if not _SCRIPT.match(script):
        raise LanguageTableError(f"{path}: {where}: script {script!r} is not an ISO 15924 code such as Latn")
    direction = _text(path, where, entry, "dir")
    if direction not in DIRECTIONS:
        raise LanguageTableError(f"{path}: {where}: dir {direction!r} is not one of {sorted(DIRECTIONS)}")
    aliases = entry.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(alias, str) and alias.strip() for alias in aliases):
        raise LanguageTableError(f"{path}: {where}: 'aliases' must be a list of codes")
    return Language(
        code=code,
        name=_text(path, where, entry, "name"),
        native=_text(path, where, entry, "native"),
        script=script,
        kind=kind,
        base=_text(path, where, entry, "base", code),
        direction=direction,
        tag=_text(path, where, entry, "tag", code),
        aliases=tuple(normalise(alias) for alias in aliases),
    )


def _check(path: Path, table: tuple[Language, ...]) -> None:
    if not table:
        raise LanguageTableError(f"{path}: no languages")
    by_code = {lang.code: lang for lang in table}
    if len(by_code) != len(table):
        raise LanguageTableError(f"{path}: a code is listed twice")
    owner: dict[str, str] = {}
    for lang in table:
        base = by_code.get(lang.base)
        if lang.detectable and lang.base != lang.code:
            raise LanguageTableError(f"{path}: {lang.code}: only a style has a 'base'")
        if not lang.detectable and (base is None or not base.detectable):
            raise LanguageTableError(f"{path}: {lang.code}: base {lang.base!r} is not a language of the table")
        for alias in lang.aliases:
            if alias in by_code:
                raise LanguageTableError(f"{path}: {lang.code}: alias {alias!r} is itself a language code")
            if alias in owner:
                raise LanguageTableError(f"{path}: {lang.code}: alias {alias!r} already belongs to {owner[alias]}")
            owner[alias] = lang.code


@lru_cache(maxsize=4)
def load_table(path: Path = LANGUAGES_FILE) -> tuple[Language, ...]:
    """Every language of a table file, in its order. Raises LanguageTableError naming the file on a bad table."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LanguageTableError(f"{path}: cannot read the languages table: {exc}") from exc
    entries = data.get("languages") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise LanguageTableError(f"{path}: expected a mapping with a list under 'languages'")
    table = tuple(_language(path, n, entry) for n, entry in enumerate(entries))
    _check(path, table)
    return table


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, Language], dict[str, str]]:
    """(language by code, code by alias) of the project's table."""
    table = load_table()
    return {lang.code: lang for lang in table}, {alias: lang.code for lang in table for alias in lang.aliases}


def languages() -> tuple[Language, ...]:
    """Every reply language, in picker order."""
    return load_table()


@lru_cache(maxsize=1)
def codes() -> tuple[str, ...]:
    """Codes of the reply languages, styles included: ja, ja-easy, en, zh, ko, vi, tl, ne, pt, es, id."""
    return tuple(lang.code for lang in languages())


@lru_cache(maxsize=1)
def detectable() -> tuple[str, ...]:
    """Codes of the ten languages the detector tells apart (no styles)."""
    return tuple(lang.code for lang in languages() if lang.detectable)


def resolve(code: object) -> str | None:
    """The reply language a client's code means, or None.

    Case and "_" do not matter; a listed alias wins (pt-BR → pt, fil → tl, easy-ja → ja-easy); otherwise a code with a
    region or script falls back to the part before its first "-" (en-US → en, zh-Hant → zh, ja-easy-x → ja).
    """
    if not isinstance(code, str):
        return None
    by_code, by_alias = _index()
    normal = normalise(code)
    normal = by_alias.get(normal, normal)
    if normal in by_code:
        return normal
    primary = normal.split("-", 1)[0]
    return primary if primary in by_code else None


def get(code: str) -> Language:
    """The language `code` (or an alias of it) resolves to; UnknownLanguage otherwise."""
    resolved = resolve(code)
    if resolved is None:
        raise UnknownLanguage(f"no reply language for {code!r}; the languages are {', '.join(codes())}")
    return _index()[0][resolved]


def script(code: str) -> str:
    """ISO 15924 script of the replies in `code`: Jpan, Latn, Hans, Hang or Deva."""
    return get(code).script


def native_name(code: str) -> str:
    """The language's own name, as a picker shows it: 日本語, 中文（简体）, नेपाली."""
    return get(code).native


def clear_cache() -> None:
    """Forget the table read so far (tests, or a reload after editing languages.yaml)."""
    for cached in (load_table, _index, codes, detectable):
        cached.cache_clear()
