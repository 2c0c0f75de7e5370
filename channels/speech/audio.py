"""Audio in and out: decoding an uploaded recording for Whisper, writing and reading 16-bit PCM WAV.

Heavy modules (numpy, PyAV) are imported inside the functions: the gateway starts without them and only the worker
threads that do speech pay for them.
"""

from __future__ import annotations

import io
import struct
from typing import TYPE_CHECKING

from channels.speech.errors import AudioTooLong, BadAudio

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 16000  # what Whisper hears


def decode(data: bytes, max_seconds: float, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 samples at `rate` from a wav/webm/ogg/mp4/mp3 recording.

    Decoding stops as soon as the audio passes `max_seconds` (AudioTooLong): a 2 MB Opus file can hold most of an
    hour, which would be half a gigabyte of samples. A recording cut short at its end (a browser stopped mid-frame)
    keeps what was decoded; one with nothing decodable is BadAudio.
    """
    import av
    import numpy as np

    if not data:
        raise BadAudio("The recording is empty.", message_ja="録音が空です。")
    limit = int(max_seconds * rate)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, ValueError, OSError, UnicodeDecodeError) as exc:
        raise BadAudio() from exc
    with container:
        if not container.streams.audio:
            raise BadAudio("The file holds no audio.", message_ja="ファイルに音声が含まれていません。")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
        try:
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1)
                    chunks.append(samples)
                    total += samples.size
                if total > limit:
                    raise AudioTooLong(max_seconds=max_seconds)
            for out in resampler.resample(None):  # flush what the resampler still holds
                chunks.append(out.to_ndarray().reshape(-1))
        except (av.FFmpegError, ValueError) as exc:
            if not chunks:
                raise BadAudio() from exc
            # a truncated last packet: keep the audio before it
    if not chunks:
        raise BadAudio("The recording has no sound.", message_ja="録音に音声がありません。")
    audio = np.concatenate(chunks).astype(np.float32) / 32768.0
    if audio.size > limit:
        raise AudioTooLong(max_seconds=max_seconds)
    return audio


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """A 16-bit PCM mono WAV file of `samples` (int16, or floats in -1..1)."""
    import numpy as np

    if samples.dtype != np.int16:
        samples = (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)
    pcm = samples.astype("<i2").tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(pcm),
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        1,  # mono
        rate,
        rate * 2,
        2,
        16,
        b"data",
        len(pcm),
    )
    return header + pcm


def read_wav_pcm(data: bytes) -> tuple[bytes, int, int]:
    """(PCM bytes, sample rate, channels) of a 16-bit PCM WAV.

    espeak-ng's `--stdout` writes the header before it knows the length (sizes 0x7fffffff), so the declared sizes are
    not trusted: the data chunk runs to the end of what was written.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    pos, rate, channels, bits = 12, 0, 0, 0
    while pos + 8 <= len(data):
        chunk, size = struct.unpack_from("<4sI", data, pos)
        body = pos + 8
        if chunk == b"fmt ":
            fmt, channels, rate, _byte_rate, _align, bits = struct.unpack_from("<HHIIHH", data, body)
            if fmt != 1 or bits != 16:
                raise ValueError(f"unsupported WAV format {fmt} with {bits} bits")
        elif chunk == b"data":
            if not rate:
                raise ValueError("WAV data before its format")
            end = min(len(data), body + size)
            return data[body : end - (end - body) % (2 * channels)], rate, channels
        pos = body + size + (size & 1)
    raise ValueError("WAV file without data")
