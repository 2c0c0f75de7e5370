"""Benchmark: question-and-answer domains on a held-out evaluation set (bench/eval/<set>.yaml).

    PYTHONPATH=. .venvs/services/bin/python -m bench.domain_accuracy [--set library_foreign] [--show 10]
    PYTHONPATH=. .venvs/services/bin/python -m bench.domain_accuracy --set smartphone
    PYTHONPATH=. .venvs/services/bin/python -m bench.domain_accuracy --set benefits

Retrieval only (no NLU): each question goes through the knowledge base's question classifier over the entries of
every question-and-answer domain (KnowledgeBase.classify), as the answer actions do (the benefits domain joins with
one entry per programme: `expect` is a programme id). Prints per language: top-1 right, answered confidently and
right, confidently wrong (the number to drive to zero), "not sure" (candidates offered) and with the right entry among
the candidates, and how many of that language's off-topic sentences got a confident answer (should be none). The
default set is library_foreign (library and foreign-resident questions). The evaluation files are never read by
training.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

EVAL_DIR = Path(__file__).resolve().parent / "eval"
DEFAULT_SET = "library_foreign"


@dataclass
class Outcome:
    top1: bool
    confident: bool
    among_candidates: bool


def eval_sets() -> list[str]:
    """Names of the held-out sets (bench/eval/<name>.yaml)."""
    return sorted(path.stem for path in EVAL_DIR.glob("*.yaml"))


def eval_file(name: str = DEFAULT_SET) -> Path:
    return EVAL_DIR / f"{name}.yaml"


def load_eval(name: str = DEFAULT_SET) -> dict[str, list[dict[str, str]]]:
    return yaml.safe_load(eval_file(name).read_text(encoding="utf-8"))


def judge(kb, text: str, expect: str | None) -> tuple[Outcome, str]:
    """As the answer actions decide: confident from kb.confident_score, candidates from kb.unsure_score."""
    hits = kb.classify(text, k=3)
    best = hits[0]
    near = [hit.entry.id for hit in hits if hit.score >= kb.unsure_score]
    outcome = Outcome(best.entry.id == expect, best.score >= kb.confident_score, expect in near)
    return outcome, f"{best.entry.id} p={best.score:.2f}"


def missing_entries(kb, questions: list[dict[str, str]]) -> list[str]:
    """`domain/expect` pairs of the set that the loaded knowledge base has no entry for (e.g. data not merged yet)."""
    from knowledge_base.service import UnknownDomain

    known: dict[str, set[str]] = {}
    for domain in {case["domain"] for case in questions}:
        try:
            known[domain] = {entry.id for entry in getattr(kb.domain(domain), "entries", [])}
        except UnknownDomain:
            known[domain] = set()
    pairs = {(case["domain"], case["expect"]) for case in questions}
    return sorted(f"{domain}/{entry_id}" for domain, entry_id in pairs if entry_id not in known[domain])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set", dest="name", default=DEFAULT_SET, choices=eval_sets(), help="held-out set: bench/eval/<SET>.yaml"
    )
    parser.add_argument("--show", type=int, default=8, help="wrong answers to print per language")
    args = parser.parse_args(argv)

    from knowledge_base.service import KnowledgeBase

    data = load_eval(args.name)
    kb = KnowledgeBase.load()
    missing = missing_entries(kb, data["questions"])
    if missing:
        print(f"{eval_file(args.name).name}: the knowledge base has no entry for {len(missing)} expected ids, e.g. "
              f"{', '.join(missing[:5])} (is the domain's data there and the index rebuilt?)")  # fmt: skip
        return 2
    per_lang: dict[str, list[Outcome]] = defaultdict(list)
    wrong: dict[str, list[str]] = defaultdict(list)
    for case in data["questions"]:
        outcome, detail = judge(kb, case["text"], case["expect"])
        per_lang[case["lang"]].append(outcome)
        if not (outcome.top1 and outcome.confident):
            wrong[case["lang"]].append(f"    {case['text']!r} -> {detail}, expected {case['expect']}")
    off = data.get("off_topic") or []
    off_per_lang: dict[str, list[bool]] = defaultdict(list)
    answered: list[str] = []
    for case in off:
        outcome, detail = judge(kb, case["text"], None)
        off_per_lang[case["lang"]].append(outcome.confident)
        if outcome.confident:
            answered.append(f"    {case['lang']} {case['text']!r} -> {detail}")

    print(f"held-out questions: {sum(map(len, per_lang.values()))} ({eval_file(args.name).name})")
    print("lang    n   top1  conf+right  conf-WRONG  unsure  unsure-with-right  off-topic-conf")
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
        offs = off_per_lang.get(lang, [])
        off_text = f"{sum(offs)}/{len(offs)}" if offs else "-"
        print(f"{lang:<6}{n:>4}  {top1 / n:>5.0%}  {right / n:>10.0%}  {confident_wrong / n:>10.0%}  "
              f"{unsure / n:>6.0%}  {unsure_right / n:>17.0%}  {off_text:>14}")  # fmt: skip
    n = totals[0]
    print(f"{'all':<6}{n:>4}  {totals[1] / n:>5.0%}  {totals[2] / n:>10.0%}  {totals[3] / n:>10.0%}  "
          f"{totals[4] / n:>6.0%}  {totals[5] / n:>17.0%}  {f'{len(answered)}/{len(off)}':>14}")  # fmt: skip
    print(f"off-topic sentences answered confidently (should be 0): {len(answered)}/{len(off)}")
    for line in answered[: args.show]:
        print(line)
    for lang, lines in wrong.items():
        if args.show:
            print(f"{lang}: not confidently right")
            print("\n".join(lines[: args.show]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
