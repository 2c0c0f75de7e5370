"""The city glossary (translations/glossary/*.yaml) is complete, in the right scripts, and used by the curated content.

A resident reading "Hazardous waste" must be able to find 有害ごみ on the bag, and the same office must have the
same name in every answer of a language. The consistency test reads the curated content files
knowledge_base/data/garbage/i18n/<lang>.yaml; a missing file fails (it is part of the release), it is not skipped.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from translations.glossary import (
    LANGUAGES,
    DuplicateTermError,
    GlossaryError,
    GlossaryTerm,
    MissingRenderingError,
    as_entries,
    load_glossary,
    match_key,
    term,
    terms_in,
)

ROOT = Path(__file__).resolve().parents[2]
GARBAGE_DIR = ROOT / "knowledge_base" / "data" / "garbage"
I18N_DIR = GARBAGE_DIR / "i18n"
MIN_TERMS = 300
# Kinds of term residents must match on a bag, sign or form: curated text has to use the glossary's rendering.
CHECKED_KINDS = frozenset({"category", "office", "procedure", "document"})
LATIN_LANGS = ("en", "vi", "tl", "pt", "es", "id")

_KANA = re.compile(r"[\u3041-\u30ff]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_DEVANAGARI = re.compile(r"[\u0900-\u097f]")
_NON_LATIN = re.compile(r"[\u3041-\u30ff\u3400-\u9fff\uac00-\ud7af\u0900-\u097f]")
# A reading after kanji, as やさしい日本語 writes them: 有害（ゆうがい）ごみ -> 有害ごみ (applied after NFKC).
_FURIGANA = re.compile(r"(?<=[\u3400-\u9fff々〆ヶ])\([\u3041-\u309f\u30fc\s]+\)")
_SEPARATORS = re.compile(r"[\s・·•、，,/]+")
_LIST_ITEMS = re.compile(r"[,、，·・]")


def _glossary() -> dict[str, GlossaryTerm]:
    return load_glossary()


TERMS = sorted(_glossary().values(), key=lambda t: (t.kind, t.ja))


# ---- the glossary itself -------------------------------------------------------------------------------------


def test_glossary_has_at_least_300_unique_terms():
    keys = {match_key(t.ja) for t in TERMS}
    assert len(keys) == len(TERMS) >= MIN_TERMS


@pytest.mark.parametrize("entry", TERMS, ids=lambda t: t.ja)
def test_every_term_has_all_renderings(entry: GlossaryTerm):
    assert entry.get("ja") == entry.ja
    missing = [lang for lang in LANGUAGES if not (entry.get(lang) or "").strip()]
    assert not missing, f"{entry.ja} ({entry.path.name}) has no rendering in {missing}"


@pytest.mark.parametrize("entry", TERMS, ids=lambda t: t.ja)
def test_renderings_are_in_the_script_residents_read(entry: GlossaryTerm):
    problems = []
    if not _HANGUL.search(entry.get("ko")):
        problems.append("ko has no Hangul")
    if not _DEVANAGARI.search(entry.get("ne")):
        problems.append("ne has no Devanagari")
    if not _HAN.search(entry.get("zh")) or _KANA.search(entry.get("zh")):
        problems.append("zh must be Han without Japanese kana")
    if not _KANA.search(entry.get("ja-easy")):
        problems.append("ja-easy has no kana")
    problems += [f"{lang} has CJK/Hangul/Devanagari" for lang in LATIN_LANGS if _NON_LATIN.search(entry.get(lang))]
    assert not problems, f"{entry.ja} ({entry.path.name}): {'; '.join(problems)}"


CATEGORIES = yaml.safe_load((GARBAGE_DIR / "categories.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("category", [c for c in CATEGORIES if term(c["name"], "en")], ids=lambda c: c["id"])
def test_category_names_agree_with_the_knowledge_base(category: dict[str, Any]):
    # the cards show name_en; the glossary must not call the same category something else
    assert term(category["name"], "en") == category["name_en"]


# ---- lookups -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ja", "lang", "expected"),
    [
        ("有害ごみ", "en", "Hazardous waste"),
        ("有害ゴミ", "en", "Hazardous waste"),  # katakana spelling of the same term
        ("ｽﾌﾟﾚｰ缶", "zh", "喷雾罐"),  # half-width katakana
        ("粗大ごみ受付センター", "ko", "대형 쓰레기 접수 센터"),
        ("在留カード", "zh-CN", "在留卡"),
        ("転入届", "fil", "Moving-in notification"),
        ("国民健康保険", "pt-BR", "Seguro Nacional de Saúde"),
        ("不燃ごみ", "ne", "नजल्ने फोहोर"),
        ("有害ごみ", "ja_easy", "有害（ゆうがい）ごみ（あぶない ごみ）"),
        ("住民票", "ja", "住民票"),
        (" 区役所 ", "vi", "Văn phòng quận"),
    ],
)
def test_term_finds_the_rendering(ja: str, lang: str, expected: str):
    assert term(ja, lang) == expected


@pytest.mark.parametrize(
    ("ja", "lang"),
    [("存在しないことば", "en"), ("有害ごみ", "fr"), ("", "en"), ("有害ごみ", ""), ("ごみ", "en")],
)
def test_term_is_none_when_the_glossary_does_not_know(ja: str, lang: str):
    assert term(ja, lang) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the office wins over the category inside it; the category alone still counts where it stands alone
        ("粗大ごみは粗大ごみ受付センターに申し込みます", ["粗大ごみ受付センター", "粗大ごみ"]),
        ("可燃ごみ指定袋に入れてください", ["可燃ごみ指定袋"]),
        ("ｽﾌﾟﾚｰ缶とカセットボンベ", ["カセットボンベ", "スプレー缶"]),
        ("有害ゴミと有害ごみ", ["有害ごみ"]),  # each term once, in its official spelling
        ("今日はいい天気です", []),
        ("", []),
    ],
)
def test_terms_in_finds_the_longest_terms_without_overlap(text: str, expected: list[str]):
    assert [t.ja for t in terms_in(text)] == expected


def test_terms_in_orders_longest_first():
    found = terms_in("在留カードとマイナンバーカードと転出証明書を区役所の市民総合窓口課へ")
    assert [len(t.ja) for t in found] == sorted((len(t.ja) for t in found), reverse=True)
    assert {t.ja for t in found} == {"在留カード", "マイナンバーカード", "転出証明書", "区役所", "市民総合窓口課"}


def test_machine_translation_can_protect_the_glossary_terms():
    from translations.mt_glossary import Glossary

    protected = Glossary.from_entries(as_entries()).protect("有害ごみは透明な袋に入れます")
    assert [t.render("en") for t in protected.terms] == ["Hazardous waste (有害ごみ)", "Clear bag (透明な袋)"]


# ---- broken files name the file ------------------------------------------------------------------------------


def _entry(ja: str, **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"ja": ja, "kind": "item", **{lang: f"{ja} in {lang}" for lang in LANGUAGES}}
    entry.update(changes)
    return {k: v for k, v in entry.items() if v is not None}


def _write(directory: Path, name: str, content: object) -> Path:
    path = directory / name
    text = content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_duplicate_terms_across_files_name_both_files(tmp_path: Path):
    _write(tmp_path, "a.yaml", [_entry("有害ごみ")])
    _write(tmp_path, "b.yaml", [_entry("ゆうがいゴミ"), _entry("有害ゴミ")])
    with pytest.raises(DuplicateTermError) as raised:
        load_glossary(tmp_path)
    assert raised.value.path.name == "b.yaml"
    assert "a.yaml" in str(raised.value) and "有害ゴミ" in str(raised.value)


@pytest.mark.parametrize(("lang", "value"), [("ne", None), ("ja-easy", None), ("en", "  "), ("zh", 5)])
def test_a_missing_rendering_names_the_file_term_and_language(tmp_path: Path, lang: str, value: object):
    _write(tmp_path, "items.yaml", [_entry("スプレー缶"), _entry("ライター", **{lang: value})])
    with pytest.raises(MissingRenderingError) as raised:
        load_glossary(tmp_path)
    assert raised.value.path.name == "items.yaml"
    assert "ライター" in str(raised.value) and lang in str(raised.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"ja": "有害ごみ"}, "must be a list"),
        ("- ja: [unclosed\n", "cannot read"),
        ([{"kind": "item", "en": "x"}], "no Japanese term"),
        ([_entry("有害ごみ", kind="garbage")], "kind 'garbage'"),
        ([_entry("有害ごみ", ja_easy="ゆうがいごみ")], "unknown keys ['ja_easy']"),
    ],
)
def test_malformed_files_raise_a_typed_error_naming_the_file(tmp_path: Path, content: object, message: str):
    _write(tmp_path, "bad.yaml", content)
    with pytest.raises(GlossaryError) as raised:
        load_glossary(tmp_path)
    assert raised.value.path.name == "bad.yaml"
    assert message in str(raised.value)


def test_an_empty_folder_is_an_error(tmp_path: Path):
    with pytest.raises(GlossaryError, match="no glossary files"):
        load_glossary(tmp_path)


# ---- curated content uses the glossary -----------------------------------------------------------------------


@cache
def _japanese_sources() -> dict[str, str]:
    """Official Japanese text per entry: 'categories.<id>' -> name + how, 'faq.<id>' -> answer."""
    faq = yaml.safe_load((GARBAGE_DIR / "faq.yaml").read_text(encoding="utf-8"))
    sources = {f"categories.{c['id']}": f"{c['name']}\n{c['how']}" for c in CATEGORIES}
    sources.update({f"faq.{f['id']}": f["answer"] for f in faq})
    return sources


def _checked_terms(entry: str) -> list[GlossaryTerm]:
    return [t for t in terms_in(_japanese_sources()[entry]) if t.kind in CHECKED_KINDS]


@cache
def _curated(lang: str) -> dict[str, Any] | None:
    path = I18N_DIR / f"{lang}.yaml"
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _translated_text(lang: str, entry: str) -> str:
    section, entry_id = entry.split(".", 1)
    value = ((_curated(lang) or {}).get(section) or {}).get(entry_id)
    if not isinstance(value, dict):
        return ""
    fields = ("name", "how") if section == "categories" else ("answer",)
    body = value.get(fields[-1])
    if not isinstance(body, str) or not body.strip():
        return ""
    return "\n".join(str(value[f]) for f in fields if isinstance(value.get(f), str))


def _plain(text: str) -> str:
    return _FURIGANA.sub("", unicodedata.normalize("NFKC", text))


def _match_form(text: str) -> str:
    return _SEPARATORS.sub("", match_key(_plain(text)).casefold())


def _accepted_forms(entry: GlossaryTerm, lang: str) -> set[str]:
    """The rendering, each part in or out of parentheses ("Oversized waste (bulky waste)"), the Japanese term."""
    rendering = _plain(entry.get(lang) or "")
    parts = [rendering, *re.split(r"[()]", rendering), entry.ja]
    return {form for part in parts if len(form := _match_form(part)) >= 2}


@cache
def _sub_terms(ja: str) -> tuple[GlossaryTerm, ...]:
    """The largest glossary terms inside a compound (可燃ごみ指定袋 -> 可燃ごみ, 指定袋) if they cover 2/3 of it."""
    key = match_key(ja)
    inside = [t for t in TERMS if t.ja != ja and len(match_key(t.ja)) >= 2 and match_key(t.ja) in key]
    largest = [t for t in inside if not any(o is not t and match_key(t.ja) in match_key(o.ja) for o in inside)]
    covered = sum(len(match_key(t.ja)) for t in largest)
    return tuple(largest) if largest and covered * 3 >= len(key) * 2 else ()


def _uses(text: str, entry: GlossaryTerm, lang: str) -> bool:
    target = _match_form(text)
    if any(form in target for form in _accepted_forms(entry, lang)):
        return True
    # an enumeration (木の枝・刈り草・葉) is used when each of its items is: "branches, cut grass and leaves"
    if "・" in entry.ja:
        items = [_match_form(item) for item in _LIST_ITEMS.split(_plain(entry.get(lang) or ""))]
        if all(item in target for item in items if item):
            return True
    # a compound (家電リサイクル法の対象) is used when its parts are: "under the ... Law (家電リサイクル法)"
    parts = _sub_terms(entry.ja)
    return bool(parts) and all(_uses(text, part, lang) for part in parts)


def test_the_consistency_check_has_something_to_check():
    assert sum(len(_checked_terms(entry)) for entry in _japanese_sources()) >= 50


@pytest.mark.parametrize("entry", sorted(_japanese_sources()))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_curated_content_uses_the_glossary_rendering(lang: str, entry: str):
    path = I18N_DIR / f"{lang}.yaml"
    assert _curated(lang) is not None, f"{path.relative_to(ROOT)} does not exist yet"
    text = _translated_text(lang, entry)
    assert text, f"{path.name} has no curated text for {entry}"
    missing = [t for t in _checked_terms(entry) if not _uses(text, t, lang)]
    assert not missing, f"{lang} {entry}: " + "; ".join(
        f"{t.ja} should appear as {t.get(lang)!r} or {t.ja!r}" for t in missing
    )
