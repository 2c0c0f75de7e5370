"""Web chat fixes found by using it as a resident (issue 11, item 7): buttons keep the conversation's language,
answers stay under their own questions, the conversation survives a reload until "new conversation", starter
questions, retry after an error, a character counter, answers shown from their start, and the phone, dark and print
layouts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from gateway_fakes import CITY_SOURCE, DOWN_503, OK
from test_webchat import CONTRAST_JS
from webchat_stack import Stack

pytestmark = pytest.mark.browser

LANGS = ["ja", "ja-easy", "en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id"]
SENDER_KEY = "chiba-assistant.sender-id"
TRANSCRIPT_KEY = "chiba-assistant.transcript"
TOWN_NOTE = "（幸町の情報としてお答えしました）"  # the fake Rasa remembers the town (webchat_stack.Conversations)

# Every message after the greeting, in the order the log shows them: [role, bubble text].
MESSAGES_JS = """() => [...document.querySelectorAll('#log > .message:not(#greeting)')].map((m) => [
  ['user', 'bot', 'error'].find((role) => m.classList.contains(role)), m.querySelector('.bubble').textContent])"""


def wait_for_ui(page: Any, lang: str) -> None:
    page.locator(f"html[data-ui-lang='{lang}']").wait_for(state="attached")


def ask(page: Any, text: str) -> Any:
    """Type and send a question; the request the page made."""
    page.locator("#message").fill(text)
    with page.expect_request(lambda r: r.url.endswith("/api/chat")) as request:
        page.keyboard.press("Enter")
    return request.value


def answer(page: Any, question: str) -> Any:
    """The fake's answer to `question` (gateway_fakes.default_reply), once shown."""
    bubble = page.locator("#log .message.bot .bubble", has_text=f"「{question}」についての回答です。")
    bubble.wait_for()
    return bubble


def messages(page: Any) -> list[list[str]]:
    return page.evaluate(MESSAGES_JS)


def page_words(page: Any, lang: str) -> dict[str, str]:
    """The words i18n.js gives the page's newer controls in `lang`."""
    return page.evaluate("(lang) => ({ ...window.CHIBA_I18N.page(lang) })", lang)


def starter_ids(page: Any) -> list[str]:
    return page.evaluate("() => [...window.CHIBA_I18N.starters]")


# --- 1. a button keeps the conversation's language -------------------------------------------------------------------

KOREAN_REPLY = {
    "messages": [
        {
            "text": "어떤 전지인가요?",
            "buttons": [
                {"title": "건전지", "payload": '/ask_garbage_item{"item":"乾電池"}'},
                {"title": "충전지", "payload": '/ask_garbage_item{"item":"充電式電池"}'},
            ],
        }
    ],
    "meta": {"intent": "ask_garbage_item", "confidence": 0.9, "fallback": False, "sources": [CITY_SOURCE]},
}


def test_a_button_in_a_korean_conversation_on_auto_stays_korean(page: Any, stack: Stack) -> None:
    assert page.locator("#lang").input_value() == "auto"
    stack.backend.reply = KOREAN_REPLY
    assert ask(page, "스프레이 캔은 무슨 쓰레기예요?").post_data_json["lang"] == "auto"
    first = page.locator("#log .message.bot", has_text="어떤 전지인가요?")
    first.wait_for()
    assert first.get_attribute("lang") == "ko"

    with page.expect_request(lambda r: r.url.endswith("/api/chat")) as tapped:
        first.get_by_role("button", name="건전지").click()
    sent = tapped.value.post_data_json
    assert sent["text"] == '/ask_garbage_item{"item":"乾電池"}'
    assert sent["lang"] == "ko"  # the answer's language, never "auto"
    page.locator("#log .message.bot", has_text="어떤 전지인가요?").nth(1).wait_for()
    assert stack.backend.received[-1]["metadata"]["lang"] == "ko"
    assert page.locator("#log .message.bot").last.get_attribute("lang") == "ko"
    assert page.locator("#log .message.user").last.get_attribute("lang") == "ko"
    assert page.locator("#log .message.user .bubble").last.inner_text() == "건전지"


