"""Cross-lingual matching of a free sentence to the phrasebook with e5 (the interpreter's "probably:" list).

    vectors = PhraseVectors(book, embedder, cache_dir=settings.index_dir / "phrasebook")
    vectors.match(embedder.queries(["Tôi muốn đổi địa chỉ"])[0], "vi", limit=3)

Each phrase is embedded in Japanese and, on first use of a language, in that language (e5 "query:" role on both
sides, as the FAQ search does: a sentence is compared with sentences). A phrase scores the better of the two
cosines, so a Vietnamese sentence finds a phrase through its curated Vietnamese text or, cross-lingually, through the
Japanese. Placeholders are embedded as they are written ({window}); they cost a little similarity, not a match.

Raw e5-small cosines do not tell a match from noise: they crowd into 0.77-0.92 and run higher in some languages (an
unrelated Vietnamese sentence about the weather reaches 0.92). What separates them is how far a phrase stands above
the sentence's similarity to the whole phrasebook: `lift` = cosine - mean cosine over every phrase, and `z` = lift /
standard deviation. Measured on 12 resident sentences in 10 languages and 8 unrelated ones (report of the interp
part): matches have lift >= 0.08 and z >= 3.5, unrelated sentences lift <= 0.076 or z < 3.5.
Vectors are kept per language in memory and in `cache_dir` (keyed by the model and the phrase texts), so a restart
does not re-embed 355 phrases per language.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from translations import languages

if TYPE_CHECKING:
    import numpy as np

    from knowledge_base.core.index import Embedder
    from knowledge_base.phrasebook.models import Phrase, Phrasebook

log = logging.getLogger(__name__)

PIVOT = "ja"  # every phrase is also compared through its Japanese text (cross-lingual)
MIN_LIFT, MIN_Z, HIGH_LIFT = 0.075, 3.5, 0.10


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    phrase: Phrase
    score: float  # cosine of the sentence with the phrase (the better of its own-language and Japanese texts)
    via: str  # the language whose text matched best
    lift: float  # score minus the sentence's mean cosine over every phrase
    z: float  # lift in standard deviations of those cosines

    @property
    def confidence(self) -> str:
        """Band: "high" or "medium" (shown to staff next to the cosine): how clearly the phrase stands out."""
        return "high" if self.lift >= HIGH_LIFT else "medium"


class PhraseVectors:
    """e5 vectors of every phrase per language, built on first use and cached on disk."""

    def __init__(self, book: Phrasebook, embedder: Embedder, cache_dir: Path | None = None) -> None:
        self.book = book
        self.embedder = embedder
        self.cache_dir = cache_dir
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _texts(self, code: str) -> list[str]:
        return [phrase.texts[code] for phrase in self.book.phrases]

    def _cache_file(self, code: str, texts: list[str]) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256("\n".join([self.embedder.model_id, code, *texts]).encode()).hexdigest()[:16]
        return self.cache_dir / f"phrases-{code}-{digest}.npy"

    def vectors(self, code: str) -> np.ndarray:
        """Rows in phrasebook order for language `code` (a reply language code)."""
        import numpy as np

        with self._lock:
            found = self._vectors.get(code)
            if found is not None:
                return found
            texts = self._texts(code)
            path = self._cache_file(code, texts)
            matrix: np.ndarray | None = None
            if path is not None and path.is_file():
                try:
                    matrix = np.load(path)
                except (OSError, ValueError):  # a torn or foreign file: embed again
                    matrix = None
                if matrix is not None and matrix.shape[0] != len(texts):
                    matrix = None
            if matrix is None:
                matrix = self.embedder.queries(texts)
                if path is not None:
                    try:
                        path.parent.mkdir(parents=True, exist_ok=True)
                        tmp = path.with_suffix(".tmp.npy")
                        np.save(tmp, matrix)
                        tmp.replace(path)
                    except OSError as exc:  # a read-only var/ costs speed after a restart, not answers
                        log.warning("phrasebook vectors not cached: %s", type(exc).__name__)
            self._vectors[code] = matrix
            return matrix

    def match(
        self,
        vector: np.ndarray,
        lang: str,
        limit: int = 3,
        *,
        min_lift: float = MIN_LIFT,
        min_z: float = MIN_Z,
        speaker: str | None = None,
    ) -> list[PhraseMatch]:
        """Phrases a sentence `vector` (an L2-normalised e5 query vector) written in `lang` probably means, best first:
        only those standing out from the phrasebook by `min_lift` and `min_z` (see the module docstring).

        `speaker` ("staff" or "resident") keeps that speaker's phrases and those said by both."""
        import numpy as np

        code = languages.get(lang).base  # やさしい日本語 is matched as Japanese
        pivot = self.vectors(PIVOT) @ vector
        own = self.vectors(code) @ vector if code != PIVOT else pivot
        best = np.maximum(own, pivot)
        via = np.where(own >= pivot, code, PIVOT)
        mean, spread = float(best.mean()), float(best.std()) or 1.0
        out: list[PhraseMatch] = []
        for row in np.argsort(-best):
            score = float(best[row])
            lift = score - mean
            if lift < min_lift or lift / spread < min_z or len(out) >= limit:
                break
            phrase = self.book.phrases[int(row)]
            if speaker is not None and phrase.speaker not in (speaker, "both"):
                continue
            out.append(PhraseMatch(phrase, round(score, 4), str(via[row]), round(lift, 4), round(lift / spread, 2)))
        return out
