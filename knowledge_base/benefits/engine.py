"""The rules engine: evaluates programme conditions for a household with three-valued logic, computes amounts from
the parameters for a date, and lists vaccinations / check-ups that are due.

An unanswered question never makes a programme "not_eligible": the condition is unknown, the programme is
"maybe", and the finding names what to check (a question code such as "income_band", or a code of
programmes.yaml `checks`). Pure functions of (household, programmes); no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from knowledge_base.benefits.dates import (
    add_months,
    birth_range,
    fy_code,
    fy_end_reaching,
    fy_start_reaching,
    month_end,
)
from knowledge_base.benefits.models import (
    CHILDREN_ONLY_QUESTIONS,
    ELIGIBLE,
    INSURANCES,
    MAYBE,
    NOT_ELIGIBLE,
    QUESTION_CODES,
    Amount,
    Child,
    Due,
    Finding,
    Household,
    Param,
    Programme,
    Programmes,
    ScheduleItem,
)

DUE_AHEAD_DAYS = 60  # Finding.due: what starts within this many days …
DUE_BEHIND_DAYS = 60  # … or started at most this many days ago (older items are not "due now")
REMINDER_RECENT_DAYS = 31  # due_reminders: an item that started longer ago is not reminded any more
CHILD_COUNT_AGE = 22  # 児童手当: children up to the 3月31日 after 22 count for the birth order

Tri = bool | None  # True / False / None = unknown


@dataclass(frozen=True)
class _Result:
    value: Tri
    checks: tuple[str, ...] = ()


_TRUE, _FALSE = _Result(True), _Result(False)


def _unknown(*codes: str) -> _Result:
    return _Result(None, tuple(codes))


def _all(results: Iterable[_Result]) -> _Result:
    """AND: false wins, then unknown (with every unknown's checks), else true."""
    unknown: list[str] = []
    seen_unknown = False
    for result in results:
        if result.value is False:
            return _FALSE
        if result.value is None:
            seen_unknown = True
            unknown.extend(result.checks)
    return _Result(None, _unique(unknown)) if seen_unknown else _TRUE


def _any(results: Iterable[_Result]) -> _Result:
    """OR: true wins, then unknown (with every unknown's checks), else false."""
    unknown: list[str] = []
    seen_unknown = False
    for result in results:
        if result.value is True:
            return _TRUE
        if result.value is None:
            seen_unknown = True
            unknown.extend(result.checks)
    return _Result(None, _unique(unknown)) if seen_unknown else _FALSE


def _unique(codes: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


@dataclass
class _Context:
    household: Household
    programmes: Programmes | None
    memo: dict[str, Finding] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)

    @property
    def today(self) -> date:
        return self.household.today


# ---------------------------------------------------------------- conditions


def _conditions(conditions: Iterable[Mapping[str, Any]], ctx: _Context) -> _Result:
    return _all(_condition(key, value, ctx) for condition in conditions for key, value in condition.items())


def _condition(key: str, value: Any, ctx: _Context) -> _Result:
    hh = ctx.household
    if key == "child":
        return _child_condition(value, ctx)
    if key in ("pregnant", "single_parent", "welfare"):
        answer = getattr(hh, key)
        return _unknown(key) if answer is None else _Result(answer == value)
    if key == "resident_age":
        return _age_condition(value, hh)
    if key == "insurance":
        if hh.insurance not in INSURANCES:
            return _unknown("insurance")
        if hh.insurance in value.get("in", ()):
            return _TRUE
        return _unknown("insurance_type") if hh.insurance in value.get("maybe", ()) else _FALSE
    if key == "income_band":
        if hh.income_band is None or ctx.programmes is None or ctx.programmes.band(hh.income_band) is None:
            return _unknown("income_band")
        if hh.income_band in value.get("eligible", ()):
            return _TRUE
        return _unknown("income_limit") if hh.income_band in value.get("maybe", ()) else _FALSE
    if key == "nontaxable":
        band = ctx.programmes.band(hh.income_band) if hh.income_band and ctx.programmes else None
        if band is None:
            return _unknown("income_band")
        if band.code == "nontaxable":
            return _Result(value is True)
        if band.taxed:
            return _Result(value is False)
        return _unknown("nontaxable")  # a lower yen band does not say whether the household is taxed
    if key in ("programme", "not_programme"):
        if ctx.programmes is None or value not in ctx.programmes or value in ctx.active:
            return _unknown()
        finding = _evaluate(ctx.programmes.get(value), ctx)
        if finding.status == MAYBE:
            return _Result(None, finding.checks)
        return _Result((finding.status == ELIGIBLE) == (key == "programme"))
    if key == "check":
        return _unknown(value)
    if key == "any_of":
        return _any(_conditions(group, ctx) for group in value)
    raise ValueError(f"unknown condition {key!r}")  # load.validate rejects these


def _child_condition(spec: Mapping[str, Any], ctx: _Context) -> _Result:
    children = ctx.household.children
    if children is None:
        return _unknown("children")
    need = int(spec.get("count_min", 1))
    results = [child_matches(child, spec, ctx.today) for child in children]
    yes = sum(1 for r in results if r.value is True)
    maybe = [r for r in results if r.value is None]
    if yes >= need:
        return _TRUE
    if yes + len(maybe) < need:
        return _FALSE
    return _Result(None, _unique(code for r in maybe for code in r.checks))


def child_matches(child: Child, spec: Mapping[str, Any], today: date) -> _Result:
    parts: list[_Result] = []
    months = child.age_months
    if "min_months" in spec:
        parts.append(_Result(months >= spec["min_months"]))
    if "max_months" in spec:
        parts.append(_Result(months <= spec["max_months"]))
    early, late = birth_range(months, today)
    if "until_fy_age" in spec:
        parts.append(_by_birth(lambda b: today <= fy_end_reaching(b, spec["until_fy_age"]), early, late))
    if "from_fy_age" in spec:
        parts.append(_by_birth(lambda b: today >= fy_start_reaching(b, spec["from_fy_age"]), early, late))
    if "born_from" in spec:
        parts.append(_by_birth(lambda b: b >= spec["born_from"], early, late))
    if spec.get("disability") is not None:
        wanted = spec["disability"]
        parts.append(_unknown("child_disability") if child.disability is None else _Result(child.disability == wanted))
    return _all(parts)


def _by_birth(test: Any, early: date, late: date) -> _Result:
    """A test that is monotonic in the birth date, decided at both ends of the possible birth dates."""
    a, b = test(early), test(late)
    return _Result(a) if a == b else _unknown("birth_date")


def _age_condition(spec: Mapping[str, Any], hh: Household) -> _Result:
    if hh.resident_age is None:
        return _unknown("resident_age")
    ages = [hh.resident_age] if spec.get("basis", "now") == "now" else [hh.resident_age, hh.resident_age + 1]
    low, high, every = spec.get("min"), spec.get("max"), spec.get("every")

    def fits(age: int) -> bool:
        if (low is not None and age < low) or (high is not None and age > high):
            return False
        return not every or (age - (low or 0)) % every == 0

    values = {fits(age) for age in ages}
    return _Result(values.pop()) if len(values) == 1 else _unknown("birth_date")


# ---------------------------------------------------------------- amounts


def _amount(param: Param, per: str, today: date) -> Amount | None:
    value = param.value_on(today)
    if value is None:
        return None
    current = fy_code(today) in value.confirmed_for and (value.until is None or today <= value.until)
    last = max(value.confirmed_for) if value.confirmed_for else value.fy
    return Amount(yen=value.value, per=per, fy=last, confirmed=current, label=param.name)


def compute_amounts(
    programme: Programme, household: Household | None, today: date, programmes: Programmes | None = None
) -> tuple[tuple[Amount, ...], tuple[str, ...]]:
    """(amounts for `today`, extra checks). Without a household: every amount of the programme (a table).
    With one: the household's amounts (児童手当 per child by age and birth order; rows whose `when` is false are
    left out, unknown ones kept)."""
    if programme.calc == "child_allowance" and household is not None and household.children:
        return _child_allowance(programme, household.children, today)
    ctx = _Context(household, programmes) if household is not None else None
    out: list[Amount] = []
    for rule in programme.amounts:
        if ctx is not None and rule.when and _conditions(rule.when, ctx).value is False:
            continue
        amount = _amount(programme.params[rule.param], rule.per, today)
        if amount is not None:
            out.append(amount)
    return tuple(out), ()


def _child_allowance(
    programme: Programme, children: tuple[Child, ...], today: date
) -> tuple[tuple[Amount, ...], tuple[str, ...]]:
    """Per paid child per month: 3rd+ (birth order among the children counted up to 22) → third_plus; else under 3
    → under3_first_second; else age3_to_hs_first_second. Paid to the 3月31日 after 18."""
    ordered = sorted(children, key=lambda c: -c.age_months)
    counted = [c for c in ordered if today <= fy_end_reaching(birth_range(c.age_months, today)[1], CHILD_COUNT_AGE)]
    amounts: list[Amount] = []
    checks: list[str] = []
    for order, child in enumerate(counted, start=1):
        paid = child_matches(child, {"until_fy_age": 18}, today)
        if paid.value is False:
            continue
        if order >= 3:
            name = "third_plus"
            if any(child_matches(c, {"until_fy_age": 18}, today).value is False for c in counted[: order - 1]):
                checks.append("older_child_confirmation")
        elif child.age_months < 36:
            name = "under3_first_second"
        else:
            name = "age3_to_hs_first_second"
        amount = _amount(programme.params[name], "month", today)
        if amount is not None:
            amounts.append(amount)
        checks.extend(paid.checks)
    return tuple(amounts), _unique(checks)


def monthly_total(amounts: Iterable[Amount]) -> int:
    """The sum of the monthly amounts (児童手当: the household's total per month)."""
    return sum(a.yen for a in amounts if a.per == "month")


# ---------------------------------------------------------------- due items


def schedule_window(item: ScheduleItem, birth: date) -> tuple[date, date | None]:
    """(first day, end — exclusive, None = open) of a schedule item for a child born on `birth`."""
    if item.at_months is not None:
        start = add_months(birth, item.at_months)
    elif item.at_weeks is not None:
        start = birth + timedelta(weeks=item.at_weeks)
    else:
        start = fy_start_reaching(birth, item.from_fy_age or 0)
    if item.until_months is not None:
        end: date | None = add_months(birth, item.until_months)
    elif item.until_weeks is not None:
        end = birth + timedelta(weeks=item.until_weeks)
    elif item.until_fy_age is not None:
        end = fy_end_reaching(birth, item.until_fy_age) + timedelta(days=1)
    else:
        end = None
    return start, end


def _due(pid: str, item: ScheduleItem, early: date, late: date) -> Due:
    """The window that is right whatever the birthday in [early, late]: not before the latest start, not after the
    earliest end (so the resident is never sent too early)."""
    start, _ = schedule_window(item, late)
    _, end_early = schedule_window(item, early)
    _, end_late = schedule_window(item, late)
    until = end_early if end_early is not None and end_early > start else end_late
    return Due(key=item.key, programme_id=pid, due_from=start, due_until=until)


def household_due(programme: Programme, children: tuple[Child, ...], today: date) -> tuple[Due, ...]:
    """A programme's schedule items that start within DUE_AHEAD_DAYS (or started at most DUE_BEHIND_DAYS ago) for
    any of the children, with the window that is right whatever their exact birthdays."""
    out: list[Due] = []
    for child in children:
        early, late = birth_range(child.age_months, today)
        for item in programme.schedule:
            start_early, _ = schedule_window(item, early)
            start_late, end_late = schedule_window(item, late)
            if start_early > today + timedelta(days=DUE_AHEAD_DAYS):
                continue
            if start_late < today - timedelta(days=DUE_BEHIND_DAYS):
                continue
            if end_late is not None and today >= end_late:
                continue
            due = _due(programme.id, item, early, late)
            if due not in out:
                out.append(due)
    return tuple(sorted(out, key=lambda d: (d.due_from, d.key)))


def due_reminders(birth_month: date, today: date, programmes: Programmes, *, ahead_days: int = 14) -> list[Due]:
    """For the For You worker: the vaccinations / check-ups of a child born in `birth_month` that become due within
    `ahead_days` (or became due in the last month and are still open). Dates assume the latest birthday in the
    month, so a reminder never sends the child too early."""
    early = birth_month.replace(day=1)
    late = month_end(early)
    out: list[Due] = []
    for programme in programmes:
        for item in programme.schedule:
            due = _due(programme.id, item, early, late)
            _, end_late = schedule_window(item, late)
            if due.due_from - timedelta(days=ahead_days) > today:
                continue
            if due.due_from < today - timedelta(days=REMINDER_RECENT_DAYS):
                continue
            if end_late is not None and today >= end_late:
                continue
            out.append(due)
    return sorted(out, key=lambda d: (d.due_from, d.key))


# ---------------------------------------------------------------- findings


def _in_period(programme: Programme, today: date) -> bool:
    return not (
        (programme.period_from and today < programme.period_from)
        or (programme.period_until and today > programme.period_until)
    )


def _evaluate(programme: Programme, ctx: _Context) -> Finding:
    cached = ctx.memo.get(programme.id)
    if cached is not None:
        return cached
    ctx.active.add(programme.id)
    try:
        finding = _finding(programme, ctx)
    finally:
        ctx.active.discard(programme.id)
    ctx.memo[programme.id] = finding
    return finding


def _finding(programme: Programme, ctx: _Context) -> Finding:
    hh = ctx.household
    if not _in_period(programme, hh.today):
        return Finding(programme.id, NOT_ELIGIBLE, (), (), ())
    result = _conditions(programme.conditions, ctx)
    if result.value is False:
        return Finding(programme.id, NOT_ELIGIBLE, (), (), ())
    amounts, extra = compute_amounts(programme, hh, hh.today, ctx.programmes)
    due = household_due(programme, hh.children, hh.today) if programme.schedule and hh.children else ()
    status = ELIGIBLE if result.value is True else MAYBE
    checks = _unique((*result.checks, *extra)) if status == MAYBE else _unique(extra)
    return Finding(programme.id, status, amounts, checks, due)


def evaluate(pid: str, household: Household, programmes: Programmes) -> Finding:
    """The finding for one programme (KeyError for an unknown id)."""
    return _evaluate(programmes.get(pid), _Context(household, programmes))


def screen(household: Household, programmes: Programmes) -> list[Finding]:
    """Every programme the household may use: eligible first, then maybe (file order within each); no
    not_eligible."""
    ctx = _Context(household, programmes)
    findings = [_evaluate(p, ctx) for p in programmes]
    return [f for f in findings if f.status == ELIGIBLE] + [f for f in findings if f.status == MAYBE]


# ---------------------------------------------------------------- the adaptive form

_AGES = (18, 20, 25, 30, 35, 39, 40, 45, 50, 55, 60, 64, 65, 66, 70, 74, 75, 80, 90, 100)
_CHILD_SETS = ((), (Child(0),), (Child(24),), (Child(48),), (Child(84),), (Child(120),), (Child(170),), (Child(215),))


def _candidates(code: str, hh: Household, programmes: Programmes) -> list[Household]:
    """Households that differ from `hh` only by a possible answer to question `code`."""
    if code == "children":
        return [replace(hh, children=children) for children in _CHILD_SETS]
    if code in ("pregnant", "single_parent", "welfare"):
        return [replace(hh, **{code: answer}) for answer in (True, False)]
    if code == "child_disability":
        children = hh.children or ()
        return [replace(hh, children=tuple(replace(c, disability=flag) for c in children)) for flag in (True, False)]
    if code == "resident_age":
        return [replace(hh, resident_age=age) for age in _AGES]
    if code == "insurance":
        return [replace(hh, insurance=value) for value in INSURANCES]
    if code == "income_band":
        return [replace(hh, income_band=band.code) for band in programmes.income_bands]
    raise ValueError(f"unknown question code {code!r}")


def _unanswered(code: str, hh: Household) -> bool:
    if code == "child_disability":
        return bool(hh.children) and any(child.disability is None for child in hh.children or ())
    return getattr(hh, code) is None


def needed_questions(household: Household, programmes: Programmes) -> list[str]:
    """Question codes still worth asking, in QUESTION_CODES order: a question is needed when some answer to it
    would decide (eligible or not_eligible) a programme that is "maybe" now. Children-only questions are dropped
    for a household without children; income is asked only when an undecided programme depends on it."""
    ctx = _Context(household, programmes)
    undecided = [p for p in programmes if _evaluate(p, ctx).status == MAYBE]
    needed: list[str] = []
    for code in QUESTION_CODES:
        if not _unanswered(code, household):
            continue
        if code in CHILDREN_ONLY_QUESTIONS and household.children == ():
            continue
        if _decides(code, household, programmes, undecided):
            needed.append(code)
    return needed


def _decides(code: str, household: Household, programmes: Programmes, undecided: list[Programme]) -> bool:
    for candidate in _candidates(code, household, programmes):
        ctx = _Context(candidate, programmes)
        if any(_evaluate(p, ctx).status != MAYBE for p in undecided):
            return True
    return False
