"""mask(): personal data out of stored free text, ordinary words kept."""

from __future__ import annotations

import pytest

from storage.privacy import mask, sender_key


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("電話は043-245-5750です", "電話は[phone]です"),
        ("09012345678に電話して", "[phone]に電話して"),
        ("call me at +81 90-1234-5678 please", "call me at [phone] please"),
        ("(043)245-5750", "[phone]"),
        ("０９０－１２３４－５６７８", "[phone]"),  # full-width digits and dash
        ("電話は０４３ー２４５ー５７５０", "電話は[phone]"),  # long-vowel mark typed as a dash
        ("taro.yamada+lib@example.co.jp に返信", "[email] に返信"),
        ("メールはhanako_99@mail.example.comです", "メールは[email]です"),
        ("my id U0123456789abcdef0123456789abcdef ok", "my id [line-id] ok"),
        ("〒260-8722 千葉市中央区千葉港1-1", "[postal] 千葉市中央区千葉港1-1"),
        ("郵便番号 263-0043", "郵便番号 [postal]"),
        ("利用者番号12345678の本", "利用者番号[number]の本"),
        ("カード 2901 を失くした", "カード [number] を失くした"),
    ],
)
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "図書館の本を返したい",
        "粗大ごみは何曜日ですか",
        "How do I get a library card?",
        "ごみ 3 袋 10時に出せる?",
        "Tôi muốn làm thẻ thư viện",
        "पुस्तकालय कार्ड कसरी बनाउने",
        "2階の窓口",
    ],
)
def test_ordinary_words_are_kept(text: str) -> None:
    assert mask(text) == text


def test_sender_key_is_salted_and_stable() -> None:
    user = "U0123456789abcdef0123456789abcdef"
    assert sender_key(user, "a") == sender_key(user, "a")
    assert sender_key(user, "a") != sender_key(user, "b")
    assert user not in sender_key(user, "a") and len(sender_key(user, "a")) == 64
