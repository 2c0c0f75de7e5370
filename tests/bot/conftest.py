"""Shared fixtures for the Rasa-project tests (bot env, Python 3.10)."""

import os
from pathlib import Path

import pytest

# Rasa would otherwise try to send telemetry (no network here) and print a banner.
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def rasa_bin() -> Path:
    return REPO / ".venvs" / "bot" / "bin" / "rasa"


@pytest.fixture(scope="session")
def rasa_env() -> dict[str, str]:
    """Environment for `rasa` subprocesses: the repo on PYTHONPATH so `bot.components...` imports."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.setdefault("OMP_NUM_THREADS", "1")
    return env
