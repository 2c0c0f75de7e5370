"""My area and source titles in a real browser (issue 11, item 7): a resident picks their town once, sees it as a
"my area" chip with the next collection days per category, downloads them as .ics, keeps them across a reload and
clears them with "new conversation"; the town the assistant answered for becomes the chip too; sources show their
labels (and their addresses when printed); axe-core finds nothing serious with the calendar open."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from gateway_fakes import CITY_SOURCE
from test_webchat import CONTRAST_JS
from webchat_stack import Stack

pytestmark = pytest.mark.browser

TODAY = "2026-12-24"  # Thursday; 12/31–1/3 is the new-year break
AOBA = "中央区青葉町"
AREA_KEY = "chiba-assistant.area"
SERIOUS = ("serious", "critical")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIBA_TODAY", TODAY)  # the gateway runs in this process (webchat_stack)


def pick(page: Any, query: str, label: str) -> Any:
    """Open the picker, search, choose `label`; the request that told the assistant."""
    page.locator("#area-toggle").click()
    page.locator("#area-query").fill(query)
    page.keyboard.press("Enter")
    with page.expect_request(lambda r: r.url.endswith("/api/area/choose")) as request:
        page.locator("#area-results button", has_text=label).click()
    return request.value


def calendar_rows(page: Any) -> dict[str, list[str]]:
    page.locator("#area-calendar table").wait_for()
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#area-calendar tbody tr')].map((tr) => [
              tr.querySelector('th').textContent,
              [...tr.querySelectorAll('time')].map((t) => t.getAttribute('datetime'))]))"""
    )


def axe_serious(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


def test_picking_an_area_shows_the_chip_and_calendar_and_tells_the_assistant(page: Any, stack: Stack) -> None:
    toggle = page.locator("#area-toggle")
    assert toggle.inner_text() == "地域を選ぶ" and toggle.get_attribute("aria-expanded") == "false"
    request = pick(page, "Aoba-cho", AOBA)
    assert request.post_data_json["town"] == AOBA and request.post_data_json["lang"] == "ja"
    assert toggle.inner_text() == f"わたしの地域：{AOBA}"
    assert calendar_rows(page) == {
        "可燃ごみ": ["2026-12-24", "2026-12-28", "2027-01-04", "2027-01-07", "2027-01-11", "2027-01-14", "2027-01-18"],
        "資源物（びん・缶・ペットボトル）": ["2026-12-25", "2027-01-08", "2027-01-15"],
        "資源物（古紙・布類）": ["2026-12-29", "2027-01-05", "2027-01-12", "2027-01-19"],
        "資源物（木の枝・刈り草・葉）": ["2027-01-13"],
        "不燃ごみ / 有害ごみ": ["2027-01-06", "2027-01-20"],
    }
    calendar = page.locator("#area-calendar")
    assert "12月31日(木)〜1月3日(日)は年末年始のため収集がありません。" in calendar.inner_text()
    assert calendar.locator("time[datetime='2026-12-24']").inner_text() == "12月24日(木)"
    assert page.evaluate("document.activeElement.id") == "area-calendar-heading"  # read from its heading
    # The assistant was told, with the payload its own "which town?" buttons carry; the turn shows in the log.
    page.locator("#log .message.user .bubble", has_text=f"わたしの地域は{AOBA}です。").wait_for()
    page.locator("#log .message.bot .bubble").nth(1).wait_for()
    assert stack.backend.received[-1]["message"] == '/inform_town{"town": "中央区青葉町"}'
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "webchat-area.png"), full_page=True)


def test_the_chip_survives_a_reload_and_the_ics_link_downloads(page: Any, stack: Stack) -> None:
    pick(page, "あおばちょう", AOBA)
    page.locator("#log .message.bot .bubble").nth(1).wait_for()
    page.reload()
    page.locator("html[data-ui-lang]").wait_for(state="attached")
    toggle = page.locator("#area-toggle")
    assert toggle.inner_text() == f"わたしの地域：{AOBA}"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    link = page.get_by_role("link", name="カレンダーに追加（.ics）")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".ics")
    text = Path(download.value.path()).read_bytes().decode("utf-8")  # as saved: CRLF kept
    assert text.startswith("BEGIN:VCALENDAR\r\n") and "DTSTART;VALUE=DATE:20261224" in text
    assert "DTSTART;VALUE=DATE:20261231" not in text


def test_new_conversation_clears_the_area(page: Any, stack: Stack) -> None:
    pick(page, "青葉町", AOBA)
    page.locator("#log .message.bot .bubble").nth(1).wait_for()
    page.get_by_role("button", name="新しい会話").click()
    assert page.locator("#area-toggle").inner_text() == "地域を選ぶ"
    assert page.locator("#area-panel").is_hidden()
    assert page.evaluate(f"localStorage.getItem('{AREA_KEY}')") is None
    page.reload()
    page.locator("html[data-ui-lang]").wait_for(state="attached")
    assert page.locator("#area-toggle").inner_text() == "地域を選ぶ"


