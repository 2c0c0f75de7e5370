"""The web chat page is served by the gateway itself: Japanese, labelled, self-contained (no CDN), its picker the
languages table and its own words from GET /api/ui/{lang}."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from aiohttp.test_utils import TestClient

from translations import languages
from translations.ui import ui_strings


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


async def page_tags(client: TestClient) -> list[tuple[str, dict[str, str | None]]]:
    resp = await client.get("/")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    parser = _Collector()
    parser.feed(await resp.text())
    return parser.tags


async def test_page_is_japanese_with_labelled_controls(client: TestClient) -> None:
    tags = await page_tags(client)
    assert ("html", {"lang": "ja"}) in tags
    labelled = {attrs["for"] for tag, attrs in tags if tag == "label"}
    controls = [attrs for tag, attrs in tags if tag in {"input", "textarea", "select"}]
    assert controls
    assert all(attrs.get("id") in labelled for attrs in controls)
    log = next(attrs for tag, attrs in tags if attrs.get("id") == "log")
    assert (log["role"], log["aria-live"]) == ("log", "polite")


async def test_page_loads_nothing_from_other_sites(client: TestClient) -> None:
    tags = await page_tags(client)
    urls = [attrs.get("src") or attrs.get("href") or "" for tag, attrs in tags if tag in {"script", "link", "img"}]
    assert urls
    assert all(url.startswith("/static/") for url in urls)
    for url in urls:
        resp = await client.get(url)
        assert resp.status == 200, url


async def test_page_names_the_garbage_helpline(client: TestClient) -> None:
    text = await (await client.get("/")).text()
    assert "043-204-5380" in text
    assert "AIアシスタント" in text


@pytest.mark.parametrize("path", ["/", "/static/chat.js", "/api/chat"])
async def test_security_headers(client: TestClient, path: str) -> None:
    resp = await client.get(path)
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


async def test_static_cannot_escape_its_folder(client: TestClient) -> None:
    resp = await client.get("/static/../settings.py")
    assert resp.status in {403, 404}
    assert "SettingsError" not in await resp.text()


async def test_script_never_uses_inner_html(client: TestClient) -> None:
    # Answers and sources are inserted as text nodes; innerHTML would let a reply inject markup.
    script = await (await client.get("/static/chat.js")).text()
    assert not re.search(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write", script)


async def test_the_language_picker_lists_the_languages_table(client: TestClient) -> None:
    tags = await page_tags(client)
    options = [(attrs.get("value"), attrs.get("lang")) for tag, attrs in tags if tag == "option"]
    assert options == [("auto", None), *((lang.code, lang.tag) for lang in languages.languages())]
    text = await (await client.get("/")).text()
    assert all(f">{lang.native}</option>" in text for lang in languages.languages())


@pytest.mark.parametrize(
    ("path", "lang"), [("/api/ui/en", "en"), ("/api/ui/ja-easy", "ja-easy"), ("/api/ui/pt-BR", "pt")]
)
async def test_ui_strings_are_served_per_language(client: TestClient, path: str, lang: str) -> None:
    resp = await client.get(path)
    assert resp.status == 200
    assert resp.content_type == "application/json"
    assert await resp.json() == ui_strings(lang)


async def test_ui_strings_of_an_unknown_language_are_a_json_404(client: TestClient) -> None:
    resp = await client.get("/api/ui/fr")
    assert resp.status == 404
    error = (await resp.json())["error"]
    assert error["code"] == "unsupported_language"
    assert error["details"]["supported"] == list(languages.codes())
    assert "fr" in error["message"] and error["message_ja"]
