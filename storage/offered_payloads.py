"""The payloads of buttons the assistant offered to each sender (table offered_payloads), so every gateway agrees.

A resident's text that starts with "/" is run by Rasa as an intent (`/restart`, `/ask_garbage_item{"item": "…"}`)
unless the gateway disarms it. The gateway records the /payloads of the buttons in each reply it sends, and lets a
"/" message through as a payload only when the same sender was offered exactly that payload within the TTL; anything
else is answered as text. With several gateways on one database, a button offered through one gateway and pressed
through another is recognised.

Stored: keyed hashes of the sender id and of the payload (storage.privacy.sender_key), never either itself — a payload
can carry what the resident said (an item name, a date). Synchronous, one transaction per method; the gateway calls it
through `asyncio.to_thread`. Nothing here logs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from storage.models import OfferedPayload
from storage.privacy import sender_key

Clock = Callable[[], datetime]
# Most distinct payloads recorded from one reply: Rasa replies carry a handful of buttons; this bounds a bad reply.
MAX_PER_REPLY = 50


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def normalise_payload(payload: str) -> str:
    """The form compared: what Rasa itself reads (it strips surrounding whitespace before parsing a payload)."""
    return payload.strip()


class OfferedPayloads:
    def __init__(self, sessions: sessionmaker[Session], *, salt: str, clock: Clock = _utcnow) -> None:
        self._sessions = sessions
        self._salt = salt
        self._clock = clock

    def _sender(self, sender_id: str) -> str:
        return sender_key(sender_id, self._salt)

    def _payload(self, payload: str) -> str:
        # A different key space from sender ids, so a payload's hash never equals some sender's hash.
        return sender_key("payload\x00" + normalise_payload(payload), self._salt)

    def offer(self, sender_id: str, payloads: Iterable[str]) -> int:
        """Record that `sender_id` was offered `payloads` now (refreshing older offers); returns how many."""
        keys = list(dict.fromkeys(self._payload(p) for p in payloads if normalise_payload(p)))[:MAX_PER_REPLY]
        if not keys:
            return 0
        now, sender = self._clock(), self._sender(sender_id)
        with self._sessions.begin() as session:
            insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
            stmt = insert(OfferedPayload).values(
                [{"sender_key": sender, "payload_key": key, "offered_at": now} for key in keys]
            )
            # Two gateways recording the same button at once: one row, the later time (no unique-key error).
            session.execute(
                stmt.on_conflict_do_update(
                    index_elements=[OfferedPayload.sender_key, OfferedPayload.payload_key],
                    set_={"offered_at": stmt.excluded.offered_at},
                )
            )
        return len(keys)

    def was_offered(self, sender_id: str, payload: str, ttl: timedelta) -> bool:
        """Whether `payload` was offered to `sender_id` less than `ttl` ago."""
        with self._sessions.begin() as session:
            found = session.scalar(
                select(OfferedPayload.offered_at).where(
                    OfferedPayload.sender_key == self._sender(sender_id),
                    OfferedPayload.payload_key == self._payload(payload),
                    OfferedPayload.offered_at >= self._clock() - ttl,
                )
            )
        return found is not None

    def forget(self, sender_id: str) -> int:
        """Delete every offer made to `sender_id` ("forget me"); returns how many rows went."""
        with self._sessions.begin() as session:
            result = session.execute(delete(OfferedPayload).where(OfferedPayload.sender_key == self._sender(sender_id)))
            return result.rowcount

    def purge(self, before: datetime) -> int:
        """Delete offers made before `before` (expired); returns how many."""
        with self._sessions.begin() as session:
            return session.execute(delete(OfferedPayload).where(OfferedPayload.offered_at < before)).rowcount
