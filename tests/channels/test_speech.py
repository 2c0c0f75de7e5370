"""Speech at the interpreter desk (/api/speech/*): the real Whisper base model and the real voices.

Needs `make whisper` (var/models/whisper-base) and espeak-ng (scripts/ensure_speech.sh); the test runner prepares both.
One model is loaded for the whole module and shared by every app built here.
"""

from __future__ import annotations

import asyncio
import io
import json
import struct
import threading
import unicodedata
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from rapidfuzz.distance import Levenshtein

from channels.errors import error_middleware
from channels.speech import SPEECH, SpeechService, setup_speech
from channels.speech.audio import read_wav_pcm, wav_bytes
from channels.speech.recognizer import Recognition, Recognizer
from channels.speech.synthesizer import Synthesizer, speakable_text
from scripts import prepare_whisper
from settings import GatewaySettings, SpeechSettings

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "browser" / "fixtures"
SETTINGS = SpeechSettings.from_env({})


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    recognizer = Recognizer(SETTINGS)
    reason = recognizer.unavailable_reason()
    assert reason is None, f"{reason} — prepare it with `make whisper`"
    recognizer.model()
    return recognizer


def _app(service: SpeechService) -> web.Application:
    # The gateway's own limits and error middleware (create_app's), with only the speech routes.
    app = web.Application(middlewares=[error_middleware], client_max_size=GatewaySettings().max_body_bytes)
    setup_speech(app, service=service)
    return app


@pytest.fixture
async def client(aiohttp_client: Any, recognizer: Recognizer) -> TestClient:
    return await aiohttp_client(_app(SpeechService(SETTINGS, recognizer=recognizer)))


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(char for char in text if char.isalnum())


def _cer(reference: str, heard: str) -> float:
    """Character error rate, ignoring case, spaces and punctuation."""
    return Levenshtein.distance(_normal(reference), _normal(heard)) / len(_normal(reference))


async def _say(client: TestClient, text: str, lang: str) -> bytes:
    response = await client.post("/api/speech/say", json={"text": text, "lang": lang})
    assert response.status == 200, await response.text()
    assert response.content_type == "audio/wav"
    return await response.read()


async def _recognize(client: TestClient, audio: bytes, lang: str | None, content_type: str = "audio/wav") -> Any:
    query = f"?lang={lang}" if lang else ""
    return await client.post(f"/api/speech/recognize{query}", data=audio, headers={"Content-Type": content_type})


async def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status == status, await response.text()
    body = await response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"] and body["error"]["message_ja"]
    return body["error"]


def _silence(seconds: float, rate: int = 16000) -> bytes:
    return wav_bytes(np.zeros(int(seconds * rate), dtype=np.int16), rate)


# --- what the desk can do ---


async def test_voices_lists_every_language_and_says_tagalog_has_none(client: TestClient) -> None:
    response = await client.get("/api/speech/voices")
    assert response.status == 200
    body = await response.json()
    assert body["recognition"]["available"] is True
    assert body["recognition"]["max_seconds"] == 30
    expected = {"ja", "ja-easy", "en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id"}
    assert set(body["voices"]) == expected == set(body["recognition"]["languages"])
    assert body["voices"]["tl"] == {
        "available": False,
        "engine": None,
        "reason": "No voice for Tagalog.",
        "reason_ja": "タガログ語の音声はありません。",
    }
    assert body["voices"]["ja"] == {"available": True, "engine": "pyopenjtalk"}
    for lang in ("ko", "vi", "ne", "pt", "es", "id", "en"):
        assert body["voices"][lang] == {"available": True, "engine": "espeak-ng"}, lang


# --- listening: the real model ---


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ja", "こちらにお名前を書いてください。"),
        ("en", "Where is the restroom?"),
        ("es", "Quiero registrar mi dirección."),
    ],
)
async def test_a_spoken_counter_phrase_is_recognised(client: TestClient, lang: str, text: str) -> None:
    audio = await _say(client, text, lang)
    response = await _recognize(client, audio, lang)
    assert response.status == 200, await response.text()
    body = await response.json()
    # Whisper base on synthetic voices: a character may differ (CPU instruction sets round int8 differently).
    assert _cer(text, body["text"]) <= 0.2, body["text"]
    assert body["lang"] == lang
    assert 0.5 < body["confidence"] <= 1.0
    assert 1.0 < body["seconds"] < 5.0
    assert body["elapsed"] > 0


