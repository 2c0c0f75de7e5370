"""Typed records for the city data, loading of the data files and their validation (schema: README.md).

The garbage items are the curated items (items/*.yaml, from the city's current pages) merged with every entry of the
city's 「ごみ分別事典」 (2014-12 edition, jiten/): an entry whose name is a curated name or alias joins that item (the
curated category wins; a difference must be explained in jiten/overrides.yaml), every other entry becomes an item of
its own whose category comes from jiten/outcomes.yaml unless jiten/overrides.yaml names a newer page.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from knowledge_base.core.data import DataError, text_field, text_list
from knowledge_base.core.faq import FaqEntry, load_faq, validate_faq
from knowledge_base.core.normalize import normalize

# "dictionary" = the entry comes only from the 2014 分別事典 (answers say so and give 043-204-5380).
CERTAINTIES = {"item": ("confirmed", "inferred", "dictionary")}
ORIGINS = ("curated", "jiten", "both")
# station: put out at the garbage station; appointment: the city collects it on application (粗大ごみ); size_rule:
# one of `alternatives` depending on size; channel: taken elsewhere (shop, drop-off point, office, clinic);
# not_collected: the city does not take it at all.
CATEGORY_KINDS = ("station", "appointment", "size_rule", "channel", "not_collected")
TOWN_CSV = Path("collection_days") / "chiba_city_collection_days.csv"
COLLECTION_SOURCE = "https://www.city.chiba.jp/kankyo/junkan/shushugyomu/shushubi.html"
WARDS = ("中央区", "花見川区", "稲毛区", "若葉区", "緑区", "美浜区")

# The city's sorting dictionary (see jiten/SOURCE.md).
JITEN_DIR = "jiten"
JITEN_CSV = "chiba_gomi_bunbetsu_jiten_201412.csv"
JITEN_SOURCE = "https://www.city.chiba.jp/kankyo/junkan/shushugyomu/gomibunbetujiten.html"
JITEN_NAMES_DIR = "i18n/jiten_names"
PLASTIC_FILE = "plastic.yaml"

# Hosts a garbage answer may cite (a host matches itself and its subdomains). No private company: where only
# third-party pages say something, the fact is marked inferred/uncertain and the answer gives 043-204-5380.
OFFICIAL_HOSTS = (
    "city.chiba.jp",  # Chiba City
    "ccia-chiba.or.jp",  # 千葉市国際交流協会, the city's international association
    "go.jp",  # national government (env.go.jp, meti.go.jp, ...)
    "lg.jp",  # local governments (pref.chiba.lg.jp, ...)
    "rkc.aeha.or.jp",  # 家電リサイクル券センター, designated under the Home Appliance Recycling Law
    "pc3r.jp",  # パソコン3R推進協会, household PC take-back under the Resource Recycling Law
    "jbrc.com",  # JBRC, the rechargeable-battery take-back the city refers residents to
)
# RFC 2606 names can never be a real page; the unit-test fixtures use them.
RESERVED_TEST_HOSTS = ("example.org", "example.com", "example.net")

# Footnotes printed under the official table (see collection_days/SOURCE.md); keyed by (ward, town as printed).
TOWN_FOOTNOTES: dict[tuple[str, str], str] = {
    ("稲毛区", "千草台1・2丁目"): "古紙・布類の収集日は、地域の町内自治会にお問い合わせください。",
    ("若葉区", "若松台1～3丁目"): "若松台2丁目の古紙・布類の収集日は、地域の町内自治会にお問い合わせください。",
    ("美浜区", "打瀬1丁目"): "ごみステーションでの収集は、資源物（木の枝・刈り草・葉を除く）と有害ごみのみです。",
    ("美浜区", "打瀬2・3丁目"): "ごみステーションでの収集は、資源物（木の枝・刈り草・葉を除く）と有害ごみのみです。",
}

# The YAML files hold thousands of entries: libyaml parses them ten times faster than the pure-Python loader.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=1 << 16)
def _norm(text: str) -> str:
    """`normalize`, cached: loading and validation normalise the same ~40,000 names."""
    return normalize(text)


def source_host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _host_in(host: str, hosts: Iterable[str]) -> bool:
    return any(host == allowed or host.endswith("." + allowed) for allowed in hosts)


def is_official_source(url: str) -> bool:
    """True when `url` is an http(s) page of a host in OFFICIAL_HOSTS."""
    return url.startswith(("http://", "https://")) and _host_in(source_host(url), OFFICIAL_HOSTS)


def _source_problem(url: str, where: str) -> str | None:
    if not url.startswith("http"):
        return f"{where}: source must be a URL"
    if not (is_official_source(url) or _host_in(source_host(url), RESERVED_TEST_HOSTS)):
        return f"{where}: source host {source_host(url)!r} is not an official host (OFFICIAL_HOSTS in models.py)"
    return None


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
    kind: str = "station"  # one of CATEGORY_KINDS
    alternatives: tuple[str, ...] = ()  # size_rule: the categories the size decides between, e.g. (funen, sodai)
    size_rule: str | None = None  # size_rule: how the size decides (Japanese display text)


@dataclass(frozen=True)
class Override:
    """Why an entry of the 2014 dictionary is answered with another category: a newer city page says so."""

    name: str  # the dictionary's item name (CSV column 2, whitespace removed)
    category: str  # the category answered
    source: str  # the current page
    date: str  # the page's date (更新日), YYYY-MM-DD or YYYY-MM or YYYY
    why: str  # what the page says (Japanese, may be shown to residents)


@dataclass(frozen=True)
class Item:
    name: str
    reading: str
    category: str  # Category.id
    certainty: str  # confirmed | inferred | dictionary
    source: str
    aliases: tuple[str, ...] = ()
    how: str | None = None
    notes: str | None = None
    file: str = ""  # data file it came from, for error messages
    # Names in the other languages (i18n/item_names.yaml): matched by name, not embedded (e5 is cross-lingual).
    foreign_names: tuple[str, ...] = ()
    origin: str = "curated"  # curated | jiten | both (a curated item the dictionary also lists)
    jiten_names: tuple[str, ...] = ()  # the dictionary's names of this item (CSV column 2)
    # (dictionary name, its reading) for the names in jiten_names (readings.tsv): 「目覚まし時計」 joined to a curated
    # item is also typed 「めざましどけい」 or 「目覚ましどけい」.
    jiten_readings: tuple[tuple[str, str], ...] = ()
    subkind: str | None = (
        None  # sort within the category: 缶, びん, ペットボトル, 雑がみ, 段ボール, 新聞, 雑誌, 紙パック, 布類
    )
    plastic: bool = False  # made of plastic (plastic.yaml): the answer mentions the 2027-12 プラスチック資源 change
    override: Override | None = None  # a newer page's category over the dictionary's (jiten/overrides.yaml)

    @property
    def key(self) -> str:
        """Stable id (the normalised name is unique across the data), e.g. for button payloads."""
        return normalize(self.name)

    @property
    def names(self) -> tuple[str, ...]:
        """Every written form that identifies the item: name, reading, aliases, the dictionary's names."""
        return tuple(dict.fromkeys(t for t in (self.name, self.reading, *self.aliases, *self.jiten_names) if t))


