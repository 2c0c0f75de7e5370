"""action_kb_health: record counts of the knowledge base, for the gateway's /healthz (also warms the KB up)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common.errors import KnowledgeBaseUnavailable
from actions.common.kb import kb_async


class ActionKbHealth(Action):
    def name(self) -> str:
        return "action_kb_health"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        try:
            kb = await kb_async()
        except KnowledgeBaseUnavailable as exc:
            # "kb": null tells /healthz the knowledge base is down; the action server itself still answers.
            dispatcher.utter_message(json_message={"kb": None, "error": str(exc)})
            return []
        dispatcher.utter_message(json_message={"kb": kb.health()})
        return []
