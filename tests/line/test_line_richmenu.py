"""The rich menu: its definition, the drawn image, and `python -m channels.line.richmenu register`."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest
from line_fakes import RICHMENU, TOKEN, FakeLine

from channels.line import richmenu
from channels.line.richmenu import RichMenuError, draw_image, load_definition, main, register


def test_definition_covers_the_menu_with_four_areas() -> None:
    definition = load_definition()
    assert definition["size"] == {"width": 2500, "height": 843}
    labels = [a["action"]["label"] for a in definition["areas"]]
    assert labels == ["ごみの分別", "収集日", "粗大ごみ", "言語/Language"]
    assert sum(a["bounds"]["width"] for a in definition["areas"]) == 2500
    assert all(a["bounds"]["height"] == 843 for a in definition["areas"])


def test_definition_is_valid_for_the_sdk() -> None:
    from linebot.v3.messaging import RichMenuRequest

    assert RichMenuRequest.from_dict(load_definition()).size.width == 2500


@pytest.mark.parametrize("cjk_font", [True, False], ids=["cjk-font", "no-cjk-font"])
def test_image_is_a_png_of_the_menu_size(monkeypatch: pytest.MonkeyPatch, cjk_font: bool) -> None:
    from PIL import Image

    if not cjk_font:
        monkeypatch.setattr(richmenu, "FONT_CANDIDATES", ())
    png = draw_image(load_definition())
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (2500, 843)
    assert len(png) < 1024 * 1024  # LINE's limit for rich-menu images


def test_missing_font_file_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["image", str(tmp_path / "menu.png"), "--font", "/no/such/font.ttf"]) == 2
    assert "font not found" in capsys.readouterr().err


def test_dry_run_prints_the_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    assert main(["register", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out) == load_definition()


def test_register_without_a_token_explains_what_to_set(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    assert main(["register"]) == 2
    assert "LINE_CHANNEL_ACCESS_TOKEN" in capsys.readouterr().err


def test_image_command_writes_the_png(tmp_path: Path) -> None:
    out = tmp_path / "menu.png"
    assert main(["image", str(out)]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")


async def test_register_creates_uploads_and_sets_default(fake_line: FakeLine, line_settings: Any) -> None:
    menu_id = await register(line_settings, load_definition(), b"\x89PNG fake")
    assert menu_id == "richmenu-0001"
    assert [(r.method, r.path) for r in fake_line.requests] == [
        ("POST", RICHMENU),
        ("POST", f"{RICHMENU}/richmenu-0001/content"),
        ("POST", "/v2/bot/user/all/richmenu/richmenu-0001"),
    ]
    create, upload, _ = fake_line.requests
    assert create.json["areas"][3]["action"]["data"] == "menu=language"
    assert upload.body == b"\x89PNG fake"
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in fake_line.requests)


@pytest.mark.parametrize(
    ("path", "step"),
    [(RICHMENU, "create"), (f"{RICHMENU}/richmenu-0001/content", "upload image")],
)
async def test_register_names_the_step_that_failed(
    fake_line: FakeLine, line_settings: Any, path: str, step: str
) -> None:
    fake_line.fail_next(path, 400)
    with pytest.raises(RichMenuError, match=f"{step} failed: HTTP 400"):
        await register(line_settings, load_definition(), b"png")


async def test_register_command_against_the_fake_api(
    fake_line: FakeLine, line_settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("LINE_API_BASE_URL", line_settings.api_base_url)
    monkeypatch.setenv("LINE_API_DATA_BASE_URL", line_settings.api_data_base_url)
    # The command runs its own event loop, so it runs in a thread while this loop serves the fake API.
    assert await asyncio.to_thread(main, ["register"]) == 0
    assert "richmenu-0001 registered and set as default" in capsys.readouterr().out
    upload = fake_line.requests[1]
    assert upload.headers["Content-Type"] == "image/png" and upload.body.startswith(b"\x89PNG")