# --- 2. answers stay under their own questions -----------------------------------------------------------------------


def test_two_quick_questions_are_answered_in_order_under_their_own_questions(page: Any, stack: Stack) -> None:
    first, second = "スプレー缶の出し方", "乾電池の出し方"
    stack.conversations.held.add(first)  # the first answer is slow
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data_json["text"]) if r.url.endswith("/api/chat") else None)
    ask(page, first)
    page.locator("#message").fill(second)
    page.keyboard.press("Enter")

    waiting = page.locator("#log .message.user.queued", has_text=second)
    waiting.wait_for()
    assert waiting.locator(".queued-note").inner_text() == page_words(page, "ja")["page.queued"]
    assert page.locator("#typing").is_visible()
    assert page.get_by_role("status").inner_text() == "回答を作成しています"
    assert sent == [first]  # the second question waits for the first answer

    stack.conversations.release()
    answer(page, second)
    assert page.locator("#log .queued-note").count() == 0
    assert page.locator("#typing").is_hidden()
    assert messages(page) == [
        ["user", first],
        ["bot", f"「{first}」についての回答です。"],
        ["bot", "どちらですか？"],
        ["user", second],
        ["bot", f"「{second}」についての回答です。"],
        ["bot", "どちらですか？"],
    ]
    assert sent == [first, second]
    assert stack.conversations.arrived == [first, second]


# --- 3. the conversation survives a reload; "new conversation" starts over -------------------------------------------


def test_reload_keeps_the_conversation_and_a_new_one_forgets_the_town(page: Any, stack: Stack) -> None:
    ask(page, "幸町に住んでいます")
    answer(page, "幸町に住んでいます")
    ask(page, "乾電池")
    answer(page, "乾電池")
    choice = page.locator("#log .choices").last.get_by_role("button", name="スプレー缶")
    choice.click()
    page.locator("#log .message.bot .bubble", has_text='「/ask_item{"item":"スプレー缶"}」').wait_for()
    before = messages(page)
    sender = page.evaluate(f"localStorage.getItem('{SENDER_KEY}')")

    page.reload()
    wait_for_ui(page, "ja")
    assert messages(page) == before
    assert [m for m in before if m[0] == "user"] == [
        ["user", "幸町に住んでいます"],
        ["user", "乾電池"],
        ["user", "スプレー缶"],
    ]
    assert ["bot", TOWN_NOTE] in before
    restored = page.locator("#log .choices").nth(1).get_by_role("button", name="スプレー缶")
    assert restored.is_disabled() and restored.get_attribute("aria-pressed") == "true"
    assert page.locator("#log .sources a").first.get_attribute("href") == CITY_SOURCE
    assert page.locator("#log .message.user").first.get_attribute("lang") == "ja"
    ask(page, "粗大ごみ")
    answer(page, "粗大ごみ")
    assert stack.backend.received[-1]["sender"] == sender
    assert messages(page)[-1] == ["bot", TOWN_NOTE]  # the assistant still knows the town, and so does the page

    page.get_by_role("button", name="新しい会話").click()
    assert page.locator("#log .message").count() == 1  # the greeting only
    assert page.locator("#greeting .starters button").count() == 7
    assert page.get_by_role("status").inner_text() == "新しい会話を始めました。"
    assert page.evaluate("document.activeElement.id") == "message"
    new_sender = page.evaluate(f"localStorage.getItem('{SENDER_KEY}')")
    assert re.fullmatch(r"web-[0-9a-f]{32}", new_sender) and new_sender != sender
    assert page.evaluate(f"localStorage.getItem('{TRANSCRIPT_KEY}')") is None

    ask(page, "乾電池")
    answer(page, "乾電池")
    assert stack.backend.received[-1]["sender"] == new_sender
    assert TOWN_NOTE not in page.locator("#log").inner_text()  # the new conversation does not know the town
    page.reload()
    wait_for_ui(page, "ja")
    assert [m[1] for m in messages(page) if m[0] == "user"] == ["乾電池"]


