"""End to end for the benefits domain through /api/chat: a parent of a 2-year-old and a newborn in 中央区 asks which
programmes the household can use and, in at most ten questions (typed answers and the buttons offered), gets 児童手当
with its monthly amounts (15,000 yen for each child, 30,000 together), 子ども医療費助成, the vaccinations due now and
how to apply — in Japanese, English and Vietnamese. Then "forget me": confirmed with its button, the conversation Rasa
stored for the sender is deleted (the tracker store's rows are gone and the next message starts a new conversation).

The stack runs at Wednesday 2026-11-25 10:00 (conftest); the expected due vaccinations are computed with the same
engine and data for that day, so the test follows the data rather than repeating it. Without CHIBA_SMTP_HOST the
stack has e-mail off, so a web chat cannot opt in to reminders (the action tests cover the opt-in).
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from scripts.stack_process import StackProcess
from translations.messages import render

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STACK_TODAY = date(2026, 11, 25)
MAX_QUESTIONS = 10
QUESTION_CODES = ("children", "pregnant", "single_parent", "child_disability", "resident_age", "insurance",
                  "income_band", "welfare", "ward")  # fmt: skip
YES_NO = ("pregnant", "single_parent", "child_disability", "welfare")
REMINDERS_PAYLOAD = "/subscribe_benefit_reminders"

FLOWS: dict[str, dict[str, str]] = {
    "ja": {"start": "使える制度を知りたい", "children": "2歳と0歳", "age": "33", "ward": "中央区",
           "name": "【児童手当】"},
    "en": {"start": "what benefits can I get", "children": "a 2 year old and a newborn", "age": "33",
           "ward": "Chuo", "name": "Child allowance (児童手当)"},
    "vi": {"start": "Tôi có đủ điều kiện nhận hỗ trợ gì không?", "children": "con 2 tuổi và 1 bé sơ sinh",
           "age": "33", "ward": "Chuo", "name": "(児童手当)"},
}  # fmt: skip


def ask(stack: StackProcess, text: str, sender: str, lang: str) -> dict[str, Any]:
    status, body = stack.chat(text, sender_id=sender, lang=lang)
    assert status == 200, body
    assert isinstance(body, dict)
    return body


def text_of(body: dict[str, Any]) -> str:
    return "\n".join(m["text"] for m in body["messages"] if m.get("text"))


def buttons_of(body: dict[str, Any]) -> list[dict[str, str]]:
    return [b for m in body["messages"] for b in m.get("buttons") or []]


def payload_with(body: dict[str, Any], value: str) -> str:
    """The payload of the offered button that answers with `value` (e.g. "employee", "chuo")."""
    payloads = [b["payload"] for b in buttons_of(body) if f'"bf_value": "{value}"' in b["payload"]]
    assert payloads, buttons_of(body)
    return payloads[0]


def question_of(body: dict[str, Any], lang: str) -> str | None:
    """Which screening question the reply asks (its text in the resident's language), None when none."""
    text = text_of(body)
    return next((code for code in QUESTION_CODES if render(f"bf_ask_{code}", lang) in text), None)


def answer(code: str, body: dict[str, Any], flow: dict[str, str]) -> str:
    """What the parent of the acceptance household types or presses for a question."""
    if code == "children":
        return flow["children"]
    if code in YES_NO:
        assert "/deny" in [b["payload"] for b in buttons_of(body)]
        return "/deny"
    if code == "resident_age":
        return flow["age"]
    if code == "insurance":
        return payload_with(body, "employee")
    if code == "income_band":
        return payload_with(body, "4_5m_6m")
    return flow["ward"]  # typed: 「中央区」, "Chuo"


def expected_due_labels(lang: str) -> list[str]:
    """The vaccinations and check-ups the engine finds due on the stack's day for a 2-year-old and a newborn."""
    from knowledge_base.benefits import Child, Household, load_programmes, schedule_label, screen
    from knowledge_base.places import load_places

    data = ROOT / "knowledge_base" / "data"
    programmes = load_programmes(data, offices=load_places(data).offices)
    household = Household(today=STACK_TODAY, children=(Child(24), Child(0)), pregnant=False, single_parent=False,
                          resident_age=33, insurance="employee", income_band="4_5m_6m", welfare=False)  # fmt: skip
    return [
        schedule_label(programmes.get(due.programme_id), due.key, lang)
        for finding in screen(household, programmes)
        for due in finding.due
    ]


@pytest.mark.parametrize("lang", sorted(FLOWS))
def test_a_parent_of_a_toddler_and_a_newborn_finds_their_programmes(stack: StackProcess, lang: str) -> None:
    flow = FLOWS[lang]
    sender = uuid.uuid4().hex
    body = ask(stack, flow["start"], sender, lang)
    assert render("bf_intro", lang, max=MAX_QUESTIONS) in text_of(body), text_of(body)
    asked: list[str] = []
    while render("bf_city_decides", lang) not in text_of(body):
        code = question_of(body, lang)
        assert code is not None, text_of(body)
        assert '"bf_value": "skip"' in " ".join(b["payload"] for b in buttons_of(body)), "every question is skippable"
        asked.append(code)
        assert len(asked) <= MAX_QUESTIONS, asked
        body = ask(stack, answer(code, body, flow), sender, lang)

    assert asked[0] == "children" and len(asked) == len(set(asked)), asked
    result = text_of(body)
    assert flow["name"] in result, result
    assert result.count("15,000") >= 2 and "30,000" in result, result  # 15,000 a month each, 30,000 together
    assert "子ども医療費助成" in result
    due = expected_due_labels(lang)
    assert due, "the newborn has vaccinations due within two months"
    for label in due:
        assert label in result, label
    assert "043-245-4894" in result  # whom to ask
    assert REMINDERS_PAYLOAD in [b["payload"] for b in buttons_of(body)]  # the offer of For You reminders
    assert body["meta"]["sources"], body["meta"]


def test_skipping_every_question_still_answers(stack: StackProcess) -> None:
    sender = uuid.uuid4().hex
    body = ask(stack, "使える制度を知りたい", sender, "ja")
    for _ in range(MAX_QUESTIONS):
        if render("bf_city_decides", "ja") in text_of(body):
            break
        body = ask(stack, payload_with(body, "skip"), sender, "ja")
    result = text_of(body)
    assert render("bf_city_decides", "ja") in result, result
    assert "確認すること" in result  # what to check for the programmes that depend on the skipped answers


def _tracker_rows(stack: StackProcess, sender: str) -> int:
    """Rows of Rasa's SQLite tracker store (CHIBA_TRACKER_DB of the stack) for the sender."""
    with sqlite3.connect(stack.workdir / "tracker.db", timeout=15) as connection:
        return connection.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]


