"""Benchmark: library and foreign-resident answers on the held-out evaluation set (bench/eval/library_foreign.yaml).

    PYTHONPATH=. .venvs/services/bin/python -m bench.domain_accuracy [--show 10]

Retrieval only (no NLU): each question goes through the knowledge base's question classifier over the library and
foreign-resident entries (KnowledgeBase.classify), as the answer actions do. Prints per language: top-1 right,
answered confidently and right, confidently
wrong (the number to drive to zero), "not sure" (candidates offered) and with the right entry among the candidates;
for the off-topic sentences, how many got a confident answer. The evaluation file is never read by training.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

EVAL_FILE = Path(__file__).resolve().parent / "eval" / "library_foreign.yaml"


@dataclass
class Outcome:
    top1: bool
    confident: bool
    among_candidates: bool


def load_eval() -> dict[str, list[dict[str, str]]]:
    return yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))


def judge(kb, text: str, expect: str | None) -> tuple[Outcome, str]:
    """As the answer actions decide: confident from kb.confident_score, candidates from kb.unsure_score."""
    hits = kb.classify(text, k=3)
    best = hits[0]
    near = [hit.entry.id for hit in hits if hit.score >= kb.unsure_score]
    outcome = Outcome(best.entry.id == expect, best.score >= kb.confident_score, expect in near)
    return outcome, f"{best.entry.id} p={best.score:.2f}"


def main(argv: list[str] | None = None) -> int:
    from knowledge_base.service import KnowledgeBase

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=8, help="wrong answers to print per language")
    args = parser.parse_args(argv)
    kb = KnowledgeBase.load()
    data = load_eval()
    per_lang: dict[str, list[Outcome]] = defaultdict(list)
    wrong: dict[str, list[str]] = defaultdict(list)
    for case in data["questions"]:
        outcome, detail = judge(kb, case["text"], case["expect"])
        per_lang[case["lang"]].append(outcome)
        if not (outcome.top1 and outcome.confident):
            wrong[case["lang"]].append(f"    {case['text']!r} -> {detail}, expected {case['expect']}")
    print(f"held-out questions: {sum(map(len, per_lang.values()))} ({EVAL_FILE.name})")
    print("lang    n   top1  conf+right  conf-WRONG  unsure  unsure-with-right")
    totals = [0, 0, 0, 0, 0, 0]
    for lang in sorted(per_lang, key=lambda code: (code != "ja", code != "en", code)):
        rows = per_lang[lang]
        n = len(rows)
        top1 = sum(o.top1 for o in rows)
        right = sum(o.top1 and o.confident for o in rows)
        confident_wrong = sum(o.confident and not o.top1 for o in rows)
        unsure = sum(not o.confident for o in rows)
        unsure_right = sum(not o.confident and o.among_candidates for o in rows)
        for i, value in enumerate((n, top1, right, confident_wrong, unsure, unsure_right)):
            totals[i] += value
        print(f"{lang:<6}{n:>4}  {top1 / n:>5.0%}  {right / n:>10.0%}  {confident_wrong / n:>10.0%}  "
              f"{unsure / n:>6.0%}  {unsure_right / n:>17.0%}")  # fmt: skip
    n = totals[0]
    print(f"{'all':<6}{n:>4}  {totals[1] / n:>5.0%}  {totals[2] / n:>10.0%}  {totals[3] / n:>10.0%}  "
          f"{totals[4] / n:>6.0%}  {totals[5] / n:>17.0%}")  # fmt: skip
    off = data["off_topic"]
    answered = [case for case in off if judge(kb, case["text"], None)[0].confident]
    print(f"off-topic sentences answered confidently (should be 0): {len(answered)}/{len(off)}")
    for case in answered[: args.show]:
        print(f"    {case['lang']} {case['text']!r} -> {judge(kb, case['text'], None)[1]}")
    for lang, lines in wrong.items():
        if args.show:
            print(f"{lang}: not confidently right")
            print("\n".join(lines[: args.show]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
