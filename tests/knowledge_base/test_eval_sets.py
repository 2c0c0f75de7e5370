"""The held-out evaluation set of the library and foreign-resident domains stays apart from everything the
assistant learns from: NLU examples, FAQ questions in every language, office names and aliases."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from knowledge_base.core.faq import load_faq
from knowledge_base.core.normalize import normalize
from knowledge_base.places import load_places
from knowledge_base.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "bench" / "eval" / "library_foreign.yaml"
DOMAINS = ("library", "foreign_residents")


def _eval_texts() -> list[tuple[str, str]]:
    data = yaml.safe_load(EVAL.read_text(encoding="utf-8"))
    return [(case["lang"], case["text"]) for case in data["questions"] + data["off_topic"]]


def _nlu_examples() -> set[str]:
    out: set[str] = set()
    for path in (ROOT / "nlu_data").rglob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    out.add(normalize(re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line[2:])))
    return out


def _data_questions() -> set[str]:
    data_dir = Settings.from_env().data_dir
    problems: list[str] = []
    questions = {normalize(q) for d in DOMAINS for e in load_faq(data_dir / d, problems) for q in e.all_questions}
    places = load_places(data_dir)
    names = {normalize(n) for office in places.offices.values() for n in office.names}
    assert not problems
    return questions | names


def test_the_set_is_big_enough_per_language() -> None:
    langs = [lang for lang, _ in _eval_texts()]
    assert langs.count("ja") >= 100 and langs.count("en") >= 40
    assert all(langs.count(code) >= 20 for code in ("zh", "ko", "vi", "tl", "ne", "pt", "es", "id"))


def test_no_evaluation_sentence_is_training_data() -> None:
    training = _nlu_examples() | _data_questions()
    leaked = [f"{lang}: {text}" for lang, text in _eval_texts() if normalize(text) in training]
    assert not leaked, "rephrase these or drop them from the training data:\n" + "\n".join(leaked)
