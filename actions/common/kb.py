"""The process-wide KnowledgeBase, loaded once on first use (never at import time)."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge_base.service import KnowledgeBase

from actions.common.errors import KnowledgeBaseUnavailable

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_kb: KnowledgeBase | None = None


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
    return await asyncio.to_thread(get_kb)


def set_kb(kb: KnowledgeBase | None) -> KnowledgeBase | None:
    """Replace the process-wide instance and return the previous one (tests; None forces a reload on next use)."""
    global _kb
    with _lock:
        previous, _kb = _kb, kb
    return previous
