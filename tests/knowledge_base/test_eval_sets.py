"""The held-out evaluation sets (every bench/eval/*.yaml) stay apart from everything the assistant learns from: NLU
examples, FAQ questions of every domain in every language (a programme domain's programme questions too), office names
and aliases. Each question names the entry that answers it, and that entry exists: an FAQ entry of
knowledge_base/data/<domain>/faq.yaml, or for a domain whose entries are programmes (benefits) a programme of
knowledge_base/data/<domain>/programmes.yaml."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from functools import cache, lru_cache
from pathlib import Path

import pytest
import yaml

from knowledge_base.core.faq import FAQ_FILE, I18N_DIR, FaqEntry, load_faq
from knowledge_base.core.normalize import normalize
from knowledge_base.places import load_places
from settings import KnowledgeBaseSettings

ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = ROOT / "bench" / "eval"
SETS = sorted(path.stem for path in EVAL_DIR.glob("*.yaml"))
LANGS = ("ja", "en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id")
OTHER_LANGS = LANGS[2:]
# Smallest size per set: questions in ja, in en and in each other language ("other"); off-topic sentences per language.
MINIMUMS: dict[str, dict[str, int]] = {
    "library_foreign": {"ja": 100, "en": 40, "other": 20, "off_topic": 10},
    "smartphone": {"ja": 84, "en": 42, "other": 8, "off_topic": 5},
    "benefits": {"ja": 60, "en": 30, "other": 6, "off_topic": 5},
}
# A domain whose question-and-answer entries are generated from programmes (benefits): ids, Japanese `questions` and
# the `programmes.<id>.questions` of i18n/<lang>.yaml are read from this file instead of faq.yaml.
PROGRAMMES_FILE = "programmes.yaml"
# difflib ratio on normalised text at or above which a training sentence counts as a copy of a held-out one.
NEAR_COPY = 0.8


@cache
def _load_set(name: str) -> dict[str, list[dict[str, str]]]:
    return yaml.safe_load((EVAL_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def _eval_texts(name: str) -> list[tuple[str, str]]:
    data = _load_set(name)
    return [(case["lang"], case["text"]) for case in data["questions"] + data["off_topic"]]


def _data_dir() -> Path:
    return KnowledgeBaseSettings.from_env().data_dir


@cache
def _faq(domain: str) -> tuple[FaqEntry, ...]:
    """The entries of knowledge_base/data/<domain>/faq.yaml with their i18n text (() when there is no file)."""
    problems: list[str] = []
    entries = load_faq(_data_dir() / domain, problems)
    assert not problems, f"{domain}: " + "\n".join(problems)
    return tuple(entries)


def _faq_domains() -> list[str]:
    """Every domain folder of the data with a faq.yaml (library, foreign_residents, garbage, smartphone, ...)."""
    return sorted(path.parent.name for path in _data_dir().glob(f"*/{FAQ_FILE}"))


def _programme_domains() -> list[str]:
    """Every domain folder of the data whose entries are programmes (a programmes.yaml: benefits)."""
    return sorted(path.parent.name for path in _data_dir().glob(f"*/{PROGRAMMES_FILE}"))


@cache
def _programmes(domain: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(programme id, Japanese questions) of knowledge_base/data/<domain>/programmes.yaml (() when there is none)."""
    path = _data_dir() / domain / PROGRAMMES_FILE
    if not path.is_file():
        return ()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    rows = data.get("programmes", []) if isinstance(data, dict) else data
    return tuple(
        (str(row["id"]), tuple(str(q) for q in row.get("questions") or ()))
        for row in rows
        if isinstance(row, dict) and row.get("id")
    )


@cache
def _programme_translations(domain: str) -> dict[str, tuple[str, ...]]:
    """Curated questions of i18n/<lang>.yaml `programmes.<id>.questions`, per language (ja-easy included)."""
    out: dict[str, tuple[str, ...]] = {}
    for path in sorted((_data_dir() / domain / I18N_DIR).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        section = data.get("programmes") if isinstance(data, dict) else None
        questions = [
            str(q) for text in (section or {}).values() if isinstance(text, dict) for q in text.get("questions") or ()
        ]
        out[path.stem] = tuple(questions)
    return out


def _entry_ids(domain: str) -> frozenset[str]:
    """The ids a question of the domain may expect: its FAQ entries, or its programmes."""
    return frozenset({entry.id for entry in _faq(domain)} | {pid for pid, _ in _programmes(domain)})


def _held_out_lang(lang: str) -> str:
    """The held-out language a training language is compared with (やさしい日本語 is Japanese)."""
    return "ja" if lang == "ja-easy" else lang


def _nlu_by_language() -> dict[str, list[str]]:
    """Normalised NLU examples of nlu_data/<lang>/*.yml (entity annotations stripped), per language."""
    out: dict[str, list[str]] = {}
    for path in sorted((ROOT / "nlu_data").rglob("*.yml")):
        lang = path.relative_to(ROOT / "nlu_data").parts[0]
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    out.setdefault(lang, []).append(normalize(re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line[2:])))
    return out


