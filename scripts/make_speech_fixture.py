"""Write a spoken phrasebook sentence as a WAV fixture, with what the server's Whisper model hears in it.

The interpreter's browser test plays a resident's sentence into the page (tests/browser/fixtures/resident_vi.wav).
It is synthesised with espeak-ng (no recording of a person ships with the project) as 16 kHz mono 16-bit PCM, and the
sidecar JSON records the phrase, the text spoken and the text recognised with the gateway's SpeechSettings:

    .venvs/services/bin/python -m scripts.make_speech_fixture --phrase resident_phrases_register_address --lang vi \
        --voice vi+f3 --rate 130 --out tests/browser/fixtures/resident_vi

`--voice` is an espeak-ng voice with an optional variant: Whisper base hears the Vietnamese female variant `vi+f3`
better than the default `vi` (it reads the default voice's "Tôi" as "Bôi").
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

from channels.speech.audio import SAMPLE_RATE, decode, read_wav_pcm, wav_bytes
from channels.speech.recognizer import Recognizer
from channels.speech.synthesizer import speakable_text
from settings import ROOT, SpeechSettings

PHRASES = ROOT / "knowledge_base" / "data" / "phrasebook" / "phrases.yaml"


def phrase_text(phrase_id: str, lang: str) -> str:
    data = yaml.safe_load(PHRASES.read_text(encoding="utf-8"))
    for phrase in data["phrases"]:
        if phrase["id"] == phrase_id:
            if phrase.get("slots"):
                raise SystemExit(f"{phrase_id} has placeholders; pick a phrase without slots")
            return str(phrase["text"][lang])
    raise SystemExit(f"no phrase {phrase_id!r} in {PHRASES}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phrase", required=True, help="phrase id in knowledge_base/data/phrasebook/phrases.yaml")
    parser.add_argument("--lang", required=True, help="language of the text to speak (not ja: that is pyopenjtalk)")
    parser.add_argument("--voice", required=True, help="espeak-ng voice, e.g. vi+f3")
    parser.add_argument("--rate", type=int, default=130, help="espeak-ng words per minute")
    parser.add_argument("--out", type=Path, required=True, help="path without suffix; writes .wav and .json")
    args = parser.parse_args(argv)

    settings = SpeechSettings.from_env()
    text = phrase_text(args.phrase, args.lang)
    spoken = speakable_text(text, args.lang)
    command = [settings.espeak, "-v", args.voice, "-s", str(args.rate), "-b", "1", "--stdout"]
    raw = subprocess.run(command, input=spoken.encode("utf-8"), capture_output=True, check=True, timeout=30).stdout
    pcm, rate, _channels = read_wav_pcm(raw)
    # 16 kHz as Whisper hears it: the file is a third smaller than espeak-ng's 22,050 Hz and decodes the same.
    audio = decode(wav_bytes(np.frombuffer(pcm, dtype="<i2"), rate), settings.max_seconds)
    wav = wav_bytes(audio, SAMPLE_RATE)
    heard = Recognizer(settings).recognize(decode(wav, settings.max_seconds), args.lang)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".wav").write_bytes(wav)
    meta = {
        "phrase_id": args.phrase,
        "lang": args.lang,
        "text": text,
        "spoken": spoken,
        "voice": f"espeak-ng {args.voice} at {args.rate} words per minute",
        "seconds": round(len(audio) / SAMPLE_RATE, 2),
        "recognised": heard.text,
        "confidence": heard.confidence,
        "made_by": "python -m scripts.make_speech_fixture " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    args.out.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(meta, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
