"""Loading and validation of data/benefits/ (programmes.yaml + i18n/<lang>.yaml); schema: programmes.yaml header.

Every problem is collected and raised together as one DataError, each naming the programme and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from knowledge_base.benefits.models import (
    INSURANCES,
    QUESTION_CODES,
    RESIDENT_WARD_OFFICE,
    AmountRule,
    Apply,
    IncomeBand,
    LanguageText,
    Param,
    ParamValue,
    Programme,
    Programmes,
    ProgrammeText,
    ScheduleItem,
)
from knowledge_base.core.data import DataError, text_field, text_list

BENEFITS_DIR = "benefits"
PROGRAMMES_FILE = "programmes.yaml"
I18N_DIR = "i18n"

CATEGORIES = (
    "child",
    "pregnancy",
    "health_check",
    "vaccination",
    "screening",
    "insurance",
    "welfare",
    "disability",
    "transport",
    "utilities",
)
CERTAINTIES = ("confirmed", "uncertain")
PERS = ("month", "year", "once", "visit", "hour")
CALCS = {
    "child_allowance": ("under3_first_second", "age3_to_hs_first_second", "third_plus"),
    "child_rearing_allowance": ("first_full", "first_partial_max", "first_partial_min", "additional_full"),
}
WARDS = ("chuo", "hanamigawa", "inage", "wakaba", "midori", "mihama")
# Check codes the engine itself produces (besides the question codes and programmes.yaml `checks`).
ENGINE_CHECKS = ("birth_date", "income_limit", "insurance_type", "nontaxable")

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$")
_FY = re.compile(r"^FY(19|20)\d\d$")
_PHONE = re.compile(r"^0\d{1,4}-\d{1,4}-\d{3,4}$")
# An amount written into display text (amounts belong in params): 300円, 1,200円, 5万円, 15,000 yen.
_AMOUNT_IN_TEXT = re.compile(r"\d[\d,，]*\s*(円|万円|yen)")
# YAML folding leaves a space where a Japanese text continues on the next line.
_JA_FOLD = re.compile(r"(?<=[。、）」])\s+(?=\S)")


def _ja(text: str | None) -> str | None:
    return _JA_FOLD.sub("", text) if text else text


_PROGRAMME_KEYS = frozenset(
    {
        *("id", "name", "category", "summary", "conditions", "period", "calc", "params", "amounts", "apply"),
        *("documents", "deadline", "notes", "source", "sources", "source_date", "certainty", "questions"),
        "schedule",
    }
)
_CHILD_KEYS = frozenset(
    {"min_months", "max_months", "until_fy_age", "from_fy_age", "born_from", "disability", "count_min"}
)
_AGE_KEYS = frozenset({"min", "max", "every", "basis"})
_SCHEDULE_STARTS = ("at_months", "at_weeks", "from_fy_age")
_SCHEDULE_ENDS = ("until_months", "until_weeks", "until_fy_age")
MIN_QUESTIONS = 6
MAX_QUESTIONS = 8


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: the files are large


def read_yaml(path: Path, problems: list[str], label: str | None = None) -> Any:
    """The parsed file; None (with the problem recorded) when it cannot be read."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"{label or path.name}: cannot read YAML ({exc})")
        return None


def benefits_dir(data_dir: Path) -> Path:
    """The benefits folder: `data_dir` itself when it holds programmes.yaml, else `data_dir/benefits`."""
    data_dir = Path(data_dir)
    return data_dir if (data_dir / PROGRAMMES_FILE).is_file() else data_dir / BENEFITS_DIR


