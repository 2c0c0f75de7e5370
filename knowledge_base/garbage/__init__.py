"""Household garbage: categories, items, towns and collection days, item lookup."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from knowledge_base.core.data import DataError
from knowledge_base.core.domain import DomainSpec


def _load(data_dir: Path, offices: Mapping[str, Any]) -> Any:
    from knowledge_base.garbage.models import load_knowledge, validate

    knowledge = load_knowledge(data_dir)
    problems = validate(knowledge)
    if problems:
        raise DataError(problems)
    return knowledge


def _corpora(knowledge: Any) -> Any:
    from knowledge_base.garbage.service import corpora

    return corpora(knowledge)


def _service(knowledge: Any, indexes: Any, query_vector: Any, settings: Any) -> Any:
    from knowledge_base.garbage.service import GarbageKnowledge

    return GarbageKnowledge(knowledge, indexes, query_vector, settings)


DOMAIN = DomainSpec(
    name="garbage",
    load=_load,
    corpora=_corpora,
    service=_service,
    summary=lambda k: (
        f"{len(k.categories)} categories, {len(k.items)} items, {len(k.faq)} FAQ entries, {len(k.towns)} towns"
    ),
)
