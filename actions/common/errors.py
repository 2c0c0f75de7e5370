"""Why an action cannot answer, and the one place that turns each reason into the resident's reply.

Actions catch `AnswerUnavailable` (never a bare Exception) and call `send_unavailable`; each reason names its reply
template, so a new reason is a subclass here and a template in `translations/messages/<lang>/common.yml`. The phone
is the desk of the action's domain when the caller knows it, else the city call centre.
"""

from __future__ import annotations

from typing import ClassVar

from rasa_sdk.executor import CollectingDispatcher

from actions.common.contacts import CALL_CENTRE_PHONE
from translations.messages import render


class AnswerUnavailable(RuntimeError):
    """A part the answer needs is down; the cause is chained and never holds personal data."""

    reply_key: ClassVar[str] = "kb_unavailable"


class KnowledgeBaseUnavailable(AnswerUnavailable):
    """The knowledge base could not be loaded (missing model, index or data)."""

    reply_key = "kb_unavailable"


class StoreUnavailable(AnswerUnavailable):
    """The application database cannot be opened or written: nothing the resident gave was kept."""

    reply_key = "store_unavailable"


def unavailable_text(reason: AnswerUnavailable, lang: str, phone: str | None = None) -> str:
    return render(reason.reply_key, lang, phone=phone or CALL_CENTRE_PHONE)


def send_unavailable(
    dispatcher: CollectingDispatcher, reason: AnswerUnavailable, lang: str, phone: str | None = None
) -> None:
    dispatcher.utter_message(text=unavailable_text(reason, lang, phone))
