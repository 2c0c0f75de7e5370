"""Benefits: answers parsed in the ten languages, the screening form (adaptive, skippable, at most ten questions) and
its list of programmes, a single-programme answer, For You opt-in by LINE or e-mail, stopping reminders, and
"forget me" — through the real actions, recorded trackers as Rasa 3.6 sends them, the real programmes and places
data, and a SQLite database in tmp. The clock is Sunday 2026-12-06 10:00 Japan time.

The forms are driven as Rasa drives them (tests/actions/test_action_benefits.py `Conversation`): the answer goes into
the requested slot (from the button's bf_value entity, else the text), the validation action checks it and names the
next slot, the ask action asks it; when no slot is left the submit action runs.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.benefits import CONTACT_OFFICE, HELP_BUTTONS
from actions.benefits.answer import ActionBenefitsAnswer, named_programme
from actions.benefits.common import QUESTION_SLOTS, household_of
from actions.benefits.forget import ActionForgetMe
from actions.benefits.parsing import (
    SKIP,
    mask_email,
    parse_age,
    parse_birth_month,
    parse_children,
    parse_email,
    parse_insurance,
    parse_yes_no,
)
from actions.benefits.reminders import (
    REMINDER_FORM,
    ActionAskBrBirthMonth,
    ActionAskBrChannel,
    ActionAskBrConfirm,
    ActionAskBrConsent,
    ActionAskBrEmail,
    ActionSubmitBenefitReminders,
    ActionUnsubscribeBenefitReminders,
    ValidateBenefitReminderForm,
    parse_channel,
)
from actions.benefits.screening import (
    FORM,
    MAX_QUESTIONS,
    ActionAskBfChildDisability,
    ActionAskBfChildren,
    ActionAskBfIncomeBand,
    ActionAskBfInsurance,
    ActionAskBfPregnant,
    ActionAskBfResidentAge,
    ActionAskBfSingleParent,
    ActionAskBfWard,
    ActionAskBfWelfare,
    ActionCancelBenefitsForm,
    ActionSubmitBenefitsScreening,
    ValidateBenefitsScreeningForm,
    question_slots,
)
from actions.common import kb as kb_holder
from actions.common.store import set_repositories
from knowledge_base.benefits import load_programmes
from knowledge_base.benefits.domain import faq_entries
from knowledge_base.core.faq import FaqHit
from knowledge_base.places import load_places
from storage.db import create_engine_from_url, sqlite_url
from storage.migrate import upgrade
from storage.repositories import Repositories
from translations.messages import LANGUAGES, MESSAGES_DIR, render

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 12, 6)  # a Sunday
CALL_CENTRE = "043-245-4894"
LINE_SENDER = "line:U" + "0123456789abcdef" * 2
BOT_DOMAIN = yaml.safe_load((ROOT / "bot" / "domain" / "benefits.yml").read_text(encoding="utf-8"))
SMTP_HOST = "CHIBA_SMTP_HOST"


# --- fixtures -------------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fixed_clock(fixed_today: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sunday 2026-12-06 10:00 Japan time (after the conftest's own CHIBA_TODAY, which it replaces)."""
    monkeypatch.setenv("CHIBA_TODAY", TODAY.isoformat())
    monkeypatch.setenv("CHIBA_NOW", "2026-12-06T10:00")
    monkeypatch.setenv("CHIBA_PUBLIC_URL", "https://assistant.example.jp")
    monkeypatch.delenv(SMTP_HOST, raising=False)


@pytest.fixture(scope="session")
def places() -> Any:
    return load_places(ROOT / "knowledge_base" / "data")


@pytest.fixture(scope="session")
def programmes(places: Any) -> Any:
    return load_programmes(ROOT / "knowledge_base" / "data", offices=places.offices)


class FakeKnowledgeBase:
    """The parts of knowledge_base.service.KnowledgeBase the benefits actions use, without the model and indexes:
    the places, the benefits domain (its programmes and FAQ entries) and a classifier whose answers a test sets."""

    confident_score = 0.5
    unsure_score = 0.15

    def __init__(self, places: Any, programmes: Any) -> None:
        self.places = places
        entries = faq_entries(programmes, TODAY)
        by_id = {entry.id: entry for entry in entries}
        self._benefits = SimpleNamespace(programmes=programmes, entries=entries, faq=SimpleNamespace(get=by_id.get))
        self.hits: list[tuple[str, float]] = []  # (programme id, probability) the classifier "finds"
        self._by_id = by_id

    def domain(self, name: str) -> Any:
        if name != "benefits":
            raise KeyError(name)
        return self._benefits

    def classify(self, text: str, k: int = 3) -> list[FaqHit]:
        return [FaqHit(self._by_id[pid], score, "") for pid, score in self.hits[:k]]


@pytest.fixture
def kb(places: Any, programmes: Any) -> Iterator[FakeKnowledgeBase]:
    fake = FakeKnowledgeBase(places, programmes)
    previous = kb_holder.set_kb(fake)  # type: ignore[arg-type]
    yield fake
    kb_holder.set_kb(previous)


@pytest.fixture
def repos(tmp_path: Path) -> Iterator[Repositories]:
    url = sqlite_url(tmp_path / "app.db")
    upgrade(url)
    repositories = Repositories.for_engine(create_engine_from_url(url), sender_salt="test")
    previous = set_repositories(repositories)
    yield repositories
    set_repositories(previous)


