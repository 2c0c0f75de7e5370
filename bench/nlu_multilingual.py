"""Benchmark: multilingual NLU accuracy per language, training time, and the parse latency the e5 featurizer adds.

    cd /work/main && export PYTHONPATH=. OMP_NUM_THREADS=1
    .venvs/bot/bin/python -m bench.nlu_multilingual evaluate bot/configs/multilingual.yml config.yml:ja
    .venvs/bot/bin/python -m bench.nlu_multilingual latency var/bench/nlu_multilingual/multilingual.tar.gz

`evaluate` holds out `--test-fraction` of every (language, intent) in nlu_data/ (exact duplicates removed first,
so no test sentence is also a training sentence), trains each CONFIG[:LANGS] on the rest (LANGS = comma-separated
codes, default all) and prints intent accuracy per language on the whole test split, the share sent to
nlu_fallback, and the wall-clock training time. Gold `out_of_scope` also counts `nlu_fallback` as right: both
reach action_fallback. Off-topic probes written for this benchmark are parsed too.

`latency` loads a trained model and times, call by call, a full parse and the E5Featurizer step alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
NLU_DIR = REPO / "nlu_data"
OUT_DIR = REPO / "var" / "bench" / "nlu_multilingual"
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"

# Not in the training data: weather/off-topic must not be answered as garbage or small talk.
OFF_TOPIC_PROBES = [
    "今日の天気はどうですか",
    "What's the weather today?",
    "今天天气怎么样？",
    "오늘 날씨 어때요?",
    "Hôm nay thời tiết thế nào?",
    "Ano ang panahon ngayon?",
    "आज मौसम कस्तो छ?",
    "Como está o tempo hoje?",
    "¿Qué tiempo hace hoy?",
    "Bagaimana cuaca hari ini?",
]

LATENCY_QUESTIONS = [
    "スプレー缶は何ごみ？",
    "What kind of garbage is a frying pan?",
    "平底锅是什么垃圾？",
    "프라이팬은 무슨 쓰레기예요?",
    "Chảo rán là rác gì?",
    "Anong basura ang kawali?",
    "फ्राइङ प्यान कुन फोहोर हो?",
    "A frigideira é que tipo de lixo?",
    "¿La sartén qué basura es?",
    "Wajan termasuk sampah apa?",
]


def load_examples() -> list[tuple[str, str, str]]:
    """(language, intent, text) for every example in nlu_data/<lang>/*.yml, first occurrence of a text only."""
    seen: set[str] = set()
    examples = []
    for path in sorted(NLU_DIR.glob("*/*.yml")):
        lang = path.parent.name
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                text = line.strip()[2:].strip() if line.strip().startswith("- ") else ""
                if text and text not in seen:
                    seen.add(text)
                    examples.append((lang, block["intent"], text))
    return examples


def split(examples: list[tuple[str, str, str]], fraction: float, seed: int) -> tuple[list, list]:
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for example in examples:
        groups[example[:2]].append(example)
    rng = random.Random(seed)
    train, test = [], []
    for key in sorted(groups):
        items = groups[key][:]
        rng.shuffle(items)
        n_test = max(1, round(len(items) * fraction))
        test += items[:n_test]
        train += items[n_test:]
    return train, test


def write_nlu(examples: list[tuple[str, str, str]], path: Path) -> None:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for _, intent, text in examples:
        by_intent[intent].append(text)
    blocks = [{"intent": intent, "examples": "".join(f"- {t}\n" for t in texts)} for intent, texts in by_intent.items()]
    path.write_text(yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True, sort_keys=False), "utf-8")


async def parse_all(agent: Any, texts: list[str]) -> list[dict[str, Any]]:
    return [await agent.parse_message(text) for text in texts]


def is_right(gold: str, predicted: str) -> bool:
    return predicted == gold or (gold == OUT_OF_SCOPE and predicted == FALLBACK)


