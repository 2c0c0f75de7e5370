"""Ask Rasa (the `gateway` custom channel) for the LINE channel, keeping `meta.cards` for Flex cards.

Same wire contract and typed errors as channels/rasa_client.py, whose `parse_reply` validates the messages;
that client drops `meta.cards`, which the LINE channel turns into Flex message cards.
"""

from __future__ import annotations

import logging
from typing import Any, NotRequired, TypedDict

import aiohttp

from channels.errors import BackendTimeout, BackendUnavailable, BadGateway
from channels.rasa_client import WEBHOOK_PATH, BotReply, parse_reply
from channels.settings import Settings

log = logging.getLogger("channels.line.rasa")


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


async def ask_rasa(
    session: aiohttp.ClientSession, settings: Settings, sender: str, message: str, lang: str
) -> LineAnswer:
    payload = {"sender": sender, "message": message, "metadata": {"lang": lang, "channel": "line"}}
    timeout = aiohttp.ClientTimeout(total=settings.backend_timeout)
    try:
        async with session.post(settings.rasa_base + WEBHOOK_PATH, json=payload, timeout=timeout) as resp:
            if resp.status == 503:
                raise BackendUnavailable()
            if resp.status != 200:
                log.warning("rasa answered HTTP %d", resp.status)
                raise BadGateway()
            try:
                body = await resp.json(content_type=None)
            except ValueError as exc:
                raise BadGateway() from exc
    except TimeoutError as exc:
        raise BackendTimeout() from exc
    except aiohttp.ClientError as exc:
        log.warning("rasa unreachable: %s", type(exc).__name__)
        raise BackendUnavailable() from exc
    return LineAnswer(reply=parse_reply(body), cards=parse_cards(body))


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
