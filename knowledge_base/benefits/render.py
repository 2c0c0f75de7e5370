"""A programme's answer as text in a resident's language: curated summary, the amounts computed for a date (and a
household) in digits with 円 / yen, how and where to apply, documents, deadline, source — and, when the current
fiscal year's amount is not confirmed, which year it is.

Text comes from programmes.yaml (Japanese) and i18n/<lang>.yaml; a language without curated text falls back to
English, then Japanese (やさしい日本語 falls back to Japanese). Fixed words ("per month", "How to apply") are the
`phrases` of the i18n file; Japanese ones are below.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from knowledge_base.benefits.dates import fy_code
from knowledge_base.benefits.engine import child_matches, compute_amounts, household_due, monthly_total
from knowledge_base.benefits.models import (
    RESIDENT_WARD_OFFICE,
    Amount,
    Child,
    Due,
    Household,
    Programme,
    Programmes,
)

JA_PHRASES: dict[str, Any] = {
    "amounts_heading": "金額（{date}時点）:",
    "per_month": "月額",
    "per_year": "年額",
    "per_once": "1回",
    "per_visit": "1回あたり",
    "per_hour": "1時間あたり",
    "yen": "{amount}円",
    "amount_line": "・{label}: {amount}（{per}）",
    "bullet": "・",
    "note_prefix": "※",
    "free": "無料",
    "total_month": "合計: 月{amount}円",
    "child_line": "{n}人目（{age}）: {label} 月{amount}円",
    "not_current": "{fy}の額です。{current_fy}の額は確認できていません。",
    "undated": "何年度の額か、資料では確認できていません。",
    "expired": "{until}までの額です。その後の額は確認できていません。",
    "partial_range": "一部支給の場合: 所得に応じて月{low}円〜{high}円",
    "apply_heading": "申請・利用のしかた:",
    "desk": "窓口: {desk}",
    "desk_phone": "電話（{ward}）: {phone}",
    "phone": "電話: {phone}",
    "online": "オンライン: {url}",
    "documents_heading": "必要なもの:",
    "deadline": "期限: {text}",
    "notes": "注意: {text}",
    "source": "出典: {url}（{date}）",
    "no_date": "日付なし",
    "uncertain": "確認できていない点があります。千葉市役所コールセンター（043-245-4894）で確認してください。",
    "due_heading": "今の時期の予定:",
    "due_line": "{label}: {start}から",
    "due_line_until": "{label}: {start}から{until}まで",
    "resident_ward_office": "お住まいの区の区役所",
    "age_years_months": "{years}歳{months}か月",
    "age_months": "{months}か月",
    "date": "{year}年{month}月{day}日",
    "fy": "{year}年度",
    "wards": {
        "chuo": "中央区",
        "hanamigawa": "花見川区",
        "inage": "稲毛区",
        "wakaba": "若葉区",
        "midori": "緑区",
        "mihama": "美浜区",
    },
}
EN_FORMATS: dict[str, str] = {
    "age_years_months": "{years} y {months} m",
    "age_months": "{months} months",
    "date": "{year}-{month:02d}-{day:02d}",
    "fy": "FY{year}",
}
FALLBACK = "en"


def _chain(lang: str) -> list[str]:
    """Languages to take text from, best first."""
    if lang in ("ja", ""):
        return ["ja"]
    if lang.startswith("ja"):
        return [lang, "ja"]
    return [lang, FALLBACK, "ja"]


def _phrases(lang: str, source: Programmes | Programme | None) -> dict[str, Any]:
    """The answer words of `lang` over its fallbacks, from the i18n files (`source` carries their LanguageTexts)."""
    table = source.languages if source is not None else {}
    out: dict[str, Any] = dict(JA_PHRASES)
    for code in reversed(_chain(lang)):
        if code == "ja":
            continue
        if code == FALLBACK or not code.startswith("ja"):
            out.update(EN_FORMATS)
        if code in table:
            out.update(table[code].phrases)
    return out


def _text(programme: Programme, lang: str) -> tuple[str, Any]:
    """(language used, ProgrammeText or the Programme itself for Japanese)."""
    for code in _chain(lang):
        if code == "ja":
            return "ja", programme
        if code in programme.translations:
            return code, programme.translations[code]
    return "ja", programme


def _yen(value: int, ph: Mapping[str, Any]) -> str:
    return ph["free"] if value == 0 else ph["yen"].format(amount=f"{value:,}")


def _fy_text(fy: str, ph: Mapping[str, Any]) -> str:
    return ph["fy"].format(year=int(fy[2:])) if fy.startswith("FY") else fy


def _date_text(day: date, ph: Mapping[str, Any]) -> str:
    return ph["date"].format(year=day.year, month=day.month, day=day.day)


def _age_text(months: int, ph: Mapping[str, Any]) -> str:
    years, rest = divmod(months, 12)
    return ph["age_years_months"].format(years=years, months=rest) if years else ph["age_months"].format(months=rest)


def amount_label(programme: Programme, param: str, lang: str) -> str:
    """The display label of a param in `lang` (falling back to English, then the Japanese label)."""
    for code in _chain(lang):
        if code == "ja":
            break
        text = programme.translations.get(code)
        if text and param in text.amount_labels:
            return text.amount_labels[param]
    return programme.params[param].label


def schedule_label(programme: Programme, key: str, lang: str) -> str:
    """The display label of a schedule item (a due vaccination / check-up) in `lang`."""
    for code in _chain(lang):
        if code == "ja":
            break
        text = programme.translations.get(code)
        if text and key in text.schedule:
            return text.schedule[key]
    return next(item.label for item in programme.schedule if item.key == key)


def programme_name(programme: Programme, lang: str) -> str:
    return _text(programme, lang)[1].name


def check_text(code: str, lang: str, programmes: Programmes) -> str:
    """What a check code asks the resident to verify, in `lang` (falls back to English, then Japanese)."""
    for language in _chain(lang):
        if language == "ja":
            break
        text = programmes.languages.get(language)
        if text and code in text.checks:
            return text.checks[code]
    return programmes.checks.get(code, code)


def band_label(code: str, lang: str, programmes: Programmes) -> str:
    """The label of an income band in `lang`."""
    for language in _chain(lang):
        if language == "ja":
            break
        text = programmes.languages.get(language)
        if text and code in text.income_bands:
            return text.income_bands[code]
    band = programmes.band(code)
    return band.label if band else code


def amount_lines(
    programme: Programme,
    amounts: tuple[Amount, ...],
    lang: str,
    today: date,
    household: Household | None = None,
    programmes: Programmes | None = None,
) -> list[str]:
    """The amounts as lines (digits with 円 / yen), the total per month where it is one sum, and which fiscal year
    they are when today's is not confirmed."""
    ph = _phrases(lang, programmes or programme)
    if not amounts:
        return []
    lines = [ph["amounts_heading"].format(date=_date_text(today, ph))]
    children = household.children if household is not None else None
    if programme.calc == "child_allowance" and children:
        paid = sorted(children, key=lambda c: -c.age_months)
        for n, (child, amount) in enumerate(_pair_children(paid, amounts, today), start=1):
            lines.append(
                ph["bullet"]
                + ph["child_line"].format(
                    n=n,
                    age=_age_text(child.age_months, ph),
                    label=amount_label(programme, amount.label, lang),
                    amount=f"{amount.yen:,}",
                )
            )
        lines.append(ph["total_month"].format(amount=f"{monthly_total(amounts):,}"))
    else:
        for amount in amounts:
            per = ph.get(f"per_{amount.per}", amount.per)
            label = amount_label(programme, amount.label, lang)
            lines.append(ph["amount_line"].format(label=label, amount=_yen(amount.yen, ph), per=per))
        if programme.calc == "child_rearing_allowance" and children is not None:
            lines.extend(_rearing_totals(programme, amounts, children, today, ph))
    lines.extend(ph["note_prefix"] + note for note in _year_notes(programme, amounts, today, ph))
    return lines


