"""action_interpreter_understand: what a sentence said at the counter probably means, in curated text only.

The gateway (channels/interpreter) calls it with the sentence as `latest_message.text` and metadata
`{"lang": <resident's language>, "role": "resident" | "staff"}`. It answers one json message:

    {"interpreter": {
        "role": "resident", "lang": "vi",
        "phrases":   [{"id", "topic", "speaker", "score", "via", "confidence", "slots", "ja", "text"}],  # "probably:"
        "questions": [{"domain", "id", "score", "ja", "text"}],                           # "probably asking:"
        "answers":   [{"kind", "domain", "id", "score", "ja", "text", "curated", "certainty", "sources"}]}}

`phrases` are phrasebook phrases nearest to the sentence with e5 (the speaker's own phrases); `questions` and
`answers` (agent assist: resident sentences only) come from knowledge-base retrieval across every domain — the
question-and-answer classifier, the garbage FAQ and the garbage item lookup — each answer in Japanese and in the
resident's language from curated text (`curated` false: the resident's text is the English or Japanese fallback,
labelled as such). Nothing is machine-translated here. Retrieval is CPU-bound and runs in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common.errors import KnowledgeBaseUnavailable
from actions.common.faq_answer import candidate_title
from actions.common.faq_reply import faq_text
from actions.common.kb import kb_async
from actions.common.replies import capitalized, lang_of, latest_text
from settings import InterpreterSettings, KnowledgeBaseSettings
from translations import languages
from translations.messages import DEFAULT_LANG, render

if TYPE_CHECKING:
    from knowledge_base.core.faq import FaqEntry
    from knowledge_base.phrasebook.vectors import PhraseVectors
    from knowledge_base.service import KnowledgeBase

log = logging.getLogger(__name__)

ACTION_NAME = "action_interpreter_understand"
ROLES = ("resident", "staff")
WARM = "warm"  # metadata role of the gateway's call when the page opens a language: embed its phrases ahead of time
_vectors: PhraseVectors | None = None
_vectors_lock = threading.Lock()


def phrase_vectors(kb: KnowledgeBase) -> PhraseVectors:
    """The phrasebook's e5 vectors, sharing the knowledge base's encoder (loaded once per process)."""
    global _vectors
    with _vectors_lock:
        if _vectors is None:
            from knowledge_base.phrasebook import load_phrasebook
            from knowledge_base.phrasebook.vectors import PhraseVectors

            settings = KnowledgeBaseSettings.from_env()
            # The KB keeps its encoder private; reusing it avoids a second copy of e5 in memory (the lead is asked
            # for a public `embedder` property: _parts/interp-requests.md).
            embedder = kb._embedder
            _vectors = PhraseVectors(load_phrasebook(settings.data_dir), embedder, settings.index_dir / "phrasebook")
        return _vectors


def set_phrase_vectors(vectors: PhraseVectors | None) -> PhraseVectors | None:
    """Replace the process-wide phrase vectors (tests); returns the previous ones."""
    global _vectors
    with _vectors_lock:
        previous, _vectors = _vectors, vectors
    return previous


def _faq_answer(entry: FaqEntry, score: float, lang: str) -> dict[str, Any]:
    return {
        "kind": "faq",
        "domain": entry.domain,
        "id": entry.id,
        "score": round(float(score), 4),
        "ja": faq_text(entry, DEFAULT_LANG),
        "text": faq_text(entry, lang),
        "curated": lang == DEFAULT_LANG or bool(entry.answer_in(lang)),
        "certainty": entry.certainty,
        "sources": [entry.source],
    }


def _question(entry: FaqEntry, score: float, lang: str) -> dict[str, Any]:
    return {
        "domain": entry.domain,
        "id": entry.id,
        "score": round(float(score), 4),
        "ja": entry.questions[0],
        "text": candidate_title(entry, lang),
    }


def _item_answer(kb: KnowledgeBase, text: str, lang: str) -> dict[str, Any] | None:
    """The garbage item the sentence names, when the lookup is confident (never a guess: staff would send it)."""
    from actions.garbage.localized import category_label, item_how, item_label

    garbage = kb.domains.get("garbage")
    if garbage is None:
        return None
    lookup = garbage.lookup_item(text, lang)
    if not lookup.confident or lookup.best is None or lookup.best.score < 1.0:
        return None
    item = lookup.best.item
    category = garbage.category(item.category)

    def say(code: str) -> str:
        first = render("item_found", code, item=item_label(item, code), category=category_label(category, code))
        return "\n".join([capitalized(first), *item_how(item, category, code)[0]])

    return {
        "kind": "garbage_item",
        "domain": "garbage",
        "id": item.key,
        "score": 1.0,
        "ja": say(DEFAULT_LANG),
        "text": say(lang),
        "curated": True,  # names and how-tos are curated; an untranslated how-to is labelled "(in Japanese)"
        "certainty": "confirmed" if item.certainty == "confirmed" else "uncertain",
        "sources": list(dict.fromkeys([item.source, category.source])),
    }


def understand(kb: KnowledgeBase, text: str, lang: str, role: str, settings: InterpreterSettings) -> dict[str, Any]:
    """The matches of one sentence (blocking: call it in a thread)."""
    vectors = phrase_vectors(kb)
    sentence_lang = lang if role == "resident" else DEFAULT_LANG
    vector = kb.query_vector(text)
    phrases = [
        {
            "id": match.phrase.id,
            "topic": match.phrase.topic,
            "speaker": match.phrase.speaker,
            "score": match.score,
            "via": match.via,
            "confidence": match.confidence,
            "slots": list(match.phrase.slots),
            "ja": match.phrase.texts[DEFAULT_LANG],
            "text": match.phrase.texts[lang],
        }
        for match in vectors.match(
            vector,
            sentence_lang,
            settings.phrase_candidates,
            min_lift=settings.phrase_min_lift,
            min_z=settings.phrase_min_z,
            speaker=role,
        )
    ]
    questions: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    if role == "resident":
        item = _item_answer(kb, text, lang)
        if item is not None:
            answers.append(item)
        garbage = kb.domains.get("garbage")
        found = garbage.search_faq(text) if garbage is not None else None
        hits = [(entry, score) for entry, score in ([found] if found else [])]
        hits += [(hit.entry, hit.score) for hit in kb.classify(text, settings.answer_candidates)]
        seen: set[tuple[str, str]] = set()
        for entry, score in hits:
            key = (entry.domain, entry.id)
            if key in seen or score < settings.answer_min_score:
                continue
            seen.add(key)
            questions.append(_question(entry, score, lang))
            answers.append(_faq_answer(entry, score, lang))
        answers = answers[: settings.answer_candidates]
        questions = questions[: settings.answer_candidates]
    return {"role": role, "lang": lang, "phrases": phrases, "questions": questions, "answers": answers}


class ActionInterpreterUnderstand(Action):
    def name(self) -> str:
        return ACTION_NAME

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        text = latest_text(tracker)
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        role = metadata.get("role") if isinstance(metadata, dict) else None
        if role == WARM:
            return await self._warm(dispatcher, lang_of(tracker))
        if role not in ROLES or not text:
            dispatcher.utter_message(json_message={"interpreter": None, "error": "bad_request"})
            return []
        try:
            kb = await kb_async()
        except KnowledgeBaseUnavailable:
            dispatcher.utter_message(json_message={"interpreter": None, "error": "kb_unavailable"})
            return []
        settings = InterpreterSettings.from_env()
        result = await asyncio.to_thread(understand, kb, text, lang_of(tracker), str(role), settings)
        # Metadata only: the sentence stays out of the logs.
        log.info(
            "interpreter role=%s lang=%s phrases=%d answers=%d",
            role, result["lang"], len(result["phrases"]), len(result["answers"]),
        )  # fmt: skip
        dispatcher.utter_message(json_message={"interpreter": result})
        return []

    async def _warm(self, dispatcher: CollectingDispatcher, lang: str) -> list[EventType]:
        """Embed the phrasebook in Japanese and `lang` now (first use of a language takes seconds), so the first
        sentence at the counter is not the one that waits."""
        try:
            kb = await kb_async()
        except KnowledgeBaseUnavailable:
            dispatcher.utter_message(json_message={"interpreter": None, "error": "kb_unavailable"})
            return []
        vectors = phrase_vectors(kb)
        code = languages.get(lang).base
        await asyncio.to_thread(lambda: [vectors.vectors(c) for c in dict.fromkeys((DEFAULT_LANG, code))])
        dispatcher.utter_message(json_message={"interpreter": {"warmed": code}})
        return []