@pytest.fixture
def database_down(tmp_path: Path) -> Iterator[None]:
    """Repositories on a SQLite file that cannot be opened: every storage call fails as a real outage would."""
    url = sqlite_url(tmp_path / "no-such-folder" / "app.db")
    previous = set_repositories(Repositories.for_engine(create_engine_from_url(url), sender_salt="test"))
    yield
    set_repositories(previous)


@pytest.fixture
def email_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SMTP_HOST, "127.0.0.1")


# --- driving a form as Rasa does ---------------------------------------------------------------------------------


@dataclass
class Reply:
    messages: list[dict[str, Any]]
    events: list[dict[str, Any]]

    @property
    def text(self) -> str:
        return "\n".join(m["text"] for m in self.messages if m.get("text"))

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for m in self.messages for b in m.get("buttons") or []]

    @property
    def custom(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for m in self.messages:
            merged.update(m.get("custom") or {})
        return merged

    @property
    def sources(self) -> list[str]:
        return list(self.custom.get("sources", []))


def make_tracker(
    text: str,
    intent: str = "nlu_fallback",
    lang: str = "ja",
    slots: dict[str, Any] | None = None,
    entities: dict[str, str] | None = None,
    sender: str = "resident",
    active_loop: str | None = None,
    events: list[dict[str, Any]] | None = None,
    confidence: float = 1.0,
) -> Tracker:
    """A tracker as Rasa 3.6 sends it to the action server, with the gateway's metadata (lang, channel)."""
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": dict(slots or {}),
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": confidence},
                "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
                "metadata": {"lang": lang, "channel": "line" if sender.startswith("line:") else "web"},
            },
            "events": list(events or []),
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


async def run(action: Action, tracker: Tracker) -> Reply:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, BOT_DOMAIN)
    return Reply(dispatcher.messages, list(events))


SCREENING_ASKS: dict[str, Action] = {
    action.slot: action  # type: ignore[attr-defined]
    for action in (
        ActionAskBfChildren(), ActionAskBfPregnant(), ActionAskBfSingleParent(), ActionAskBfChildDisability(),
        ActionAskBfResidentAge(), ActionAskBfInsurance(), ActionAskBfIncomeBand(), ActionAskBfWelfare(),
        ActionAskBfWard(),
    )
}  # fmt: skip
REMINDER_ASKS: dict[str, Action] = {
    action.slot: action  # type: ignore[attr-defined]
    for action in (ActionAskBrConsent(), ActionAskBrChannel(), ActionAskBrEmail(), ActionAskBrBirthMonth(),
                   ActionAskBrConfirm())
}  # fmt: skip


@dataclass
class Conversation:
    """One resident's turns through a form, as Rasa runs them: the form's validation action after each answer, the
    ask action of the slot it requests, the submit action when none is left."""

    lang: str = "ja"
    sender: str = "resident"
    slots: dict[str, Any] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    form: str | None = None

    def _spec(self, form: str) -> tuple[Action, dict[str, Action], Action]:
        if form == FORM:
            return ValidateBenefitsScreeningForm(), SCREENING_ASKS, ActionSubmitBenefitsScreening()
        return ValidateBenefitReminderForm(), REMINDER_ASKS, ActionSubmitBenefitReminders()

    def tracker(
        self,
        text: str,
        intent: str = "nlu_fallback",
        entities: dict[str, str] | None = None,
        events: list[dict[str, Any]] | None = None,
        slots: dict[str, Any] | None = None,
    ) -> Tracker:
        current = slots if slots is not None else self.slots
        return make_tracker(text, intent, self.lang, current, entities, self.sender, self.form, events)

    def _apply(self, reply: Reply) -> None:
        for event in reply.events:
            if event.get("event") == "slot":
                self.slots[event["name"]] = event["value"]
            elif event.get("event") == "active_loop":
                self.form = event.get("name")

    async def start(self, form: str, text: str, intent: str, entities: dict[str, str] | None = None) -> Reply:
        validate, _, _ = self._spec(form)
        events = [{"event": "action", "name": form}]
        reply = await run(validate, self.tracker(text, intent, entities, events))
        self._apply(reply)
        self.form = form
        return await self._next(reply, form, text, intent, entities)

    async def say(self, text: str, intent: str = "nlu_fallback", entities: dict[str, str] | None = None) -> Reply:
        """The resident answers the requested slot (a button's bf_value entity, else the text)."""
        form = self.form
        assert form is not None, "no form is active"
        validate, _, _ = self._spec(form)
        requested = self.slots.get("requested_slot")
        value = (entities or {}).get("bf_value", text)
        events = [{"event": "action", "name": form}, {"event": "slot", "name": requested, "value": value}]
        reply = await run(validate, self.tracker(text, intent, entities, events, {**self.slots, requested: value}))
        self._apply(reply)
        return await self._next(reply, form, text, intent, entities)

    async def _next(self, reply: Reply, form: str, text: str, intent: str, entities: dict[str, str] | None) -> Reply:
        _, asks, submit = self._spec(form)
        if not any(e.get("event") == "slot" and e.get("name") == "requested_slot" for e in reply.events):
            # The validation action's slots are the domain's: Rasa asks the first empty one itself.
            required = BOT_DOMAIN["forms"][form]["required_slots"]
            self.slots["requested_slot"] = next((s for s in required if self.slots.get(s) is None), None)
        requested = self.slots.get("requested_slot")
        if requested is None:
            self.form = None
            done = await run(submit, self.tracker(text, intent, entities))
            self._apply(done)
            return Reply(reply.messages + done.messages, reply.events + done.events)
        self.asked.append(requested)
        question = await run(asks[requested], self.tracker(text, intent, entities))
        return Reply(reply.messages + question.messages, reply.events + question.events)


