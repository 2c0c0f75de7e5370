"""The reply catalogue: every template the actions use exists and renders; languages fall back to Japanese."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from translations import messages
from translations.messages import MissingPlaceholder, UnknownMessageKey, catalogue, render

ACTIONS_DIR = Path(__file__).resolve().parents[2] / "actions"
USED_KEYS = sorted(
    {key for path in ACTIONS_DIR.rglob("*.py") for key in re.findall(r'render\(\s*"([a-z_]+)"', path.read_text())}
    | {"item_next_collection", "item_next_collection_no_deadline"}  # chosen by a conditional expression
)


@pytest.mark.parametrize("key", USED_KEYS)
def test_every_key_the_actions_use_is_in_japanese(key: str) -> None:
    assert key in catalogue("ja")


@pytest.mark.parametrize("key", sorted(catalogue("ja")))
def test_every_japanese_template_renders(key: str) -> None:
    fields = {name for _, name, _, _ in string.Formatter().parse(catalogue("ja")[key]) if name}
    text = render(key, "ja", **{name: f"<{name}>" for name in fields})
    assert text.strip()
    assert "{" not in text


@pytest.mark.parametrize("lang", ["ja", "xx", "../ja", "JA", "", "ja-JP"])
def test_unknown_languages_fall_back_to_japanese(lang: str) -> None:
    assert render("item_found", lang, item="スプレー缶", category="有害ごみ") == "「スプレー缶」は「有害ごみ」です。"


@pytest.mark.parametrize("lang", ["../messages/ja", "ja/../../x", "ja.yml"])
def test_language_codes_cannot_name_other_files(lang: str) -> None:
    assert messages.has_language(lang) is False


def test_unknown_key_is_a_typed_error() -> None:
    with pytest.raises(UnknownMessageKey):
        render("no_such_message")


def test_missing_placeholder_names_the_key() -> None:
    with pytest.raises(MissingPlaceholder, match="item_found"):
        render("item_found", item="スプレー缶")


@pytest.mark.parametrize("key", ["item_inferred", "item_not_found", "fallback", "kb_unavailable", "bulky_not_found"])
def test_replies_that_send_residents_elsewhere_give_the_phone(key: str) -> None:
    assert "043-204-5380" in render(key, query="x", phone="043-204-5380", capabilities="・…")