def _pair_children(paid: list[Child], amounts: tuple[Amount, ...], today: date) -> list[tuple[Child, Amount]]:
    """The children the 児童手当 amounts belong to (the engine emits one amount per paid child, oldest first)."""
    payable = [c for c in paid if child_matches(c, {"until_fy_age": 18}, today).value is not False]
    return list(zip(payable, amounts, strict=False))


def _rearing_totals(
    programme: Programme, amounts: tuple[Amount, ...], children: tuple[Child, ...], today: date, ph: Mapping[str, Any]
) -> list[str]:
    """児童扶養手当 for n children: full = first + (n-1) × additional; partial = the range."""
    n = sum(
        1
        for c in children
        if child_matches(c, {"until_fy_age": 18}, today).value is not False or (c.disability and c.age_months <= 239)
    )
    if n < 1:
        return []
    by = {a.label: a.yen for a in amounts}
    needed = ("first_full", "additional_full", "first_partial_min", "first_partial_max")
    if not all(k in by for k in needed):
        return []
    extra = n - 1
    full = by["first_full"] + extra * by["additional_full"]
    low = by["first_partial_min"] + extra * by.get("additional_partial_min", 0)
    high = by["first_partial_max"] + extra * by.get("additional_partial_max", 0)
    return [
        ph["total_month"].format(amount=f"{full:,}"),
        ph["partial_range"].format(low=f"{low:,}", high=f"{high:,}"),
    ]