@lru_cache(maxsize=1)
def _training_by_language() -> dict[str, tuple[str, ...]]:
    """Normalised NLU examples, FAQ questions of every domain and programme questions of every programme domain
    (Japanese + curated i18n, やさしい日本語 counted as Japanese), per language."""
    out = _nlu_by_language()
    for domain in _faq_domains():
        for entry in _faq(domain):
            out.setdefault("ja", []).extend(normalize(q) for q in entry.questions)
            for lang, text in entry.translations.items():
                out.setdefault(_held_out_lang(lang), []).extend(normalize(q) for q in text.questions)
    for domain in _programme_domains():
        for _, questions in _programmes(domain):
            out.setdefault("ja", []).extend(normalize(q) for q in questions)
        for lang, questions in _programme_translations(domain).items():
            out.setdefault(_held_out_lang(lang), []).extend(normalize(q) for q in questions)
    return {lang: tuple(dict.fromkeys(texts)) for lang, texts in out.items()}


@lru_cache(maxsize=1)
def _training_sentences() -> frozenset[str]:
    """Every training sentence in any language, and every office name, alias and curated (i18n) office name."""
    places = load_places(_data_dir())
    names = {n for office in places.offices.values() for n in office.names}
    names |= {n for tables in places.names.values() for n in tables.get("offices", {}).values()}
    sentences = {text for texts in _training_by_language().values() for text in texts}
    return frozenset(sentences | {normalize(n) for n in names})


@pytest.mark.parametrize("name", SETS)
def test_the_set_is_big_enough_per_language(name: str) -> None:
    if name not in MINIMUMS:
        pytest.fail(f"add the minimum sizes of bench/eval/{name}.yaml to MINIMUMS in this test")
    minimum = MINIMUMS[name]
    data = _load_set(name)
    questions = Counter(case["lang"] for case in data["questions"])
    off_topic = Counter(case["lang"] for case in data["off_topic"])
    small = [
        f"{lang}: {questions[lang]} questions, at least {minimum.get(lang, minimum['other'])} wanted"
        for lang in LANGS
        if questions[lang] < minimum.get(lang, minimum["other"])
    ]
    small += [
        f"{lang}: {off_topic[lang]} off-topic sentences, at least {minimum['off_topic']} wanted"
        for lang in LANGS
        if off_topic[lang] < minimum["off_topic"]
    ]
    assert not small, f"{name}.yaml is too small:\n" + "\n".join(small)


@pytest.mark.parametrize("name", SETS)
def test_every_case_is_well_formed(name: str) -> None:
    data = _load_set(name)
    bad = [
        str(case)
        for case in data["questions"]
        if case.get("lang") not in LANGS
        or not str(case.get("text") or "").strip()
        or not case.get("domain")
        or not case.get("expect")
    ]
    bad += [
        str(case)
        for case in data["off_topic"]
        if case.get("lang") not in LANGS or not str(case.get("text") or "").strip() or "expect" in case
    ]
    rule = f"a question has lang (one of {', '.join(LANGS)}), text, domain and expect; an off-topic one no expect"
    assert not bad, f"{name}.yaml: {rule}:\n" + "\n".join(bad)


@pytest.mark.parametrize("name", SETS)
def test_every_expected_entry_exists(name: str) -> None:
    """`expect` is the id of an entry of knowledge_base/data/<domain>/faq.yaml (or of a programme of
    <domain>/programmes.yaml): a benchmark scored against ids that do not exist would only measure zero."""
    missing: dict[str, list[str]] = {}
    for case in _load_set(name)["questions"]:
        if case["expect"] not in _entry_ids(case["domain"]):
            missing.setdefault(f"{case['domain']}/{case['expect']}", []).append(f"{case['lang']}: {case['text']}")
    assert not missing, (
        f"bench/eval/{name}.yaml expects {len(missing)} ids that are not entries of "
        f"knowledge_base/data/<domain>/{FAQ_FILE} or programmes of <domain>/{PROGRAMMES_FILE}:\n"
        + "\n".join(f"{key}  ({texts[0]})" for key, texts in missing.items())
    )


def test_no_sentence_is_held_out_twice() -> None:
    """A sentence in two sets (or twice in one) is counted twice, and could be a question in one set and off-topic
    in another."""
    seen: dict[str, list[str]] = {}
    for name in SETS:
        for lang, text in _eval_texts(name):
            seen.setdefault(normalize(text), []).append(f"{name}.yaml {lang}: {text}")
    twice = [" | ".join(places) for places in seen.values() if len(places) > 1]
    assert not twice, "drop or reword one of each:\n" + "\n".join(twice)


@pytest.mark.parametrize("name", SETS)
def test_no_evaluation_sentence_is_training_data(name: str) -> None:
    training = _training_sentences()
    leaked = [f"{lang}: {text}" for lang, text in _eval_texts(name) if normalize(text) in training]
    assert not leaked, f"{name}.yaml — rephrase these or drop them from the training data:\n" + "\n".join(leaked)


@pytest.mark.parametrize("name", SETS)
def test_no_evaluation_sentence_is_a_near_copy_of_training_data(name: str) -> None:
    """A reworded copy (「本を借りるのにお金かかる？」 of 「本借りるのにお金かかる？」) measures memory only."""
    training = _training_by_language()
    near: list[str] = []
    for lang, text in _eval_texts(name):
        held_out = normalize(text)
        for seen in training.get(lang, ()):
            matcher = difflib.SequenceMatcher(None, held_out, seen, autojunk=False)
            # The quick ratios are upper bounds of ratio(): cheap filters before the exact one.
            quick = matcher.real_quick_ratio() >= NEAR_COPY and matcher.quick_ratio() >= NEAR_COPY
            if quick and matcher.ratio() >= NEAR_COPY:
                near.append(f"{lang}: {text}  ~  {seen}")
                break
    assert not near, f"{name}.yaml — rephrase the training side of these pairs or drop it:\n" + "\n".join(near)
