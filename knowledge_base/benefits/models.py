"""Typed records of the benefits domain: the household a resident describes, the findings of the engine, and the
validated programme data (knowledge_base/data/benefits/programmes.yaml + i18n/<lang>.yaml)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# ---------------------------------------------------------------- what a resident tells (all optional)

INSURANCES = ("nhi", "employee", "late_elderly", "other")
RESIDENT_WARD_OFFICE = "resident_ward_office"
# Question codes of the screening form, in the order they are asked (needed_questions keeps this order).
QUESTION_CODES = (
    "children",
    "pregnant",
    "single_parent",
    "child_disability",
    "resident_age",
    "insurance",
    "income_band",
    "welfare",
)
CHILDREN_ONLY_QUESTIONS = frozenset({"single_parent", "child_disability"})


@dataclass(frozen=True)
class Child:
    age_months: int  # completed months on the household's `today`
    disability: bool | None = None  # has a disability certificate or equivalent; None = not answered


@dataclass(frozen=True)
class Household:
    today: date
    children: tuple[Child, ...] | None = None  # None = not answered; () = no children
    pregnant: bool | None = None
    single_parent: bool | None = None
    resident_age: int | None = None
    insurance: str | None = (
        None  # "nhi" (国民健康保険) | "employee" (社会保険) | "late_elderly" (後期高齢者医療) | "other"
    )
    income_band: str | None = None  # a code of programmes.yaml `income_bands` (ranges only), None = not answered
    welfare: bool | None = None  # receives 生活保護


# ---------------------------------------------------------------- what the engine finds


@dataclass(frozen=True)
class Amount:
    yen: int
    per: str  # month | year | once | visit | hour
    fy: str  # the last fiscal year a source confirms this value for ("FY2025"), or "undated"
    confirmed: bool  # confirmed for the fiscal year of `today`
    label: str  # the param name (display text: Programme.params[label].label / i18n amount_labels)


@dataclass(frozen=True)
class Due:
    key: str  # schedule key, unique across programmes (e.g. "pcv_1")
    programme_id: str
    due_from: date
    due_until: date | None  # exclusive; None = open-ended


@dataclass(frozen=True)
class Finding:
    programme_id: str
    status: str  # "eligible" | "maybe" | "not_eligible"
    amounts: tuple[Amount, ...]
    checks: tuple[str, ...]  # codes of what to check (question codes or programmes.yaml `checks`)
    due: tuple[Due, ...]  # vaccinations / check-ups due now or within 60 days


ELIGIBLE, MAYBE, NOT_ELIGIBLE = "eligible", "maybe", "not_eligible"

# ---------------------------------------------------------------- the data


@dataclass(frozen=True)
class ParamValue:
    start: date  # `from`
    value: int
    fy: str  # FY of `from`, or "undated"
    confirmed_for: tuple[str, ...]
    until: date | None = None  # last day, inclusive


@dataclass(frozen=True)
class Param:
    name: str
    label: str  # Japanese
    values: tuple[ParamValue, ...]  # sorted by start

    def value_on(self, day: date) -> ParamValue | None:
        """The value in force on `day` (the latest that started by then; it may have ended: see `until`)."""
        current = None
        for value in self.values:
            if value.start <= day:
                current = value
        return current


@dataclass(frozen=True)
class AmountRule:
    param: str
    per: str
    when: tuple[Mapping[str, Any], ...] = ()  # conditions; shown unless the household makes them false


@dataclass(frozen=True)
class ScheduleItem:
    key: str
    label: str  # Japanese
    at_months: int | None = None
    at_weeks: int | None = None
    from_fy_age: int | None = None
    until_months: int | None = None
    until_weeks: int | None = None
    until_fy_age: int | None = None


@dataclass(frozen=True)
class Apply:
    office: str  # office id of places/offices.yaml or "resident_ward_office"
    how: str
    desk: str | None = None
    desk_phones: Mapping[str, str] = field(default_factory=dict)  # ward id -> phone
    phone: str | None = None
    online: str | None = None


@dataclass(frozen=True)
class ProgrammeText:
    """The curated text of one programme in one language (i18n/<lang>.yaml)."""

    name: str
    summary: str
    apply: str
    documents: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    deadline: str | None = None
    notes: str | None = None
    amount_labels: Mapping[str, str] = field(default_factory=dict)
    schedule: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LanguageText:
    """Shared words of one language: answer phrases, check texts, income band labels (i18n/<lang>.yaml)."""

    phrases: Mapping[str, Any] = field(default_factory=dict)
    checks: Mapping[str, str] = field(default_factory=dict)
    income_bands: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Programme:
    id: str
    name: str
    category: str
    summary: str
    conditions: tuple[Mapping[str, Any], ...]
    apply: Apply
    documents: tuple[str, ...]
    source: str
    source_date: str
    certainty: str  # confirmed | uncertain
    questions: tuple[str, ...]
    params: Mapping[str, Param] = field(default_factory=dict)
    amounts: tuple[AmountRule, ...] = ()
    calc: str | None = None
    period_from: date | None = None
    period_until: date | None = None
    deadline: str | None = None
    notes: str | None = None
    sources: tuple[str, ...] = ()
    schedule: tuple[ScheduleItem, ...] = ()
    translations: Mapping[str, ProgrammeText] = field(default_factory=dict)
    # the shared words of every language (answer phrases), so an answer can be rendered from the programme alone
    languages: Mapping[str, LanguageText] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class IncomeBand:
    code: str
    label: str  # Japanese
    min_yen: int | None
    max_yen: int | None
    decides: tuple[str, ...]  # programmes for which this band leaves the income limit open ("maybe")
    taxed: bool = False  # clearly not 住民税非課税 (the `nontaxable` condition is false, not unknown)


class Programmes:
    """The loaded, validated programmes (file order) with the income bands and check texts."""

    def __init__(
        self,
        programmes: tuple[Programme, ...],
        income_bands: tuple[IncomeBand, ...],
        checks: Mapping[str, str],
        languages: Mapping[str, LanguageText] | None = None,
        income_basis: str = "",
    ) -> None:
        self._programmes = programmes
        self._by_id = {p.id: p for p in programmes}
        self.income_bands = income_bands
        self.income_basis = income_basis
        self.checks = checks  # code -> Japanese text
        self.languages = languages or {}

    def get(self, pid: str) -> Programme:
        try:
            return self._by_id[pid]
        except KeyError:
            raise KeyError(f"unknown benefits programme {pid!r}") from None

    def all(self) -> tuple[Programme, ...]:
        return self._programmes

    def __contains__(self, pid: object) -> bool:
        return pid in self._by_id

    def __iter__(self) -> Iterator[Programme]:
        return iter(self._programmes)

    def __len__(self) -> int:
        return len(self._programmes)

    def band(self, code: str) -> IncomeBand | None:
        return next((band for band in self.income_bands if band.code == code), None)

    @property
    def schedule_keys(self) -> dict[str, str]:
        """schedule key -> programme id."""
        return {item.key: p.id for p in self._programmes for item in p.schedule}
