"""End to end across domains: library and foreign-resident questions in Japanese and other languages through
/api/chat, one conversation moving between domains, a reference request that staff then see, the hand-off with
"open now", and unanswered questions counted for staff. The stack runs at Wednesday 2026-11-25 10:00 (conftest)."""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from scripts.stack_process import StackProcess

pytestmark = pytest.mark.e2e

STAFF_TOKEN = "e2e-staff-token-0123"  # tests/e2e/conftest.py

# (question, lang, facts the answer must give) — phrased for this test; facts are not words of the question.
QUESTIONS = [
    ("図書館の本って何冊まで借りれるの？", "ja", ["10点", "2週間"]),
    ("外国から引っ越してきました。住所の届け出はいつまで？", "ja", ["14日"]),
    ("How many books can I borrow at once from Chiba City Library?", "en", ["10", "2 weeks"]),
    ("I just came to Japan and moved into Chiba. How many days do I have to register?", "en", ["14"]),
    ("千叶市图书馆一次能借几本书？", "zh", ["10"]),
    ("도서관에서 책을 몇 권까지 빌릴 수 있어요?", "ko", ["10"]),
    ("Thư viện cho mượn tối đa bao nhiêu cuốn sách?", "vi", ["10"]),
    ("Quantos livros posso pegar emprestado na biblioteca?", "pt", ["10"]),
    ("Cheguei do exterior, em quantos dias preciso registrar meu endereço?", "pt", ["14"]),
]


def ask(stack: StackProcess, text: str, sender: str, lang: str = "auto") -> dict:
    status, body = stack.chat(text, sender_id=sender, lang=lang)
    assert status == 200, body
    assert isinstance(body, dict)
    return body


def text_of(body: dict) -> str:
    return "\n".join(m["text"] for m in body["messages"] if m.get("text"))


def staff_get(stack: StackProcess, path: str) -> bytes:
    req = urllib.request.Request(stack.url + path, headers={"Authorization": f"Bearer {STAFF_TOKEN}"})
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.read()


@pytest.mark.parametrize(("question", "lang", "facts"), QUESTIONS)
def test_library_and_foreign_resident_questions(
    stack: StackProcess, question: str, lang: str, facts: list[str]
) -> None:
    body = ask(stack, question, uuid.uuid4().hex)
    answer = text_of(body)
    assert body["lang"] == lang
    for fact in facts:
        assert fact in answer, answer
    assert body["meta"]["fallback"] is False
    assert body["meta"]["sources"], "every answer names its source"


def test_one_conversation_moves_between_domains_and_keeps_language_and_town(stack: StackProcess) -> None:
    sender = uuid.uuid4().hex
    first = ask(stack, "When is burnable garbage collected in 中央区青葉町?", sender)
    assert first["lang"] == "en" and "Thu" in text_of(first)
    library = ask(stack, "Can I read e-books from the city library?", sender)
    assert library["lang"] == "en" and "2021" in text_of(library)
    again = ask(stack, "And when is burnable garbage collected?", sender)
    assert again["lang"] == "en"
    assert "青葉町" in text_of(again), "the town given earlier is still known"


def test_reference_request_gets_a_number_that_staff_see(stack: StackProcess) -> None:
    sender = uuid.uuid4().hex
    steps = [
        ("図書館に調べものを頼みたいです", "ja"),
        ("昭和30年代の千葉駅周辺の写真が載っている本", "ja"),
        ("中央図書館", "ja"),
        ("hanako@example.jp", "ja"),
        ("/affirm", "ja"),
    ]
    for text, lang in steps:
        ask(stack, text, sender, lang)
    done = ask(stack, "/affirm", sender, "ja")
    answer = text_of(done)
    assert "R-" in answer, answer
    number = answer[answer.index("R-") : answer.index("R-") + 8]
    listed = json.loads(staff_get(stack, "/staff/api/reference-requests"))["reference_requests"]
    mine = next(item for item in listed if item["number"] == number)
    assert mine["question"] == "昭和30年代の千葉駅周辺の写真が載っている本" and mine["library"] == "chuo_library"
    status = text_of(ask(stack, f"{number}の状況を教えて", sender, "ja"))
    assert number in status and "受け付け" in status


def test_cancelled_reference_request_stores_nothing(stack: StackProcess) -> None:
    sender = uuid.uuid4().hex
    ask(stack, "レファレンスをお願いしたい", sender, "ja")
    ask(stack, "千葉氏の家紋について書かれた資料がほしい", sender, "ja")
    cancelled = text_of(ask(stack, "やっぱりやめます", sender, "ja"))
    assert "やめました" in cancelled
    listed = json.loads(staff_get(stack, "/staff/api/reference-requests"))["reference_requests"]
    assert all("家紋" not in item["question"] for item in listed)


def test_handoff_names_the_desk_and_whether_it_is_open(stack: StackProcess) -> None:
    sender = uuid.uuid4().hex
    ask(stack, "国民健康保険にはどうやって入りますか", sender, "ja")
    handoff = text_of(ask(stack, "窓口の人と直接話したい", sender, "ja"))
    assert "開いています" in handoff or "閉まっています" in handoff, handoff
    assert "043-" in handoff


def test_unanswered_questions_are_counted_for_staff(stack: StackProcess) -> None:
    marker = "ゾウの飼い方を教えて"
    body = ask(stack, marker, uuid.uuid4().hex, "ja")
    assert body["meta"]["fallback"] is True
    assert "043-245-4894" in text_of(body)
    exported = staff_get(stack, "/staff/unanswered.csv").decode("utf-8-sig")
    assert marker in exported
