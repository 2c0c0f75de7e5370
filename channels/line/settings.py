"""LINE channel settings: one environment variable per option with a typed default, read here only.

Kept apart from channels/settings.py so the LINE channel can be merged in later without touching the web chat.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from channels.settings import SettingsError, env_name, env_values


@dataclass(frozen=True, slots=True)
class LineSettings:
    # Empty secret = LINE is not configured: the webhook answers 503 and the rest of the gateway runs.
    channel_secret: str = field(default="", repr=False, metadata={"env": "LINE_CHANNEL_SECRET"})
    access_token: str = field(default="", repr=False, metadata={"env": "LINE_CHANNEL_ACCESS_TOKEN"})
    api_base_url: str = field(default="https://api.line.me", metadata={"env": "LINE_API_BASE_URL"})
    # Rich-menu images go to a separate host on the real platform.
    api_data_base_url: str = field(default="https://api-data.line.me", metadata={"env": "LINE_API_DATA_BASE_URL"})
    # A webhook batches events; the gateway-wide body cap (64 kB) could refuse a large batch, so LINE has its own.
    max_body_bytes: int = field(default=1024 * 1024, metadata={"env": "CHIBA_LINE_MAX_BODY_BYTES"})
    db_path: Path = field(default=Path("var/line.db"), metadata={"env": "CHIBA_LINE_DB"})
    # Seconds for one LINE API call.
    api_timeout: float = field(default=10.0, metadata={"env": "CHIBA_LINE_API_TIMEOUT"})
    # Retries after HTTP 429 / 5xx / connection errors; each waits Retry-After or retry_base_delay * 2**attempt.
    max_retries: int = field(default=4, metadata={"env": "CHIBA_LINE_MAX_RETRIES"})
    retry_base_delay: float = field(default=1.0, metadata={"env": "CHIBA_LINE_RETRY_BASE_DELAY"})
    retry_max_delay: float = field(default=30.0, metadata={"env": "CHIBA_LINE_RETRY_MAX_DELAY"})
    # Show LINE's loading animation when the answer is not ready after this many seconds.
    loading_after: float = field(default=1.0, metadata={"env": "CHIBA_LINE_LOADING_AFTER"})
    # How long LINE shows it (5-60, a multiple of 5); it disappears early when the reply arrives.
    loading_seconds: int = field(default=20, metadata={"env": "CHIBA_LINE_LOADING_SECONDS"})
    # Webhook event ids are remembered this long; LINE redelivers within hours, a day leaves a wide margin.
    event_ttl_seconds: int = field(default=24 * 3600, metadata={"env": "CHIBA_LINE_EVENT_TTL"})
    # On shutdown, events in progress get this long to finish before they are cancelled.
    shutdown_grace: float = field(default=10.0, metadata={"env": "CHIBA_LINE_SHUTDOWN_GRACE"})

    def __post_init__(self) -> None:
        for name in ("api_base_url", "api_data_base_url"):
            if not getattr(self, name).startswith(("http://", "https://")):
                raise SettingsError(f"{_env_name(name)} must be an http(s) URL, got {getattr(self, name)!r}")
        for name in ("api_timeout", "event_ttl_seconds", "max_body_bytes"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{_env_name(name)} must be positive, got {getattr(self, name)}")
        for name in ("max_retries", "retry_base_delay", "retry_max_delay", "loading_after", "shutdown_grace"):
            if getattr(self, name) < 0:
                raise SettingsError(f"{_env_name(name)} must not be negative, got {getattr(self, name)}")
        if not (5 <= self.loading_seconds <= 60 and self.loading_seconds % 5 == 0):
            raise SettingsError(
                f"CHIBA_LINE_LOADING_SECONDS must be 5-60 and a multiple of 5, got {self.loading_seconds}"
            )

    @property
    def configured(self) -> bool:
        return bool(self.channel_secret)

    @property
    def api_base(self) -> str:
        return self.api_base_url.rstrip("/")

    @property
    def api_data_base(self) -> str:
        return self.api_data_base_url.rstrip("/")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LineSettings:
        return cls(**env_values(cls, environ))


def _env_name(field_name: str) -> str:
    return env_name(LineSettings, field_name)


LINE_SETTINGS = web.AppKey("line_settings", LineSettings)
