"""The counter phrasebook (knowledge_base/data/phrasebook/) is complete and valid, staff and residents find phrases by
typing, placeholders render in every language, and a broken file fails with an error that names the phrase."""

from __future__ import annotations

import copy
import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge_base.core.data import DataError
from knowledge_base.phrasebook import (
    PHRASEBOOK_FILE,
    BadSlotValue,
    MissingSlot,
    Phrasebook,
    UnknownPhrase,
    UnknownSlot,
    UnknownTopic,
    load_phrasebook,
)
from settings import KnowledgeBaseSettings
from translations import languages
from translations.languages import UnknownLanguage

REAL_DATA = KnowledgeBaseSettings.from_env().data_dir
LANGS = languages.codes()
# The topics issue 11 asks for, with the fewest phrases each must have.
ISSUE_TOPICS = (
    "greeting_waiting",
    "numbers_tickets",
    "identity_documents",
    "resident_registration",
    "my_number_card",
    "national_health_insurance",
    "pension",
    "tax",
    "child_benefits",
    "garbage",
    "library",
    "forms_signing",
    "money_fees",
    "dates_times",
    "directions_in_building",
    "understanding",
    "resident_phrases",
)
MIN_PER_TOPIC = 10
RESIDENCE_CARD = "在留カード"


@pytest.fixture(scope="module")
def book() -> Phrasebook:
    return load_phrasebook(REAL_DATA)


# ---- the data ----------------------------------------------------------------------------------------------------


def test_the_data_validates_and_has_enough_phrases(book: Phrasebook) -> None:
    assert len(book) >= 320
    assert book.source == REAL_DATA / PHRASEBOOK_FILE


@pytest.mark.parametrize("lang", LANGS)
def test_every_language_has_at_least_300_phrases(book: Phrasebook, lang: str) -> None:
    assert sum(1 for phrase in book if phrase.text(lang).strip()) >= 300


def test_the_topics_are_the_ones_the_issue_lists(book: Phrasebook) -> None:
    assert [topic.id for topic in book.topics] == list(ISSUE_TOPICS)


@pytest.mark.parametrize("topic", ISSUE_TOPICS)
def test_every_topic_has_phrases_and_a_label_in_every_language(book: Phrasebook, topic: str) -> None:
    phrases = book.by_topic(topic)
    assert len(phrases) >= MIN_PER_TOPIC
    assert all(phrase.topic == topic and phrase.id.startswith(f"{topic}_") for phrase in phrases)
    assert all(book.topic(topic).label(lang) for lang in LANGS)


@pytest.mark.parametrize("speaker", ["staff", "resident", "both"])
def test_both_sides_of_the_counter_have_phrases(book: Phrasebook, speaker: str) -> None:
    assert sum(1 for phrase in book if phrase.speaker == speaker) >= 10


def test_residents_phrases_are_said_by_residents(book: Phrasebook) -> None:
    assert {phrase.speaker for phrase in book.by_topic("resident_phrases")} == {"resident"}


@pytest.mark.parametrize("lang", [lang for lang in LANGS if languages.get(lang).base != "ja"])
def test_the_residence_card_keeps_its_japanese_name_in_every_translation(book: Phrasebook, lang: str) -> None:
    phrase = book.get("identity_documents_show_residence_card")
    assert phrase.terms == (RESIDENCE_CARD,)
    assert RESIDENCE_CARD in phrase.text(lang)


@pytest.mark.parametrize(
    ("phrase_id", "brief_example"),
    [
        ("numbers_tickets_take_a_number", "Please take a number ticket (番号札)."),
        ("numbers_tickets_number_will_be_called", "Your number will be called."),
        ("forms_signing_sign_here", "Please sign here."),
        ("forms_signing_name_in_katakana", "Please write your name in katakana (カタカナ)."),
        ("directions_in_building_elevator_right", "The elevator is on your right."),
        ("understanding_speak_slowly", "Please speak slowly."),
        ("understanding_repeat", "Could you repeat that?"),
        ("understanding_dont_understand", "I don't understand."),
        ("resident_phrases_register_address", "I want to register my address."),
        ("resident_phrases_lost_residence_card", "I lost my residence card (在留カード)."),
    ],
)
def test_the_phrases_the_issue_names_are_there(book: Phrasebook, phrase_id: str, brief_example: str) -> None:
    assert book.get(phrase_id).text("en") == brief_example


@pytest.mark.parametrize(
    "term", ["住民異動届", "転入届", "転出届", RESIDENCE_CARD, "マイナンバーカード", "国民健康保険"]
)
def test_the_registration_terms_of_the_issue_are_covered(book: Phrasebook, term: str) -> None:
    assert any(term in phrase.terms for phrase in book)