@dataclass(frozen=True)
class Outcome:
    """What a category string of the dictionary (CSV column 3) means here."""

    raw: str
    category: str
    subkind: str | None = None
    how: str | None = None  # extra instruction the string carries, e.g. 購入店へ返却 (Japanese)


@dataclass(frozen=True)
class JitenEntry:
    name: str  # CSV column 2 without whitespace (three names hold a line break, two a trailing space)
    category: str  # CSV column 3, as printed
    note: str | None  # CSV column 4
    line: int  # CSV row number, for messages


@dataclass(frozen=True)
class Dropped:
    """A dictionary-derived name left out because it would point to another category (never re-pointed)."""

    text: str
    item: str  # the item it would have named
    kind: str  # alias | reading | foreign name
    other: tuple[str, ...]  # the categories the text already points to


@dataclass(frozen=True)
class MergeReport:
    """What merging the dictionary did; `differences` and `missing_readings` are validation problems."""

    entries: int = 0
    joined: tuple[tuple[str, str], ...] = ()  # (dictionary name, curated item name)
    duplicates: tuple[tuple[str, ...], ...] = ()  # dictionary names equal after normalisation (merged into one)
    base_aliases: tuple[tuple[str, str], ...] = ()  # (unqualified name added as alias, item name)
    ambiguous_bases: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (unqualified name, its categories): not added
    dropped: tuple[Dropped, ...] = ()
    differences: tuple[str, ...] = ()
    missing_readings: tuple[str, ...] = ()
    unknown_name_keys: tuple[str, ...] = ()  # keys of i18n/jiten_names/*.yaml that name no dictionary entry


