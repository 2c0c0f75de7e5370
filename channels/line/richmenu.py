"""The LINE rich menu: definition (richmenu.json), its image drawn by code, and registration through the API.

    python -m channels.line.richmenu register [--dry-run] [--image PATH] [--font PATH]
    python -m channels.line.richmenu image OUT.png [--font PATH]

`register` creates the menu (LINE_API_BASE_URL), uploads the image (LINE_API_DATA_BASE_URL) and makes it the
default for every user; `--dry-run` only prints the definition JSON. Drawing needs Pillow and, for the Japanese
labels, a CJK font (Noto Sans CJK is looked up in the usual places; English labels are used without one).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
from pathlib import Path
from typing import Any

from settings import LineSettings, SettingsError

DEFINITION = Path(__file__).resolve().parent / "richmenu.json"
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/System/Library/Fonts/ヒラギノ角ゴシック W6.ttc",
)
# (Japanese label, English label, tile colour, icon) per area, in richmenu.json's order (rows top to bottom, left to
# right): garbage (two tiles), library, foreign residents, smartphone classes, language. White text on each colour
# has a contrast of at least 4.5:1.
TILES = (
    ("ごみの分別", "Sorting", "#c43e00", "bin"),
    ("収集日", "Collection days", "#1565c0", "calendar"),
    ("図書館", "Library", "#2e7d32", "book"),
    ("外国人の相談", "Foreign residents", "#5e35b1", "people"),
    ("スマホ教室", "Smartphone classes", "#ad1457", "phone"),
    ("言語", "Language", "#00838f", "globe"),
)


def load_definition() -> dict[str, Any]:
    return json.loads(DEFINITION.read_text(encoding="utf-8"))


def _find_font(explicit: str | None) -> str | None:
    if explicit:
        if not Path(explicit).is_file():
            raise FileNotFoundError(f"font not found: {explicit}")
        return explicit
    return next((c for c in FONT_CANDIDATES if Path(c).is_file()), None)


def draw_image(definition: dict[str, Any], font_path: str | None = None) -> bytes:
    """A PNG of the menu's size: one coloured tile per area with an icon and its label."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError as exc:
        raise ImportError("Drawing the rich menu needs Pillow: pip install pillow") from exc

    width, height = definition["size"]["width"], definition["size"]["height"]
    image = Image.new("RGB", (width, height), "#ffffff")
    draw = ImageDraw.Draw(image)
    font_file = _find_font(font_path)

    def font(size: int) -> Any:
        return ImageFont.truetype(font_file, size) if font_file else ImageFont.load_default(size)

    def fitted(label: str, size: int, room: int) -> Any:
        # Shrink until the label fits its tile: English labels are much wider than the Japanese ones.
        while size > 24 and draw.textlength(label, font=font(size)) > room:
            size -= 6
        return font(size)

    for area, (ja, en, colour, icon) in zip(definition["areas"], TILES, strict=True):
        b = area["bounds"]
        x0, y0, x1, y1 = b["x"], b["y"], b["x"] + b["width"], b["y"] + b["height"]
        draw.rectangle((x0 + 6, y0 + 6, x1 - 6, y1 - 6), fill=colour)
        cx = (x0 + x1) // 2
        _icon(draw, icon, cx, y0 + 250, colour)
        room = x1 - x0 - 80
        title = ja if font_file else en  # the default font has no kana/kanji
        draw.text((cx, y0 + 520), title, font=fitted(title, 110, room), fill="#ffffff", anchor="mm")
        if font_file:
            draw.text((cx, y0 + 660), en, font=fitted(en, 64, room), fill="#ffffff", anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _icon(draw: Any, kind: str, cx: int, cy: int, background: str) -> None:
    """A white icon centred on (cx, cy); `background` (the tile colour) cuts details out of it."""
    white, w = "#ffffff", 14
    if kind == "bin":
        draw.rectangle((cx - 110, cy - 130, cx + 110, cy - 105), fill=white)
        draw.rectangle((cx - 35, cy - 160, cx + 35, cy - 130), outline=white, width=w)
        draw.polygon([(cx - 95, cy - 95), (cx + 95, cy - 95), (cx + 75, cy + 140), (cx - 75, cy + 140)], fill=white)
    elif kind == "calendar":
        draw.rounded_rectangle((cx - 130, cy - 120, cx + 130, cy + 140), radius=20, outline=white, width=w)
        draw.rectangle((cx - 130, cy - 120, cx + 130, cy - 60), fill=white)
        for dx in (-70, 70):
            draw.rectangle((cx + dx - 10, cy - 155, cx + dx + 10, cy - 95), fill=white)
        for row in range(2):
            for col in range(3):
                x, y = cx - 80 + col * 80, cy - 10 + row * 80
                draw.rectangle((x - 22, y - 22, x + 22, y + 22), fill=white)
    elif kind == "book":  # an open book
        for side in (-1, 1):
            outer = cx + side * 170
            draw.polygon([(cx, cy - 90), (outer, cy - 130), (outer, cy + 110), (cx, cy + 150)], fill=white)
        draw.line((cx, cy - 90, cx, cy + 150), fill=background, width=10)
    elif kind == "people":  # two residents side by side
        for dx, dy, r in ((75, -20, 48), (-65, 0, 58)):  # the one behind first; the tile colour separates them
            draw.ellipse((cx + dx - r, cy + dy - 128, cx + dx + r, cy + dy - 128 + 2 * r), fill=white,
                         outline=background, width=12)  # fmt: skip
            draw.rounded_rectangle((cx + dx - r - 40, cy + dy - 10, cx + dx + r + 40, cy + 150), radius=50,
                                   fill=white, outline=background, width=12)  # fmt: skip
    elif kind == "phone":  # a smartphone: body, screen, home button
        draw.rounded_rectangle((cx - 95, cy - 160, cx + 95, cy + 160), radius=30, fill=white)
        draw.rectangle((cx - 70, cy - 120, cx + 70, cy + 100), fill=background)
        draw.ellipse((cx - 14, cy + 115, cx + 14, cy + 143), outline=background, width=6)
    elif kind == "globe":
        draw.ellipse((cx - 140, cy - 140, cx + 140, cy + 140), outline=white, width=w)
        draw.ellipse((cx - 60, cy - 140, cx + 60, cy + 140), outline=white, width=w)
        draw.line((cx - 140, cy, cx + 140, cy), fill=white, width=w)
        draw.line((cx, cy - 140, cx, cy + 140), fill=white, width=w)
        draw.line((cx - 120, cy - 70, cx + 120, cy - 70), fill=white, width=w)
        draw.line((cx - 120, cy + 70, cx + 120, cy + 70), fill=white, width=w)


class RichMenuError(Exception):
    """Registration failed at one step; the message names the step and the HTTP status."""


async def register(settings: LineSettings, definition: dict[str, Any], image: bytes, *, default: bool = True) -> str:
    """Create the menu, upload its image and (by default) make it every user's default; returns the menu id."""
    from linebot.v3.messaging import (
        ApiException,
        AsyncApiClient,
        AsyncMessagingApi,
        AsyncMessagingApiBlob,
        Configuration,
        RichMenuRequest,
    )

    api_config = Configuration(host=settings.api_base, access_token=settings.access_token)
    data_config = Configuration(host=settings.api_data_base, access_token=settings.access_token)
    step = "create"
    async with AsyncApiClient(api_config) as api_client, AsyncApiClient(data_config) as data_client:
        api, blob = AsyncMessagingApi(api_client), AsyncMessagingApiBlob(data_client)
        try:
            created = await api.create_rich_menu(RichMenuRequest.from_dict(definition))
            menu_id = created.rich_menu_id
            step = "upload image"
            await blob.set_rich_menu_image(menu_id, image, _headers={"Content-Type": "image/png"})
            if default:
                step = "set default"
                await api.set_default_rich_menu(menu_id)
        except ApiException as exc:
            raise RichMenuError(f"rich menu {step} failed: HTTP {exc.status}") from None
    return menu_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m channels.line.richmenu", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    reg = sub.add_parser("register", help="create the rich menu, upload its image, set it as default")
    reg.add_argument("--dry-run", action="store_true", help="print the definition JSON and call nothing")
    reg.add_argument("--image", type=Path, help="PNG to upload instead of the drawn one")
    reg.add_argument("--no-default", action="store_true", help="do not make it the default menu")
    img = sub.add_parser("image", help="write the drawn menu image to a PNG file")
    img.add_argument("out", type=Path)
    for p in (reg, img):
        p.add_argument("--font", help="a font file with Japanese glyphs (default: Noto Sans CJK if installed)")
    args = parser.parse_args(argv)

    definition = load_definition()
    if args.command == "image":
        try:
            args.out.write_bytes(draw_image(definition, args.font))
        except FileNotFoundError as exc:
            print(f"richmenu: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {args.out}")
        return 0
    if args.dry_run:
        print(json.dumps(definition, ensure_ascii=False, indent=2))
        return 0
    try:
        settings = LineSettings.from_env()
    except SettingsError as exc:
        print(f"richmenu: {exc}", file=sys.stderr)
        return 2
    if not settings.access_token:
        print("richmenu: set LINE_CHANNEL_ACCESS_TOKEN first", file=sys.stderr)
        return 2
    try:
        image = args.image.read_bytes() if args.image else draw_image(definition, args.font)
    except FileNotFoundError as exc:
        print(f"richmenu: {exc}", file=sys.stderr)
        return 2
    try:
        menu_id = asyncio.run(register(settings, definition, image, default=not args.no_default))
    except RichMenuError as exc:
        print(f"richmenu: {exc}", file=sys.stderr)
        return 1
    print(f"rich menu {menu_id} registered" + ("" if args.no_default else " and set as default"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
