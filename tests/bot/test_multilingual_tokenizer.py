"""MultilingualTokenizer: tokens and exact offsets per script, the Japanese part reused, config checks, persistence."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.japanese_tokenizer import DICTIONARY_FILE, JapaneseTokenizer
from bot.components.multilingual_tokenizer import MultilingualTokenizer


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def make_tokenizer(tmp_path: Path, **config: object) -> MultilingualTokenizer:
    return MultilingualTokenizer.create(
        {**MultilingualTokenizer.get_default_config(), **config},
        LocalModelStorage(tmp_path),
        Resource("tok"),
        context(),
    )


def tokenize(tokenizer: MultilingualTokenizer | JapaneseTokenizer, text: str):
    return tokenizer.tokenize(Message(data={TEXT: text}), TEXT)


@pytest.mark.parametrize(
    ("text", "expected_tokens", "expected_offsets"),
    [
        # Japanese (kana present): fugashi morphemes, punctuation kept as the Japanese tokenizer does.
        ("スプレー缶は何ごみ？", ["スプレー", "缶", "は", "何", "ごみ", "？"], [0, 4, 5, 6, 7, 9]),
        # Kanji next to kana in the same message stays Japanese, also across spaces.
        (
            "中央区 青葉町の\u3000可燃ごみはいつ？",
            ["中央", "区", "青葉", "町", "の", "可燃", "ごみ", "は", "いつ", "？"],
            [0, 2, 4, 6, 7, 9, 11, 13, 14, 16],
        ),
        # Simplified Chinese (Han without kana): one token per character, punctuation dropped.
        ("喷雾罐怎么扔？", ["喷", "雾", "罐", "怎", "么", "扔"], [0, 1, 2, 3, 4, 5]),
        ("我住在Aoba-cho，青叶町", ["我", "住", "在", "Aoba-cho", "青", "叶", "町"], [0, 1, 2, 3, 12, 13, 14]),
        # Korean: words between spaces, the particle stays on its word (as Koreans write it).
        ("스프레이 캔은 어떻게 버려요?", ["스프레이", "캔은", "어떻게", "버려요"], [0, 5, 8, 12]),
        # Nepali: vowel signs and virama stay inside the word; the danda is punctuation.
        ("स्प्रे क्यान कसरी फाल्ने? धन्यवाद।", ["स्प्रे", "क्यान", "कसरी", "फाल्ने", "धन्यवाद"], [0, 7, 13, 18, 26]),
        # Vietnamese with tone marks.
        ("Bình xịt vứt thế nào?", ["Bình", "xịt", "vứt", "thế", "nào"], [0, 5, 9, 13, 17]),
        # Tagalog hyphenated verbs, English contractions and phone numbers are one word each.
        ("Paano i-recycle ang lata?", ["Paano", "i-recycle", "ang", "lata"], [0, 6, 16, 20]),
        ("I don't know - call 043-302-5374.", ["I", "don't", "know", "call", "043-302-5374"], [0, 2, 8, 15, 20]),
        # Spanish/Portuguese punctuation around words.
        ("¿Cómo tiro una sartén?", ["Cómo", "tiro", "una", "sartén"], [1, 6, 11, 15]),
        ("Onde jogo garrafas PET?!", ["Onde", "jogo", "garrafas", "PET"], [0, 5, 10, 19]),
        # Mixed: an English question naming the Japanese term; the Japanese chunk goes to fugashi.
        ("Where do 粗大ごみ go?", ["Where", "do", "粗大", "ごみ", "go"], [0, 6, 9, 11, 14]),
        # Kanji-only text cannot be told from Chinese by script: per character (documented limit).
        ("青葉町", ["青", "葉", "町"], [0, 1, 2]),
        ("  hello   world  ", ["hello", "world"], [2, 10]),
    ],
)
def test_tokens_and_offsets(tmp_path: Path, text: str, expected_tokens: list[str], expected_offsets: list[int]) -> None:
    tokens = tokenize(make_tokenizer(tmp_path), text)

    assert [t.text for t in tokens] == expected_tokens
    assert [t.start for t in tokens] == expected_offsets
    assert all(text[t.start : t.end] == t.text for t in tokens)


@pytest.mark.parametrize(
    "text",
    ["スプレー缶は何ごみ？", "PCとiPhoneを捨てたい😀", "ＬＥＤ電球は？", "改行\nあり", "燃えないごみの日はいつ"],
)
def test_japanese_matches_the_japanese_tokenizer(tmp_path: Path, text: str) -> None:
    japanese = JapaneseTokenizer.create(
        JapaneseTokenizer.get_default_config(), LocalModelStorage(tmp_path / "ja"), Resource("ja"), context()
    )
    expected = [(t.text, t.start, t.end, t.lemma, t.data) for t in tokenize(japanese, text)]

    assert [(t.text, t.start, t.end, t.lemma, t.data) for t in tokenize(make_tokenizer(tmp_path), text)] == expected


@pytest.mark.parametrize(
    ("text", "surface", "lemma"),
    [
        ("ゴミの日", "ゴミ", "塵"),  # Japanese: UniDic lemma
        (unicodedata.normalize("NFD", "Bình xịt"), unicodedata.normalize("NFD", "xịt"), "xịt"),  # composed
        ("ＰＥＴ bottle", "ＰＥＴ", "PET"),  # full-width Latin outside Japanese text
    ],
)
def test_lemmas_are_normalised(tmp_path: Path, text: str, surface: str, lemma: str) -> None:
    tokens = {t.text: t for t in tokenize(make_tokenizer(tmp_path), text)}

    assert tokens[surface].lemma == lemma


def test_use_lemma_false_keeps_surface(tmp_path: Path) -> None:
    tokens = tokenize(make_tokenizer(tmp_path, use_lemma=False), "ゴミを捨てました ＰＥＴ")

    assert [t.lemma for t in tokens] == [t.text for t in tokens]


@pytest.mark.parametrize("text", ["", "   \u3000 ", "?!。、"])
def test_blank_or_punctuation_gives_no_tokens(tmp_path: Path, text: str) -> None:
    assert tokenize(make_tokenizer(tmp_path), text) == []


@pytest.mark.parametrize(("key", "value"), [("use_lemma", "yes"), ("intent_split_symbol", 1), ("token_pattern", 3)])
def test_wrong_option_type_names_the_key(tmp_path: Path, key: str, value: object) -> None:
    with pytest.raises(InvalidConfigException, match=key):
        make_tokenizer(tmp_path, **{key: value})


def test_training_data_is_tokenized(tmp_path: Path) -> None:
    messages = [
        Message(data={TEXT: "How do I throw away a frying pan?", "intent": "ask_garbage_item"}),
        Message(data={TEXT: "平底锅怎么扔", "intent": "ask_garbage_item"}),
    ]
    make_tokenizer(tmp_path).process_training_data(TrainingData(messages))

    assert [t.text for t in messages[0].get(TOKENS_NAMES[TEXT])][-2:] == ["frying", "pan"]
    assert [t.text for t in messages[1].get(TOKENS_NAMES[TEXT])][:3] == ["平", "底", "锅"]


def test_persist_delete_load_round_trip(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("multilingual_tokenizer")
    config = MultilingualTokenizer.get_default_config()
    tokenizer = MultilingualTokenizer.create(config, storage, resource, context())
    text = "スプレー缶 / spray can / 喷雾罐 / 스프레이 캔"
    before = tokenize(tokenizer, text)

    assert tokenizer.train(TrainingData()) == resource
    with storage.read_from(resource) as directory:
        assert (directory / DICTIONARY_FILE).is_file()  # the Japanese dictionary fingerprint
    del tokenizer

    loaded = MultilingualTokenizer.load(config, storage, resource, context())
    after = tokenize(loaded, text)
    assert [(t.text, t.start, t.end, t.lemma, t.data) for t in after] == [
        (t.text, t.start, t.end, t.lemma, t.data) for t in before
    ]


def test_load_warns_when_trained_with_another_dictionary(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("multilingual_tokenizer")
    with storage.write_to(resource) as directory:
        (directory / DICTIONARY_FILE).write_text('{"dictionary": "unidic", "version": 1, "size": 1}')

    with pytest.warns(UserWarning, match="retrain"):
        MultilingualTokenizer.load(MultilingualTokenizer.get_default_config(), storage, resource, context())
