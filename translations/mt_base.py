"""The machine-translation contract: one typed result and one method, shared by every engine and wrapper."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol, runtime_checkable


class Reason(str, Enum):
    """Why a result is what it is; `OK` for a plain engine success."""

    OK = "ok"
    SAME_LANGUAGE = "same_language"
    EMPTY_INPUT = "empty_input"
    TOO_LONG = "too_long"
    DISABLED = "disabled"
    UNSUPPORTED_LANGUAGE = "unsupported_language"  # e.g. ja-easy: only curated text can be easy Japanese
    NO_PACKAGE = "no_package"  # no installed Argos package, direct or through the pivot language
    ENGINE_ERROR = "engine_error"
    EMPTY_OUTPUT = "empty_output"
    REPETITION = "repetition"
    UNTRANSLATED = "untranslated"
    WRONG_SCRIPT = "wrong_script"
    GLOSSARY_LOST = "glossary_lost"  # the engine dropped a protected term and the unprotected retry failed too


@dataclass(frozen=True)
class Translation:
    """Outcome of one request. Never raised: failures come back with `ok=False` and a `reason`.

    `ok` means `text` may be shown to the resident; `lang` is the language `text` is in (a curated
    English fallback keeps `ok=True` with `lang="en"`, `engine="curated"` and the engine's failure as `reason`).
    """

    ok: bool
    text: str
    engine: str
    reason: Reason
    lang: str

    @classmethod
    def failed(cls, engine: str, reason: Reason, target: str) -> Translation:
        return cls(ok=False, text="", engine=engine, reason=reason, lang=normalise_code(target))


@runtime_checkable
class Translator(Protocol):
    def translate(self, text: str, source: str, target: str) -> Translation: ...


def normalise_code(code: str) -> str:
    """`ZH_cn` → `zh-cn`; aliases are resolved by each engine's own table."""
    return code.strip().lower().replace("_", "-")