# ---- search: staff type Japanese -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["ざいりゅうかーど", "ザイリュウカード", "ｻﾞｲﾘｭｳｶｰﾄﾞ", "ざいりゅうかど", "在留カード", "ざいりゅう かーど"]
)
def test_staff_find_the_residence_card_however_they_type_it(book: Phrasebook, query: str) -> None:
    hits = book.search(query, "ja", limit=5)
    assert len(hits) == 5
    assert all(RESIDENCE_CARD in hit.phrase.text("ja") for hit in hits)


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("てんにゅうとどけ", "ja", "resident_registration_moving_in"),
        ("じゅうみんいどうとどけ", "ja", "resident_registration_fill_in_form"),
        ("あんしょうばんごう", "ja", "my_number_card_forgot_pin"),
        ("ばんごうふだ", "ja", "numbers_tickets_take_a_number"),
        ("どこに行けばいいですか", "ja", "resident_phrases_where_should_i_go"),
        ("住所を登録したい", "ja", "resident_phrases_register_address"),
        ("ゆっくり", "ja-easy", "understanding_speak_slowly"),
    ],
)
def test_staff_find_a_phrase_by_its_reading_or_words(book: Phrasebook, query: str, lang: str, expected: str) -> None:
    assert book.search(query, lang)[0].phrase.id == expected


# ---- search: residents type their language ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "lang"),
    [
        ("the cu tru", "vi"),
        ("thẻ cư trú", "vi"),
        ("THẺ CƯ TRÚ", "vi"),
        ("residence card", "en"),
        ("재류카드", "ko"),
        ("在留卡", "zh"),
        ("निवास कार्ड", "ne"),
        ("residence card", "tl"),
        ("cartao de residencia", "pt"),
        ("tarjeta de residencia", "es"),
        ("kartu izin tinggal", "id"),
        (RESIDENCE_CARD, "vi"),  # the term as printed on the form, in any language
    ],
)
def test_residents_find_the_residence_card_in_their_language(book: Phrasebook, query: str, lang: str) -> None:
    hits = book.search(query, lang, limit=5)
    assert len(hits) == 5
    assert all(RESIDENCE_CARD in hit.phrase.text("ja") for hit in hits)


@pytest.mark.parametrize(
    ("query", "lang", "expected", "match"),
    [
        ("please speak slowly", "en", "understanding_speak_slowly", "exact"),
        ("Could you repeat that?", "en", "understanding_repeat", "exact"),
        ("I don't understand", "en", "understanding_dont_understand", "exact"),
        ("I want to register my address", "en", "resident_phrases_register_address", "exact"),
        ("I lost my residence card", "en", "resident_phrases_lost_residence_card", "phrase"),
        ("where is the elevator", "en", "directions_in_building_elevator_left", "partial"),
        ("perdi cartao residencia", "pt-BR", "resident_phrases_lost_residence_card", "words"),
        ("mất thẻ cư trú", "vi", "resident_phrases_lost_residence_card", "phrase"),
        ("재류카드 잃어버렸어요", "ko", "resident_phrases_lost_residence_card", "words"),
        ("在留卡丢了", "zh", "resident_phrases_lost_residence_card", "partial"),
        ("請出示護照", "zh-TW", "identity_documents_show_passport", "partial"),  # Traditional folded to Simplified
        ("ठेगाना दर्ता", "ne", "resident_phrases_register_address", "phrase"),
        ("nawala residence card", "fil", "resident_phrases_lost_residence_card", "words"),
    ],
)
def test_residents_find_what_they_mean(book: Phrasebook, query: str, lang: str, expected: str, match: str) -> None:
    best = book.search(query, lang)[0]
    assert (best.phrase.id, best.match) == (expected, match)


@pytest.mark.parametrize(
    ("query", "lang"),
    [("please speak slowly", "en"), ("I don't understand", "en"), ("在留カード", "ja"), ("lift", "id")],
)
def test_hits_come_best_first(book: Phrasebook, query: str, lang: str) -> None:
    scores = [hit.score for hit in book.search(query, lang, limit=20)]
    assert scores == sorted(scores, reverse=True)


def test_an_exact_phrase_beats_a_longer_phrase_that_contains_it(book: Phrasebook) -> None:
    ids = [hit.phrase.id for hit in book.search("I don't understand", "en")]
    assert ids[:2] == ["understanding_dont_understand", "tax_dont_understand_notice"]


