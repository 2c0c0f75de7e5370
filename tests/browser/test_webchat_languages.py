"""A resident picks their language in the web chat: the page's own words follow, the choice is sent with every
question and survives a reload, and answers and errors are marked with the language they are in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from gateway_fakes import DOWN_503
from webchat_stack import Stack

pytestmark = pytest.mark.browser

LANGS = ["ja", "ja-easy", "en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id"]
HTML_LANG = {"ja-easy": "ja", "zh": "zh-Hans"}


def picker(page: Any) -> Any:
    return page.locator("#lang")


def wait_for_ui(page: Any, lang: str) -> None:
    """The page's own words arrive from /api/ui/{lang} after a switch; chat.js marks <html> once they are shown."""
    page.locator(f"html[data-ui-lang='{lang}']").wait_for(state="attached")


def choose(page: Any, lang: str) -> None:
    picker(page).select_option(lang)
    wait_for_ui(page, lang)


def ask(page: Any, text: str) -> Any:
    """Type and send a question; the request the page made."""
    page.locator("#message").fill(text)
    with page.expect_request(lambda r: r.url.endswith("/api/chat")) as request:
        page.keyboard.press("Enter")
    return request.value


def strings(page: Any, lang: str) -> dict[str, str]:
    """The strings the page is served for `lang` (translations/ui/<lang>.yml)."""
    return page.evaluate("async (lang) => (await fetch('/api/ui/' + lang)).json()", lang)


def test_english_ui_request_and_reload(page: Any, stack: Stack) -> None:
    page.get_by_label(re.compile("回答の言語")).select_option("en")
    wait_for_ui(page, "en")
    assert page.title() == "Chiba City AI Assistant"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("h1").inner_text() == "Chiba City AI Assistant"
    assert page.get_by_role("button", name="Send").is_visible()
    assert page.get_by_label("Type your question").get_attribute("placeholder").startswith("e.g.")
    assert "Enter to send" in page.locator("#message-hint").inner_text()
    notice = page.locator("#notice")
    assert "Household Garbage Helpline (家庭ごみ相談ダイヤル)" in notice.inner_text()
    assert notice.get_by_role("link", name="043-204-5380").get_attribute("href") == "tel:0432045380"
    assert page.locator("#greeting").get_attribute("lang") == "en"
    assert "Hello" in page.locator("#greeting .bubble").inner_text()

    request = ask(page, "battery")
    assert request.post_data_json["lang"] == "en"
    reply = page.locator("#log .message.bot", has_text="「battery」")
    reply.wait_for()
    assert reply.get_attribute("lang") == "en"
    assert page.locator("#log .sources-label").first.inner_text() == "Sources:"
    assert page.evaluate("localStorage.getItem('chiba-assistant.lang')") == "en"

    page.reload()
    wait_for_ui(page, "en")
    assert picker(page).input_value() == "en"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("Type your question").is_visible()
    assert ask(page, "sofa").post_data_json["lang"] == "en"
    page.locator("#log .message.bot", has_text="「sofa」").wait_for()
    assert stack.backend.received[-1]["metadata"]["lang"] == "en"


@pytest.mark.parametrize("lang", LANGS)
def test_every_language_has_every_string_and_labels_the_page(page: Any, lang: str) -> None:
    ja, own = strings(page, "ja"), strings(page, lang)
    assert set(own) == set(ja)
    assert all(value.strip() for value in own.values())
    for key in ("web.notice", "web.hint", "web.error_too_long"):  # placeholders filled by the page
        assert re.findall(r"\{\w+\}", own[key]) == re.findall(r"\{\w+\}", ja[key])
    if lang not in {"ja", "ja-easy"}:
        assert "(家庭ごみ相談ダイヤル)" in own["web.helpline"].replace("（", "(").replace("）", ")")

    choose(page, lang)
    assert page.locator("html").get_attribute("lang") == HTML_LANG.get(lang, lang)
    assert page.title() == own["web.title"]
    assert page.locator("label[for='message']").inner_text() == own["web.input_label"]
    assert page.locator("#send").inner_text() == own["web.send"]
    assert page.locator("#typing .typing-text").text_content() == own["web.typing"]  # shown while an answer is made
    # The picker can always be found by its English name too, and keeps its label.
    assert "Language" in page.locator("label[for='lang']").inner_text()
    assert page.get_by_label(re.compile("Language")).evaluate("el => el.id") == "lang"
    assert page.locator("#lang option[value='auto']").inner_text() == own["web.language_auto"]
    assert "{" not in page.locator("#notice").inner_text()


def test_auto_sends_auto_and_marks_bubbles_with_the_detected_language(page: Any, stack: Stack) -> None:
    assert picker(page).input_value() == "auto"
    request = ask(page, "What kind of garbage is a spray can?")
    assert request.post_data_json["lang"] == "auto"
    reply = page.locator("#log .message.bot", has_text="spray can")
    reply.wait_for()
    assert reply.get_attribute("lang") == "en"
    assert page.locator("#log .message.user").last.get_attribute("lang") == "en"
    assert page.locator("html").get_attribute("lang") == "ja"  # the page itself stays in the browser's language
    assert stack.backend.received[-1]["metadata"]["lang"] == "en"


@pytest.fixture
def english_browser_page(browser: Any, stack: Stack) -> Iterator[Any]:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(stack.url + "/")
    wait_for_ui(page, "en")
    yield page
    context.close()


def test_auto_shows_the_page_in_the_browsers_language(english_browser_page: Any) -> None:
    page = english_browser_page
    assert picker(page).input_value() == "auto"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_label("Type your question").is_visible()
    choose(page, "ja")
    assert page.get_by_label("質問を入力してください").is_visible()


def test_errors_and_helpline_in_the_chosen_language(page: Any, stack: Stack) -> None:
    choose(page, "vi")
    stack.backend.rasa_mode = DOWN_503
    ask(page, "Bình xịt là rác loại gì?")
    error = page.locator("#log .message.error")
    error.wait_for()
    text = error.locator(".bubble").inner_text()
    assert text.startswith(strings(page, "vi")["common.unavailable"])
    assert "(家庭ごみ相談ダイヤル) 043-204-5380" in text
    assert error.get_attribute("lang") == "vi"
    assert error.locator(".visually-hidden").inner_text() == "Lỗi:"


def test_keyboard_order_is_unchanged_in_another_language(page: Any) -> None:
    choose(page, "ne")
    page.evaluate("document.activeElement.blur()")
    order = []
    for _ in range(8):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert [x for x in order if x in {"lang", "log", "message", "send"}][:4] == ["lang", "log", "message", "send"]


def test_without_the_servers_strings_the_page_stays_japanese_and_works(page: Any, stack: Stack) -> None:
    choose(page, "en")
    page.route("**/api/ui/**", lambda route: route.fulfill(status=503, body="down"))
    picker(page).select_option("ko")
    wait_for_ui(page, "ja")  # the built-in Japanese of i18n.js
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("#send").inner_text() == "送信"
    assert ask(page, "안녕하세요").post_data_json["lang"] == "ko"  # the answer language is still the choice
    page.locator("#log .message.bot", has_text="「안녕하세요」").wait_for()

    page.unroute("**/api/ui/**")
    choose(page, "ja-easy")
    choose(page, "ko")  # a language whose request failed is asked for again
    assert page.locator("#send").inner_text() == "보내기"
