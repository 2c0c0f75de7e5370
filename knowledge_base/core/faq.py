"""Question-and-answer entries of any domain (`<domain>/faq.yaml` + `<domain>/i18n/<lang>.yaml`) and their search.

An entry's Japanese questions and the curated questions of every language are rows of one FAISS index per domain;
a resident's question is matched question-to-question (e5 "query" role on both sides), so a Korean question finds
the entry through its Korean rows or, cross-lingually, through the Japanese ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge_base.core.data import read_yaml, read_yaml_list, text_field, text_list
from knowledge_base.core.normalize import has_cjk, normalize

if TYPE_CHECKING:
    import numpy as np

    from knowledge_base.core.index import Corpus, VectorIndex

# general = general guidance (e.g. how-tos whose menus differ by phone model), not a city fact to verify.
CERTAINTIES = ("confirmed", "uncertain", "general")
# `office: ward_office` in the data: the resident's own ward office (known once they gave their town), not one desk.
RESIDENT_WARD_OFFICE = "ward_office"
UNSURE_MARGIN = 0.04  # cosine mode: this far below the threshold, entries are offered as candidates
FAQ_FILE = "faq.yaml"
I18N_DIR = "i18n"


@dataclass(frozen=True)
class FaqText:
    """The curated text of one entry in one language."""

    answer: str | None
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class FaqEntry:
    id: str
    topic: str
    questions: tuple[str, ...]  # Japanese ways residents ask
    answer: str  # Japanese display text
    certainty: str  # confirmed | uncertain (the reply says what to check, with the phone) | general (guidance)
    source: str
    phone: str | None = None
    office: str | None = None  # an office id of places/offices.yaml: the desk to hand off to
    source_date: str | None = None
    domain: str = ""
    translations: Mapping[str, FaqText] = field(default_factory=dict)  # lang -> curated text

    def answer_in(self, lang: str) -> str | None:
        """The curated answer in `lang` (the data's own text for Japanese); None when nothing is curated."""
        if lang == "ja":
            return self.answer
        text = self.translations.get(lang)
        return text.answer if text else None

    @property
    def all_questions(self) -> tuple[str, ...]:
        """Japanese questions, then the curated questions of every language (index rows)."""
        extra = (q for lang in sorted(self.translations) for q in self.translations[lang].questions)
        return tuple(dict.fromkeys((*self.questions, *extra)))


def load_faq(domain_dir: Path, problems: list[str], domain: str | None = None) -> list[FaqEntry]:
    """`faq.yaml` of a domain folder with the curated text of `i18n/*.yaml` attached ([] when there is no file)."""
    domain = domain or domain_dir.name
    path = domain_dir / FAQ_FILE
    if not path.is_file():
        return []
    label = f"{domain}/{FAQ_FILE}"
    translations = _load_translations(domain_dir / I18N_DIR, problems, domain)
    entries: list[FaqEntry] = []
    for i, raw in enumerate(read_yaml_list(path, problems, label)):
        where = f"{label}[{i}]"
        fields = {
            key: text_field(raw, key, where, problems) for key in ("id", "topic", "answer", "certainty", "source")
        }
        questions = text_list(raw.get("questions"), where, problems, key="questions")
        if not questions:
            problems.append(f"{where}: 'questions' must list at least one question")
        if not all(fields.values()) or not questions:
            continue
        entry_id = fields["id"] or ""
        entries.append(
            FaqEntry(
                id=entry_id,
                topic=fields["topic"] or "",
                questions=questions,
                answer=fields["answer"] or "",
                certainty=fields["certainty"] or "",
                source=fields["source"] or "",
                phone=text_field(raw, "phone", where, problems, required=False),
                office=text_field(raw, "office", where, problems, required=False),
                source_date=text_field(raw, "source_date", where, problems, required=False),
                domain=domain,
                translations={lang: texts[entry_id] for lang, texts in translations.items() if entry_id in texts},
            )
        )
    known = {entry.id for entry in entries}
    for lang, texts in sorted(translations.items()):
        for entry_id in sorted(set(texts) - known):
            problems.append(f"{domain}/{I18N_DIR}/{lang}.yaml: faq {entry_id!r} is not in {FAQ_FILE}")
    return entries


def _load_translations(folder: Path, problems: list[str], domain: str) -> dict[str, dict[str, FaqText]]:
    """{lang: {entry id: FaqText}} from the `faq:` section of every i18n file (other sections are not FAQ text)."""
    out: dict[str, dict[str, FaqText]] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.yaml")):
        label = f"{domain}/{I18N_DIR}/{path.name}"
        data = read_yaml(path, problems, label)
        section = data.get("faq") if isinstance(data, dict) else None
        if section is None:
            continue
        if not isinstance(section, dict):
            problems.append(f"{label}: 'faq' must map entry ids to their text")
            continue
        texts: dict[str, FaqText] = {}
        for entry_id, raw in section.items():
            if not isinstance(raw, dict):
                problems.append(f"{label}: faq {entry_id!r} must be a mapping")
                continue
            where = f"{label} faq {entry_id}"
            texts[str(entry_id)] = FaqText(
                answer=text_field(raw, "answer", where, problems, required=False),
                questions=text_list(raw.get("questions"), where, problems, key="questions"),
            )
        out[path.stem] = texts
    return out


def validate_faq(entries: list[FaqEntry], offices: Mapping[str, object] | None = None) -> list[str]:
    """Problems a resident would notice: duplicate ids, unsourced or unknown-certainty answers, unknown desks."""
    problems: list[str] = []
    seen: set[str] = set()
    for entry in entries:
        where = f"{entry.domain} faq {entry.id}"
        if entry.id in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(entry.id)
        if not entry.source.startswith("http"):
            problems.append(f"{where}: source must be a URL")
        if entry.certainty not in CERTAINTIES:
            problems.append(f"{where}: certainty must be one of {CERTAINTIES}")
        if offices is not None and entry.office not in (None, RESIDENT_WARD_OFFICE) and entry.office not in offices:
            problems.append(f"{where}: unknown office {entry.office!r}")
        for lang, text in entry.translations.items():
            if not text.answer:
                problems.append(f"{where}: no answer in i18n/{lang}.yaml")
    return problems


def faq_questions(entry: FaqEntry, translated: bool) -> tuple[str, ...]:
    return entry.all_questions if translated else entry.questions


def faq_corpus(entries: list[FaqEntry], translated: bool = True) -> Corpus:
    """Index rows: every question of every entry (`translated=False`: the Japanese questions only)."""
    from knowledge_base.core.index import Corpus, Row

    rows = [Row(owner, q) for owner, entry in enumerate(entries) for q in faq_questions(entry, translated)]
    return Corpus(rows, "query")


@dataclass(frozen=True)
class FaqHit:
    entry: FaqEntry
    score: float  # 1.0 for a question written exactly as in the data (after normalisation); else cosine
    matched: str  # the data question that matched


class FaqSearch:
    """Best entries of one domain for a resident's question: exact (normalised) question first, then vectors."""

    def __init__(
        self,
        entries: list[FaqEntry],
        index: VectorIndex,
        query_vector: Callable[[str], np.ndarray],
        threshold: float,
        threshold_other: float,
        translated: bool = True,  # False: curated questions in other languages are not matched (as in the index)
    ) -> None:
        self.entries = entries
        self._index = index
        self._query_vector = query_vector
        self._threshold = threshold
        self._threshold_other = threshold_other
        self._exact = {normalize(q): i for i, entry in enumerate(entries) for q in faq_questions(entry, translated)}
        self._by_id = {entry.id: entry for entry in entries}

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def rows(self) -> int:
        return len(self._index)

    def get(self, entry_id: str) -> FaqEntry | None:
        return self._by_id.get(entry_id)

    def threshold_for(self, text: str) -> float:
        """Cross-lingual cosines run lower than Japanese-to-Japanese ones."""
        return self._threshold if has_cjk(text) else self._threshold_other

    def unsure_floor(self, text: str) -> float:
        """Below the confident score but from this one, the entry is offered as a "did you mean" candidate."""
        return self.threshold_for(text) - UNSURE_MARGIN

    def ranked(self, text: str, k: int = 3, topic: str | None = None) -> list[FaqHit]:
        """Up to `k` distinct entries, best first, with their scores (no threshold applied)."""
        phrase = text.strip()
        if not phrase:
            return []
        hits: list[FaqHit] = []
        exact = self._exact.get(normalize(phrase))
        if exact is not None and (topic is None or self.entries[exact].topic == topic):
            hits.append(FaqHit(self.entries[exact], 1.0, phrase))
        depth = len(self._index) if topic else min(len(self._index), 60)  # a topic filter may skip many rows
        for row, score in self._index.search(self._query_vector(phrase), k=depth):
            entry = self.entries[row.owner]
            if (topic is None or entry.topic == topic) and all(hit.entry is not entry for hit in hits):
                hits.append(FaqHit(entry, round(score, 4), row.text))
            if len(hits) >= k:
                break
        return hits

    def exact(self, text: str) -> FaqEntry | None:
        """The entry one of whose questions is `text` after normalisation."""
        found = self._exact.get(normalize(text.strip()))
        return self.entries[found] if found is not None else None

    def best(self, text: str, topic: str | None = None) -> FaqHit | None:
        """The best entry when it clears the threshold for the text's script, else None."""
        hits = self.ranked(text, k=1, topic=topic)
        return hits[0] if hits and hits[0].score >= self.threshold_for(text) else None
