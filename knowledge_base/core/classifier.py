"""Which FAQ entry a question asks for, learned from the entries' own questions in every language.

A multinomial logistic regression over the e5 vector of a question and its character 2–4-grams (TF-IDF, weighted
down), trained when the knowledge base loads on the index rows (their vectors come from the FAISS index, so nothing
is embedded again). On the held-out evaluation set it finds the right entry far more often than the nearest
question by cosine (bench/domain_accuracy.py), because it weighs the words that tell entries apart ("来た" vs
"帰国") instead of the overall topic. C and the n-gram weight were chosen by 5-fold cross-validation on the
training questions, never on the evaluation set.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

C = 100.0  # weak regularisation: ~45 questions per entry, many near-duplicates across languages
NGRAM_WEIGHT = 0.3  # TF-IDF block relative to the unit-length e5 vector
MAX_ITER = 3000


log = logging.getLogger(__name__)


def _prepare(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


class FaqClassifier:
    """`probabilities(vector, text)` -> probability per entry position (the `owners` of the training rows)."""

    def __init__(self, vectors: np.ndarray, texts: Sequence[str], owners: Sequence[int], n_entries: int) -> None:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self._n = n_entries
        self._ngrams = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, preprocessor=_prepare
        ).fit(texts)
        self._model = LogisticRegression(C=C, max_iter=MAX_ITER).fit(self._features(vectors, texts), np.asarray(owners))
        self._classes = self._model.classes_

    @classmethod
    def cached(
        cls, vectors: np.ndarray, texts: Sequence[str], owners: Sequence[int], n_entries: int, cache_dir: Path
    ) -> FaqClassifier:
        """The classifier of these rows, fitted once and kept in `cache_dir` (fitting takes 35-70 s on 2 cores, and a
        restarted action server should answer again in seconds). The key covers the rows, the vectors and this file,
        so changed data or code fits again; a cache that cannot be read or written only costs the fit."""
        import numpy as np

        digest = hashlib.sha256(Path(__file__).read_bytes())
        digest.update(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
        digest.update("\x00".join(texts).encode())
        digest.update(np.asarray(owners, dtype=np.int64).tobytes())
        digest.update(str(n_entries).encode())
        path = Path(cache_dir) / f"faq-classifier-{digest.hexdigest()[:24]}.pkl"
        try:
            with path.open("rb") as f:
                found = pickle.load(f)  # our own file under var/, written below
            if isinstance(found, cls):
                return found
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.warning("classifier cache unreadable (%s); fitting again", type(exc).__name__)
        fitted = cls(vectors, texts, owners, n_entries)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as f:
                pickle.dump(fitted, f, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)  # atomic: two action servers starting together never read half a file
            for old in path.parent.glob("faq-classifier-*.pkl"):
                if old != path:
                    old.unlink(missing_ok=True)  # ~60 MB each: keep only the current data's
        except OSError as exc:
            log.warning("classifier cache not written (%s)", type(exc).__name__)
        return fitted

    def _features(self, vectors: np.ndarray, texts: Sequence[str]):
        from scipy.sparse import csr_matrix, hstack

        return hstack([csr_matrix(vectors), self._ngrams.transform(list(texts)) * NGRAM_WEIGHT]).tocsr()

    def probabilities(self, vector: np.ndarray, text: str) -> np.ndarray:
        import numpy as np

        probs = self._model.predict_proba(self._features(vector.reshape(1, -1), [text]))[0]
        out = np.zeros(self._n, dtype=np.float64)
        out[self._classes] = probs
        return out
