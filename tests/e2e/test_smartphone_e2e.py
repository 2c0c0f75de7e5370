"""End to end for the smartphone classes through /api/chat: a resident lists the classes, books a seat with the
"book" button and typed answers (seats, name, phone, yes), gets an S- number, checks it and cancels it — in Japanese,
English and Vietnamese. The stack runs at Wednesday 2026-11-25 10:00 (conftest) with the example schedule loaded by
`make migrate` (knowledge_base/data/smartphone/example_schedule.csv: every class is after that date), so every
answer drawn from it says that it is an example."""

from __future__ import annotations

import re
import uuid

import pytest

from scripts.stack_process import StackProcess

pytestmark = pytest.mark.e2e

BOOK_PAYLOAD = re.compile(r'^/book_smartphone_class\{"sp_class": "[^"]+"\}$')
NUMBER = re.compile(r"S-\d{6}")

# lang → what the resident types, and words the replies must contain. The example notice is the catalogue's
# sp_example / sp_example_booking in that language.
FLOWS = {
    "ja": {
        "list": "スマホ教室っていつやってますか",
        "example": "例（実際の日程ではありません）",
        "ask_seats": "何人",
        "seats": "2人",
        "ask_name": "お名前",
        "name": "千葉 花子",
        "ask_phone": "電話番号",
        "phone": "090-1234-5678",
        "booked": "受け付けました",
        "check": "{number}の予約状況を教えて",
        "status": "予約できています",
        "cancel": "{number}のスマホ教室 キャンセルで",
        "cancelled": "取り消しました",
        "after": "取り消し済み",
    },
    "en": {
        "list": "When are the smartphone classes?",
        "example": "EXAMPLE",
        "ask_seats": "How many people",
        "seats": "2",
        "ask_name": "name",
        "name": "Maria Santos",
        "ask_phone": "phone number",
        "phone": "080 2345 6789",
        "booked": "booking is confirmed",
        "check": "status of {number}",
        "status": "booked",
        "cancel": "cancel booking {number}",
        "cancelled": "is cancelled",
        "after": "cancelled",
    },
    "vi": {
        "list": "Có lớp học điện thoại thông minh không?",
        "example": "VÍ DỤ",
        "ask_seats": "bao nhiêu người",
        "seats": "1 người",
        "ask_name": "tên",
        "name": "Nguyễn Thị Lan",
        "ask_phone": "số điện thoại",
        "phone": "070-3456-7890",
        "booked": "Đã nhận đăng ký",
        "check": "kiểm tra đặt chỗ {number}",
        "status": "đã đặt chỗ",
        "cancel": "huy S-{digits}",
        "cancelled": "Đã hủy đặt chỗ",
        "after": "đã hủy",
    },
}


def ask(stack: StackProcess, text: str, sender: str, lang: str) -> dict:
    status, body = stack.chat(text, sender_id=sender, lang=lang)
    assert status == 200, body
    assert isinstance(body, dict)
    return body


def text_of(body: dict) -> str:
    return "\n".join(m["text"] for m in body["messages"] if m.get("text"))


def buttons_of(body: dict) -> list[dict[str, str]]:
    return [b for m in body["messages"] for b in m.get("buttons") or []]


@pytest.mark.parametrize("lang", sorted(FLOWS))
def test_a_resident_books_a_seat_checks_it_and_cancels_it(stack: StackProcess, lang: str) -> None:
    flow = FLOWS[lang]
    sender = uuid.uuid4().hex

    listed = ask(stack, flow["list"], sender, lang)
    assert flow["example"] in text_of(listed), text_of(listed)
    assert "043-245-4894" in text_of(listed)  # the call centre, to ask about the classes
    book_buttons = [b for b in buttons_of(listed) if BOOK_PAYLOAD.match(b["payload"])]
    assert 1 <= len(book_buttons) <= 5, buttons_of(listed)

    seats_question = ask(stack, book_buttons[0]["payload"], sender, lang)
    assert flow["ask_seats"] in text_of(seats_question), text_of(seats_question)
    name_question = ask(stack, flow["seats"], sender, lang)
    assert flow["ask_name"] in text_of(name_question), text_of(name_question)
    phone_question = ask(stack, flow["name"], sender, lang)
    assert flow["ask_phone"] in text_of(phone_question), text_of(phone_question)
    summary = ask(stack, flow["phone"], sender, lang)
    digits = re.sub(r"\D", "", flow["phone"])
    assert flow["name"] in text_of(summary) and digits[-4:] in text_of(summary)
    assert digits not in re.sub(r"[\s-]", "", text_of(summary)), "the summary masks the phone number"
    assert {b["payload"] for b in buttons_of(summary)} >= {"/affirm", "/deny"}

    done = ask(stack, "/affirm", sender, lang)
    answer = text_of(done)
    assert flow["booked"] in answer, answer
    assert flow["example"] in answer  # a booking of an example class says so
    found = NUMBER.search(answer)
    assert found, answer
    number = found.group(0)

    status = text_of(ask(stack, flow["check"].format(number=number), sender, lang))
    assert number in status and flow["status"] in status, status

    stranger = text_of(ask(stack, flow["check"].format(number=number), uuid.uuid4().hex, lang))
    assert flow["name"] not in stranger, "another sender never sees the booking"

    cancel = flow["cancel"].format(number=number, digits=number.removeprefix("S-"))
    cancelled = text_of(ask(stack, cancel, sender, lang))
    assert number in cancelled and flow["cancelled"] in cancelled, cancelled
    after = text_of(ask(stack, flow["check"].format(number=number), sender, lang))
    assert flow["after"] in after, after


def test_stop_in_the_middle_books_nothing(stack: StackProcess) -> None:
    sender = uuid.uuid4().hex
    listed = ask(stack, "スマホ教室の予定を教えて", sender, "ja")
    payload = next(b["payload"] for b in buttons_of(listed) if BOOK_PAYLOAD.match(b["payload"]))
    ask(stack, payload, sender, "ja")
    ask(stack, "2人", sender, "ja")
    stopped = text_of(ask(stack, "やっぱりやめます", sender, "ja"))
    assert "やめました" in stopped, stopped
    mine = text_of(ask(stack, "スマホ教室の予約をキャンセルしたい", sender, "ja"))
    assert not NUMBER.search(mine.replace("S-000123", "")), "nothing was booked"


def test_a_class_list_filtered_by_ward(stack: StackProcess) -> None:
    body = ask(stack, "稲毛区でスマホ講座やってる？", uuid.uuid4().hex, "ja")
    answer = text_of(body)
    assert "稲毛区" in answer and "稲毛区役所" in answer, answer
    assert body["meta"]["fallback"] is False
