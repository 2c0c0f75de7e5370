"""Library and foreign-resident answers, hand-off to a desk with "open now", and the reference-request form —
through the real actions and the real knowledge base. The questions here are written for these tests (none is a
question of the data files: test_eval_sets_stay_apart checks the evaluation set; these are checked below)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from actions.common.handoff import ActionHandoff, ActionOfficeHours
from actions.common.store import set_repositories
from actions.foreign_residents.answer import ActionForeignResidentsAnswer
from actions.library.answer import ActionLibraryAnswer
from actions.library.reference import (
    ActionCancelReference,
    ActionReferenceStatus,
    ActionSubmitReference,
    ValidateReferenceRequestForm,
    normalise_contact,
)
from storage.db import create_engine_from_url, sqlite_url
from storage.migrate import upgrade
from storage.repositories import Repositories

LIBRARY = ActionLibraryAnswer()
FOREIGN = ActionForeignResidentsAnswer()

# (question, lang, facts the answer must state — not words of the question)
ANSWERS = [
    ("図書館で一回に借りられる冊数と期間を知りたい", "ja", ["10点", "2週間"], ["library"]),
    ("how many items may i take home from the city library and for how long", "en", ["10", "2 weeks"], ["library"]),
    ("海外から千葉市に住み始めたら、何日以内に届け出が必要？", "ja", ["14日"], ["foreign_residents"]),
    ("I arrived from overseas last week. Deadline to register my address?", "en", ["14 days"], ["foreign_residents"]),
]


@pytest.fixture(autouse=True)
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tuesday 2026-12-08 10:00 Japan time: ward counters (9:00-17:00 since 2026-01-05) and libraries are open.
    monkeypatch.setenv("CHIBA_NOW", "2026-12-08T10:00")


@pytest.fixture
def repos(tmp_path: Path) -> Any:
    url = sqlite_url(tmp_path / "app.db")
    upgrade(url)
    repositories = Repositories.for_engine(create_engine_from_url(url), sender_salt="test")
    previous = set_repositories(repositories)
    yield repositories
    set_repositories(previous)


def test_test_questions_are_not_data_questions(kb: Any) -> None:
    from knowledge_base.core.normalize import normalize

    known = {normalize(q) for name in ("library", "foreign_residents") for e in kb.domain(name).entries
             for q in e.all_questions}  # fmt: skip
    assert not [q for q, *_ in ANSWERS if normalize(q) in known]


@pytest.mark.parametrize(("question", "lang", "facts", "domains"), ANSWERS)
async def test_answers_state_the_facts_with_sources(
    kb: Any, run: Any, tracker_for: Any, question: str, lang: str, facts: list[str], domains: list[str]
) -> None:
    action = LIBRARY if domains == ["library"] else FOREIGN
    intent = "ask_" + action.name().removeprefix("action_").removesuffix("_answer")
    reply = await run(action, tracker_for(question, intent=intent, lang=lang))
    for fact in facts:
        assert fact in reply.text, reply.text
    assert reply.sources and all(url.startswith("http") for url in reply.sources)
    assert reply.slot("last_domain") in domains
    assert reply.custom.get("fallback") is not True


async def test_non_japanese_answer_names_the_official_terms(kb: Any, run: Any, tracker_for: Any) -> None:
    reply = await run(FOREIGN, tracker_for("I came from abroad, what do I bring to register?", lang="en"))
    assert "在留カード" in reply.text or "区役所" in reply.text, reply.text


async def test_a_button_picks_the_entry_without_search(kb: Any, run: Any, tracker_for: Any) -> None:
    tracker = tracker_for('/ask_library{"faq_id": "library_elibrary"}', intent="ask_library",
                          entities={"faq_id": "library_elibrary"}, lang="en")  # fmt: skip
    reply = await run(LIBRARY, tracker)
    assert "2021" in reply.text  # the e-library started on 2021-07-30


@pytest.mark.parametrize("text", ["qwpoeiruty zmxncbv", "🙂🙂🙂"])
async def test_nonsense_gets_the_fallback_not_an_answer(kb: Any, run: Any, tracker_for: Any, repos: Any,
                                                        text: str) -> None:  # fmt: skip
    reply = await run(LIBRARY, tracker_for(text, intent="ask_library", lang="ja"))
    assert reply.custom.get("fallback") is True or reply.buttons  # never a confident answer
    if reply.custom.get("fallback"):
        assert "043-245-4894" in reply.text  # the city's call centre


async def test_fallback_is_counted_for_staff_without_personal_data(kb: Any, run: Any, tracker_for: Any,
                                                                    repos: Any) -> None:  # fmt: skip
    from actions.common.fallback import ActionFallback

    await run(ActionFallback(), tracker_for("船橋市の図書館カードを作りたい、090-1111-2222", intent="out_of_scope"))
    (row,) = repos.unanswered.list()
    assert "090-1111-2222" not in row.text and "船橋市" in row.text


@pytest.mark.parametrize(
    ("now", "office", "expected"),
    [
        ("2026-12-08T10:00", "ward_office_chuo", "17:00まで"),  # Tuesday, new hours
        ("2026-11-23T10:00", "ward_office_chuo", "祝日"),  # 勤労感謝の日
        ("2026-12-30T10:00", "ward_office_chuo", "年末年始"),
        ("2026-12-07T10:00", "chuo_library", "閉まっています"),  # Monday: the Central Library is closed
        ("2026-12-12T16:30", "ccia_desk", "17:00まで"),  # Saturday afternoon at the CCIA desk
    ],
)
async def test_handoff_says_whether_the_desk_is_open_now(
    kb: Any, run: Any, tracker_for: Any, monkeypatch: pytest.MonkeyPatch, now: str, office: str, expected: str
) -> None:
    monkeypatch.setenv("CHIBA_NOW", now)
    reply = await run(ActionHandoff(), tracker_for("人と話したい", intent="ask_human", slots={"last_office": office}))
    assert kb.places.offices[office].name in reply.text
    assert kb.places.offices[office].phone in reply.text
    assert expected in reply.text, reply.text


async def test_handoff_without_context_goes_to_the_call_centre(kb: Any, run: Any, tracker_for: Any) -> None:
    reply = await run(ActionHandoff(), tracker_for("talk to a human please", intent="ask_human", lang="en"))
    assert "043-245-4894" in reply.text and "Call Center" in reply.text


async def test_office_hours_for_a_named_library(kb: Any, run: Any, tracker_for: Any, monkeypatch) -> None:
    monkeypatch.setenv("CHIBA_NOW", "2026-12-08T20:30")  # Tuesday evening: the Central Library is open until 21:00
    reply = await run(ActionOfficeHours(), tracker_for("中央図書館ってまだやってる？", intent="ask_office_hours"))
    assert "21:00まで" in reply.text and "043-287-3980" in reply.text


# ---- reference request form ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("taro@example.jp", "taro@example.jp"),
        ("043-123-4567", "0431234567"),
        ("０９０－１２３４－５６７８", "09012345678"),
        ("+81 90 1234 5678", "+819012345678"),
        ("tomorrow", None),
        ("12345", None),
    ],
)
def test_contact_is_an_email_or_a_phone(text: str, stored: str | None) -> None:
    assert normalise_contact(text) == stored


async def test_form_validation_rejects_and_explains(kb: Any, tracker_for: Any) -> None:
    from rasa_sdk.executor import CollectingDispatcher

    form = ValidateReferenceRequestForm()
    dispatcher = CollectingDispatcher()
    tracker = tracker_for("x", lang="en")
    assert await form.validate_ref_contact("call me maybe", dispatcher, tracker, {}) == {"ref_contact": None}
    assert await form.validate_ref_library("中央図書館", dispatcher, tracker, {}) == {"ref_library": "chuo_library"}
    assert await form.validate_ref_library("どこでも", dispatcher, tracker, {}) == {"ref_library": "any"}
    unknown = await form.validate_ref_library("Hogwarts library", dispatcher, tracker, {})
    assert unknown == {"ref_library": None}
    assert await form.validate_ref_confirm(False, dispatcher, tracker, {}) == {
        "ref_confirm": None, "ref_question": None, "ref_library": None, "ref_contact": None}  # fmt: skip
    texts = [m["text"] for m in dispatcher.messages]
    assert any("e-mail" in t for t in texts)
    assert any(b["payload"] == "中央図書館" for m in dispatcher.messages for b in m.get("buttons") or [])


async def test_submitted_request_gets_a_number_that_staff_and_resident_see(kb: Any, run: Any, tracker_for: Any,
                                                                            repos: Any) -> None:  # fmt: skip
    slots = {"ref_question": "戦前の千葉市の地図を見たい", "ref_library": "chuo_library",
             "ref_contact": "taro@example.jp", "ref_consent": True, "ref_confirm": True}  # fmt: skip
    reply = await run(ActionSubmitReference(), tracker_for("はい", intent="affirm", slots=slots))
    (stored,) = repos.reference_requests.list()
    assert stored.number in reply.text and stored.question == "戦前の千葉市の地図を見たい"
    assert stored.library == "chuo_library" and stored.contact == "taro@example.jp"
    assert reply.slot("ref_contact") is None  # the conversation does not keep the contact afterwards

    status = await run(ActionReferenceStatus(), tracker_for(f"{stored.number.lower()}の状況は？", lang="en"))
    assert stored.number in status.text and "received" in status.text


async def test_no_consent_stores_nothing(kb: Any, run: Any, tracker_for: Any, repos: Any) -> None:
    slots = {"ref_question": "郷土史の本", "ref_library": "any", "ref_contact": "043-123-4567", "ref_consent": False,
             "ref_confirm": False}  # fmt: skip
    reply = await run(ActionSubmitReference(), tracker_for("いいえ", intent="deny", slots=slots))
    assert repos.reference_requests.list() == []
    assert "043-287-3980" in reply.text


async def test_cancel_clears_the_form(run: Any, tracker_for: Any) -> None:
    reply = await run(ActionCancelReference(), tracker_for("やめる", intent="stop", slots={"ref_question": "x"}))
    assert reply.slot("ref_question") is None
    assert any(e.get("event") == "active_loop" and e.get("name") is None for e in reply.events)


async def test_status_of_an_unknown_number(run: Any, tracker_for: Any, repos: Any) -> None:
    reply = await run(ActionReferenceStatus(), tracker_for("R-004242 はどうなってる？"))
    assert "R-004242" in reply.text and "見つかりません" in reply.text


@pytest.fixture
def database_down(tmp_path: Path) -> Any:
    """Repositories on a SQLite file that cannot be opened: every storage call fails as a real outage would."""
    url = sqlite_url(tmp_path / "no-such-folder" / "app.db")
    previous = set_repositories(Repositories.for_engine(create_engine_from_url(url), sender_salt="test"))
    yield
    set_repositories(previous)


@pytest.mark.parametrize("lang", ["ja", "en", "vi"])
async def test_a_database_outage_gets_a_polite_reply_with_the_librarys_phone(
    kb: Any, run: Any, tracker_for: Any, database_down: None, lang: str
) -> None:
    slots = {"ref_question": "千葉氏の城について", "ref_library": "chuo_library", "ref_contact": "taro@example.jp",
             "ref_consent": True, "ref_confirm": True}  # fmt: skip
    reply = await run(ActionSubmitReference(), tracker_for("はい", intent="affirm", slots=slots, lang=lang))
    assert "043-287-3980" in reply.text  # the Central Library, from the places data
    assert "R-" not in reply.text  # no number is promised for a request that was not kept
    assert "taro@example.jp" not in reply.text

    status = await run(ActionReferenceStatus(), tracker_for("R-000001の状況は？", lang=lang))
    assert "043-287-3980" in status.text
