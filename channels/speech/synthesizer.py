"""Speech output on the server, for browsers without a voice for the language (headless Chromium has none).

Japanese (and やさしい日本語) is spoken by pyopenjtalk-plus (dictionary and HTS voice in its wheel); zh ko vi ne pt es
id en by Debian's espeak-ng (scripts/ensure_speech.sh installs it). Nothing on this server speaks Tagalog: the
endpoint says so (422) rather than reading Tagalog with another language's rules.

Debian's espeak-ng Mandarin dictionary lacks most hanzi (it reads them as "character" plus a number), so Chinese is
turned into tone-numbered pinyin with pypinyin and spoken by espeak-ng's `cmn-latn-pinyin` voice; without pypinyin
there is no Chinese voice.

Every call here blocks: the routes run them in the speech thread pool.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from functools import cached_property
from importlib import util

from channels.speech.audio import read_wav_pcm, wav_bytes
from channels.speech.errors import NoVoice, SpeechUnavailable
from settings import SpeechSettings
from translations import languages

log = logging.getLogger("channels.speech")

PYOPENJTALK = "pyopenjtalk"
ESPEAK = "espeak-ng"
# Reply language -> espeak-ng voice. Portuguese and Spanish speakers in Chiba are mostly from Brazil and Latin America.
ESPEAK_VOICES: dict[str, str] = {
    "en": "en-us",
    "zh": "cmn-latn-pinyin",
    "ko": "ko",
    "vi": "vi",
    "ne": "ne",
    "pt": "pt-br",
    "es": "es-419",
    "id": "id",
}
JAPANESE = frozenset({"ja"})  # base languages pyopenjtalk speaks (ja-easy is a style of ja)
# Languages no engine here speaks: (English, Japanese) reason, shown next to a disabled button.
NO_VOICE: dict[str, tuple[str, str]] = {
    "tl": ("No voice for Tagalog.", "タガログ語の音声はありません。"),
}

# やさしい日本語 writes a reading after each kanji word: 住所（じゅうしょ）. Read aloud it would say the word twice.
_EASY_READING = re.compile(r"（[\u3041-\u309f\u30fc・\s]+）")
# Official Japanese terms in parentheses in the other languages: 재류카드(在留カード). The resident hears the word in
# their language; a non-Japanese voice reading kanji/kana would only make noise.
_JAPANESE_TERM = re.compile(r"\s?[（(][^（）()]*[\u3040-\u30ff\u4e00-\u9fff][^（）()]*[）)]")
_KANA = re.compile(r"[\u3040-\u30ff]+")
_HAN_OR_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Voice:
    lang: str  # reply language code
    engine: str | None  # PYOPENJTALK, ESPEAK or None (no voice)
    available: bool
    reason: str | None = None  # why not available (English)
    reason_ja: str | None = None

    def as_json(self) -> dict[str, object]:
        body: dict[str, object] = {"available": self.available, "engine": self.engine}
        if not self.available:
            body["reason"], body["reason_ja"] = self.reason, self.reason_ja
        return body


def speakable_text(text: str, lang: str) -> str:
    """What the voice of `lang` should read: readings and Japanese terms in parentheses removed, spaces collapsed."""
    base = languages.get(lang).base
    if base in JAPANESE:
        text = _EASY_READING.sub("", text)
    else:
        text = _JAPANESE_TERM.sub("", text)
        # Chinese keeps its hanzi (they are Chinese); any other language drops leftover Japanese script
        text = _KANA.sub(" ", text) if base == "zh" else _HAN_OR_KANA.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def to_pinyin(text: str) -> str:
    """Hanzi as tone-numbered pinyin for espeak-ng's cmn-latn-pinyin voice (neutral tone as 5); the rest unchanged."""
    from pypinyin import Style, lazy_pinyin

    return " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))


