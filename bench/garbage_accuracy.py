"""Benchmark: garbage answers on the held-out set bench/eval/garbage.yaml (Issue 7).

    PYTHONPATH=. .venvs/services/bin/python -m bench.garbage_accuracy [--part items] [--show 8]
    PYTHONPATH=. OMP_NUM_THREADS=1 .venvs/bot/bin/python -m bench.garbage_accuracy --part offtopic [--model PATH]
        [--save-intents var/bench/garbage_intents.json]
    PYTHONPATH=. .venvs/services/bin/python -m bench.garbage_accuracy --part e2e [--intents FILE]

`--part items` (services env) asks GarbageKnowledge.lookup_item(text, lang) every sentence of the set, the way the
garbage actions do, and prints per language: top-1 category right (the confident answer, or else the first
candidate), answered confidently and right, confidently WRONG (the number to drive to zero), clarify rate (candidates
offered, never a category) and clarify with the right category among the candidates, no answer; yes/no questions whose
asked category was read right and answered right; "which day" questions recognised (and day flags on other questions);
Chiba City wards taken for another city. Then: `unknown` things that got a category (must be 0), off-topic sentences
that got a category (must be 0), other cities recognised.

`--part offtopic` (bot env) parses the set with the trained Rasa model (default var/rasa/models/chiba.tar.gz) and
prints per language the share of off-topic sentences sent to the fallback (out_of_scope or nlu_fallback), the item
questions the fallback stole (should be 0) or that reached a garbage intent, and the intents of the other-city and
unknown sentences.

`--part offtopic --save-intents FILE` also writes the intents, and `--part e2e --intents FILE` (services env) then
scores what residents get end to end: an item question the NLU sent to the fallback is answered only when the
garbage domain claims it (actions/garbage/item.py `claims`: a confident item making up most of the message), one sent
to another domain gets no garbage answer; an off-topic sentence is given a category when a garbage intent's lookup
or a claimed fallback finds an item confidently.

The evaluation file is never read by training; `figures`/`score_items` are imported by tests with a fake lookup.
"""

from __future__ import annotations

import argparse
import inspect
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import yaml

EVAL_FILE = Path(__file__).resolve().parent / "eval" / "garbage.yaml"
REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO / "var" / "rasa" / "models" / "chiba.tar.gz"
INTENTS_FILE = REPO / "var" / "bench" / "garbage_intents.json"
LANGS = ("ja", "en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id")
# `asked: shigen` is a question about "recyclables" in general (資源ごみ, recyclable, 재활용...): any of these answers.
SHIGEN = "shigen"
RECYCLABLE = frozenset({"bin_kan_pet", "koshi_nuno", "eda_kusa"})
FALLBACK_INTENTS = frozenset({"out_of_scope", "nlu_fallback"})
GARBAGE_INTENTS = frozenset(
    {"ask_garbage_item", "ask_collection_day", "ask_bulky_waste", "ask_garbage_rule", "inform_town"}
)

Case = dict[str, Any]
Lookup = Callable[[str, str], Any]  # (text, lang) -> ItemLookup (or anything with the same attributes)


