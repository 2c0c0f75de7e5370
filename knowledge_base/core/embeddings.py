"""The multilingual-e5-small sentence encoder: loading it and encoding with the e5 prefixes.

Settings: `settings.EmbeddingSettings` (CHIBA_EMBEDDING_MODEL: the model folder or a hub id; CHIBA_TORCH_THREADS).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class EmbeddingError(RuntimeError):
    """The encoder could not be configured or loaded."""


class EmbeddingModelMissing(EmbeddingError, FileNotFoundError):
    """The local model folder does not exist (it is built offline by `make model`)."""


def resolve_model(model: str) -> str:
    """A local folder (must exist) or a hub id (`owner/name`, left to sentence-transformers to fetch)."""
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path)
    looks_like_path = path.is_absolute() or model.startswith((".", "~")) or not _HUB_ID.match(model)
    if looks_like_path:
        raise EmbeddingModelMissing(
            f"embedding model folder not found: {path}. Build it offline with `make model` "
            f"(python -m knowledge_base.core.prepare_model --out {path}), or set CHIBA_EMBEDDING_MODEL "
            f"to another folder or a hub id."
        )
    return model


def load_encoder(model: str | None = None) -> SentenceTransformer:
    """Load the sentence encoder on CPU; `model` overrides CHIBA_EMBEDDING_MODEL.

    Raises EmbeddingModelMissing, or settings.SettingsError for a bad CHIBA_TORCH_THREADS."""
    from settings import EmbeddingSettings

    settings = EmbeddingSettings.from_env()
    location = resolve_model(model or settings.model)

    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a weight-loading bar per start is noise in service logs
    torch.set_num_threads(settings.torch_threads)
    return SentenceTransformer(location, device="cpu")


def _encode(encoder: SentenceTransformer, texts: Sequence[str], prefix: str, batch_size: int) -> np.ndarray:
    import numpy as np

    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not one string")
    if len(texts) == 0:
        # get_embedding_dimension is sentence-transformers >= 6; older releases name it differently.
        dimension = getattr(encoder, "get_embedding_dimension", None) or encoder.get_sentence_embedding_dimension
        return np.zeros((0, dimension() or 0), np.float32)
    # Edge whitespace carries no meaning but changes e5's tokens (a trailing "▁").
    prefixed = [prefix + text.strip() for text in texts]
    vectors = encoder.encode(
        prefixed, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)


def encode_queries(encoder: SentenceTransformer, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
    """What residents ask -> L2-normalised float32 rows, shape (len(texts), dim)."""
    return _encode(encoder, texts, QUERY_PREFIX, batch_size)


def encode_passages(encoder: SentenceTransformer, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
    """What the knowledge base answers with (items, FAQ entries) -> L2-normalised float32 rows."""
    return _encode(encoder, texts, PASSAGE_PREFIX, batch_size)
