"""The shape every domain package of `knowledge_base/` fills in, so the core can load and index it by name alone.

A domain package (`knowledge_base/<name>/__init__.py`) exposes `DOMAIN = DomainSpec(...)`; `knowledge_base.domains`
finds them. Nothing here knows a domain's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge_base.core.data import DataError
from knowledge_base.core.faq import FaqEntry, FaqSearch, faq_corpus, load_faq, validate_faq

if TYPE_CHECKING:
    import numpy as np

    from knowledge_base.core.index import Corpus, Indexes
    from settings import KnowledgeBaseSettings

QueryVector = Callable[[str], "np.ndarray"]


@dataclass(frozen=True)
class DomainSpec:
    name: str
    # data_dir, offices (id -> office, for checking references) -> the domain's validated data; raises DataError
    load: Callable[[Path, Mapping[str, Any]], Any]
    corpora: Callable[[Any], dict[str, Corpus]]  # index name -> rows to embed
    service: Callable[[Any, Indexes, QueryVector, KnowledgeBaseSettings], Any]  # what the actions call
    summary: Callable[[Any], str]  # one line for the setup log, e.g. "42 FAQ entries"


class FaqDomain:
    """A domain that is questions and curated answers (library, foreign-resident procedures, ...).

    Its entries join the knowledge base's question classifier (`KnowledgeBase.classify`), which tells apart the
    entries of every such domain at once."""

    classified = True

    def __init__(self, name: str, entries: list[FaqEntry], search: FaqSearch) -> None:
        self.name = name
        self.entries = entries
        self.faq = search

    def health(self) -> dict[str, int]:
        return {"faq": len(self.entries), "faq_rows": self.faq.rows}


def faq_domain(name: str) -> DomainSpec:
    """The spec of a domain whose data is `knowledge_base/data/<name>/faq.yaml` (+ i18n)."""
    index_name = f"{name}.faq"

    def load(data_dir: Path, offices: Mapping[str, Any]) -> list[FaqEntry]:
        problems: list[str] = []
        folder = Path(data_dir) / name
        if not (folder / "faq.yaml").is_file():
            raise DataError([f"{folder / 'faq.yaml'} does not exist"])
        entries = load_faq(folder, problems, domain=name)
        problems.extend(validate_faq(entries, offices or None))
        if problems:
            raise DataError(problems)
        return entries

    def service(
        entries: list[FaqEntry], indexes: Indexes, query_vector: QueryVector, settings: KnowledgeBaseSettings
    ) -> FaqDomain:
        search = FaqSearch(
            entries,
            indexes[index_name],
            query_vector,
            settings.faq_threshold,
            settings.faq_threshold_other,
        )
        return FaqDomain(name, entries, search)

    return DomainSpec(
        name=name,
        load=load,
        corpora=lambda entries: {index_name: faq_corpus(entries)},
        service=service,
        summary=lambda entries: f"{len(entries)} FAQ entries",
    )
