"""The held-out evaluation sets (every bench/eval/*.yaml) stay apart from everything the assistant learns from: NLU
examples, FAQ questions of every domain in every language (a programme domain's programme questions too), office names
and aliases, and (garbage.yaml) every item name, reading, alias, dictionary name and foreign name of the loaded garbage
knowledge. Each question names the entry that answers it, and that entry exists: an FAQ entry of
knowledge_base/data/<domain>/faq.yaml, or for a domain whose entries are programmes (benefits) a programme of
knowledge_base/data/<domain>/programmes.yaml; a garbage item names a dictionary entry (jiten CSV) whose category in the
loaded knowledge is the expected one. No code outside bench/ and tests/ reads the sets."""

from __future__ import annotations

import csv
import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

import pytest
import yaml

from knowledge_base.core.faq import FAQ_FILE, I18N_DIR, FaqEntry, load_faq
from knowledge_base.core.normalize import normalize
from knowledge_base.garbage.models import JITEN_CSV, JITEN_DIR, Knowledge, load_knowledge
from knowledge_base.places import load_places
from settings import KnowledgeBaseSettings

ROOT = Path(__file__).resolve().parents[2]
EVAL_DIR = ROOT / "bench" / "eval"
SETS = sorted(path.stem for path in EVAL_DIR.glob("*.yaml"))
# The garbage set has its own shape (items / unknown / off_topic / other_city, see its header); the others are
# question-and-answer sets (questions / off_topic).
GARBAGE = "garbage"
QA_SETS = [name for name in SETS if name != GARBAGE]
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
# garbage.yaml: smallest sizes (items in ja / in each other language, unknown things, off-topic sentences per
# language, other-city questions).
GARBAGE_MINIMUMS = {"ja": 320, "other": 45, "unknown": 40, "off_topic": 25, "other_city": 10}
# Category ids an item case may expect (the contract of Issue 7; categories.yaml defines them).
GARBAGE_CATEGORIES = frozenset(
    {"kanen", "funen", "yugai", "bin_kan_pet", "koshi_nuno", "eda_kusa", "sodai", "kaden_recycle", "not_collected",
     "kanen_or_sodai", "funen_or_sodai", "haishutsu_kinshi", "tento_kaishu", "kyoten_kaishu", "jimusho", "iryo"}
)  # fmt: skip
# `asked: shigen` = a yes/no question about "recyclables" in general; the answer is yes for any of these.
SHIGEN = "shigen"
RECYCLABLE = frozenset({"bin_kan_pet", "koshi_nuno", "eda_kusa"})
# An item name inside a held-out sentence is how residents ask ("cepillo de dientes viejo" holds "cepillo de
# dientes"); a name counts as a copy when it is this close, or NEAR_COPY close without being inside the sentence.
NAME_COPY = 0.9
# Code that must never read the held-out sets (training data, index building, matching, answers).
NON_EVAL_CODE = ("knowledge_base", "actions", "bot", "channels", "scripts", "translations", "storage")


