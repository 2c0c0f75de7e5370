"""One real stack (Rasa, action server, gateway) for all end-to-end tests, on spare ports with its own database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.stack_process import StackProcess


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    workdir: Path = tmp_path_factory.mktemp("stack")
    # Wednesday: collection dates in the answers are known.
    proc = StackProcess(18080, 15005, 15055, workdir, extra_env={"CHIBA_TODAY": "2026-11-25"})
    proc.start()
    print(f"cold start until /healthz 200: {proc.cold_start_seconds:.1f} s")
    yield proc
    proc.stop()
