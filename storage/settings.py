"""Database settings: environment variables with the prefix `CHIBA_DATABASE_`, typed defaults, read here only."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_url() -> str:
    return f"sqlite:///{REPO_ROOT / 'var' / 'app.db'}"


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHIBA_DATABASE_", extra="ignore")

    # CHIBA_DATABASE_URL: the one application database. SQLite (the default, a file under var/, nothing to start) or
    # PostgreSQL as postgresql+psycopg://user:password@host:5432/name (postgresql:// is read as psycopg 3 too).
    url: str = Field(default_factory=_default_url)
    # CHIBA_DATABASE_SENDER_SALT: secret mixed into the hash that stands for a resident's sender id (the raw id is never
    # stored). Set a long random value in production and never change it afterwards: requests stored under the old
    # value could no longer be found by "forget me".
    sender_salt: SecretStr = SecretStr("chiba-city-assistant-development-salt")