async def test_without_a_hint_whisper_tells_the_language(client: TestClient) -> None:
    audio = await _say(client, "Quiero registrar mi dirección.", "es")
    body = await (await _recognize(client, audio, "auto")).json()
    assert body["lang"] == "es"
    assert _cer("Quiero registrar mi dirección.", body["text"]) <= 0.2, body["text"]


async def test_the_browser_fixture_is_heard_as_vietnamese(client: TestClient) -> None:
    meta = json.loads((FIXTURES / "resident_vi.json").read_text(encoding="utf-8"))
    audio = (FIXTURES / "resident_vi.wav").read_bytes()
    body = await (await _recognize(client, audio, "vi")).json()
    assert body["lang"] == "vi"
    assert body["text"], "the interpreter browser test needs a non-empty Vietnamese sentence from this file"
    assert meta["lang"] == "vi" and meta["phrase_id"]


@pytest.mark.parametrize(("hint", "lang"), [("pt-BR", "pt"), ("ja-easy", "ja-easy"), ("fil", "tl")])
async def test_a_language_alias_or_style_is_answered_with_its_reply_code(
    client: TestClient, hint: str, lang: str
) -> None:
    body = await (await _recognize(client, _silence(1.0), hint)).json()
    assert (body["text"], body["lang"]) == ("", lang)


async def test_silence_gives_no_text_instead_of_an_invented_sentence(client: TestClient) -> None:
    body = await (await _recognize(client, _silence(3.0), "ja")).json()
    assert (body["text"], body["lang"], body["confidence"], body["seconds"]) == ("", "ja", 0.0, 3.0)


