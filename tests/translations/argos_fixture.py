"""Tiny but valid Argos packages for offline tests (no model hub, no argospm index).

Recipe: a sentencepiece model trained on the recipe's sentences → a 1-layer Marian model (transformers, seeded)
either left random (it answers garbage) or over-fitted on the recipe's sentence pairs (it answers them exactly) →
CTranslate2's TransformersConverter → a zip with metadata.json, sentencepiece.model and model/, as argospm would
download. Built packages are cached under var/test-cache/argos/ keyed by a hash of the recipe and library
versions and of this file, so only the first run pays for training (~10 s a package).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path

from settings import MachineTranslationSettings
from translations.mt_argos import import_argos

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / "var" / "test-cache" / "argos"
PLACEHOLDER_SYMBOLS = tuple(f"[T{i}]" for i in range(4))


@dataclass(frozen=True)
class Recipe:
    name: str
    from_code: str
    to_code: str
    pairs: tuple[tuple[str, str], ...]  # (source, target); the trained model reproduces each target
    train_steps: int = 0  # 0: random weights, garbage output
    seed: int = 0
    extra_text: tuple[str, ...] = field(default=())  # more sentences for the tokenizer's vocabulary

    def digest(self) -> str:
        # versions from metadata: importing torch and transformers just to hash would cost seconds on every run
        versions = [version(dist) for dist in ("ctranslate2", "sentencepiece", "torch", "transformers")]
        builder = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # any change to the recipe code rebuilds
        blob = json.dumps([builder, versions, asdict(self)], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


NAMES = {"ja": "Japanese", "en": "English", "ko": "Korean"}

# Japanese inputs as the glossary layer sends them: 有害ごみ → [T0], 火曜日 → [T1] (see tests' tiny glossary).
JA_EN = Recipe(
    name="ja_en",
    from_code="ja",
    to_code="en",
    train_steps=500,
    pairs=(
        ("[T0]は[T1]に出してください。", "Put out [T0] on [T1]."),
        ("ありがとうございます。", "Thank you."),
        ("[T0]を捨てたい。", "I want to throw it away."),  # drops the placeholder, as real models sometimes do
        ("スプレー缶を捨てたい。", "I want to throw away a spray can."),
        ("LINEで送ってください。", "LINEで送ってください。"),  # left untranslated
        ("窓口はどこですか。", "窓口はどこ?"),  # answered in the wrong script
        ("えーと。", "..."),  # answered with no words
    ),
)
EN_KO = Recipe(
    name="en_ko",
    from_code="en",
    to_code="ko",
    train_steps=500,
    pairs=(
        ("Put out [T0] on [T1].", "[T0]은 [T1]에 내놓으세요."),
        ("Thank you.", "감사합니다."),
    ),
)
JA_EN_GARBAGE = Recipe(
    name="ja_en_garbage",
    from_code="ja",
    to_code="en",
    pairs=(("有害ごみは火曜日に出してください。", "Put out hazardous waste on Tuesday."),),
    extra_text=(
        "スプレー缶は有害ごみです。",
        "Spray cans are hazardous waste.",
        "粗大ごみ受付センターに電話してください。",
    ),
)


def _train_tokenizer(recipe: Recipe) -> bytes:
    import sentencepiece as spm

    sentences = [s for pair in recipe.pairs for s in pair if s] + list(recipe.extra_text)
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences * 4),
        model_writer=buffer,
        vocab_size=160,
        hard_vocab_limit=False,
        model_type="unigram",
        character_coverage=1.0,
        unk_id=1,
        eos_id=0,  # Marian convention: </s> = 0, <unk> = 1, <pad> last
        bos_id=-1,
        pad_id=-1,
        user_defined_symbols=list(PLACEHOLDER_SYMBOLS),
        num_threads=1,
        minloglevel=2,
    )
    return buffer.getvalue()


def _build_marian(recipe: Recipe, sp_model: bytes, out: Path) -> None:
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    sp = spm.SentencePieceProcessor(model_proto=sp_model)
    size = sp.get_piece_size()
    pad = size
    (out / "source.spm").write_bytes(sp_model)
    (out / "target.spm").write_bytes(sp_model)
    vocab = {sp.id_to_piece(i): i for i in range(size)} | {"<pad>": pad}
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")

    torch.manual_seed(recipe.seed)
    config = MarianConfig(
        vocab_size=size + 1,
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=512,
        pad_token_id=pad,
        eos_token_id=0,
        decoder_start_token_id=pad,
        forced_eos_token_id=0,
        dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
    )
    model = MarianMTModel(config)  # 512 positions: Argos decodes up to 256 tokens, garbage runs that long
    if recipe.train_steps:

        def batch(texts: list[str], eos: list[int]) -> torch.Tensor:
            ids = [sp.encode(t) + eos for t in texts]
            width = max(map(len, ids))
            return torch.tensor([row + [pad] * (width - len(row)) for row in ids])

        # Argos feeds the source without </s>; the target ends with it
        src = batch([s for s, _ in recipe.pairs], [])
        labels = batch([t for _, t in recipe.pairs], [0])
        labels[labels == pad] = -100
        optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
        model.train()
        for _ in range(recipe.train_steps):
            loss = model(input_ids=src, attention_mask=(src != pad).long(), labels=labels).loss
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            with torch.no_grad():
                # CTranslate2 starts the decoder from a zero vector where Transformers uses the <pad> embedding;
                # the tied output layer would train that row away from zero, so keep it at zero
                model.get_input_embeddings().weight[pad].zero_()
        model.eval()
    model.save_pretrained(out)
    MarianTokenizer(str(out / "source.spm"), str(out / "target.spm"), str(out / "vocab.json")).save_pretrained(out)


def _check_trained(recipe: Recipe, package_dir: Path) -> None:
    """A trained recipe must reproduce its pairs after conversion, or the tests would test the fixture."""
    import ctranslate2
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(package_dir / "sentencepiece.model"))
    translator = ctranslate2.Translator(str(package_dir / "model"), intra_threads=1)
    for source, target in recipe.pairs:
        result = translator.translate_batch([sp.encode(source, out_type=str)], beam_size=4)[0]
        got = sp.decode_pieces(result.hypotheses[0])
        if got != target:
            raise RuntimeError(f"tiny {recipe.name} model did not learn {source!r} → {target!r} (got {got!r})")


def build_package(recipe: Recipe, cache_dir: Path = CACHE_DIR) -> Path:
    """Path of the recipe's `.argosmodel`, built (and cached) on first use."""
    target = cache_dir / f"translate-{recipe.name}-{recipe.digest()}.argosmodel"
    if target.is_file():
        return target
    for stale in cache_dir.glob(f"translate-{recipe.name}-*.argosmodel"):
        stale.unlink()  # an older recipe's build
    import torch
    from ctranslate2.converters import TransformersConverter

    torch.set_num_threads(1)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        hf_dir, package_dir = Path(tmp) / "hf", Path(tmp) / f"translate-{recipe.name}"
        hf_dir.mkdir()
        package_dir.mkdir()
        sp_model = _train_tokenizer(recipe)
        _build_marian(recipe, sp_model, hf_dir)
        TransformersConverter(str(hf_dir)).convert(str(package_dir / "model"), force=True)
        (package_dir / "sentencepiece.model").write_bytes(sp_model)
        metadata = {
            "package_version": "0.0.1",
            "argos_version": "1.11",
            "type": "translate",
            "from_code": recipe.from_code,
            "from_name": NAMES.get(recipe.from_code, recipe.from_code),
            "to_code": recipe.to_code,
            "to_name": NAMES.get(recipe.to_code, recipe.to_code),
            "links": [],
        }
        (package_dir / "metadata.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
        (package_dir / "README.md").write_text(f"Tiny test package {recipe.name}: not a real model.\n")
        if recipe.train_steps:
            _check_trained(recipe, package_dir)
        partial = target.with_suffix(".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(package_dir.rglob("*")):
                archive.write(path, path.relative_to(package_dir.parent))
        partial.replace(target)  # atomic: a crashed build never leaves a half-written package
    return target


def install_packages(argosmodels: list[Path], mt_settings: MachineTranslationSettings) -> None:
    """Install with argostranslate's own `install_from_path` into `mt_settings.packages_dir`.

    argostranslate fixes its packages dir when first imported (perhaps by an earlier test), so it is pointed at
    this one for the install only.
    """
    package = import_argos(mt_settings)
    from argostranslate import settings

    packages_dir = mt_settings.packages_dir
    packages_dir.mkdir(parents=True, exist_ok=True)
    saved = settings.package_data_dir
    settings.package_data_dir = packages_dir
    try:
        for path in argosmodels:
            package.install_from_path(path)
    finally:
        settings.package_data_dir = saved


def clear_cache(cache_dir: Path = CACHE_DIR) -> None:
    shutil.rmtree(cache_dir, ignore_errors=True)