@pytest.mark.parametrize(("query", "lang"), [("xyzzy", "en"), ("ラクダ", "ja"), ("!!!", "vi")])
def test_unrelated_text_finds_nothing(book: Phrasebook, query: str, lang: str) -> None:
    assert book.search(query, lang) == []


# ---- search: numbers fill placeholders -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "lang", "expected", "slots"),
    [
        ("window 5", "en", "directions_in_building_where_is_window", {"window": "5"}),
        ("5番窓口", "ja", "directions_in_building_where_is_window", {"window": "5"}),
        ("quầy số 3", "vi", "directions_in_building_where_is_window", {"window": "3"}),
        ("2階", "ja", "directions_in_building_go_to_floor", {"floor": "2"}),
        ("3階の5番", "ja", "directions_in_building_window_on_floor", {"floor": "3", "window": "5"}),
        ("14:30", "en", "dates_times_come_at", {"time": "14:30"}),
        ("14時半", "ja", "dates_times_come_at", {"time": "14:30"}),
        ("1,200円", "ja", "money_fees_per_copy", {"amount": "1200"}),
    ],
)
def test_a_number_in_the_query_finds_the_phrase_with_a_blank_for_it(
    book: Phrasebook, query: str, lang: str, expected: str, slots: dict[str, str]
) -> None:
    best = book.search(query, lang)[0]
    assert (best.phrase.id, dict(best.slots)) == (expected, slots)
    assert str(slots[best.phrase.slots[0]]) in best.phrase.render(lang, **slots).replace(",", "")


def test_a_time_is_not_taken_for_a_window_number(book: Phrasebook) -> None:
    assert all(set(hit.slots) <= {"time"} for hit in book.search("14:30", "en"))


# ---- search: empty queries, filters, languages ---------------------------------------------------------------


def test_an_empty_query_lists_the_topic(book: Phrasebook) -> None:
    hits = book.search("", "vi", limit=100, topic="pension")
    assert [hit.phrase for hit in hits] == list(book.by_topic("pension"))
    assert {hit.match for hit in hits} == {"topic"}


@pytest.mark.parametrize("query", ["", "   ", "。、"])
def test_an_empty_query_without_a_topic_finds_nothing(book: Phrasebook, query: str) -> None:
    assert book.search(query, "ja") == []


def test_the_topic_filter_keeps_its_phrases(book: Phrasebook) -> None:
    hits = book.search("card", "en", limit=50, topic="library")
    assert hits and {hit.phrase.topic for hit in hits} == {"library"}


@pytest.mark.parametrize(("speaker", "allowed"), [("staff", {"staff", "both"}), ("resident", {"resident", "both"})])
def test_the_speaker_filter_keeps_that_side_and_both(book: Phrasebook, speaker: str, allowed: set[str]) -> None:
    hits = book.search("在留カード", "ja", limit=50, speaker=speaker)
    assert hits and {hit.phrase.speaker for hit in hits} <= allowed


