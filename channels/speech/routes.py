"""The speech endpoints (contract: _parts/voice-api.md, issue 11 §5).

- `POST /api/speech/recognize?lang=<code|auto>`: body = the recording's bytes → `{"text", "lang", "confidence",
  "seconds", "elapsed"}`.
- `POST /api/speech/say` `{"text", "lang"}` → `audio/wav`.
- `GET /api/speech/voices` → which languages the server can recognise and speak.

Recognition and synthesis block for up to seconds, so they run in the speech thread pool (never on the event loop);
a bounded number may wait for it, the next is answered 503 `speech_busy` at once. Neither what was heard nor what was
said is logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any, TypeVar

from aiohttp import web

from channels.errors import (
    EmptyText,
    InvalidField,
    InvalidJSON,
    PayloadTooLarge,
    TextTooLong,
    UnsupportedLanguage,
    UnsupportedMediaType,
)
from channels.jsonutil import json_response
from channels.speech.audio import decode
from channels.speech.errors import SpeechBusy, SpeechUnavailable
from channels.speech.recognizer import Recognition, Recognizer, recognition_languages
from channels.speech.synthesizer import Synthesizer
from settings import SpeechSettings
from translations import languages

log = logging.getLogger("channels.speech")

T = TypeVar("T")
AUTO = "auto"
# What browsers label recordings with: MediaRecorder gives audio/webm or audio/ogg (Firefox), Safari audio/mp4; a
# file picker may say video/webm for an audio-only webm, or nothing at all (aiohttp then reports octet-stream).
_AUDIO_TYPES = frozenset({"application/octet-stream", "video/webm", "video/mp4", "video/ogg"})


class SpeechService:
    """Recognizer + synthesizer + the thread pool they run in, for one gateway process."""

    def __init__(
        self,
        settings: SpeechSettings,
        recognizer: Recognizer | None = None,
        synthesizer: Synthesizer | None = None,
    ) -> None:
        self.settings = settings
        self.recognizer = recognizer or Recognizer(settings)
        self.synthesizer = synthesizer or Synthesizer(settings)
        self._executor: ThreadPoolExecutor | None = None
        self._in_flight = 0

    def start(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=self.settings.workers, thread_name_prefix="speech")

    def stop(self) -> None:
        if self._executor is not None:
            # Do not wait for a recognition still running: the process is stopping, its caller is gone.
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` in the speech pool; SpeechBusy when the pool and its queue are full."""
        if self._executor is None:
            raise SpeechUnavailable()
        if self._in_flight >= self.settings.workers + self.settings.max_queue:
            raise SpeechBusy()
        self._in_flight += 1  # one event loop: no lock needed
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
        finally:
            self._in_flight -= 1

    def recognize_bytes(self, data: bytes, lang: str | None) -> Recognition:
        audio = decode(data, self.settings.max_seconds)
        return self.recognizer.recognize(audio, lang)


SPEECH = web.AppKey("speech", SpeechService)


def _requested_language(raw: str | None, *, allow_auto: bool) -> str | None:
    """A reply language code, None for auto; UnsupportedLanguage otherwise."""
    value = (raw or AUTO).strip() if allow_auto else (raw or "").strip()
    if allow_auto and value.lower() == AUTO:
        return None
    code = languages.resolve(value)
    if code is None:
        supported = ([AUTO] if allow_auto else []) + list(languages.codes())
        raise UnsupportedLanguage(
            f"Unsupported language {value[:20]!r}. Supported: {', '.join(supported)}.",
            message_ja=f"対応していない言語です。対応言語: {', '.join(supported)}",
            supported=supported,
        )
    return code


