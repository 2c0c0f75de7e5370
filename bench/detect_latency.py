"""Benchmark: language detection cost per chat turn (translations.detect.detect_language).

    .venvs/services/bin/python -m bench.detect_latency [--rounds 200]

Prints the model load time, then µs per call (p50/p95/max) for short questions in the ten languages, kanji/kana
terms, one-word Latin text and a 2,000-character message, each timed call by call.
"""

from __future__ import annotations

import argparse
import statistics
import time

from translations.detect import detect_language, warm_up

CASES: dict[str, list[tuple[str, str | None]]] = {
    "sentences": [
        ("スプレー缶は何ごみですか？", None),
        ("What kind of garbage is a spray can?", None),
        ("喷雾罐是什么垃圾？", None),
        ("스프레이 캔은 무슨 쓰레기예요?", None),
        ("Bình xịt là rác loại gì?", None),
        ("Anong klase ng basura ang spray can?", None),
        ("स्प्रे क्यान कुन फोहोर हो?", None),
        ("A lata de spray é que tipo de lixo?", None),
        ("¿Qué tipo de basura es una lata de spray?", None),
        ("Kaleng semprot termasuk sampah apa?", None),
    ],
    "terms": [("住民票", "en"), ("粗大ごみ受付", None), ("乾電池", "ko"), ("电池", None), ("スプレー缶怎么扔", None)],
    "one_word": [("sofa", "pt"), ("Hello", None), ("battery", None), ("salamat", "tl")],
    "long_2000_chars": [("How do I throw away an old sofa? " * 60, None)],
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="calls per case")
    args = parser.parse_args()

    started = time.perf_counter()
    warm_up()
    print(f"model load: {(time.perf_counter() - started) * 1000:.0f} ms")
    print(f"{'case':16} {'calls':>6} {'p50 µs':>8} {'p95 µs':>8} {'max µs':>8}")
    everything: list[float] = []
    for name, cases in CASES.items():
        timings: list[float] = []
        for _ in range(args.rounds):
            for text, last in cases:
                t0 = time.perf_counter()
                detect_language(text, last)
                timings.append((time.perf_counter() - t0) * 1e6)
        everything += timings
        print(
            f"{name:16} {len(timings):6d} {statistics.median(timings):8.1f} "
            f"{percentile(timings, 0.95):8.1f} {max(timings):8.1f}"
        )
    print(f"{'all':16} {len(everything):6d} {statistics.median(everything):8.1f} {percentile(everything, 0.95):8.1f}")


if __name__ == "__main__":
    main()