def skip_payload(intent: str = "screen_benefits") -> tuple[str, str, dict[str, str]]:
    return f'/{intent}{{"bf_value": "{SKIP}"}}', intent, {"bf_value": SKIP}


# --- parsing answers in the ten languages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("2歳と0歳", [24, 0]),
        ("２歳と０歳です", [24, 0]),
        ("a 2 year old and a newborn", [24, 0]),
        ("con 2 tuổi và 1 bé sơ sinh", [24, 0]),
        ("con 2 tuoi va 1 be so sinh", [24, 0]),  # typed without diacritics
        ("2岁和刚出生的婴儿", [24, 0]),
        ("두 살이랑 신생아", [24, 0]),
        ("2살, 0살", [24, 0]),
        ("isang 2 taong gulang at bagong panganak", [24, 0]),
        ("२ वर्षको र नवजात शिशु", [24, 0]),
        ("um de 2 anos e um recém-nascido", [24, 0]),
        ("uno de 2 años y un recién nacido", [24, 0]),
        ("anak 2 tahun dan bayi baru lahir", [24, 0]),
        ("1歳3か月", [15]),
        ("生後3か月の赤ちゃん", [3]),
        ("2歳の子と生まれたばかりの赤ちゃん", [24, 0]),
        ("two newborns", [0, 0]),
        ("2と0", [24, 0]),
        ("子どもはいません", []),
        ("No", []),
        ("none", []),
        ([24, 0], [24, 0]),  # a validated answer validated again
        ("わからない", SKIP),
        ("không biết", SKIP),
        ("skip", SKIP),
        ("I have two kids", None),  # a count, not ages: asked again
        ("hello", None),
    ],
)
def test_children_ages(text: Any, months: Any) -> None:
    assert parse_children(text) == months


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("はい", "yes"), ("いいえ", "no"), ("わからない", "skip"), ("妊娠していません", "no"), ("yes", "yes"),
        ("No", "no"), ("not sure", "skip"), ("có", "yes"), ("không", "no"), ("không biết", "skip"), ("有", "yes"),
        ("没有", "no"), ("不知道", "skip"), ("네", "yes"), ("아니요", "no"), ("모르겠어요", "skip"), ("oo", "yes"),
        ("hindi", "no"), ("hindi ko alam", "skip"), ("हो", "yes"), ("होइन", "no"), ("थाहा छैन", "skip"),
        ("sim", "yes"), ("não", "no"), ("não sei", "skip"), ("sí", "yes"), ("no sé", "skip"), ("ya", "yes"),
        ("tidak", "no"), ("tidak tahu", "skip"), ("/affirm", "yes"), ("/deny", "no"), ("skip", "skip"),
        ("hello there", None),
    ],
)  # fmt: skip
def test_yes_no_and_dont_know(text: str, answer: str | None) -> None:
    assert parse_yes_no(text) == answer


@pytest.mark.parametrize(("text", "age"), [("35", 35), ("68歳", 68), ("I'm 45", 45), ("7", None), ("わからない", SKIP)])
def test_resident_age(text: str, age: Any) -> None:
    assert parse_age(text) == age


@pytest.mark.parametrize(
    ("text", "insurance"),
    [
        ("nhi", "nhi"), ("国民健康保険です", "nhi"), ("kokuho", "nhi"), ("社会保険", "employee"),
        ("company insurance", "employee"), ("後期高齢者医療", "late_elderly"), ("その他", "other"), ("skip", SKIP),
        ("bảo hiểm y tế quốc dân", "nhi"), ("hello", None),
    ],
)  # fmt: skip
def test_insurance(text: str, insurance: str | None) -> None:
    assert parse_insurance(text) == insurance


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026年11月", date(2026, 11, 1)), ("2026/11", date(2026, 11, 1)), ("11/2026", date(2026, 11, 1)),
        ("November 2026", date(2026, 11, 1)), ("tháng 11 năm 2026", date(2026, 11, 1)),
        ("令和8年11月", date(2026, 11, 1)), ("2026-11", date(2026, 11, 1)), ("2026년 11월", date(2026, 11, 1)),
        ("novembro de 2026", date(2026, 11, 1)), ("2026/11/15", date(2026, 11, 1)),
        ("2027年1月", None),  # after this month
        ("1990年1月", None),  # more than 20 years ago
        ("11月", None),  # no year
    ],
)  # fmt: skip
def test_birth_month(text: str, month: date | None) -> None:
    assert parse_birth_month(text, TODAY) == month


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("hanako@example.jp", "hanako@example.jp"),
        ("メールは ｈａｎａｋｏ@Example.JP です", "hanako@example.jp"),
        ("mailto:a.b+c@mail.example.com", "a.b+c@mail.example.com"),
        ("hanako@example", None),
        ("hanako", None),
        ("a..b@example.jp", None),
    ],
)
def test_email_addresses(text: str, address: str | None) -> None:
    assert parse_email(text) == address


