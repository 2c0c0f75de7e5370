"""action_benefits_answer: a question about one programme (「児童手当はいくら？」, "where do I apply for the child
medical subsidy?") answered directly — what it is, the amounts computed for today (for the resident's children when
they did the screening in this conversation; which fiscal year, and "not confirmed for this year" when so), how and
where to apply with the desk's phone and whether it is open now, documents, deadline, source.

The programme is the one the message names (its official Japanese name or its curated name), else the knowledge
base's question classifier's confident choice; a near miss offers up to three candidates as buttons, as every
question-and-answer domain does (actions/common/faq_answer.py). A question the classifier gives to another domain's
entry is answered with that entry.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.benefits.common import (
    DOMAIN,
    BenefitsKnowledge,
    desk_office,
    domain_events,
    knowledge,
    saved_household,
    ward_id_of,
)
from actions.common.errors import KnowledgeBaseUnavailable, send_unavailable
from actions.common.fallback import send_fallback
from actions.common.faq_answer import MAX_CANDIDATES, DomainAnswerAction, send_answer
from actions.common.kb import kb_async
from actions.common.offices import office_lines, office_sources
from actions.common.offload import off_loop
from actions.common.replies import lang_of, latest_entity, latest_text, send_sources
from knowledge_base.core.normalize import normalize
from settings import ActionSettings
from translations.messages import render

if TYPE_CHECKING:
    from knowledge_base.benefits import Programme, Programmes

MIN_NAME_KEY = 3  # a shorter name (BCG is the shortest wanted) would be found inside unrelated words
_PARENS = re.compile(r"[(（][^()（）]*[)）]")


@lru_cache(maxsize=4)
def _name_keys(programmes: Programmes) -> tuple[tuple[str, str], ...]:
    """(match key, programme id) of every programme's official and curated names, longest first."""
    pairs: set[tuple[str, str]] = set()
    for programme in programmes:
        names = [programme.name, *(text.name for text in programme.translations.values())]
        for name in names:
            for part in (name, _PARENS.sub("", name)):
                key = normalize(part)
                if len(key) >= MIN_NAME_KEY:
                    pairs.add((key, programme.id))
    return tuple(sorted(pairs, key=lambda pair: (-len(pair[0]), pair)))


def named_programme(text: str, programmes: Programmes) -> str | None:
    """The one programme the message names (「児童手当はいくら」 → child_allowance); None for none or several. A name
    inside a longer name already found (児童手当 inside 特別児童扶養手当 is not; 医療費助成 inside 子ども医療費助成 is)
    does not count."""
    hay = normalize(text)
    claimed = [False] * len(hay)
    found: set[str] = set()
    for key, pid in _name_keys(programmes):
        start = hay.find(key)
        while start != -1:
            end = start + len(key)
            if not any(claimed[start:end]):
                claimed[start:end] = [True] * len(key)
                found.add(pid)
            start = hay.find(key, start + 1)
    return found.pop() if len(found) == 1 else None


def programme_reply(
    programme: Programme, know: BenefitsKnowledge, tracker: Tracker, lang: str, settings: ActionSettings
) -> tuple[str, str | None]:
    """The answer text and the office id of the desk it names (None when the resident's ward is not known)."""
    from knowledge_base.benefits import programme_answer

    today = settings.today()
    ward = ward_id_of(tracker, know.places)
    household = saved_household(tracker, today)
    text = programme_answer(programme, lang, today, household, programmes=know.programmes, ward=ward)
    lines = [text]
    office = desk_office(programme, know.places, ward)
    if office and know.places is not None:
        lines += ["", render("bf_desk_heading", lang), *office_lines(know.places, office, lang, settings.now())]
    lines += ["", render("bf_city_decides", lang)]
    return "\n".join(lines), office


def send_programme(
    dispatcher: CollectingDispatcher, programme: Programme, know: BenefitsKnowledge, tracker: Tracker, lang: str
) -> list[EventType]:
    text, office = programme_reply(programme, know, tracker, lang, ActionSettings.from_env())
    dispatcher.utter_message(text=text)
    send_sources(dispatcher, [programme.source, *office_sources(know.places, office)])
    return domain_events(office)


class ActionBenefitsAnswer(DomainAnswerAction):
    domain_name = DOMAIN

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = lang_of(tracker)
        try:
            kb = await kb_async()
            know = await knowledge()
        except KnowledgeBaseUnavailable as reason:
            send_unavailable(dispatcher, reason, lang)
            return []
        programmes = know.programmes
        chosen = latest_entity(tracker, "faq_id")  # a candidate button the assistant offered
        if chosen and chosen in programmes:
            return send_programme(dispatcher, programmes.get(chosen), know, tracker, lang)
        text = latest_text(tracker)
        if not text or text.startswith("/"):
            await send_fallback(dispatcher, tracker, lang, domain=DOMAIN, record=False)
            return []
        named = named_programme(text, programmes)
        if named:
            return send_programme(dispatcher, programmes.get(named), know, tracker, lang)
        hits = await off_loop(kb.classify, text, MAX_CANDIDATES)
        if hits and hits[0].score >= kb.confident_score:
            entry = hits[0].entry
            if entry.domain == DOMAIN and entry.id in programmes:
                return send_programme(dispatcher, programmes.get(entry.id), know, tracker, lang)
            settings = ActionSettings.from_env()
            return send_answer(dispatcher, kb, entry, lang, settings, tracker.get_slot("town_ward"))
        near = [hit for hit in hits if hit.score >= kb.unsure_score]
        if near:
            return self._unsure(dispatcher, kb, near, lang)
        await send_fallback(dispatcher, tracker, lang, domain=DOMAIN)
        return []
