"""The one entry point the actions use to read city knowledge: every domain, the shared places, one encoder.

`kb.garbage` (item lookup, towns, collection days), `kb.domain("library").faq` (question search), `kb.places`
(offices, opening hours). One query vector per distinct text, cached and shared by every domain (one embedding
per message however many domains are searched); texts asked at the same moment by several threads are encoded as one
batch (knowledge_base/core/batcher.py, settings.ThroughputSettings).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from knowledge_base.core.batcher import QueryBatcher
from knowledge_base.core.data import DataError
from knowledge_base.core.index import Corpus
from knowledge_base.domains import domain_specs
from settings import KnowledgeBaseSettings, ThroughputSettings

if TYPE_CHECKING:
    import numpy as np

    from knowledge_base.core.classifier import FaqClassifier
    from knowledge_base.core.domain import DomainSpec
    from knowledge_base.core.faq import FaqEntry, FaqHit
    from knowledge_base.core.index import Embedder, Indexes
    from knowledge_base.garbage.service import GarbageKnowledge

_QUERY_CACHE_SIZE = 1024


class UnknownDomain(KeyError):
    """No domain of that name is loaded."""


@dataclass(frozen=True)
class LoadedData:
    """Every domain's validated data and the places they refer to (no model needed: `build_index` checks this)."""

    domains: dict[str, Any]
    specs: tuple[DomainSpec, ...]
    places: Any

    def corpora(self) -> dict[str, Corpus]:
        out: dict[str, Corpus] = {}
        for spec in self.specs:
            out.update(spec.corpora(self.domains[spec.name]))
        return out


def load_data(settings: KnowledgeBaseSettings) -> LoadedData:
    """Read and validate every data file of every domain; raises DataError listing all problems."""
    places = _load_places(settings)
    offices = getattr(places, "offices", None) or {}
    problems: list[str] = []
    domains: dict[str, Any] = {}
    # A domain whose data folder is absent is not loaded (test fixtures hold one domain); one that is there must load.
    specs = tuple(spec for spec in domain_specs() if (settings.data_dir / spec.name).is_dir())
    for spec in specs:
        try:
            domains[spec.name] = spec.load(settings.data_dir, offices)
        except DataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise DataError(problems)
    return LoadedData(domains, specs, places)


def _load_places(settings: KnowledgeBaseSettings) -> Any:
    """The shared places (offices, wards, hours); None while the data folder has none."""
    if not (settings.data_dir / "places").is_dir():
        return None
    from knowledge_base.places import load_places

    return load_places(settings.data_dir)


