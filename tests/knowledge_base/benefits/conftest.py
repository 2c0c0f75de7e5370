"""The real benefits data, loaded once; a writable copy for tests that break it on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from knowledge_base.benefits import Programmes, load_programmes

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
REAL_DATA = Path(__file__).resolve().parents[3] / "knowledge_base" / "data"


@pytest.fixture(scope="session")
def programmes() -> Programmes:
    return load_programmes(REAL_DATA)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A data dir holding copies of benefits/ and places/offices.yaml (what the benefits loader reads)."""
    shutil.copytree(REAL_DATA / "benefits", tmp_path / "benefits")
    (tmp_path / "places").mkdir()
    shutil.copy(REAL_DATA / "places" / "offices.yaml", tmp_path / "places" / "offices.yaml")
    return tmp_path


@pytest.fixture
def edit_programmes(data_copy: Path):
    """A function `edit(change, file="programmes.yaml")`: load a file of the data copy, apply `change(data)`, save."""

    def edit(change, file: str = "programmes.yaml") -> Path:
        path = data_copy / "benefits" / file
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        change(data)
        path.write_text(yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return data_copy

    return edit
