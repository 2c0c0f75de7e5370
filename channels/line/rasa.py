"""Ask Rasa (the `gateway` custom channel) for the LINE channel, keeping `meta.cards` for Flex cards.

The HTTP call and its typed errors are channels/rasa_client.py's; `parse_reply` validates the messages, and the
`meta.cards` that the web contract leaves out become LINE Flex message cards here; a confirmed "forget me" becomes
`forget_me`.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

import aiohttp

from channels.rasa_client import BotReply, RasaClient, parse_reply
from settings import GatewaySettings


class GarbageCard(TypedDict):
    type: str  # "garbage_item"
    item: str
    category: str
    category_id: NotRequired[str]
    colour: NotRequired[str]
    how: NotRequired[str]
    next_date: NotRequired[str | None]
    source: NotRequired[str]


class LineAnswer(TypedDict):
    reply: BotReply
    cards: list[GarbageCard]
    forget_me: NotRequired[bool]  # Rasa confirmed "forget me" (channels/forget.py): the channel deletes the data


async def ask_rasa(
    session: aiohttp.ClientSession, settings: GatewaySettings, sender: str, message: str, lang: str
) -> LineAnswer:
    from channels.forget import forget_requested

    body = await RasaClient(session, settings).post(sender, message, lang=lang, channel="line")
    answer = LineAnswer(reply=parse_reply(body), cards=parse_cards(body))
    if forget_requested(body):
        answer["forget_me"] = True
    return answer


def parse_cards(body: Any) -> list[GarbageCard]:
    """Garbage-item cards from `meta.cards`; malformed entries are dropped, never fatal."""
    meta = body.get("meta") if isinstance(body, dict) else None
    raw_cards = meta.get("cards") if isinstance(meta, dict) else None
    cards: list[GarbageCard] = []
    for raw in raw_cards if isinstance(raw_cards, list) else []:
        if not isinstance(raw, dict) or raw.get("type") != "garbage_item":
            continue
        if not isinstance(raw.get("item"), str) or not isinstance(raw.get("category"), str):
            continue
        if not raw["item"].strip() or not raw["category"].strip():
            continue
        card = GarbageCard(type="garbage_item", item=raw["item"], category=raw["category"])
        for key in ("category_id", "colour", "how", "source", "next_date"):
            if isinstance(raw.get(key), str) and raw[key].strip():
                card[key] = raw[key]  # type: ignore[literal-required]
        cards.append(card)
    return cards