class Synthesizer:
    def __init__(self, settings: SpeechSettings) -> None:
        self.settings = settings
        self._jtalk_lock = threading.Lock()  # OpenJTalk keeps one global engine: one sentence at a time
        self._voices_lock = threading.Lock()

    @cached_property
    def _espeak_voices(self) -> frozenset[str]:
        """Voice names this espeak-ng has (empty when it is not installed). Asked once per process."""
        program = shutil.which(self.settings.espeak)
        if program is None:
            return frozenset()
        try:
            listing = subprocess.run(
                [program, "--voices"], capture_output=True, check=True, timeout=10, text=True
            ).stdout
        except (OSError, subprocess.SubprocessError):
            log.warning("espeak-ng --voices failed; no espeak-ng voices")
            return frozenset()
        names = set()
        for line in listing.splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 2:
                names.add(fields[1].lower())
        return frozenset(names)

    def espeak_voices(self) -> frozenset[str]:
        with self._voices_lock:
            return self._espeak_voices

    def voice(self, lang: str) -> Voice:
        """Which engine speaks `lang` here, and whether it is installed. Blocks (asks espeak-ng once)."""
        code = languages.get(lang).code
        base = languages.get(lang).base
        if base in NO_VOICE:
            reason, reason_ja = NO_VOICE[base]
            return Voice(code, None, False, reason, reason_ja)
        if base in JAPANESE:
            if util.find_spec("pyopenjtalk") is None:
                return Voice(
                    code,
                    PYOPENJTALK,
                    False,
                    "The Japanese voice (pyopenjtalk-plus) is not installed.",
                    "日本語の音声（pyopenjtalk-plus）がインストールされていません。",
                )
            return Voice(code, PYOPENJTALK, True)
        name = languages.get(base).name
        if ESPEAK_VOICES[base] not in self.espeak_voices():
            return Voice(
                code,
                ESPEAK,
                False,
                f"The {name} voice (espeak-ng) is not installed on this server.",
                "この言語の音声（espeak-ng）がこの端末にインストールされていません。",
            )
        if base == "zh" and util.find_spec("pypinyin") is None:
            return Voice(
                code,
                ESPEAK,
                False,
                "The Chinese voice needs pypinyin, which is not installed.",
                "中国語の音声には pypinyin が必要ですが、インストールされていません。",
            )
        return Voice(code, ESPEAK, True)

    def voices(self) -> dict[str, Voice]:
        return {code: self.voice(code) for code in languages.codes()}

    def say(self, text: str, lang: str) -> tuple[bytes, str]:
        """(WAV bytes, engine name) of `text` spoken in `lang`. NoVoice / SpeechUnavailable when it cannot be."""
        voice = self.voice(lang)
        if voice.engine is None:
            raise NoVoice(voice.reason, message_ja=voice.reason_ja, lang=voice.lang)
        if not voice.available:
            raise SpeechUnavailable(voice.reason, message_ja=voice.reason_ja, lang=voice.lang)
        spoken = speakable_text(text, lang)
        if not spoken:
            raise NoVoice(
                "Nothing in this text can be spoken in this language.",
                message_ja="この言語で読み上げられる文字がありません。",
                lang=voice.lang,
            )
        if voice.engine == PYOPENJTALK:
            return self._jtalk(spoken), PYOPENJTALK
        base = languages.get(lang).base
        return self._espeak(to_pinyin(spoken) if base == "zh" else spoken, ESPEAK_VOICES[base]), ESPEAK

    def _jtalk(self, text: str) -> bytes:
        import pyopenjtalk

        with self._jtalk_lock:
            samples, rate = pyopenjtalk.tts(text)  # float64 in the int16 range
        return wav_bytes((samples / 32768.0).clip(-1.0, 1.0), int(rate))

    def _espeak(self, text: str, voice: str) -> bytes:
        program = shutil.which(self.settings.espeak)
        if program is None:
            raise SpeechUnavailable(
                "espeak-ng is not installed on this server.", message_ja="espeak-ng がインストールされていません。"
            )
        # The text goes on stdin (never argv: a text starting with "-" would be an option); -b 1: it is UTF-8.
        command = [program, "-v", voice, "-s", str(self.settings.espeak_rate), "-b", "1", "--stdout"]
        try:
            done = subprocess.run(
                command, input=text.encode("utf-8"), capture_output=True, check=True, timeout=self.settings.say_timeout
            )
            pcm, rate, channels = read_wav_pcm(done.stdout)
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            log.warning("espeak-ng failed for voice %s: %s", voice, type(exc).__name__)
            raise SpeechUnavailable() from exc
        import numpy as np

        samples = np.frombuffer(pcm, dtype="<i2")
        if channels > 1:
            samples = samples.reshape(-1, channels).mean(axis=1).astype(np.int16)
        return wav_bytes(samples, rate)
