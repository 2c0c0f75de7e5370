"""The process-wide KnowledgeBase, loaded once on first use (never at import time)."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge_base.service import KnowledgeBase

from actions.common.errors import KnowledgeBaseUnavailable

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_kb: KnowledgeBase | None = None
_places_lock = threading.Lock()
_places: Any = None


def get_kb() -> KnowledgeBase:
    """The loaded KnowledgeBase; the first caller loads it, concurrent callers wait for that load."""
    global _kb
    if _kb is None:
        with _lock:
            if _kb is None:
                from knowledge_base.service import KnowledgeBase

                try:
                    _kb = KnowledgeBase.load()
                except Exception as exc:  # any load failure must become an answer, not a dead action server
                    logger.exception("loading the knowledge base failed")
                    raise KnowledgeBaseUnavailable(str(exc)) from exc
    return _kb


async def kb_async() -> KnowledgeBase:
    """`get_kb` without blocking the event loop while the first load reads the model and indexes."""
    if _kb is not None:
        return _kb
    # The default executor, not the knowledge-base pool: a load of tens of seconds must not hold the pool's threads
    # while a greeting waits there for the places data.
    return await asyncio.to_thread(get_kb)


def loaded_kb() -> KnowledgeBase | None:
    """The knowledge base if it is already loaded, else None (never starts or waits for a load)."""
    return _kb


def get_places() -> Any:
    """The shared places (offices, phones, hours) without waiting for the whole knowledge base: the loaded KB's when
    there is one, else the places data read alone (a fraction of a second, where the KB's model, indexes and question
    classifier take tens of seconds) — so a greeting or a fallback never waits for retrieval to load."""
    global _places
    if _kb is not None:
        return getattr(_kb, "places", None)
    if _places is None:
        with _places_lock:
            if _places is None:
                from knowledge_base.service import _load_places
                from settings import KnowledgeBaseSettings

                try:
                    _places = _load_places(KnowledgeBaseSettings.from_env())
                except Exception as exc:  # the same rule as the KB: a data problem becomes a polite answer
                    logger.exception("loading the places data failed")
                    raise KnowledgeBaseUnavailable(str(exc)) from exc
    return _places


async def places_async() -> Any:
    """`get_places` off the event loop."""
    if _kb is not None:
        return getattr(_kb, "places", None)
    return await asyncio.to_thread(get_places)


async def places_or_none() -> Any:
    """The places data, or None when it cannot be read (the reply then gives the call centre's number)."""
    try:
        return await places_async()
    except KnowledgeBaseUnavailable:
        return None


def set_kb(kb: KnowledgeBase | None) -> KnowledgeBase | None:
    """Replace the process-wide instance and return the previous one (tests; None forces a reload on next use)."""
    global _kb
    global _places
    with _lock:
        previous, _kb = _kb, kb
        _places = None
    return previous
