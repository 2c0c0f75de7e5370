"""Query vectors for many threads at once: concurrent texts are encoded as one batch, each distinct text once.

e5-small on one torch thread takes ~24 ms for one query and ~9 ms per query in a batch of 30, so when several
residents' messages need a vector at the same moment, one batch is cheaper than a queue of single encodes. One thread
encodes: when a text arrives it waits `wait` seconds for others to join (only while callers come together: after a
batch of one it encodes at once), encodes up to `max_batch` texts as one batch and hands each caller its row; texts
arriving meanwhile form the next round. A text already cached, or already being
encoded for another caller, is never encoded again (an LRU of `cache_size` texts per process).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


class QueryBatcher:
    """Thread-safe `vector(text)` over an encoder of many texts (`Embedder.queries`); one encoding thread, started
    on first use (never at import or construction)."""

    def __init__(
        self,
        encode: Callable[[Sequence[str]], np.ndarray],
        *,
        wait: float = 0.002,
        max_batch: int = 32,
        cache_size: int = 1024,
    ) -> None:
        if wait < 0 or max_batch < 1 or cache_size < 0:
            raise ValueError(f"bad batcher settings: wait={wait}, max_batch={max_batch}, cache_size={cache_size}")
        self._encode = encode
        self._wait = wait
        self._max_batch = max_batch
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._waiting: dict[str, Future[np.ndarray]] = {}  # queued or being encoded
        self._queued: list[str] = []  # texts of _waiting not yet taken into a batch, in arrival order
        self._thread: threading.Thread | None = None
        self._last_batch = 0
        self.batches = 0  # rounds encoded (for benchmarks and tests)
        self.encoded = 0  # texts encoded

    def vector(self, text: str) -> np.ndarray:
        """The text's query vector (blocks until its batch is encoded; an encoder error is raised to every caller)."""
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
            future = self._waiting.get(text)
            if future is None:
                future = self._waiting[text] = Future()
                self._queued.append(text)
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="query-batcher", daemon=True)
                    self._thread.start()
                self._ready.notify()
        return future.result()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queued:
                    self._ready.wait()
            if self._wait and self._last_batch > 1:
                # Callers are arriving together: let them join this round. A lone resident (last batch of one) is
                # encoded at once; texts that arrive during that encode still form the next batch.
                time.sleep(self._wait)
            with self._lock:
                batch, self._queued = self._queued[: self._max_batch], self._queued[self._max_batch :]
                self._last_batch = len(batch)
            self._encode_batch(batch)

    def _encode_batch(self, batch: list[str]) -> None:
        try:
            rows = self._encode(batch)
        except Exception as exc:  # every caller of this round gets the error; the next round may succeed
            with self._lock:
                futures = [self._waiting.pop(text) for text in batch]
            for future in futures:
                future.set_exception(exc)
            return
        with self._lock:
            self.batches += 1
            self.encoded += len(batch)
            futures = [self._waiting.pop(text) for text in batch]
            for text, row in zip(batch, rows, strict=True):
                self._cache[text] = row
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        for future, row in zip(futures, rows, strict=True):
            future.set_result(row)

    def clear(self) -> None:
        """Forget cached vectors (benchmarks measure the encoder)."""
        with self._lock:
            self._cache.clear()
