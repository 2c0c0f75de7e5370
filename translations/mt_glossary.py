"""Glossary protection: official Japanese terms never go through the engine.

Before translation each glossary term in Japanese text becomes a placeholder (`[T0]`, `[T1]`, ...); after it, each
placeholder becomes the curated rendering in the target language followed by the official term in parentheses —
"Hazardous waste (有害ごみ)" — so the resident can match it on a bag, sign or form. When the engine drops a
placeholder, the text is translated again unprotected and the rendered terms are listed after it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from translations.mt_base import Reason, Translation, Translator, normalise_code
from translations.mt_guard import PLACEHOLDER_RE

log = logging.getLogger(__name__)

MIN_TERM_CHARS = 2  # a one-character term (缶) would be cut out of longer words (スプレー缶)
_NON_LANG_KEYS = frozenset({"ja", "kind", "reading", "note", "source"})
_KATAKANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


class GlossaryError(ValueError):
    """The glossary file is not a list of entries with a Japanese term."""


def _fold(text: str) -> str:
    """Matching form that keeps every character's position: katakana → hiragana (ゴミ matches ごみ)."""
    return text.translate(_KATAKANA)


def prepare(text: str) -> str:
    """NFKC, as the engine sees it (half-width ｶﾀｶﾅ and full-width ＡＢＣ unified)."""
    return unicodedata.normalize("NFKC", text)


@dataclass(frozen=True)
class Term:
    ja: str
    renderings: Mapping[str, str]

    def render(self, target: str) -> str:
        code = normalise_code(target)
        text = self.renderings.get(code) or self.renderings.get(code.split("-")[0])
        if not text or text == self.ja:
            return self.ja
        return f"{text} ({self.ja})"


@dataclass(frozen=True)
class Protected:
    text: str
    terms: tuple[Term, ...]  # terms[i] is behind placeholder [Ti]


class Glossary:
    def __init__(self, terms: Iterable[Term]) -> None:
        by_key: dict[str, Term] = {}
        for term in terms:
            if len(term.ja) >= MIN_TERM_CHARS:
                by_key.setdefault(_fold(prepare(term.ja)), term)
        self._by_key = by_key
        # longest first, so 粗大ごみ受付センター wins over 粗大ごみ
        keys = sorted(by_key, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, keys))) if keys else None

    def __len__(self) -> int:
        return len(self._by_key)

    @classmethod
    def from_entries(cls, entries: object) -> Glossary:
        if entries is None:
            return cls([])
        if not isinstance(entries, list):
            raise GlossaryError("the glossary must be a list of entries")
        terms = []
        for n, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("ja"), str) or not entry["ja"].strip():
                raise GlossaryError(f"glossary entry {n} has no Japanese term ('ja')")
            renderings = {
                normalise_code(k): v.strip()
                for k, v in entry.items()
                if k not in _NON_LANG_KEYS and isinstance(v, str) and v.strip()
            }
            terms.append(Term(ja=entry["ja"].strip(), renderings=renderings))
        return cls(terms)

    @classmethod
    def load(cls, path: Path) -> Glossary:
        """The city glossary: a folder of YAML files read by translations.glossary (its validation and errors),
        or one YAML file of entries. Empty (nothing protected, logged) when `path` does not exist."""
        if path.is_dir():
            from translations import glossary as city_glossary

            return cls.from_entries(city_glossary.as_entries(path))
        if not path.is_file():
            log.warning("glossary %s not found: no terms are protected from machine translation", path)
            return cls([])
        return cls.from_entries(yaml.safe_load(path.read_text(encoding="utf-8")))

    def protect(self, text: str) -> Protected:
        """`text` (NFKC) with each glossary term replaced by a numbered placeholder."""
        text = prepare(text)
        if self._pattern is None or PLACEHOLDER_RE.search(text):
            # text that already looks like a placeholder would be restored wrongly: leave it alone
            return Protected(text, ())
        terms: list[Term] = []
        index_of: dict[str, int] = {}
        pieces: list[str] = []
        last = 0
        for match in self._pattern.finditer(_fold(text)):
            term = self._by_key[match.group(0)]
            if term.ja not in index_of:
                index_of[term.ja] = len(terms)
                terms.append(term)
            pieces += [text[last : match.start()], f"[T{index_of[term.ja]}]"]
            last = match.end()
        pieces.append(text[last:])
        return Protected("".join(pieces), tuple(terms))

    @staticmethod
    def restore(output: str, protected: Protected, target: str) -> tuple[str, list[Term]]:
        """Placeholders in `output` replaced by rendered terms, and the terms whose placeholder went missing."""
        seen: set[int] = set()

        def put_back(match: re.Match[str]) -> str:
            index = int(match.group(1))
            if index >= len(protected.terms):
                return ""  # a placeholder the engine invented
            seen.add(index)
            return protected.terms[index].render(target)

        text = re.sub(r"[ \t]{2,}", " ", PLACEHOLDER_RE.sub(put_back, output)).strip()
        missing = [term for i, term in enumerate(protected.terms) if i not in seen]
        return text, missing


class GlossaryTranslator:
    """Protects glossary terms in Japanese source text around `inner` (which should be guarded)."""

    def __init__(self, inner: Translator, glossary: Glossary) -> None:
        self.inner = inner
        self.glossary = glossary

    def translate(self, text: str, source: str, target: str) -> Translation:
        if normalise_code(source) != "ja" or normalise_code(target) == "ja":
            return self.inner.translate(text, source, target)
        protected = self.glossary.protect(text)
        if not protected.terms:
            return self.inner.translate(protected.text, source, target)
        result = self.inner.translate(protected.text, source, target)
        if not result.ok:
            return result
        restored, missing = self.glossary.restore(result.text, protected, target)
        if not missing:
            return Translation(True, restored, f"{result.engine}+glossary", Reason.OK, result.lang)

        log.info(
            "mt dropped %d of %d glossary placeholders (%s>%s): retrying unprotected",
            len(missing),
            len(protected.terms),
            source,
            target,
        )
        retry = self.inner.translate(prepare(text), source, target)
        if not retry.ok:
            return Translation.failed(retry.engine, Reason.GLOSSARY_LOST, target)
        # the engine translated the terms its own way: list the official renderings after the text
        listed = " / ".join(term.render(target) for term in protected.terms)
        return Translation(True, f"{retry.text}\n{listed}", f"{retry.engine}+glossary-listed", Reason.OK, retry.lang)
