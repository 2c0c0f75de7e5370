"""Which town a resident means: the `town` entity, the message text, or the town remembered in the slots."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.common.replies import latest_entity, latest_text

if TYPE_CHECKING:
    from knowledge_base.garbage.models import Town
    from knowledge_base.garbage.service import GarbageKnowledge

SLOT_TOWN = "town"  # town as printed in the official table, e.g. 稲荷町1～3丁目
SLOT_WARD = "town_ward"  # its ward, e.g. 中央区
SLOT_ASKED = "asked_category"  # category ids (comma-separated) asked before the town was known


@dataclass(frozen=True)
class TownChoice:
    towns: list[Town] = field(default_factory=list)  # none: ask; one: resolved; several: let the resident choose
    query: str = ""  # what the resident wrote, for the clarifying question

    @property
    def town(self) -> Town | None:
        return self.towns[0] if len(self.towns) == 1 else None


def _narrow(towns: list[Town], text: str) -> list[Town]:
    """Rows whose full label or printed name the text spells out (a button payload does) beat partial matches."""
    for exact in ([t for t in towns if t.label in text], [t for t in towns if t.name in text]):
        if len(exact) == 1:
            return exact
    return towns


def remembered_town(kb: GarbageKnowledge, tracker: Tracker) -> Town | None:
    name, ward = tracker.get_slot(SLOT_TOWN), tracker.get_slot(SLOT_WARD)
    if not isinstance(name, str) or not name:
        return None
    label = f"{ward or ''}{name}"
    towns = [t for t in kb.find_towns(label) if t.name == name and (not ward or t.ward == ward)]
    return towns[0] if len(towns) == 1 else None


def choose_town(kb: GarbageKnowledge, tracker: Tracker, use_text: bool = True) -> TownChoice:
    """Entity first, then the message text (when `use_text`), then the remembered slots."""
    entity = latest_entity(tracker, "town")
    text = latest_text(tracker)
    if entity:
        towns = _narrow(kb.find_towns(entity), entity)
        if len(towns) > 1 and use_text:
            in_text = [t for t in _narrow(kb.find_towns(text), text) if t in towns]
            towns = in_text or towns
        if towns:
            return TownChoice(towns, entity)
    if use_text and text:
        towns = _narrow(kb.find_towns(text), text)
        if towns:
            return TownChoice(towns, text)
    town = remembered_town(kb, tracker)
    return TownChoice([town] if town else [], entity or "")


def remember(town: Town) -> list[EventType]:
    return [SlotSet(SLOT_TOWN, town.name), SlotSet(SLOT_WARD, town.ward)]
