"""Spellings a resident types must meet the spelling in the data."""

from __future__ import annotations

import pytest

from knowledge_base.core.normalize import loosen, normalize, variants


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("ｽﾌﾟﾚｰ缶", "スプレー缶"),  # half-width katakana
        ("スプレーかん", "すぷれーかん"),  # mixed katakana/hiragana vs the reading
        ("スプレーーー缶", "スプレー缶"),  # repeated long vowel
        ("スプレ〜缶", "スプレー缶"),  # wave dash as long vowel
        ("スプレ－缶", "スプレー缶"),  # full-width hyphen as long vowel
        ("ぺっとぼとる", "ペットボトル"),
        ("ペット ボトル", "ペットボトル"),  # space inside
        ("ペット　ボトル", "ペットボトル"),  # ideographic space
        ("ＰＥＴボトル", "PETボトル"),  # full-width Latin
        ("pet bottle", "PET Bottle"),
        ("乾電池。", "乾電池"),  # trailing punctuation
        ("「蛍光灯」", "蛍光灯"),
        ("ゴミ", "ごみ"),
        ("松ヶ丘", "松ケ丘"),  # small ke in place names
        ("ﾃｨｯｼｭ", "ティッシュ"),
    ],
)
def test_spellings_meet(typed: str, written: str) -> None:
    assert normalize(typed) == normalize(written)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("スプレー缶", "スプレ缶"),
        ("ペットボトル", "ぺつとぼとる"),
        ("バイオリン", "ヴァイオリン"),
        ("ティッシュ", "テイッシュ"),
    ],
)
def test_loose_forms_meet(a: str, b: str) -> None:
    assert normalize(a) != normalize(b)
    assert loosen(normalize(a)) == loosen(normalize(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [("スプレー缶", "ライター"), ("かん", "かさ"), ("電池", "電球"), ("びん", "缶")],
)
def test_different_things_stay_different(a: str, b: str) -> None:
    assert loosen(normalize(a)) != loosen(normalize(b))


@pytest.mark.parametrize("text", ["", "   ", "？！。", "・・・"])
def test_empty_and_punctuation_only(text: str) -> None:
    assert normalize(text) == ""
    assert variants(text) == []


def test_variants_start_with_the_normal_form_and_have_no_duplicates() -> None:
    forms = variants("スプレー缶")
    assert forms[0] == normalize("スプレー缶")
    assert "すぷれ缶" in forms
    assert len(forms) == len(set(forms))