@dataclass(frozen=True)
class PlasticRules:
    """plastic.yaml: which items are plastic, and the announced change for them."""

    source: str
    date: str
    starts: str  # YYYY-MM the new category starts
    new_category: str  # 「プラスチック資源」
    change: str  # Japanese display text
    categories: tuple[str, ...]  # only items of these categories can be plastic
    keywords: tuple[str, ...]  # normalised; a name containing one is plastic ...
    exclude: tuple[str, ...]  # ... unless it also contains one of these (mixed or other materials)
    names: tuple[str, ...]  # normalised names that are plastic without a keyword (食品トレー, レジ袋, ...)

    def applies(self, item: Item) -> bool:
        if item.category not in self.categories:
            return False
        # The item's own name only: a curated item's aliases and joined dictionary names are looser
        # (ゴムホース is also called ビニールホース).
        form = _norm(item.name)
        if form in self.names:
            return True
        return any(k in form for k in self.keywords) and not any(x in form for x in self.exclude)


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
    overrides: tuple[Override, ...] = ()  # jiten/overrides.yaml
    jiten: MergeReport = field(default_factory=MergeReport)
    plastic: PlasticRules | None = None


def merge_report(knowledge: Knowledge) -> MergeReport:
    """What merging the dictionary joined, added and dropped (for tests and the data README)."""
    return knowledge.jiten


def dropped_names(knowledge: Knowledge) -> tuple[Dropped, ...]:
    """Dictionary-derived aliases, readings and foreign names left out because they clash with another category."""
    return knowledge.jiten.dropped


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


def clean_jiten_name(name: str) -> str:
    """The dictionary's item name without whitespace: three names hold a line break, two a trailing space."""
    return "".join(str(name).split())


_QUALIFIER = re.compile(r"[（(][^（）()]*[）)]")


def unqualified(name: str) -> str:
    """「空き缶（飲食用）」 -> 空き缶; 「缶（飲食用）のフタ（金属製）」 -> 缶のフタ (nested brackets, inner first)."""
    previous = None
    while previous != name:
        previous, name = name, _QUALIFIER.sub("", name)
    return name.strip()


def _read_yaml(path: Path, problems: list[str], label: str) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"{label}: cannot read YAML ({exc})")
        return None


def _read_yaml_list(path: Path, problems: list[str], label: str) -> list[dict[str, Any]]:
    data = _read_yaml(path, problems, label)
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(entry, dict) for entry in data):
        problems.append(f"{label}: expected a list of mappings")
        return []
    return data


def _date_field(entry: dict[str, Any], key: str, where: str, problems: list[str]) -> str | None:
    """A date as YYYY-MM-DD, YYYY-MM or YYYY (YAML may hand over a date object for an unquoted date)."""
    value = entry.get(key)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = text_field(entry, key, where, problems)
    if text is not None and not re.fullmatch(r"\d{4}(-\d{2}){0,2}", text):
        problems.append(f"{where}: '{key}' must be YYYY-MM-DD, YYYY-MM or YYYY, got {text!r}")
        return None
    return text


def _load_categories(path: Path, problems: list[str]) -> dict[str, Category]:
    categories: dict[str, Category] = {}
    for i, entry in enumerate(_read_yaml_list(path, problems, path.name)):
        where = f"categories.yaml[{i}]"
        cid = text_field(entry, "id", where, problems)
        name = text_field(entry, "name", where, problems)
        source = text_field(entry, "source", where, problems)
        if not (cid and name and source):
            continue
        if cid in categories:
            problems.append(f"{where}: duplicate category id {cid!r}")
        schedule_column = text_field(entry, "schedule_column", where, problems, required=False)
        categories[cid] = Category(
            id=cid,
            name=name,
            reading=text_field(entry, "reading", where, problems, required=False) or "",
            name_en=text_field(entry, "name_en", where, problems, required=False) or "",
            colour=text_field(entry, "colour", where, problems, required=False) or "#607d8b",
            schedule_column=schedule_column,
            how=text_field(entry, "how", where, problems, required=False) or "",
            deadline=text_field(entry, "deadline", where, problems, required=False),
            source=source,
            # Data written before `kind` existed: a station category has a collection-day column.
            kind=text_field(entry, "kind", where, problems, required=False)
            or ("station" if schedule_column else "channel"),
            alternatives=text_list(entry.get("alternatives"), where, problems, key="alternatives"),
            size_rule=text_field(entry, "size_rule", where, problems, required=False),
        )
    return categories