def test_a_confirmation_masks_the_address() -> None:
    assert mask_email("hanako@example.jp") == "h***@example.jp"


@pytest.mark.parametrize(
    ("text", "channel"),
    [("line", "line"), ("LINEで", "line"), ("メール", "email"), ("e-mail please", "email"), ("이메일", "email"),
     ("?", None)],
)  # fmt: skip
def test_reminder_channel(text: str, channel: str | None) -> None:
    assert parse_channel(text) == channel


# --- which questions ---------------------------------------------------------------------------------------------


def _know(places: Any, programmes: Any) -> Any:
    from actions.benefits.common import BenefitsKnowledge

    return BenefitsKnowledge(programmes, places)


def test_the_first_question_is_about_children(places: Any, programmes: Any) -> None:
    slots = question_slots({}, None, False, _know(places, programmes), TODAY)
    assert slots[0] == "bf_children"


def test_a_household_without_children_gets_no_child_questions(places: Any, programmes: Any) -> None:
    slots = question_slots({"children": []}, None, False, _know(places, programmes), TODAY)
    assert "bf_single_parent" not in slots and "bf_child_disability" not in slots
    assert "bf_children" in slots  # answered: validated again, not asked


def test_children_bring_the_child_questions(places: Any, programmes: Any) -> None:
    slots = question_slots({"children": [24, 0]}, None, False, _know(places, programmes), TODAY)
    assert {"bf_single_parent", "bf_child_disability"} <= set(slots)


def test_without_the_engine_the_form_still_asks_at_most_ten(places: Any) -> None:
    assert len(question_slots({}, None, False, None, TODAY)) <= MAX_QUESTIONS
    assert "bf_child_disability" not in question_slots({"children": []}, None, False, None, TODAY)


def test_the_ward_is_not_asked_when_the_town_gave_it(places: Any, programmes: Any) -> None:
    answers = {"children": [24, 0], "pregnant": False, "single_parent": False, "child_disability": False,
               "resident_age": 33, "insurance": "employee", "income_band": "4_5m_6m", "welfare": False}  # fmt: skip
    know = _know(places, programmes)
    assert "bf_ward" in question_slots(answers, None, False, know, TODAY)
    assert "bf_ward" not in question_slots(answers, None, True, know, TODAY)


# --- the screening end to end (the acceptance household) ------------------------------------------------------------

# A parent of a 2-year-old and a newborn in 中央区: what they type, per language.
ACCEPTANCE = {
    "ja": {"start": "使える制度を知りたい", "children": "2歳と0歳", "no": "いいえ", "age": "33歳",
           "ward": "中央区", "official": "児童手当"},
    "en": {"start": "what support can I get", "children": "a 2 year old and a newborn", "no": "no", "age": "33",
           "ward": "Chuo", "official": "Child allowance (児童手当)"},
    "vi": {"start": "Tôi có thể nhận hỗ trợ gì?", "children": "con 2 tuổi và 1 bé sơ sinh", "no": "không",
           "age": "33 tuổi", "ward": "Chuo", "official": "(児童手当)"},
}  # fmt: skip


async def _answer_until_done(talk: Conversation, answers: dict[str, tuple[str, str, dict[str, str] | None]],
                             first: Reply) -> Reply:  # fmt: skip
    """Answer each requested question from `answers` (slot → (text, intent, entities)) until the result."""
    reply = first
    while talk.form is not None:
        assert len(talk.asked) <= MAX_QUESTIONS, talk.asked
        text, intent, entities = answers[talk.slots["requested_slot"]]
        reply = await talk.say(text, intent, entities)
    return reply


def _acceptance_answers(flow: dict[str, str]) -> dict[str, tuple[str, str, dict[str, str] | None]]:
    no = (flow["no"], "deny", None)
    return {
        "bf_children": (flow["children"], "screen_benefits", None),
        "bf_pregnant": no,
        "bf_single_parent": no,
        "bf_child_disability": no,
        "bf_welfare": no,
        "bf_resident_age": (flow["age"], "nlu_fallback", None),
        "bf_insurance": ('/screen_benefits{"bf_value": "employee"}', "screen_benefits", {"bf_value": "employee"}),
        "bf_income_band": ('/screen_benefits{"bf_value": "4_5m_6m"}', "screen_benefits", {"bf_value": "4_5m_6m"}),
        "bf_ward": (flow["ward"], "nlu_fallback", None),
    }


