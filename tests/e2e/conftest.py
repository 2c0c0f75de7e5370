"""One real stack (Rasa, action server, gateway) for all end-to-end tests, on spare ports with its own database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.stack_process import StackProcess

STAFF_TOKEN = "e2e-staff-token-0123"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    workdir: Path = tmp_path_factory.mktemp("stack")
    # Wednesday 10:00: collection dates in the answers are known, and ward offices and libraries are open.
    extra = {"CHIBA_TODAY": "2026-11-25", "CHIBA_NOW": "2026-11-25T10:00", "CHIBA_STAFF_TOKEN": STAFF_TOKEN}
    proc = StackProcess(18080, 15005, 15055, workdir, extra_env=extra)
    proc.start()
    print(f"cold start until /healthz 200: {proc.cold_start_seconds:.1f} s")
    yield proc
    proc.stop()
