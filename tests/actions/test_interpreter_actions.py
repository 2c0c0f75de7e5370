"""action_interpreter_understand on the real knowledge base and e5 model: a resident's free sentence in their language
finds the phrasebook phrase it means (cross-lingual, with a confidence), and agent assist finds curated answers in
Japanese and the resident's language across domains; staff sentences match staff phrases; nothing is made up."""

from __future__ import annotations

from typing import Any

import pytest

from actions.interpreter.understand import ActionInterpreterUnderstand


@pytest.fixture
def understand(tracker_for: Any, run: Any) -> Any:
    """The action's json message for `text` said by `role` at a counter whose resident speaks `lang`."""

    async def call(text: str, lang: str, role: str | None) -> dict[str, Any]:
        tracker = tracker_for(text, lang=lang)
        tracker.latest_message["metadata"] = {"lang": lang, **({"role": role} if role else {})}
        reply = await run(ActionInterpreterUnderstand(), tracker)
        (message,) = reply.messages
        return message["custom"]

    return call


@pytest.mark.parametrize(
    ("text", "lang", "phrase_id"),
    [
        # Not the phrasebook's wording: the resident's own sentence.
        ("Tôi muốn đăng ký địa chỉ mới của tôi", "vi", "resident_phrases_register_address"),
        ("I would like to register my new address", "en", "resident_phrases_register_address"),
        ("새 주소를 등록하고 싶어요", "ko", "resident_phrases_register_address"),
    ],
)
async def test_resident_sentence_finds_the_phrase_it_means(
    understand: Any, kb: Any, text: str, lang: str, phrase_id: str
) -> None:
    result = (await understand(text, lang, "resident"))["interpreter"]
    ids = [phrase["id"] for phrase in result["phrases"]]
    assert phrase_id in ids, result["phrases"]
    found = next(phrase for phrase in result["phrases"] if phrase["id"] == phrase_id)
    assert found["ja"] == "住所の登録をしたいです。"  # what staff read: curated Japanese
    assert 0.8 <= found["score"] <= 1.0
    assert all(phrase["speaker"] in ("resident", "both") for phrase in result["phrases"])


async def test_agent_assist_gives_a_garbage_answer_in_both_languages(understand: Any, kb: Any) -> None:
    result = (await understand("How do I throw away a spray can?", "en", "resident"))["interpreter"]
    item = next(answer for answer in result["answers"] if answer["kind"] == "garbage_item")
    assert "スプレー缶" in item["ja"] and "spray can" in item["text"].lower()
    assert item["sources"] and item["sources"][0].startswith("https://")


async def test_agent_assist_answers_a_library_question_in_vietnamese(understand: Any, kb: Any) -> None:
    result = (await understand("Tôi có thể mượn bao nhiêu cuốn sách ở thư viện?", "vi", "resident"))["interpreter"]
    answers = [answer for answer in result["answers"] if answer["domain"] == "library"]
    assert answers, result["answers"]
    best = answers[0]
    assert best["ja"] != best["text"]  # curated Vietnamese, not the Japanese text again
    assert best["curated"] is True
    assert result["questions"] and result["questions"][0]["ja"]


async def test_staff_sentence_matches_staff_phrases_and_gets_no_assist(understand: Any, kb: Any) -> None:
    result = (await understand("少しお待ちいただけますか", "vi", "staff"))["interpreter"]
    assert result["phrases"], result
    assert all(phrase["speaker"] in ("staff", "both") for phrase in result["phrases"])
    assert result["phrases"][0]["topic"] == "greeting_waiting"
    assert result["answers"] == [] and result["questions"] == []


async def test_unrelated_text_offers_no_phrase(understand: Any, kb: Any) -> None:
    result = (await understand("The quantum chromodynamics lecture was cancelled", "en", "resident"))["interpreter"]
    assert result["phrases"] == []


async def test_a_call_without_role_is_refused_not_guessed(understand: Any, kb: Any) -> None:
    assert await understand("hello", "en", None) == {"interpreter": None, "error": "bad_request"}


async def test_warm_up_embeds_the_language_before_the_first_sentence(understand: Any, kb: Any) -> None:
    assert await understand("warm-up", "ja-easy", "warm") == {"interpreter": {"warmed": "ja"}}
    assert await understand("warm-up", "tl", "warm") == {"interpreter": {"warmed": "tl"}}
