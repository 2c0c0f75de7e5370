"""Benchmark: cold start, /api/chat latency on Japanese garbage questions, and memory of each process.

    make bench            # or: .venvs/services/bin/python -m bench.chat_latency [--rounds 5]

Starts its own stack on spare ports (as the end-to-end tests do), waits for /healthz, warms up, then asks every
question `--rounds` times one after another, as a resident would, and prints p50/p95/max and the RSS of Rasa,
the action server and the gateway.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import psutil

from scripts.stack_process import StackProcess

QUESTIONS = [
    "スプレー缶は何ごみ？",
    "ペットボトルの捨て方",
    "フライパンは何ごみですか",
    "新聞紙は何ごみ？",
    "ソファを捨てたい",
    "中央区青葉町の可燃ごみはいつ？",
    "電池は何ごみ",
    "傘を捨てたい",
    "生ごみは何ごみ",
    "段ボールの出し方",
    "粗大ごみの申し込み方法",
    "ごみは何時までに出せばいい？",
    "蛍光灯は何ごみ",
    "テレビを捨てたい",
    "紙おむつは何ごみ",
    "稲毛区小仲台の不燃ごみの日は？",
    "ライターの捨て方",
    "古着は何ごみ",
    "CDは何ごみ",
    "卵のパックは何ごみ",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[idx]


def rss_by_service(stack: StackProcess) -> dict[str, float]:
    """RSS in MiB of each service's process tree, found from the supervisor's children."""
    assert stack.proc is not None
    out: dict[str, float] = {}
    for child in psutil.Process(stack.proc.pid).children():
        cmd = " ".join(child.cmdline())
        name = (
            "rasa"
            if " rasa run" in f" {cmd}" or "/rasa run" in cmd or "bot.serve" in cmd
            else "actions"
            if "rasa_sdk" in cmd or "actions.server" in cmd
            else ("gateway" if "-m channels" in cmd else cmd[:40])
        )
        procs = [child, *child.children(recursive=True)]
        out[name] = out.get(name, 0.0) + sum(p.memory_info().rss for p in procs) / 2**20  # replicas add up
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, StackProcess(28080, 25005, 25055, Path(tmp)) as stack:
        print(f"cold start until /healthz 200: {stack.cold_start_seconds:.1f} s")
        for q in QUESTIONS:  # warm-up: first calls load caches, JIT paths, SQLite pages
            stack.chat(q, sender_id="warmup")
        timings: list[float] = []
        errors = 0
        for r in range(args.rounds):
            for i, q in enumerate(QUESTIONS):
                t0 = time.perf_counter()
                status, _ = stack.chat(q, sender_id=f"bench-{r}-{i}")
                timings.append((time.perf_counter() - t0) * 1000)
                errors += status != 200
        print(f"/api/chat Japanese garbage questions: n={len(timings)} errors={errors}")
        print(
            f"  p50 {statistics.median(timings):.1f} ms  p95 {percentile(timings, 0.95):.1f} ms  "
            f"max {max(timings):.1f} ms"
        )
        for name, mib in rss_by_service(stack).items():
            print(f"  RSS {name}: {mib:.0f} MiB")


if __name__ == "__main__":
    main()
