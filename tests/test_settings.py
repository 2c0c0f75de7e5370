"""settings.py: one class per section, exact variable names, blank = default, errors name the variable, README table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import settings
from settings import SECTIONS, GatewaySettings, LineSettings, SettingsError, StaffSettings, WorkerSettings

ROOT = Path(__file__).resolve().parents[1]


def _readme_table() -> dict[str, str]:
    """Variable -> default cell of the README's environment-variable table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]*) \|", section, flags=re.MULTILINE)
    return dict(rows)


def test_every_variable_is_in_the_readme_table_and_nothing_else() -> None:
    in_module = {env for cls in SECTIONS for env in cls.env_names().values()}
    assert set(_readme_table()) == in_module


@pytest.mark.parametrize("cls", SECTIONS, ids=lambda cls: cls.__name__)
def test_every_field_is_documented_and_named(cls: type) -> None:
    for name, info in cls.model_fields.items():
        assert isinstance(info.validation_alias, str), name
        assert re.fullmatch(r"[A-Z][A-Z0-9_]+", info.validation_alias), name
        assert info.description, f"{cls.__name__}.{name} has no description"


@pytest.mark.parametrize("cls", SECTIONS, ids=lambda cls: cls.__name__)
def test_defaults_need_no_environment(cls: type) -> None:
    cls.from_env({})


def test_construction_reads_os_environ_and_a_mapping_replaces_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIBA_GATEWAY_PORT", "9191")
    assert GatewaySettings().port == 9191
    assert GatewaySettings.from_env().port == 9191
    assert GatewaySettings.from_env({}).port == 8080  # the mapping only, not os.environ
    assert GatewaySettings(port=9292).port == 9292  # keyword arguments win over the environment


def test_names_are_exact_and_fields_are_not_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("port", "1")
    monkeypatch.setenv("chiba_gateway_port", "2")
    assert GatewaySettings().port == 8080


def test_blank_means_default_and_values_are_stripped() -> None:
    values = GatewaySettings.from_env({"CHIBA_GATEWAY_HOST": "  ", "CHIBA_GATEWAY_PORT": " 9090 ", "RASA_URL": ""})
    assert (values.host, values.port, values.rasa_url) == ("127.0.0.1", 9090, "http://127.0.0.1:5005")


def test_keyword_values_are_validated_and_named_by_their_variable() -> None:
    with pytest.raises(SettingsError, match="CHIBA_GATEWAY_PORT must be 1-65535"):
        GatewaySettings(port=0)
    with pytest.raises(SettingsError, match="rasa_ur"):
        GatewaySettings(rasa_ur="http://x")  # a typo is refused, not ignored


def test_secrets_stay_out_of_repr_and_errors() -> None:
    line = LineSettings(channel_secret="secret-4f2a", access_token="token-9c1e")
    staff = StaffSettings.from_env({"CHIBA_STAFF_TOKEN": "staff-token-7d3b"})
    assert "secret-4f2a" not in repr(line) and "token-9c1e" not in repr(line)
    assert "staff-token-7d3b" not in repr(staff)
    assert staff.token is not None and staff.token.get_secret_value() == "staff-token-7d3b"
    with pytest.raises(SettingsError) as raised:
        StaffSettings(token=["staff-token-7d3b"])
    assert "CHIBA_STAFF_TOKEN" in str(raised.value) and "staff-token-7d3b" not in str(raised.value)


def test_sections_are_immutable() -> None:
    gateway = GatewaySettings.from_env({})
    with pytest.raises(ValueError, match="frozen"):
        gateway.port = 1  # type: ignore[misc]
    assert gateway.model_copy(update={"port": 1}).port == 1


def test_importing_reads_nothing() -> None:
    """Bad values break construction, never the import."""
    env = {"PYTHONPATH": str(ROOT), "CHIBA_GATEWAY_PORT": "eighty", "MT_ENABLED": "maybe"}
    done = subprocess.run(
        [sys.executable, "-c", "import settings, channels.app, knowledge_base.service, translations.mt"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_errors_are_value_errors() -> None:
    assert issubclass(settings.SettingsError, ValueError)


@pytest.mark.parametrize(
    ("environ", "interval", "stale_after", "enabled"),
    [
        ({}, 60.0, 300.0, True),
        ({"CHIBA_WORKER_INTERVAL": "0.5", "CHIBA_WORKER_STALE_AFTER": "30", "CHIBA_WORKER_ENABLED": "off"}, 0.5, 30.0,
         False),
        ({"CHIBA_WORKER_ENABLED": "FALSE"}, 60.0, 300.0, False),
        ({"CHIBA_WORKER_ENABLED": "1"}, 60.0, 300.0, True),
    ],
)  # fmt: skip
def test_worker_settings(environ: dict[str, str], interval: float, stale_after: float, enabled: bool) -> None:
    worker = WorkerSettings.from_env(environ)
    assert (worker.interval, worker.stale_after, worker.enabled) == (interval, stale_after, enabled)
    assert worker.stale_timedelta.total_seconds() == stale_after


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"CHIBA_WORKER_INTERVAL": "0"}, "CHIBA_WORKER_INTERVAL must be positive"),
        ({"CHIBA_WORKER_STALE_AFTER": "-1"}, "CHIBA_WORKER_STALE_AFTER must be positive"),
        ({"CHIBA_WORKER_ENABLED": "maybe"}, "CHIBA_WORKER_ENABLED must be true or false"),
    ],
)
def test_worker_settings_refuse_bad_values(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        WorkerSettings.from_env(environ)
