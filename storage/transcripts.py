"""Saved interpreter transcripts: written only when counter staff press "save", read back with the staff token, and
deleted once they expire (InterpreterSettings.transcript_days, 30 by default).

Expired rows are deleted whenever a transcript is saved or read (and by `purge_expired`), so an expired transcript
can never be read even if nothing else ran in between: `get` also checks the expiry itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, TypedDict

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from storage.models import InterpreterTranscript

Clock = Callable[[], datetime]
ROLES = ("staff", "resident")
MAX_FIELD_CHARS = 4000  # one utterance (its two texts are each at most the gateway's 2,000 characters, plus labels)


class Turn(TypedDict):
    role: str  # staff | resident
    ja: str  # the utterance in Japanese (what staff read)
    text: str  # the utterance in the resident's language
    source: str  # where the other-language text came from: original | phrasebook | knowledge_base | machine | none


class TranscriptError(ValueError):
    """A transcript that cannot be saved as given; the message names the problem."""


@dataclass(frozen=True, slots=True)
class SavedTranscript:
    id: int
    lang: str
    turns: list[Turn]
    created_at: datetime
    expires_at: datetime

    @property
    def reference(self) -> str:
        return transcript_reference(self.id)


def transcript_reference(transcript_id: int) -> str:
    """What staff note down to open a saved transcript again: "T-000012"."""
    return f"T-{transcript_id:06d}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def check_turns(turns: object, max_turns: int) -> list[Turn]:
    """The turns as stored; TranscriptError for anything that is not a list of well-formed utterances."""
    if not isinstance(turns, list) or not turns:
        raise TranscriptError("turns must be a non-empty list")
    if len(turns) > max_turns:
        raise TranscriptError(f"a transcript holds at most {max_turns} utterances")
    out: list[Turn] = []
    for n, turn in enumerate(turns):
        if not isinstance(turn, dict):
            raise TranscriptError(f"turn {n} is not an object")
        values = {key: turn.get(key) for key in ("role", "ja", "text", "source")}
        if values["role"] not in ROLES:
            raise TranscriptError(f"turn {n}: role must be one of {', '.join(ROLES)}")
        for key, value in values.items():
            if not isinstance(value, str) or len(value) > MAX_FIELD_CHARS:
                raise TranscriptError(f"turn {n}: {key} must be text of at most {MAX_FIELD_CHARS} characters")
        out.append(Turn(role=str(values["role"]), ja=str(values["ja"]), text=str(values["text"]),
                        source=str(values["source"])))  # fmt: skip
    return out


def _saved(row: InterpreterTranscript) -> SavedTranscript:
    turns: Any = json.loads(row.turns)
    return SavedTranscript(row.id, row.lang, turns, row.created_at, row.expires_at)


class Transcripts:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    def save(self, lang: str, turns: list[Turn], keep_days: int) -> SavedTranscript:
        """Store a checked transcript (see check_turns) that expires `keep_days` days from now."""
        now = self._clock()
        with self._sessions.begin() as session:
            session.execute(delete(InterpreterTranscript).where(InterpreterTranscript.expires_at <= now))
            row = InterpreterTranscript(
                lang=lang,
                turns=json.dumps(turns, ensure_ascii=False),
                created_at=now,
                expires_at=now + timedelta(days=keep_days),
            )
            session.add(row)
            session.flush()
            return _saved(row)

    def get(self, transcript_id: int) -> SavedTranscript | None:
        """The transcript, or None when there is none or it has expired."""
        now = self._clock()
        with self._sessions.begin() as session:
            session.execute(delete(InterpreterTranscript).where(InterpreterTranscript.expires_at <= now))
            row = session.get(InterpreterTranscript, transcript_id)
            return _saved(row) if row is not None and row.expires_at > now else None

    def delete(self, transcript_id: int) -> bool:
        with self._sessions.begin() as session:
            result = session.execute(delete(InterpreterTranscript).where(InterpreterTranscript.id == transcript_id))
            return bool(result.rowcount)

    def purge_expired(self) -> int:
        """Delete every expired transcript; how many were deleted."""
        with self._sessions.begin() as session:
            result = session.execute(
                delete(InterpreterTranscript).where(InterpreterTranscript.expires_at <= self._clock())
            )
            return int(result.rowcount or 0)
