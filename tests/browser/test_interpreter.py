"""A counter conversation on the desk tablet in a real browser: staff say a phrasebook phrase, the resident answers
by voice in Vietnamese (a recorded sentence, recognised by Whisper on the server), staff pick what it probably means,
send a suggested answer, hear it read out, flip the tablet, print and save the transcript; and axe-core finds no
serious accessibility violation on /interpreter or the web chat (/).

Speech is stubbed in the browser only: its synthesis (headless Chromium has no voices) and its microphone (the
recorder hands over the recorded fixture, tests/browser/fixtures/resident_vi.wav, which the page then POSTs to the real
/api/speech/recognize). A fake-microphone path (Chromium's --use-file-for-fake-audio-capture) works too, but Chromium
re-encodes the clip as Opus and Whisper base then hears this short synthesised sentence differently each time.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from interpreter_stack import MOVING_IN_ANSWER, STAFF_TOKEN, InterpreterStackThread

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
RESIDENT_WAV = FIXTURES / "resident_vi.wav"
SCREENSHOTS = ROOT / "var" / "screenshots"
SERIOUS = ("serious", "critical")

# The browser's speech synthesis: one Japanese voice, and a record of what was spoken.
STUB_SPEECH = """
(() => {
  const spoken = [];
  const voices = [{ name: "stub-ja", lang: "ja-JP", default: true, localService: true, voiceURI: "stub-ja" }];
  window.__spoken = spoken;
  window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ""; this.voice = null; };
  Object.defineProperty(window, "speechSynthesis", {
    configurable: true,
    value: { getVoices: () => voices, speak: (u) => spoken.push({ text: u.text, lang: u.lang }), cancel: () => {} },
  });
})();
"""

# The browser's microphone: getUserMedia gives a silent stream, and the recorder, when stopped, hands over the recorded
# fixture (served to the page by a Playwright route), as MediaRecorder hands over what it recorded.
STUB_MICROPHONE = """
(() => {
  const stream = { getTracks: () => [{ stop() {} }] };
  if (!navigator.mediaDevices) Object.defineProperty(navigator, "mediaDevices", { value: {}, configurable: true });
  navigator.mediaDevices.getUserMedia = async () => stream;
  class RecordedFixture extends EventTarget {
    constructor() { super(); this.state = "inactive"; this.mimeType = "audio/wav"; }
    start() { this.state = "recording"; }
    async stop() {
      this.state = "inactive";
      const blob = await (await fetch("/__fixture/resident.wav")).blob();
      const data = new Event("dataavailable");
      data.data = blob;
      this.dispatchEvent(data);
      this.dispatchEvent(new Event("stop"));
    }
  }
  window.MediaRecorder = RecordedFixture;
})();
"""


@pytest.fixture(scope="module")
def fixture_sentence() -> dict[str, Any]:
    sidecar = RESIDENT_WAV.with_suffix(".json")
    if not RESIDENT_WAV.is_file() or not sidecar.is_file():
        pytest.fail(f"{RESIDENT_WAV} (+ .json) missing: the voice part provides it (see _parts/voice-api.md)")
    return json.loads(sidecar.read_text(encoding="utf-8"))


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[InterpreterStackThread]:
    thread = InterpreterStackThread(tmp_path / "interp.db")
    thread.start()
    assert thread.ready.wait(timeout=60), "interpreter stack did not start"
    if thread.error is not None:
        thread.stop()
        pytest.fail(f"interpreter stack did not start: {thread.error!r}")
    yield thread
    thread.stop()


@pytest.fixture
def tablet(browser: Any, stack: InterpreterStackThread) -> Iterator[Any]:
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    context.add_init_script(STUB_SPEECH)
    context.add_init_script(STUB_MICROPHONE)
    context.route(
        "**/__fixture/resident.wav",
        lambda route: route.fulfill(status=200, content_type="audio/wav", body=RESIDENT_WAV.read_bytes()),
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(stack.url + "/interpreter")
    page.locator("body[data-ready='en']").wait_for(state="attached")
    yield page
    context.close()


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"interpreter-{name}.png"), full_page=True)


def _axe_serious(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


def test_counter_conversation_with_a_spoken_resident_sentence(
    tablet: Any, stack: InterpreterStackThread, fixture_sentence: dict[str, Any]
) -> None:
    page = tablet
    page.get_by_label("住民の言語").select_option("vi")
    page.locator("body[data-ready='vi']").wait_for(state="attached")
    resident = page.locator("#resident-side")
    assert resident.get_attribute("lang") == "vi"
    assert resident.get_by_role("heading", name="Bạn (cư dân)").is_visible()

    # 1. Staff find a greeting in the phrasebook (in Japanese) and say it: both halves show it, each in its language.
    page.get_by_label("フレーズ集を検索").fill("ご用件")
    hit = page.locator("#staff-hits button.hit").first
    hit.wait_for()
    hit.click()
    staff_turn = page.locator("#resident-log li.turn.staff").first
    staff_turn.wait_for()
    assert staff_turn.locator("p.main").get_attribute("lang") == "vi"
    assert staff_turn.locator("p.source").inner_text() == "Từ sổ tay câu mẫu"
    assert "用件" in page.locator("#staff-log li.turn.staff p.main").first.inner_text()

    # 2. The resident speaks (the fake microphone plays the recorded sentence); Whisper recognises it on the server.
    mic = page.locator("#resident-mic")
    assert mic.inner_text() == "Nói"
    mic.click()
    page.locator("#resident-mic[aria-pressed='true']").wait_for()
    with page.expect_response("**/api/speech/recognize?lang=vi", timeout=60_000) as recognition:
        mic.click()  # stop: the recording (webm/opus) goes to the server
    assert recognition.value.status == 200, recognition.value.text()
    server = recognition.value.json()
    heard = page.locator("#assist-heard .heard-text")
    heard.wait_for(timeout=30_000)
    recognised = heard.inner_text()
    # The page shows what the server heard: what Whisper base makes of the recording (measured by the voice part).
    assert server["lang"] == "vi" and recognised == server["text"] == fixture_sentence["recognised"]
    # Staff are told it may contain errors, how sure the recogniser was, and to check with the resident when unsure.
    label = page.locator("#assist-heard").inner_text()
    assert "音声認識" in label and f"確からしさ {round(server['confidence'] * 100)}%" in label
    assert ("本人に確認" in label) == (server["confidence"] < 0.5)
    assert stack.calls.understood[-1] == {"text": recognised, "lang": "vi", "role": "resident"}
    assert resident.locator("li.turn.resident p.source").last.inner_text().startswith("Giọng nói được nhận dạng")
    # No machine translation is installed: the page says so plainly instead of showing anything.
    assert "自由翻訳は利用できません" in page.locator("#mt").inner_text()
    _shot(page, "assist")

    # 3. Staff pick what it probably means; the resident sees what staff understood, in Vietnamese.
    candidate = page.locator("#candidates button.pick").filter(has_text="住所の登録をしたいです。")
    assert "確度：高" in candidate.inner_text()
    candidate.click()
    assert page.locator("#staff-log li.turn.resident p.main").last.inner_text() == "住所の登録をしたいです。"
    understood = resident.locator("li.turn.resident p.understood").last
    assert understood.inner_text() == "Nhân viên hiểu là: Tôi muốn đăng ký địa chỉ."

    # 4. Agent assist: one tap sends the curated answer; the resident reads it in Vietnamese, marked as city info.
    page.locator("#answers li.answer button.send-answer").first.click()
    answer = resident.locator("li.turn.staff").last
    answer.locator("p.main", has_text="Trong vòng 14 ngày").wait_for()
    assert answer.locator("p.source").inner_text() == "Từ thông tin của thành phố"
    assert page.locator("#staff-log li.turn.staff p.main").last.inner_text() == MOVING_IN_ANSWER["ja"]

    # 5. Read aloud: Japanese through the browser's voice (stubbed), Vietnamese through the server's voice.
    page.locator("#staff-log li.turn.staff").last.get_by_role("button", name="読み上げ").first.click()
    spoken = page.evaluate("window.__spoken")
    assert spoken and spoken[-1]["text"] == MOVING_IN_ANSWER["ja"] and spoken[-1]["lang"] == "ja-JP"
    answer.get_by_role("button", name="Nghe").first.click()
    page.locator("body[data-last-spoken^='vi:']").wait_for(state="attached", timeout=30_000)

    # 6. Flip for a tablet lying flat: the resident's half turns to face them.
    page.get_by_role("button", name="向かい合わせ表示").click()
    assert page.get_by_role("button", name="向かい合わせ表示").get_attribute("aria-pressed") == "true"
    assert "matrix(-1" in resident.evaluate("node => getComputedStyle(node).transform")
    _shot(page, "flat")
    page.get_by_role("button", name="向かい合わせ表示").click()

    # 7. The printable transcript: every utterance in Japanese and Vietnamese, with where the text came from.
    page.emulate_media(media="print")
    rows = page.locator("#transcript-rows tr")
    assert rows.count() == 3
    assert page.locator("#transcript").is_visible() and page.locator("#halves").is_hidden()
    second = rows.nth(1).inner_text()
    assert "住所の登録をしたいです。" in second and recognised in second and "フレーズ集" in second
    assert "知識ベース" in rows.nth(2).inner_text()
    _shot(page, "print")
    page.emulate_media(media="screen")

    # 8. Nothing is stored until staff save it with the staff token (not even in the browser); then it has a number
    # (T-000001: the first row ever written) and an expiry date.
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    page.locator("#save summary").click()
    page.get_by_label("職員用トークン").fill("not-the-token-00")
    page.get_by_role("button", name="保存する").click()
    page.locator("#save-result", has_text="職員用トークンが必要です").wait_for()
    page.get_by_label("職員用トークン").fill(STAFF_TOKEN)
    page.get_by_role("button", name="保存する").click()
    page.locator("#save-result", has_text="保存しました：T-000001").wait_for()
    assert "自動で削除" in page.locator("#save-result").inner_text()


def test_staff_free_sentence_and_a_phrase_with_a_blank(tablet: Any, stack: InterpreterStackThread) -> None:
    page = tablet
    page.get_by_label("住民の言語").select_option("vi")
    page.locator("body[data-ready='vi']").wait_for(state="attached")
    # Staff type their own words: the page offers the nearest curated phrase, and says no free translation exists.
    page.get_by_label("日本語で入力（フレーズ集から近い文を探します）").fill("ちょっと待っててくださいね")
    page.keyboard.press("Enter")
    pick = page.locator("#draft-candidates button.pick").filter(has_text="少々お待ちください。")
    pick.wait_for()
    assert "日本語→ベトナム語の自由翻訳は利用できません" in page.locator("#draft-mt").inner_text()
    pick.click()
    said = page.locator("#resident-log li.turn.staff p.main").last
    said.wait_for()
    assert said.inner_text() == "Xin vui lòng đợi một chút."
    assert stack.calls.understood[-1] == {"text": "ちょっと待っててくださいね", "lang": "vi", "role": "staff"}
    # A phrase with a blank: the number typed in the search fills it, staff confirm, both languages carry it.
    page.get_by_label("フレーズ集を検索").fill("5番窓口へ")
    hit = page.locator("#staff-hits li[data-phrase='directions_in_building_go_to_window'] button.hit")
    hit.click()
    blank = page.locator("#staff-hits form.slots input[name='window']")
    assert blank.input_value() == "5"
    page.locator("#staff-hits form.slots").get_by_role("button", name="OK").click()
    window = page.locator("#resident-log li.turn.staff p.main").last
    window.filter(has_text="5").wait_for()
    assert "5番窓口" in page.locator("#staff-log li.turn.staff p.main").last.inner_text()


def test_resident_finds_a_phrase_in_their_own_language(tablet: Any, stack: InterpreterStackThread) -> None:
    page = tablet
    page.get_by_label("住民の言語").select_option("ko")
    page.locator("body[data-ready='ko']").wait_for(state="attached")
    page.get_by_label("문장 찾기").fill("주소")
    page.locator("#resident-hits button.hit").first.wait_for()
    page.locator("#resident-hits button.hit").first.click()
    turn = page.locator("#staff-log li.turn.resident").first
    turn.wait_for()
    assert turn.locator("p.source").inner_text() == "フレーズ集"
    assert turn.locator("p.other").get_attribute("lang") == "ko"
    # A picked phrase is already curated: staff get only the suggested answers for it, no "probably:" guesses.
    page.locator("#answers li.answer").first.wait_for()
    assert page.locator("#candidates li").count() == 1 and page.locator("#candidates li.empty").count() == 1


def test_text_is_shown_as_text_never_as_markup(tablet: Any, stack: InterpreterStackThread) -> None:
    page = tablet
    page.get_by_label("Type what you want to say").fill('<img src=x onerror="window.__pwned=1">hello')
    page.keyboard.press("Enter")
    page.locator("#assist-heard .heard-text", has_text="<img src=x").wait_for()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#staff-log img, #resident-log img").count() == 0


def test_no_serious_accessibility_violations_on_the_interpreter(tablet: Any) -> None:
    page = tablet
    page.get_by_label("フレーズ集を検索").fill("在留カード")
    page.locator("#staff-hits button.hit").first.wait_for()
    assert _axe_serious(page) == []
    page.get_by_role("button", name="向かい合わせ表示").click()
    assert _axe_serious(page) == []


def test_no_serious_accessibility_violations_on_the_web_chat(browser: Any, stack: InterpreterStackThread) -> None:
    context = browser.new_context(locale="ja-JP", viewport={"width": 900, "height": 900})
    page = context.new_page()
    try:
        page.goto(stack.url + "/")
        page.locator("html[data-ui-lang]").wait_for(state="attached")
        _shot(page, "webchat")
        assert _axe_serious(page) == []
    finally:
        context.close()
