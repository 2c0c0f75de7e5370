"""The city glossary: official Japanese terms and how each reply language renders them.

Terms live in `translations/glossary/*.yaml`, one file per kind of term (categories, offices, documents, ...). Each
file is a list of entries:

    - ja: 有害ごみ                 # the official term residents match on bags, signs and forms
      kind: category               # category | office | document | procedure | item | place | time | other
      en: Hazardous waste          # ... and zh ko vi tl ne pt es id ja-easy, all required and non-empty

A term may appear in one file only. Lookups normalise the Japanese (NFKC, katakana → hiragana), so ゴミ, ごみ and
half-width ｺﾞﾐ find the same term; the official spelling is what comes back. Files are read once per process.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from translations import languages

GLOSSARY_DIR = Path(__file__).resolve().parent / "glossary"
# Every entry renders the term in all of these: each reply language but Japanese (the term itself), styles last
# (en … id, ja-easy). Read from translations/languages.yaml on first access (module __getattr__), not at import time.
LANGUAGES: tuple[str, ...]
KINDS = frozenset({"category", "office", "document", "procedure", "item", "place", "time", "other"})
# Keys an entry may carry besides the languages (documentation for reviewers; never rendered).
_EXTRA_KEYS = frozenset({"ja", "kind", "reading", "note", "source"})
# A one-character term (缶, 葉) would be cut out of longer words (スプレー缶, 言葉): terms_in skips them.
MIN_TERM_CHARS = 2
_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


@lru_cache(maxsize=1)
def _rendered() -> tuple[str, ...]:
    others = [lang for lang in languages.languages() if lang.code != "ja"]
    return tuple(lang.code for lang in sorted(others, key=lambda lang: not lang.detectable))  # stable: table order


def __getattr__(name: str) -> object:
    if name == "LANGUAGES":
        return _rendered()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class GlossaryError(ValueError):
    """A glossary file is unreadable or malformed; `path` names the file."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class DuplicateTermError(GlossaryError):
    """The same Japanese term (after normalisation) is defined twice."""


class MissingRenderingError(GlossaryError):
    """An entry lacks a rendering, or has an empty one, for a required language."""


@dataclass(frozen=True)
class GlossaryTerm:
    ja: str
    kind: str
    renderings: Mapping[str, str] = field(repr=False)
    path: Path = field(repr=False, compare=False)

    def get(self, lang: str) -> str | None:
        """The rendering in `lang` (ja gives the term itself), or None for a language the glossary lacks."""
        code = languages.resolve(lang)
        if code == "ja":
            return self.ja
        return self.renderings.get(code) if code else None


def match_key(text: str) -> str:
    """The form terms are matched in: NFKC, katakana folded to hiragana (same length as the NFKC text)."""
    return unicodedata.normalize("NFKC", text).translate(_KATAKANA_TO_HIRAGANA)


def _read(path: Path) -> list[Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise GlossaryError(path, f"cannot read the glossary file: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise GlossaryError(path, "a glossary file must be a list of entries")
    return data


def _term(path: Path, n: int, entry: object) -> GlossaryTerm:
    if not isinstance(entry, dict) or not isinstance(entry.get("ja"), str) or not entry["ja"].strip():
        raise GlossaryError(path, f"entry {n} has no Japanese term ('ja')")
    ja = entry["ja"].strip()
    rendered = _rendered()
    unknown = sorted(str(key) for key in entry if key not in _EXTRA_KEYS and key not in rendered)
    if unknown:
        raise GlossaryError(path, f"{ja}: unknown keys {unknown} (languages are {', '.join(rendered)})")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise GlossaryError(path, f"{ja}: kind {kind!r} is not one of {sorted(KINDS)}")
    renderings = {lang: entry.get(lang) for lang in rendered}
    missing = [lang for lang, text in renderings.items() if not isinstance(text, str) or not text.strip()]
    if missing:
        raise MissingRenderingError(path, f"{ja}: no rendering in {', '.join(missing)}")
    return GlossaryTerm(ja, kind, MappingProxyType({k: v.strip() for k, v in renderings.items()}), path)


@lru_cache(maxsize=8)
def _load(directory: Path) -> Mapping[str, GlossaryTerm]:
    """Terms by match key, from every *.yaml file of `directory` (sorted, so errors are reproducible)."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise GlossaryError(directory, "no glossary files (*.yaml) found")
    terms: dict[str, GlossaryTerm] = {}
    for path in files:
        for n, entry in enumerate(_read(path)):
            term = _term(path, n, entry)
            key = match_key(term.ja)
            if key in terms:
                first = terms[key]
                raise DuplicateTermError(path, f"{term.ja} is already defined as {first.ja} in {first.path.name}")
            terms[key] = term
    return MappingProxyType(terms)


@lru_cache(maxsize=8)
def _pattern(directory: Path) -> re.Pattern[str] | None:
    keys = [key for key in _load(directory) if len(key) >= MIN_TERM_CHARS]
    # longest first, so 粗大ごみ受付センター wins over 粗大ごみ at the same position
    keys.sort(key=len, reverse=True)
    return re.compile("|".join(map(re.escape, keys))) if keys else None


def load_glossary(directory: Path = GLOSSARY_DIR) -> dict[str, GlossaryTerm]:
    """Every term keyed by its official Japanese spelling. Raises GlossaryError (naming the file) on a bad file."""
    return {term.ja: term for term in _load(directory).values()}


def clear_cache() -> None:
    """Forget the files read so far (tests, or a reload after editing the glossary)."""
    _load.cache_clear()
    _pattern.cache_clear()


def lookup(ja: str, directory: Path = GLOSSARY_DIR) -> GlossaryTerm | None:
    """The term spelled `ja` (katakana/hiragana and full/half-width variants included), or None."""
    return _load(directory).get(match_key(ja.strip())) if isinstance(ja, str) else None


def term(ja: str, lang: str, directory: Path = GLOSSARY_DIR) -> str | None:
    """The rendering of the Japanese term `ja` in `lang`; None if either is unknown to the glossary."""
    found = lookup(ja, directory)
    return found.get(lang) if found else None


def terms_in(text_ja: str, directory: Path = GLOSSARY_DIR) -> list[GlossaryTerm]:
    """Glossary terms occurring in a Japanese text, longest first, each once.

    Matches do not overlap: scanning left to right, the longest term starting at a position wins, so
    「粗大ごみ受付センター」 yields that office and not 粗大ごみ as well. Terms of one character are not matched.
    """
    pattern = _pattern(directory)
    if pattern is None or not isinstance(text_ja, str) or not text_ja:
        return []
    terms = _load(directory)
    found: dict[str, tuple[int, GlossaryTerm]] = {}
    for match in pattern.finditer(match_key(text_ja)):
        found.setdefault(match.group(0), (match.start(), terms[match.group(0)]))
    ordered = sorted(found.values(), key=lambda item: (-len(item[1].ja), item[0]))
    return [found_term for _, found_term in ordered]


def as_entries(directory: Path = GLOSSARY_DIR) -> list[dict[str, str]]:
    """The glossary as plain entries ({ja, kind, <lang>: text}), the shape `mt_glossary.Glossary.from_entries` reads."""
    return [{"ja": t.ja, "kind": t.kind, **t.renderings} for t in _load(directory).values()]
