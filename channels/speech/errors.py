"""The speech endpoints' own errors; the gateway's error middleware turns them into its JSON error body."""

from __future__ import annotations

from channels.errors import BadRequest, GatewayError, PayloadTooLarge


class BadAudio(BadRequest):
    code = "bad_audio"
    message = "The recording could not be read. Please record again (wav, webm or ogg audio)."
    message_ja = "録音を読み取れませんでした。もう一度録音してください（wav、webm、ogg 形式）。"


class AudioTooLong(PayloadTooLarge):
    code = "audio_too_long"
    message = "The recording is too long. Please speak in shorter parts (at most 30 seconds)."
    message_ja = "録音が長すぎます。短く区切って話してください（30秒まで）。"


class NoVoice(GatewayError):
    """The language has no speech output on this server (Tagalog: no engine here speaks it)."""

    status = 422
    code = "no_voice"
    message = "There is no voice for this language."
    message_ja = "この言語の音声はありません。"


class SpeechUnavailable(GatewayError):
    """An engine is missing on the server (model not prepared, espeak-ng or pyopenjtalk not installed)."""

    status = 503
    code = "speech_unavailable"
    message = "Speech is not available on this server right now."
    message_ja = "この端末では現在、音声を利用できません。"


class SpeechBusy(GatewayError):
    status = 503
    code = "speech_busy"
    message = "Speech is busy. Please try again in a moment."
    message_ja = "音声処理が混み合っています。少し待ってから、もう一度お試しください。"
