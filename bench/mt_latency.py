"""Benchmark: machine-translation latency and memory through the full stack (router, cache, glossary, guard, Argos).

    OMP_NUM_THREADS=1 PYTHONPATH=. .venvs/services/bin/python -m bench.mt_latency [--rounds 20] [--packages-dir DIR]

Without --packages-dir it installs the tiny test packages (tests/translations/argos_fixture.py; built once and
cached under var/test-cache/argos) into a temp dir: that measures the pipeline's overhead, not a real model's
speed. With --packages-dir (e.g. var/argos/packages after scripts/install_argos_packages.sh) it measures real
packages for ja→en and ja→ko. Prints cold load, p50/p95/max per case, and the process RSS.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import psutil

from settings import MachineTranslationSettings
from translations.mt import Translation, build_translator
from translations.mt_glossary import Glossary

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = Glossary.from_entries(
    [
        {"ja": "有害ごみ", "en": "Hazardous waste", "ko": "유해 쓰레기"},
        {"ja": "火曜日", "en": "Tuesday", "ko": "화요일"},
        {"ja": "スプレー缶", "en": "Spray can", "ko": "스프레이 캔"},
    ]
)
# (label, text, target): the tiny ja_en/en_ko packages answer the first three exactly; the others are unseen.
CASES = [
    ("direct ja>en", "ありがとうございます。", "en"),
    ("glossary ja>en", "有害ごみは火曜日に出してください。", "en"),
    ("pivot ja>en>ko", "有害ごみは火曜日に出してください。", "ko"),
    ("unseen ja>en", "粗大ごみの申し込みはどうすればいいですか。電話でもできますか。", "en"),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def timed(call: Callable[[], Translation], rounds: int) -> tuple[list[float], Translation]:
    timings, result = [], call()
    for _ in range(rounds):
        t0 = time.perf_counter()
        result = call()
        timings.append((time.perf_counter() - t0) * 1000)
    return timings, result


def tiny_packages(packages_dir: Path) -> None:
    spec = importlib.util.spec_from_file_location("argos_fixture", ROOT / "tests" / "translations" / "argos_fixture.py")
    assert spec is not None and spec.loader is not None
    fixture = importlib.util.module_from_spec(spec)
    sys.modules["argos_fixture"] = fixture
    spec.loader.exec_module(fixture)
    for recipe in (fixture.JA_EN, fixture.EN_KO):
        # what argostranslate's install_from_path does; it would also import argostranslate.translate (stanza,
        # spaCy), which the service never loads, and the RSS below would count them
        with zipfile.ZipFile(fixture.build_package(recipe)) as archive:
            archive.extractall(packages_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--packages-dir", type=Path, help="installed real Argos packages (default: tiny test ones)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base = MachineTranslationSettings.from_env()
        settings = base.model_copy(
            update={
                "packages_dir": args.packages_dir or Path(tmp) / "packages",
                "argos_home": Path(tmp) / "argos-home" if args.packages_dir is None else base.argos_home,
            }
        )
        if args.packages_dir is None:
            tiny_packages(settings.packages_dir)
        rss_before = psutil.Process().memory_info().rss / 2**20

        translator = build_translator(settings.model_copy(update={"cache_size": 0}), GLOSSARY)
        for label, text, target in CASES:
            t0 = time.perf_counter()
            first = translator.translate(text, "ja", target)
            cold = (time.perf_counter() - t0) * 1000
            call = lambda text=text, target=target: translator.translate(text, "ja", target)  # noqa: E731
            timings, result = timed(call, args.rounds)
            print(
                f"{label:16s} cold {cold:7.1f} ms  p50 {statistics.median(timings):6.1f} ms  "
                f"p95 {percentile(timings, 0.95):6.1f} ms  max {max(timings):6.1f} ms  "
                f"ok={result.ok} reason={result.reason.value} engine={first.engine}"
            )
            print(f"{'':16s} {result.text!r}")

        cached = build_translator(settings, GLOSSARY)
        timings, _ = timed(lambda: cached.translate(CASES[1][1], "ja", "en"), args.rounds)
        print(f"{'cache hit':16s} p50 {statistics.median(timings):6.3f} ms  p95 {percentile(timings, 0.95):6.3f} ms")
        rss = psutil.Process().memory_info().rss / 2**20
        print(f"RSS {rss:.0f} MiB ({rss - rss_before:+.0f} MiB for the loaded models)")
        heavy = [name for name in ("argostranslate.translate", "stanza", "spacy") if name in sys.modules]
        print(f"heavy modules imported: {heavy or 'none'}")


if __name__ == "__main__":
    main()
