"""End to end, issue 3: residents ask garbage questions in their own language (lang "auto") and get the answer in
that language and script, naming the official Japanese term they must match on bags and signs.

Questions and expected terms: tests/e2e/multilingual_questions.yaml. Grading (language, script, term) is shared
with the benchmark, bench/multilingual_accuracy.py, which prints the same table with latencies.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.multilingual_accuracy import (
    ISSUE_ITEMS,
    Outcome,
    Question,
    accuracy_table,
    ask,
    by_lang,
    load_questions,
    script_ok,
    share,
)
from scripts.stack_process import StackProcess

pytestmark = pytest.mark.e2e

QUESTIONS = load_questions()
FOREIGN_LANGS = ("en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id")
ROOT = Path(__file__).resolve().parents[2]
ITEMS_DIR = ROOT / "knowledge_base" / "data" / "garbage" / "items"
FAQ_FILE = ROOT / "knowledge_base" / "data" / "garbage" / "faq.yaml"
NLU_DIR = ROOT / "nlu_data"

# Thresholds from the measured figures (2026-11-25, model trained 12:30 with the multilingual pipeline): foreign
# languages 169/198 = 85% fully right, issue items 26/27, weakest language ko 14/22 = 64%, every reply in the asker's
# language and script (198/198). Before the multilingual NLU every language scored 14-23%, so the per-language bar
# below catches a broken language with room to spare.
ISSUE_MIN = 0.90  # acceptance bar of issue 3: at most 2 of the 27 issue-item questions wrong
OVERALL_MIN = 0.80  # measured 0.85; margin about 10 questions
LANG_MIN = 0.50  # measured 0.64-0.95; margin 3 questions for the weakest (ko)
REPLY_LANG_MIN = 0.95  # measured 1.00: whatever the answer, the reply is in the asker's language and script
EN_VS_JA_MIN = 0.90  # English accuracy on the same items, relative to Japanese


@pytest.fixture(scope="module")
def outcomes(stack: StackProcess) -> list[Outcome]:
    """Every question asked once; the table is printed for `pytest -s` and kept for the assertions below."""
    results = [ask(stack.chat, q) for q in QUESTIONS]
    print("\n" + accuracy_table(results))
    for outcome in results:
        if not outcome.ok:
            print("  " + outcome.describe())
    return results


def in_language(outcome: Outcome) -> bool:
    return outcome.lang_ok and outcome.script_ok


def failures(rows: list[Outcome], check: Callable[[Outcome], bool] = lambda o: o.ok, limit: int = 30) -> str:
    wrong = [o.describe() for o in rows if not check(o)]
    more = [f"… and {len(wrong) - limit} more"] if len(wrong) > limit else []
    return f"{len(wrong)}/{len(rows)} not fully right:\n" + "\n".join(wrong[:limit] + more)


# --- the set itself (no stack needed) ------------------------------------------------------------------------------


def test_every_language_has_twenty_questions_and_the_issue_items() -> None:
    groups: dict[str, list[Question]] = {}
    for q in QUESTIONS:
        groups.setdefault(q.lang, []).append(q)
    assert set(FOREIGN_LANGS) <= set(groups)
    for lang in FOREIGN_LANGS:
        ids = [q.id for q in groups[lang]]
        assert len(ids) >= 20, lang
        assert len(ids) == len(set(ids)), f"{lang}: a topic asked twice"
        assert set(ISSUE_ITEMS) <= set(ids), lang


def test_items_named_in_the_set_exist_in_the_data() -> None:
    import yaml

    names = {row["name"] for path in ITEMS_DIR.glob("*.yaml") for row in yaml.safe_load(path.read_text("utf-8"))}
    missing = sorted({q.item for q in QUESTIONS if q.item and q.item not in names})
    assert not missing, missing


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Spray cans go out as Hazardous waste (有害ごみ).", "en", True),
        ("PET bottles go out as Recyclables (資源物（びん・缶・ペットボトル）).", "en", True),
        ("スプレー缶は有害ごみです。", "en", False),
        ("스프레이 캔은 유해 쓰레기(有害ごみ)입니다.", "ko", True),
        ("Spray cans go out as Hazardous waste (有害ごみ).", "ko", False),
        ("स्प्रे क्यान खतरनाक फोहोर (有害ごみ) हो।", "ne", True),
        ("喷雾罐属于有害垃圾（有害ごみ）。", "zh", True),
        ("スプレー缶は有害ごみとして出してください。", "zh", False),
        ("Bình xịt là rác độc hại (有害ごみ).", "vi", True),
        ("スプレー缶は有害ごみです。", "ja", True),
        ("", "en", False),
    ],
)
def test_script_check(text: str, lang: str, expected: bool) -> None:
    assert script_ok(text, lang) is expected


def _plain(text: str) -> str:
    """Comparable form of a question: NFKC, lower case, no entity markup, no end punctuation."""
    text = re.sub(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})", r"\1", text)
    return unicodedata.normalize("NFKC", text).lower().strip(" \t\"'?!.。？！¿¡")


def _training_examples() -> set[str]:
    """NLU examples (nlu_data/**) and the FAQ questions retrieval is built from (faq.yaml and its translations)."""
    lines = [line for path in NLU_DIR.rglob("*.yml") for line in path.read_text("utf-8").splitlines()]
    for path in [FAQ_FILE, *FAQ_FILE.parent.joinpath("i18n").glob("*.yaml")]:
        lines.extend(path.read_text("utf-8").splitlines())
    out: set[str] = set()
    for line in lines:
        line = line.strip()
        if line.startswith("- "):
            out.add(_plain(line[2:]))
        elif line.startswith("questions: ["):  # flow style: questions: ["…", "…"]
            out.update(_plain(q) for q in re.findall(r'"([^"]+)"', line))
    return out


def test_questions_are_held_out_from_training_data() -> None:
    """The set measures understanding of new phrasings: none of its questions may be a training example verbatim."""
    examples = _training_examples()
    leaked = [f"{q.lang}: {q.text}" for q in QUESTIONS if _plain(q.text) in examples]
    assert not leaked, "rephrase these in the set or drop them from the training data:\n" + "\n".join(leaked)


# --- answers from the running stack --------------------------------------------------------------------------------


def test_issue_items_in_every_language(outcomes: list[Outcome]) -> None:
    rows = [o for o in outcomes if o.question.lang in FOREIGN_LANGS and o.question.id in ISSUE_ITEMS]
    assert len(rows) == len(FOREIGN_LANGS) * len(ISSUE_ITEMS)
    assert share(rows) >= ISSUE_MIN, failures(rows)


def test_overall_accuracy(outcomes: list[Outcome]) -> None:
    rows = [o for o in outcomes if o.question.lang in FOREIGN_LANGS]
    assert share(rows) >= OVERALL_MIN, failures(rows)


@pytest.mark.parametrize("lang", FOREIGN_LANGS)
def test_language_accuracy(outcomes: list[Outcome], lang: str) -> None:
    rows = by_lang(outcomes)[lang]
    assert share(rows) >= LANG_MIN, failures(rows)


@pytest.mark.parametrize("lang", FOREIGN_LANGS)
def test_reply_language_is_the_question_language(outcomes: list[Outcome], lang: str) -> None:
    """Whatever the answer, a resident who asked in their language is answered in it (detection, then templates)."""
    rows = by_lang(outcomes)[lang]
    assert share(rows, in_language) >= REPLY_LANG_MIN, failures(rows, in_language)


def test_english_reaches_japanese_accuracy_on_the_same_items(outcomes: list[Outcome]) -> None:
    groups = by_lang(outcomes)
    shared = {o.question.id for o in groups["ja"]} & {o.question.id for o in groups["en"]}
    ja = share([o for o in groups["ja"] if o.question.id in shared])
    en = share([o for o in groups["en"] if o.question.id in shared])
    assert ja > 0, failures(groups["ja"])
    assert en >= EN_VS_JA_MIN * ja, f"en {en:.0%} vs ja {ja:.0%}\n" + failures(groups["en"])