def _load_items(folder: Path, problems: list[str]) -> list[Item]:
    items: list[Item] = []
    for path in sorted(folder.glob("*.yaml")):
        for i, entry in enumerate(_read_yaml_list(path, problems, path.name)):
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


def _names_table(path: Path, label: str, problems: list[str]) -> dict[str, list[str]]:
    """{Japanese name: [foreign names]} from a {name: {lang: [names]}} file (all languages together)."""
    table = _read_yaml(path, problems, label)
    if table is None:
        return {}
    if not isinstance(table, dict):
        problems.append(f"{label}: expected a mapping of item names to languages")
        return {}
    out: dict[str, list[str]] = {}
    for name, per_lang in table.items():
        values = per_lang.values() if isinstance(per_lang, dict) else ()
        names = [str(n).strip() for names in values if isinstance(names, list) for n in names if n is not None]
        out[str(name)] = list(dict.fromkeys(n for n in names if n))
    return out


def _with_foreign_names(items: list[Item], path: Path, problems: list[str]) -> list[Item]:
    """Attach the other-language names ({Japanese name: {lang: [names]}}) to the items they name."""
    table = _names_table(path, ITEM_NAMES_FILE, problems)
    known = {item.name for item in items}
    for name in table:
        if name not in known:
            problems.append(f"{ITEM_NAMES_FILE}: {name!r} is not an item name")
    return [replace(item, foreign_names=tuple(table.get(item.name, ()))) for item in items]


# ---- the city's sorting dictionary -----------------------------------------------------------------------------


def _load_outcomes(path: Path, problems: list[str]) -> dict[str, Outcome]:
    """outcomes.yaml: {category string as printed: {category, subkind?, how?}}."""
    label = f"{JITEN_DIR}/{path.name}"
    data = _read_yaml(path, problems, label)
    if not isinstance(data, dict):
        if data is not None:
            problems.append(f"{label}: expected a mapping of the dictionary's category strings")
        return {}
    outcomes: dict[str, Outcome] = {}
    for raw, entry in data.items():
        where = f"{label} {raw!r}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: expected a mapping with 'category'")
            continue
        category = text_field(entry, "category", where, problems)
        if category:
            outcomes[str(raw)] = Outcome(
                raw=str(raw),
                category=category,
                subkind=text_field(entry, "subkind", where, problems, required=False),
                how=text_field(entry, "how", where, problems, required=False),
            )
    return outcomes


def _load_overrides(path: Path, problems: list[str]) -> dict[str, Override]:
    """overrides.yaml: a list of {name, category, source, date, why}, keyed by the dictionary name."""
    label = f"{JITEN_DIR}/{path.name}"
    overrides: dict[str, Override] = {}
    for i, entry in enumerate(_read_yaml_list(path, problems, label)):
        where = f"{label}[{i}]"
        fields = {key: text_field(entry, key, where, problems) for key in ("name", "category", "source", "why")}
        date = _date_field(entry, "date", where, problems)
        if not all(fields.values()) or not date:
            continue
        name = clean_jiten_name(fields["name"] or "")
        if name in overrides:
            problems.append(f"{where}: {name!r} is overridden twice")
        overrides[name] = Override(name, fields["category"] or "", fields["source"] or "", date, fields["why"] or "")
    return overrides


def _load_readings(path: Path, problems: list[str]) -> dict[str, str]:
    """readings.tsv: name<TAB>hiragana reading (generated by scripts/jiten_readings.py)."""
    readings: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        problems.append(f"{JITEN_DIR}/{path.name}: cannot read ({exc})")
        return readings
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        name, tab, reading = line.partition("\t")
        if not tab or not reading.strip():
            problems.append(f"{JITEN_DIR}/{path.name}:{number}: expected name<TAB>reading")
            continue
        readings[clean_jiten_name(name)] = reading.strip()
    return readings


