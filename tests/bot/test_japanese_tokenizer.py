"""JapaneseTokenizer: tokens, offsets, lemmas, config validation, persistence and a trained smoke pipeline."""

from __future__ import annotations

import json
import subprocess
import sys
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

SMOKE_CONFIG = Path(__file__).parent / "configs" / "tokenizer_smoke.yml"


def make_tokenizer(tmp_path: Path, **config: object) -> JapaneseTokenizer:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    return JapaneseTokenizer.create(
        {**JapaneseTokenizer.get_default_config(), **config}, storage, Resource("tokenizer"), context
    )


def tokenize(tokenizer: JapaneseTokenizer, text: str):
    return tokenizer.tokenize(Message(data={TEXT: text}), TEXT)


@pytest.mark.parametrize(
    ("text", "expected_tokens", "expected_offsets"),
    [
        ("スプレー缶は何ごみ？", ["スプレー", "缶", "は", "何", "ごみ", "？"], [0, 4, 5, 6, 7, 9]),
        # Half-width and full-width spaces are skipped but still counted in the offsets.
        (
            "中央区 青葉町の\u3000可燃ごみはいつ？",
            ["中央", "区", "青葉", "町", "の", "可燃", "ごみ", "は", "いつ", "？"],
            [0, 2, 4, 6, 7, 9, 11, 13, 14, 16],
        ),
        ("PCとiPhoneを捨てたい😀", ["PC", "と", "iPhone", "を", "捨て", "たい", "😀"], [0, 2, 3, 9, 10, 12, 14]),
        ("  ソファを捨てたい ", ["ソファ", "を", "捨て", "たい"], [2, 5, 6, 8]),
        ("ＬＥＤ電球は？", ["ＬＥＤ", "電球", "は", "？"], [0, 3, 5, 6]),
        ("改行\nあり", ["改行", "あり"], [0, 3]),
    ],
)
def test_tokens_and_offsets(tmp_path: Path, text: str, expected_tokens: list[str], expected_offsets: list[int]) -> None:
    tokens = tokenize(make_tokenizer(tmp_path), text)

    assert [t.text for t in tokens] == expected_tokens
    assert [t.start for t in tokens] == expected_offsets
    # Every token is the exact slice of the original text it claims to be.
    assert all(text[t.start : t.end] == t.text for t in tokens)


@pytest.mark.parametrize(
    ("text", "surface", "lemma"),
    [
        ("スプレー缶", "スプレー", "スプレー"),  # UniDic "スプレー-spray": origin suffix dropped
        ("ペットボトルのキャップ", "キャップ", "キャップ"),  # "キャップ-cap（帽子）"
        ("ゴミの日", "ゴミ", "塵"),  # ゴミ/ごみ/塵 share one lemma
        ("燃えないごみ", "ごみ", "塵"),
        ("捨てました", "捨て", "捨てる"),  # inflected verb -> dictionary form
        ("ＬＥＤ電球", "ＬＥＤ", "LED"),  # full-width Latin normalised (NFKC)
        ("iPhoneの電池", "iPhone", "iPhone"),  # unknown word: the surface itself
    ],
)
def test_lemmas(tmp_path: Path, text: str, surface: str, lemma: str) -> None:
    tokens = {t.text: t for t in tokenize(make_tokenizer(tmp_path), text)}

    assert tokens[surface].lemma == lemma


def test_use_lemma_false_keeps_surface(tmp_path: Path) -> None:
    tokens = tokenize(make_tokenizer(tmp_path, use_lemma=False), "ゴミを捨てました")

    assert [t.lemma for t in tokens] == [t.text for t in tokens]


@pytest.mark.parametrize(
    ("text", "surface", "reading", "pos"),
    [
        ("缶は何ごみ", "缶", "カン", "名詞"),
        ("可燃ごみ", "可燃", "カネン", "名詞"),
        ("捨てたい", "捨て", "ステ", "動詞"),
        ("ごみは", "は", "ハ", "助詞"),
    ],
)
def test_reading_and_pos(tmp_path: Path, text: str, surface: str, reading: str, pos: str) -> None:
    tokens = {t.text: t for t in tokenize(make_tokenizer(tmp_path), text)}

    assert tokens[surface].get("reading") == reading
    assert tokens[surface].get("pos") == pos