def test_an_answer_for_the_old_conversation_is_dropped(page: Any, stack: Stack) -> None:
    stack.conversations.held.add("遅い質問")
    ask(page, "遅い質問")
    page.get_by_role("button", name="新しい会話").click()
    assert page.locator("#typing").is_hidden()
    ask(page, "新しい質問")  # a new sender: it does not wait for the old conversation's answer
    answer(page, "新しい質問")
    shown = messages(page)
    assert [m[1] for m in shown if m[0] == "user"] == ["新しい質問"]
    with page.expect_response(lambda r: r.url.endswith("/api/chat") and "遅い質問" in (r.request.post_data or "")):
        stack.conversations.release()
    page.evaluate("() => new Promise((done) => setTimeout(done, 100))")  # let the page read that answer
    assert messages(page) == shown
    page.reload()
    wait_for_ui(page, "ja")
    assert messages(page) == shown


# --- 4. starter questions --------------------------------------------------------------------------------------------


def test_starter_questions_at_the_start_of_a_conversation(page: Any, stack: Stack) -> None:
    toolbar = page.get_by_role("toolbar", name="よくある質問")
    titles = toolbar.get_by_role("button").all_inner_texts()
    assert titles == [
        "ごみの分け方",
        "ごみの収集日",
        "粗大ごみ",
        "図書館",
        "外国人住民の手続き",
        "スマホ教室",
        "手当・支援制度",
    ]
    assert starter_ids(page) == ["sorting", "collection", "bulky", "library", "foreign", "smartphone", "benefits"]

    with page.expect_request(lambda r: r.url.endswith("/api/chat")) as request:
        toolbar.get_by_role("button", name="粗大ごみ").click()
    assert request.value.post_data_json["text"] == "粗大ごみの出し方を教えてください"
    assert request.value.post_data_json["lang"] == "ja"  # the greeting's language
    answer(page, "粗大ごみの出し方を教えてください")
    assert messages(page)[0] == ["user", "粗大ごみの出し方を教えてください"]

    # One tab stop; arrow keys, Home and End move between the questions; Enter asks.
    toolbar.get_by_role("button", name="ごみの分け方").focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.starter") == "collection"
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.dataset.starter") == "benefits"
    assert toolbar.locator("button[tabindex='0']").count() == 1
    with page.expect_request(lambda r: r.url.endswith("/api/chat")) as request:
        page.keyboard.press("Enter")
    assert request.value.post_data_json["text"] == "使える制度を知りたい"


def test_the_starters_come_back_after_an_answer_the_assistant_could_not_give(page: Any, stack: Stack) -> None:
    stack.backend.reply = {
        "messages": [{"text": "すみません、わかりませんでした。"}],
        "meta": {"intent": "nlu_fallback", "confidence": 0.2, "fallback": True, "sources": []},
    }
    ask(page, "ほげほげ")
    reply = page.locator("#log .message.bot", has_text="わかりませんでした")
    reply.wait_for()
    assert reply.get_by_role("toolbar", name="よくある質問").get_by_role("button").count() == 7


@pytest.mark.parametrize("lang", LANGS)
def test_new_controls_and_starters_in_every_language(page: Any, stack: Stack, lang: str) -> None:
    page.locator("#lang").select_option(lang)
    wait_for_ui(page, lang)
    own = page_words(page, lang)
    other = page_words(page, "ja" if lang == "en" else "en")
    assert set(own) == set(other)
    untranslated = [key for key, text in own.items() if not text.strip() or text == other[key]]
    assert untranslated == []
    assert re.findall(r"\{\w+\}", own["page.counter"]) == ["{count}", "{max}"]

    assert page.locator("#new-conversation").inner_text() == own["page.new_conversation"]
    toolbar = page.get_by_role("toolbar", name=own["page.starters"])
    ids = starter_ids(page)
    assert toolbar.get_by_role("button").all_inner_texts() == [own[f"starter.{i}"] for i in ids]
    with page.expect_request(lambda r: r.url.endswith("/api/chat")) as request:
        toolbar.get_by_role("button").nth(1).click()
    assert request.value.post_data_json == {
        "sender_id": page.evaluate(f"localStorage.getItem('{SENDER_KEY}')"),
        "text": own["starter.collection.ask"],
        "lang": lang,
    }


