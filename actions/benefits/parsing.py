"""What a resident's answer to a screening or opt-in question says, in the ten languages: children's ages, yes / no /
"I don't know", an age, the health insurance, a birth month, an e-mail address.

Pure functions. Words are matched on a folded form of the answer (NFKC, lower case, Latin letters without accents,
so "khong biet" meets "không biết"): Latin words as whole words, other scripts as substrings. A button's payload
arrives as its code ("yes", "skip", "nhi", "2026-11"), which every parser reads too. Nothing here logs the answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from actions.common.words import compile_words, fold, word_pattern

SKIP = "skip"
YES = "yes"
NO = "no"
INSURANCES = ("nhi", "employee", "late_elderly", "other")
MAX_CHILD_YEARS = 25  # 児童手当 counts children up to 22 for the birth order; older ones are not "children" here
MIN_RESIDENT_AGE, MAX_RESIDENT_AGE = 15, 110


# --- folding and word matching ---------------------------------------------------------------------------------


def _compile(words: Iterable[str]) -> re.Pattern[str]:
    return compile_words(words)


# --- "I don't know" / yes / no -----------------------------------------------------------------------------------

# Checked before no and yes: 「わからない」 holds ない, "não sei" holds não, "không biết" holds không.
_SKIP_WORDS = _compile((
    "skip", "わからない", "分からない", "解らない", "判らない", "わかりません", "分かりません", "知らない",
    "答えたくない",
    "答えない", "スキップ", "とばす", "飛ばす", "パス", "不明", "don't know", "dont know", "do not know", "not sure",
    "no idea", "pass", "prefer not to say", "rather not say", "不知道", "不清楚", "跳过", "不想回答", "略过",
    "모르겠", "몰라", "모름", "건너뛰", "넘어가", "답하고 싶지", "khong biet", "khong ro", "bo qua",
    "khong muon tra loi",
    "hindi ko alam", "di ko alam", "ewan", "laktawan", "ayokong sagutin", "थाहा छैन", "थाहा भएन", "थाहा छैन।",
    "छोड्नुहोस्",
    "छोड्नु", "जवाफ दिन चाहन्न", "nao sei", "pular", "prefiro nao responder", "nao tenho certeza", "no se",
    "saltar",
    "omitir", "prefiero no decir", "no estoy seguro", "no estoy segura", "tidak tahu", "nggak tahu", "gak tahu",
    "tidak yakin", "lewati", "lewat", "tidak mau menjawab",
))  # fmt: skip
# Checked before yes: 「没有」 holds 有, "không có" holds có, "tidak ada" holds ada, 「छैन」 holds छ.
_NO_WORDS = _compile((
    "いいえ", "いえ", "いない", "いません", "おりません", "ありません", "ない", "なし", "無し", "違います",
    "ちがう", "no",
    "nope", "not", "none", "没有", "沒有", "不是", "无", "否", "아니요", "아니오", "아뇨", "아니", "없어요",
    "없습니다",
    "없음", "없다", "khong", "khong co", "hindi", "wala", "hindi po", "होइन", "छैन", "nao", "nenhum", "nenhuma",
    "ninguno",
    "ninguna", "tidak", "bukan", "tidak ada", "nggak", "enggak", "belum",
))  # fmt: skip
_YES_WORDS = _compile((
    "はい", "ええ", "うん", "そうです", "います", "あります", "いる", "ある", "yes", "yeah", "yep", "yup", "sure",
    "i am",
    "是", "是的", "对", "對", "有", "네", "예", "응", "맞아요", "있어요", "있습니다", "있음", "co", "vang", "da",
    "dung",
    "oo", "opo", "meron", "mayroon", "हो", "छ", "छन्", "sim", "si", "claro", "ya", "iya", "ada", "betul",
    "benar",
))  # fmt: skip
_PAYLOADS = {"/affirm": YES, "/deny": NO}


def parse_yes_no(text: object) -> str | None:
    """YES, NO, SKIP ("I don't know", the skip button) or None when the answer says none of them."""
    if isinstance(text, bool):
        return YES if text else NO
    raw = str(text or "").strip()
    if raw in (YES, NO, SKIP):
        return raw
    if raw.split("{")[0] in _PAYLOADS:
        return _PAYLOADS[raw.split("{")[0]]
    folded = fold(raw)
    if not folded:
        return None
    for words, answer in ((_SKIP_WORDS, SKIP), (_NO_WORDS, NO), (_YES_WORDS, YES)):
        if words.search(folded):
            return answer
    return None


def is_skip(text: object) -> bool:
    raw = str(text or "").strip()
    return raw == SKIP or bool(_SKIP_WORDS.search(fold(raw)))


# --- numbers ------------------------------------------------------------------------------------------------------

# Number words residents write before an age unit ("two years old", 「二歳」, 「두 살」, "dalawang taon" …).
_NUMBER_WORDS: dict[str, int] = {
    # en
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12,
    # ja / zh
    "〇": 0, "零": 0, "ゼロ": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
    "八": 8, "九": 9, "十": 10, "十一": 11, "十二": 12,
    # ko (native numbers before 살; Sino-Korean before 개월)
    "한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10,
    # vi
    "mot": 1, "hai": 2, "ba": 3, "bon": 4, "sau": 6, "bay": 7, "tam": 8, "chin": 9, "muoi": 10,
    # tl
    "isa": 1, "isang": 1, "dalawa": 2, "dalawang": 2, "tatlo": 3, "tatlong": 3, "apat": 4, "apat na": 4, "lima": 5,
    "limang": 5, "anim": 6, "pito": 7, "walo": 8, "siyam": 9, "sampu": 10,
    # ne
    "एक": 1, "दुई": 2, "तीन": 3, "चार": 4, "पाँच": 5, "पाच": 5, "छ": 6, "सात": 7, "आठ": 8, "नौ": 9, "दस": 10,
    # pt / es
    "um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5, "seis": 6, "sete": 7, "oito": 8,
    "nove": 9, "dez": 10, "cero": 0, "uno": 1, "una": 1, "un": 1, "dos": 2, "cuatro": 4, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10,
    # id
    "nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "enam": 6, "tujuh": 7, "delapan": 8, "sembilan": 9,
    "sepuluh": 10,
}  # fmt: skip
_NUMBER = (
    r"(?<![a-z0-9])(?P<{name}>\d{{1,3}}|"
    + "|".join(re.escape(fold(w)) for w in sorted(_NUMBER_WORDS, key=lambda w: -len(w)))
    + ")"
)
_FOLDED_NUMBER_WORDS = {fold(word): value for word, value in _NUMBER_WORDS.items()}


def _number(token: str) -> int:
    token = token.strip()
    return int(token) if token.isdigit() else _FOLDED_NUMBER_WORDS[token]


# --- children's ages --------------------------------------------------------------------------------------------

_YEAR_UNITS = (
    "歳", "才", "さい", "岁", "周岁", "歲", "살", "세", "years old", "year old", "year-old", "years-old", "yrs old",
    "yr old", "y/o", "yo", "years", "year", "yrs", "yr", "tuoi", "taong gulang", "taon", "वर्ष", "वर्षको",
    "बर्ष",
    "बर्षको", "साल", "anos de idade", "anos", "ano", "tahun",
)  # fmt: skip
_MONTH_UNITS = (
    "か月", "ヶ月", "カ月", "ヵ月", "ケ月", "かげつ", "个月", "個月", "개월", "months old", "month old",
    "month-old", "months", "month", "mos", "mo", "thang", "buwan", "महिना", "महिनाको", "meses", "mes", "bulan",
)  # fmt: skip
# "años" folds to "anos", "meses"/"mes" are shared by pt and es.
_UNIT_YEARS = "|".join(word_pattern(u) for u in sorted(set(_YEAR_UNITS), key=lambda u: -len(fold(u))))
_UNIT_MONTHS = "|".join(word_pattern(u) for u in sorted(set(_MONTH_UNITS), key=lambda u: -len(fold(u))))
# The space between a number and its unit is optional; "生後3か月" and "2살" need none.
_AGE = re.compile(
    _NUMBER.format(name="n") + r"\s*(?:-\s*)?(?:(?P<years>" + _UNIT_YEARS + r")|(?P<months>" + _UNIT_MONTHS + r"))"
)
_NEWBORN = _compile((
    "新生児", "赤ちゃん", "あかちゃん", "赤ん坊", "乳児", "生まれたばかり", "産まれたばかり", "newborn", "newborns",
    "new born", "new-born", "baby", "babies", "infant", "infants", "新生儿", "婴儿", "刚出生", "剛出生", "신생아",
    "갓난아기",
    "아기", "so sinh", "moi sinh",
    "bagong panganak", "sanggol", "नवजात", "नवजात शिशु", "recem-nascido", "recem nascido", "recem-nascida",
    "recien nacido", "recien nacida", "bebe", "bayi baru lahir", "baru lahir", "bayi",
))  # fmt: skip
# A number right before a newborn word counts them: "1 bé sơ sinh", "two newborns", 「赤ちゃん2人」 is not handled.
_NEWBORN_COUNT = re.compile(_NUMBER.format(name="n") + r"\s*(?:be\s+|em be\s+|con\s+|na\s+)?$")
# Between years and months of one child: 「1歳3か月」, "1 year 3 months", "1 ano e 3 meses" (「2歳と3か月」 is two).
_ONE_CHILD_GAP = re.compile(r"^\s*(?:(?:and|e|y|at|dan)\s+)?$")
# What may stand between an age and a newborn word that describes the same child: 「0歳の赤ちゃん」, "1 year old baby".
_SAME_CHILD_GAP = re.compile(r"^[\s の的-]*$")
_NO_CHILDREN = _compile((
    "子どもはいない", "子供はいない", "子どもはいません", "子供はいません", "こどもはいない", "こどもはいません",
    "子どもなし", "子供なし", "いない", "いません", "おりません", "なし", "no children", "no child", "no kids",
    "none", "don't have", "dont have", "do not have", "没有孩子", "没有小孩", "没有", "아이 없", "아이는 없",
    "자녀 없",
    "없어요", "없습니다", "khong co con", "khong co", "walang anak", "wala", "बच्चा छैन", "छैन", "nao tenho filhos",
    "nao tenho", "nenhum", "no tengo hijos", "no tengo", "ninguno", "tidak punya anak", "tidak ada anak",
    "tidak punya",
    "tidak ada", "belum punya", "none", "0人", "ゼロ",
))  # fmt: skip
_BARE_NUMBERS = re.compile(
    r"^(?:\s|\d{1,2}|[,、，・/&+;]|and|y|e|at|va|dan|と|和|及|및|र|और)+$"
)  # "2と0", "2, 0", "2 and 0": ages in years


def parse_children(text: object) -> list[int] | str | None:
    """The children's ages in months ([] = no children), SKIP, or None when the answer gives no ages.

    「2歳と0歳」 → [24, 0]; "a 2 year old and a newborn" → [24, 0]; "con 2 tuổi và 1 bé sơ sinh" → [24, 0];
    「1歳3か月」 → [15]; "none" → []. A child given in years counts its full years (2 years → 24 months)."""
    if isinstance(text, list):
        return [int(m) for m in text if isinstance(m, int) and not isinstance(m, bool)]
    raw = str(text or "").strip()
    if raw == "none":
        return []
    if is_skip(raw):
        return SKIP
    folded = fold(raw)
    ages, spans = _ages(folded)
    ages.extend(_newborns(folded, spans))
    if ages:
        return ages
    if _BARE_NUMBERS.match(folded) and re.search(r"\d", folded):
        years = [int(n) for n in re.findall(r"\d+", folded)]
        return [y * 12 for y in years] if all(y <= MAX_CHILD_YEARS for y in years) else None
    if _NO_CHILDREN.search(folded) or parse_yes_no(raw) == NO:
        return []
    return None


def _ages(folded: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Ages in months and the spans they came from; "1歳3か月" is one child of 15 months."""
    ages: list[int] = []
    spans: list[tuple[int, int]] = []
    previous_years_end: int | None = None
    for match in _AGE.finditer(folded):
        value = _number(match.group("n"))
        if match.group("years"):
            if value > MAX_CHILD_YEARS:
                continue
            ages.append(value * 12)
            spans.append((match.start(), match.end()))
            previous_years_end = match.end()
            continue
        if value > 36:
            continue
        gap = folded[previous_years_end : match.start()] if previous_years_end is not None else None
        if gap is not None and _ONE_CHILD_GAP.match(gap):
            ages[-1] += value  # 1歳3か月, "1 year and 3 months"
            spans[-1] = (spans[-1][0], match.end())
        else:
            ages.append(value)
            spans.append((match.start(), match.end()))
        previous_years_end = None
    return ages, spans