def load_programmes(data_dir: Path, offices: Mapping[str, Any] | None = None) -> Programmes:
    """Read and validate programmes.yaml and its i18n files; raises DataError listing every problem.

    `data_dir` is the knowledge base's data folder (or the benefits folder itself). `offices`: office ids to check
    `apply.office` against; None reads the ids of `places/offices.yaml` next to it when there is one."""
    folder = benefits_dir(data_dir)
    path = folder / PROGRAMMES_FILE
    if not path.is_file():
        raise DataError([f"{path} does not exist"])
    if offices is None:
        offices = _office_ids(folder.parent)
    problems: list[str] = []
    data = read_yaml(path, problems, f"{BENEFITS_DIR}/{PROGRAMMES_FILE}")
    if problems:
        raise DataError(problems)
    if not isinstance(data, dict) or not isinstance(data.get("programmes"), list):
        raise DataError([f"{BENEFITS_DIR}/{PROGRAMMES_FILE}: expected a mapping with a 'programmes' list"])
    checks = _checks(data.get("checks"), problems)
    bands, basis = _income_bands(data.get("income_bands"), problems)
    programmes = [
        programme for i, raw in enumerate(data["programmes"]) if (programme := _programme(raw, i, problems)) is not None
    ]
    texts, languages = _load_i18n(folder / I18N_DIR, problems)
    known = {p.id for p in programmes}
    for lang, by_id in sorted(texts.items()):
        for pid in sorted(set(by_id) - known):
            problems.append(f"{BENEFITS_DIR}/{I18N_DIR}/{lang}.yaml: programme {pid!r} is not in {PROGRAMMES_FILE}")
    shared = MappingProxyType(languages)
    programmes = [
        _with_translations(p, {lang: by_id[p.id] for lang, by_id in texts.items() if p.id in by_id}, shared)
        for p in programmes
    ]
    result = Programmes(tuple(programmes), tuple(bands), MappingProxyType(checks), languages, basis)
    problems.extend(validate(result, offices or None))
    if problems:
        raise DataError(problems)
    return result


def _office_ids(data_root: Path) -> set[str] | None:
    path = data_root / "places" / "offices.yaml"
    if not path.is_file():
        return None
    problems: list[str] = []
    entries = read_yaml(path, problems)
    if not isinstance(entries, list):
        return None
    return {str(entry["id"]) for entry in entries if isinstance(entry, dict) and entry.get("id")}


def _with_translations(
    programme: Programme, translations: dict[str, ProgrammeText], languages: Mapping[str, LanguageText]
) -> Programme:
    return replace(programme, translations=MappingProxyType(translations), languages=languages)


# ---------------------------------------------------------------- reading


