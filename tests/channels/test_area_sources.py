"""knowledge_base/data/sources.yaml: every page the data cites has a label (a publisher and a title or a topic), and
the label the web chat shows is in the answer's language where the publisher's name is translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from channels.webchat import SourceLabels, label_text
from translations import languages

DATA = Path(__file__).resolve().parents[2] / "knowledge_base" / "data"
SOURCES = DATA / "sources.yaml"
# A URL in a data file: up to whitespace, quotes, brackets or Japanese punctuation; ";" and "." end a sentence.
_URL = re.compile(r"https?://[^\s\"'<>()（）「」、，,`\]]+")
# Schema examples elide the path with "…" ("https://…"): no page is cited there.
_ELIDED = "…"
# Publishers residents meet most: named in every reply language.
TRANSLATED = ("chiba_city", "chiba_city_library", "chiba_pref", "chiba_pref_library", "ccia")


def cited_urls() -> set[str]:
    found: set[str] = set()
    for path in DATA.rglob("*"):
        if path == SOURCES or not path.is_file() or path.suffix not in {".yaml", ".yml", ".md", ".csv"}:
            continue
        for url in _URL.findall(path.read_text(encoding="utf-8")):
            url = url.rstrip(";.")
            if _ELIDED not in url:
                found.add(url)
    return found


@pytest.fixture(scope="module")
def table() -> dict[str, dict[str, object]]:
    return yaml.safe_load(SOURCES.read_text(encoding="utf-8"))


def test_every_url_the_data_cites_has_a_label_and_no_label_is_stale(table: dict[str, dict[str, object]]) -> None:
    cited, labelled = cited_urls(), set(table["sources"])
    assert len(cited) > 150  # the scan found the data's citations
    assert sorted(cited - labelled) == [], "add these pages to knowledge_base/data/sources.yaml"
    assert sorted(labelled - cited) == [], "these pages are no longer cited anywhere"


def test_every_entry_names_a_known_publisher_and_one_text(table: dict[str, dict[str, object]]) -> None:
    publishers = table["publishers"]
    bad = [
        url
        for url, entry in table["sources"].items()
        if not isinstance(entry, dict)
        or entry.get("publisher") not in publishers
        or set(entry) not in ({"publisher", "title"}, {"publisher", "topic"})
        or not str(entry.get("title") or entry.get("topic")).strip()
    ]
    assert bad == []


@pytest.mark.parametrize("key", TRANSLATED)
def test_the_citys_own_publishers_are_named_in_every_language(table: dict[str, dict[str, object]], key: str) -> None:
    names = table["publishers"][key]
    assert isinstance(names, dict) and set(names) == set(languages.codes())
    assert all(isinstance(name, str) and name.strip() for name in names.values())


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ja", "千葉市：家庭ごみ・資源物の収集日"),
        ("ja-easy", "千葉市（ちばし）：家庭ごみ・資源物の収集日"),
        ("en", "Chiba City: 家庭ごみ・資源物の収集日"),
        ("vi", "Thành phố Chiba: 家庭ごみ・資源物の収集日"),
    ],
)
async def test_a_label_is_the_publisher_in_the_answers_language_and_the_topic(lang: str, expected: str) -> None:
    url = "https://www.city.chiba.jp/kankyo/junkan/shushugyomu/shushubi.html"
    assert await SourceLabels(SOURCES).labels([url], lang) == {url: expected}


async def test_a_known_page_title_is_shown_and_a_brand_stays_as_it_is() -> None:
    url = "https://support.apple.com/ja-jp/111107"
    assert await SourceLabels(SOURCES).labels([url], "ne") == {url: "Apple: iPhone や iPad で Wi-Fi に接続する"}


def test_an_untranslated_publisher_falls_back_to_english_then_japanese() -> None:
    assert label_text({"ja": "消費者庁", "en": "Consumer Affairs Agency"}, "消費者ホットライン188", "tl") == (
        "Consumer Affairs Agency: 消費者ホットライン188"
    )
    assert label_text({"ja": "習志野市"}, "児童手当", "es") == "習志野市: 児童手当"


@pytest.mark.parametrize(
    "content", ["- just\n- a list\n", "sources: {}\n", "publishers: [1]\nsources: {}\n", "a: 'x\n"]
)
async def test_a_broken_file_means_links_by_address_not_an_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(content, encoding="utf-8")
    assert await SourceLabels(path).labels(["https://www.city.chiba.jp/"], "ja") == {}
