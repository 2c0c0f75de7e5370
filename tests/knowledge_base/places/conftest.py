"""The real places data, loaded once; a writable copy for tests that break it on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge_base.places import Places, load_places

REAL_DATA = Path(__file__).resolve().parents[3] / "knowledge_base" / "data"


@pytest.fixture(scope="session")
def places() -> Places:
    return load_places(REAL_DATA)


@pytest.fixture
def places_copy(tmp_path: Path) -> Path:
    """A data dir holding a copy of places/ only (what load_places reads)."""
    shutil.copytree(REAL_DATA / "places", tmp_path / "places")
    return tmp_path