def _year_notes(programme: Programme, amounts: tuple[Amount, ...], today: date, ph: Mapping[str, Any]) -> list[str]:
    notes: list[str] = []
    current = fy_code(today)
    for amount in amounts:
        value = programme.params[amount.label].value_on(today)
        if value is not None and value.until is not None and today > value.until:
            note = ph["expired"].format(until=_date_text(value.until, ph))
        elif amount.fy == "undated":
            note = ph["undated"]
        elif not amount.confirmed:
            note = ph["not_current"].format(fy=_fy_text(amount.fy, ph), current_fy=_fy_text(current, ph))
        else:
            continue
        if note not in notes:
            notes.append(note)
    return notes


def due_lines(programme: Programme, due: tuple[Due, ...], lang: str, programmes: Programmes | None = None) -> list[str]:
    ph = _phrases(lang, programmes or programme)
    if not due:
        return []
    lines = [ph["due_heading"]]
    for item in due:
        label = schedule_label(programme, item.key, lang)
        if item.due_until is not None:
            text = ph["due_line_until"].format(
                label=label,
                start=_date_text(item.due_from, ph),
                until=_date_text(item.due_until - timedelta(days=1), ph),  # the last day (due_until is exclusive)
            )
        else:
            text = ph["due_line"].format(label=label, start=_date_text(item.due_from, ph))
        lines.append(ph["bullet"] + text)
    return lines


def programme_answer(
    programme: Programme,
    lang: str,
    today: date,
    household: Household | None = None,
    *,
    programmes: Programmes | None = None,
    ward: str | None = None,
    caution: bool = True,
) -> str:
    """The direct answer about one programme: name and summary, the amounts for `today` (for the household when
    given), how and where to apply, documents, deadline, notes, source; "not confirmed" where it applies.
    `programmes` is optional (a programme carries the phrases of every language), `ward` picks the desk's phone,
    `caution=False` leaves out the "not confirmed, call the city" line (the FAQ reply adds its own)."""
    used, text = _text(programme, lang)
    ph = _phrases(used, programmes or programme)
    amounts, _ = compute_amounts(programme, household, today, programmes)
    parts: list[str] = [f"【{text.name}】", text.summary]
    parts.extend(amount_lines(programme, amounts, used, today, household, programmes))
    if household is not None and household.children and programme.schedule:
        parts.extend(due_lines(programme, household_due(programme, household.children, today), used, programmes))
    how = programme.apply.how if used == "ja" else text.apply
    parts.append(ph["apply_heading"] + " " + how)
    if programme.apply.desk and used == "ja":
        parts.append(ph["desk"].format(desk=programme.apply.desk))
    elif programme.apply.office == RESIDENT_WARD_OFFICE and not programme.apply.desk:
        parts.append(ph["desk"].format(desk=ph["resident_ward_office"]))
    phones = programme.apply.desk_phones
    if ward and ward in phones:
        parts.append(ph["desk_phone"].format(ward=ph["wards"].get(ward, ward), phone=phones[ward]))
    elif phones:
        parts.append(
            " / ".join(ph["desk_phone"].format(ward=ph["wards"].get(w, w), phone=p) for w, p in phones.items())
        )
    if programme.apply.phone:
        parts.append(ph["phone"].format(phone=programme.apply.phone))
    if programme.apply.online:
        parts.append(ph["online"].format(url=programme.apply.online))
    documents = programme.documents if used == "ja" else (text.documents or programme.documents)
    if documents:
        separator = "、" if used.startswith("ja") else "; "
        parts.append(ph["documents_heading"] + " " + separator.join(documents))
    deadline = programme.deadline if used == "ja" else text.deadline
    if deadline:
        parts.append(ph["deadline"].format(text=deadline))
    notes = programme.notes if used == "ja" else text.notes
    if notes:
        parts.append(ph["notes"].format(text=notes))
    if caution and programme.certainty == "uncertain":
        parts.append(ph["uncertain"])
    source_date = ph["no_date"] if programme.source_date == "date not shown" else programme.source_date
    parts.append(ph["source"].format(url=programme.source, date=source_date))
    return "\n".join(part for part in parts if part)
