"""Typed records for the city data, loading of the data files and their validation (schema: README.md)."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from knowledge_base.core.data import DataError, read_yaml_list, text_field, text_list
from knowledge_base.core.faq import FaqEntry, load_faq, validate_faq
from knowledge_base.core.normalize import normalize

CERTAINTIES = {"item": ("confirmed", "inferred")}
TOWN_CSV = Path("collection_days") / "chiba_city_collection_days.csv"
COLLECTION_SOURCE = "https://www.city.chiba.jp/kankyo/junkan/shushugyomu/shushubi.html"
WARDS = ("中央区", "花見川区", "稲毛区", "若葉区", "緑区", "美浜区")

# Footnotes printed under the official table (see collection_days/SOURCE.md); keyed by (ward, town as printed).
TOWN_FOOTNOTES: dict[tuple[str, str], str] = {
    ("稲毛区", "千草台1・2丁目"): "古紙・布類の収集日は、地域の町内自治会にお問い合わせください。",
    ("若葉区", "若松台1～3丁目"): "若松台2丁目の古紙・布類の収集日は、地域の町内自治会にお問い合わせください。",
    ("美浜区", "打瀬1丁目"): "ごみステーションでの収集は、資源物（木の枝・刈り草・葉を除く）と有害ごみのみです。",
    ("美浜区", "打瀬2・3丁目"): "ごみステーションでの収集は、資源物（木の枝・刈り草・葉を除く）と有害ごみのみです。",
}


@dataclass(frozen=True)
class Category:
    id: str
    name: str  # official term as printed on bags/signs
    reading: str
    name_en: str
    colour: str
    schedule_column: str | None  # column of the collection-day table, None = no station collection
    how: str
    deadline: str | None
    source: str


@dataclass(frozen=True)
class Item:
    name: str
    reading: str
    category: str  # Category.id
    certainty: str  # confirmed | inferred
    source: str
    aliases: tuple[str, ...] = ()
    how: str | None = None
    notes: str | None = None
    file: str = ""  # data file it came from, for error messages
    # Names in the other languages (i18n/item_names.yaml): matched by name, not embedded (e5 is cross-lingual).
    foreign_names: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Stable id (the normalised name is unique across the data), e.g. for button payloads."""
        return normalize(self.name)

    @property
    def names(self) -> tuple[str, ...]:
        """Every written form that identifies the item: name, reading, aliases."""
        return (self.name, self.reading, *self.aliases)


@dataclass(frozen=True)
class Town:
    ward: str
    name: str  # as printed, e.g. 稲荷町1～3丁目
    base: str  # name without the chome part, e.g. 稲荷町
    chome: frozenset[int] | None  # chome covered by this row; None = the whole town (no chome printed)
    patterns: tuple[tuple[str, str], ...]  # (table column, pattern as printed), e.g. ("可燃ごみ", "月・木")
    footnote: str | None = None
    source: str = COLLECTION_SOURCE

    def pattern(self, column: str) -> str | None:
        return dict(self.patterns).get(column)

    @property
    def label(self) -> str:
        return f"{self.ward}{self.name}"


@dataclass(frozen=True)
class Knowledge:
    categories: dict[str, Category]
    items: tuple[Item, ...]
    faq: tuple[FaqEntry, ...]
    towns: tuple[Town, ...]
    town_columns: tuple[str, ...] = field(default=())  # category columns of the collection-day table


_CHOME = re.compile(r"^(?P<base>.+?)(?P<spec>[0-9０-９][0-9０-９・～~〜\-]*)丁目$")


def split_town_name(name: str) -> tuple[str, frozenset[int] | None]:
    """「稲荷町1～3丁目」 -> (稲荷町, {1,2,3}); 「幕張本郷1・3・5丁目」 -> {1,3,5}; 「青葉町」 -> (青葉町, None)."""
    match = _CHOME.match(name.strip())
    if not match:
        return name.strip(), None
    numbers: set[int] = set()
    for part in re.split(r"・", match["spec"].translate(str.maketrans("０１２３４５６７８９～〜~", "0123456789---"))):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise ValueError(f"cannot read the chome range in {name!r}")
        numbers.update(range(int(lo), int(hi or lo) + 1))
    return match["base"], frozenset(numbers)


def _load_categories(path: Path, problems: list[str]) -> dict[str, Category]:
    categories: dict[str, Category] = {}
    for i, entry in enumerate(read_yaml_list(path, problems)):
        where = f"categories.yaml[{i}]"
        cid = text_field(entry, "id", where, problems)
        name = text_field(entry, "name", where, problems)
        source = text_field(entry, "source", where, problems)
        if not (cid and name and source):
            continue
        if cid in categories:
            problems.append(f"{where}: duplicate category id {cid!r}")
        categories[cid] = Category(
            id=cid,
            name=name,
            reading=text_field(entry, "reading", where, problems, required=False) or "",
            name_en=text_field(entry, "name_en", where, problems, required=False) or "",
            colour=text_field(entry, "colour", where, problems, required=False) or "#607d8b",
            schedule_column=text_field(entry, "schedule_column", where, problems, required=False),
            how=text_field(entry, "how", where, problems, required=False) or "",
            deadline=text_field(entry, "deadline", where, problems, required=False),
            source=source,
        )
    return categories


def _load_items(folder: Path, problems: list[str]) -> list[Item]:
    items: list[Item] = []
    for path in sorted(folder.glob("*.yaml")):
        for i, entry in enumerate(read_yaml_list(path, problems)):
            where = f"items/{path.name}[{i}]"
            fields = {
                key: text_field(entry, key, where, problems) for key in ("name", "reading", "category", "certainty")
            }
            source = text_field(entry, "source", where, problems)
            if not all(fields.values()) or not source:
                continue
            items.append(
                Item(
                    name=fields["name"] or "",
                    reading=fields["reading"] or "",
                    category=fields["category"] or "",
                    certainty=fields["certainty"] or "",
                    source=source,
                    aliases=text_list(entry.get("aliases"), where, problems),
                    how=text_field(entry, "how", where, problems, required=False),
                    notes=text_field(entry, "notes", where, problems, required=False),
                    file=f"items/{path.name}",
                )
            )
    return items


