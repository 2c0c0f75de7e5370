"""Benchmark: server speech recognition on synthesised counter phrases, per language.

    OMP_NUM_THREADS=1 .venvs/services/bin/python -m bench.speech [--per-lang 12] [--langs ja,vi,ko] [--auto]
        [--beam 1] [--rate 150] [--json var/bench/speech.json]

Counter phrases (knowledge_base/data/phrasebook/phrases.yaml, phrases without slots, spread over the topics) are
spoken by the server's own voices (pyopenjtalk-plus for Japanese, espeak-ng for the others; Tagalog has none and is
not measured), decoded as an upload would be, and recognised by faster-whisper with Whisper base
(var/models/whisper-base, `make whisper`) using the gateway's SpeechSettings. Prints, per language:
- recognition seconds per second of audio (real-time factor; below 1 is faster than speech): `rtf` in wall-clock
  time as a resident waits for it, `cpu` in CPU time of the process (what it costs a core; on a shared, loaded
  machine wall-clock time runs higher), and p50/p95 wall-clock seconds per clip;
- character error rate (CER, spaces and punctuation ignored), word error rate (WER, for languages written with
  spaces), and exact-phrase match after normalisation (NFKC, lower case, no punctuation);
- with --auto, how often Whisper's own language detection (restricted to the ten) picked the right language.

What this measures is synthetic speech: espeak-ng's robotic voices are much harder for Whisper than people are
(Korean and Nepali especially), so low accuracy there says as much about the voice as about the recogniser. A figure
for residents needs recordings of people. The machine's load average is printed: other processes slow it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rapidfuzz.distance import Levenshtein

from channels.speech.audio import SAMPLE_RATE, decode
from channels.speech.recognizer import Recognizer
from channels.speech.synthesizer import Synthesizer, speakable_text
from settings import ROOT, SpeechSettings
from translations import languages

PHRASES = ROOT / "knowledge_base" / "data" / "phrasebook" / "phrases.yaml"
SPACED_SCRIPTS = frozenset({"Latn", "Hang", "Deva"})  # scripts whose words are separated by spaces


@dataclass
class LangResult:
    lang: str
    engine: str = ""
    clips: int = 0
    audio_seconds: float = 0.0
    compute: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    synth_seconds: float = 0.0
    char_errors: int = 0
    chars: int = 0
    word_errors: int = 0
    words: int = 0
    exact: int = 0
    auto_right: int = 0
    auto_tried: int = 0
    examples: list[tuple[str, str]] = field(default_factory=list)

    def row(self) -> dict[str, object]:
        compute = sum(self.compute)
        return {
            "lang": self.lang,
            "engine": self.engine,
            "clips": self.clips,
            "audio_s": round(self.audio_seconds, 1),
            "rtf": round(compute / self.audio_seconds, 3) if self.audio_seconds else None,
            "cpu_rtf": round(sum(self.cpu) / self.audio_seconds, 3) if self.audio_seconds else None,
            "p50_s": round(statistics.median(self.compute), 2) if self.compute else None,
            "p95_s": round(percentile(self.compute, 0.95), 2) if self.compute else None,
            "cer": round(self.char_errors / self.chars, 3) if self.chars else None,
            "wer": round(self.word_errors / self.words, 3) if self.words else None,
            "exact": round(self.exact / self.clips, 3) if self.clips else None,
            "auto_lang": round(self.auto_right / self.auto_tried, 3) if self.auto_tried else None,
        }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


_NOT_WORD = re.compile(r"[^\w\s]", re.UNICODE)


def normalise(text: str) -> str:
    """NFKC, lower case, punctuation and symbols removed, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if unicodedata.category(char)[0] in "PS" else char for char in text)
    return " ".join(_NOT_WORD.sub(" ", text).split())


def select_phrases(per_lang: int) -> list[dict[str, object]]:
    """`per_lang` phrases without slots, spread evenly over the file (so over its topics), in a fixed order."""
    data = yaml.safe_load(PHRASES.read_text(encoding="utf-8"))
    plain = [phrase for phrase in data["phrases"] if not phrase.get("slots")]
    if per_lang >= len(plain):
        return plain
    step = len(plain) / per_lang
    return [plain[int(i * step)] for i in range(per_lang)]


