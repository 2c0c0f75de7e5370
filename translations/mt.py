"""Machine translation for what is not curated (free text from staff or residents, rare content).

Curated strings (translations/messages, the glossary, knowledge_base i18n files) always come first; this module is
the last resort. Every translator has one method, `translate(text, source, target) -> Translation`, and never
raises for a translation failure. `build_translator()` composes, outside in:

    MTRouter          empty / too long / disabled / same language (IdentityTranslator) answered without an engine
    CachedTranslator  LRU of successful results
    GlossaryTranslator  official Japanese terms kept out of the engine, put back as "Hazardous waste (有害ごみ)"
    GuardedTranslator   refuses empty, looping, untranslated or wrong-script output
    ArgosTranslator     installed Argos packages, direct or through English

`translate_with_fallback()` adds the caller's curated English text when the engine has nothing good.
Engines are blocking (CTranslate2): from aiohttp call them through `loop.run_in_executor`.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import TYPE_CHECKING

from translations.mt_base import Reason, Translation, Translator, normalise_code

if TYPE_CHECKING:
    from settings import MachineTranslationSettings
    from translations.mt_glossary import Glossary

__all__ = [
    "CachedTranslator",
    "IdentityTranslator",
    "MTRouter",
    "Reason",
    "Translation",
    "Translator",
    "build_translator",
    "default_translator",
    "translate",
    "translate_with_fallback",
]

log = logging.getLogger(__name__)


class IdentityTranslator:
    """Same language in and out: the text unchanged."""

    def translate(self, text: str, source: str, target: str) -> Translation:
        if normalise_code(source) != normalise_code(target):
            return Translation.failed("identity", Reason.UNSUPPORTED_LANGUAGE, target)
        return Translation(True, text, "identity", Reason.SAME_LANGUAGE, normalise_code(target))


class CachedTranslator:
    """LRU cache of successful translations around another translator (failures are retried next time)."""

    def __init__(self, inner: Translator, maxsize: int = 1024) -> None:
        self.inner = inner
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._cache: OrderedDict[tuple[str, str, str], Translation] = OrderedDict()
        self._lock = threading.Lock()

    def translate(self, text: str, source: str, target: str) -> Translation:
        key = (text, normalise_code(source), normalise_code(target))
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self.hits += 1
                return cached
            self.misses += 1
        result = self.inner.translate(text, source, target)
        if result.ok and self.maxsize > 0:
            with self._lock:
                self._cache[key] = result
                self._cache.move_to_end(key)
                while len(self._cache) > self.maxsize:
                    self._cache.popitem(last=False)
        return result


class MTRouter:
    """Front door: answers what needs no engine, and turns any unexpected error into a failed result."""

    def __init__(self, engine: Translator, settings: MachineTranslationSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.identity = IdentityTranslator()

    def translate(self, text: str, source: str, target: str) -> Translation:
        if not text.strip():
            return Translation.failed("none", Reason.EMPTY_INPUT, target)
        if normalise_code(source) == normalise_code(target):
            return self.identity.translate(text, source, target)
        if not self.settings.enabled:
            return Translation.failed("none", Reason.DISABLED, target)
        if len(text) > self.settings.max_chars:
            return Translation.failed("none", Reason.TOO_LONG, target)
        try:
            return self.engine.translate(text, source, target)
        except Exception as exc:  # a bug below must not reach the resident as a 500
            log.exception("machine translation crashed: %s>%s (%s)", source, target, type(exc).__name__)
            return Translation.failed("none", Reason.ENGINE_ERROR, target)


def build_translator(settings: MachineTranslationSettings | None = None, glossary: Glossary | None = None) -> MTRouter:
    """The composed translator; `glossary` defaults to the file at MT_GLOSSARY_PATH (a bad file: GlossaryError)."""
    from settings import MachineTranslationSettings
    from translations.mt_argos import ArgosTranslator
    from translations.mt_glossary import Glossary, GlossaryTranslator
    from translations.mt_guard import GuardedTranslator

    settings = settings or MachineTranslationSettings.from_env()
    terms = glossary if glossary is not None else Glossary.load(settings.glossary_path)
    engine: Translator = GlossaryTranslator(GuardedTranslator(ArgosTranslator(settings)), terms)
    if settings.cache_size > 0:
        engine = CachedTranslator(engine, settings.cache_size)
    return MTRouter(engine, settings)


def translate_with_fallback(
    translator: Translator,
    text: str,
    source: str,
    target: str,
    fallback: str | None = None,
    fallback_lang: str = "en",
) -> Translation:
    """`translator`'s result when usable; else the curated `fallback` (in `fallback_lang`); else a failed result."""
    result = translator.translate(text, source, target)
    if result.ok:
        return result
    if fallback and fallback.strip():
        return Translation(True, fallback, "curated", result.reason, normalise_code(fallback_lang))
    return result


@lru_cache(maxsize=1)
def default_translator() -> MTRouter:
    """One translator per process, built from the environment on first use."""
    return build_translator()


def translate(
    text: str, source: str, target: str, fallback: str | None = None, fallback_lang: str = "en"
) -> Translation:
    return translate_with_fallback(default_translator(), text, source, target, fallback, fallback_lang)
