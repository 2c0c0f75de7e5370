"""PhraseVectors with a deterministic fake encoder: a sentence finds the phrase it means through the resident's
language or the Japanese, only phrases that stand out are offered, the speaker filter holds, and vectors are cached on
disk per language (a restart does not embed again; a changed phrasebook or model does)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from knowledge_base.phrasebook import Phrasebook, load_phrasebook
from knowledge_base.phrasebook.vectors import PhraseVectors
from settings import KnowledgeBaseSettings

DIM = 64


class FakeEmbedder:
    """Each text a fixed random unit vector; `aliases` make a sentence embed like a given text (a "translation")."""

    def __init__(self, model_id: str = "fake", aliases: dict[str, str] | None = None) -> None:
        self.model_id = model_id
        self.aliases = aliases or {}
        self.calls: list[int] = []

    def _vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(self.aliases.get(text, text).encode()).digest()[:4], "little")
        vector = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
        return vector / np.linalg.norm(vector)

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return np.vstack([self._vector(t) for t in texts])

    passages = queries


@pytest.fixture(scope="module")
def book() -> Phrasebook:
    return load_phrasebook(KnowledgeBaseSettings().data_dir)


def test_a_sentence_meaning_a_phrase_finds_it_through_its_own_language(book: Phrasebook, tmp_path: Path) -> None:
    phrase = book.get("resident_phrases_register_address")
    sentence = "Em muốn đăng ký địa chỉ"
    embedder = FakeEmbedder(aliases={sentence: phrase.texts["vi"]})
    vectors = PhraseVectors(book, embedder, tmp_path)
    (match,) = vectors.match(embedder.queries([sentence])[0], "vi", 3)
    assert match.phrase.id == phrase.id and match.via == "vi" and match.score == pytest.approx(1.0)
    assert match.confidence == "high" and match.z > 5


def test_cross_lingual_through_the_japanese_text(book: Phrasebook, tmp_path: Path) -> None:
    phrase = book.get("resident_phrases_register_address")
    sentence = "Quero registrar meu endereço"
    embedder = FakeEmbedder(aliases={sentence: phrase.texts["ja"]})
    (match,) = PhraseVectors(book, embedder, tmp_path).match(embedder.queries([sentence])[0], "pt", 3)
    assert match.phrase.id == phrase.id and match.via == "ja"


def test_a_sentence_like_nothing_gets_no_phrase(book: Phrasebook, tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    vectors = PhraseVectors(book, embedder, tmp_path)
    assert vectors.match(embedder.queries(["the weather is nice today"])[0], "en", 3) == []


def test_speaker_filter_keeps_the_speakers_phrases(book: Phrasebook, tmp_path: Path) -> None:
    staff_phrase = next(p for p in book.phrases if p.speaker == "staff")
    embedder = FakeEmbedder(aliases={"s": staff_phrase.texts["ja"]})
    vectors = PhraseVectors(book, embedder, tmp_path)
    assert vectors.match(embedder.queries(["s"])[0], "ja", 3, speaker="resident") == []
    assert vectors.match(embedder.queries(["s"])[0], "ja", 3, speaker="staff")[0].phrase.id == staff_phrase.id


def test_easy_japanese_is_matched_as_japanese(book: Phrasebook, tmp_path: Path) -> None:
    phrase = book.phrases[0]
    embedder = FakeEmbedder(aliases={"x": phrase.texts["ja"]})
    (match,) = PhraseVectors(book, embedder, tmp_path).match(embedder.queries(["x"])[0], "ja-easy", 1)
    assert match.phrase.id == phrase.id and match.via == "ja"


def test_vectors_are_cached_on_disk_per_language_and_model(book: Phrasebook, tmp_path: Path) -> None:
    first = FakeEmbedder()
    PhraseVectors(book, first, tmp_path).vectors("ko")
    assert first.calls == [len(book)]
    again = FakeEmbedder()
    cached = PhraseVectors(book, again, tmp_path).vectors("ko")
    assert again.calls == [] and cached.shape == (len(book), DIM)
    other_model = FakeEmbedder(model_id="another-model")
    PhraseVectors(book, other_model, tmp_path).vectors("ko")
    assert other_model.calls == [len(book)]


def test_a_torn_cache_file_is_embedded_again(book: Phrasebook, tmp_path: Path) -> None:
    PhraseVectors(book, FakeEmbedder(), tmp_path).vectors("en")
    (cache,) = tmp_path.glob("phrases-en-*.npy")
    cache.write_bytes(b"not numpy")
    embedder = FakeEmbedder()
    assert PhraseVectors(book, embedder, tmp_path).vectors("en").shape == (len(book), DIM)
    assert embedder.calls == [len(book)]