def load_eval(path: Path = EVAL_FILE) -> dict[str, list[Case]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def expected_yes(case: Case) -> bool:
    """The right answer to a yes/no case: the asked category is the item's (or "recyclable" and it is one)."""
    asked, category = case["asked"], case["category"]
    return category == asked or (asked == SHIGEN and category in RECYCLABLE)


def asked_matches(asked: str | None, expected: str) -> bool:
    """Did the matcher read the category the question names? (`shigen` accepts any recyclable id or `shigen`.)"""
    if asked is None:
        return False
    return asked == expected or (expected == SHIGEN and (asked == SHIGEN or asked in RECYCLABLE))


# ---------------------------------------------------------------------------------------------------- one lookup
@dataclass(frozen=True)
class Outcome:
    """What one lookup answered, reduced to what the benchmark scores."""

    status: str  # found | ambiguous | not_found | unknown
    first: str | None  # category of the confident answer, or of the first candidate
    candidates: tuple[str, ...]  # categories of all candidates (the confident answer first)
    asked: str | None
    asks_day: bool
    other_city: str | None
    detail: str  # for failure listings

    @property
    def confident(self) -> bool:
        return self.status == "found" and self.first is not None


def outcome_of(result: Any) -> Outcome:
    """Reads an ItemLookup; the attributes part E adds (asked_category, asks_day, other_city) may be absent."""
    status = str(getattr(result, "status", "not_found"))
    best = getattr(result, "best", None)
    matches = list(getattr(result, "candidates", None) or [])
    if status == "found" and best is not None:
        matches = [best, *[m for m in matches if m is not best]]
    categories = tuple(m.item.category for m in matches)
    names = ", ".join(f"{m.item.name}/{m.item.category}" for m in matches[:3])
    return Outcome(
        status=status,
        first=categories[0] if categories else None,
        candidates=categories,
        asked=getattr(result, "asked_category", None),
        asks_day=bool(getattr(result, "asks_day", False)),
        other_city=getattr(result, "other_city", None),
        detail=f"{status}/{getattr(result, 'method', '')} [{names}]",
    )


# ---------------------------------------------------------------------------------------------------- the figures
@dataclass
class LangFigures:
    """Counts for one language's `items` (rates are these over n)."""

    n: int = 0
    top1: int = 0
    confident_right: int = 0
    confident_wrong: int = 0
    clarify: int = 0
    clarify_right: int = 0
    no_answer: int = 0
    yesno: int = 0
    yesno_asked_read: int = 0
    yesno_right: int = 0  # asked category read right AND the item's category answered confidently right
    day: int = 0
    day_recognised: int = 0
    day_false: int = 0  # asks_day set on a question that does not ask for a day
    city_false: int = 0  # other_city set on a question about Chiba City
    failures: list[str] = field(default_factory=list)


@dataclass
class Figures:
    per_lang: dict[str, LangFigures]
    unknown_n: int = 0
    unknown_categorised: list[str] = field(default_factory=list)  # must stay empty
    unknown_status_unknown: int = 0  # the matcher said "what do you mean?"
    off_topic_n: int = 0
    off_topic_categorised: list[str] = field(default_factory=list)  # must stay empty
    other_city_n: int = 0
    other_city_recognised: int = 0
    other_city_missed: list[str] = field(default_factory=list)

    def total(self) -> LangFigures:
        out = LangFigures()
        for figures in self.per_lang.values():
            for name, value in vars(figures).items():
                if isinstance(value, int):
                    setattr(out, name, getattr(out, name) + value)
        return out


def score_items(cases: Iterable[Case], lookup: Lookup) -> dict[str, LangFigures]:
    """Per-language figures of `items` cases answered by `lookup(text, lang)`."""
    per_lang: dict[str, LangFigures] = defaultdict(LangFigures)
    for case in cases:
        got = outcome_of(lookup(case["text"], case["lang"]))
        row = per_lang[case["lang"]]
        expected = case["category"]
        row.n += 1
        top1 = got.first == expected
        row.top1 += top1
        row.confident_right += got.confident and top1
        row.confident_wrong += got.confident and not top1
        row.clarify += got.status == "ambiguous"
        row.clarify_right += got.status == "ambiguous" and expected in got.candidates
        row.no_answer += got.status in ("not_found", "unknown")
        if case.get("yesno"):
            row.yesno += 1
            read = asked_matches(got.asked, case["asked"])
            row.yesno_asked_read += read
            row.yesno_right += read and got.confident and top1
        if case.get("asks_day"):
            row.day += 1
            row.day_recognised += got.asks_day
        else:
            row.day_false += got.asks_day
        row.city_false += bool(got.other_city)
        if not (got.confident and top1):
            mark = "WRONG " if got.confident else ""
            row.failures.append(f"    {mark}{case['text']!r} -> {got.detail}, expected {expected} ({case['expect']})")
    return dict(per_lang)


def figures(data: dict[str, list[Case]], lookup: Lookup) -> Figures:
    """Every figure of the items part: `items` per language, `unknown`, `off_topic` and `other_city`."""
    out = Figures(per_lang=score_items(data["items"], lookup))
    for case in data.get("unknown") or []:
        got = outcome_of(lookup(case["text"], case["lang"]))
        out.unknown_n += 1
        out.unknown_status_unknown += got.status == "unknown"
        if got.confident:
            out.unknown_categorised.append(f"    {case['lang']} {case['text']!r} -> {got.detail}")
    for case in data.get("off_topic") or []:
        got = outcome_of(lookup(case["text"], case["lang"]))
        out.off_topic_n += 1
        if got.confident:
            out.off_topic_categorised.append(f"    {case['lang']} {case['text']!r} -> {got.detail}")
    for case in data.get("other_city") or []:
        got = outcome_of(lookup(case["text"], case["lang"]))
        out.other_city_n += 1
        if got.other_city:
            out.other_city_recognised += 1
        else:
            out.other_city_missed.append(f"    {case['lang']} {case['text']!r} -> other_city={got.other_city!r}")
    return out


# ---------------------------------------------------------------------------------------------------- printing
def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "-"


def _row(lang: str, f: LangFigures) -> str:
    return (
        f"{lang:<5}{f.n:>4}  {_pct(f.top1, f.n):>5}  {_pct(f.confident_right, f.n):>9}  "
        f"{_pct(f.confident_wrong, f.n):>10}  {_pct(f.clarify, f.n):>7}  {_pct(f.clarify_right, f.n):>13}  "
        f"{_pct(f.no_answer, f.n):>6}  {f'{f.yesno_right}/{f.yesno}':>7}  {f'{f.yesno_asked_read}/{f.yesno}':>7}  "
        f"{f'{f.day_recognised}/{f.day}':>6}  {f.day_false:>7}  {f.city_false:>6}"
    )


def print_figures(result: Figures, show: int) -> None:
    print(f"items: {sum(f.n for f in result.per_lang.values())} ({EVAL_FILE.name})")
    print(
        "lang    n   top1  conf+right  conf-WRONG  clarify  clarify+right  no-ans   yes/no  asked  day-q  "
        "day-false  city-false"
    )
    for lang in sorted(result.per_lang, key=lambda code: LANGS.index(code) if code in LANGS else 99):
        print(_row(lang, result.per_lang[lang]))
    print(_row("all", result.total()))
    wrong = result.total().confident_wrong
    print(f"confidently WRONG (drive to 0): {wrong}")
    print(
        f"unknown things given a category (must be 0): {len(result.unknown_categorised)}/{result.unknown_n}  "
        f"(answered 'unknown': {result.unknown_status_unknown})"
    )
    for line in result.unknown_categorised[:show]:
        print(line)
    print(f"off-topic sentences given a category (must be 0): {len(result.off_topic_categorised)}/{result.off_topic_n}")
    for line in result.off_topic_categorised[:show]:
        print(line)
    print(f"other cities recognised: {result.other_city_recognised}/{result.other_city_n}")
    for line in result.other_city_missed[:show]:
        print(line)
    if show:
        for lang, f in result.per_lang.items():
            if f.failures:
                # Confidently wrong answers first: they are the ones to fix.
                ordered = sorted(f.failures, key=lambda line: not line.lstrip().startswith("WRONG"))
                print(f"{lang}: not confidently right ({len(f.failures)})")
                print("\n".join(ordered[:show]))


def knowledge_lookup() -> Lookup:
    """GarbageKnowledge.lookup_item of the loaded knowledge base, with the language when it takes one."""
    from knowledge_base.service import KnowledgeBase

    kb = KnowledgeBase.load().garbage
    try:
        inspect.signature(kb.lookup_item).bind("text", "ja")
    except TypeError:
        return lambda text, lang: kb.lookup_item(text)
    return lambda text, lang: kb.lookup_item(text, lang)


# ---------------------------------------------------------------------------------------------------- off-topic
NLU_SECTIONS = ("off_topic", "items", "other_city", "unknown")


def print_intents(data: dict[str, list[Case]], intents: dict[str, list[str]], show: int) -> None:
    """Per language: off-topic sent to the fallback, item questions sent to the fallback or to a garbage intent."""
    off: dict[str, list[bool]] = defaultdict(list)
    items_fb: dict[str, list[bool]] = defaultdict(list)
    items_gb: dict[str, list[bool]] = defaultdict(list)
    missed: list[str] = []
    stolen: list[str] = []
    for case, intent in zip(data.get("off_topic") or [], intents["off_topic"], strict=True):
        off[case["lang"]].append(intent in FALLBACK_INTENTS)
        if intent not in FALLBACK_INTENTS:
            missed.append(f"    {case['lang']} {case['text']!r} -> {intent}")
    for case, intent in zip(data.get("items") or [], intents["items"], strict=True):
        items_fb[case["lang"]].append(intent in FALLBACK_INTENTS)
        items_gb[case["lang"]].append(intent in GARBAGE_INTENTS)
        if intent in FALLBACK_INTENTS:
            stolen.append(f"    {case['lang']} {case['text']!r} -> {intent}")
    print("lang  off-topic->fallback  items->fallback  items->garbage")
    for lang in [code for code in LANGS if code in off or code in items_fb]:
        o, fb, gb = off.get(lang, []), items_fb.get(lang, []), items_gb.get(lang, [])
        print(f"{lang:<4}  {_pct(sum(o), len(o)):>19}  {_pct(sum(fb), len(fb)):>15}  {_pct(sum(gb), len(gb)):>14}")
    all_o = [v for rows in off.values() for v in rows]
    all_fb = [v for rows in items_fb.values() for v in rows]
    all_gb = [v for rows in items_gb.values() for v in rows]
    print(f"all   {_pct(sum(all_o), len(all_o)):>19}  {_pct(sum(all_fb), len(all_fb)):>15}  "
          f"{_pct(sum(all_gb), len(all_gb)):>14}")  # fmt: skip
    for name in ("other_city", "unknown"):
        counts = Counter(intents[name])
        print(f"{name} intents: " + ", ".join(f"{intent} {n}" for intent, n in counts.most_common()))
    if show:
        print(f"off-topic not sent to the fallback ({len(missed)}):")
        print("\n".join(missed[: show * 3]))
        print(f"item questions sent to the fallback ({len(stolen)}):")
        print("\n".join(stolen[: show * 3]))


def run_offtopic(data: dict[str, list[Case]], model: Path, show: int, save: Path | None = None) -> int:
    """Parses the set with the trained Rasa model (bot env)."""
    if not model.is_file():
        print(f"no trained model at {model} (make train)")
        return 2
    import asyncio

    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse(texts: list[str]) -> list[str]:
        return [(await agent.parse_message(text))["intent"]["name"] for text in texts]

    intents = {name: asyncio.run(parse([c["text"] for c in data.get(name) or []])) for name in NLU_SECTIONS}
    print(f"model {model}")
    print_intents(data, intents, show)
    if save is not None:
        save.parent.mkdir(parents=True, exist_ok=True)
        save.write_text(json.dumps(intents, ensure_ascii=False), encoding="utf-8")
        print(f"intents saved to {save} (score them end to end: --part e2e --intents {save})")
    return 0


def end_to_end_lookup(intents: dict[str, list[str]], data: dict[str, list[Case]], lookup: Lookup) -> Lookup:
    """`lookup` as residents reach it: only through a garbage intent, or through a fallback the garbage domain
    claims; anything else answers nothing (a not-found result)."""
    from actions.garbage.item import asked_first, fallback_takes

    routed = {
        (case["text"], case["lang"]): intent
        for name in NLU_SECTIONS
        for case, intent in zip(data.get(name) or [], intents.get(name) or [], strict=False)
    }

    def reached(text: str, lang: str) -> Any:
        intent = routed.get((text, lang))
        result = lookup(text, lang)
        if intent in GARBAGE_INTENTS:
            return asked_first(result)  # as the item action answers it
        if intent in FALLBACK_INTENTS and fallback_takes(result):
            return result
        # The fallback says "Chiba City only" when another city is named (actions/common/fallback.py); another
        # domain's action gives no garbage answer.
        city = getattr(result, "other_city", None) if intent in FALLBACK_INTENTS else None
        return SimpleNamespace(status="not_found", best=None, candidates=[], method=f"-> {intent}", other_city=city)

    return reached


def run_end_to_end(data: dict[str, list[Case]], saved: Path, show: int) -> int:
    """The figures of the items part with the NLU's routing applied (services env)."""
    if not saved.is_file():
        print(f"no saved intents at {saved}: run --part offtopic --save-intents {saved} in the bot env first")
        return 2
    intents = json.loads(saved.read_text(encoding="utf-8"))
    print(f"end to end: NLU intents from {saved}")
    print_figures(figures(data, end_to_end_lookup(intents, data, knowledge_lookup())), show)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("items", "offtopic", "e2e"), default="items")
    parser.add_argument("--show", type=int, default=8, help="failures to print per language")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="trained Rasa model (--part offtopic)")
    parser.add_argument("--save-intents", type=Path, help="--part offtopic: write the NLU's intents here")
    parser.add_argument("--intents", type=Path, default=INTENTS_FILE, help="--part e2e: the saved intents")
    args = parser.parse_args(argv)
    data = load_eval()
    if args.part == "offtopic":
        return run_offtopic(data, args.model, args.show, args.save_intents)
    if args.part == "e2e":
        return run_end_to_end(data, args.intents, args.show)
    print_figures(figures(data, knowledge_lookup()), args.show)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
