"""Knowledge-base work off the action server's event loop, in one bounded pool.

Retrieval (embedding, FAISS, the question classifier, item lookup) is CPU-bound: run on the loop, one resident's
lookup would stall every other conversation's HTTP I/O. `await off_loop(kb.lookup_item, text, lang)` runs it in a
pool of CHIBA_KB_THREADS threads (settings.ThroughputSettings) — bounded, so a burst of messages queues here instead of
oversubscribing the two cores, and large enough that concurrent queries meet in the encoder's batcher
(knowledge_base/core/batcher.py). Database calls keep using `asyncio.to_thread` (waiting, not computing).
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def kb_pool() -> ThreadPoolExecutor:
    """The process's knowledge-base pool, created on first use (never at import time)."""
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                from settings import ThroughputSettings

                threads = ThroughputSettings.from_env().kb_threads
                _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kb")
    return _pool


async def off_loop(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`func(*args, **kwargs)` in the knowledge-base pool; its exception is raised here."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(kb_pool(), functools.partial(func, *args, **kwargs))