def evaluate(spec: str, train: list, test: list, workdir: Path) -> dict[str, Any]:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    config, _, langs = spec.partition(":")
    wanted = set(langs.split(",")) if langs else None
    name = Path(config).stem + (f"-{langs.replace(',', '_')}" if langs else "")
    train_file = workdir / f"{name}.yml"
    used = [e for e in train if wanted is None or e[0] in wanted]
    write_nlu(used, train_file)

    started = time.perf_counter()
    model = train_nlu(str(REPO / config), str(train_file), str(OUT_DIR), fixed_model_name=name)
    train_s = time.perf_counter() - started
    if model is None:
        raise RuntimeError(f"training {spec} failed")

    agent = Agent.load(model)
    results = asyncio.run(parse_all(agent, [text for _, _, text in test] + OFF_TOPIC_PROBES))
    predicted = [r["intent"]["name"] for r in results]
    per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # right, total, fallback
    confusions: dict[str, int] = defaultdict(int)
    for (lang, gold, text), pred in zip(test, predicted, strict=False):
        row = per_lang[lang]
        row[0] += is_right(gold, pred)
        row[1] += 1
        row[2] += pred == FALLBACK
        if not is_right(gold, pred):
            confusions[f"{lang} {gold} -> {pred}: {text}"] += 1
    probes = dict(zip(OFF_TOPIC_PROBES, predicted[len(test) :], strict=True))
    return {
        "spec": spec,
        "model": model,
        "train_s": round(train_s, 1),
        "n_train": len(used),
        "per_lang": dict(sorted(per_lang.items())),
        "probes": probes,
        "errors": sorted(confusions),
    }


def print_report(report: dict[str, Any]) -> None:
    print(f"\n== {report['spec']}  train {report['train_s']} s  ({report['model']})")
    total = [0, 0, 0]
    for lang, (right, n, fallback) in report["per_lang"].items():
        total = [total[0] + right, total[1] + n, total[2] + fallback]
        print(f"  {lang:3} accuracy {right / n:6.1%}  ({right}/{n})  fallback {fallback / n:5.1%}")
    print(f"  all accuracy {total[0] / total[1]:6.1%}  ({total[0]}/{total[1]})  fallback {total[2] / total[1]:5.1%}")
    off = sum(p in (OUT_OF_SCOPE, FALLBACK) for p in report["probes"].values())
    print(f"  off-topic probes answered as off-topic: {off}/{len(report['probes'])}")
    for text, pred in report["probes"].items():
        print(f"    {pred:20} {text}")


def timings_ms(fn: Any, items: list[Any], rounds: int) -> dict[str, float]:
    samples = []
    for _ in range(rounds):
        for item in items:
            started = time.perf_counter()
            fn(item)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50": round(statistics.median(samples), 1), "p95": round(samples[int(0.95 * (len(samples) - 1))], 1),
            "max": round(samples[-1], 1)}  # fmt: skip


def latency(model: str, rounds: int) -> None:
    from rasa.core.agent import Agent
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message

    from bot.components.e5_featurizer import E5Featurizer
    from bot.components.multilingual_tokenizer import MultilingualTokenizer

    started = time.perf_counter()
    agent = Agent.load(model)
    print(f"model load {time.perf_counter() - started:.1f} s")
    loop = asyncio.new_event_loop()
    loop.run_until_complete(agent.parse_message("warm up"))
    parse = timings_ms(lambda text: loop.run_until_complete(agent.parse_message(text)), LATENCY_QUESTIONS, rounds)
    print(f"full parse           ms {parse}")

    with tempfile.TemporaryDirectory() as tmp:
        context = ExecutionContext(GraphSchema({}), "bench", node_name="e5")
        tokenizer = MultilingualTokenizer.create(
            MultilingualTokenizer.get_default_config(), LocalModelStorage(Path(tmp)), Resource("t"), context
        )
        featurizer = E5Featurizer.create(
            E5Featurizer.get_default_config(), LocalModelStorage(Path(tmp)), Resource("e"), context
        )

        def featurize(text: str) -> None:
            featurizer.process(tokenizer.process([Message(data={"text": text})]))

        featurize("warm up")
        print(f"E5Featurizer step    ms {timings_ms(featurize, LATENCY_QUESTIONS, rounds)}")
        tokenize_ms = timings_ms(lambda t: tokenizer.process([Message(data={"text": t})]), LATENCY_QUESTIONS, rounds)
        print(f"tokenizer step       ms {tokenize_ms}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate")
    ev.add_argument("configs", nargs="+", help="CONFIG[:LANGS], paths relative to the repository")
    ev.add_argument("--test-fraction", type=float, default=0.2)
    ev.add_argument("--seed", type=int, default=1)
    lat = sub.add_parser("latency")
    lat.add_argument("model")
    lat.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    if args.command == "latency":
        latency(args.model, args.rounds)
        return
    train, test = split(load_examples(), args.test_fraction, args.seed)
    print(f"{len(train)} training / {len(test)} held-out examples")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.configs:
            report = evaluate(spec, train, test, Path(tmp))
            print_report(report)
            name = Path(report["model"]).name.replace(".tar.gz", ".json")
            (OUT_DIR / name).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
