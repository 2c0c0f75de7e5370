"""Quality guard: refuse engine output a resident should never see (empty, looping, untranslated, wrong script).

Published Argos ja↔en models sometimes answer with nothing, one word or a loop, so every engine result passes
through `check()` before anything is shown. The checks look at the engine's own output, before glossary terms
(which carry Japanese in parentheses) are put back.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter

from translations.mt_base import Reason, Translation, Translator, normalise_code

log = logging.getLogger(__name__)

# Placeholders the glossary layer puts in: ignored by the checks (see mt_glossary).
PLACEHOLDER_RE = re.compile(r"\[\s*[Tt]\s*(\d{1,3})\s*\]")
# A unit of up to 16 characters repeated 4+ times in a row (spaces collapsed): "話話話話", "b b b b", "x y x y..."
_LOOP_RE = re.compile(r"(.{1,16}?)(?: ?\1){3,}")

# Scripts a target language is written in (Unicode character-name prefixes of its letters).
_LATIN = ("LATIN",)
SCRIPTS: dict[str, tuple[str, ...]] = {
    "ja": ("HIRAGANA", "KATAKANA", "CJK UNIFIED", "CJK COMPATIBILITY"),
    "zh": ("CJK UNIFIED", "CJK COMPATIBILITY"),
    "ko": ("HANGUL",),
    "ne": ("DEVANAGARI",),
    "en": _LATIN,
    "vi": _LATIN,
    "tl": _LATIN,
    "pt": _LATIN,
    "es": _LATIN,
    "id": _LATIN,
    "fr": _LATIN,
    "de": _LATIN,
}
# Share of letters that must be in the target's script. For non-Latin targets Latin letters are not counted
# (LINE, URLs, romanised names are normal in Korean or Chinese text).
MIN_SCRIPT_SHARE = 0.8
MAX_TOKEN_SHARE = 0.5  # one word being more than half of a 6+ word output is a loop, not a sentence


def _letters(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch).startswith("L")]


def _comparable(text: str) -> str:
    """Letters and digits only, NFKC and case-folded: "ありがとう。" and "ありがとう" are the same text."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _has_loop(text: str) -> bool:
    # only units with a letter count: "0000" in a number or "...." is not a loop
    return any(_letters(m.group(1)) for m in _LOOP_RE.finditer(" ".join(text.split())))


def script_share(text: str, target: str) -> float | None:
    """Share of the letters of `text` written in `target`'s script; None when the script is unknown or no letters."""
    prefixes = SCRIPTS.get(normalise_code(target).split("-")[0])
    letters = _letters(text)
    if prefixes is not None and prefixes != _LATIN:
        others = [ch for ch in letters if not unicodedata.name(ch, "").startswith(_LATIN)]
        if letters and not others:
            return 0.0  # Korean asked, English answered
        letters = others
    if prefixes is None or not letters:
        return None
    hits = sum(1 for ch in letters if unicodedata.name(ch, "").startswith(prefixes))
    return hits / len(letters)


def check(source_text: str, output: str, target: str) -> Reason | None:
    """The reason to refuse `output` as a translation of `source_text` into `target`, or None when it may be shown."""
    body = PLACEHOLDER_RE.sub(" ", output)
    source_body = PLACEHOLDER_RE.sub(" ", source_text)
    if not _letters(body) and _letters(source_body):
        return Reason.EMPTY_OUTPUT
    if not output.strip():
        return Reason.EMPTY_OUTPUT
    if _has_loop(body):
        return Reason.REPETITION
    words = body.split()
    if len(words) >= 6 and Counter(w.casefold() for w in words).most_common(1)[0][1] > MAX_TOKEN_SHARE * len(words):
        return Reason.REPETITION
    if _comparable(source_body) and _comparable(body) == _comparable(source_body):
        return Reason.UNTRANSLATED
    share = script_share(body, target)
    if share is not None and share < MIN_SCRIPT_SHARE:
        return Reason.WRONG_SCRIPT
    return None


class GuardedTranslator:
    """Runs `inner` and turns unusable output into a failed result (logged without the text)."""

    def __init__(self, inner: Translator) -> None:
        self.inner = inner

    def translate(self, text: str, source: str, target: str) -> Translation:
        result = self.inner.translate(text, source, target)
        if not result.ok:
            return result
        reason = check(text, result.text, target)
        if reason is None:
            return result
        log.info(
            "mt output refused: engine=%s %s>%s reason=%s chars=%d",
            result.engine,
            source,
            target,
            reason.value,
            len(result.text),
        )
        return Translation.failed(result.engine, reason, target)
