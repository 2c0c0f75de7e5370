"""Which language a resident is answered in: their choice, remembered per sender, else detection per message."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from gateway_fakes import FakeBackend, MakeClient

import channels.language as language
from channels.language import NO_HISTORY, LanguageMemory, UserLanguage, decide_language
from translations.detect import DetectorUnavailable


async def ask(client: TestClient, text: str, sender: str = "resident-1", **extra: Any) -> str:
    """Send one turn; the language the reply says it used (checked against what Rasa was told)."""
    resp = await client.post("/api/chat", json={"sender_id": sender, "text": text, **extra})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    return body["lang"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("スプレー缶は何ごみですか？", "ja"),
        ("What kind of garbage is a spray can?", "en"),
        ("喷雾罐是什么垃圾？", "zh"),
        ("스프레이 캔은 무슨 쓰레기예요?", "ko"),
        ("Bình xịt là rác loại gì?", "vi"),
        ("Anong klase ng basura ang spray can?", "tl"),
        ("स्प्रे क्यान कुन फोहोर हो?", "ne"),
        ("A lata de spray é que tipo de lixo?", "pt"),
        ("¿Qué tipo de basura es una lata de spray?", "es"),
        ("Kaleng semprot termasuk sampah apa?", "id"),
        ("住民票", "ja"),
    ],
)
@pytest.mark.parametrize("requested", [{"lang": "auto"}, {}])
async def test_auto_answers_in_the_language_written(
    client: TestClient, backend: FakeBackend, text: str, expected: str, requested: dict[str, str]
) -> None:
    assert await ask(client, text, **requested) == expected
    assert backend.received[-1]["metadata"] == {"lang": expected, "channel": "web"}


async def test_explicit_language_wins_over_detection(client: TestClient, backend: FakeBackend) -> None:
    assert await ask(client, "What kind of garbage is a spray can?", lang="ko") == "ko"
    assert backend.received[-1]["metadata"]["lang"] == "ko"


async def test_chosen_language_is_remembered_when_a_request_has_no_lang(client: TestClient) -> None:
    assert await ask(client, "sofa", lang="ja-easy") == "ja-easy"
    assert await ask(client, "What kind of garbage is a spray can?") == "ja-easy"


async def test_auto_forgets_the_choice_and_detects_each_message(client: TestClient) -> None:
    await ask(client, "乾電池", lang="en")
    assert await ask(client, "スプレー缶は何ごみですか？", lang="auto") == "ja"
    assert await ask(client, "¿Cómo tiro un sofá viejo?") == "es"  # no lang: nothing chosen any more, so detect


async def test_a_term_is_answered_in_the_language_of_the_conversation(client: TestClient) -> None:
    assert await ask(client, "How do I throw away an old sofa?", lang="auto") == "en"
    assert await ask(client, "粗大ごみ受付", lang="auto") == "en"
    assert await ask(client, "粗大ごみ受付", lang="auto", sender="resident-2") == "ja"  # no history: Japanese


async def test_senders_do_not_share_a_language(client: TestClient) -> None:
    await ask(client, "battery", sender="alice", lang="en")
    assert await ask(client, "乾電池はどう捨てますか", sender="bob") == "ja"
    assert await ask(client, "乾電池はどう捨てますか", sender="alice") == "en"


async def test_a_new_gateway_starts_with_no_memory(make_client: MakeClient) -> None:
    first = await make_client()
    await ask(first, "battery", lang="en")
    second = await make_client()
    assert await ask(second, "乾電池はどう捨てますか") == "ja"


async def test_without_the_detector_auto_keeps_the_last_language(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(text: str, last: str | None) -> str:
        raise DetectorUnavailable("py3langid missing")

    monkeypatch.setattr(language, "detect_language", unavailable)
    client = await make_client()
    assert await ask(client, "What kind of garbage is a spray can?") == "ja"
    await ask(client, "sofa", lang="vi")
    assert await ask(client, "What kind of garbage is a spray can?", lang="auto") == "vi"


async def test_logs_hold_no_text_sender_or_memory(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="channels")
    await ask(client, "住民票がほしい 090-1234-5678", sender="yamada-taro", lang="auto")
    assert "lang=ja" in caplog.text
    for private in ("yamada-taro", "090-1234-5678", "住民票"):
        assert private not in caplog.text


@pytest.mark.parametrize(
    ("requested", "text", "user", "expected"),
    [
        ("es", "sofa", UserLanguage(chosen="en", last="en"), "es"),
        (None, "What kind of garbage is a spray can?", UserLanguage(chosen="ne", last="ne"), "ne"),
        (None, "住民票の写しがほしい", NO_HISTORY, "ja"),
        ("auto", "住民票の写しがほしい", UserLanguage(chosen="en", last="en"), "ja"),
        ("auto", "住民票", UserLanguage(chosen=None, last="tl"), "tl"),  # a term: the conversation's language
    ],
)
def test_decide_language_precedence(requested: str | None, text: str, user: UserLanguage, expected: str) -> None:
    assert decide_language(requested, text, user) == expected


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        ([("en", "en")], UserLanguage(chosen="en", last="en")),
        ([("en", "en"), (None, "en")], UserLanguage(chosen="en", last="en")),
        ([("en", "en"), ("auto", "ja")], UserLanguage(chosen=None, last="ja")),
        ([("auto", "vi"), (None, "vi")], UserLanguage(chosen=None, last="vi")),
        ([("ko", "ko"), ("ja-easy", "ja-easy")], UserLanguage(chosen="ja-easy", last="ja-easy")),
    ],
)
def test_memory_records_choice_and_last_language(turns: list[tuple[str | None, str]], expected: UserLanguage) -> None:
    memory = LanguageMemory()
    for requested, used in turns:
        memory.remember("s", requested, used)
    assert memory.get("s") == expected


def test_memory_forgets_after_the_expiry() -> None:
    clock = FakeClock()
    memory = LanguageMemory(ttl=60, clock=clock)
    memory.remember("s", "en", "en")
    clock.now += 59
    assert memory.get("s").chosen == "en"
    memory.remember("s", None, "en")  # a new turn restarts the expiry
    clock.now += 59
    assert memory.get("s").chosen == "en"
    clock.now += 2
    assert memory.get("s") == NO_HISTORY
    assert len(memory) == 0


def test_memory_drops_the_least_recently_seen_sender() -> None:
    memory = LanguageMemory(max_users=2)
    memory.remember("a", "en", "en")
    memory.remember("b", "ko", "ko")
    memory.remember("a", None, "en")  # a is now the most recent
    memory.remember("c", "vi", "vi")
    assert (memory.get("a").chosen, memory.get("b"), memory.get("c").chosen) == ("en", NO_HISTORY, "vi")
    assert len(memory) == 2


@pytest.mark.parametrize(("max_users", "ttl"), [(0, 60.0), (10, 0.0), (-1, -1.0)])
def test_memory_rejects_a_nonsense_size(max_users: int, ttl: float) -> None:
    with pytest.raises(ValueError, match="max_users"):
        LanguageMemory(max_users=max_users, ttl=ttl)