@pytest.mark.parametrize(
    ("key", "value"),
    [("use_lemma", "yes"), ("intent_split_symbol", 1), ("token_pattern", 3), ("intent_tokenization_flag", "no")],
)
def test_wrong_option_type_names_the_key(tmp_path: Path, key: str, value: object) -> None:
    with pytest.raises(InvalidConfigException, match=key):
        make_tokenizer(tmp_path, **{key: value})


def test_blank_text_gives_no_tokens(tmp_path: Path) -> None:
    assert tokenize(make_tokenizer(tmp_path), " \u3000 ") == []


def test_training_data_is_tokenized(tmp_path: Path) -> None:
    message = Message(data={TEXT: "粗大ごみの申し込み", "intent": "ask_bulky_waste"})
    make_tokenizer(tmp_path).process_training_data(TrainingData([message]))

    assert [t.text for t in message.get(TOKENS_NAMES[TEXT])][:2] == ["粗大", "ごみ"]


def test_persist_delete_load_round_trip(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("japanese_tokenizer")
    context = ExecutionContext(GraphSchema({}), "test")
    config = JapaneseTokenizer.get_default_config()
    tokenizer = JapaneseTokenizer.create(config, storage, resource, context)
    before = tokenize(tokenizer, "スプレー缶は何ごみ？")

    assert tokenizer.train(TrainingData()) == resource
    with storage.read_from(resource) as directory:
        assert (directory / DICTIONARY_FILE).is_file()
    del tokenizer

    loaded = JapaneseTokenizer.load(config, storage, resource, context)
    after = tokenize(loaded, "スプレー缶は何ごみ？")
    assert [(t.text, t.start, t.end, t.lemma, t.data) for t in after] == [
        (t.text, t.start, t.end, t.lemma, t.data) for t in before
    ]


def test_load_warns_when_trained_with_another_dictionary(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("japanese_tokenizer")
    context = ExecutionContext(GraphSchema({}), "test")
    with storage.write_to(resource) as directory:
        (directory / DICTIONARY_FILE).write_text('{"dictionary": "unidic", "version": 1, "size": 1}')

    with pytest.warns(UserWarning, match="retrain"):
        JapaneseTokenizer.load(JapaneseTokenizer.get_default_config(), storage, resource, context)


def test_load_without_stored_resource_still_works(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = JapaneseTokenizer.load(JapaneseTokenizer.get_default_config(), storage, Resource("missing"), context)

    assert [t.text for t in tokenize(tokenizer, "青葉町")] == ["青葉", "町"]


SMOKE_NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - こんにちは
    - こんばんは
    - おはようございます
    - はじめまして
- intent: ask_garbage_item
  examples: |
    - スプレー缶は何ごみ？
    - 傘の捨て方
    - ソファを捨てたい
    - 電池は何ごみですか
"""

PARSE_SCRIPT = """
import asyncio, json, sys
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
result = asyncio.run(agent.parse_message(sys.argv[2]))
print(json.dumps({"intent": result["intent"]["name"], "tokens": result.get("text_tokens", [])}))
"""


def test_smoke_pipeline_trains_and_parses(tmp_path: Path, rasa_bin: Path, rasa_env: dict[str, str]) -> None:
    nlu_file = tmp_path / "nlu.yml"
    nlu_file.write_text(SMOKE_NLU, encoding="utf-8")
    train = subprocess.run(
        [str(rasa_bin), "train", "nlu", "--config", str(SMOKE_CONFIG), "--nlu", str(nlu_file),
         "--out", str(tmp_path / "models"), "--fixed-model-name", "smoke"],
        cwd=tmp_path, env=rasa_env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert train.returncode == 0, train.stdout[-2000:] + train.stderr[-2000:]
    model = tmp_path / "models" / "smoke.tar.gz"
    assert model.is_file()

    parse = subprocess.run(
        [sys.executable, "-c", PARSE_SCRIPT, str(model), "スプレー缶の捨て方を教えて"],
        cwd=tmp_path, env=rasa_env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert parse.returncode == 0, parse.stderr[-2000:]
    parsed = json.loads(parse.stdout.strip().splitlines()[-1])
    assert parsed["intent"] == "ask_garbage_item"
    assert parsed["tokens"][:2] == [[0, 4], [4, 5]]  # スプレー / 缶, offsets from the served model
