"""The garbage figures of the held-out set (bench/eval/garbage.yaml) stay where they were measured.

`python -m bench.garbage_accuracy` prints them; this test holds each at the measured value minus a stated margin, so a
change that makes the assistant confidently wrong more often, or finds fewer items, fails here. Margins: 2 points
overall; 6 points per language (a language has about 57 sentences: one sentence is 1.8 points; Japanese has 407).
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.garbage_accuracy import Figures, figures, load_eval

# Measured on the final tree of the issue-7 session (see the issue note for the command and the table).
TOP1 = {
    "ja": 0.91,
    "en": 0.93,
    "zh": 0.91,
    "ko": 0.96,
    "vi": 0.89,
    "tl": 0.96,
    "ne": 0.85,
    "pt": 0.87,
    "es": 0.92,
    "id": 0.98,
}
TOP1_ALL = 0.919  # 850 of 924 (dead animals, modifier-only names, mixed kana spellings, 2026-12-08; was 0.899 of 894)
CONFIDENT_WRONG_ALL = 0.0173  # 16 of 924 (was 31, then 23, 21, 20, 18, 17): the number to drive to zero, may not grow
MARGIN_ALL, MARGIN_LANG = 0.02, 0.06
UNKNOWN_CATEGORISED_MAX = 0  # measured 0 of 49 (was 1: "con trâu", a buffalo, read as trấu, rice husks)
OTHER_CITIES_MIN = 15  # of 17


@pytest.fixture(scope="module")
def result(real_kb: Any) -> Figures:
    return figures(load_eval(), lambda text, lang: real_kb.garbage.lookup_item(text, lang))


def test_the_right_category_comes_first_overall(result: Figures) -> None:
    total = result.total()
    assert total.top1 / total.n >= TOP1_ALL - MARGIN_ALL


@pytest.mark.parametrize("lang", sorted(TOP1))
def test_the_right_category_comes_first_in_each_language(result: Figures, lang: str) -> None:
    row = result.per_lang[lang]
    assert row.top1 / row.n >= TOP1[lang] - MARGIN_LANG, "\n".join(row.failures[:10])


def test_confidently_wrong_answers_do_not_grow(result: Figures) -> None:
    total = result.total()
    wrong = [line for row in result.per_lang.values() for line in row.failures if "WRONG" in line]
    assert total.confident_wrong / total.n <= CONFIDENT_WRONG_ALL + 0.002, "\n".join(wrong[:15])  # 2 sentences


def test_unknown_things_get_no_category(result: Figures) -> None:
    assert len(result.unknown_categorised) <= UNKNOWN_CATEGORISED_MAX, result.unknown_categorised


def test_other_cities_are_recognised(result: Figures) -> None:
    assert result.other_city_recognised >= OTHER_CITIES_MIN, result.other_city_missed


# ---- end to end (bench/garbage_accuracy.py --part e2e): the NLU's routing applied to lookups ----------------------


def _found(name: str, category: str, other_city: str | None = None, words: str = "", disposal: bool = False) -> Any:
    from types import SimpleNamespace

    from knowledge_base.garbage.service import ItemLookup

    item = SimpleNamespace(name=name, category=category)
    best = SimpleNamespace(item=item, matched=name, score=1.0)
    return ItemLookup(
        status="found",
        best=best,  # type: ignore[arg-type]
        method="exact",
        other_city=other_city,
        item_words=words or name,
        asks_disposal=disposal,
    )


@pytest.mark.parametrize(
    ("intent", "text", "answered"),
    [
        ("ask_garbage_item", "電池は何ごみ", True),  # a garbage intent asking how: the lookup is what the resident gets
        ("ask_garbage_item", "電池", True),  # a garbage intent, mostly the name
        ("ask_garbage_item", "電池の残量がすぐ減るスマホを買い替えたいけどおすすめは", False),  # asked first
        ("out_of_scope", "電池", True),  # the fallback claimed: the name is the whole message
        ("nlu_fallback", "電池", True),
        ("out_of_scope", "電池の残量がすぐ減るスマホを買い替えたいけどおすすめは", False),  # a small part: fallback
        ("out_of_scope", "古い電池を捨てたいんだけど近所のスーパーで回収してるかな", True),  # disposal word
        ("ask_smartphone", "電池", False),  # another domain's action gives no garbage answer
    ],
)
def test_end_to_end_answers_only_what_the_routing_reaches(intent: str, text: str, answered: bool) -> None:
    from bench.garbage_accuracy import end_to_end_lookup

    data = {"items": [{"lang": "ja", "text": text}]}
    lookup = lambda t, lang: _found("電池", "yugai", words=t, disposal="何ごみ" in t or "捨て" in t)  # noqa: E731
    reached = end_to_end_lookup({"items": [intent]}, data, lookup)(text, "ja")
    assert (reached.status == "found") is answered


def test_end_to_end_fallback_still_names_another_city() -> None:
    from bench.garbage_accuracy import end_to_end_lookup

    text = "船橋市の粗大ごみ"
    data = {"other_city": [{"lang": "ja", "text": text}]}
    lookup = lambda t, lang: _found("粗大ごみ", "sodai", other_city="船橋市")  # noqa: E731
    reached = end_to_end_lookup({"other_city": ["out_of_scope"]}, data, lookup)(text, "ja")
    assert reached.status == "not_found" and reached.other_city == "船橋市"
