"""translations.content: curated names, how-tos and answers; graceful when a file, entry or the glossary is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from translations.content import Content
from translations.messages import reply_language

DATA = Path(__file__).resolve().parents[2] / "knowledge_base" / "data" / "garbage"

EN = {
    "categories": {"yugai": {"name": "Hazardous waste", "how": "Sort by type into clear bags."}},
    "faq": {"sodai_procedure": {"answer": "Book bulky waste (粗大ごみ) at 043-302-5374."}},
}
ZH = {"categories": {"yugai": {"name": "有害垃圾"}}}
EASY = {
    "categories": {
        "yugai": {"name": "ゆうがいごみ（有害ごみ）"},
        "funen": {"name": "もえない ごみ"},
        "bin_kan_pet": {"name": "資源物（しげんぶつ）（びん・缶（かん）・ペットボトル）"},
    }
}
ITEM_NAMES = {"スプレー缶": {"en": ["spray can", "aerosol can"], "ko": "스프레이 캔", "vi": []}}


def _data(tmp_path: Path, files: dict[str, object]) -> Path:
    garbage = tmp_path / "garbage"
    (garbage / "i18n").mkdir(parents=True)
    for name in ("categories.yaml", "faq.yaml"):
        (garbage / name).write_text((DATA / name).read_text(encoding="utf-8"), encoding="utf-8")
    for name, data in files.items():
        text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
        (garbage / "i18n" / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def curated(tmp_path: Path) -> Content:
    files = {"en.yaml": EN, "zh.yaml": ZH, "ja-easy.yaml": EASY, "item_names.yaml": ITEM_NAMES}
    return Content(_data(tmp_path, files), glossary=None)


@pytest.mark.parametrize(
    ("category_id", "lang", "expected"),
    [
        ("yugai", "en", "Hazardous waste (有害ごみ)"),
        ("yugai", "EN", "Hazardous waste (有害ごみ)"),
        ("yugai", "zh", "有害垃圾（有害ごみ）"),  # Chinese brackets
        ("yugai", "ja", "有害ごみ"),
        ("yugai", "ja-easy", "ゆうがいごみ（有害ごみ）"),  # already names the official term: not repeated
        ("funen", "ja-easy", "もえない ごみ（不燃ごみ）"),
        # Only readings added: the official term is already there.
        ("bin_kan_pet", "ja-easy", "資源物（しげんぶつ）（びん・缶（かん）・ペットボトル）"),
        ("funen", "en", "Non-burnable waste (不燃ごみ)"),  # not in en.yaml: name_en of categories.yaml
        ("yugai", "ko", "有害ごみ"),  # nothing curated: the official term alone
        ("yugai", "xx", "有害ごみ"),
        ("no_such_category", "en", None),
    ],
)
def test_category_names_carry_the_official_term(
    category_id: str, lang: str, expected: str | None, curated: Content
) -> None:
    assert curated.category_name(category_id, lang) == expected


def test_the_glossary_names_what_the_i18n_file_lacks(tmp_path: Path) -> None:
    glossary = {("有害ごみ", "ko"): "유해 쓰레기", ("不燃ごみ", "ko"): None}
    content = Content(_data(tmp_path, {}), glossary=lambda ja, lang: glossary.get((ja, lang)))
    assert content.category_name("yugai", "ko") == "유해 쓰레기(有害ごみ)"
    assert content.category_name("funen", "ko") == "不燃ごみ"


@pytest.mark.parametrize(("lang", "expected"), [("ko", "有害ごみ"), ("en", "Hazardous waste (有害ごみ)")])
def test_a_broken_glossary_costs_the_translation_not_the_answer(lang: str, expected: str, tmp_path: Path) -> None:
    def broken(ja: str, lang: str) -> str:
        raise RuntimeError("glossary.yaml is malformed")

    content = Content(_data(tmp_path, {}), glossary=broken)
    assert content.category_name("yugai", lang) == expected


@pytest.mark.parametrize(
    ("category_id", "lang", "expected"),
    [
        ("yugai", "en", "Sort by type into clear bags."),
        ("yugai", "zh", None),  # the zh file has no how-to
        ("yugai", "ko", None),  # no ko file at all
        ("yugai", "ja", "スプレー缶だけ"),  # Japanese: the data's own text
    ],
)
def test_category_how(category_id: str, lang: str, expected: str | None, curated: Content) -> None:
    how = curated.category_how(category_id, lang)
    assert (how is None) if expected is None else (expected in (how or ""))


@pytest.mark.parametrize(
    ("faq_id", "lang", "expected"),
    [
        ("sodai_procedure", "en", "Book bulky waste (粗大ごみ) at 043-302-5374."),
        ("sodai_procedure", "zh", None),
        ("no_such_answer", "en", None),
        ("sodai_procedure", "ja", "粗大ごみは事前申込制"),
    ],
)
def test_faq_answers(faq_id: str, lang: str, expected: str | None, curated: Content) -> None:
    answer = curated.faq_answer(faq_id, lang)
    assert (answer is None) if expected is None else (expected in (answer or ""))


@pytest.mark.parametrize(
    ("name", "lang", "expected"),
    [
        ("スプレー缶", "en", "spray can (スプレー缶)"),  # the first name is the display name
        ("スプレー缶", "ko", "스프레이 캔(スプレー缶)"),  # a single string works too
        ("スプレー缶", "vi", "スプレー缶"),  # an empty list is no name
        ("スプレー缶", "ja", "スプレー缶"),
        ("スプレー缶", "ja-easy", "スプレー缶"),
        ("フライパン", "en", "フライパン"),  # not in the file
    ],
)
def test_item_names(name: str, lang: str, expected: str, curated: Content) -> None:
    assert curated.item_name(name, lang) == expected


@pytest.mark.parametrize("broken", ["categories: [unclosed", "- just\n- a list\n", "42", ""])
def test_unreadable_or_odd_curated_files_mean_no_translation(broken: str, tmp_path: Path) -> None:
    files = {"en.yaml": broken, "item_names.yaml": broken}
    content = Content(_data(tmp_path, files), glossary=None)
    assert content.category_how("yugai", "en") is None
    assert content.faq_answer("sodai_procedure", "en") is None
    assert content.item_name("スプレー缶", "en") == "スプレー缶"
    assert content.category_name("yugai", "en") == "Hazardous waste (有害ごみ)"  # name_en still applies


def test_language_codes_cannot_name_other_files(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text(yaml.safe_dump(EN), encoding="utf-8")
    content = Content(_data(tmp_path, {}), glossary=None)
    # An unknown code is Japanese: the data's own text, never a file the code names.
    assert content.category_how("yugai", "../../secret") == content.category_how("yugai", "ja")
    assert content.faq_answer("sodai_procedure", "../../secret") == content.faq_answer("sodai_procedure", "ja")


def test_files_are_read_once_until_cleared(tmp_path: Path) -> None:
    data = _data(tmp_path, {"en.yaml": EN})
    content = Content(data, glossary=None)
    assert content.category_how("yugai", "en") == "Sort by type into clear bags."
    (data / "garbage" / "i18n" / "en.yaml").write_text(yaml.safe_dump({"categories": {}}), encoding="utf-8")
    assert content.category_how("yugai", "en") == "Sort by type into clear bags."
    content.clear()
    assert content.category_how("yugai", "en") is None


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("en", "en"),
        (" EN ", "en"),
        ("pt-BR", "pt"),
        ("pt_br", "pt"),
        ("zh-Hans", "zh"),
        ("zh-TW", "zh"),
        ("fil", "tl"),
        ("ja-easy", "ja-easy"),
        ("JA-EASY", "ja-easy"),
        ("ja-JP", "ja"),
        ("xx", "ja"),
        ("", "ja"),
        (None, "ja"),
        (3, "ja"),
    ],
)
def test_reply_language(code: object, lang: str) -> None:
    assert reply_language(code) == lang
