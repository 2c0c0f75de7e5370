"""A resident uses the web chat in a real browser: asks, reads the answer and its sources, picks a choice,
and gets a polite message when the assistant is down."""

from __future__ import annotations

import re
from typing import Any

import pytest
from gateway_fakes import CITY_SOURCE, DOWN_503
from webchat_stack import Stack

pytestmark = pytest.mark.browser


def ask(page: Any, text: str) -> None:
    page.get_by_label("質問を入力してください").fill(text)
    page.keyboard.press("Enter")


def bot_bubbles(page: Any) -> Any:
    return page.locator("#log .message.bot .bubble")


def test_question_shows_answer_and_sources(page: Any, stack: Stack) -> None:
    ask(page, "スプレー缶はどう捨てますか")
    page.locator("#log .message.user .bubble", has_text="スプレー缶はどう捨てますか").wait_for()
    answer = bot_bubbles(page).filter(has_text="「スプレー缶はどう捨てますか」についての回答です。")
    answer.wait_for()
    source = page.locator("#log .sources a").first
    assert source.get_attribute("href") == CITY_SOURCE
    assert source.get_attribute("rel") == "noopener noreferrer"
    assert page.locator("#typing").is_hidden()
    # The input is cleared and keeps focus, ready for the next question.
    assert page.get_by_label("質問を入力してください").input_value() == ""
    assert page.evaluate("document.activeElement.id") == "message"
    sender = stack.backend.received[-1]["sender"]
    assert re.fullmatch(r"web-[0-9a-f]{32}", sender)
    assert page.evaluate("localStorage.getItem('chiba-assistant.sender-id')") == sender


def test_sender_id_survives_reload(page: Any, stack: Stack) -> None:
    ask(page, "乾電池")
    bot_bubbles(page).filter(has_text="「乾電池」").wait_for()
    page.reload()
    ask(page, "粗大ごみ")
    bot_bubbles(page).filter(has_text="「粗大ごみ」").wait_for()
    assert stack.backend.received[0]["sender"] == stack.backend.received[1]["sender"]


def test_clicking_a_choice_sends_its_payload_and_shows_its_title(page: Any, stack: Stack) -> None:
    ask(page, "缶")
    first_choices = page.locator("#log .choices").first
    choice = first_choices.get_by_role("button", name="スプレー缶")
    choice.click()
    page.locator("#log .message.user .bubble", has_text="スプレー缶").wait_for()
    bot_bubbles(page).filter(has_text='「/ask_item{"item":"スプレー缶"}」').wait_for()
    assert stack.backend.received[-1]["message"] == '/ask_item{"item":"スプレー缶"}'
    assert choice.is_disabled()
    assert first_choices.get_by_role("button", name="乾電池").is_disabled()


def test_keyboard_only_choice(page: Any, stack: Stack) -> None:
    ask(page, "缶")
    choice = page.locator("#log .choices").first.get_by_role("button", name="乾電池")
    choice.focus()
    page.keyboard.press("Enter")
    bot_bubbles(page).filter(has_text="「乾電池」").wait_for()
    assert stack.backend.received[-1]["message"] == "乾電池"


def test_shift_enter_adds_a_line_instead_of_sending(page: Any, stack: Stack) -> None:
    box = page.get_by_label("質問を入力してください")
    box.fill("一行目")
    box.press("Shift+Enter")
    assert box.input_value() == "一行目\n"
    assert stack.backend.received == []


def test_chosen_language_is_sent(page: Any, stack: Stack) -> None:
    page.get_by_label(re.compile("回答の言語")).select_option("en")
    page.get_by_label("Type your question").fill("battery")  # the page now speaks English
    page.keyboard.press("Enter")
    reply = page.locator("#log .message.bot", has_text="「battery」")
    reply.wait_for()
    assert stack.backend.received[-1]["metadata"]["lang"] == "en"
    assert reply.get_attribute("lang") == "en"


def test_backend_down_shows_polite_error(page: Any, stack: Stack) -> None:
    stack.backend.rasa_mode = DOWN_503
    ask(page, "乾電池")
    error = page.locator("#log .message.error .bubble")
    error.wait_for()
    assert "申し訳ありません" in error.inner_text()
    assert "Traceback" not in page.content()
    assert page.locator("#typing").is_hidden()


def test_network_failure_shows_polite_error(page: Any, stack: Stack) -> None:
    page.route("**/api/chat", lambda route: route.abort())
    ask(page, "乾電池")
    error = page.locator("#log .message.error .bubble")
    error.wait_for()
    assert "043-204-5380" in error.inner_text()


def test_basic_accessibility(page: Any, stack: Stack) -> None:
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.title() == "千葉市AIアシスタント"
    # Every form control has an accessible name from a <label>.
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input, textarea, select')]
              .filter(el => !el.labels || el.labels.length === 0).map(el => el.id || el.name)"""
    )
    assert unlabeled == []
    log = page.get_by_role("log")
    assert log.get_attribute("aria-live") == "polite"
    # Keyboard: Tab reaches the language select, the log, the input and the send button, in that order.
    order = []
    for _ in range(8):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert [x for x in order if x in {"lang", "log", "message", "send"}][:4] == ["lang", "log", "message", "send"]
    # Every button has a visible name; images (if any) have alt text.
    assert page.evaluate("[...document.querySelectorAll('button')].every(b => b.textContent.trim().length > 0)")
    assert page.evaluate("[...document.querySelectorAll('img')].every(i => i.hasAttribute('alt'))")


def test_text_contrast_meets_wcag_aa(page: Any, stack: Stack) -> None:
    ask(page, "缶")
    page.locator("#log .choices").wait_for()
    page.route("**/api/chat", lambda route: route.abort())
    ask(page, "エラー表示")
    page.locator("#log .message.error").wait_for()
    worst = page.evaluate(CONTRAST_JS)
    assert worst["ratio"] >= 4.5, worst


# Contrast of each text element against the first opaque background up its ancestors (WCAG formula).
CONTRAST_JS = """() => {
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  let worst = { ratio: 21, text: "" };
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.offsetParent === null || el.closest(".visually-hidden")) continue;
    const a = lum(rgb(getComputedStyle(el).color).slice(0, 3)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst.ratio) worst = { ratio, text: el.textContent.trim().slice(0, 40) };
  }
  return worst;
}"""
