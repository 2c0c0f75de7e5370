"""Greeting, goodbye, thanks and help come back in the resident's language, and help offers working choices."""

from __future__ import annotations

import re
from typing import Any

import pytest

from actions.common.chitchat import ActionGoodbye, ActionGreet, ActionHelp, ActionThank

# A character of the language's own script that must appear in the reply.
SCRIPT = {
    "ja": r"[ぁ-ん]",
    "ja-easy": r"[ぁ-ん]",
    "zh": r"[\u4e00-\u9fff]",
    "ko": r"[\uac00-\ud7a3]",
    "ne": r"[\u0900-\u097f]",
    "en": r"\b(the|hello|you|garbage)\b",
    "vi": r"[ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ]",
    "tl": r"\b(ng|sa|ang|Kumusta|Salamat|Walang)\b",
    "pt": r"\b(você|Obrigado|Olá|De nada|sobre)\b",
    "es": r"\b(Hola|Gracias|usted|sobre|Pregunte)\b",
    "id": r"\b(Halo|Terima|Silakan|Sama-sama|sampah)\b",
}
LANGS = list(SCRIPT)
ACTIONS = [ActionGreet(), ActionGoodbye(), ActionThank(), ActionHelp()]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name())
async def test_reply_is_in_the_residents_language(run: Any, tracker_for: Any, action: Any, lang: str) -> None:
    reply = await run(action, tracker_for("…", intent="greet", lang=lang))
    assert reply.text
    assert re.search(SCRIPT[lang], reply.text, re.IGNORECASE), reply.text
    if lang not in ("ja", "ja-easy"):
        assert not re.search(r"[ぁ-ゟ]{4,}", reply.text.split("(")[0]), "no Japanese sentences for a foreign reader"


@pytest.mark.parametrize("lang", LANGS)
async def test_help_covers_every_domain_with_phones_and_choices(run: Any, tracker_for: Any, lang: str) -> None:
    reply = await run(ActionHelp(), tracker_for("help", intent="help", lang=lang))
    assert "043-204-5380" in reply.text  # the garbage helpline, from the places data
    assert "043-245-4894" in reply.text  # the city's call centre for everything else
    assert "家庭ごみ相談ダイヤル" in reply.text or lang in ("ja-easy",)
    payloads = [b["payload"] for b in reply.buttons]
    garbage = ['/ask_garbage_item{"item": "スプレー缶"}', "/ask_collection_day", "/ask_bulky_waste"]
    assert [p for p in payloads if p in garbage] == garbage
    assert any(p.startswith("/ask_library{") for p in payloads)
    assert any(p.startswith("/ask_foreign_residents{") for p in payloads)
    assert all(b["title"] for b in reply.buttons)


async def test_unknown_language_falls_back_to_japanese(run: Any, tracker_for: Any) -> None:
    reply = await run(ActionGreet(), tracker_for("hi", intent="greet", lang="xx"))
    assert "千葉市AIアシスタント" in reply.text
