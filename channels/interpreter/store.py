"""The application database for saved transcripts: opened and migrated in a worker thread on first use (so the
interpreter works without a database until staff save something), closed with the app."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from channels.appdb import LazyDatabase

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from storage.transcripts import SavedTranscript, Transcripts, Turn


class TranscriptDatabase(LazyDatabase["Transcripts"]):
    def __init__(self, url: str | None = None) -> None:
        """`url`: default CHIBA_DATABASE_URL, read on first use."""
        super().__init__(_transcripts, url)

    async def repo(self) -> Transcripts:
        return await self.repository()

    async def save(self, lang: str, turns: list[Turn], keep_days: int) -> SavedTranscript:
        repo = await self.repo()
        return await asyncio.to_thread(repo.save, lang, turns, keep_days)

    async def get(self, transcript_id: int) -> SavedTranscript | None:
        repo = await self.repo()
        return await asyncio.to_thread(repo.get, transcript_id)


def _transcripts(engine: Engine) -> Transcripts:
    from storage.db import session_factory
    from storage.transcripts import Transcripts

    return Transcripts(session_factory(engine))