@pytest.mark.parametrize("lang", sorted(ACCEPTANCE))
async def test_the_acceptance_household_gets_its_programmes_in_at_most_ten_questions(
    lang: str, kb: FakeKnowledgeBase
) -> None:
    flow = ACCEPTANCE[lang]
    talk = Conversation(lang=lang)
    first = await talk.start(FORM, flow["start"], "screen_benefits")
    assert render("bf_intro", lang, max=MAX_QUESTIONS) in first.text
    assert talk.asked[0] == "bf_children"
    assert {"title": render("bf_button_skip", lang), "payload": '/screen_benefits{"bf_value": "skip"}'} in first.buttons
    result = await _answer_until_done(talk, _acceptance_answers(flow), first)

    assert len(talk.asked) <= MAX_QUESTIONS
    assert talk.asked == list(dict.fromkeys(talk.asked)), "no question is asked twice"
    assert "bf_ward" in talk.asked  # postnatal care's desk phone depends on the ward
    text = result.text
    assert flow["official"] in text, text
    # 児童手当: 15,000 a month for each child under 3 (1st and 2nd child), 30,000 together.
    assert text.count("15,000") >= 2 and "30,000" in text, text
    assert "子ども医療費助成" in text
    for due in ("rota_1", "pcv_1", "hepb_1", "dpt5_primary"):  # vaccinations due for the newborn
        programme_id = kb.domain("benefits").programmes.schedule_keys[due]
        from knowledge_base.benefits import schedule_label

        assert schedule_label(kb.domain("benefits").programmes.get(programme_id), due, lang) in text, due
    assert "2027" in text  # the dates they are due from
    assert render("bf_city_decides", lang) in text
    assert render("bf_offer_reminders", lang) in text
    assert {"title": render("bf_button_reminders", lang), "payload": "/subscribe_benefit_reminders"} in result.buttons
    assert CALL_CENTRE in text
    assert any("jidouteate" in url or "narashino" in url for url in result.sources)
    saved = talk.slots["bf_household"]
    assert saved["children"] == [24, 0] and saved["ward"] == "chuo"
    assert all(talk.slots.get(slot) is None for slot in QUESTION_SLOTS.values()), "the answers are cleared"


async def test_children_named_in_the_request_are_not_asked_again(kb: FakeKnowledgeBase) -> None:
    talk = Conversation(lang="en")
    reply = await talk.start(FORM, "I have a 2 year old and a newborn, what can we get", "screen_benefits")
    assert talk.slots["bf_children"] == [24, 0]
    assert talk.asked[0] != "bf_children"
    assert render("bf_intro", "en", max=MAX_QUESTIONS) in reply.text  # still the first question


async def test_every_question_skipped_still_gives_a_list(kb: FakeKnowledgeBase) -> None:
    talk = Conversation(lang="en")
    first = await talk.start(FORM, "what support can I get", "screen_benefits")
    skip = skip_payload()
    result = await _answer_until_done(talk, {slot: skip for slot in BOT_DOMAIN["forms"][FORM]["required_slots"]},
                                      first)  # fmt: skip
    assert len(talk.asked) <= MAX_QUESTIONS
    assert "bf_child_disability" not in talk.asked, "children unknown: whether one has a disability is not asked"
    assert render("bf_result_maybe", "en", count=0).split("(")[0] in result.text
    assert render("bf_checks", "en", checks="").strip() in result.text  # what to check for the "maybe" programmes
    assert render("bf_city_decides", "en") in result.text
    assert render("bf_offer_reminders", "en") not in result.text  # no young child known


async def test_a_household_without_children_is_not_asked_about_children(kb: FakeKnowledgeBase) -> None:
    talk = Conversation(lang="ja")
    first = await talk.start(FORM, "使える制度を知りたい", "screen_benefits")
    answers = {slot: skip_payload() for slot in BOT_DOMAIN["forms"][FORM]["required_slots"]}
    answers["bf_children"] = ('/screen_benefits{"bf_value": "none"}', "screen_benefits", {"bf_value": "none"})
    answers["bf_resident_age"] = ("72", "nlu_fallback", None)
    answers["bf_insurance"] = ("後期高齢者医療です", "nlu_fallback", None)
    result = await _answer_until_done(talk, answers, first)
    assert "bf_single_parent" not in talk.asked and "bf_child_disability" not in talk.asked
    assert "【児童手当】" not in result.text
    assert "【後期高齢者健康診査】" in result.text or "後期高齢" in result.text


async def test_an_answer_not_understood_is_asked_again_with_a_hint(kb: FakeKnowledgeBase) -> None:
    talk = Conversation(lang="ja")
    await talk.start(FORM, "使える制度を知りたい", "screen_benefits")
    reply = await talk.say("ふたりです")
    assert render("bf_hint_children", "ja") in reply.text
    assert talk.slots["requested_slot"] == "bf_children"
    assert talk.asked == ["bf_children", "bf_children"]
    assert render("bf_intro", "ja", max=MAX_QUESTIONS) not in reply.text


async def test_a_typed_yes_the_words_miss_is_read_from_the_intent(kb: FakeKnowledgeBase) -> None:
    talk = Conversation(lang="en")
    await talk.start(FORM, "I have a newborn, what benefits can I get", "screen_benefits")
    requested = talk.slots["requested_slot"]
    await talk.say("that's right", "affirm")
    assert talk.slots[requested] is True


async def test_a_restart_forgets_the_earlier_answers(kb: FakeKnowledgeBase) -> None:
    talk = Conversation(lang="ja", slots={"bf_pregnant": True, "bf_children": [5]})
    await talk.start(FORM, "もう一度、使える制度を調べたい", "screen_benefits")
    assert talk.slots["bf_pregnant"] is None and talk.slots["bf_children"] is None
    assert talk.slots["requested_slot"] == "bf_children"


async def test_stop_clears_the_answers(kb: FakeKnowledgeBase) -> None:
    tracker = make_tracker("やめる", "stop", slots={"bf_children": [24], "requested_slot": "bf_pregnant"},
                           active_loop=FORM)  # fmt: skip
    reply = await run(ActionCancelBenefitsForm(), tracker)
    assert reply.text == render("bf_stopped", "ja")
    assert {"event": "active_loop", "timestamp": None, "name": None} in reply.events
    assert {"event": "slot", "timestamp": None, "name": "bf_children", "value": None} in reply.events