class KnowledgeBase:
    """Loads the data files, the encoder and the FAISS indexes (building them if the data changed)."""

    _shared: KnowledgeBase | None = None
    _shared_lock = threading.Lock()

    def __init__(self, data: LoadedData, indexes: Indexes, embedder: Embedder, settings: KnowledgeBaseSettings) -> None:
        self._embedder = embedder
        self._settings = settings
        throughput = ThroughputSettings.from_env()
        self._queries = QueryBatcher(
            embedder.queries,
            wait=throughput.embed_batch_wait_ms / 1000,
            max_batch=throughput.embed_batch_max,
            cache_size=_QUERY_CACHE_SIZE,
        )
        self.places = data.places
        self.domains: dict[str, Any] = {
            spec.name: spec.service(data.domains[spec.name], indexes, self.query_vector, settings)
            for spec in data.specs
        }
        self._classified = [
            service for service in self.domains.values() if getattr(service, "classified", False) and service.entries
        ]
        self._entries: list[FaqEntry] = [entry for service in self._classified for entry in service.entries]
        self._classifier = self._train_classifier(indexes) if len(self._entries) > 1 else None

    def _train_classifier(self, indexes: Indexes) -> FaqClassifier:
        """One classifier over the entries of every question-and-answer domain, from their index rows."""
        import numpy as np

        from knowledge_base.core.classifier import FaqClassifier

        vectors, texts, owners, offset = [], [], [], 0
        for service in self._classified:
            index = indexes[f"{service.name}.faq"]
            vectors.append(index.vectors())
            texts.extend(row.text for row in index.rows)
            owners.extend(offset + row.owner for row in index.rows)
            offset += len(service.entries)
        return FaqClassifier.cached(
            np.vstack(vectors), texts, owners, len(self._entries), self._settings.index_dir / "classifier"
        )

    def classify(self, text: str, k: int = 3) -> list[FaqHit]:
        """The `k` likeliest entries of all question-and-answer domains with their probability (1.0 for a question
        written exactly as in the data). Confident from `confident_score`, candidates from `unsure_score`."""
        from knowledge_base.core.faq import FaqHit

        phrase = text.strip()
        if not phrase or self._classifier is None:
            return []
        hits: list[FaqHit] = []
        for service in self._classified:
            entry = service.faq.exact(phrase)
            if entry is not None:
                hits.append(FaqHit(entry, 1.0, phrase))
                break
        probabilities = self._classifier.probabilities(self.query_vector(phrase), phrase)
        for owner in probabilities.argsort()[::-1][: k + 1]:
            entry = self._entries[int(owner)]
            if all(hit.entry is not entry for hit in hits):
                hits.append(FaqHit(entry, round(float(probabilities[owner]), 4), ""))
        return hits[:k]

    @property
    def confident_score(self) -> float:
        return self._settings.faq_confident

    @property
    def unsure_score(self) -> float:
        return self._settings.faq_unsure

    @classmethod
    def load(cls, settings: KnowledgeBaseSettings | None = None, embedder: Embedder | None = None) -> KnowledgeBase:
        """Read and validate the data, load the encoder, and load (or build) the indexes. Raises DataError."""
        from knowledge_base.core.index import default_embedder, load_or_build

        settings = settings or KnowledgeBaseSettings.from_env()
        data = load_data(settings)
        embedder = embedder or default_embedder()
        indexes = load_or_build(data.corpora(), settings.data_dir, settings.index_dir, embedder)
        return cls(data, indexes, embedder, settings)

    @classmethod
    def shared(cls) -> KnowledgeBase:
        """One instance per process (the model and indexes are loaded once)."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls.load()
            return cls._shared

    def domain(self, name: str) -> Any:
        try:
            return self.domains[name]
        except KeyError:
            raise UnknownDomain(name) from None

    @property
    def garbage(self) -> GarbageKnowledge:
        return self.domain("garbage")

    def health(self) -> dict[str, int]:
        """Counts of loaded records and index rows per domain, e.g. {"garbage.items": 662, "library.faq": 22}."""
        counts: dict[str, int] = {}
        for name, service in self.domains.items():
            for key, value in service.health().items():
                counts[f"{name}.{key}"] = value
        if self.places is not None:
            counts["places.offices"] = len(self.places.offices)
        return counts

    @property
    def embedder(self) -> Embedder:
        """The encoder the indexes were built with (for callers that embed a corpus of their own: the phrasebook)."""
        return self._embedder

    def clear_cache(self) -> None:
        """Forget cached query vectors (benchmarks measure the encoder)."""
        self._queries.clear()

    def offer_query_vector(self, text: str, vector: np.ndarray) -> bool:
        """`text`'s query vector computed by another process with the same model (the Rasa server's NLU), used instead
        of encoding it here once the first such vector matched this encoder's (see knowledge_base/core/batcher.py)."""
        return self._queries.offer(text, vector)

    @property
    def query_batcher(self) -> QueryBatcher:
        """The query encoder's batcher (its counters are what benchmarks and tests read)."""
        return self._queries

    def query_vector(self, text: str) -> np.ndarray:
        """The text's query vector: cached, or encoded together with other threads' texts of the same moment."""
        return self._queries.vector(text)
