"""Fixtures for the action tests: trackers as Rasa sends them, a runner, and the real knowledge base.

There is deliberately no `__init__.py` here: it would make this folder the package `actions` and shadow the real one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import kb as kb_holder

# A Tuesday: 中央区青葉町 (可燃 月・木) is next collected on 11月26日(木).
FIXED_TODAY = "2026-11-24"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CHIBA_TODAY", FIXED_TODAY)
    return FIXED_TODAY


@pytest.fixture(scope="session")
def real_kb() -> Any:
    """The real KnowledgeBase (model folder + FAISS index), loaded once for the whole session."""
    try:
        return kb_holder.get_kb()
    except kb_holder.KnowledgeBaseUnavailable as exc:
        pytest.fail(f"the knowledge base does not load (run `make index` first): {exc}")


@pytest.fixture
def kb(real_kb: Any) -> Iterator[Any]:
    """Make sure the actions use the real knowledge base (a test with a fake may have swapped it)."""
    previous = kb_holder.set_kb(real_kb)
    yield real_kb
    kb_holder.set_kb(previous)


def make_tracker(
    text: str,
    intent: str = "nlu_fallback",
    entities: dict[str, str] | None = None,
    slots: dict[str, Any] | None = None,
    lang: str | None = None,
) -> Tracker:
    """A tracker as Rasa 3.6 sends it to the action server after the resident's message."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": [{"entity": name, "value": value} for name, value in (entities or {}).items()],
        "metadata": {"lang": lang} if lang else {},
    }
    return Tracker.from_dict(
        {
            "sender_id": "resident",
            "slots": slots or {},
            "latest_message": latest,
            "events": [],
            "latest_action_name": "action_listen",
        }
    )


@dataclass
class Reply:
    messages: list[dict[str, Any]]
    events: list[dict[str, Any]]

    @property
    def text(self) -> str:
        return "\n".join(m["text"] for m in self.messages if m.get("text"))

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for m in self.messages for b in m.get("buttons") or []]

    @property
    def sources(self) -> list[str]:
        return [url for m in self.messages for url in (m.get("custom") or {}).get("sources", [])]

    @property
    def custom(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for m in self.messages:
            merged.update(m.get("custom") or {})
        return merged

    def slot(self, name: str) -> Any:
        """Value of the last SlotSet for `name`; KeyError when the action did not set it."""
        values = [e["value"] for e in self.events if e.get("event") == "slot" and e.get("name") == name]
        if not values:
            raise KeyError(name)
        return values[-1]


async def run_action(action: Action, tracker: Tracker) -> Reply:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return Reply(dispatcher.messages, list(events))


# Test modules get the helpers as fixtures: `import conftest` could pick another folder's conftest.py.
@pytest.fixture
def tracker_for() -> Any:
    return make_tracker


@pytest.fixture
def run() -> Any:
    return run_action
