"""The benefits domain as the knowledge base sees it: a question-and-answer domain (one FAQ entry per programme,
joining `KnowledgeBase.classify`) that also carries the programmes for the rules engine (`.programmes`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge_base.benefits.load import load_programmes
from knowledge_base.benefits.models import RESIDENT_WARD_OFFICE, Programmes
from knowledge_base.benefits.render import programme_answer
from knowledge_base.core.domain import DomainSpec, FaqDomain, QueryVector
from knowledge_base.core.faq import RESIDENT_WARD_OFFICE as FAQ_WARD_OFFICE
from knowledge_base.core.faq import FaqEntry, FaqSearch, FaqText, faq_corpus

if TYPE_CHECKING:
    from knowledge_base.core.index import Indexes
    from settings import KnowledgeBaseSettings

NAME = "benefits"
INDEX_NAME = f"{NAME}.faq"


class BenefitsData:
    """What `DOMAIN.load` returns: the programmes and the phone of each programme's desk (from places)."""

    def __init__(self, programmes: Programmes, office_phones: Mapping[str, str]) -> None:
        self.programmes = programmes
        self.office_phones = dict(office_phones)

    def faq_entries(self, today: date | None = None) -> list[FaqEntry]:
        return faq_entries(self.programmes, today or date.today(), self.office_phones)


class BenefitsDomain(FaqDomain):
    """A FaqDomain (answers for `KnowledgeBase.classify` and DomainAnswerAction) plus `.programmes`."""

    def __init__(self, entries: list[FaqEntry], search: FaqSearch, programmes: Programmes) -> None:
        super().__init__(NAME, entries, search)
        self.programmes = programmes

    def health(self) -> dict[str, int]:
        return {**super().health(), "programmes": len(self.programmes)}


def faq_entries(programmes: Programmes, today: date, office_phones: Mapping[str, str] | None = None) -> list[FaqEntry]:
    """One entry per programme (file order): its questions, and as answer the summary, the amounts for `today` and
    how to apply — in Japanese and in every language with curated text."""
    phones = office_phones or {}
    entries: list[FaqEntry] = []
    for p in programmes:
        office = FAQ_WARD_OFFICE if p.apply.office == RESIDENT_WARD_OFFICE else p.apply.office
        translations = {
            lang: FaqText(
                answer=programme_answer(p, lang, today, programmes=programmes, caution=False),
                questions=text.questions,
            )
            for lang, text in p.translations.items()
        }
        entries.append(
            FaqEntry(
                id=p.id,
                topic=p.category,
                questions=p.questions,
                answer=programme_answer(p, "ja", today, programmes=programmes, caution=False),
                certainty=p.certainty,
                source=p.source,
                phone=p.apply.phone or phones.get(p.apply.office),
                office=office,
                source_date=p.source_date,
                domain=NAME,
                translations=translations,
            )
        )
    return entries


def _load(data_dir: Path, offices: Mapping[str, Any]) -> BenefitsData:
    programmes = load_programmes(Path(data_dir), offices=offices or None)
    phones = {oid: office.phone for oid, office in (offices or {}).items() if getattr(office, "phone", None)}
    return BenefitsData(programmes, phones)


def _service(
    data: BenefitsData, indexes: Indexes, query_vector: QueryVector, settings: KnowledgeBaseSettings
) -> BenefitsDomain:
    entries = data.faq_entries()
    search = FaqSearch(entries, indexes[INDEX_NAME], query_vector, settings.faq_threshold, settings.faq_threshold_other)
    return BenefitsDomain(entries, search, data.programmes)


DOMAIN = DomainSpec(
    name=NAME,
    load=_load,
    corpora=lambda data: {INDEX_NAME: faq_corpus(data.faq_entries())},
    service=_service,
    summary=lambda data: f"{len(data.programmes)} benefit programmes",
)
