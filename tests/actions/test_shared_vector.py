"""The e5 vector the Rasa server sends with an action call reaches the knowledge base, and a bad one changes nothing."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import numpy as np
import pytest

from actions.common import shared_vector
from actions.common.shared_vector import SHARED_VECTOR_FIELD, VectorSharingExecutor, offer_shared_vector


class RecordingKb:
    def __init__(self) -> None:
        self.offers: list[tuple[str, np.ndarray]] = []

    def offer_query_vector(self, text: str, vector: np.ndarray) -> bool:
        self.offers.append((text, vector))
        return True


@pytest.fixture
def kb(monkeypatch: pytest.MonkeyPatch) -> RecordingKb:
    fake = RecordingKb()
    monkeypatch.setattr(shared_vector, "loaded_kb", lambda: fake)
    return fake


def encoded(vector: np.ndarray) -> str:
    return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")


def test_the_vector_of_the_call_is_offered_and_taken_out_of_the_call(kb: RecordingKb) -> None:
    vector = np.linspace(-1, 1, 384, dtype=np.float32)
    call: dict[str, Any] = {
        "next_action": "action_garbage_item",
        SHARED_VECTOR_FIELD: {"text": "電池", "vector": encoded(vector)},
    }
    assert offer_shared_vector(call)
    assert SHARED_VECTOR_FIELD not in call  # rasa_sdk never sees it
    [(text, offered)] = kb.offers
    assert text == "電池"
    np.testing.assert_array_equal(offered, vector)


@pytest.mark.parametrize(
    "field",
    [
        "not a dict",
        {"vector": encoded(np.ones(4, dtype=np.float32))},  # no text
        {"text": "", "vector": encoded(np.ones(4, dtype=np.float32))},
        {"text": "電池", "vector": "***not base64***"},
        {"text": "電池", "vector": base64.b64encode(b"abc").decode()},  # not whole floats
        {"text": "電池", "vector": ""},
        {"text": "電池", "vector": 42},
        {"text": "電池", "vector": "A" * 20_000},  # far longer than any e5 vector
    ],
    ids=["not-dict", "no-text", "empty-text", "not-base64", "ragged", "empty", "number", "huge"],
)
def test_a_malformed_field_is_dropped_and_nothing_is_offered(kb: RecordingKb, field: Any) -> None:
    call: dict[str, Any] = {SHARED_VECTOR_FIELD: field}
    assert not offer_shared_vector(call)
    assert SHARED_VECTOR_FIELD not in call
    assert kb.offers == []


def test_without_a_loaded_knowledge_base_nothing_is_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_vector, "loaded_kb", lambda: None)
    call: dict[str, Any] = {SHARED_VECTOR_FIELD: {"text": "電池", "vector": encoded(np.ones(4, dtype=np.float32))}}
    assert not offer_shared_vector(call)
    assert SHARED_VECTOR_FIELD not in call


def test_the_executor_offers_before_the_action_runs(kb: RecordingKb, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []

    async def parent_run(self: Any, action_call: dict[str, Any], *args: Any, **kwargs: Any) -> str:
        seen.append(dict(action_call))
        return "ran"

    monkeypatch.setattr(shared_vector.ActionExecutor, "run", parent_run)
    call = {"next_action": "x", SHARED_VECTOR_FIELD: {"text": "傘", "vector": encoded(np.ones(8, dtype=np.float32))}}
    assert asyncio.run(VectorSharingExecutor().run(call)) == "ran"
    assert [text for text, _ in kb.offers] == ["傘"]
    assert seen == [{"next_action": "x"}]
