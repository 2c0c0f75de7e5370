"""A button's payload (`/intent{...}`) is answered in the conversation's language, never in the language detection
reads into its JSON (「/ask_garbage_item{"item":"電池"}」 is detected as Indonesian)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from gateway_fakes import FakeBackend, MakeClient

from channels.language import (
    NO_HISTORY,
    LanguageMemory,
    UserLanguage,
    decide_language,
    is_payload,
    payload_language,
)
from translations.detect import detect_language

BATTERY = '/ask_garbage_item{"item":"電池"}'
KOREAN = "전지는 어떻게 버려요?"


async def ask(client: TestClient, text: str, sender: str = "resident-1", **extra: Any) -> str:
    resp = await client.post("/api/chat", json={"sender_id": sender, "text": text, **extra})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["lang"]


@pytest.fixture
def detected() -> list[str]:
    """The texts the language decider was asked about."""
    return []


@pytest.fixture
async def recording_client(make_client: MakeClient, detected: list[str]) -> TestClient:
    def decide(requested: str | None, text: str, user: UserLanguage = NO_HISTORY) -> str:
        detected.append(text)
        return decide_language(requested, text, user)

    return await make_client(decide_language=decide)


def test_the_payload_would_be_detected_as_indonesian() -> None:
    """Why the rule exists: the reported bug, reproduced with the real detector."""
    assert detect_language(BATTERY, "ko") == "id"


@pytest.mark.parametrize("requested", [{"lang": "auto"}, {}])
async def test_a_payload_in_auto_keeps_the_conversations_language(
    recording_client: TestClient, backend: FakeBackend, detected: list[str], requested: dict[str, str]
) -> None:
    # The assistant offers the button first: only offered payloads reach Rasa unchanged (channels/payload_guard.py).
    backend.reply = {"messages": [{"text": "어느 쪽인가요?", "buttons": [{"title": "전지", "payload": BATTERY}]}]}
    assert await ask(recording_client, KOREAN, lang="auto") == "ko"
    backend.reply = None
    assert await ask(recording_client, BATTERY, **requested) == "ko"
    assert backend.received[-1]["message"] == BATTERY
    assert backend.received[-1]["metadata"] == {"lang": "ko", "channel": "web"}
    assert detected == [KOREAN]  # the payload never reached detection


async def test_the_language_sent_with_a_payload_wins(
    recording_client: TestClient, backend: FakeBackend, detected: list[str]
) -> None:
    """The page sends the language of the answer the button came with."""
    assert await ask(recording_client, "What kind of garbage is a spray can?", lang="auto") == "en"
    assert await ask(recording_client, BATTERY, lang="ko") == "ko"
    assert backend.received[-1]["metadata"]["lang"] == "ko"
    assert detected == ["What kind of garbage is a spray can?"]


async def test_a_payloads_language_is_not_remembered_as_a_choice(client: TestClient) -> None:
    assert await ask(client, BATTERY, lang="ko") == "ko"
    # No `lang` now: had the button's code become the choice, this would be answered in Korean.
    assert await ask(client, "¿Cómo tiro un sofá viejo?") == "es"


async def test_a_payload_keeps_the_senders_choice(client: TestClient) -> None:
    assert await ask(client, "sofa", lang="vi") == "vi"
    assert await ask(client, BATTERY) == "vi"
    assert await ask(client, "What kind of garbage is a spray can?") == "vi"  # still the choice


async def test_a_first_payload_without_history_is_answered_in_japanese(client: TestClient) -> None:
    assert await ask(client, BATTERY, lang="auto") == "ja"


async def test_senders_keep_their_own_language_for_payloads(client: TestClient) -> None:
    await ask(client, KOREAN, sender="alice", lang="auto")
    await ask(client, "What kind of garbage is a spray can?", sender="bob", lang="auto")
    assert await ask(client, BATTERY, sender="alice", lang="auto") == "ko"
    assert await ask(client, BATTERY, sender="bob", lang="auto") == "en"


async def test_typed_text_is_still_detected_after_a_payload(client: TestClient) -> None:
    await ask(client, KOREAN, lang="auto")
    await ask(client, BATTERY, lang="ko")
    assert await ask(client, "What kind of garbage is a spray can?", lang="auto") == "en"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BATTERY, True),
        ("/affirm", True),
        ('  /inform_town{"town":"幸町"}', True),
        ("電池はどう捨てる？", False),
        ("1/2 size sofa", False),
        ("", False),
    ],
)
def test_is_payload(text: str, expected: bool) -> None:
    assert is_payload(text) is expected


@pytest.mark.parametrize(
    ("requested", "user", "expected"),
    [
        ("ko", UserLanguage(chosen="vi", last="en"), "ko"),
        ("auto", UserLanguage(chosen=None, last="ko"), "ko"),
        (None, UserLanguage(chosen="vi", last="en"), "vi"),
        (None, UserLanguage(chosen=None, last="tl"), "tl"),
        ("auto", NO_HISTORY, "ja"),
        (None, NO_HISTORY, "ja"),
    ],
)
def test_payload_language(requested: str | None, user: UserLanguage, expected: str) -> None:
    assert payload_language(requested, user) == expected


@pytest.mark.parametrize(
    ("requested", "expected_chosen"),
    [("ko", "vi"), (None, "vi"), ("auto", None)],
)
def test_a_payload_turn_never_sets_the_choice_but_auto_still_clears_it(
    requested: str | None, expected_chosen: str | None
) -> None:
    memory = LanguageMemory()
    memory.remember("s", "vi", "vi")
    assert memory.remember("s", requested, "ko", payload=True) == UserLanguage(chosen=expected_chosen, last="ko")
