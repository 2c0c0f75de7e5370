"""The held-out evaluation set of the library and foreign-resident domains stays apart from everything the
assistant learns from: NLU examples, FAQ questions in every language, office names and aliases."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import yaml

from knowledge_base.core.faq import load_faq
from knowledge_base.core.normalize import normalize
from knowledge_base.places import load_places
from settings import KnowledgeBaseSettings

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "bench" / "eval" / "library_foreign.yaml"
DOMAINS = ("library", "foreign_residents")
# difflib ratio on normalised text at or above which a training sentence counts as a copy of a held-out one.
NEAR_COPY = 0.8


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
    data_dir = KnowledgeBaseSettings.from_env().data_dir
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


def _training_by_language() -> dict[str, list[str]]:
    """Normalised NLU examples (nlu_data/<lang>/) and FAQ questions (Japanese + curated i18n), per language."""
    out: dict[str, list[str]] = {}
    for path in (ROOT / "nlu_data").rglob("*.yml"):
        lang = path.relative_to(ROOT / "nlu_data").parts[0]
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    out.setdefault(lang, []).append(normalize(re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line[2:])))
    data_dir = KnowledgeBaseSettings.from_env().data_dir
    for domain in DOMAINS:
        for entry in load_faq(data_dir / domain, []):
            out.setdefault("ja", []).extend(normalize(q) for q in entry.questions)
            for lang, text in entry.translations.items():
                out.setdefault(lang, []).extend(normalize(q) for q in text.questions)
    return out


def test_no_evaluation_sentence_is_a_near_copy_of_training_data() -> None:
    """A reworded copy (「本を借りるのにお金かかる？」 of 「本借りるのにお金かかる？」) measures memory only."""
    training = _training_by_language()
    near: list[str] = []
    for lang, text in _eval_texts():
        held_out = normalize(text)
        for seen in training.get(lang, []):
            matcher = difflib.SequenceMatcher(None, held_out, seen, autojunk=False)
            # The quick ratios are upper bounds of ratio(): cheap filters before the exact one.
            quick = matcher.real_quick_ratio() >= NEAR_COPY and matcher.quick_ratio() >= NEAR_COPY
            if quick and matcher.ratio() >= NEAR_COPY:
                near.append(f"{lang}: {text}  ~  {seen}")
                break
    assert not near, "rephrase the training side of these pairs or drop it:\n" + "\n".join(near)
