"""Speech recognition with faster-whisper and the multilingual Whisper base model (see scripts/prepare_whisper.py).

The model is loaded once per process, on the first recognition, and shared by the worker threads (CTranslate2
models are safe to call from several threads). Every call here blocks: the routes run them in the speech thread pool.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from importlib import util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from channels.speech.audio import SAMPLE_RATE
from channels.speech.errors import SpeechUnavailable
from settings import SpeechSettings
from translations import languages

if TYPE_CHECKING:
    import numpy as np
    from faster_whisper import WhisperModel

log = logging.getLogger("channels.speech")

# Whisper writes Chinese in traditional characters about as often as simplified; a simplified prompt tips it to the
# simplified script the assistant answers in (zh is Simplified in translations/languages.yaml).
_PROMPTS = {"zh": "以下是普通话的句子。"}


# Whisper's text window is 448 tokens, its prompt included. Nepali in Devanagari takes up to ~20 tokens per second of
# speech; 40 leaves room for any of the ten languages.
MAX_TOKENS = 220
TOKENS_BASE = 20
TOKENS_PER_SECOND = 40
# Whisper's own test for a decoding stuck in a loop (gzip compression ratio of the text; ordinary text is below 2).
MAX_COMPRESSION_RATIO = 2.4

# Letters of each script the reply languages are written in (translations/languages.yaml `script`).
_SCRIPTS: dict[str, re.Pattern[str]] = {
    "Latn": re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]"),
    "Jpan": re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]"),
    "Hans": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]"),
    "Hang": re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]"),
    "Deva": re.compile(r"[\u0900-\u097f]"),
}


def written_in(text: str, script: str) -> bool:
    """Whether most letters of `text` are in `script` (digits, punctuation and spaces do not count)."""
    pattern = _SCRIPTS.get(script)
    letters = [char for char in text if char.isalpha()]
    if pattern is None or not letters:
        return True
    return sum(1 for char in letters if pattern.match(char)) >= len(letters) / 2


@dataclass(frozen=True)
class Recognition:
    text: str
    lang: str  # a reply language code
    confidence: float  # 0..1
    seconds: float  # length of the audio
    elapsed: float  # compute seconds


def whisper_language(code: str) -> str:
    """The Whisper language of a reply language (ja-easy is spoken Japanese). Whisper's codes for the ten languages
    are the same ISO 639-1 codes the assistant uses (Tagalog is `tl` in both)."""
    return languages.get(code).base


def recognition_languages() -> tuple[str, ...]:
    return languages.codes()


def _confidence(segments: list[Any]) -> float:
    """Mean token probability, each segment weighted by its number of tokens."""
    weights = [max(len(segment.tokens), 1) for segment in segments]
    if not weights:
        return 0.0
    total = sum(math.exp(segment.avg_logprob) * weight for segment, weight in zip(segments, weights, strict=True))
    return max(0.0, min(1.0, total / sum(weights)))


class Recognizer:
    def __init__(self, settings: SpeechSettings) -> None:
        self.settings = settings
        self._model: WhisperModel | None = None
        self._lock = threading.Lock()

    def _source(self) -> str:
        """The folder to load, or a model name for faster-whisper to fetch (only with internet)."""
        name = self.settings.whisper_model
        looks_like_path = "/" in name or name.startswith(".") or Path(name).exists()
        if looks_like_path and not (Path(name) / "model.bin").is_file():
            raise SpeechUnavailable(
                "Speech recognition is not set up on this server (the Whisper model is missing: run `make whisper`).",
                message_ja="この端末では音声認識を利用できません（Whisper モデルがありません。"
                "`make whisper` を実行してください）。",
            )
        return name

    def unavailable_reason(self) -> str | None:
        """Why recognition cannot work, without loading anything; None when it can."""
        if util.find_spec("faster_whisper") is None:
            return "faster-whisper is not installed"
        try:
            self._source()
        except SpeechUnavailable as exc:
            return exc.message
        return None

    def model(self) -> WhisperModel:
        with self._lock:
            if self._model is None:
                source = self._source()
                try:
                    from faster_whisper import WhisperModel
                except ImportError as exc:
                    raise SpeechUnavailable("faster-whisper is not installed (requirements/services).") from exc
                started = time.perf_counter()
                self._model = WhisperModel(
                    source,
                    device="cpu",
                    compute_type=self.settings.compute_type,
                    cpu_threads=self.settings.threads,
                    # one CTranslate2 worker per speech thread, so parallel recognitions really run in parallel
                    num_workers=self.settings.workers,
                )
                log.info("Whisper model loaded from %s in %.1f s", source, time.perf_counter() - started)
            return self._model

    def recognize(self, audio: np.ndarray, lang: str | None) -> Recognition:
        """Text of 16 kHz mono `audio`; `lang` a reply language code, or None to let Whisper tell among the ten."""
        model = self.model()
        started = time.perf_counter()
        hint = whisper_language(lang) if lang else None
        segments, info = self._transcribe(model, audio, hint)
        language_probability = 1.0
        if hint is None:
            detected = languages.resolve(info.language)
            ten = languages.detectable()
            if detected not in ten:
                # Whisper heard a language the desk does not serve (often a wrong guess on a short clip): take the
                # likeliest of the ten and decode again in it.
                probs = [(p, code) for code, p in (info.all_language_probs or []) if code in ten]
                language_probability, detected = max(probs, default=(0.0, languages.detectable()[0]))
                segments, info = self._transcribe(model, audio, detected)
            else:
                language_probability = info.language_probability
            lang = detected
        confidence = _confidence(segments)
        if hint is None:
            confidence = min(confidence, language_probability)
        text = "".join(segment.text for segment in segments).strip()
        if any(segment.compression_ratio > MAX_COMPRESSION_RATIO for segment in segments):
            # A decoding loop ("mấy mấy mấy …", often with a high token probability) is not what was said.
            log.info("recognised text repeats itself; discarded")
            text, confidence = "", 0.0
        elif text and not written_in(text, languages.script(lang)):
            # Whisper base sometimes answers in another script (Nepali heard as Urdu): that is not the resident's
            # sentence, so the desk hears "nothing understood" rather than showing it.
            log.info("recognised text is not in the %s script; discarded", languages.script(lang))
            text, confidence = "", 0.0
        elapsed = time.perf_counter() - started
        assert lang is not None
        return Recognition(text, lang, round(confidence, 3), round(info.duration, 3), round(elapsed, 3))

    def _transcribe(self, model: WhisperModel, audio: np.ndarray, language: str | None) -> tuple[list[Any], Any]:
        segments, info = model.transcribe(
            audio,
            language=language,
            beam_size=self.settings.beam_size,
            # one utterance at a time: no timestamps, no text carried from an earlier window
            without_timestamps=True,
            condition_on_previous_text=False,
            initial_prompt=_PROMPTS.get(language or ""),
            # drop the silence before and after speech; a recording of silence gives no segments (text "")
            # instead of Whisper's typical hallucinations ("Thank you.", "ご視聴ありがとうございました")
            vad_filter=True,
            vad_parameters={"min_silence_duration_ms": 500, "speech_pad_ms": 300},
            # One decoding pass, no temperature fallback: a counter needs a quick answer, and the fallback passes
            # (up to five more) took 10 s on a 3 s clip without making poor audio readable.
            temperature=0.0,
            # A decoding stuck repeating a syllable stops here instead of filling 448 tokens (~30 s of compute).
            max_new_tokens=min(MAX_TOKENS, TOKENS_BASE + int(TOKENS_PER_SECOND * len(audio) / SAMPLE_RATE)),
        )
        return list(segments), info
