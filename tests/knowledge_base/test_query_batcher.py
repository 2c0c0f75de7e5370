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


def unit(row: list[float]) -> np.ndarray:
    vector = np.array(row, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_offered_vectors_are_used_once_the_first_one_matched_this_encoder() -> None:
    # The Rasa server sends the message's vector with its action call; the first one is checked against our own.
    encoder = RecordingEncoder()
    batcher = QueryBatcher(encoder, wait=0.0)
    assert batcher.offer("電池は何ごみ", unit([len("電池は何ごみ"), 1.0]))
    np.testing.assert_array_equal(batcher.vector("電池は何ごみ"), [len("電池は何ごみ"), 1.0])  # ours, to compare
    assert batcher.trust_offers is True
    assert batcher.offer("Where do PET bottles go?", unit([3.0, 4.0]))
    np.testing.assert_allclose(batcher.vector("Where do PET bottles go?"), [0.6, 0.8])  # the offered one, not encoded
    assert [t for b in encoder.batches for t in b] == ["電池は何ごみ"]
    assert batcher.offers_used == 1
    batcher.vector("Where do PET bottles go?")  # now cached like an encoded one
    assert batcher.offers_used == 1 and batcher.encoded == 1


def test_offers_that_differ_from_this_encoder_are_ignored_for_good(caplog: pytest.LogCaptureFixture) -> None:
    encoder = RecordingEncoder()
    batcher = QueryBatcher(encoder, wait=0.0)
    assert batcher.offer("spray can", unit([1.0, -9.0]))  # another model's vector: points elsewhere
    with caplog.at_level("WARNING", logger="knowledge_base.core.batcher"):
        assert batcher.vector("spray can")[0] == len("spray can")
    assert batcher.trust_offers is False
    assert "differ from this encoder" in caplog.text
    assert not batcher.offer("umbrella", unit([len("umbrella"), 1.0]))  # even a right one: never trusted again
    assert batcher.vector("umbrella")[0] == len("umbrella")
    assert [t for b in encoder.batches for t in b] == ["spray can", "umbrella"]
    assert batcher.offers_used == 0


@pytest.mark.parametrize(
    "vector",
    [np.zeros(2, dtype=np.float32), np.array([np.nan, 1.0], dtype=np.float32), np.array([], dtype=np.float32)],
    ids=["zero", "nan", "empty"],
)
def test_an_unusable_offered_vector_is_not_kept(vector: np.ndarray) -> None:
    batcher = QueryBatcher(RecordingEncoder(), wait=0.0)
    assert not batcher.offer("battery", vector)
    assert batcher.vector("battery")[0] == len("battery")
    assert batcher.trust_offers is None  # nothing was compared


def test_an_offer_for_a_cached_text_changes_nothing() -> None:
    encoder = RecordingEncoder()
    batcher = QueryBatcher(encoder, wait=0.0)
    batcher.vector("lamp")
    assert not batcher.offer("lamp", unit([0.0, 1.0]))
    assert batcher.vector("lamp")[0] == len("lamp")
