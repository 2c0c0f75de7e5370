"""Which language a chat turn is answered in.

`decide_language` is the seam for automatic detection: translations/ can supply a better decider
(same signature) through `create_app(..., decide_language=...)` without touching the routes.
"""

from __future__ import annotations

from collections.abc import Callable

from channels.errors import UnsupportedLanguage

AUTO = "auto"
DEFAULT_LANG = "ja"
# "ja-easy" is やさしい日本語 (easy Japanese), a reply style rather than a separate language.
SUPPORTED_LANGS: tuple[str, ...] = ("ja", "ja-easy", "en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id")

LanguageDecider = Callable[[str, str], str]


def validate_requested(requested: str) -> str:
    """The requested code in canonical form, or UnsupportedLanguage listing what is supported."""
    code = requested.strip().lower()
    if code == AUTO or code in SUPPORTED_LANGS:
        return code
    raise UnsupportedLanguage(
        f"Unsupported language {requested[:20]!r}. Supported: auto, {', '.join(SUPPORTED_LANGS)}.",
        message_ja=f"対応していない言語です。対応言語: auto, {', '.join(SUPPORTED_LANGS)}",
        supported=[AUTO, *SUPPORTED_LANGS],
    )


def decide_language(requested: str, text: str) -> str:
    """Reply language for one turn; until detection lands, "auto" means Japanese."""
    del text  # used by the detector that replaces this function
    return DEFAULT_LANG if requested == AUTO else requested