async def test_the_result_without_the_knowledge_base_is_a_polite_reply(
    places: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = kb_holder.set_kb(SimpleNamespace(places=places, domain=lambda name: (_ for _ in ()).throw(KeyError)))
    try:
        reply = await run(ActionSubmitBenefitsScreening(), make_tracker("/deny", "deny", "en"))
    finally:
        kb_holder.set_kb(previous)
    assert reply.text == render("kb_unavailable", "en", phone=CALL_CENTRE)


def test_household_of_reads_only_understood_answers() -> None:
    household = household_of({"children": "ふたり", "pregnant": SKIP, "resident_age": 40, "insurance": "nhi",
                              "income_band": SKIP}, TODAY)  # fmt: skip
    assert household.children is None and household.pregnant is None
    assert household.resident_age == 40 and household.insurance == "nhi" and household.income_band is None


# --- one programme ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "programme"),
    [("児童手当はいくら？", "child_allowance"), ("特別児童扶養手当の申請は？", "special_child_rearing_allowance"),
     ("How much is the child allowance?", "child_allowance"), ("手当について", None)],
)  # fmt: skip
def test_the_programme_a_question_names(text: str, programme: str | None, programmes: Any) -> None:
    assert named_programme(text, programmes) == programme


async def test_a_single_programme_answer_has_amounts_year_desk_and_source(kb: FakeKnowledgeBase) -> None:
    reply = await run(ActionBenefitsAnswer(), make_tracker("児童手当はいくら？", "ask_benefits"))
    text = reply.text
    assert "【児童手当】" in text and "15,000" in text and "10,000" in text and "30,000" in text
    assert "2025年度の額です。2026年度の額は確認できていません。" in text  # today's FY2026 is not confirmed
    assert "マイナポータル" in text  # how to apply
    assert render("bf_desk_heading", "ja") in text and CALL_CENTRE in text
    assert "いまは閉まっています" in text and "12月7日(月)" in text  # Sunday: closed, open again on Monday
    assert render("bf_city_decides", "ja") in text
    assert "https://www.city.narashino.lg.jp/kosodate/teatejosei/jidouteate/23970.html" in reply.sources
    assert {"event": "slot", "timestamp": None, "name": "last_domain", "value": "benefits"} in reply.events


async def test_after_a_screening_the_amount_is_the_households(kb: FakeKnowledgeBase) -> None:
    slots = {"bf_household": {"children": [24, 0], "ward": "chuo"}}
    tracker = make_tracker("/ask_benefits", "ask_benefits", "en", slots, {"faq_id": "child_allowance"})
    reply = await run(ActionBenefitsAnswer(), tracker)
    assert "Total: 30,000 yen per month" in reply.text
    assert "Child 2 (age 0 months)" in reply.text


async def test_a_ward_office_programme_names_the_residents_ward_office(kb: FakeKnowledgeBase) -> None:
    slots = {"bf_household": {"ward": "chuo"}}
    reply = await run(ActionBenefitsAnswer(), make_tracker("/ask_benefits", "ask_benefits", "en", slots,
                                                           {"faq_id": "special_child_rearing_allowance"}))  # fmt: skip
    assert "中央区役所" in reply.text and "043-221-2133" in reply.text


async def test_a_question_the_classifier_is_sure_of(kb: FakeKnowledgeBase) -> None:
    kb.hits = [("child_medical_subsidy", 0.93)]
    reply = await run(ActionBenefitsAnswer(), make_tracker("子どもの病院代はただになる？", "ask_benefits"))
    assert "【子ども医療費助成】" in reply.text and "300" in reply.text


async def test_a_near_miss_offers_candidates(kb: FakeKnowledgeBase) -> None:
    kb.hits = [("child_allowance", 0.3), ("child_rearing_allowance", 0.2)]
    reply = await run(ActionBenefitsAnswer(), make_tracker("子どものお金のこと", "ask_benefits"))
    assert [b["payload"] for b in reply.buttons] == ['/ask_benefits{"faq_id": "child_allowance"}',
                                                     '/ask_benefits{"faq_id": "child_rearing_allowance"}']  # fmt: skip


# --- For You opt-in ------------------------------------------------------------------------------------------------


def _yes() -> tuple[str, str, None]:
    return "/affirm", "affirm", None


async def test_opt_in_on_line_without_email(kb: FakeKnowledgeBase, repos: Repositories) -> None:
    talk = Conversation(lang="ja", sender=LINE_SENDER, slots={"bf_household": {"children": [24, 0], "ward": "chuo"}})
    first = await talk.start(REMINDER_FORM, "/subscribe_benefit_reminders", "subscribe_benefit_reminders")
    assert talk.asked == ["br_consent"]
    assert render("br_email_off_line", "ja") in first.text and "このLINE" in first.text
    await talk.say(*_yes())
    assert talk.asked[-1] == "br_birth_month", "on LINE with e-mail off: no channel and no address questions"
    months = await run(ActionAskBrBirthMonth(), talk.tracker("x"))
    assert {"title": "2026年12月", "payload": '/subscribe_benefit_reminders{"bf_value": "2026-12"}'} in months.buttons
    await talk.say('/subscribe_benefit_reminders{"bf_value": "2026-11"}', "subscribe_benefit_reminders",
                   {"bf_value": "2026-11"})  # fmt: skip
    assert talk.asked[-1] == "br_confirm"
    done = await talk.say(*_yes())
    assert "登録しました" in done.text and "2026年11月" in done.text
    assert "https://assistant.example.jp/for-you/stop?t=" in done.text
    [subscription] = repos.benefits.for_sender(LINE_SENDER)
    assert subscription.channel == "line" and subscription.recipient == LINE_SENDER.removeprefix("line:")
    assert subscription.child_birth_month == date(2026, 11, 1) and subscription.ward == "中央区"
    assert subscription.lang == "ja"
    assert subscription.token in done.text