def _newborns(folded: str, age_spans: list[tuple[int, int]]) -> list[int]:
    """0 months for each newborn named apart from an age ("a newborn", "1 bé sơ sinh"); 「0歳の赤ちゃん」 is one."""
    out: list[int] = []
    previous_end: int | None = None
    for match in _NEWBORN.finditer(folded):
        # 「生まれたばかりの赤ちゃん」, "new born baby": one child named twice.
        same_as_previous = previous_end is not None and _SAME_CHILD_GAP.match(folded[previous_end : match.start()])
        previous_end = match.end()
        if same_as_previous:
            continue
        describes_an_age = any(
            end <= match.start() and _SAME_CHILD_GAP.match(folded[end : match.start()]) for _, end in age_spans
        )
        if describes_an_age or any(start <= match.start() < end for start, end in age_spans):
            continue
        count = _NEWBORN_COUNT.search(folded[: match.start()])
        out.extend([0] * (min(_number(count.group("n")), 4) if count else 1))
    return out


# --- the resident's age -------------------------------------------------------------------------------------------


def parse_age(text: object) -> int | str | None:
    """The resident's age in years (15–110), SKIP, or None."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text if MIN_RESIDENT_AGE <= text <= MAX_RESIDENT_AGE else None
    raw = str(text or "").strip()
    if is_skip(raw):
        return SKIP
    found = re.search(r"(?<!\d)(\d{1,3})(?!\d)", fold(raw))
    if not found:
        return None
    age = int(found.group(1))
    return age if MIN_RESIDENT_AGE <= age <= MAX_RESIDENT_AGE else None


# --- health insurance --------------------------------------------------------------------------------------------

_INSURANCE_WORDS = {
    "late_elderly": (
        "後期高齢", "こうきこうれい", "late elderly", "late-stage elderly", "kouki koureisha", "koki koreisha",
        "后期高龄", "후기고령", "후기 고령", "nguoi cao tuoi giai doan cuoi", "cao tuoi giai doan sau", "matatanda",
        "पछिल्लो उमेर", "idosos de idade avancada", "idosos", "adultos mayores", "lansia",
    ),
    "nhi": (
        "国保", "国民健康保険", "こくほ", "こくみんけんこうほけん", "kokuho", "kokumin kenko hoken",
        "national health",
        "nhi", "国民健康", "국민건강보험", "국보", "bao hiem y te quoc dan", "bao hiem quoc dan", "pambansang",
        "राष्ट्रिय स्वास्थ्य", "seguro nacional", "seguro nacional de saude", "seguro nacional de salud",
        "asuransi kesehatan nasional", "asuransi nasional",
    ),
    "employee": (
        "社会保険", "社保", "しゃほ", "健康保険組合", "健保", "協会けんぽ", "共済", "会社の保険", "shakai hoken",
        "employee", "employer", "company insurance", "work insurance", "社会保险", "公司的保险", "직장", "사회보험",
        "bao hiem xa hoi", "bao hiem cong ty", "insurance ng kumpanya", "kumpanya", "कम्पनी", "रोजगार",
        "seguro social", "seguro da empresa", "seguro de la empresa", "asuransi sosial", "asuransi perusahaan",
    ),
    "other": (
        "その他", "そのほか", "ほか", "other", "others", "其他", "기타", "khac", "iba", "अन्य", "outro", "outros",
        "otro",
        "otros", "lainnya", "lain",
    ),
}  # fmt: skip
_INSURANCE_PATTERNS = {code: _compile(words) for code, words in _INSURANCE_WORDS.items()}


def parse_insurance(text: object) -> str | None:
    """One of INSURANCES, SKIP, or None."""
    raw = str(text or "").strip()
    if raw in INSURANCES or raw == SKIP:
        return raw
    if is_skip(raw):
        return SKIP
    folded = fold(raw)
    for code, pattern in _INSURANCE_PATTERNS.items():  # 後期高齢 before 国保: 「後期高齢者医療（国保から移った）」
        if pattern.search(folded):
            return code
    return None


# --- birth month ------------------------------------------------------------------------------------------------

_MONTH_NAMES: dict[str, int] = {}
for _names in (
    "january february march april may june july august september october november december",  # en
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "janeiro fevereiro marco abril maio junho julho agosto setembro outubro novembro dezembro",  # pt
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",  # es
    "januari februari maret april mei juni juli agustus september oktober november desember",  # id
    "enero pebrero marso abril mayo hunyo hulyo agosto setyembre oktubre nobyembre disyembre",  # tl
):
    for _index, _name in enumerate(_names.split(), start=1):
        _MONTH_NAMES.setdefault(_name, _index)
_MONTH_NAME = re.compile(r"(?<![a-z])(" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")(?![a-z])")
_REIWA = re.compile(r"(?:令和|r)\s*(\d{1,2})\s*年\s*(\d{1,2})\s*月")
_CODE = re.compile(r"^(\d{4})-(\d{2})$")
_FULL_DATE = re.compile(r"(?<!\d)(\d{4})\s*[/\-.年년]\s*(\d{1,2})\s*[/\-.月월]\s*(\d{1,2})(?!\d)")


def parse_birth_month(text: object, today: date) -> date | None:
    """The first day of the month a child was born in (2026年11月, 2026/11, 11/2026, "November 2026", "tháng 11 năm
    2026", 令和8年11月, a button's "2026-11"), or None. A month after this one, or more than 20 years ago, is None."""
    raw = fold(str(text or "").strip())
    month_day = _month_of(raw)
    if month_day is None:
        return None
    year, month = month_day
    if not 1 <= month <= 12:
        return None
    born = date(year, month, 1)
    if born > today.replace(day=1) or born < date(today.year - 20, 1, 1):
        return None
    return born


def _month_of(raw: str) -> tuple[int, int] | None:
    code = _CODE.match(raw)
    if code:
        return int(code.group(1)), int(code.group(2))
    full = _FULL_DATE.search(raw)
    if full:
        return int(full.group(1)), int(full.group(2))
    reiwa = _REIWA.search(raw)
    if reiwa:
        return 2018 + int(reiwa.group(1)), int(reiwa.group(2))
    years = [m for m in re.finditer(r"(?<!\d)(\d{4})(?!\d)", raw) if 2000 <= int(m.group(1)) <= 2100]
    if len(years) != 1:
        return None
    year = int(years[0].group(1))
    named = _MONTH_NAME.search(raw)
    if named:
        return year, _MONTH_NAMES[named.group(1)]
    rest = raw[: years[0].start()] + " " + raw[years[0].end() :]
    months = re.findall(r"(?<!\d)(\d{1,2})(?!\d)", rest)
    if len(months) != 1:
        return None
    return year, int(months[0])


# --- e-mail -------------------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
MAX_EMAIL = 254


def parse_email(text: object) -> str | None:
    ""
    "The e-mail address in the answer (full-width letters read as ASCII, the domain in lower case), or None."
    ""
    raw = unicodedata.normalize("NFKC", str(text or "")).strip().removeprefix("mailto:")
    found = _EMAIL.search(raw)
    if not found:
        return None
    address = found.group(0).strip(".")
    local, _, domain = address.rpartition("@")
    if not local or ".." in address or len(address) > MAX_EMAIL or local.startswith(".") or local.endswith("."):
        return None
    return f"{local}@{domain.lower()}"


def mask_email(address: str) -> str:
    """「h***@example.jp」: what a confirmation shows of an address."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"
