"""LINE settings from the environment, which database the LINE store uses, and its expiry of event ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.line.handler import profile_to_lang
from channels.line.store import LineStore, line_database_url
from settings import LineSettings, SettingsError
from storage.db import sqlite_url


def test_defaults_leave_line_unconfigured() -> None:
    settings = LineSettings.from_env({})
    assert not settings.configured
    assert settings.api_base == "https://api.line.me"
    assert settings.db_path == Path("var/line.db")


def test_store_uses_the_application_database_unless_chiba_line_db_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIBA_DATABASE_URL", "postgresql+psycopg://app@db.example/chiba")
    assert line_database_url(LineSettings.from_env({})) == "postgresql+psycopg://app@db.example/chiba"
    legacy = LineSettings.from_env({"CHIBA_LINE_DB": "/srv/chiba/line.db"})
    assert line_database_url(legacy) == "sqlite:////srv/chiba/line.db"


def test_environment_is_read_and_typed() -> None:
    settings = LineSettings.from_env(
        {
            "LINE_CHANNEL_SECRET": "secret-4f2a",
            "LINE_CHANNEL_ACCESS_TOKEN": "token-9c1e",
            "LINE_API_BASE_URL": "http://127.0.0.1:9000/",
            "CHIBA_LINE_DB": "/tmp/x.db",
            "CHIBA_LINE_MAX_RETRIES": "2",
            "CHIBA_LINE_LOADING_AFTER": "0.5",
        }
    )
    assert settings.configured
    assert settings.api_base == "http://127.0.0.1:9000"
    assert (settings.db_path, settings.max_retries, settings.loading_after) == (Path("/tmp/x.db"), 2, 0.5)
    assert "secret-4f2a" not in repr(settings) and "token-9c1e" not in repr(settings)  # kept out of logs


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"CHIBA_LINE_MAX_RETRIES": "many"}, "CHIBA_LINE_MAX_RETRIES"),
        ({"CHIBA_LINE_MAX_RETRIES": "-1"}, "CHIBA_LINE_MAX_RETRIES"),
        ({"LINE_API_BASE_URL": "api.line.me"}, "LINE_API_BASE_URL"),
        ({"CHIBA_LINE_LOADING_SECONDS": "7"}, "CHIBA_LINE_LOADING_SECONDS"),
        ({"CHIBA_LINE_LOADING_SECONDS": "65"}, "CHIBA_LINE_LOADING_SECONDS"),
        ({"CHIBA_LINE_API_TIMEOUT": "0"}, "CHIBA_LINE_API_TIMEOUT"),
    ],
)
def test_bad_value_names_the_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        LineSettings.from_env(env)


@pytest.mark.parametrize(
    ("tag", "lang"),
    [
        ("ja", "ja"),
        ("ja-JP", "ja"),
        ("en-US", "en"),
        ("zh-Hant", "zh"),
        ("ko", "ko"),
        ("fil", "tl"),
        ("in", "id"),
        ("es-419", "es"),
        ("fr", "en"),
        (None, "ja"),
        ("", "ja"),
    ],
)
def test_profile_language_maps_to_a_reply_language(tag: str | None, lang: str) -> None:
    assert profile_to_lang(tag) == lang


async def test_event_ids_expire(tmp_path: Path) -> None:
    now = [1000.0]
    store = LineStore(sqlite_url(tmp_path / "line.db"), event_ttl=60, clock=lambda: now[0])
    await store.open()
    try:
        assert await store.claim_event("e1")
        assert not await store.claim_event("e1")
        now[0] += 61
        assert await store.claim_event("e1")  # past its expiry the id counts as new
    finally:
        await store.close()


async def test_store_creates_its_folder(tmp_path: Path) -> None:
    store = LineStore(sqlite_url(tmp_path / "deep" / "var" / "line.db"), event_ttl=60)
    await store.open()
    await store.set_lang("U1", "en")
    assert await store.get_lang("U1") == "en"
    await store.forget_user("U1")
    assert await store.get_lang("U1") is None
    await store.close()


async def test_store_on_a_shared_engine_leaves_it_open(tmp_path: Path) -> None:
    from storage.db import create_engine_from_url

    engine = create_engine_from_url(sqlite_url(tmp_path / "app.db"))
    store = LineStore(engine, event_ttl=60)
    await store.open()
    await store.set_lang("U1", "vi")
    await store.close()
    again = LineStore(engine, event_ttl=60)
    await again.open()  # migrations already applied: nothing to do
    assert await again.get_lang("U1") == "vi"
    await again.close()
    engine.dispose()


async def test_closed_store_refuses_work(tmp_path: Path) -> None:
    store = LineStore(sqlite_url(tmp_path / "line.db"), event_ttl=60)
    with pytest.raises(RuntimeError, match="not open"):
        await store.claim_event("e1")
