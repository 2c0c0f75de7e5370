"""The city's ごみ分別事典 is merged into the item data: every entry is answered, with its current category and an
official source; merging never makes a name point to two categories; the plastic flag and new categories are there."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from knowledge_base.core.normalize import normalize
from knowledge_base.garbage.models import (
    JITEN_CSV,
    JITEN_SOURCE,
    OFFICIAL_HOSTS,
    DataError,
    Knowledge,
    clean_jiten_name,
    dropped_names,
    is_official_source,
    load_knowledge,
    merge_report,
    unqualified,
    validate,
)
from settings import KnowledgeBaseSettings

REAL_DATA = KnowledgeBaseSettings.from_env().data_dir
GARBAGE = REAL_DATA / "garbage"
JITEN = GARBAGE / "jiten"
LANGS = ("en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id", "ja-easy")
NEW_CATEGORIES = (
    "kanen_or_sodai",
    "funen_or_sodai",
    "haishutsu_kinshi",
    "tento_kaishu",
    "kyoten_kaishu",
    "jimusho",
    "iryo",
)
PRIVATE = "https://fuyouhinkaisyuu-chiba.com/chiba-cost"

needs_dictionary = pytest.mark.skipif(not (JITEN / JITEN_CSV).is_file(), reason="no dictionary in the data yet")


@pytest.fixture(scope="module")
def real() -> Knowledge:
    """The real data, loaded once: every start of the bot does the same, so a slow merge shows in the suite time."""
    return load_knowledge(REAL_DATA)


def _rows() -> list[list[str]]:
    with (JITEN / JITEN_CSV).open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# ---- the real data -------------------------------------------------------------------------------------------


@needs_dictionary
def test_the_real_data_with_the_dictionary_is_valid(real: Knowledge) -> None:
    assert validate(real) == []
    report = merge_report(real)
    assert report.entries == len(_rows()) == 1982
    assert report.differences == () and report.missing_readings == ()
    assert report.unknown_name_keys == (), "i18n/jiten_names keys that name no dictionary entry"


@needs_dictionary
def test_every_dictionary_row_maps_to_its_current_category(real: Knowledge) -> None:
    outcomes = _yaml(JITEN / "outcomes.yaml")
    overrides = {clean_jiten_name(o["name"]): o["category"] for o in _yaml(JITEN / "overrides.yaml")}
    holder = {name: item for item in real.items for name in item.jiten_names}
    wrong = []
    for _, raw_name, raw_category, _ in _rows():
        name = clean_jiten_name(raw_name)
        item = holder.get(name)
        expected = overrides.get(name, outcomes[raw_category.strip()]["category"])
        if item is None or item.category != expected:
            wrong.append(f"{name}: {item.category if item else 'not loaded'} != {expected}")
    assert wrong == []


@needs_dictionary
def test_dictionary_items_carry_the_dictionary_as_their_source(real: Knowledge) -> None:
    only = [item for item in real.items if item.origin == "jiten"]
    both = [item for item in real.items if item.origin == "both"]
    assert len(only) + len(both) > 1500 and both
    assert all(item.certainty == "dictionary" and item.source == JITEN_SOURCE for item in only)
    assert all(item.jiten_names and item.certainty in ("confirmed", "inferred") for item in both)
    # every dictionary name is searchable through Item.names (the index rows)
    assert all(set(item.jiten_names) <= set(item.names) for item in (*only, *both))
    readings = [item.reading for item in only if item.reading]
    assert len(readings) > len(only) * 0.95
    assert all(re.fullmatch(r"[\u3041-\u309fー0-9a-z]+", normalize(r)) for r in readings)


@needs_dictionary
def test_item_keys_are_unique(real: Knowledge) -> None:
    keys = Counter(item.key for item in real.items)
    assert [key for key, n in keys.items() if n > 1] == []


@needs_dictionary
def test_outcomes_map_every_category_string_to_a_known_category(real: Knowledge) -> None:
    outcomes = _yaml(JITEN / "outcomes.yaml")
    assert {row[2].strip() for row in _rows()} <= set(outcomes)
    assert {entry["category"] for entry in outcomes.values()} <= set(real.categories)
    assert outcomes["資源物(古紙・布類)の【古紙（雑がみ）】"] == {"category": "koshi_nuno", "subkind": "雑がみ"}
    assert outcomes["購入店へ返却または資源物(びん・缶・ﾍﾟｯﾄﾎﾞﾄﾙ)の【びん】"]["how"]


@needs_dictionary
def test_every_override_names_its_page_date_and_reason(real: Knowledge) -> None:
    names = {clean_jiten_name(row[1]) for row in _rows()}
    raw = _yaml(JITEN / "overrides.yaml")
    assert len(raw) == len(real.overrides) > 0
    for override in real.overrides:
        assert override.name in names
        assert override.category in real.categories
        assert is_official_source(override.source), override
        assert re.fullmatch(r"\d{4}(-\d{2}){0,2}", override.date), override
        assert len(override.why) > 20, override
    # the changes SOURCE.md lists
    by_name = {o.name: o for o in real.overrides}
    assert by_name["小形充電電池"].category == "kyoten_kaishu"
    assert by_name["刈り草"].category == "eda_kusa"


@needs_dictionary
def test_qualified_names_stay_apart_and_ask_when_their_categories_differ(real: Knowledge) -> None:
    by_name = {item.name: item for item in real.items}
    assert by_name["空き缶（飲食用）"].category == "bin_kan_pet"
    assert by_name["空き缶（飲食用）"].subkind == "缶"
    assert by_name["空き缶（飲食用以外のもの）"].category == "funen"
    report = merge_report(real)
    ambiguous = {base for base, _ in report.ambiguous_bases}
    assert {"ハンガー", "ソファー"} <= ambiguous | {i.name for i in real.items}
    # a bare name is added only where all entries agree, and then it points to one category
    owners: dict[str, set[str]] = {}
    for item in real.items:
        for text in item.names:
            owners.setdefault(normalize(text), set()).add(item.category)
    for base, name in report.base_aliases:
        assert any(normalize(unqualified(j)) == normalize(base) for j in by_name[name].jiten_names), (base, name)
        assert owners[normalize(base)] == {by_name[name].category}


@needs_dictionary
def test_dropped_names_are_reported_not_repointed(real: Knowledge) -> None:
    by_name = {item.name: item for item in real.items}
    for dropped in dropped_names(real):
        item = by_name[dropped.item]
        assert dropped.other and item.category not in dropped.other
        assert normalize(dropped.text) not in {normalize(t) for t in (*item.names, *item.foreign_names)}


def test_size_rule_categories_carry_their_alternatives(real: Knowledge) -> None:
    size_rules = [c for c in real.categories.values() if c.kind == "size_rule"]
    assert {c.id for c in size_rules} >= {"kanen_or_sodai", "funen_or_sodai"}
    for category in size_rules:
        assert len(category.alternatives) >= 2 and "sodai" in category.alternatives
        assert set(category.alternatives) <= set(real.categories)
        assert category.size_rule and "50cm" in category.size_rule
    raw = _yaml(GARBAGE / "categories.yaml")
    assert all(entry.get("kind") for entry in raw), "every category states its kind"
    assert set(NEW_CATEGORIES) <= set(real.categories)


@pytest.mark.parametrize("lang", LANGS)
def test_new_categories_are_translated(lang: str) -> None:
    section = _yaml(GARBAGE / "i18n" / f"{lang}.yaml")["categories"]
    for cid in NEW_CATEGORIES:
        entry = section[cid]
        assert entry["name"].strip() and entry["how"].strip(), cid
        if cid.endswith("_or_sodai"):
            assert entry["size_rule"].strip(), cid
        if lang != "ja-easy":  # the official Japanese term goes with the translated one
            assert re.search(r"[\u3041-\u30ff\u4e00-\u9fff]", entry["how"]), cid


def test_no_source_is_a_private_company(real: Knowledge) -> None:
    sources = [
        *(("category " + c.id, c.source) for c in real.categories.values()),
        *((f"{i.file} {i.name}", i.source) for i in real.items),
        *((f"faq {f.id}", f.source) for f in real.faq),
        *((f"override {o.name}", o.source) for o in real.overrides),
    ]
    if real.plastic is not None:
        sources.append(("plastic.yaml", real.plastic.source))
    assert [f"{where}: {url}" for where, url in sources if not is_official_source(url)] == []


@pytest.mark.parametrize(
    ("url", "official"),
    [
        ("https://www.city.chiba.jp/kankyo/junkan/shushugyomu/hunengomi.html", True),
        ("http://www.city.chiba.jp/kankyo/junkan/shushugyomu/kanengomi.html", True),
        ("https://www.env.go.jp/recycle/", True),
        ("https://www.rkc.aeha.or.jp/", True),
        (PRIVATE, False),
        ("https://mykoho.jp/article/x", False),
        ("https://www.city.chiba.jp.example.com/x", False),
        ("city.chiba.jp/kankyo", False),
    ],
)
def test_official_hosts(url: str, official: bool) -> None:
    assert is_official_source(url) is official
    assert "city.chiba.jp" in OFFICIAL_HOSTS


def test_a_private_source_is_rejected(fixture_data: Path) -> None:
    path = fixture_data / "garbage/items/yugai.yaml"
    entries = _yaml(path)
    entries[0]["source"] = PRIVATE
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    problems = validate(load_knowledge(fixture_data))
    assert any("fuyouhinkaisyuu-chiba.com" in p and "not an official host" in p for p in problems), problems


@needs_dictionary
def test_plastic_items_are_flagged(real: Knowledge) -> None:
    by_name = {item.name: item for item in real.items}
    for name in (
        "プラスチック製収納箱",
        "空き缶のフタ（プラスチック製）",
        "ポリバケツ",
        "発泡スチロール",
        "プラスチックのおもちゃ",
    ):
        assert by_name[name].plastic, name
    for name in ("空き缶（飲食用）", "ハンガー（木製）", "アルミトレイ", "ペットボトル", "新聞紙", "ゴムホース"):
        assert not by_name[name].plastic, name
    plastic = real.plastic
    assert plastic is not None and plastic.date == "2025-11-20" and plastic.starts == "2027-12"
    assert "プラスチック資源" in plastic.change and plastic.source.endswith("/haikibutsu/plasticrecycling.html")


# ---- merge rules on a small invented dictionary (not city data) ----------------------------------------------

MINI_OUTCOMES = {
    "可燃ごみ": {"category": "kanen"},
    "不燃ごみ": {"category": "funen"},
    "有害ごみ": {"category": "yugai"},
    "粗大ごみ": {"category": "sodai"},
    "資源物(びん・缶・ﾍﾟｯﾄﾎﾞﾄﾙ)の【缶】": {"category": "bin_kan_pet", "subkind": "缶"},
}
MINI_ROWS = [
    ("か", "傘", "不燃ごみ", ""),  # = a curated name, same category: joins it
    ("", "ｽﾌﾟﾚｰ缶", "有害ごみ", ""),  # = a curated name after normalisation
    ("", "電気毛布", "粗大ごみ", ""),  # joins a curated item of another category: needs an override
    ("", "ハンガー（木製）", "可燃ごみ", ""),
    ("", "ハンガー（木製以外）", "不燃ごみ", ""),  # same bare name, other category: no alias 「ハンガー」
    ("", "アイスノン（保冷剤）", "可燃ごみ", ""),  # the only アイスノン: alias 「アイスノン」
    ("", "カイロ（金属製）", "不燃ごみ", ""),  # bare 「カイロ」 is a curated alias of 可燃ごみ: dropped
    ("", "バケツ", "不燃ごみ", "水を切る"),
    ("", "ﾊﾞｹﾂ", "不燃ごみ", ""),  # the same name after normalisation
    ("", "空き缶のフタ\n（金属製）", "資源物(びん・缶・ﾍﾟｯﾄﾎﾞﾄﾙ)の【缶】", ""),  # a line break inside the name
]
OVERRIDE = {
    "name": "電気毛布",
    "category": "kanen",
    "source": "https://example.org/kanen",
    "date": "2024-02-15",
    "why": "the current page says it is burnable",
}


def _write_jiten(data: Path, rows=MINI_ROWS, outcomes=MINI_OUTCOMES, overrides=(OVERRIDE,)) -> Path:
    folder = data / "garbage" / "jiten"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / JITEN_CSV).open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    (folder / "outcomes.yaml").write_text(yaml.safe_dump(outcomes, allow_unicode=True), encoding="utf-8")
    (folder / "overrides.yaml").write_text(yaml.safe_dump(list(overrides), allow_unicode=True), encoding="utf-8")
    readings = "".join(f"{clean_jiten_name(row[1])}\tよみ{i}\n" for i, row in enumerate(rows))
    (folder / "readings.tsv").write_text(readings, encoding="utf-8")
    return folder


def test_the_merge_rules(fixture_data: Path) -> None:
    _write_jiten(fixture_data)
    knowledge = load_knowledge(fixture_data)
    assert validate(knowledge) == []
    by_name = {item.name: item for item in knowledge.items}
    assert by_name["傘"].origin == "both" and by_name["傘"].jiten_names == ("傘",)
    assert by_name["スプレー缶"].jiten_names == ("ｽﾌﾟﾚｰ缶",)  # joined after normalisation, kept as printed
    assert by_name["電気毛布"].category == "kanen" and by_name["電気毛布"].override is not None
    bucket = by_name["バケツ"]
    assert (bucket.origin, bucket.certainty, bucket.source) == ("jiten", "dictionary", JITEN_SOURCE)
    assert bucket.notes == "水を切る" and bucket.reading and bucket.jiten_names == ("バケツ", "ﾊﾞｹﾂ")
    assert by_name["空き缶のフタ（金属製）"].subkind == "缶"
    report = merge_report(knowledge)
    assert report.duplicates == (("バケツ", "ﾊﾞｹﾂ"),)
    assert ("アイスノン", "アイスノン（保冷剤）") in report.base_aliases
    assert "アイスノン" in by_name["アイスノン（保冷剤）"].aliases
    assert all("ハンガー" not in item.aliases for item in knowledge.items)
    assert ("ハンガー", ("funen", "kanen")) in report.ambiguous_bases
    dropped = [(d.text, d.item, d.other) for d in dropped_names(knowledge)]
    assert ("カイロ", "カイロ（金属製）", ("kanen",)) in dropped
    assert "カイロ" not in by_name["カイロ（金属製）"].aliases


def test_a_difference_without_override_is_reported(fixture_data: Path) -> None:
    _write_jiten(fixture_data, overrides=())
    problems = validate(load_knowledge(fixture_data))
    assert any("電気毛布" in p and "overrides.yaml" in p for p in problems), problems


def test_an_override_that_contradicts_the_curated_item_is_reported(fixture_data: Path) -> None:
    _write_jiten(fixture_data, overrides=({**OVERRIDE, "category": "sodai"},))
    problems = validate(load_knowledge(fixture_data))
    assert any("電気毛布" in p and "says sodai" in p for p in problems), problems


def test_an_override_from_a_private_page_is_rejected(fixture_data: Path) -> None:
    _write_jiten(fixture_data, overrides=({**OVERRIDE, "source": PRIVATE},))
    problems = validate(load_knowledge(fixture_data))
    assert any("電気毛布" in p and "not an official host" in p for p in problems), problems


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows, o, ov: rows.append(("", "新しいもの", "燃やすごみ", "")), "is not mapped in outcomes.yaml"),
        (lambda rows, o, ov: ov.append({k: v for k, v in OVERRIDE.items() if k != "why"}), "missing 'why'"),
        (lambda rows, o, ov: ov.append({**OVERRIDE, "name": "傘", "date": "R6.2"}), "must be YYYY-MM-DD"),
        (lambda rows, o, ov: ov.append({**OVERRIDE, "name": "存在しない品目"}), "is not a name in the dictionary"),
    ],
)
def test_broken_dictionary_files_fail_loading(fixture_data: Path, change, message: str) -> None:
    rows, outcomes, overrides = list(MINI_ROWS), dict(MINI_OUTCOMES), [OVERRIDE]
    change(rows, outcomes, overrides)
    _write_jiten(fixture_data, rows, outcomes, overrides)
    with pytest.raises(DataError, match=message):
        load_knowledge(fixture_data)


def test_a_reading_is_required(fixture_data: Path) -> None:
    folder = _write_jiten(fixture_data)
    (folder / "readings.tsv").write_text("傘\tかさ\n", encoding="utf-8")
    problems = validate(load_knowledge(fixture_data))
    assert any("no reading for 'バケツ'" in p for p in problems), problems
