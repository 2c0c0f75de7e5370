"""The FAQ classifier is fitted once per data and kept under var/index: a restarted action server answers in seconds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge_base.core.classifier import FaqClassifier

TEXTS = ["粗大ごみの出し方", "bulky waste", "図書館の開館時間", "library hours", "転入届", "moving in"]
OWNERS = [0, 0, 1, 1, 2, 2]


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    counted: list[int] = []
    real = FaqClassifier.__init__

    def counting(self: FaqClassifier, *args: object) -> None:
        counted.append(1)
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(FaqClassifier, "__init__", counting)
    return counted


def vectors(seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(len(TEXTS), 8)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_the_second_start_loads_the_fitted_classifier(tmp_path: Path, fits: list[int]) -> None:
    first = FaqClassifier.cached(vectors(), TEXTS, OWNERS, 3, tmp_path)
    second = FaqClassifier.cached(vectors(), TEXTS, OWNERS, 3, tmp_path)
    assert len(fits) == 1
    query = vectors()[2]
    assert np.allclose(first.probabilities(query, TEXTS[2]), second.probabilities(query, TEXTS[2]))
    assert second.probabilities(query, TEXTS[2]).argmax() == 1


def test_changed_data_fits_again_and_keeps_only_the_current_file(tmp_path: Path, fits: list[int]) -> None:
    FaqClassifier.cached(vectors(), TEXTS, OWNERS, 3, tmp_path)
    FaqClassifier.cached(vectors(), [*TEXTS[:-1], "転入したい"], OWNERS, 3, tmp_path)
    assert len(fits) == 2
    assert len(list(tmp_path.glob("faq-classifier-*.pkl"))) == 1


def test_a_broken_cache_file_costs_only_a_fit(
    tmp_path: Path, fits: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    FaqClassifier.cached(vectors(), TEXTS, OWNERS, 3, tmp_path)
    [path] = tmp_path.glob("faq-classifier-*.pkl")
    path.write_bytes(b"not a pickle")
    again = FaqClassifier.cached(vectors(), TEXTS, OWNERS, 3, tmp_path)
    assert len(fits) == 2 and again.probabilities(vectors()[4], TEXTS[4]).argmax() == 2
    assert "unreadable" in caplog.text


def test_an_unwritable_cache_still_answers(tmp_path: Path, fits: list[int]) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    fitted = FaqClassifier.cached(vectors(), TEXTS, OWNERS, 3, blocked / "classifier")
    assert fitted.probabilities(vectors()[0], TEXTS[0]).argmax() == 0