async def test_opt_in_by_email_on_the_web(kb: FakeKnowledgeBase, repos: Repositories, email_on: None) -> None:
    talk = Conversation(lang="en")
    await talk.start(REMINDER_FORM, "remind me about my baby's vaccinations", "subscribe_benefit_reminders")
    await talk.say("yes", "affirm")
    assert talk.asked == ["br_consent", "br_email"]
    hint = await talk.say("my mail is hanako at example")
    assert render("br_hint_email", "en") in hint.text and talk.asked[-1] == "br_email"
    await talk.say("hanako@example.jp")
    await talk.say("November 2026")
    assert talk.asked[-1] == "br_confirm"
    summary = await run(ActionAskBrConfirm(), talk.tracker("x"))
    assert "h***@example.jp" in summary.text and "11/2026" in summary.text
    done = await talk.say("/affirm", "affirm")
    assert "Registered" in done.text and render("br_upcoming", "en") in done.text
    [subscription] = repos.benefits.for_sender("resident")
    assert subscription.channel == "email" and subscription.recipient == "hanako@example.jp"


async def test_on_line_with_email_on_the_resident_chooses(kb: FakeKnowledgeBase, repos: Repositories,
                                                           email_on: None) -> None:  # fmt: skip
    talk = Conversation(lang="vi", sender=LINE_SENDER)
    await talk.start(REMINDER_FORM, "nhắc lịch tiêm chủng", "subscribe_benefit_reminders")
    await talk.say("có")
    assert talk.asked[-1] == "br_channel"
    channel = await run(ActionAskBrChannel(), talk.tracker("x"))
    assert [b["payload"] for b in channel.buttons] == ['/subscribe_benefit_reminders{"bf_value": "line"}',
                                                       '/subscribe_benefit_reminders{"bf_value": "email"}']  # fmt: skip
    await talk.say('/subscribe_benefit_reminders{"bf_value": "email"}', "subscribe_benefit_reminders",
                   {"bf_value": "email"})  # fmt: skip
    assert talk.asked[-1] == "br_email"


async def test_email_off_on_the_web_says_so_and_stores_nothing(kb: FakeKnowledgeBase, repos: Repositories) -> None:
    talk = Conversation(lang="en")
    reply = await talk.start(REMINDER_FORM, "send me For You notices by email", "subscribe_benefit_reminders")
    assert talk.asked == [] and talk.form is None
    assert render("br_unavailable", "en") in reply.text
    assert repos.benefits.for_sender("resident") == []


async def test_no_consent_stores_nothing(kb: FakeKnowledgeBase, repos: Repositories) -> None:
    talk = Conversation(lang="ja", sender=LINE_SENDER)
    await talk.start(REMINDER_FORM, "予防接種のお知らせがほしい", "subscribe_benefit_reminders")
    reply = await talk.say("いいえ", "deny")
    assert talk.form is None and render("br_not_subscribed", "ja") in reply.text
    assert repos.benefits.for_sender(LINE_SENDER) == []


async def test_a_birth_month_in_the_request_is_not_asked_again(kb: FakeKnowledgeBase, repos: Repositories) -> None:
    talk = Conversation(lang="ja", sender=LINE_SENDER)
    await talk.start(REMINDER_FORM, "2026年10月生まれの子の予防接種のお知らせがほしい", "subscribe_benefit_reminders")
    await talk.say("はい")
    assert talk.slots["br_birth_month"] == "2026-10" and talk.asked == ["br_consent", "br_confirm"]


async def test_no_at_the_confirmation_asks_again(kb: FakeKnowledgeBase, repos: Repositories) -> None:
    talk = Conversation(lang="ja", sender=LINE_SENDER)
    await talk.start(REMINDER_FORM, "お知らせがほしい", "subscribe_benefit_reminders")
    await talk.say("はい")
    await talk.say("2026年11月")
    reply = await talk.say("/deny", "deny")
    assert render("br_changed", "ja") in reply.text and talk.asked[-1] == "br_birth_month"
    assert talk.slots["br_consent"] is True


async def test_unsubscribe(kb: FakeKnowledgeBase, repos: Repositories) -> None:
    repos.benefits.subscribe(sender_id="resident", channel="email", recipient="a@example.jp",
                             child_birth_month=date(2026, 11, 1), ward=None, lang="ja")  # fmt: skip
    reply = await run(ActionUnsubscribeBenefitReminders(), make_tracker("お知らせを止めたい"))
    assert reply.text == render("br_unsubscribed", "ja", count=1)
    assert repos.benefits.for_sender("resident") == []
    again = await run(ActionUnsubscribeBenefitReminders(), make_tracker("お知らせを止めたい"))
    assert again.text == render("br_nothing_to_stop", "ja", count=0)