@cache
def _load_set(name: str) -> dict[str, list[dict[str, str]]]:
    return yaml.safe_load((EVAL_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def _eval_texts(name: str) -> list[tuple[str, str]]:
    data = _load_set(name)
    sections = ("items", "unknown", "off_topic", "other_city") if name == GARBAGE else ("questions", "off_topic")
    return [(case["lang"], case["text"]) for section in sections for case in data.get(section) or []]


def _key(text: str) -> str:
    """Normalised text; emoji-only or punctuation-only text (normalised to nothing) is kept as written."""
    return normalize(text) or text.strip()


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
                    out.setdefault(lang, []).append(_key(re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line[2:])))
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


@pytest.mark.parametrize("name", QA_SETS)
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


@pytest.mark.parametrize("name", QA_SETS)
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


@pytest.mark.parametrize("name", QA_SETS)
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
            seen.setdefault(_key(text), []).append(f"{name}.yaml {lang}: {text}")
    twice = [" | ".join(places) for places in seen.values() if len(places) > 1]
    assert not twice, "drop or reword one of each:\n" + "\n".join(twice)


@pytest.mark.parametrize("name", SETS)
def test_no_evaluation_sentence_is_training_data(name: str) -> None:
    training = _training_sentences()
    leaked = [f"{lang}: {text}" for lang, text in _eval_texts(name) if _key(text) in training]
    assert not leaked, f"{name}.yaml — rephrase these or drop them from the training data:\n" + "\n".join(leaked)


@pytest.mark.parametrize("name", SETS)
def test_no_evaluation_sentence_is_a_near_copy_of_training_data(name: str) -> None:
    """A reworded copy (「本を借りるのにお金かかる？」 of 「本借りるのにお金かかる？」) measures memory only."""
    training = _training_by_language()
    by_lang: dict[str, list[str]] = defaultdict(list)
    for lang, text in _eval_texts(name):
        by_lang[lang].append(text)
    near: list[str] = []
    for lang, texts in by_lang.items():
        seen = training.get(lang, ())
        held_out = [_key(text) for text in texts]
        copied: dict[int, str] = {}
        for i, j in _overlap_pairs(held_out, seen, NEAR_COPY):
            if i not in copied and _similar(held_out[i], seen[j], NEAR_COPY):
                copied[i] = f"{lang}: {texts[i]}  ~  {seen[j]}"
        near += [copied[i] for i in sorted(copied)]
    assert not near, f"{name}.yaml — rephrase the training side of these pairs or drop it:\n" + "\n".join(near)


def _similar(a: str, b: str, threshold: float) -> bool:
    """difflib ratio of a and b at least `threshold`; the length bound and quick_ratio (upper bounds of ratio())
    filter first, so the exact ratio runs on few pairs."""
    if not a or not b or 2 * min(len(a), len(b)) / (len(a) + len(b)) < threshold:
        return False
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= threshold and matcher.ratio() >= threshold


def test_no_code_outside_bench_and_tests_reads_the_sets() -> None:
    """Training data, indexes, matchers and answers are built without the held-out sets."""
    pattern = re.compile(r"bench[/.]eval|eval/[A-Za-z_]+\.yaml")
    readers = [
        str(path.relative_to(ROOT))
        for folder in NON_EVAL_CODE
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in (".py", ".yml", ".yaml", ".json", ".toml")
        and "__pycache__" not in path.parts
        and pattern.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert not readers, "these files name a held-out set (bench/eval/*.yaml):\n" + "\n".join(readers)


# ---------------------------------------------------------------------------------------------- garbage.yaml
def _garbage() -> dict[str, list[dict]]:
    return _load_set(GARBAGE)


@lru_cache(maxsize=1)
def _knowledge() -> Knowledge:
    """The garbage knowledge as the assistant loads it (curated items merged with the dictionary)."""
    return load_knowledge(_data_dir())


@lru_cache(maxsize=1)
def _item_names() -> dict[str, frozenset[str]]:
    """Every normalised name, reading, alias, dictionary name and foreign name of the loaded items, with the
    categories of the items that hold it."""
    out: dict[str, set[str]] = defaultdict(set)
    for item in _knowledge().items:
        for text in (*item.names, *item.foreign_names):
            if key := _key(text):
                out[key].add(item.category)
    return {key: frozenset(categories) for key, categories in sorted(out.items())}


def _overlap_pairs(texts: list[str], names: tuple[str, ...], threshold: float) -> list[tuple[int, int]]:
    """(text index, name index) pairs whose characters overlap enough for a difflib ratio of `threshold`.

    The overlap of the two character multisets bounds ratio() from above (it is quick_ratio()); counted for all
    pairs at once as a sparse product, the k-th occurrence of a character being its own column.
    """
    import numpy as np
    from scipy.sparse import csr_matrix

    columns: dict[tuple[str, int], int] = {}

    def matrix(strings: Iterable[str]) -> list[list[int]]:
        rows = []
        for text in strings:
            seen: Counter[str] = Counter()
            cells = []
            for ch in text:
                seen[ch] += 1
                cells.append(columns.setdefault((ch, seen[ch]), len(columns)))
            rows.append(cells)
        return rows

    def csr(rows: list[list[int]]) -> csr_matrix:
        indptr = [0]
        for cells in rows:
            indptr.append(indptr[-1] + len(cells))
        indices = [cell for cells in rows for cell in cells]
        return csr_matrix(([1] * len(indices), indices, indptr), shape=(len(rows), len(columns)), dtype="int32")

    text_rows, name_rows = matrix(texts), matrix(names)
    name_matrix = csr(name_rows).T.tocsr()
    text_lengths = np.array([len(text) for text in texts])
    name_lengths = np.array([len(name) for name in names])
    pairs: list[tuple[int, int]] = []
    for start in range(0, len(texts), 64):  # in chunks: most pairs share a letter or a kana
        overlaps = (csr(text_rows[start : start + 64]) @ name_matrix).tocoo()
        rows, cols = overlaps.row + start, overlaps.col
        close = 2 * overlaps.data >= threshold * (text_lengths[rows] + name_lengths[cols])
        pairs += zip(rows[close].tolist(), cols[close].tolist(), strict=True)
    return pairs


def _jiten_names() -> frozenset[str] | None:
    """Column 2 of the dictionary CSV (knowledge_base/data/garbage/jiten/), None while it is not there."""
    path = _data_dir() / "garbage" / JITEN_DIR / JITEN_CSV
    if not path.is_file():
        return None
    with path.open(encoding="utf-8", newline="") as handle:
        return frozenset(row[1] for row in csv.reader(handle) if len(row) > 1)


def test_the_garbage_set_is_big_enough() -> None:
    data = _garbage()
    items = Counter(case["lang"] for case in data["items"])
    off_topic = Counter(case["lang"] for case in data["off_topic"])
    wanted = GARBAGE_MINIMUMS
    small = [
        f"{lang}: {items[lang]} items, at least {wanted.get(lang, wanted['other'])} wanted"
        for lang in LANGS
        if items[lang] < wanted.get(lang, wanted["other"])
    ]
    small += [
        f"{lang}: {off_topic[lang]} off-topic sentences, at least {wanted['off_topic']} wanted"
        for lang in LANGS
        if off_topic[lang] < wanted["off_topic"]
    ]
    for section in ("unknown", "other_city"):
        if len(data.get(section) or []) < wanted[section]:
            small.append(f"{section}: {len(data.get(section) or [])} sentences, at least {wanted[section]} wanted")
    assert not small, "garbage.yaml is too small:\n" + "\n".join(small)


def _bad_item(case: dict) -> str | None:
    """Why an `items` case is malformed (None when it is fine)."""
    keys = {"lang", "text", "expect", "category", "yesno", "asked", "answer_yes", "asks_day"}
    if set(case) - keys:
        return f"unknown keys {sorted(set(case) - keys)}"
    if case.get("lang") not in LANGS or not str(case.get("text") or "").strip() or not case.get("expect"):
        return "lang, text and expect are required"
    if case.get("category") not in GARBAGE_CATEGORIES:
        return f"category must be one of {sorted(GARBAGE_CATEGORIES)}"
    if "asks_day" in case and case["asks_day"] is not True:
        return "asks_day is `true` or absent"
    if case.get("yesno") is None:
        return "asked/answer_yes belong to yesno cases" if {"asked", "answer_yes"} & set(case) else None
    if case["yesno"] is not True or case.get("asked") not in GARBAGE_CATEGORIES | {SHIGEN}:
        return f"yesno: true needs `asked`, a category id or {SHIGEN}"
    yes = case["category"] == case["asked"] or (case["asked"] == SHIGEN and case["category"] in RECYCLABLE)
    if case.get("answer_yes") is not yes:
        return f"answer_yes must be {str(yes).lower()} (asked {case['asked']}, category {case['category']})"
    return None


def test_every_garbage_case_is_well_formed() -> None:
    data = _garbage()
    bad = [f"{problem}: {case}" for case in data["items"] if (problem := _bad_item(case))]
    for section, keys in (("unknown", {"lang", "text"}), ("off_topic", {"lang", "text"}),
                          ("other_city", {"lang", "text", "city"})):  # fmt: skip
        bad += [
            f"{section} has exactly {sorted(keys)}: {case}"
            for case in data.get(section) or []
            if set(case) != keys or case["lang"] not in LANGS or not str(case["text"]).strip()
        ]
    assert not bad, "garbage.yaml (see the rules in its header):\n" + "\n".join(bad)


def test_every_garbage_item_names_a_dictionary_entry() -> None:
    """`expect` is a name of the city's dictionary exactly as in the CSV (column 2)."""
    names = _jiten_names()
    if names is None:
        pytest.skip("the dictionary CSV is not in knowledge_base/data/garbage/jiten/ yet")
    missing = sorted({case["expect"] for case in _garbage()["items"]} - names)
    assert not missing, "garbage.yaml expects names the dictionary does not have:\n" + "\n".join(missing)


def test_every_expected_category_is_the_knowledge_bases() -> None:
    """The item holding the dictionary name answers with the expected category. When they differ, either the set is
    wrong (fix `category`) or the data is (an override with the current page, jiten/overrides.yaml)."""
    holders: dict[str, set[str]] = defaultdict(set)
    for item in _knowledge().items:
        for name in (*item.jiten_names, *((item.name,) if item.origin == "jiten" else ())):
            holders[_key(name)].add(item.category)  # normalised: the data may trim the CSV's stray spaces
    if not holders:
        pytest.skip("the loaded knowledge has no dictionary entries yet")
    wrong: dict[str, str] = {}
    for case in _garbage()["items"]:
        got = holders.get(_key(case["expect"]))
        if got != {case["category"]}:
            wrong[case["expect"]] = f"{case['expect']}: set {case['category']}, knowledge {sorted(got or ['-'])}"
    assert not wrong, "garbage.yaml and the knowledge disagree:\n" + "\n".join(sorted(wrong.values()))


def test_no_garbage_sentence_is_an_item_name() -> None:
    """No held-out sentence is a name the matcher knows (name, reading, alias, dictionary name, foreign name), and
    none is a near copy of a name that would answer it right: that would measure a lookup table, not the matcher. (A
    near copy of a name of another category, 「kursi patah」 ~ 「kursi pijat」, is a fair distractor.) An unknown,
    off-topic or other-city sentence is a near copy of no name at all."""
    table = _item_names()
    names = tuple(table)
    data = _garbage()
    cases = [(case, section) for section in ("items", "unknown", "off_topic", "other_city") for case in data[section]]
    texts = [_key(case["text"]) for case, _ in cases]
    copies: dict[int, str] = {}
    for i, j in _overlap_pairs(texts, names, NEAR_COPY):
        (case, section), name = cases[i], names[j]
        if i in copies:
            continue
        answers_it = section != "items" or case["category"] in table[name]
        if texts[i] == name or (answers_it and _copied_name(texts[i], name)):
            copies[i] = f"{section} {case['lang']}: {case['text']}  ~  {name} {sorted(table[name])}"
    assert not copies, "rephrase these held-out sentences or drop the name from the data:\n" + "\n".join(
        copies[i] for i in sorted(copies)
    )


def _copied_name(held_out: str, name: str) -> bool:
    """The sentence is the name with a small change, or close to it without holding it ("X viejo" holds X)."""
    if held_out == name or _similar(held_out, name, NAME_COPY):
        return True
    return name not in held_out and _similar(held_out, name, NEAR_COPY)


def test_the_benchmark_scores_a_fake_lookup() -> None:
    """bench/garbage_accuracy.py counts what it claims: a confident right and wrong answer, a clarifying question
    with the right candidate, a yes/no whose asked category was read, a day question, an unknown thing answered."""
    from types import SimpleNamespace

    from bench.garbage_accuracy import figures

    def match(category: str) -> SimpleNamespace:
        return SimpleNamespace(item=SimpleNamespace(name=category, category=category), score=1.0)

    answers = {
        "right": SimpleNamespace(
            status="found", best=match("kanen"), candidates=[match("kanen")], asked_category="kanen"
        ),
        "wrong": SimpleNamespace(status="found", best=match("funen"), candidates=[]),
        "unsure": SimpleNamespace(status="ambiguous", best=None, candidates=[match("funen"), match("sodai")]),
        "day": SimpleNamespace(status="found", best=match("yugai"), candidates=[], asks_day=True),
        "cow": SimpleNamespace(status="found", best=match("kanen"), candidates=[]),
        "funabashi": SimpleNamespace(status="not_found", best=None, candidates=[], other_city="船橋市"),
    }
    data = {
        "items": [
            {"lang": "ja", "text": "right", "category": "kanen", "expect": "x", "yesno": True, "asked": "kanen",
             "answer_yes": True},
            {"lang": "ja", "text": "wrong", "category": "kanen", "expect": "x"},
            {"lang": "en", "text": "unsure", "category": "sodai", "expect": "x"},
            {"lang": "en", "text": "day", "category": "yugai", "expect": "x", "asks_day": True},
        ],
        "unknown": [{"lang": "en", "text": "cow"}],
        "off_topic": [{"lang": "en", "text": "unsure"}],
        "other_city": [{"lang": "ja", "text": "funabashi"}],
    }  # fmt: skip
    result = figures(data, lambda text, lang: answers[text])
    ja, en, total = result.per_lang["ja"], result.per_lang["en"], result.total()
    assert (ja.n, ja.top1, ja.confident_right, ja.confident_wrong) == (2, 1, 1, 1)
    assert (ja.yesno, ja.yesno_asked_read, ja.yesno_right) == (1, 1, 1)
    assert (en.clarify, en.clarify_right, en.top1) == (1, 1, 1)  # the first candidate is funen, sodai is second
    assert (en.day, en.day_recognised, total.day_false) == (1, 1, 0)
    assert (total.n, total.confident_wrong) == (4, 1)
    assert len(result.unknown_categorised) == 1 and not result.off_topic_categorised
    assert result.other_city_recognised == 1