async def _read_limited(request: web.Request, max_bytes: int) -> bytes:
    """The body, refused (413) as soon as it passes `max_bytes`.

    Read from the stream rather than with `request.read()`, whose cap is the app-wide client_max_size (64 kB for
    chat messages); a recording is allowed to be larger."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(max_bytes=max_bytes)
    body = bytearray()
    while chunk := await request.content.readany():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise PayloadTooLarge(max_bytes=max_bytes)
    return bytes(body)


async def recognize(request: web.Request) -> web.Response:
    service = request.app[SPEECH]
    lang = _requested_language(request.query.get("lang"), allow_auto=True)
    content_type = request.content_type
    if not (content_type.startswith("audio/") or content_type in _AUDIO_TYPES):
        raise UnsupportedMediaType(
            "Send the recording itself as the body (audio/wav, audio/webm or audio/ogg).",
            message_ja="録音データそのものを本文として送ってください（audio/wav、audio/webm、audio/ogg）。",
        )
    reason = service.recognizer.unavailable_reason()
    if reason is not None:
        raise SpeechUnavailable(
            "Speech recognition is not available on this server.",
            message_ja="この端末では音声認識を利用できません。",
        )
    data = await _read_limited(request, service.settings.max_bytes)
    result = await service.run(service.recognize_bytes, data, lang)
    # Figures only: what the resident said stays out of the log.
    log.info(
        "recognised %.1f s of %s audio in %.2f s (confidence %.2f)",
        result.seconds,
        result.lang,
        result.elapsed,
        result.confidence,
    )
    return json_response(asdict(result))


async def _read_say_request(request: web.Request, settings: SpeechSettings) -> tuple[str, str]:
    if request.content_type != "application/json":
        raise UnsupportedMediaType()
    # A text of max_say_chars characters written as \u escapes, plus room for the rest of the object.
    raw = await _read_limited(request, settings.max_say_chars * 12 + 1024)
    try:
        body = json.loads(raw.decode(request.charset or "utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidJSON() from exc
    if not isinstance(body, dict):
        raise InvalidJSON()
    text, lang = body.get("text"), body.get("lang")
    if not isinstance(text, str):
        raise InvalidField("`text` must be a string.", message_ja="`text` は文字列にしてください。", field="text")
    if not isinstance(lang, str):
        raise InvalidField(
            "`lang` must be a language code.", message_ja="`lang` は言語コードにしてください。", field="lang"
        )
    text = text.strip()
    if not text:
        raise EmptyText("There is no text to speak.", message_ja="読み上げる文がありません。")
    if len(text) > settings.max_say_chars:
        raise TextTooLong(
            f"The text is too long to speak (at most {settings.max_say_chars} characters).",
            message_ja=f"読み上げる文が長すぎます（{settings.max_say_chars}文字まで）。",
            max_chars=settings.max_say_chars,
        )
    code = _requested_language(lang, allow_auto=False)
    assert code is not None
    return text, code


async def say(request: web.Request) -> web.Response:
    service = request.app[SPEECH]
    text, lang = await _read_say_request(request, service.settings)
    wav, engine = await service.run(service.synthesizer.say, text, lang)
    return web.Response(body=wav, content_type="audio/wav", headers={"X-Speech-Engine": engine})


async def voices(request: web.Request) -> web.Response:
    service = request.app[SPEECH]
    # Asking espeak-ng which voices it has runs a program (once per process): keep it off the event loop.
    loop = asyncio.get_running_loop()
    table = await loop.run_in_executor(None, service.synthesizer.voices)
    reason = service.recognizer.unavailable_reason()
    recognition: dict[str, object] = {
        "available": reason is None,
        "model": "whisper-base",
        "max_seconds": service.settings.max_seconds,
        "max_bytes": service.settings.max_bytes,
        "languages": list(recognition_languages()),
    }
    if reason is not None:
        recognition["reason"] = "Speech recognition is not set up on this server."
        recognition["reason_ja"] = "この端末では音声認識が設定されていません。"
    return json_response({"recognition": recognition, "voices": {code: v.as_json() for code, v in table.items()}})


def setup_speech(
    app: web.Application, settings: SpeechSettings | None = None, *, service: SpeechService | None = None
) -> None:
    """Register the speech endpoints and their thread pool on the gateway app (nothing heavy is loaded here).

    `service`: a prepared one (tests share one loaded model between apps); default: built from `settings`."""
    service = service or SpeechService(settings or SpeechSettings.from_env())
    app[SPEECH] = service

    async def speech_pool(_app: web.Application) -> AsyncIterator[None]:
        service.start()
        yield
        service.stop()

    app.cleanup_ctx.append(speech_pool)
    app.router.add_post("/api/speech/recognize", recognize)
    app.router.add_post("/api/speech/say", say)
    app.router.add_get("/api/speech/voices", voices)
