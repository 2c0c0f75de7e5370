"""The query batcher: concurrent residents' texts encoded together, each distinct text once, errors to every caller."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from knowledge_base.core.batcher import QueryBatcher


class RecordingEncoder:
    """Encodes text i as a row holding its length, and records every batch it was given."""

    def __init__(self, gate: threading.Event | None = None, fail: set[str] | None = None) -> None:
        self.batches: list[list[str]] = []
        self.gate = gate
        self.fail = fail or set()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if self.gate is not None:
            self.gate.wait(10)  # hold the first batch so later callers pile up behind it
        self.batches.append(list(texts))
        if self.fail & set(texts):
            raise RuntimeError("encoder broke")
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)


def ask_all(batcher: QueryBatcher, texts: list[str]) -> list[np.ndarray]:
    with ThreadPoolExecutor(len(texts)) as pool:
        return list(pool.map(batcher.vector, texts))


def test_concurrent_questions_share_batches_and_each_gets_its_own_vector() -> None:
    gate = threading.Event()
    encoder = RecordingEncoder(gate)
    batcher = QueryBatcher(encoder, wait=0.05)
    texts = [f"question {'x' * i}" for i in range(12)]
    threading.Timer(0.2, gate.set).start()
    vectors = ask_all(batcher, texts)
    assert [v[0] for v in vectors] == [float(len(t)) for t in texts]
    assert sum(len(b) for b in encoder.batches) == len(texts)
    assert len(encoder.batches) < len(texts)  # at least some questions were encoded together


def test_the_same_text_is_encoded_once_for_many_callers_and_later_from_the_cache() -> None:
    encoder = RecordingEncoder()
    batcher = QueryBatcher(encoder, wait=0.05)
    ask_all(batcher, ["スプレー缶は何ごみ？"] * 8)
    batcher.vector("スプレー缶は何ごみ？")
    assert encoder.batches == [["スプレー缶は何ごみ？"]]


def test_a_batch_never_exceeds_max_batch() -> None:
    encoder = RecordingEncoder()
    batcher = QueryBatcher(encoder, wait=0.05, max_batch=3)
    ask_all(batcher, [f"q{i}" for i in range(10)])
    assert max(len(b) for b in encoder.batches) <= 3


def test_an_encoder_error_reaches_every_caller_of_that_batch_and_the_next_question_is_answered() -> None:
    encoder = RecordingEncoder(fail={"broken"})
    batcher = QueryBatcher(encoder, wait=0.0)
    with pytest.raises(RuntimeError, match="encoder broke"):
        batcher.vector("broken")
    encoder.fail.clear()
    assert batcher.vector("broken")[0] == len("broken")  # not cached as a failure: asked again, encoded again
    assert batcher.vector("fine")[0] == len("fine")


def test_the_cache_keeps_only_the_most_recent_texts() -> None:
    encoder = RecordingEncoder()
    batcher = QueryBatcher(encoder, wait=0.0, cache_size=2)
    for text in ("a", "b", "a", "c", "a", "b"):  # "b" was least recently used when "c" came: evicted
        batcher.vector(text)
    assert [t for b in encoder.batches for t in b] == ["a", "b", "c", "b"]


@pytest.mark.parametrize("kwargs", [{"wait": -1.0}, {"max_batch": 0}, {"cache_size": -1}], ids=str)
def test_bad_settings_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="bad batcher settings"):
        QueryBatcher(RecordingEncoder(), **kwargs)
