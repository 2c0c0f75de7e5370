"""Answers of question-and-answer domains (library, foreign residents, …): the curated answer in the resident's
language, the desk with its phone and whether it is open now, and the sources.

Confidence decides the reply: a confident match is answered; a near miss gets "I am not sure", up to three
candidates as buttons and the desk's phone; otherwise the polite fallback (and the question is counted for staff).
Retrieval is CPU-bound and runs in a thread, off the action server's loop.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common.domains import contact_office
from actions.common.errors import KnowledgeBaseUnavailable, send_unavailable
from actions.common.fallback import send_fallback
from actions.common.faq_reply import faq_text
from actions.common.kb import kb_async
from actions.common.offices import office_lines, office_phone, office_sources
from actions.common.offload import off_loop
from actions.common.replies import intent_button, lang_of, latest_entity, latest_text, send_sources
from knowledge_base.core.faq import RESIDENT_WARD_OFFICE
from settings import ActionSettings
from translations.messages import render

if TYPE_CHECKING:
    from knowledge_base.core.faq import FaqEntry, FaqHit
    from knowledge_base.service import KnowledgeBase

MAX_CANDIDATES = 3


def _intent_of(domain: str) -> str:
    return f"ask_{domain}"


def entry_office(kb: KnowledgeBase, entry: FaqEntry, ward: str | None) -> str | None:
    """The desk of an answer: its office; for "the resident's ward office", the office of the ward they live in."""
    if entry.office != RESIDENT_WARD_OFFICE:
        return entry.office
    wards = kb.places.wards.values() if kb.places is not None and ward else ()
    return next((w.ward_office for w in wards if w.name == ward), None)


def answer_lines(
    kb: KnowledgeBase, entry: FaqEntry, lang: str, settings: ActionSettings, ward: str | None = None
) -> tuple[str, str | None]:
    """The reply text and the desk it names (the entry's office, else the domain's desk)."""
    named = entry_office(kb, entry, ward)
    office = named or contact_office(entry.domain)
    lines = [faq_text(entry, lang, fallback_phone=office_phone(kb.places, office))]
    if named and kb.places is not None:
        lines.append("")
        lines.extend(office_lines(kb.places, named, lang, settings.now()))
    return "\n".join(lines), office


def send_answer(
    dispatcher: CollectingDispatcher,
    kb: KnowledgeBase,
    entry: FaqEntry,
    lang: str,
    settings: ActionSettings,
    ward: str | None = None,
) -> list[EventType]:
    text, office = answer_lines(kb, entry, lang, settings, ward)
    dispatcher.utter_message(text=text)
    send_sources(dispatcher, [entry.source, *office_sources(kb.places, entry_office(kb, entry, ward))])
    return [SlotSet("last_domain", entry.domain), SlotSet("last_office", office)]


def candidate_title(entry: FaqEntry, lang: str) -> str:
    """A candidate button reads as the resident would ask: the entry's first question in their language."""
    text = entry.translations.get(lang)
    if text and text.questions:
        return text.questions[0]
    english = entry.translations.get("en")
    if lang != "ja" and lang != "ja-easy" and english and english.questions:
        return english.questions[0]
    return entry.questions[0]


class DomainAnswerAction(Action, ABC):
    """Abstract (rasa_sdk registers only concrete Action subclasses); one subclass per domain."""

    @property
    @abstractmethod
    def domain_name(self) -> str: ...

    def name(self) -> str:
        return f"action_{self.domain_name}_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        settings = ActionSettings.from_env()
        try:
            kb = await kb_async()
        except KnowledgeBaseUnavailable as reason:
            send_unavailable(dispatcher, reason, lang)
            return []
        search = kb.domain(self.domain_name).faq
        ward = tracker.get_slot("town_ward")  # the resident's ward, once they gave their town
        chosen = latest_entity(tracker, "faq_id")  # a candidate button the assistant offered
        if chosen:
            entry = search.get(chosen)
            if entry is not None:
                return send_answer(dispatcher, kb, entry, lang, settings, ward)
        text = latest_text(tracker)
        if not text or text.startswith("/"):
            await send_fallback(dispatcher, tracker, lang, domain=self.domain_name, record=False)
            return []
        # One classifier tells apart the entries of every question-and-answer domain, so a question the intent sent
        # to the wrong domain still finds its answer.
        hits = await off_loop(kb.classify, text, MAX_CANDIDATES)
        if hits and hits[0].score >= kb.confident_score:
            return send_answer(dispatcher, kb, hits[0].entry, lang, settings, ward)
        near = [hit for hit in hits if hit.score >= kb.unsure_score]
        if near:
            return self._unsure(dispatcher, kb, near, lang)
        await send_fallback(dispatcher, tracker, lang, domain=self.domain_name)
        return []

    def _unsure(self, dispatcher: CollectingDispatcher, kb: KnowledgeBase, near: list[FaqHit], lang: str) -> list:
        office = contact_office(self.domain_name)
        buttons = [
            intent_button(candidate_title(hit.entry, lang), _intent_of(hit.entry.domain), faq_id=hit.entry.id)
            for hit in near[:MAX_CANDIDATES]
        ]
        lines = [render("faq_unsure", lang)]
        phone = office_phone(kb.places, office)
        if phone and kb.places is not None and office:
            lines.append(render("faq_unsure_phone", lang, office=kb.places.office_name(office, lang), phone=phone))
        dispatcher.utter_message(text="\n".join(lines), buttons=buttons)
        return [SlotSet("last_domain", self.domain_name), SlotSet("last_office", office)]