async def test_a_browser_recording_in_webm_is_accepted(client: TestClient) -> None:
    # MediaRecorder's format (Opus in WebM), encoded here with PyAV from the server's own English voice.
    import av

    wav = await _say(client, "Where is the restroom?", "en")
    pcm, rate, _channels = read_wav_pcm(wav)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="webm") as container:
        stream = container.add_stream("libopus", rate=48000, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            np.frombuffer(pcm, dtype=np.int16).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = rate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        for resampled in resampler.resample(frame):
            container.mux(stream.encode(resampled))
        container.mux(stream.encode(None))
    body = await (await _recognize(client, buffer.getvalue(), "en", "audio/webm;codecs=opus")).json()
    assert _cer("Where is the restroom?", body["text"]) <= 0.2, body["text"]


# --- listening: what goes wrong ---


class _Segment:
    def __init__(self, text: str, compression_ratio: float = 1.0) -> None:
        self.text, self.compression_ratio, self.avg_logprob, self.tokens = text, compression_ratio, -0.1, [1, 2, 3]


class _Info:
    language, language_probability, all_language_probs, duration = "vi", 0.9, [("vi", 0.9)], 2.0


@pytest.mark.parametrize(
    ("lang", "heard", "ratio"),
    [
        ("vi", " Cái mấy mấy mấy mấy mấy mấy mấy mấy mấy mấy mấy mấy mấy mấy", 8.8),  # a decoding loop
        ("ne", " مرایتے گا در تا در نمن چا", 1.0),  # Nepali heard as Urdu script
    ],
    ids=["loop", "wrong-script"],
)
def test_garbage_from_the_model_is_never_shown_as_what_was_said(
    monkeypatch: pytest.MonkeyPatch, lang: str, heard: str, ratio: float
) -> None:
    recognizer = Recognizer(SETTINGS)
    monkeypatch.setattr(recognizer, "model", lambda: None)
    monkeypatch.setattr(recognizer, "_transcribe", lambda *_args: ([_Segment(heard, ratio)], _Info()))
    result = recognizer.recognize(np.zeros(32000, dtype=np.float32), lang)
    assert (result.text, result.lang, result.confidence) == ("", lang, 0.0)


@pytest.mark.parametrize(
    "audio",
    [b"", b"this is not audio at all" * 50, b"RIFF\x24\x00\x00\x00WAVEfmt "],
    ids=["empty", "text", "cut-wav-header"],
)
async def test_unreadable_audio_is_a_clear_400(client: TestClient, audio: bytes) -> None:
    await _error(await _recognize(client, audio, "ja"), 400, "bad_audio")


async def test_audio_longer_than_30_seconds_is_413(client: TestClient) -> None:
    error = await _error(await _recognize(client, _silence(31.0), "ja"), 413, "audio_too_long")
    assert error["details"] == {"max_seconds": 30.0}


async def test_a_body_over_2_mb_is_413_before_anything_is_decoded(client: TestClient) -> None:
    await _error(await _recognize(client, b"\0" * (SETTINGS.max_bytes + 1), "ja"), 413, "payload_too_large")


async def test_an_unknown_language_hint_is_400(client: TestClient) -> None:
    error = await _error(await _recognize(client, _silence(1.0), "xx"), 400, "unsupported_language")
    assert "auto" in error["details"]["supported"]


async def test_a_json_body_is_415(client: TestClient) -> None:
    response = await client.post("/api/speech/recognize?lang=ja", json={"audio": "..."})
    await _error(response, 415, "unsupported_media_type")


async def test_without_the_model_recognition_is_503_and_voices_say_so(aiohttp_client: Any, tmp_path: Path) -> None:
    settings = SpeechSettings(whisper_model=str(tmp_path / "whisper-base"))
    client = await aiohttp_client(_app(SpeechService(settings)))
    error = await _error(await _recognize(client, _silence(1.0), "ja"), 503, "speech_unavailable")
    assert "not available" in error["message"]
    body = await (await client.get("/api/speech/voices")).json()
    assert body["recognition"]["available"] is False
    assert body["recognition"]["reason"]


class _BlockingRecognizer(Recognizer):
    """Holds every recognition until released, to see what the gateway does meanwhile."""

    def __init__(self) -> None:
        super().__init__(SETTINGS)
        self.started = threading.Event()
        self.release = threading.Event()

    def recognize(self, audio: Any, lang: str | None) -> Recognition:
        self.started.set()
        self.release.wait(timeout=30)
        return Recognition("はい", "ja", 0.9, len(audio) / 16000, 0.1)


@pytest.fixture
def blocking() -> Iterator[_BlockingRecognizer]:
    recognizer = _BlockingRecognizer()
    yield recognizer
    recognizer.release.set()


async def test_a_recognition_in_progress_leaves_the_gateway_answering_and_a_full_queue_is_503(
    aiohttp_client: Any, blocking: _BlockingRecognizer
) -> None:
    settings = SETTINGS.model_copy(update={"workers": 1, "max_queue": 0})
    client = await aiohttp_client(_app(SpeechService(settings, recognizer=blocking)))
    first = asyncio.ensure_future(_recognize(client, _silence(1.0), "ja"))
    await asyncio.get_running_loop().run_in_executor(None, blocking.started.wait, 10)
    # The event loop is free: other requests are answered while the recognition runs in the pool.
    assert (await client.get("/api/speech/voices")).status == 200
    await _error(await _recognize(client, _silence(1.0), "ja"), 503, "speech_busy")
    blocking.release.set()
    response = await first
    assert response.status == 200
    assert (await response.json())["text"] == "はい"


# --- speaking ---


def _wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        return wav.getnframes() / wav.getframerate()


@pytest.mark.parametrize(
    ("lang", "text", "engine"),
    [
        ("ja", "番号札をお取りください。", "pyopenjtalk"),
        ("ja-easy", "番号札（ばんごうふだ）を 取（と）って ください。", "pyopenjtalk"),
        ("ko", "번호표(番号札)를 뽑아 주세요.", "espeak-ng"),
        ("vi", "Xin vui lòng lấy phiếu số thứ tự.", "espeak-ng"),
        ("ne", "कृपया नम्बर टिकट लिनुहोस्।", "espeak-ng"),
    ],
)
async def test_say_speaks_japanese_and_the_other_languages(
    client: TestClient, lang: str, text: str, engine: str
) -> None:
    response = await client.post("/api/speech/say", json={"text": text, "lang": lang})
    assert response.status == 200, await response.text()
    assert response.headers["X-Speech-Engine"] == engine
    # A proper WAV header (espeak-ng's --stdout one has no sizes): browsers' decodeAudioData needs it.
    assert 0.8 < _wav_seconds(await response.read()) < 10


async def test_say_in_tagalog_says_plainly_there_is_no_voice(client: TestClient) -> None:
    response = await client.post("/api/speech/say", json={"text": "Kumuha po kayo ng numero.", "lang": "tl"})
    error = await _error(response, 422, "no_voice")
    assert error["message"] == "No voice for Tagalog."
    assert error["details"] == {"lang": "tl"}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": "  ", "lang": "ja"}, 400, "empty_text"),
        ({"text": "はい", "lang": "xx"}, 400, "unsupported_language"),
        ({"text": "はい", "lang": "auto"}, 400, "unsupported_language"),
        ({"text": "はい"}, 400, "invalid_field"),
        ({"text": 5, "lang": "ja"}, 400, "invalid_field"),
        ({"text": "あ" * 501, "lang": "ja"}, 413, "text_too_long"),
        (["はい", "ja"], 400, "invalid_json"),
    ],
    ids=["blank", "unknown-lang", "auto", "no-lang", "number", "too-long", "list"],
)
async def test_say_refuses_bad_requests_clearly(client: TestClient, body: Any, status: int, code: str) -> None:
    await _error(await client.post("/api/speech/say", json=body), status, code)