def test_forget_me_deletes_the_conversation(stack: StackProcess) -> None:
    sender = uuid.uuid4().hex
    body = ask(stack, "使える制度を知りたい", sender, "ja")
    body = ask(stack, "2歳と0歳", sender, "ja")
    assert question_of(body, "ja") not in (None, "children"), text_of(body)
    assert _tracker_rows(stack, sender) > 0

    asked = ask(stack, "私のデータを全部消して", sender, "ja")
    assert render("forget_ask", "ja") in text_of(asked), text_of(asked)
    payloads = [b["payload"] for b in buttons_of(asked)]
    assert '/forget_me{"forget_confirm": "yes"}' in payloads and '/forget_me{"forget_confirm": "no"}' in payloads
    assert _tracker_rows(stack, sender) > 0, "nothing is deleted before the resident confirms"

    done = ask(stack, '/forget_me{"forget_confirm": "yes"}', sender, "ja")
    assert render("forget_done", "ja") in text_of(done), text_of(done)
    assert _tracker_rows(stack, sender) == 0, "the conversation Rasa stored is gone"

    # A new conversation: the screening it was in is gone, so a greeting is answered as a greeting.
    again = ask(stack, "こんにちは", sender, "ja")
    assert again["meta"]["intent"] == "greet"
    assert question_of(again, "ja") is None, text_of(again)


def test_forget_me_can_be_refused(stack: StackProcess) -> None:
    sender = uuid.uuid4().hex
    ask(stack, "使える制度を知りたい", sender, "ja")
    asked = ask(stack, "delete my data", sender, "en")
    assert render("forget_ask", "en") in text_of(asked), text_of(asked)
    kept = ask(stack, '/forget_me{"forget_confirm": "no"}', sender, "en")
    assert render("forget_kept", "en") in text_of(kept)
    assert _tracker_rows(stack, sender) > 0