def _read_jiten(path: Path, outcomes: dict[str, Outcome], problems: list[str]) -> list[JitenEntry]:
    """Every row of the CSV (columns: kana initial, name, category string, note; no header)."""
    label = f"{JITEN_DIR}/{path.name}"
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))  # notes hold commas and names line breaks: a real CSV parse
    except OSError as exc:
        problems.append(f"{label}: cannot read ({exc})")
        return []
    entries: list[JitenEntry] = []
    for line, row in enumerate(rows, start=1):
        if len(row) != 4:
            problems.append(f"{label} row {line}: expected 4 columns, got {len(row)}")
            continue
        name, category, note = clean_jiten_name(row[1]), row[2].strip(), row[3].strip()
        if not name:
            problems.append(f"{label} row {line}: empty item name")
            continue
        if category not in outcomes:
            problems.append(f"{label} row {line} ({name}): category {category!r} is not mapped in outcomes.yaml")
            continue
        entries.append(JitenEntry(name, category, note or None, line))
    return entries


class _Owners:
    """Normalised written form -> categories it points to (the 'one alias, one category' rule)."""

    def __init__(self) -> None:
        self.table: dict[str, set[str]] = defaultdict(set)

    def add(self, text: str, category: str) -> None:
        if form := _norm(text):
            self.table[form].add(category)

    def others(self, text: str, category: str) -> tuple[str, ...]:
        """The categories other than `category` that `text` already points to."""
        return tuple(sorted(self.table.get(_norm(text), set()) - {category}))