async def test_say_needs_json(client: TestClient) -> None:
    response = await client.post("/api/speech/say", data="はい", headers={"Content-Type": "text/plain"})
    await _error(response, 415, "unsupported_media_type")


async def test_without_espeak_ng_the_voice_is_unavailable_not_garbage(aiohttp_client: Any, tmp_path: Path) -> None:
    settings = SpeechSettings(espeak=str(tmp_path / "espeak-ng"))
    client = await aiohttp_client(_app(SpeechService(settings)))
    response = await client.post("/api/speech/say", json={"text": "감사합니다.", "lang": "ko"})
    await _error(response, 503, "speech_unavailable")
    voices = (await (await client.get("/api/speech/voices")).json())["voices"]
    assert voices["ko"]["available"] is False and "espeak-ng" in voices["ko"]["reason"]
    assert voices["ja"]["available"] is True  # Japanese does not need espeak-ng


def test_chinese_without_pypinyin_has_no_voice_rather_than_reading_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    from channels.speech import synthesizer

    real = synthesizer.util.find_spec
    monkeypatch.setattr(synthesizer.util, "find_spec", lambda name: None if name == "pypinyin" else real(name))
    voice = Synthesizer(SETTINGS).voice("zh")
    assert (voice.available, voice.engine) == (False, "espeak-ng")
    assert "pypinyin" in str(voice.reason)


@pytest.mark.parametrize(
    ("text", "lang", "spoken"),
    [
        ("번호표(番号札)를 뽑았는데 아직 부르지 않아요.", "ko", "번호표를 뽑았는데 아직 부르지 않아요."),
        ("Tôi làm mất thẻ cư trú (在留カード).", "vi", "Tôi làm mất thẻ cư trú."),
        ("住所（じゅうしょ）を 登録（とうろく）したいです。", "ja-easy", "住所を 登録したいです。"),
        ("请出示在留卡（在留カード）。", "zh", "请出示在留卡。"),
        ("Please take a number (番号札).", "en", "Please take a number."),
    ],
)
def test_japanese_terms_and_readings_are_not_read_aloud(text: str, lang: str, spoken: str) -> None:
    assert speakable_text(text, lang) == spoken


# --- the WAV writer and reader ---


def test_espeak_style_wav_without_sizes_is_read_to_its_end() -> None:
    pcm = np.arange(100, dtype="<i2").tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI", b"RIFF", 0x7FFFFFFF, b"WAVE", b"fmt ", 16, 1, 1, 22050, 44100, 2, 16, b"data", 0x7FFFFFFF
    )
    assert read_wav_pcm(header + pcm) == (pcm, 22050, 1)
    with pytest.raises(ValueError):
        read_wav_pcm(b"OggS" + pcm)


# --- preparing the model ---


def test_prepare_whisper_joins_the_halves_and_refuses_foreign_folders(tmp_path: Path) -> None:
    out = tmp_path / "whisper-base"
    result = prepare_whisper.prepare(out, verify=False)
    halves = prepare_whisper.find_sources().halves
    assert result.built and result.size == sum(half.stat().st_size for half in halves)
    marker = json.loads((out / ".prepared.json").read_text(encoding="utf-8"))
    assert marker["sha256"] == result.sha256 and len(result.sha256) == 64
    assert not prepare_whisper.prepare(out).built  # prepared: kept as it is
    foreign = tmp_path / "somebody-elses"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(prepare_whisper.PrepareWhisperError, match="did not write"):
        prepare_whisper.prepare(foreign)


# --- wiring ---


async def test_the_gateway_serves_the_speech_endpoints(aiohttp_client: Any) -> None:
    from channels.app import create_app

    app = create_app(GatewaySettings())
    assert SPEECH in app, "channels/app.py must call setup_speech(app)"
    client = await aiohttp_client(app)
    response = await client.get("/api/speech/voices")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