def test_the_limit_is_kept(book: Phrasebook) -> None:
    assert len(book.search("ください", "ja", limit=3)) == 3
    assert book.search("ください", "ja", limit=0) == []


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda b: b.search("card", "fr"), UnknownLanguage),
        (lambda b: b.search("card", "en", topic="visa"), UnknownTopic),
        (lambda b: b.search("card", "en", speaker="clerk"), ValueError),
        (lambda b: b.get("no_such_phrase"), UnknownPhrase),
        (lambda b: b.by_topic("visa"), UnknownTopic),
    ],
)
def test_unknown_names_are_refused(book: Phrasebook, call: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        call(book)


# ---- render --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_render_in_every_language(book: Phrasebook, lang: str) -> None:
    values = {"n": 25, "window": "B", "floor": 3, "minutes": 20, "days": 14, "amount": 300}
    values |= {"time": dt.time(9, 5), "date": dt.date(2026, 4, 15)}
    with_slots = [phrase for phrase in book if phrase.slots]
    assert len(with_slots) >= 15
    for phrase in with_slots:
        text = phrase.render(lang, **{name: values[name] for name in phrase.slots})
        assert "{" not in text and "}" not in text, (phrase.id, text)


@pytest.mark.parametrize(
    ("lang", "window_text", "amount_text"),
    [
        ("ja", "5番窓口", "1,200円"),
        ("ja-easy", "5ばんの 窓口", "1,200円（えん）"),
        ("en", "window 5", "1,200 yen"),
        ("zh", "5号窗口", "1,200日元"),
        ("ko", "5번 창구", "1,200엔"),
        ("vi", "quầy số 5", "1.200 yên"),
        ("tl", "window 5", "1,200 yen"),
        ("ne", "काउन्टर नम्बर 5", "1,200 येन"),
        ("pt", "guichê 5", "1.200 ienes"),
        ("es", "ventanilla 5", "1.200 yenes"),
        ("id", "loket 5", "1.200 yen"),
    ],
)
def test_windows_and_amounts_read_naturally(book: Phrasebook, lang: str, window_text: str, amount_text: str) -> None:
    assert window_text in book.get("directions_in_building_go_to_window").render(lang, window=5)
    assert amount_text in book.get("money_fees_fee_is").render(lang, amount=1200)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ja", "4月15日の9:05に予約しました。"),
        ("en", "Your appointment is on April 15 at 9:05."),
        ("zh", "已为您预约4月15日9:05。"),
        ("ko", "4월 15일 9:05로 예약했습니다."),
        ("vi", "Đã đặt lịch hẹn cho anh/chị lúc 9:05 ngày 15 tháng 4."),
        ("tl", "Naka-book na po kayo sa Abril 15, 9:05."),
        ("ne", "तपाईंको अपोइन्टमेन्ट अप्रिल 15, 9:05 बजे हो।"),
        ("pt", "O seu horário está marcado para 15 de abril, às 9:05."),
        ("es", "Su cita es el 15 de abril a las 9:05."),
        ("id", "Janji Anda pada 15 April pukul 9:05."),
    ],
)
def test_dates_and_times_are_written_per_language(book: Phrasebook, lang: str, expected: str) -> None:
    phrase = book.get("dates_times_appointment_booked")
    assert phrase.render(lang, date=dt.date(2026, 4, 15), time="9:05") == expected
    assert phrase.render(lang, date="2026-04-15", time=dt.time(9, 5)) == expected


def test_a_language_alias_renders_its_language(book: Phrasebook) -> None:
    phrase = book.get("directions_in_building_go_to_window")
    assert phrase.render("pt-BR", window=3) == phrase.render("pt", window=3)
    assert phrase.render("fil", window=3) == "Pumunta po kayo sa window 3."