def test_an_ambiguous_and_an_unknown_town_are_said_in_words(page: Any, stack: Stack) -> None:
    page.locator("#area-toggle").click()
    page.locator("#area-query").fill("幕張本郷")
    page.keyboard.press("Enter")
    status = page.locator("#area-status")
    status.filter(has_text="2件見つかりました").wait_for()
    assert page.locator("#area-results button").count() == 2
    page.locator("#area-query").fill("横浜")
    page.keyboard.press("Enter")
    status.filter(has_text="見つかりませんでした").wait_for()
    assert page.locator("#area-results button").count() == 0
    assert stack.backend.received == []  # searching tells the assistant nothing


def test_the_town_the_assistant_answered_for_becomes_the_chip(page: Any, stack: Stack) -> None:
    stack.backend.reply = {
        "messages": [{"text": "美浜区高洲3丁目の収集日です。"}],
        "meta": {
            "intent": "ask_collection_day",
            "confidence": 0.95,
            "fallback": False,
            "sources": [CITY_SOURCE],
            "cards": [{"type": "area", "ward": "美浜区", "town": "高洲3丁目"}],
        },
    }
    page.locator("#message").fill("高洲3丁目のごみの日")
    page.keyboard.press("Enter")
    page.locator("#log .message.bot .bubble", has_text="美浜区高洲3丁目の収集日です。").wait_for()
    assert page.locator("#area-toggle").inner_text() == "わたしの地域：美浜区高洲3丁目"
    # Sources show their label; the address stays the link and is printed after it.
    source = page.locator("#log .sources a").first
    assert source.get_attribute("href") == CITY_SOURCE
    assert source.inner_text().startswith("千葉市：不燃ごみ・有害ごみ")
    page.emulate_media(media="print")
    printed = page.evaluate("(a) => getComputedStyle(a, '::after').content", source.element_handle())
    assert CITY_SOURCE in printed


def test_in_english_the_calendar_names_categories_and_dates_in_english(page: Any, stack: Stack) -> None:
    page.locator("#lang").select_option("en")
    page.locator("html[data-ui-lang='en']").wait_for(state="attached")
    request = pick(page, "Makuhari Hongo 1-chome", "花見川区幕張本郷1・3・5丁目")
    assert request.post_data_json["lang"] == "en"
    rows = calendar_rows(page)
    assert "Burnable waste (可燃ごみ)" in rows
    assert page.locator("#area-toggle").inner_text() == "My area: 花見川区幕張本郷1・3・5丁目"
    caption = page.locator("#area-calendar caption").inner_text()
    assert caption.startswith("Collection days from ") and "Dec" in caption
    assert page.locator("#area-toggle span[lang='ja']").inner_text() == "花見川区幕張本郷1・3・5丁目"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violations_and_aa_contrast_with_the_calendar_open(
    browser: Any, stack: Stack, scheme: str
) -> None:
    context = browser.new_context(locale="ja-JP", viewport={"width": 900, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(stack.url + "/")
        page.locator("html[data-ui-lang]").wait_for(state="attached")
        assert axe_serious(page) == []
        page.locator("#area-toggle").click()
        page.locator("#area-query").fill("幕張")
        page.keyboard.press("Enter")
        page.locator("#area-results button").first.wait_for()
        assert axe_serious(page) == []  # the picker with its results
        page.locator("#area-results button", has_text="花見川区幕張本郷1・3・5丁目").click()
        calendar_rows(page)
        assert axe_serious(page) == []  # the calendar
        worst = page.evaluate(CONTRAST_JS)
        assert worst["ratio"] >= 4.5, worst
    finally:
        context.close()


def test_on_a_phone_the_open_calendar_leaves_the_input_at_the_bottom(browser: Any, stack: Stack) -> None:
    context = browser.new_context(
        locale="ja-JP", viewport={"width": 390, "height": 700}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(stack.url + "/")
        page.locator("html[data-ui-lang]").wait_for(state="attached")
        pick(page, "青葉町", AOBA)
        calendar_rows(page)
        layout = page.evaluate(
            """() => {
              const panel = document.getElementById('area-panel').getBoundingClientRect();
              const composer = document.getElementById('composer').getBoundingClientRect();
              const send = document.getElementById('send').getBoundingClientRect();
              const log = document.getElementById("log").getBoundingClientRect();
              return {page: document.scrollingElement.scrollHeight, height: innerHeight, panel: panel.height,
                      composerBottom: composer.bottom, sendTop: send.top, log: log.height};
            }"""
        )
        assert layout["page"] <= layout["height"], layout  # the page itself does not scroll
        assert layout["panel"] <= layout["height"] * 0.45 + 1, layout  # the calendar scrolls inside its panel
        assert layout["log"] >= 90, layout  # a few lines of the conversation stay in view
        assert layout["height"] - 30 <= layout["composerBottom"] <= layout["height"], layout
        assert 0 < layout["sendTop"] < layout["height"], layout
    finally:
        context.close()
