"""The rich menu: its definition, the drawn image, and `python -m channels.line.richmenu register`."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest
from line_fakes import REPLY, RICHMENU, TOKEN, FakeLine, FakeRasa, post_events, postback_event

from channels.line import richmenu
from channels.line.richmenu import RichMenuError, draw_image, load_definition, main, register


def test_definition_covers_the_menu_with_six_areas() -> None:
    definition = load_definition()
    assert definition["size"] == {"width": 2500, "height": 1686}
    labels = [a["action"]["label"] for a in definition["areas"]]
    assert labels == ["ごみの分別", "収集日", "図書館", "外国人の相談", "スマホ教室", "言語/Language"]
    # Every pixel of the menu belongs to exactly one area: inside the menu, no overlaps, areas add up to the whole.
    width, height = definition["size"]["width"], definition["size"]["height"]
    boxes = [
        (b["x"], b["y"], b["x"] + b["width"], b["y"] + b["height"]) for b in (a["bounds"] for a in definition["areas"])
    ]
    assert all(0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height for x0, y0, x1, y1 in boxes)
    for i, (ax0, ay0, ax1, ay1) in enumerate(boxes):
        for bx0, by0, bx1, by1 in boxes[i + 1 :]:
            assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0
    assert sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in boxes) == width * height


@pytest.mark.parametrize(
    ("label", "data"),
    [
        ("ごみの分別", "/ask_garbage_item"),
        ("収集日", "/ask_collection_day"),
        ("図書館", '/ask_library{"faq_id": "library_locations"}'),
        ("外国人の相談", '/ask_foreign_residents{"faq_id": "fr_ccia_desk"}'),
        ("スマホ教室", "/list_smartphone_classes"),
        ("言語/Language", "menu=language"),
    ],
)
def test_each_area_sends_its_postback(label: str, data: str) -> None:
    """Intent payloads go to Rasa as the handler's offered postbacks; menu=language opens the language menu."""
    action = next(a["action"] for a in load_definition()["areas"] if a["action"]["label"] == label)
    assert action["type"] == "postback" and action["data"] == data
    assert len(action["label"]) <= 20 and 1 <= len(action["displayText"]) <= 300 and len(data) <= 300  # LINE limits
    if data.startswith("/") and "{" in data:
        json.loads(data[data.index("{") :])  # entities Rasa can read


@pytest.mark.parametrize("area", range(6))
async def test_tapping_an_area_reaches_rasa_or_opens_the_language_menu(
    client: Any, fake_line: FakeLine, fake_rasa: FakeRasa, area: int
) -> None:
    """Through the gateway's webhook: intent payloads go to Rasa as they are, the language area opens the menu."""
    data = load_definition()["areas"][area]["action"]["data"]
    await post_events(client, postback_event(data))
    if data.startswith("/"):
        assert [r["message"] for r in fake_rasa.requests] == [data]
    else:
        assert fake_rasa.requests == [] and "quickReply" in fake_line.calls(REPLY)[0].json["messages"][0]


def test_menu_faq_ids_exist() -> None:
    """The library and foreign-resident areas open real FAQ entries, not the fallback."""
    import yaml

    root = Path(__file__).resolve().parents[2] / "knowledge_base" / "data"
    for domain, faq_id in (("library", "library_locations"), ("foreign_residents", "fr_ccia_desk")):
        entries = yaml.safe_load((root / domain / "faq.yaml").read_text(encoding="utf-8"))
        assert faq_id in {entry["id"] for entry in entries}


def test_tiles_match_the_areas() -> None:
    assert len(richmenu.TILES) == len(load_definition()["areas"])
    assert [tile[0] for tile in richmenu.TILES][:5] == ["ごみの分別", "収集日", "図書館", "外国人の相談", "スマホ教室"]


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
    assert image.format == "PNG" and image.size == (2500, 1686)
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
    assert [a["action"]["data"] for a in create.json["areas"]][4:] == ["/list_smartphone_classes", "menu=language"]
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