ITEM_NAMES_FILE = "i18n/item_names.yaml"


def _with_foreign_names(items: list[Item], path: Path, problems: list[str]) -> list[Item]:
    """Attach the other-language names ({Japanese name: {lang: [names]}}) to the items they name."""
    try:
        table = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        problems.append(f"{ITEM_NAMES_FILE}: invalid YAML ({exc})")
        return items
    if not isinstance(table, dict):
        problems.append(f"{ITEM_NAMES_FILE}: expected a mapping of item names to languages")
        return items
    known = {item.name for item in items}
    for name in table:
        if name not in known:
            problems.append(f"{ITEM_NAMES_FILE}: {name!r} is not an item name")
    out: list[Item] = []
    for item in items:
        per_lang = table.get(item.name) or {}
        names = [str(n).strip() for values in per_lang.values() if isinstance(values, list) for n in values]
        out.append(replace(item, foreign_names=tuple(dict.fromkeys(n for n in names if n))))
    return out


def _load_towns(path: Path, problems: list[str]) -> tuple[list[Town], tuple[str, ...]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        problems.append(f"{TOWN_CSV}: cannot read ({exc})")
        return [], ()
    if not rows or rows[0][:2] != ["区", "町丁名"]:
        problems.append(f"{TOWN_CSV}: header must start with 区,町丁名")
        return [], ()
    columns = tuple(rows[0][2:])
    towns: list[Town] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            problems.append(f"{TOWN_CSV}:{line}: expected {len(rows[0])} columns, got {len(row)}")
            continue
        ward, name = row[0].strip(), row[1].strip()
        try:
            base, chome = split_town_name(name)
        except ValueError as exc:
            problems.append(f"{TOWN_CSV}:{line}: {exc}")
            continue
        towns.append(
            Town(
                ward=ward,
                name=name,
                base=base,
                chome=chome,
                patterns=tuple((column, value.strip()) for column, value in zip(columns, row[2:], strict=True)),
                footnote=TOWN_FOOTNOTES.get((ward, name)),
            )
        )
    return towns, columns


def load_towns(data_dir: Path) -> tuple[Town, ...]:
    """Only the collection-day table (for tools that do not need the garbage data)."""
    problems: list[str] = []
    towns, _ = _load_towns(Path(data_dir) / TOWN_CSV, problems)
    if problems:
        raise DataError(problems)
    return tuple(towns)


def load_knowledge(data_dir: Path) -> Knowledge:
    """Read every data file; raises DataError listing all structural problems (missing fields, bad YAML/CSV)."""
    data_dir = Path(data_dir)
    garbage = data_dir / "garbage"
    problems: list[str] = []
    if not (garbage / "categories.yaml").is_file():
        raise DataError([f"{garbage / 'categories.yaml'} does not exist"])
    categories = _load_categories(garbage / "categories.yaml", problems)
    items = _load_items(garbage / "items", problems)
    names_file = garbage / ITEM_NAMES_FILE
    if names_file.is_file():
        items = _with_foreign_names(items, names_file, problems)
    faq = load_faq(garbage, problems, domain="garbage")
    towns, columns = _load_towns(data_dir / TOWN_CSV, problems)
    if problems:
        raise DataError(problems)
    return Knowledge(categories, tuple(items), tuple(faq), tuple(towns), columns)


def validate(knowledge: Knowledge) -> list[str]:
    """Consistency problems a resident would notice as a wrong or unsourced answer; empty when all is well."""
    from knowledge_base.garbage.collection import parse_pattern  # local: collection imports this module

    problems: list[str] = []
    for category in knowledge.categories.values():
        if not category.source.startswith("http"):
            problems.append(f"category {category.id}: source must be a URL")
        if category.schedule_column and category.schedule_column not in knowledge.town_columns:
            problems.append(f"category {category.id}: schedule_column {category.schedule_column!r} not in the table")
    name_owner: dict[str, Item] = {}
    alias_owners: dict[str, set[str]] = defaultdict(set)  # normalised name/alias -> category ids
    for item in knowledge.items:
        where = f"{item.file} {item.name}"
        if item.category not in knowledge.categories:
            problems.append(f"{where}: unknown category {item.category!r}")
        if not item.source.startswith("http"):
            problems.append(f"{where}: source must be a URL")
        if item.certainty not in CERTAINTIES["item"]:
            problems.append(f"{where}: certainty must be one of {CERTAINTIES['item']}")
        key = normalize(item.name)
        if not key:
            problems.append(f"{where}: name is empty after normalisation")
        elif key in name_owner:
            other = name_owner[key]
            kind = "different categories" if other.category != item.category else "the same category"
            problems.append(f"{where}: duplicate name (also {other.file} {other.name}, {kind})")
        else:
            name_owner[key] = item
        for text in (*item.names, *item.foreign_names):
            if normalize(text):
                alias_owners[normalize(text)].add(item.category)
    for text, owners in sorted(alias_owners.items()):
        if len(owners) > 1:
            problems.append(f"name/alias {text!r} points to different categories: {sorted(owners)}")
    problems.extend(validate_faq(list(knowledge.faq)))
    for town in knowledge.towns:
        for column, pattern in town.patterns:
            try:
                parse_pattern(pattern)
            except ValueError as exc:
                problems.append(f"town {town.label} {column}: {exc}")
    return problems
