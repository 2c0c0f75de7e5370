"""bot/components/speedups.py: Rasa's per-turn work made cheaper without changing what a resident gets.

- An action server's answer is still validated on every call: an invalid one fails with the same error as Rasa's own.
- The NLU graph runs in one worker thread, so the event loop is free meanwhile; its result is Rasa's own.
- The embedded profile's SQLite tracker store keeps conversations across a restart in WAL mode.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.components import speedups

VALID = [
    {"events": [], "responses": [{"text": "電池は有害ごみです。"}]},
    {"events": [{"event": "slot", "name": "town", "value": "青葉町"}], "responses": []},
    {},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"responses": [{"text": "x"}], "events": [{"event": 3}]},
]


@pytest.mark.parametrize("result", VALID)
def test_a_valid_action_answer_passes_as_with_rasa(result: dict[str, Any]) -> None:
    action = RemoteAction("action_garbage_item", None)
    assert RemoteAction._validate_action_result(action, result) is True
    assert speedups.validate_action_result(action, result) is True


@pytest.mark.parametrize("result", INVALID)
def test_an_invalid_action_answer_fails_with_rasas_own_error(result: dict[str, Any]) -> None:
    action = RemoteAction("action_garbage_item", None)
    with pytest.raises(ValidationError) as rasa_error:
        RemoteAction._validate_action_result(action, result)
    with pytest.raises(ValidationError) as ours:
        speedups.validate_action_result(action, result)
    assert ours.value.message == rasa_error.value.message
    assert "Failed to validate Action server response" in ours.value.message


class FakeProcessor:
    """What parse_message uses of Rasa's MessageProcessor; the graph call records the thread it ran in."""

    http_interpreter = None

    def __init__(self) -> None:
        self.threads: list[str] = []
        self.updated: list[dict[str, Any]] = []

    def _parse_message_with_graph(self, message: Any, tracker: Any, only_output_properties: bool) -> dict[str, Any]:
        self.threads.append(threading.current_thread().name)
        return {"text": message.text, "intent": {"name": "ask_garbage_item", "confidence": 0.9}}

    def _update_full_retrieval_intent(self, parse_data: dict[str, Any]) -> None:
        self.updated.append(parse_data)

    def _check_for_unseen_features(self, parse_data: dict[str, Any]) -> None:
        pass


def test_the_nlu_graph_runs_off_the_event_loop_and_returns_rasas_result() -> None:
    processor = FakeProcessor()
    message = SimpleNamespace(text="電池はどうやって捨てますか", sender_id="r1")

    async def parse() -> tuple[dict[str, Any], str]:
        return await speedups.parse_message(processor, message), threading.current_thread().name

    parsed, loop_thread = asyncio.run(parse())
    assert parsed["intent"]["name"] == "ask_garbage_item" and parsed["text"] == message.text
    assert processor.updated == [parsed]
    assert processor.threads and processor.threads[0].startswith("nlu")
    assert processor.threads[0] != loop_thread


def _tracker(sender: str, text: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender, [ActionExecuted("action_listen"), UserUttered(text, {"name": "ask_garbage_item", "confidence": 1.0})]
    )


def test_a_tuned_sqlite_store_keeps_conversations_in_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    domain = Domain.empty()
    store = SQLTrackerStore(domain, dialect="sqlite", db=str(db))
    assert speedups.tune_sqlite_store(store) is True
    assert speedups.tune_sqlite_store(store) is True  # once is enough; a second call changes nothing
    asyncio.run(store.save(_tracker("r1", "ソファを捨てたい")))
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened = SQLTrackerStore(domain, dialect="sqlite", db=str(db))  # as after a restart
    tracker = asyncio.run(reopened.retrieve("r1"))
    assert tracker is not None and tracker.latest_message.text == "ソファを捨てたい"


def test_other_stores_are_left_alone() -> None:
    assert speedups.tune_sqlite_store(InMemoryTrackerStore(Domain.empty())) is False
    assert speedups.tune_sqlite_store(None) is False