@pytest.mark.parametrize(
    ("phrase_id", "values", "error", "message"),
    [
        ("money_fees_fee_is", {}, MissingSlot, r"needs a value for \{amount\}"),
        ("directions_in_building_window_on_floor", {"floor": 2}, MissingSlot, r"\{window\}"),
        ("money_fees_fee_is", {"amount": 300, "window": 2}, UnknownSlot, r"no placeholder \{window\}"),
        ("money_fees_fee_is", {"amount": -1}, BadSlotValue, "whole number 0 or more"),
        ("money_fees_fee_is", {"amount": "300円"}, BadSlotValue, "whole number"),
        ("money_fees_fee_is", {"amount": True}, BadSlotValue, "whole number"),
        ("greeting_waiting_wait_time", {"minutes": 1}, BadSlotValue, "2 or more"),
        ("directions_in_building_go_to_floor", {"floor": 0}, BadSlotValue, "1 to 99"),
        ("directions_in_building_go_to_window", {"window": "12345"}, BadSlotValue, "1 to 4 letters or digits"),
        ("dates_times_come_at", {"time": "25:00"}, BadSlotValue, "H:MM"),
        ("dates_times_come_back_on", {"date": "April 15"}, BadSlotValue, "YYYY-MM-DD"),
    ],
)
def test_a_wrong_slot_value_is_a_typed_error_naming_phrase_and_slot(
    book: Phrasebook, phrase_id: str, values: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as raised:
        book.get(phrase_id).render("en", **values)
    assert phrase_id in str(raised.value)


# ---- a broken file is refused, naming the phrase ---------------------------------------------------------------

_REAL_FILE = REAL_DATA / PHRASEBOOK_FILE
_SAMPLE_IDS = ("numbers_tickets_take_a_number", "numbers_tickets_now_calling", "numbers_tickets_your_turn")


@lru_cache(maxsize=1)
def _real_yaml() -> dict[str, Any]:
    return yaml.load(_REAL_FILE.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _sample() -> dict[str, Any]:
    """A small valid phrasebook (a fresh copy): the real formats, one topic and three of its phrases."""
    data = _real_yaml()
    return copy.deepcopy(
        {
            "formats": data["formats"],
            "topics": [topic for topic in data["topics"] if topic["id"] == "numbers_tickets"],
            "phrases": [p for p in data["phrases"] if p["id"] in _SAMPLE_IDS],
        }
    )


def _write(data_dir: Path, data: dict[str, Any]) -> None:
    path = data_dir / PHRASEBOOK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _phrase(data: dict[str, Any], phrase_id: str) -> dict[str, Any]:
    return next(p for p in data["phrases"] if p["id"] == phrase_id)


def test_the_sample_file_is_valid(tmp_path: Path) -> None:
    _write(tmp_path, _sample())
    assert [phrase.id for phrase in load_phrasebook(tmp_path)] == list(_SAMPLE_IDS)


@pytest.mark.parametrize(
    ("phrase_id", "change", "message"),
    [
        ("numbers_tickets_your_turn", lambda p: p["text"].pop("vi"), "'vi' is missing"),
        ("numbers_tickets_your_turn", lambda p: p["text"].update(ne=""), "'ne' is missing or empty"),
        ("numbers_tickets_your_turn", lambda p: p.update(id="numbers_tickets_now_calling"), "duplicate id"),
        (
            "numbers_tickets_now_calling",
            lambda p: p["text"].update(es="Número {n}, pase a la ventanilla."),
            r"placeholders differ: 'es' has \{n\}, the slots are \{n\}, \{window\}",
        ),
        (
            "numbers_tickets_now_calling",
            lambda p: p["text"].update(ko="{n}번 고객님, {windows}번 창구로 오세요."),
            r"\{windows\}, which is not a placeholder",
        ),
        ("numbers_tickets_your_turn", lambda p: p.update(topic="visa"), "unknown topic 'visa'"),
        ("numbers_tickets_your_turn", lambda p: p.update(speaker="clerk"), "'speaker' must be one of"),
        ("numbers_tickets_your_turn", lambda p: p.update(reading="あなたの番です。"), "'reading' has kanji 番"),
        (
            "numbers_tickets_your_turn",
            lambda p: p["text"].update(zh="輪到您了。"),
            "Traditional or Japanese characters 輪",
        ),
        (
            "numbers_tickets_your_turn",
            lambda p: p["text"].update(vi="Den luot anh/chi roi."),
            "no Vietnamese diacritics",
        ),
        ("numbers_tickets_your_turn", lambda p: p["text"].update(ne="It is your turn."), "'ne' has no Deva letters"),
        ("numbers_tickets_your_turn", lambda p: p["text"].update(en="It is your 番."), "outside parentheses"),
        (
            "numbers_tickets_your_turn",
            lambda p: p["text"].update({"ja-easy": "あなたの番です。"}),
            "kanji 「番」 has no reading",
        ),
        (
            "numbers_tickets_your_turn",
            lambda p: p["text"].update({"zh-TW": "輪到您了。"}),
            r"unknown languages \['zh-TW'\]",
        ),
        (
            "numbers_tickets_take_a_number",
            lambda p: p["text"].update(ko="번호표를 뽑아 주세요."),
            "'ko' must keep the term 「番号札」 in parentheses",
        ),
    ],
)
def test_a_broken_phrase_is_refused_with_an_error_naming_it(
    tmp_path: Path, phrase_id: str, change: Any, message: str
) -> None:
    data = _sample()
    phrase = _phrase(data, phrase_id)
    change(phrase)
    _write(tmp_path, data)
    with pytest.raises(DataError, match=message) as raised:
        load_phrasebook(tmp_path)
    assert f"phrase '{phrase['id']}'" in str(raised.value)
    assert str(PHRASEBOOK_FILE) in str(raised.value)


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    data = _sample()
    _phrase(data, "numbers_tickets_your_turn")["text"].pop("vi")
    _phrase(data, "numbers_tickets_take_a_number")["text"].pop("id")
    _write(tmp_path, data)
    with pytest.raises(DataError) as raised:
        load_phrasebook(tmp_path)
    assert len(raised.value.problems) == 2


def test_a_key_written_twice_is_refused(tmp_path: Path) -> None:
    # Indonesian's code is also the key of the phrase id: written side by side, YAML would keep only the last.
    path = tmp_path / PHRASEBOOK_FILE
    path.parent.mkdir(parents=True)
    path.write_text("phrases:\n  - id: numbers_tickets_x\n    id: Halo.\n", encoding="utf-8")
    with pytest.raises(DataError, match="key 'id' is written twice"):
        load_phrasebook(tmp_path)


def test_a_topic_without_phrases_is_refused(tmp_path: Path) -> None:
    data = _sample()
    data["topics"].append({**copy.deepcopy(data["topics"][0]), "id": "library"})
    _write(tmp_path, data)
    with pytest.raises(DataError, match="topic 'library' has no phrases"):
        load_phrasebook(tmp_path)


def test_a_missing_file_says_which(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read the phrasebook"):
        load_phrasebook(tmp_path)