def measure(
    lang: str,
    phrases: list[dict[str, object]],
    synthesizer: Synthesizer,
    recognizer: Recognizer,
    settings: SpeechSettings,
    auto: bool,
) -> LangResult:
    result = LangResult(lang)
    spaced = languages.script(lang) in SPACED_SCRIPTS
    for phrase in phrases:
        texts = phrase["text"]
        assert isinstance(texts, dict)
        text = str(texts[lang])
        started = time.perf_counter()
        wav, result.engine = synthesizer.say(text, lang)
        result.synth_seconds += time.perf_counter() - started
        audio = decode(wav, settings.max_seconds)
        cpu_started = time.process_time()
        heard = recognizer.recognize(audio, lang)
        result.cpu.append(time.process_time() - cpu_started)
        result.clips += 1
        result.audio_seconds += len(audio) / SAMPLE_RATE
        result.compute.append(heard.elapsed)
        reference, hypothesis = normalise(speakable_text(text, lang)), normalise(heard.text)
        result.char_errors += Levenshtein.distance(reference.replace(" ", ""), hypothesis.replace(" ", ""))
        result.chars += len(reference.replace(" ", ""))
        if spaced:
            result.word_errors += Levenshtein.distance(reference.split(), hypothesis.split())
            result.words += len(reference.split())
        result.exact += reference == hypothesis
        if len(result.examples) < 2:
            result.examples.append((speakable_text(text, lang), heard.text))
        if auto:
            result.auto_tried += 1
            result.auto_right += recognizer.recognize(audio, None).lang == languages.get(lang).base
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-lang", type=int, default=12, help="phrases per language (default 12)")
    parser.add_argument("--langs", default="ja,zh,ko,vi,ne,pt,es,id,en", help="comma-separated reply languages")
    parser.add_argument("--auto", action="store_true", help="also recognise each clip without a language hint")
    parser.add_argument("--beam", type=int, help="Whisper beam size (default: CHIBA_WHISPER_BEAM_SIZE)")
    parser.add_argument("--rate", type=int, help="espeak-ng words per minute (default: CHIBA_ESPEAK_RATE)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    settings = SpeechSettings.from_env()
    update = {key: value for key, value in (("beam_size", args.beam), ("espeak_rate", args.rate)) if value}
    settings = settings.model_copy(update=update)
    synthesizer, recognizer = Synthesizer(settings), Recognizer(settings)
    reason = recognizer.unavailable_reason()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 1
    wanted = [code.strip() for code in args.langs.split(",") if code.strip()]
    phrases = select_phrases(args.per_lang)

    command = "OMP_NUM_THREADS={} .venvs/services/bin/python -m bench.speech {}".format(
        os.environ.get("OMP_NUM_THREADS", "?"), " ".join(argv if argv is not None else sys.argv[1:])
    )
    print(f"command: {command}")
    print(
        f"model {settings.whisper_model} compute_type={settings.compute_type} beam={settings.beam_size} "
        f"threads={settings.threads} espeak_rate={settings.espeak_rate}; {len(phrases)} phrases per language; "
        f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}"
    )
    started = time.perf_counter()
    recognizer.model()
    print(f"model load: {time.perf_counter() - started:.2f} s")
    # Warm-up: the first decode allocates CTranslate2's buffers; keep it out of the figures.
    warm, _engine = synthesizer.say("こんにちは", "ja")
    recognizer.recognize(decode(warm, settings.max_seconds), "ja")

    results: list[LangResult] = []
    skipped: dict[str, str] = {}
    for lang in wanted:
        voice = synthesizer.voice(lang)
        if not voice.available:
            skipped[lang] = str(voice.reason)
            continue
        results.append(measure(lang, phrases, synthesizer, recognizer, settings, args.auto))
        row = results[-1].row()
        print(f"  {lang}: done ({row['clips']} clips, rtf {row['rtf']}, cer {row['cer']})", flush=True)

    header = f"{'lang':8} {'engine':12} {'clips':>5} {'audio s':>8} {'rtf':>6} {'cpu':>6} {'p50 s':>6} {'p95 s':>6} "
    header += f"{'CER':>6} {'WER':>6} {'exact':>6}" + (f" {'auto':>6}" if args.auto else "")
    print(header)
    rows = [result.row() for result in results]
    for row in rows:
        line = f"{row['lang']:8} {row['engine']:12} {row['clips']:>5} {row['audio_s']:>8} {row['rtf']:>6} "
        line += f"{row['cpu_rtf']:>6} {row['p50_s']:>6} {row['p95_s']:>6} "
        line += f"{row['cer']!s:>6} {row['wer']!s:>6} {row['exact']:>6}"
        print(line + (f" {row['auto_lang']:>6}" if args.auto else ""))
    audio = sum(result.audio_seconds for result in results)
    compute = sum(sum(result.compute) for result in results)
    cpu = sum(sum(result.cpu) for result in results)
    if audio:
        print(
            f"all: {sum(r.clips for r in results)} clips, {audio:.0f} s of audio, {compute:.0f} s of wall-clock "
            f"compute ({compute / audio:.2f} s per second of audio), {cpu:.0f} s of CPU ({cpu / audio:.2f} s per "
            f"second of audio); load average now {os.getloadavg()[0]:.1f}"
        )
    for lang, reason in skipped.items():
        print(f"{lang}: not measured: {reason}")
    print("examples (reference → recognised):")
    for result in results:
        for reference, heard in result.examples:
            print(f"  {result.lang}: {reference} → {heard}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"command": command, "rows": rows, "skipped": skipped}, ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
