"""Item-lookup accuracy and latency on the real data: `python -m bench.retrieval_accuracy`.

Prints (1) every item name asked as 「Xは何ごみですか？」 (target > 95%), (2) the resident-style variants of
tests/knowledge_base/variants.yaml, all and the held-out part (never used to tune rules or thresholds),
(3) the same variants answered by the vector search alone, (4) lookup latency p50/p95, overall and for lookups
that needed the vector search.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from knowledge_base.garbage.query import item_phrases
from knowledge_base.garbage.service import GarbageKnowledge, ItemLookup
from knowledge_base.service import KnowledgeBase

VARIANTS = Path(__file__).resolve().parent.parent / "tests" / "knowledge_base" / "variants.yaml"


def _right(result: ItemLookup, category: str) -> tuple[bool, bool]:
    """(right at once, right after one clarifying question)."""
    at_once = result.status == "found" and result.best is not None and result.best.item.category == category
    asked = result.status == "ambiguous" and any(m.item.category == category for m in result.candidates)
    return at_once, at_once or asked


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _report(
    title: str,
    cases: list[tuple[str, str]],
    kb: GarbageKnowledge,
    show: int,
    clear: Callable[[], None],
    vector_only: bool = False,
) -> list[tuple[float, str]]:
    clear()  # the query-vector cache would hide the encoder's time
    timings: list[tuple[float, str]] = []
    at_once = after_question = 0
    misses: list[str] = []
    for text, category in cases:
        started = time.perf_counter()
        # vector_only: what the embedding search alone would answer (no exact/contained name match).
        result = kb._vector_lookup(item_phrases(text).core) if vector_only else kb.lookup_item(text)
        timings.append((time.perf_counter() - started, result.method))
        right, right_after = _right(result, category)
        at_once += right
        after_question += right_after
        if not right:
            got = ", ".join(f"{m.item.name}/{m.item.category} {m.score:.3f}" for m in result.candidates[:3])
            misses.append(f"    {text!r} -> {result.status}/{result.method} [{got}] expected {category}")
    n = max(len(cases), 1)
    print(
        f"{title}: n={len(cases)}  right at once {at_once / n:.1%}  right after one question {after_question / n:.1%}"
    )
    for line in misses[:show]:
        print(line)
    if len(misses) > show:
        print(f"    ... {len(misses) - show} more")
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=15, help="misses to print per section")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    hub = KnowledgeBase.load()
    print(f"loaded in {time.perf_counter() - started:.1f}s: {hub.health()}")
    kb = hub.garbage

    names = [(f"{item.name}は何ごみですか？", item.category) for item in kb.knowledge.items]
    variants = yaml.safe_load(VARIANTS.read_text(encoding="utf-8"))
    all_cases = [(case["text"], case["category"]) for case in variants]
    heldout = [(case["text"], case["category"]) for case in variants if case.get("heldout")]

    timings = _report("item names as 「Xは何ごみですか？」", names, kb, args.show, hub.clear_cache)
    timings += _report("variants (all)", all_cases, kb, args.show, hub.clear_cache)
    _report("variants (held out)", heldout, kb, args.show, hub.clear_cache)
    _report(
        "variants, vector search alone (no name matching)", all_cases, kb, args.show, hub.clear_cache, vector_only=True
    )
    names_right = sum(
        kb.lookup_item(f"{item.name}は何ごみですか？").best is not None
        and kb.lookup_item(f"{item.name}は何ごみですか？").best.item is item  # type: ignore[union-attr]
        for item in kb.knowledge.items
    )
    print(f"item names: the very item (not just its category) found for {names_right / len(names):.1%}")

    overall = [t for t, _ in timings]
    vector = [t for t, method in timings if method == "vector"]
    print(
        f"latency all lookups (n={len(overall)}): p50 {_percentile(overall, 0.5) * 1000:.1f} ms  "
        f"p95 {_percentile(overall, 0.95) * 1000:.1f} ms"
    )
    if vector:
        print(
            f"latency vector lookups (n={len(vector)}): p50 {_percentile(vector, 0.5) * 1000:.1f} ms  "
            f"p95 {_percentile(vector, 0.95) * 1000:.1f} ms"
        )
    print(f"mean of all: {statistics.fmean(overall) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