def _checks(raw: Any, problems: list[str]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{BENEFITS_DIR}/{PROGRAMMES_FILE}: 'checks' must map codes to text")
        return {}
    return {str(code): str(text).strip() for code, text in raw.items()}


def _income_bands(raw: Any, problems: list[str]) -> tuple[list[IncomeBand], str]:
    where = f"{BENEFITS_DIR}/{PROGRAMMES_FILE} income_bands"
    if not isinstance(raw, dict) or not isinstance(raw.get("bands"), list):
        problems.append(f"{where}: expected a mapping with a 'bands' list")
        return [], ""
    bands: list[IncomeBand] = []
    for i, entry in enumerate(raw["bands"]):
        if not isinstance(entry, dict):
            problems.append(f"{where}[{i}]: must be a mapping")
            continue
        code = text_field(entry, "code", f"{where}[{i}]", problems)
        label = text_field(entry, "label", f"{where}[{i}] {code}", problems)
        low, high = entry.get("min_yen"), entry.get("max_yen")
        for key, value in (("min_yen", low), ("max_yen", high)):
            if value is not None and (not isinstance(value, int) or value < 0):
                problems.append(f"{where} {code}: '{key}' must be a whole number of yen or null")
        if code and label:
            bands.append(
                IncomeBand(
                    code=code,
                    label=label,
                    min_yen=low if isinstance(low, int) else None,
                    max_yen=high if isinstance(high, int) else None,
                    decides=text_list(entry.get("decides"), f"{where} {code}", problems, key="decides"),
                    taxed=entry.get("taxed") is True,
                )
            )
    basis = str(raw.get("basis") or "").strip()
    return bands, basis


def _programme(raw: Any, index: int, problems: list[str]) -> Programme | None:
    label = f"{BENEFITS_DIR}/{PROGRAMMES_FILE}"
    if not isinstance(raw, dict):
        problems.append(f"{label}: programmes[{index}] must be a mapping")
        return None
    pid = raw.get("id")
    where = f"programme {pid}" if pid else f"{label}: programmes[{index}]"
    for key in sorted(set(raw) - _PROGRAMME_KEYS):
        problems.append(f"{where}: unknown key '{key}'")
    fields = {
        key: text_field(raw, key, where, problems)
        for key in ("id", "name", "category", "summary", "source", "source_date", "certainty")
    }
    questions = text_list(raw.get("questions"), where, problems, key="questions")
    apply = _apply(raw.get("apply"), where, problems)
    if not all(fields.values()) or apply is None:
        return None
    conditions = _conditions(raw.get("conditions"), f"{where} conditions", problems)
    period = raw.get("period") or {}
    if not isinstance(period, dict):
        problems.append(f"{where}: 'period' must be a mapping with from/until")
        period = {}
    for key in ("from", "until"):
        if key in period and not isinstance(period[key], date):
            problems.append(f"{where}: period '{key}' must be a date (YYYY-MM-DD)")
    params = _params(raw.get("params"), where, problems)
    amounts = _amounts(raw.get("amounts"), where, problems)
    return Programme(
        id=fields["id"] or "",
        name=fields["name"] or "",
        category=fields["category"] or "",
        summary=_ja(fields["summary"]) or "",
        conditions=conditions,
        apply=apply,
        documents=text_list(raw.get("documents"), where, problems, key="documents"),
        source=fields["source"] or "",
        source_date=fields["source_date"] or "",
        certainty=fields["certainty"] or "",
        questions=questions,
        params=MappingProxyType(params),
        amounts=amounts,
        calc=text_field(raw, "calc", where, problems, required=False),
        period_from=period.get("from") if isinstance(period.get("from"), date) else None,
        period_until=period.get("until") if isinstance(period.get("until"), date) else None,
        deadline=_ja(text_field(raw, "deadline", where, problems, required=False)),
        notes=_ja(text_field(raw, "notes", where, problems, required=False)),
        sources=text_list(raw.get("sources"), where, problems, key="sources"),
        schedule=_schedule(raw.get("schedule"), where, problems),
    )


def _apply(raw: Any, where: str, problems: list[str]) -> Apply | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: missing 'apply' (a mapping with office and how)")
        return None
    office = text_field(raw, "office", f"{where} apply", problems)
    how = text_field(raw, "how", f"{where} apply", problems)
    phones = raw.get("desk_phones") or {}
    if not isinstance(phones, dict):
        problems.append(f"{where} apply: 'desk_phones' must map ward ids to phone numbers")
        phones = {}
    if not office or not how:
        return None
    return Apply(
        office=office,
        how=_ja(how) or "",
        desk=text_field(raw, "desk", f"{where} apply", problems, required=False),
        desk_phones=MappingProxyType({str(k): str(v) for k, v in phones.items()}),
        phone=text_field(raw, "phone", f"{where} apply", problems, required=False),
        online=text_field(raw, "online", f"{where} apply", problems, required=False),
    )


def _conditions(raw: Any, where: str, problems: list[str]) -> tuple[Mapping[str, Any], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        problems.append(f"{where}: must be a list of conditions (mappings)")
        return ()
    return tuple(MappingProxyType(dict(c)) for c in raw)


def _params(raw: Any, where: str, problems: list[str]) -> dict[str, Param]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: 'params' must map names to parameters")
        return {}
    params: dict[str, Param] = {}
    for name, spec in raw.items():
        pwhere = f"{where} param {name}"
        if not isinstance(spec, dict):
            problems.append(f"{pwhere}: must be a mapping with label and values")
            continue
        label = text_field(spec, "label", pwhere, problems)
        values_raw = spec.get("values")
        if not isinstance(values_raw, list) or not values_raw:
            problems.append(f"{pwhere}: 'values' must list at least one value")
            continue
        values: list[ParamValue] = []
        for i, value in enumerate(values_raw):
            vwhere = f"{pwhere} value {i}"
            if not isinstance(value, dict):
                problems.append(f"{vwhere}: must be a mapping")
                continue
            parsed = _param_value(value, vwhere, problems)
            if parsed is not None:
                values.append(parsed)
        if label and values:
            params[str(name)] = Param(str(name), label, tuple(sorted(values, key=lambda v: v.start)))
    return params


def _param_value(raw: dict[str, Any], where: str, problems: list[str]) -> ParamValue | None:
    start, until, value, fy = raw.get("from"), raw.get("until"), raw.get("value"), raw.get("fy")
    ok = True
    if not isinstance(start, date):
        problems.append(f"{where}: missing 'from' (the date the amount applies from, YYYY-MM-DD)")
        ok = False
    if until is not None and (not isinstance(until, date) or (isinstance(start, date) and until < start)):
        problems.append(f"{where}: 'until' must be a date on or after 'from'")
        ok = False
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        problems.append(f"{where}: 'value' must be a whole number of yen")
        ok = False
    if fy is None:
        problems.append(f"{where}: missing 'fy' (the fiscal year of the amount, e.g. FY2025, or 'undated')")
        ok = False
    elif fy != "undated" and not _FY.match(str(fy)):
        problems.append(f"{where}: 'fy' must look like FY2025 or be 'undated', got {fy!r}")
        ok = False
    confirmed = raw.get("confirmed_for")
    if confirmed is None:
        problems.append(f"{where}: missing 'confirmed_for' (the fiscal years a source states this amount for)")
        ok = False
    elif not isinstance(confirmed, list) or not all(_FY.match(str(c)) for c in confirmed):
        problems.append(f"{where}: 'confirmed_for' must list fiscal years like FY2025")
        ok = False
    elif fy != "undated" and not confirmed:
        problems.append(f"{where}: 'confirmed_for' is empty (say fy: undated when no source dates the amount)")
        ok = False
    if not ok:
        return None
    return ParamValue(start, value, str(fy), tuple(str(c) for c in confirmed), until)


def _amounts(raw: Any, where: str, problems: list[str]) -> tuple[AmountRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(f"{where}: 'amounts' must be a list")
        return ()
    rules: list[AmountRule] = []
    for i, entry in enumerate(raw):
        awhere = f"{where} amounts[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{awhere}: must be a mapping with param and per")
            continue
        param, per = text_field(entry, "param", awhere, problems), text_field(entry, "per", awhere, problems)
        when = _conditions(entry.get("when"), f"{awhere} when", problems)
        if param and per:
            rules.append(AmountRule(param, per, when))
    return tuple(rules)


def _schedule(raw: Any, where: str, problems: list[str]) -> tuple[ScheduleItem, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(f"{where}: 'schedule' must be a list")
        return ()
    items: list[ScheduleItem] = []
    for i, entry in enumerate(raw):
        swhere = f"{where} schedule[{i}]"
        if not isinstance(entry, dict):
            problems.append(f"{swhere}: must be a mapping")
            continue
        key = text_field(entry, "key", swhere, problems)
        label = text_field(entry, "label", swhere, problems)
        numbers = {k: entry.get(k) for k in (*_SCHEDULE_STARTS, *_SCHEDULE_ENDS)}
        for k, v in numbers.items():
            if v is not None and (not isinstance(v, int) or v < 0):
                problems.append(f"{swhere}: '{k}' must be a whole number")
        starts = [k for k in _SCHEDULE_STARTS if numbers[k] is not None]
        ends = [k for k in _SCHEDULE_ENDS if numbers[k] is not None]
        if len(starts) != 1:
            problems.append(f"{swhere}: needs exactly one of {', '.join(_SCHEDULE_STARTS)}")
        if len(ends) > 1:
            problems.append(f"{swhere}: at most one of {', '.join(_SCHEDULE_ENDS)}")
        if key and label and len(starts) == 1 and len(ends) <= 1:
            items.append(ScheduleItem(key=key, label=label, **{k: v for k, v in numbers.items() if v is not None}))
    return tuple(items)


def _load_i18n(
    folder: Path, problems: list[str]
) -> tuple[dict[str, dict[str, ProgrammeText]], dict[str, LanguageText]]:
    texts: dict[str, dict[str, ProgrammeText]] = {}
    languages: dict[str, LanguageText] = {}
    if not folder.is_dir():
        return texts, languages
    for path in sorted(folder.glob("*.yaml")):
        lang = path.stem
        label = f"{BENEFITS_DIR}/{I18N_DIR}/{path.name}"
        data = read_yaml(path, problems, label)
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(f"{label}: expected a mapping")
            continue
        section = data.get("programmes") or {}
        if not isinstance(section, dict):
            problems.append(f"{label}: 'programmes' must map programme ids to their text")
            section = {}
        by_id: dict[str, ProgrammeText] = {}
        for pid, raw in section.items():
            where = f"{label} programme {pid}"
            if not isinstance(raw, dict):
                problems.append(f"{where}: must be a mapping")
                continue
            name = text_field(raw, "name", where, problems)
            summary = text_field(raw, "summary", where, problems)
            apply = text_field(raw, "apply", where, problems)
            if not (name and summary and apply):
                continue
            by_id[str(pid)] = ProgrammeText(
                name=name,
                summary=summary,
                apply=apply,
                documents=text_list(raw.get("documents"), where, problems, key="documents"),
                questions=text_list(raw.get("questions"), where, problems, key="questions"),
                deadline=text_field(raw, "deadline", where, problems, required=False),
                notes=text_field(raw, "notes", where, problems, required=False),
                amount_labels=MappingProxyType(_str_map(raw.get("amount_labels"), f"{where} amount_labels", problems)),
                schedule=MappingProxyType(_str_map(raw.get("schedule"), f"{where} schedule", problems)),
            )
        texts[lang] = by_id
        languages[lang] = LanguageText(
            phrases=MappingProxyType(dict(data.get("phrases") or {})),
            checks=MappingProxyType(_str_map(data.get("checks"), f"{label} checks", problems)),
            income_bands=MappingProxyType(_str_map(data.get("income_bands"), f"{label} income_bands", problems)),
        )
    return texts, languages


def _str_map(raw: Any, where: str, problems: list[str]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: must map keys to text")
        return {}
    return {str(k): str(v).strip() for k, v in raw.items() if v is not None}


# ---------------------------------------------------------------- validation


def validate(programmes: Programmes, offices: Mapping[str, Any] | set[str] | None = None) -> list[str]:
    """Problems a resident would notice: unknown desks, unsourced or undated amounts, conditions the engine cannot
    evaluate, amounts written into text, income bands that disagree with the programmes they decide."""
    problems: list[str] = []
    ids = {p.id for p in programmes}
    band_codes = {band.code for band in programmes.income_bands}
    check_codes = set(programmes.checks) | set(QUESTION_CODES) | set(ENGINE_CHECKS)
    seen: set[str] = set()
    schedule_keys: dict[str, str] = {}
    for p in programmes:
        where = f"programme {p.id}"
        if p.id in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(p.id)
        if not _ID.match(p.id):
            problems.append(f"{where}: id must be snake_case English")
        if p.category not in CATEGORIES:
            problems.append(f"{where}: category must be one of {CATEGORIES}, got {p.category!r}")
        if p.certainty not in CERTAINTIES:
            problems.append(f"{where}: certainty must be one of {CERTAINTIES}, got {p.certainty!r}")
        for url in (p.source, *p.sources):
            if not _URL.match(url):
                problems.append(f"{where}: source must be a URL, got {url!r}")
        if p.apply.online and not _URL.match(p.apply.online):
            problems.append(f"{where}: apply.online must be a URL")
        if not MIN_QUESTIONS <= len(p.questions) <= MAX_QUESTIONS:
            problems.append(f"{where}: needs {MIN_QUESTIONS}–{MAX_QUESTIONS} questions, has {len(p.questions)}")
        if offices is not None and p.apply.office != RESIDENT_WARD_OFFICE and p.apply.office not in offices:
            problems.append(f"{where}: unknown office {p.apply.office!r} (not in places/offices.yaml)")
        for ward, phone in p.apply.desk_phones.items():
            if ward not in WARDS:
                problems.append(f"{where}: apply.desk_phones has unknown ward {ward!r}")
            if not _PHONE.match(phone):
                problems.append(f"{where}: apply.desk_phones {ward} is not a phone number: {phone!r}")
        if p.apply.phone and not _PHONE.match(p.apply.phone):
            problems.append(f"{where}: apply.phone is not a phone number: {p.apply.phone!r}")
        texts = {"summary": p.summary, "apply.how": p.apply.how, "deadline": p.deadline, "notes": p.notes}
        texts.update({f"documents[{i}]": d for i, d in enumerate(p.documents)})
        for key, text in texts.items():
            if text and _AMOUNT_IN_TEXT.search(text):
                problems.append(f"{where}: {key} writes an amount into the text; put it in params")
        for condition in p.conditions:
            problems.extend(_check_condition(condition, f"{where} conditions", ids, band_codes, check_codes))
        for rule in p.amounts:
            if rule.param not in p.params:
                problems.append(f"{where}: amount refers to unknown param {rule.param!r}")
            if rule.per not in PERS:
                problems.append(f"{where}: amount per must be one of {PERS}, got {rule.per!r}")
            for condition in rule.when:
                problems.extend(
                    _check_condition(condition, f"{where} amount {rule.param} when", ids, band_codes, check_codes)
                )
        if p.calc is not None:
            if p.calc not in CALCS:
                problems.append(f"{where}: unknown calc {p.calc!r} (one of {sorted(CALCS)})")
            else:
                for name in CALCS[p.calc]:
                    if name not in p.params:
                        problems.append(f"{where}: calc {p.calc} needs param {name!r}")
        used = {rule.param for rule in p.amounts}
        if p.calc is None:
            for name in sorted(set(p.params) - used):
                problems.append(f"{where}: param {name!r} is not shown by any amount")
        for item in p.schedule:
            if item.key in schedule_keys:
                problems.append(f"{where}: schedule key {item.key!r} is also used by {schedule_keys[item.key]}")
            schedule_keys[item.key] = p.id
            if item.until_months is not None and item.at_months is not None and item.until_months <= item.at_months:
                problems.append(f"{where}: schedule {item.key} ends before it starts")
        if p.period_from and p.period_until and p.period_until < p.period_from:
            problems.append(f"{where}: period ends before it starts")
        for lang, text in p.translations.items():
            i18n_texts = {"summary": text.summary, "apply": text.apply, "deadline": text.deadline, "notes": text.notes}
            i18n_texts.update({f"documents[{i}]": d for i, d in enumerate(text.documents)})
            for key, value in i18n_texts.items():
                if value and _AMOUNT_IN_TEXT.search(value):
                    problems.append(f"{where}: i18n/{lang}.yaml {key} writes an amount into the text")
            for name in sorted(set(text.amount_labels) - set(p.params)):
                problems.append(f"{where}: i18n/{lang}.yaml amount_labels has unknown param {name!r}")
            for key in sorted(set(text.schedule) - {item.key for item in p.schedule}):
                problems.append(f"{where}: i18n/{lang}.yaml schedule has unknown key {key!r}")
    problems.extend(_check_bands(programmes, ids))
    return problems


def _check_condition(
    condition: Mapping[str, Any], where: str, ids: set[str], bands: set[str], checks: set[str]
) -> list[str]:
    problems: list[str] = []
    for key, value in condition.items():
        if key == "child":
            if not isinstance(value, dict) or set(value) - _CHILD_KEYS:
                problems.append(f"{where}: child condition keys must be among {sorted(_CHILD_KEYS)}")
            elif "born_from" in value and not isinstance(value["born_from"], date):
                problems.append(f"{where}: child born_from must be a date")
        elif key in ("pregnant", "single_parent", "welfare", "nontaxable"):
            if not isinstance(value, bool):
                problems.append(f"{where}: '{key}' must be true or false")
        elif key == "resident_age":
            if not isinstance(value, dict) or set(value) - _AGE_KEYS:
                problems.append(f"{where}: resident_age keys must be among {sorted(_AGE_KEYS)}")
            elif value.get("basis", "now") not in ("now", "fy_end"):
                problems.append(f"{where}: resident_age basis must be now or fy_end")
        elif key == "insurance":
            if not isinstance(value, dict):
                problems.append(f"{where}: insurance must be {{in: [...], maybe: [...]}}")
            else:
                for code in (*value.get("in", ()), *value.get("maybe", ())):
                    if code not in INSURANCES:
                        problems.append(f"{where}: unknown insurance {code!r} (one of {INSURANCES})")
        elif key == "income_band":
            if not isinstance(value, dict) or set(value) - {"eligible", "maybe"}:
                problems.append(f"{where}: income_band must be {{eligible: [...], maybe: [...]}}")
            else:
                for code in (*value.get("eligible", ()), *value.get("maybe", ())):
                    if code not in bands:
                        problems.append(f"{where}: unknown income band {code!r}")
        elif key in ("programme", "not_programme"):
            if value not in ids:
                problems.append(f"{where}: unknown programme {value!r}")
        elif key == "check":
            if value not in checks:
                problems.append(f"{where}: unknown check code {value!r} (add it to 'checks')")
        elif key == "any_of":
            if not isinstance(value, list) or not all(isinstance(group, list) for group in value):
                problems.append(f"{where}: any_of must be a list of condition lists")
                continue
            for group in value:
                for sub in group:
                    if not isinstance(sub, dict):
                        problems.append(f"{where}: any_of entries must be conditions (mappings)")
                    else:
                        problems.extend(_check_condition(sub, where, ids, bands, checks))
        else:
            problems.append(f"{where}: unknown condition {key!r}")
    return problems


def _check_bands(programmes: Programmes, ids: set[str]) -> list[str]:
    problems: list[str] = []
    codes = [band.code for band in programmes.income_bands]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(f"income band {code}: duplicate code")
    for band in programmes.income_bands:
        if band.min_yen is not None and band.max_yen is not None and band.max_yen < band.min_yen:
            problems.append(f"income band {band.code}: max_yen is below min_yen")
        for pid in band.decides:
            if pid not in ids:
                problems.append(f"income band {band.code}: decides unknown programme {pid!r}")
    # A band "decides" a programme exactly when the programme's income condition leaves that band open (maybe).
    for p in programmes:
        open_bands = set()
        for condition in _flatten(p.conditions):
            spec = condition.get("income_band")
            if isinstance(spec, dict):
                open_bands |= set(spec.get("maybe", ()))
        listed = {band.code for band in programmes.income_bands if p.id in band.decides}
        for code in sorted(open_bands - listed):
            problems.append(f"income band {code}: should list {p.id} in 'decides' (its limit is open in that band)")
        for code in sorted(listed - open_bands):
            problems.append(f"income band {code}: lists {p.id} in 'decides' but {p.id} does not leave it open")
    return problems


def _flatten(conditions: Any) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for condition in conditions:
        out.append(condition)
        for group in condition.get("any_of", ()) or ():
            out.extend(_flatten(group))
    return out
