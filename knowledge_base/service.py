"""The one entry point the actions use to read city knowledge (CONTRACT — keep signatures stable)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

# Records (Category, Item, FaqEntry, Town) are defined in knowledge_base.models.


@dataclass(frozen=True)
class ItemMatch:
    item: "Item"  # noqa: F821  (knowledge_base.models.Item)
    score: float  # 1.0 for an exact (normalised) name/alias match, cosine otherwise
    matched: str  # the name or alias that matched


@dataclass(frozen=True)
class ItemLookup:
    status: Literal["found", "ambiguous", "not_found"]
    best: ItemMatch | None = None
    candidates: list[ItemMatch] = field(default_factory=list)  # for a clarifying question


@dataclass(frozen=True)
class CollectionEntry:
    category: "Category"  # noqa: F821
    pattern: str  # as printed in the official table, e.g. "月・木", "2・4水"
    description: str  # Japanese, e.g. "毎週月曜日・木曜日", "第2・第4水曜日"
    next_dates: list[date]


class KnowledgeBase:
    """Loads the data files, the encoder and the FAISS indexes (building them if the data changed)."""

    @classmethod
    def load(cls) -> "KnowledgeBase": ...

    def lookup_item(self, text: str) -> ItemLookup:
        """`text` is the resident's whole message or just the item name."""

    def category(self, category_id: str) -> "Category": ...  # noqa: F821

    def find_towns(self, text: str) -> list["Town"]:  # noqa: F821
        """Towns named in `text` (longest match first; several when ambiguous, e.g. same name in two wards)."""

    def collection_days(
        self, town: "Town", category_id: str | None = None, today: date | None = None, count: int = 3  # noqa: F821
    ) -> list[CollectionEntry]:
        """All station categories of the town, or just one; next `count` dates from `today` inclusive."""

    def search_faq(self, text: str, topic: str | None = None) -> tuple["FaqEntry", float] | None:  # noqa: F821
        """Best FAQ entry and its score, or None below the threshold."""

    def health(self) -> dict[str, int]:
        """Counts of loaded records/index rows, e.g. {"items": 640, "faq": 40, "towns": 261}."""