# --- 5. errors, counter, scrolling -----------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", ["backend_down", "network"])
def test_after_an_error_the_text_is_kept_and_can_be_sent_again(page: Any, stack: Stack, failure: str) -> None:
    question = "乾電池はどう捨てますか"
    if failure == "backend_down":
        stack.backend.rasa_mode = DOWN_503
    else:
        page.route("**/api/chat", lambda route: route.abort())
    ask(page, question)
    error = page.locator("#log .message.error")
    error.wait_for()
    assert "043-204-5380" in error.locator(".bubble").inner_text()
    assert page.locator("#message").input_value() == question  # the typed text is kept
    assert messages(page)[0] == ["user", question]
    assert messages(page)[1][0] == "error"

    if failure == "backend_down":
        stack.backend.rasa_mode = OK
    else:
        page.unroute("**/api/chat")
    with page.expect_request(lambda r: r.url.endswith("/api/chat")) as request:
        error.get_by_role("button", name="もう一度送る").click()
    assert request.value.post_data_json["text"] == question
    answer(page, question)
    assert page.locator("#log .message.error").count() == 0
    assert messages(page)[:2] == [["user", question], ["bot", f"「{question}」についての回答です。"]]
    assert page.locator("#log .message.user").count() == 1  # the same question, not a copy
    assert page.locator("#message").input_value() == ""


def test_a_character_counter_appears_near_the_limit(page: Any, stack: Stack) -> None:
    box, counter = page.locator("#message"), page.locator("#counter")
    box.fill("あ" * 1500)
    assert counter.is_hidden()
    box.fill("あ" * 1700)
    assert counter.is_visible() and counter.inner_text() == "1700 / 2000文字"
    assert "counter" in box.get_attribute("aria-describedby").split()
    page.wait_for_function("() => document.getElementById('counter-status').textContent === '1700 / 2000文字'")
    box.fill("あ" * 2000)
    assert counter.inner_text() == "2000 / 2000文字"
    box.fill("短い質問")
    assert counter.is_hidden()


def test_a_long_answer_is_shown_from_its_start(page: Any, stack: Stack) -> None:
    ask(page, "乾電池")
    answer(page, "乾電池")
    long_text = "\n".join(f"{n}行目：長い回答です。" for n in range(1, 81))
    stack.backend.reply = {"messages": [{"text": long_text}], "meta": {}}
    ask(page, "長い回答")
    page.locator("#log .message.bot .bubble", has_text="80行目").wait_for()
    placement = page.evaluate(
        """() => {
          const log = document.getElementById('log');
          const bubble = [...log.querySelectorAll('.message.bot')].pop();
          return {offset: bubble.getBoundingClientRect().top - log.getBoundingClientRect().top,
                  rest: log.scrollHeight - log.clientHeight - log.scrollTop};
        }"""
    )
    assert 0 <= placement["offset"] <= 30, placement  # its first line at the top of the log
    assert placement["rest"] > 100, placement  # not scrolled to its end


# --- layouts and accessibility ---------------------------------------------------------------------------------------


