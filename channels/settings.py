"""Gateway settings: every option is one environment variable with a typed default, read here only."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from aiohttp import web

STATIC_DIR = Path(__file__).resolve().parent / "static"


class SettingsError(ValueError):
    """An environment variable holds a value of the wrong type or range."""


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = field(default="127.0.0.1", metadata={"env": "CHIBA_GATEWAY_HOST"})
    port: int = field(default=8080, metadata={"env": "CHIBA_GATEWAY_PORT"})
    rasa_url: str = field(default="http://127.0.0.1:5005", metadata={"env": "RASA_URL"})
    action_server_url: str = field(default="http://127.0.0.1:5055", metadata={"env": "ACTION_SERVER_URL"})
    # Characters (code points) of one chat message; longer texts get 413.
    max_text_chars: int = field(default=2000, metadata={"env": "CHIBA_MAX_TEXT_CHARS"})
    # Whole request body; 2,000 emoji written as JSON \u escapes take ~24 kB, so 64 kB never cuts a valid message.
    max_body_bytes: int = field(default=64 * 1024, metadata={"env": "CHIBA_MAX_BODY_BYTES"})
    # Seconds for one chat round trip through Rasa and its actions.
    backend_timeout: float = field(default=30.0, metadata={"env": "CHIBA_BACKEND_TIMEOUT"})
    # Seconds for each /healthz probe.
    health_timeout: float = field(default=5.0, metadata={"env": "CHIBA_HEALTH_TIMEOUT"})
    log_level: str = field(default="INFO", metadata={"env": "CHIBA_LOG_LEVEL"})
    static_dir: Path = field(default=STATIC_DIR, metadata={"env": "CHIBA_STATIC_DIR"})

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise SettingsError(f"CHIBA_GATEWAY_PORT must be 1-65535, got {self.port}")
        for name in ("max_text_chars", "max_body_bytes", "backend_timeout", "health_timeout"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{_env_name(name)} must be positive, got {getattr(self, name)}")
        for name in ("rasa_url", "action_server_url"):
            if not getattr(self, name).startswith(("http://", "https://")):
                raise SettingsError(f"{_env_name(name)} must be an http(s) URL, got {getattr(self, name)!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls(**env_values(cls, environ))

    @property
    def rasa_base(self) -> str:
        return self.rasa_url.rstrip("/")

    @property
    def action_server_base(self) -> str:
        return self.action_server_url.rstrip("/")


# Field annotations are strings because of `from __future__ import annotations`.
_PARSERS: dict[str, Callable[[str], Any]] = {"str": str, "int": int, "float": float, "Path": Path}


def _parse(env_name: str, raw: str, parser: Callable[[str], Any]) -> Any:
    try:
        return parser(raw)
    except ValueError as exc:
        raise SettingsError(f"{env_name}={raw!r} is not a valid {parser.__name__}") from exc


def env_values(cls: type, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Typed values of a settings dataclass's fields (each names its variable in metadata["env"]) that are set."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in fields(cls):
        raw = env.get(f.metadata["env"])
        if raw is None or raw.strip() == "":
            continue
        values[f.name] = _parse(f.metadata["env"], raw.strip(), _PARSERS[f.type])
    return values


def env_name(cls: type, field_name: str) -> str:
    return next(f.metadata["env"] for f in fields(cls) if f.name == field_name)


def _env_name(field_name: str) -> str:
    return env_name(Settings, field_name)


SETTINGS = web.AppKey("settings", Settings)
