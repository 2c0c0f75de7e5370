"""Settings come from environment variables with typed defaults; a bad value names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings import STATIC_DIR, GatewaySettings, SettingsError


def test_defaults() -> None:
    settings = GatewaySettings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.action_server_url == "http://127.0.0.1:5055"
    assert settings.max_text_chars == 2000
    assert settings.static_dir == STATIC_DIR


def test_values_are_typed() -> None:
    settings = GatewaySettings.from_env(
        {
            "CHIBA_GATEWAY_PORT": "9090",
            "RASA_URL": "http://127.0.0.1:6000/",
            "CHIBA_BACKEND_TIMEOUT": "2.5",
            "CHIBA_MAX_TEXT_CHARS": "500",
            "CHIBA_STATIC_DIR": "/tmp",
            "CHIBA_GATEWAY_HOST": " ",  # blank means default
        }
    )
    assert settings.port == 9090
    assert settings.backend_timeout == 2.5
    assert settings.max_text_chars == 500
    assert settings.static_dir == Path("/tmp")
    assert settings.host == "127.0.0.1"
    assert settings.rasa_base == "http://127.0.0.1:6000"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CHIBA_GATEWAY_PORT": "eighty"}, "CHIBA_GATEWAY_PORT"),
        ({"CHIBA_GATEWAY_PORT": "70000"}, "CHIBA_GATEWAY_PORT"),
        ({"CHIBA_BACKEND_TIMEOUT": "0"}, "CHIBA_BACKEND_TIMEOUT"),
        ({"CHIBA_MAX_TEXT_CHARS": "-1"}, "CHIBA_MAX_TEXT_CHARS"),
        ({"RASA_URL": "127.0.0.1:5005"}, "RASA_URL"),
    ],
)
def test_bad_value_names_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        GatewaySettings.from_env(env)