def _merge_jiten(
    curated: list[Item], folder: Path, problems: list[str]
) -> tuple[list[Item], MergeReport, tuple[Override, ...]]:
    """The curated items with every dictionary entry joined in or added (see the module docstring)."""
    count = len(problems)
    outcomes = _load_outcomes(folder / "outcomes.yaml", problems)
    overrides = _load_overrides(folder / "overrides.yaml", problems) if (folder / "overrides.yaml").is_file() else {}
    readings = _load_readings(folder / "readings.tsv", problems)
    entries = _read_jiten(folder / JITEN_CSV, outcomes, problems)
    if len(problems) > count:
        return curated, MergeReport(), tuple(overrides.values())
    for name in sorted(set(overrides) - {entry.name for entry in entries}):
        problems.append(f"{JITEN_DIR}/overrides.yaml: {name!r} is not a name in the dictionary")

    items = list(curated)
    by_name = {_norm(item.name): i for i, item in enumerate(items)}
    by_alias: dict[str, int] = {}
    for i, item in enumerate(items):
        for text in (item.reading, *item.aliases):
            by_alias.setdefault(_norm(text), i)
    groups: dict[str, list[JitenEntry]] = {}
    for entry in entries:
        groups.setdefault(_norm(entry.name), []).append(entry)

    joined: list[tuple[str, str]] = []
    duplicates: list[tuple[str, ...]] = []
    differences: list[str] = []
    missing: list[str] = []
    added: list[int] = []  # indexes of the items made from dictionary entries
    for key, group in groups.items():
        entry, names = group[0], tuple(dict.fromkeys(e.name for e in group))
        outcome = outcomes[entry.category]
        if len(group) > 1:
            duplicates.append(names)
            for other in group[1:]:
                said = outcomes[other.category]
                if (said.category, said.subkind) != (outcome.category, outcome.subkind):
                    differences.append(
                        f"dictionary rows {entry.line} and {other.line} ({entry.name} / {other.name}) are one item "
                        f"after normalisation but say {entry.category!r} and {other.category!r}"
                    )
        override = next((overrides[n] for n in names if n in overrides), None)
        target = by_name.get(key, by_alias.get(key))
        if target is not None:
            item = items[target]
            if override is not None and override.category != item.category:
                differences.append(
                    f"{JITEN_DIR}/overrides.yaml {override.name}: says {override.category} but the curated item "
                    f"{item.name!r} ({item.file}) says {item.category}"
                )
            elif override is None and outcome.category != item.category:
                differences.append(
                    f"dictionary {entry.name!r} says {outcome.category} but the curated item {item.name!r} "
                    f"({item.file}) says {item.category}: list it in {JITEN_DIR}/overrides.yaml with the current page"
                )
            same = outcome.category == item.category
            items[target] = replace(
                item,
                origin="both",
                jiten_names=tuple(dict.fromkeys((*item.jiten_names, *names))),
                jiten_readings=tuple(
                    dict.fromkeys((*item.jiten_readings, *((n, readings[n]) for n in names if readings.get(n))))
                ),
                subkind=item.subkind or (outcome.subkind if same else None),
                override=item.override or override,
            )
            joined.extend((name, item.name) for name in names)
            continue
        category = override.category if override else outcome.category
        same = category == outcome.category  # an override's category makes the string's subkind/how moot
        reading = readings.get(entry.name, "")
        if not reading:
            missing.append(entry.name)
        added.append(len(items))
        items.append(
            Item(
                name=entry.name,
                reading=reading,
                category=category,
                certainty="dictionary",
                source=JITEN_SOURCE,
                how=outcome.how if same else None,
                notes=entry.note,
                file=f"{JITEN_DIR}/{JITEN_CSV}",
                origin="jiten",
                jiten_names=names,
                jiten_readings=tuple((n, readings[n]) for n in names if readings.get(n)),
                subkind=outcome.subkind if same else None,
                override=override,
            )
        )

    owners = _Owners()
    for item in items:
        for text in (item.name, *item.aliases, *item.jiten_names, *item.foreign_names):
            owners.add(text, item.category)
        if item.origin != "jiten":
            owners.add(item.reading, item.category)
    dropped: list[Dropped] = []
    # A generated reading that sounds like another category's name is left out rather than made ambiguous.
    reading_owners = _Owners()
    for i in added:
        reading_owners.add(items[i].reading, items[i].category)
    for i in added:
        item = items[i]
        other = tuple(
            sorted({*owners.others(item.reading, item.category), *reading_owners.others(item.reading, item.category)})
        )
        if item.reading and other:
            dropped.append(Dropped(item.reading, item.name, "reading", other))
            items[i] = replace(item, reading="")
        else:
            owners.add(item.reading, item.category)

    base_aliases, ambiguous = _add_base_aliases(
        items, [i for i, item in enumerate(items) if item.jiten_names], owners, dropped
    )
    report = MergeReport(
        entries=len(entries),
        joined=tuple(joined),
        duplicates=tuple(duplicates),
        base_aliases=base_aliases,
        ambiguous_bases=ambiguous,
        dropped=tuple(dropped),
        differences=tuple(differences),
        missing_readings=tuple(missing),
    )
    return items, report, tuple(overrides.values())


_MATERIAL = "製"  # 「（陶器製）」, 「（プラ製）」, 「（金属製）」: a qualifier that restricts the thing to one material


def _add_base_aliases(
    items: list[Item], members: list[int], owners: _Owners, dropped: list[Dropped]
) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, tuple[str, ...]], ...]]:
    """「空き缶」 for 「空き缶（飲食用）」, only where every entry with that unqualified name has one category.

    Where they differ (「ハンガー（木製）」 可燃 / 「ハンガー（木製以外）」 不燃) nothing is added, so a lookup
    of the bare name finds both and asks.
    """
    bases: dict[str, list[tuple[int, str]]] = {}
    for i in members:
        for name in items[i].jiten_names:
            base = unqualified(name)
            key = _norm(base)
            if key and key != _norm(name):
                bases.setdefault(key, []).append((i, base))
            elif key:
                bases.setdefault(key, []).append((i, ""))  # an entry named exactly the base: nothing to add
    added: list[tuple[str, str]] = []
    ambiguous: list[tuple[str, tuple[str, ...]]] = []
    for key, owners_of_base in bases.items():
        qualified = [(i, base) for i, base in owners_of_base if base]
        if not qualified or len(qualified) < len(owners_of_base):
            continue  # no qualifier, or the bare name is itself an entry
        categories = tuple(sorted({items[i].category for i, _ in qualified}))
        text = qualified[0][1]
        if len(categories) > 1:
            ambiguous.append((text, categories))
            continue
        other = owners.others(text, categories[0])
        if other:
            for i, _ in qualified:
                dropped.append(Dropped(text, items[i].name, "alias", other))
            continue
        if key in owners.table:
            continue  # already a name or alias of this category
        if len(qualified) == 1 and _MATERIAL in items[qualified[0][0]].name.replace(qualified[0][1], ""):
            # One entry that names its material (「カップ（陶器製）」): cups of other materials are other things
            # (a yoghurt cup is plastic); the bare name asks, that entry first.
            continue
        for i in dict.fromkeys(i for i, _ in qualified):
            items[i] = replace(items[i], aliases=(*items[i].aliases, text))
            added.append((text, items[i].name))
        owners.add(text, categories[0])
    return tuple(added), tuple(ambiguous)