@pytest.mark.parametrize("lang", ["ja", "en", "vi"])
async def test_a_database_outage_gets_a_polite_reply(lang: str, kb: FakeKnowledgeBase, database_down: None) -> None:
    polite = render("store_unavailable", lang, phone=CALL_CENTRE)
    slots = {"br_consent": True, "br_birth_month": "2026-11", "br_confirm": True}
    tracker = make_tracker("/affirm", "affirm", lang, slots, sender=LINE_SENDER)
    stored = await run(ActionSubmitBenefitReminders(), tracker)
    stopped = await run(ActionUnsubscribeBenefitReminders(), make_tracker("stop", lang=lang))
    assert stored.text == polite and stopped.text == polite
    assert LINE_SENDER.removeprefix("line:") not in stored.text


# --- forget me ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en", "vi"])
async def test_forget_me_asks_first_then_deletes_on_yes(lang: str) -> None:
    asked = await run(ActionForgetMe(), make_tracker("私のデータを消して", "forget_me", lang))
    assert asked.text == render("forget_ask", lang)
    assert [b["payload"] for b in asked.buttons] == ['/forget_me{"forget_confirm": "yes"}',
                                                     '/forget_me{"forget_confirm": "no"}']  # fmt: skip
    assert "forget_me" not in asked.custom, "nothing is deleted before the resident confirms"
    done = await run(ActionForgetMe(), make_tracker('/forget_me{"forget_confirm": "yes"}', "forget_me", lang,
                                                    {"forget_asked": True}, {"forget_confirm": "yes"}))  # fmt: skip
    assert done.text == render("forget_done", lang)
    assert done.custom["forget_me"] is True


async def test_forget_me_denied_keeps_everything() -> None:
    reply = await run(ActionForgetMe(), make_tracker('/forget_me{"forget_confirm": "no"}', "forget_me", "en",
                                                     {"forget_asked": True}, {"forget_confirm": "no"}))  # fmt: skip
    assert reply.text == render("forget_kept", "en") and "forget_me" not in reply.custom


@pytest.mark.parametrize(("intent", "deleted"), [("affirm", True), ("deny", False)])
async def test_a_typed_answer_to_the_question(intent: str, deleted: bool) -> None:
    reply = await run(ActionForgetMe(), make_tracker("はい", intent, "ja", {"forget_asked": True}))
    assert ("forget_me" in reply.custom) is deleted


async def test_a_yes_without_the_question_asks_first() -> None:
    reply = await run(ActionForgetMe(), make_tracker("はい", "affirm", "ja", {"forget_asked": None}))
    assert reply.text == render("forget_ask", "ja") and "forget_me" not in reply.custom


async def test_forget_me_in_the_middle_of_the_screening_ends_it() -> None:
    tracker = make_tracker("私のデータを消して", "forget_me", "ja", {"bf_children": [24]}, active_loop=FORM)
    reply = await run(ActionForgetMe(), tracker)
    assert {"event": "active_loop", "timestamp": None, "name": None} in reply.events
    assert {"event": "slot", "timestamp": None, "name": "bf_children", "value": None} in reply.events


# --- messages -----------------------------------------------------------------------------------------------------


def _catalogue(lang: str) -> dict[str, str]:
    return yaml.safe_load((MESSAGES_DIR / lang / "benefits.yml").read_text(encoding="utf-8"))


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "ja"])
def test_every_key_in_every_language_with_the_same_placeholders(lang: str) -> None:
    japanese, other = _catalogue("ja"), _catalogue(lang)
    assert sorted(other) == sorted(japanese)
    assert {k: _fields(v) for k, v in other.items()} == {k: _fields(v) for k, v in japanese.items()}


OFFICIAL_TERMS = {
    "bf_ask_welfare": "生活保護",
    "bf_ask_single_parent": "ひとり親家庭",
    "bf_insurance_nhi": "国民健康保険",
    "bf_insurance_employee": "社会保険",
    "bf_insurance_late_elderly": "後期高齢者医療",
    "bf_ask_child_disability": "療育手帳",
    "capability_benefits": "児童手当",
}


@pytest.mark.parametrize("lang", ["en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id"])
@pytest.mark.parametrize("key", sorted(OFFICIAL_TERMS))
def test_non_japanese_texts_name_the_official_term(lang: str, key: str) -> None:
    assert re.search(r"[（(][^()（）]*" + OFFICIAL_TERMS[key], render(key, lang)), render(key, lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_workers_reminder_renders(lang: str) -> None:
    text = render("bf_reminder", lang, programme="ロタウイルス 1回目", due="2027-02-28",
                  stop_url="https://assistant.example.jp/for-you/stop?t=abc")  # fmt: skip
    assert "ロタウイルス 1回目" in text and "2027-02-28" in text and "/for-you/stop?t=abc" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_capability_and_help_button_exist(lang: str) -> None:
    assert render("capability_benefits", lang, phone=CALL_CENTRE).strip()
    assert render("help_button_benefits", lang).strip()


def test_help_offers_the_screening() -> None:
    assert HELP_BUTTONS == (("help_button_benefits", "/screen_benefits"),)
    assert CONTACT_OFFICE == "call_centre"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_intro_promises_at_most_ten_questions(lang: str) -> None:
    assert "10" in render("bf_intro", lang, max=MAX_QUESTIONS)