@pytest.fixture
def phone(browser: Any, stack: Stack) -> Iterator[Any]:
    context = browser.new_context(
        locale="ja-JP", viewport={"width": 390, "height": 700}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(stack.url + "/")
    wait_for_ui(page, "ja")
    yield page
    context.close()


def test_on_a_phone_the_input_stays_at_the_bottom_and_only_the_log_scrolls(phone: Any, stack: Stack) -> None:
    for question in ("乾電池", "スプレー缶", "粗大ごみ", "蛍光灯"):
        ask(phone, question)
        answer(phone, question)
    layout = phone.evaluate(
        """() => {
          const log = document.getElementById('log'), composer = document.getElementById('composer');
          const send = document.getElementById('send').getBoundingClientRect();
          return {page: document.scrollingElement.scrollHeight, height: innerHeight,
                  composerBottom: composer.getBoundingClientRect().bottom, sendTop: send.top,
                  logScrolls: log.scrollHeight > log.clientHeight, logOverflow: getComputedStyle(log).overflowY};
        }"""
    )
    assert layout["page"] <= layout["height"], layout  # the page itself does not scroll
    assert layout["height"] - 30 <= layout["composerBottom"] <= layout["height"], layout
    assert 0 < layout["sendTop"] < layout["height"], layout
    assert layout["logScrolls"] and layout["logOverflow"] == "auto", layout


@pytest.fixture(params=["light", "dark"])
def scheme_page(request: Any, browser: Any, stack: Stack) -> Iterator[Any]:
    context = browser.new_context(locale="ja-JP", viewport={"width": 900, "height": 900}, color_scheme=request.param)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(stack.url + "/")
    wait_for_ui(page, "ja")
    yield page
    context.close()


def test_every_state_meets_wcag_aa_contrast_in_light_and_dark(scheme_page: Any, stack: Stack) -> None:
    page = scheme_page
    dark = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert (background == "rgb(255, 255, 255)") is not dark, background

    stack.conversations.held.add("待つ質問")
    ask(page, "待つ質問")
    page.locator("#message").fill("缶")
    page.keyboard.press("Enter")
    page.locator("#log .queued-note").wait_for()
    worst = page.evaluate(CONTRAST_JS)  # the waiting question, the typing indicator, the starters
    assert worst["ratio"] >= 4.5, worst

    stack.conversations.release()
    answer(page, "缶")
    page.locator("#log .choices").last.get_by_role("button", name="スプレー缶").click()
    answer(page, '/ask_item{"item":"スプレー缶"}')
    page.route("**/api/chat", lambda route: route.abort())
    ask(page, "エラー表示")
    page.locator("#log .retry").wait_for()
    page.locator("#message").fill("あ" * 1700)
    page.locator("#counter").wait_for()
    worst = page.evaluate(CONTRAST_JS)  # chosen and inactive choices, sources, error and retry, the counter
    assert worst["ratio"] >= 4.5, worst


def test_print_shows_the_residents_own_messages_clearly(page: Any, stack: Stack) -> None:
    ask(page, "乾電池はどう捨てますか")
    answer(page, "乾電池はどう捨てますか")
    page.emulate_media(media="print")
    printed = page.evaluate(
        """() => {
          const user = document.querySelector('#log .message.user');
          const bubble = getComputedStyle(user.querySelector('.bubble'));
          const who = user.querySelector('.who');
          const shown = (selector) => getComputedStyle(document.querySelector(selector)).display !== 'none';
          return {color: bubble.color, background: bubble.backgroundColor, border: bubble.borderTopWidth,
                  who: who.getBoundingClientRect().width > 1 ? who.textContent : '',
                  composer: shown('#composer'), settings: shown('.settings'), starters: shown('.starters'),
                  logHeight: getComputedStyle(document.getElementById('log')).maxHeight};
        }"""
    )
    assert printed["color"] == "rgb(0, 0, 0)", printed  # black text, whatever the printer does with backgrounds
    assert printed["background"] in {"rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"}, printed
    assert printed["border"] == "2px", printed  # framed, so the resident's messages stand out
    assert printed["who"] == "あなた:", printed  # who said what is written out
    assert not printed["composer"] and not printed["settings"] and not printed["starters"], printed
    assert printed["logHeight"] == "none", printed  # the whole conversation, not one screen of it


def test_keyboard_reaches_the_new_controls_in_order(page: Any) -> None:
    order = []
    for _ in range(8):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.dataset.starter || ''"))
    assert order[1:] == ["lang", "new-conversation", "area-toggle", "log", "sorting", "message", "send"]
    assert page.get_by_role("button", name="新しい会話").get_attribute("type") == "button"
    assert page.get_by_role("toolbar", name="よくある質問").is_visible()