def _with_jiten_foreign_names(
    items: list[Item], folder: Path, report: MergeReport, problems: list[str]
) -> tuple[list[Item], MergeReport]:
    """Attach i18n/jiten_names/*.yaml (keyed by dictionary name) to the items holding that name.

    These names are dictionary-derived: one that would point to a second category is dropped and reported.
    """
    owner_of = {clean: i for i, item in enumerate(items) for clean in item.jiten_names}
    owners = _Owners()
    for item in items:
        for text in (*item.names, *item.foreign_names):
            owners.add(text, item.category)
    extra: dict[int, list[str]] = defaultdict(list)
    dropped: list[Dropped] = []
    unknown: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        for key, names in _names_table(path, f"{JITEN_NAMES_DIR}/{path.name}", problems).items():
            i = owner_of.get(clean_jiten_name(key))
            if i is None:
                unknown.append(key)
                continue
            item = items[i]
            for name in names:
                other = owners.others(name, item.category)
                if other:
                    dropped.append(Dropped(name, item.name, "foreign name", other))
                elif name not in item.foreign_names and name not in extra[i]:
                    extra[i].append(name)
                    owners.add(name, item.category)
    for i, names in extra.items():
        items[i] = replace(items[i], foreign_names=(*items[i].foreign_names, *names))
    return items, replace(report, dropped=(*report.dropped, *dropped), unknown_name_keys=tuple(unknown))


def _load_plastic(path: Path, problems: list[str]) -> PlasticRules | None:
    label = PLASTIC_FILE
    data = _read_yaml(path, problems, label)
    if not isinstance(data, dict):
        if data is not None:
            problems.append(f"{label}: expected a mapping")
        return None
    fields = {key: text_field(data, key, label, problems) for key in ("source", "new_category", "change")}
    date = _date_field(data, "date", label, problems)
    starts = text_field(data, "starts", label, problems)
    lists = {
        key: text_list(data.get(key), label, problems, key=key)
        for key in ("categories", "keywords", "exclude", "names")
    }
    if not all(fields.values()) or not date or not starts:
        return None
    return PlasticRules(
        source=fields["source"] or "",
        date=date,
        starts=starts,
        new_category=fields["new_category"] or "",
        change=fields["change"] or "",
        categories=lists["categories"],
        keywords=tuple(_norm(k) for k in lists["keywords"]),
        exclude=tuple(_norm(k) for k in lists["exclude"]),
        names=tuple(_norm(n) for n in lists["names"]),
    )


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
    """Read every data file; raises DataError listing all structural problems (missing fields, bad YAML/CSV).

    The dictionary (garbage/jiten/) and plastic.yaml are optional: without them the items are the curated ones.
    """
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
    report, overrides = MergeReport(), ()
    if (garbage / JITEN_DIR / JITEN_CSV).is_file():
        items, report, overrides = _merge_jiten(items, garbage / JITEN_DIR, problems)
        items, report = _with_jiten_foreign_names(items, garbage / JITEN_NAMES_DIR, report, problems)
    plastic = _load_plastic(garbage / PLASTIC_FILE, problems) if (garbage / PLASTIC_FILE).is_file() else None
    if plastic is not None:
        items = [replace(item, plastic=plastic.applies(item)) for item in items]
    faq = load_faq(garbage, problems, domain="garbage")
    towns, columns = _load_towns(data_dir / TOWN_CSV, problems)
    if problems:
        raise DataError(problems)
    return Knowledge(categories, tuple(items), tuple(faq), tuple(towns), columns, overrides, report, plastic)


