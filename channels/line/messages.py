"""Rasa answers → LINE message objects (plain dicts in the Messaging API's JSON shape; the SDK validates them).

LINE limits honoured here: at most 5 messages per reply/push (extra texts are merged into the last one), at most
13 quick-reply items, 5,000 characters per text, 20 per quick-reply label, 300 per postback data / action text,
400 per Flex alt text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from channels.line.rasa import GarbageCard, LineAnswer
from channels.line.texts import LANGUAGES, text
from channels.rasa_client import Button

MAX_MESSAGES = 5
MAX_QUICK_REPLIES = 13
MAX_TEXT = 5000
MAX_LABEL = 20
MAX_DATA = 300
MAX_ALT_TEXT = 400

# Postback data the channel handles itself (everything starting with "/" goes to Rasa).
LANGUAGE_MENU = "menu=language"
SET_LANGUAGE_PREFIX = "lang="

CATEGORIES_YAML = Path(__file__).resolve().parents[2] / "knowledge_base" / "data" / "garbage" / "categories.yaml"
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_FALLBACK_COLOUR = "#616161"

Message = dict[str, Any]


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def text_message(value: str) -> Message:
    return {"type": "text", "text": _cut(value, MAX_TEXT)}


def quick_reply_item(button: Button) -> Message:
    title, payload = button["title"].strip() or button["payload"], button["payload"]
    label = _cut(title, MAX_LABEL)
    if payload.startswith("/") and len(payload) <= MAX_DATA:
        # An intent payload: a postback keeps Rasa's /intent{...} syntax out of the chat; the user sees the title.
        action = {"type": "postback", "label": label, "data": payload, "displayText": _cut(title, MAX_DATA)}
    else:
        # Plain-text payloads (or /payloads too long for postback data) are sent as if the user typed them.
        said = payload if not payload.startswith("/") else title
        action = {"type": "message", "label": label, "text": _cut(said, MAX_DATA)}
    return {"type": "action", "action": action}


def with_quick_replies(messages: list[Message], buttons: list[Button]) -> list[Message]:
    """Attach up to 13 quick replies to the last message (LINE shows them only under the last one)."""
    unique = list({b["payload"]: b for b in buttons if b["payload"]}.values())[:MAX_QUICK_REPLIES]
    if unique and messages:
        messages[-1]["quickReply"] = {"items": [quick_reply_item(b) for b in unique]}
    return messages


def fit_texts(texts: list[str], slots: int) -> list[Message]:
    """Texts as at most `slots` messages: the extras are merged into the last one, not dropped."""
    texts = [t for t in texts if t.strip()]
    if slots <= 0 or not texts:
        return []
    if len(texts) > slots:
        texts = [*texts[: slots - 1], "\n\n".join(texts[slots - 1 :])]
    return [text_message(t) for t in texts]


def build_reply(answer: LineAnswer, lang: str) -> list[Message]:
    """The LINE messages for one Rasa answer.

    With cards, the first Rasa message (the item answer the card shows) becomes the card's alt text, i.e. what
    notifications and old LINE clients display; the remaining messages follow the card(s).
    """
    rasa_messages = answer["reply"]["messages"]
    texts = [m["text"] for m in rasa_messages]
    buttons = [b for m in rasa_messages for b in m.get("buttons", [])]
    cards: list[Message] = []
    if answer["cards"]:
        alt_first = texts.pop(0) if texts else ""
        room = MAX_MESSAGES - (1 if any(t.strip() for t in texts) else 0)
        for i, card in enumerate(answer["cards"][:room]):
            cards.append(garbage_card(card, lang, alt_text=alt_first if i == 0 else ""))
    messages = cards + fit_texts(texts, MAX_MESSAGES - len(cards))
    if not messages and buttons:
        messages = [text_message("\n".join(b["title"] for b in buttons))]
    return with_quick_replies(messages, buttons)


def language_menu(lang: str) -> list[Message]:
    buttons = [Button(title=label, payload=SET_LANGUAGE_PREFIX + code) for code, label in LANGUAGES]
    message = text_message(text("choose_language", lang))
    message["quickReply"] = {
        "items": [
            {
                "type": "action",
                "action": {"type": "postback", "label": b["title"], "data": b["payload"], "displayText": b["title"]},
            }
            for b in buttons[:MAX_QUICK_REPLIES]
        ]
    }
    return [message]


@lru_cache(maxsize=1)
def _category_colours() -> dict[str, str]:
    import yaml

    try:
        rows = yaml.safe_load(CATEGORIES_YAML.read_text(encoding="utf-8")) or []
    except OSError:
        return {}
    return {str(r["id"]): str(r["colour"]) for r in rows if isinstance(r, dict) and "id" in r and "colour" in r}


def card_colour(card: GarbageCard) -> str:
    colour = card.get("colour") or _category_colours().get(card.get("category_id") or "", "")
    return colour if _HEX_COLOUR.match(colour) else _FALLBACK_COLOUR


def _ink_on(colour: str) -> str:
    """Black or white text, whichever reads better on the colour (WCAG relative luminance)."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if luminance > 0.179 else "#ffffff"


def garbage_card(card: GarbageCard, lang: str, *, alt_text: str = "") -> Message:
    colour = card_colour(card)
    body: list[Message] = [{"type": "text", "text": card["item"], "weight": "bold", "size": "xl", "wrap": True}]
    for label_key, value in (("card_how", card.get("how")), ("card_next", card.get("next_date"))):
        if value:
            body.append(
                {"type": "text", "text": text(label_key, lang), "size": "sm", "color": "#757575", "margin": "lg"}
            )
            body.append({"type": "text", "text": _cut(value, 2000), "size": "md", "wrap": True})
    bubble: Message = {
        "type": "bubble",
        "header": {
            "type": "box",
            "layout": "vertical",
            "backgroundColor": colour,
            "contents": [
                {
                    "type": "text",
                    "text": card["category"],
                    "weight": "bold",
                    "size": "lg",
                    "wrap": True,
                    "color": _ink_on(colour),
                }
            ],
        },
        "body": {"type": "box", "layout": "vertical", "contents": body},
    }
    source = card.get("source") or ""
    if source.startswith("https://"):
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {
                    "type": "button",
                    "style": "link",
                    "height": "sm",
                    "action": {"type": "uri", "label": _cut(text("card_source", lang), MAX_LABEL), "uri": source},
                }
            ],
        }
    alt = alt_text.strip() or f"{card['item']}: {card['category']}"
    return {"type": "flex", "altText": _cut(alt, MAX_ALT_TEXT), "contents": bubble}
