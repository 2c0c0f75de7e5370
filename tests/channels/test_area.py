"""My area (channels/area.py) through the real gateway wired to a fake Rasa: the town picker's search, the next
collection days of a town per category, the .ics export, choosing a town (told to the assistant as the payload its
own buttons carry, never as a bypass of the payload guard), the town of an answer (meta.area) and source labels."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from gateway_fakes import CITY_SOURCE, FakeBackend

from channels.area import MAX_QUERY_CHARS
from channels.payload_guard import TEXT_MARK

TODAY = "2026-12-24"  # a Thursday, one week before the new-year break (12/31–1/3: no collection)
AOBA = "中央区青葉町"  # 可燃 月・木, びん・缶・ペットボトル 金, 古紙・布類 火, 木の枝 2・4水, 不燃・有害 1・3水
DATA = Path(__file__).resolve().parents[2] / "knowledge_base" / "data"
LANGS = ["ja", "ja-easy", "en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id"]


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHIBA_TODAY", TODAY)


async def get_json(client: TestClient, path: str, **params: str) -> tuple[int, Any]:
    response = await client.get(path, params=params)
    return response.status, await response.json()


# --- the picker's search --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "status", "first"),
    [
        ("青葉町", "found", AOBA),
        ("あおばちょう", "found", AOBA),  # hiragana, from Japan Post's readings
        ("Aoba-cho", "found", AOBA),  # romaji
        ("aobacho", "found", AOBA),
        ("Makuhari Hongo 1-chome", "found", "花見川区幕張本郷1・3・5丁目"),  # the chome picks the row
        ("稲荷町2丁目", "found", "中央区稲荷町1～3丁目"),
        ("幕張本郷", "ambiguous", "花見川区幕張本郷1・3・5丁目"),  # two rows, the resident picks one
        ("まくはり", "ambiguous", "花見川区幕張町1～3丁目"),  # typed ahead: the start of a name
        ("Oyumino", "ambiguous", "緑区おゆみ野1丁目"),
    ],
)
async def test_the_picker_finds_towns_as_residents_write_them(
    client: TestClient, query: str, status: str, first: str
) -> None:
    code, body = await get_json(client, "/api/area/towns", q=query)
    assert code == 200
    assert body["status"] == status
    assert body["towns"][0]["label"] == first
    assert (len(body["towns"]) == 1) is (status == "found")


async def test_a_town_shows_its_ward_name_and_reading(client: TestClient) -> None:
    _, body = await get_json(client, "/api/area/towns", q="Aoba-cho")
    assert body["towns"] == [{"label": AOBA, "ward": "中央区", "name": "青葉町", "reading": "あおばちょう"}]


async def test_a_whole_ward_is_listed_in_part_and_says_there_is_more(client: TestClient) -> None:
    _, body = await get_json(client, "/api/area/towns", q="中央区")
    assert body["status"] == "ambiguous" and body["more"] is True
    assert len(body["towns"]) == 20 and all(t["ward"] == "中央区" for t in body["towns"])


@pytest.mark.parametrize("query", ["xyz", "横浜市", "Yokohama"])
async def test_an_unknown_town_is_not_found(client: TestClient, query: str) -> None:
    assert await get_json(client, "/api/area/towns", q=query) == (
        200,
        {"query": query, "status": "not_found", "towns": [], "more": False},
    )


# --- bad input: the gateway's one error shape -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/api/area/towns", {}, 400, "invalid_field"),
        ("/api/area/towns", {"q": "  "}, 400, "invalid_field"),
        ("/api/area/towns", {"q": "町" * (MAX_QUERY_CHARS + 1)}, 400, "invalid_field"),
        ("/api/area/calendar", {}, 400, "invalid_field"),
        ("/api/area/calendar", {"town": AOBA, "weeks": "0"}, 400, "invalid_field"),
        ("/api/area/calendar", {"town": AOBA, "weeks": "9"}, 400, "invalid_field"),
        ("/api/area/calendar", {"town": AOBA, "weeks": "２"}, 400, "invalid_field"),  # full-width digit
        ("/api/area/calendar", {"town": AOBA, "weeks": "1.5"}, 400, "invalid_field"),
        ("/api/area/calendar", {"town": AOBA, "lang": "fr"}, 400, "unsupported_language"),
        ("/api/area/calendar", {"town": "横浜市"}, 404, "unknown_town"),
        ("/api/area/calendar", {"town": "幕張本郷"}, 400, "ambiguous_town"),
        ("/api/area/calendar.ics", {"town": AOBA, "weeks": "54"}, 400, "invalid_field"),
        ("/api/area/calendar.ics", {"town": "xyz"}, 404, "unknown_town"),
    ],
)
async def test_bad_input_gets_a_clear_json_error(
    client: TestClient, path: str, params: dict[str, str], status: int, code: str
) -> None:
    got, body = await get_json(client, path, **params)
    assert got == status
    assert body["error"]["code"] == code
    assert body["error"]["message"] and body["error"]["message_ja"]


async def test_an_ambiguous_town_names_the_candidates(client: TestClient) -> None:
    _, body = await get_json(client, "/api/area/calendar", town="幕張本郷")
    assert body["error"]["details"]["candidates"] == ["花見川区幕張本郷1・3・5丁目", "花見川区幕張本郷2・4・6・7丁目"]


# --- the calendar ---------------------------------------------------------------------------------------------------


async def test_the_next_collection_days_skip_the_new_year_break(client: TestClient) -> None:
    code, body = await get_json(client, "/api/area/calendar", town=AOBA, weeks="2")
    assert code == 200
    assert (body["start"], body["end"]) == ("2026-12-24", "2027-01-06")
    dates = {row["column"]: row["dates"] for row in body["rows"]}
    # 12/31 (Thu) and 1/1 (Fri) would be collection days but fall in the break; 1/6 is the first Wednesday of 2027.
    assert dates == {
        "可燃ごみ": ["2026-12-24", "2026-12-28", "2027-01-04"],
        "びん・缶・ペットボトル": ["2026-12-25"],
        "古紙・布類": ["2026-12-29", "2027-01-05"],
        "木の枝・刈り草・葉": [],
        "不燃ごみ・有害ごみ": ["2027-01-06"],
    }
    assert body["no_collection"] == ["2026-12-31", "2027-01-01", "2027-01-02", "2027-01-03"]
    assert body["source"] == "https://www.city.chiba.jp/kankyo/junkan/shushugyomu/shushubi.html"


async def test_the_default_window_is_four_weeks_and_branches_have_their_own_deadline(client: TestClient) -> None:
    _, body = await get_json(client, "/api/area/calendar", town="Aoba-cho")
    assert body["end"] == "2027-01-20"
    rows = {row["column"]: row for row in body["rows"]}
    assert rows["木の枝・刈り草・葉"]["dates"] == ["2027-01-13"]  # 2nd Wednesday; 12/23 was before today
    assert rows["木の枝・刈り草・葉"]["deadline"] == "10:00"
    assert "10:00" in rows["木の枝・刈り草・葉"]["deadline_note"]
    assert "8:00" in body["deadline_note"]


@pytest.mark.parametrize("lang", LANGS)
async def test_categories_are_named_in_the_residents_language_with_the_official_term(
    client: TestClient, lang: str
) -> None:
    _, body = await get_json(client, "/api/area/calendar", town=AOBA, lang=lang)
    assert body["lang"] == lang
    names = {c["id"]: c["name"] for row in body["rows"] for c in row["categories"]}
    assert set(names) == {"kanen", "bin_kan_pet", "koshi_nuno", "eda_kusa", "funen", "yugai"}
    plain = {cid: re.sub(r"[（(][ぁ-ゖ]+[)）]", "", name) for cid, name in names.items()}  # ja-easy adds readings
    assert "可燃ごみ" in plain["kanen"] and "不燃ごみ" in plain["funen"] and "有害ごみ" in plain["yugai"]
    if lang not in ("ja", "ja-easy"):
        assert names["kanen"] != "可燃ごみ"  # translated, the official term in brackets
    assert body["town"]["label"] == AOBA  # town names stay as printed


async def test_a_town_with_a_footnote_says_so(client: TestClient) -> None:
    _, body = await get_json(client, "/api/area/calendar", town="稲毛区千草台1・2丁目")
    assert "町内自治会" in body["footnote"]
    paper = next(row for row in body["rows"] if row["column"] == "古紙・布類")
    assert paper["dates"] == []  # the table prints ※: no date is made up


# --- the .ics export ------------------------------------------------------------------------------------------------


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")[:-1]


async def test_the_ics_file_is_valid_rfc_5545(client: TestClient) -> None:
    response = await client.get("/api/area/calendar.ics", params={"town": AOBA, "lang": "en", "weeks": "2"})
    assert response.status == 200
    assert response.content_type == "text/calendar" and response.charset == "utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="chiba-collection-days-')
    raw = await response.read()
    text = raw.decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")  # CRLF only
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))  # folded at 75 octets
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert {"VERSION:2.0", "PRODID:-//Chiba City Assistant//Collection days//JA"} <= set(lines)
    events = "\n".join(lines).split("BEGIN:VEVENT")[1:]
    _, calendar = await get_json(client, "/api/area/calendar", town=AOBA, lang="en", weeks="2")
    assert len(events) == sum(len(row["dates"]) for row in calendar["rows"]) == 7
    uids = [re.search(r"^UID:(.+)$", event, re.M).group(1) for event in events]  # type: ignore[union-attr]
    assert len(set(uids)) == len(uids)
    for event in events:
        props = dict(line.split(":", 1) for line in event.strip().split("\n") if line != "END:VEVENT")
        assert re.fullmatch(r"\d{8}T\d{6}Z", props["DTSTAMP"])
        start, end = props["DTSTART;VALUE=DATE"], props["DTEND;VALUE=DATE"]
        assert re.fullmatch(r"\d{8}", start) and int(end) > int(start)
        assert not ("20261231" <= start <= "20270103")  # no event in the break
        # TEXT values: commas and semicolons escaped, line breaks as \n
        assert not re.search(r"(?<!\\)[,;]", props["SUMMARY"]), props["SUMMARY"]
        assert not re.search(r"(?<!\\)[,;]", props["DESCRIPTION"]), props["DESCRIPTION"]
    assert "SUMMARY:Recyclables: bottles\\, cans and PET bottles (資源物（びん・缶・ペットボトル）) (8:00)" in lines


async def test_the_same_day_keeps_its_uid_so_a_second_import_updates(client: TestClient) -> None:
    first = await (await client.get("/api/area/calendar.ics", params={"town": AOBA, "weeks": "1"})).text()
    later = await (await client.get("/api/area/calendar.ics", params={"town": AOBA, "weeks": "3"})).text()
    uids = lambda text: re.findall(r"^UID:(.+)\r$", text.replace("\r\n ", ""), re.M)  # noqa: E731
    assert set(uids(first)) < set(uids(later))


# --- choosing a town tells the assistant ----------------------------------------------------------------------------


async def test_choosing_a_town_sends_the_towns_payload_and_answers_with_its_area(
    client: TestClient, backend: FakeBackend
) -> None:
    response = await client.post("/api/area/choose", json={"sender_id": "web-area", "town": "Aoba-cho", "lang": "en"})
    assert response.status == 200
    body = await response.json()
    assert backend.received[-1]["message"] == '/inform_town{"town": "中央区青葉町"}'
    assert backend.received[-1]["metadata"]["lang"] == "en"
    assert body["lang"] == "en"
    assert body["meta"]["area"] == {"label": AOBA, "ward": "中央区", "name": "青葉町"}
    assert body["messages"]  # the assistant's answer, shown like any answer


async def test_typed_town_payloads_stay_disarmed(client: TestClient, backend: FakeBackend) -> None:
    await client.post("/api/area/choose", json={"sender_id": "web-area", "town": AOBA})
    typed = '/inform_town{"town": "中央区青葉町"}'
    response = await client.post("/api/chat", json={"sender_id": "web-area", "text": typed})
    assert response.status == 200
    assert backend.received[-1]["message"] == TEXT_MARK + typed  # choosing a town offered nothing to type


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"sender_id": "web-area", "town": "横浜市"}, 404, "unknown_town"),
        ({"sender_id": "web-area", "town": "幕張本郷"}, 400, "ambiguous_town"),
        ({"sender_id": "web-area", "town": ""}, 400, "invalid_field"),
        ({"sender_id": "web-area", "town": 12}, 400, "invalid_field"),
        ({"sender_id": "web-area"}, 400, "invalid_field"),
        ({"sender_id": "line:U123", "town": AOBA}, 400, "invalid_field"),
        ({"sender_id": "web-area", "town": AOBA, "lang": "fr"}, 400, "unsupported_language"),
        ([AOBA], 400, "invalid_json"),
    ],
)
async def test_a_bad_choice_reaches_no_assistant(
    client: TestClient, backend: FakeBackend, body: Any, status: int, code: str
) -> None:
    response = await client.post("/api/area/choose", json=body)
    assert response.status == status
    assert (await response.json())["error"]["code"] == code
    assert backend.received == []


# --- the town of an answer and the labels of its sources ------------------------------------------------------------


TAKASU = {"label": "美浜区高洲3丁目", "ward": "美浜区", "name": "高洲3丁目"}


def reply_with(cards: list[Any], sources: list[str]) -> dict[str, Any]:
    meta = {"intent": "ask_collection_day", "confidence": 0.9, "fallback": False, "sources": sources, "cards": cards}
    return {"messages": [{"text": "美浜区高洲3丁目の収集日です。"}], "meta": meta}


@pytest.mark.parametrize(
    ("cards", "area"),
    [
        (
            [{"type": "area", "ward": "美浜区", "town": "高洲3丁目"}],
            {"label": "美浜区高洲3丁目", "ward": "美浜区", "name": "高洲3丁目"},
        ),
        ([{"type": "garbage_item", "item": "電池", "category": "有害ごみ"}], None),
        ([{"type": "area", "ward": "美浜区", "town": 3}], None),
        ([{"type": "area", "ward": "美浜区", "town": "町" * 80}], None),
        ("area", None),
    ],
)
async def test_the_town_the_assistant_answered_for_becomes_meta_area(
    client: TestClient, backend: FakeBackend, cards: Any, area: dict[str, str] | None
) -> None:
    backend.reply = reply_with(cards, [])
    body = await (await client.post("/api/chat", json={"sender_id": "web-a", "text": "高洲3丁目"})).json()
    assert body["meta"].get("area") == area
    assert "cards" not in body["meta"]


@pytest.mark.parametrize(
    ("lang", "label"),
    [
        ("ja", "千葉市：不燃ごみ・有害ごみ"),
        ("en", "Chiba City: 不燃ごみ・有害ごみ"),
        ("ko", "지바시: 不燃ごみ・有害ごみ"),
    ],
)
async def test_sources_carry_their_labels_in_the_answers_language(
    client: TestClient, backend: FakeBackend, lang: str, label: str
) -> None:
    unknown = "https://example.org/not-in-sources-yaml"
    backend.reply = reply_with([], [CITY_SOURCE, unknown])
    body = await (await client.post("/api/chat", json={"sender_id": "web-s", "text": "電池", "lang": lang})).json()
    assert body["meta"]["sources"] == [CITY_SOURCE, unknown]  # unchanged: the contract stays backward-compatible
    assert body["meta"]["source_labels"] == {CITY_SOURCE: label}


async def test_an_unreadable_table_is_a_polite_503_and_is_tried_again(
    aiohttp_client: Any, settings: Any, tmp_path: Path
) -> None:
    from channels.app import create_app
    from channels.area import AREA_SERVICE, AreaService

    app = create_app(settings)
    app[AREA_SERVICE] = AreaService(tmp_path)  # an empty data folder
    client = await aiohttp_client(app)
    for _ in range(2):
        code, body = await get_json(client, "/api/area/towns", q="青葉町")
        assert code == 503 and body["error"]["code"] == "area_unavailable"
    # The files arrive (a deployment finishing its copy): the next request loads them, no restart needed.
    shutil.copytree(DATA / "collection_days", tmp_path / "collection_days")
    (tmp_path / "garbage").mkdir()
    shutil.copy(DATA / "garbage" / "categories.yaml", tmp_path / "garbage")
    code, body = await get_json(client, "/api/area/towns", q="Aoba-cho")
    assert code == 200 and body["towns"][0]["label"] == AOBA