def _validate_categories(categories: dict[str, Category], town_columns: tuple[str, ...]) -> list[str]:
    problems: list[str] = []
    for category in categories.values():
        where = f"category {category.id}"
        if problem := _source_problem(category.source, where):
            problems.append(problem)
        if category.schedule_column and category.schedule_column not in town_columns:
            problems.append(f"{where}: schedule_column {category.schedule_column!r} not in the table")
        if category.kind not in CATEGORY_KINDS:
            problems.append(f"{where}: kind must be one of {CATEGORY_KINDS}, got {category.kind!r}")
        if category.kind == "size_rule":
            if len(category.alternatives) < 2 or not category.size_rule:
                problems.append(f"{where}: a size_rule category needs two or more alternatives and a size_rule text")
            for alternative in category.alternatives:
                if alternative not in categories or alternative == category.id:
                    problems.append(f"{where}: alternative {alternative!r} is not another category")
        elif category.alternatives:
            problems.append(f"{where}: only a size_rule category has alternatives")
    return problems


def _validate_dictionary(knowledge: Knowledge) -> list[str]:
    problems = list(knowledge.jiten.differences)
    problems += [
        f"{JITEN_DIR}/readings.tsv: no reading for {name!r} (run scripts/jiten_readings.py)"
        for name in knowledge.jiten.missing_readings
    ]
    for override in knowledge.overrides:
        where = f"{JITEN_DIR}/overrides.yaml {override.name}"
        if override.category not in knowledge.categories:
            problems.append(f"{where}: unknown category {override.category!r}")
        if problem := _source_problem(override.source, where):
            problems.append(problem)
    if knowledge.plastic is not None:
        if problem := _source_problem(knowledge.plastic.source, PLASTIC_FILE):
            problems.append(problem)
        unknown = sorted(set(knowledge.plastic.categories) - set(knowledge.categories))
        if unknown:
            problems.append(f"{PLASTIC_FILE}: unknown categories {unknown}")
    return problems


def validate(knowledge: Knowledge) -> list[str]:
    """Consistency problems a resident would notice as a wrong or unsourced answer; empty when all is well."""
    from knowledge_base.garbage.collection import parse_pattern  # local: collection imports this module

    problems = _validate_categories(knowledge.categories, knowledge.town_columns)
    name_owner: dict[str, Item] = {}
    alias_owners: dict[str, set[str]] = defaultdict(set)  # normalised name/alias -> category ids
    for item in knowledge.items:
        where = f"{item.file} {item.name}"
        if item.category not in knowledge.categories:
            problems.append(f"{where}: unknown category {item.category!r}")
        if problem := _source_problem(item.source, where):
            problems.append(problem)
        if item.certainty not in CERTAINTIES["item"]:
            problems.append(f"{where}: certainty must be one of {CERTAINTIES['item']}")
        elif (item.certainty == "dictionary") != (item.origin == "jiten"):
            problems.append(f"{where}: certainty 'dictionary' is for items only the dictionary lists")
        if item.origin not in ORIGINS:
            problems.append(f"{where}: origin must be one of {ORIGINS}")
        key = _norm(item.name)
        if not key:
            problems.append(f"{where}: name is empty after normalisation")
        elif key in name_owner:
            other = name_owner[key]
            kind = "different categories" if other.category != item.category else "the same category"
            problems.append(f"{where}: duplicate name (also {other.file} {other.name}, {kind})")
        else:
            name_owner[key] = item
        for text in (*item.names, *item.foreign_names):
            if form := _norm(text):
                alias_owners[form].add(item.category)
    for text, owners in sorted(alias_owners.items()):
        if len(owners) > 1:
            problems.append(f"name/alias {text!r} points to different categories: {sorted(owners)}")
    problems.extend(_validate_dictionary(knowledge))
    problems.extend(validate_faq(list(knowledge.faq)))
    for entry in knowledge.faq:
        if entry.source.startswith("http") and (problem := _source_problem(entry.source, f"faq {entry.id}")):
            problems.append(problem)
    for town in knowledge.towns:
        for column, pattern in town.patterns:
            try:
                parse_pattern(pattern)
            except ValueError as exc:
                problems.append(f"town {town.label} {column}: {exc}")
    return problems
