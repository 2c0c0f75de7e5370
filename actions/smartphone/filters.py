"""What a resident's message says about the smartphone classes they want: the ward (and so the venues), the topic,
the level, the dates and a count (seats, or the number of a class in a list) — in the ten languages and romaji.

Pure functions: the places data and "today" are arguments. Words are matched on a folded form of the message
(NFKC, lower case, no accents on Latin letters), Latin words as whole words, other scripts as substrings.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from actions.common.words import compile_words, fold

if TYPE_CHECKING:
    from knowledge_base.places import Places

TOPICS = ("basics", "line", "video_call", "photos", "mynumber", "disaster", "scam")
LEVELS = ("beginner", "intermediate")


@dataclass(frozen=True)
class ClassFilters:
    """What to list; None = any. `start`/`end` are inclusive dates in Japan time; `weekday` 0 = Monday."""

    ward: str | None = None
    venues: tuple[str, ...] | None = None
    topic: str | None = None
    level: str | None = None
    start: date | None = None
    end: date | None = None
    weekday: int | None = None

    @property
    def empty(self) -> bool:
        return self == ClassFilters()


# --- folding and word matching ---------------------------------------------------------------------------------


def _compile(words: Iterable[str]) -> re.Pattern[str]:
    return compile_words(words, plural=True)


# --- ward ---------------------------------------------------------------------------------------------------------

# Japanese ward names without 区 that name other places too: 「中央図書館」, 「稲毛海岸」「稲毛海浜公園」 (美浜区).
_KANJI_STEM_AFTER = r"(?!海岸|海浜)"
_GENERIC_STEMS = frozenset({"中央", "緑"})


def find_ward(text: str, places: Places) -> str | None:
    """The ward the message names (「稲毛区」, 「稻毛区」, "Inage", "Quận Inage", 「이나게구」 …), None: none or two."""
    from knowledge_base.places import find_wards

    found = {ward.id for ward in find_wards(places, text)}
    if not found:
        folded = fold(text)
        for ward in places.wards.values():
            romaji = ward.romaji.split("-")[0].lower()
            if re.search(rf"(?<![a-z]){re.escape(romaji)}(?![a-z])", folded):
                found.add(ward.id)
            stem = ward.name.removesuffix("区")
            if len(stem) >= 2 and stem not in _GENERIC_STEMS and re.search(re.escape(stem) + _KANJI_STEM_AFTER, text):
                found.add(ward.id)
    return found.pop() if len(found) == 1 else None


def venues_in_ward(places: Places, ward: str) -> tuple[str, ...]:
    """The office ids (the venues classes are held at) located in the ward."""
    return tuple(sorted(office.id for office in places.offices.values() if office.ward == ward))


# --- topic and level ----------------------------------------------------------------------------------------------

# Most specific first: 「LINEでビデオ通話」 is a video-call class, 「LINEで写真」 a LINE class.
_TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "video_call": (
        "ビデオ通話", "テレビ電話", "ビデオ電話", "video call", "videocall", "video chat", "facetime", "zoom",
        "视频通话", "视频电话", "視訊", "영상통화", "영상 통화", "화상통화", "화상 통화", "gọi video", "cuộc gọi video",
        "tawag na video", "video tawag", "भिडियो कल", "videochamada", "chamada de vídeo", "videollamada",
        "llamada de video", "panggilan video",
    ),
    "mynumber": (
        "マイナンバー", "マイナポータル", "マイナカード", "マイナ保険証", "my number", "mynumber", "myna portal",
        "mynaportal", "个人编号", "个人号码", "個人編號", "마이넘버", "마이 넘버", "마이나포털", "mã số cá nhân",
        "माइ नम्बर", "माई नम्बर",
    ),
    "disaster": (
        "防災", "災害", "地震", "避難", "disaster", "earthquake", "evacuation", "防灾", "灾害", "避难", "방재", "재난",
        "재해", "지진", "thiên tai", "động đất", "phòng chống thiên tai", "sakuna", "kalamidad", "lindol", "विपद्",
        "प्रकोप", "भूकम्प", "desastre", "terremoto", "catástrofe", "bencana", "gempa",
    ),
    "scam": (
        "詐欺", "サギ", "さぎ", "フィッシング", "迷惑メール", "scam", "fraud", "phishing", "诈骗", "詐騙", "骗子",
        "사기", "피싱", "lừa đảo", "panloloko", "panlilinlang", "ठगी", "धोखाधडी", "golpe", "fraude", "estafa",
        "penipuan",
    ),
    "line": ("line", "ライン", "라인", "ไลน์"),
    "photos": (
        "写真", "カメラ", "動画", "photo", "picture", "camera", "照片", "相片", "拍照", "相机", "사진", "카메라",
        "chụp ảnh", "hình ảnh", "gửi ảnh", "larawan", "litrato", "kamera", "फोटो", "तस्बिर", "क्यामेरा", "foto",
        "fotografia", "câmera", "cámara",
    ),
    "basics": (
        "基本", "基礎", "使い方", "basics", "basic", "first steps", "基础", "基本操作", "기본", "기초", "cơ bản",
        "batayan", "pangunahing", "आधारभूत", "आधारभुत", "básico", "noções básicas", "lo básico", "dasar",
    ),
}  # fmt: skip

_LEVEL_WORDS: dict[str, tuple[str, ...]] = {
    "beginner": (
        "初心者", "初級", "入門", "はじめて", "初めて", "しょしんしゃ", "beginner", "for beginners", "newbie",
        "初学者", "入门", "初级", "新手", "초보", "초급", "입문", "người mới", "mới bắt đầu", "sơ cấp", "baguhan",
        "nagsisimula", "शुरुआती", "सुरुवाती", "नयाँ प्रयोगकर्ता", "iniciante", "principiante", "pemula",
    ),
    "intermediate": (
        "中級", "intermediate", "中级", "중급", "trung cấp", "katamtaman", "मध्यम", "intermediário", "intermediario",
        "intermedio", "menengah",
    ),
}  # fmt: skip

_TOPIC_PATTERNS = {topic: _compile(words) for topic, words in _TOPIC_WORDS.items()}
_LEVEL_PATTERNS = {level: _compile(words) for level, words in _LEVEL_WORDS.items()}


def find_topic(text: str) -> str | None:
    folded = fold(text)
    return next((topic for topic, pattern in _TOPIC_PATTERNS.items() if pattern.search(folded)), None)


def find_level(text: str) -> str | None:
    folded = fold(text)
    return next((level for level, pattern in _LEVEL_PATTERNS.items() if pattern.search(folded)), None)


# --- dates --------------------------------------------------------------------------------------------------------

_PERIOD_WORDS: dict[str, tuple[str, ...]] = {
    "week_after_next": ("再来週", "さらいしゅう", "week after next", "下下周", "다다음 주", "다다음주"),
    "month_after_next": ("再来月", "さらいげつ", "month after next", "下下个月", "다다음 달", "다다음달"),
    "today": (
        "今日", "本日", "today", "今天", "오늘", "hôm nay", "ngayong araw", "ngayon", "आज", "hoje", "hoy",
        "hari ini",
    ),
    "tomorrow": (
        "明日", "あした", "tomorrow", "明天", "내일", "ngày mai", "bukas", "भोलि", "amanhã",
        "mañana", "besok",
    ),
    "this_weekend": (
        "週末", "土日", "weekend", "周末", "주말", "cuối tuần", "katapusan ng linggo", "सप्ताहान्त",
        "fim de semana", "fin de semana", "akhir pekan", "akhir minggu",
    ),
    "this_week": (
        "今週", "こんしゅう", "this week", "本周", "这周", "这个星期", "这星期", "이번 주", "이번주", "tuần này",
        "ngayong linggo", "linggong ito", "यो हप्ता", "esta semana", "nesta semana", "essa semana", "minggu ini",
        "pekan ini",
    ),
    "next_week": (
        "来週", "らいしゅう", "next week", "下周", "下星期", "下个星期", "다음 주", "다음주", "tuần sau", "tuần tới",
        "susunod na linggo", "sa isang linggo", "अर्को हप्ता", "आउँदो हप्ता", "próxima semana", "semana que vem",
        "semana que viene", "minggu depan", "pekan depan",
    ),
    "this_month": (
        "今月", "こんげつ", "this month", "本月", "这个月", "这月", "이번 달", "이번달", "tháng này", "ngayong buwan",
        "buwang ito", "यो महिना", "este mês", "neste mês", "este mes", "bulan ini",
    ),
    "next_month": (
        "来月", "らいげつ", "next month", "下个月", "下月", "다음 달", "다음달", "tháng sau", "tháng tới",
        "susunod na buwan", "अर्को महिना", "आउँदो महिना", "próximo mês", "mês que vem", "próximo mes",
        "mes que viene", "bulan depan",
    ),
}  # fmt: skip
_PERIOD_PATTERNS = {period: _compile(words) for period, words in _PERIOD_WORDS.items()}
# "por la mañana" is "in the morning", not "tomorrow".
_MORNING = re.compile(r"(?:la|de|esta)\s+manana")

_MONTH_NAMES: tuple[tuple[str, ...], ...] = (
    ("january", "janeiro", "enero", "januari", "jan", "जनवरी"),
    ("february", "fevereiro", "febrero", "februari", "pebrero", "feb", "फेब्रुअरी"),
    ("march", "março", "marzo", "maret", "marso", "मार्च"),
    ("april", "abril", "abr", "अप्रिल"),
    ("in may", "maio", "mayo", "mei"),
    ("june", "junho", "junio", "juni", "hunyo", "जुन"),
    ("july", "julho", "julio", "juli", "hulyo", "जुलाई"),
    ("august", "agosto", "agustus", "aug", "अगस्ट"),
    ("september", "setembro", "septiembre", "setyembre", "sept", "सेप्टेम्बर"),
    ("october", "outubro", "octubre", "oktober", "oktubre", "oct", "अक्टोबर"),
    ("november", "novembro", "noviembre", "nobyembre", "nov", "नोभेम्बर"),
    ("december", "dezembro", "diciembre", "desember", "disyembre", "dec", "डिसेम्बर"),
)
_MONTH_PATTERNS = tuple(_compile(names) for names in _MONTH_NAMES)
_MONTH_DAY = re.compile(r"(\d{1,2})\s*(?:月|월)\s*(\d{1,2})\s*(?:日|일|号|號)")
_MONTH_NUMBER = re.compile(r"(?<!\d)(\d{1,2})\s*(?:月|월)|(?<![a-z])thang\s*(\d{1,2})(?!\d)")

_WEEKDAY_WORDS: tuple[tuple[str, ...], ...] = (
    ("月曜", "星期一", "周一", "週一", "礼拜一", "월요일", "monday", "thứ hai", "thứ 2", "lunes", "सोमबार",
     "segunda-feira", "segunda", "senin"),
    ("火曜", "星期二", "周二", "週二", "礼拜二", "화요일", "tuesday", "thứ ba", "thứ 3", "martes", "मंगलबार",
     "terça-feira", "terça", "selasa"),
    ("水曜", "星期三", "周三", "週三", "礼拜三", "수요일", "wednesday", "thứ tư", "thứ 4", "miyerkules", "miércoles",
     "बुधबार", "quarta-feira", "quarta", "rabu"),
    ("木曜", "星期四", "周四", "週四", "礼拜四", "목요일", "thursday", "thứ năm", "thứ 5", "huwebes", "jueves",
     "बिहीबार", "quinta-feira", "quinta", "kamis"),
    ("金曜", "星期五", "周五", "週五", "礼拜五", "금요일", "friday", "thứ sáu", "thứ 6", "biyernes", "viernes",
     "शुक्रबार", "sexta-feira", "sexta", "jumat", "jum'at"),
    ("土曜", "星期六", "周六", "週六", "礼拜六", "토요일", "saturday", "thứ bảy", "thứ 7", "sabado", "sábado",
     "शनिबार", "sabtu"),
    # Sunday: "linggo" (Tagalog) and "minggu" (Indonesian) alone also mean "week".
    ("日曜", "星期日", "星期天", "周日", "週日", "礼拜天", "일요일", "sunday", "chủ nhật", "domingo", "आइतबार",
     "araw ng linggo", "hari minggu"),
)  # fmt: skip
_WEEKDAY_PATTERNS = tuple(_compile(words) for words in _WEEKDAY_WORDS)


def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _next_month(day: date, months: int = 1) -> tuple[date, date]:
    index = day.year * 12 + day.month - 1 + months
    return _month_range(index // 12, index % 12 + 1)


def _period_range(period: str, today: date) -> tuple[date, date]:
    monday = today - timedelta(days=today.weekday())
    if period == "today":
        return today, today
    if period == "tomorrow":
        return today + timedelta(days=1), today + timedelta(days=1)
    if period == "this_week":
        return today, monday + timedelta(days=6)
    if period == "this_weekend":
        return max(today, monday + timedelta(days=5)), monday + timedelta(days=6)
    if period == "next_week":
        return monday + timedelta(days=7), monday + timedelta(days=13)
    if period == "week_after_next":
        return monday + timedelta(days=14), monday + timedelta(days=20)
    if period == "this_month":
        return today, _month_range(today.year, today.month)[1]
    return _next_month(today, 2 if period == "month_after_next" else 1)


def _month_ahead(month: int, today: date) -> int:
    """The year of the next `month` from today on (December asked in November is this year's)."""
    return today.year if month >= today.month else today.year + 1


def find_dates(text: str, today: date) -> tuple[tuple[date, date] | None, int | None]:
    """The date range the message asks about (inclusive) and a weekday (0 = Monday), each None when not said.

    「来週」, "next week", 「12月」, "December", 「12月3日」, 「月曜」, "Friday" …; a named month or day is the next one
    from today on. Periods are found first and cut out, so "minggu depan" (next week) is not read as Sunday.
    """
    folded = fold(text)
    folded = _MORNING.sub(" ", folded)
    span: tuple[date, date] | None = None
    for period, pattern in _PERIOD_PATTERNS.items():
        found = pattern.search(folded)
        if found:
            span = _period_range(period, today)
            folded = folded[: found.start()] + " " + folded[found.end() :]
            break
    if span is None and (day_match := _MONTH_DAY.search(folded)):
        month, day = int(day_match.group(1)), int(day_match.group(2))
        try:
            asked = date(_month_ahead(month, today), month, day)
            if asked < today:
                asked = date(asked.year + 1, month, day)
        except ValueError:
            asked = None
        if asked is not None:
            span = (asked, asked)
        folded = folded[: day_match.start()] + " " + folded[day_match.end() :]
    if span is None:
        month = _find_month(folded)
        if month is not None:
            first, last = _month_range(_month_ahead(month, today), month)
            span = (max(first, today), last)
    weekday = next((i for i, pattern in enumerate(_WEEKDAY_PATTERNS) if pattern.search(folded)), None)
    return span, weekday


def _find_month(folded: str) -> int | None:
    number = _MONTH_NUMBER.search(folded)
    if number:
        value = int(number.group(1) or number.group(2))
        if 1 <= value <= 12:
            return value
    return next((i + 1 for i, pattern in enumerate(_MONTH_PATTERNS) if pattern.search(folded)), None)


# --- counts -------------------------------------------------------------------------------------------------------

_COUNT_WORDS: dict[int, tuple[str, ...]] = {
    1: ("one", "just me", "only me", "myself", "first", "ひとり", "一人", "1人", "自分だけ", "私だけ", "하나", "한 명",
        "한명", "혼자", "một", "isa", "ako lang", "एक", "um", "uma", "uno", "una", "satu", "seorang", "sendiri"),
    2: ("two", "second", "ふたり", "二人", "两", "兩", "둘", "두 명", "두명", "hai", "dalawa", "दुई", "dois", "duas",
        "dos", "dua", "berdua"),
    3: ("three", "third", "さんにん", "三人", "셋", "세 명", "세명", "ba", "tatlo", "तीन", "três", "tres", "tiga",
        "bertiga"),
    4: ("four", "fourth", "よにん", "四人", "넷", "네 명", "네명", "bốn", "apat", "चार", "quatro", "cuatro", "empat",
        "berempat"),
    5: ("five", "fifth", "ごにん", "五人", "다섯", "năm", "lima", "पाँच", "cinco"),
    6: ("six", "六人", "여섯", "sáu", "anim", "छ", "seis", "enam"),
}  # fmt: skip
_COUNT_PATTERNS = {count: _compile(words) for count, words in _COUNT_WORDS.items()}
_KANJI_DIGITS = dict(zip("一二两兩三四五六七八九十", (1, 2, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10), strict=True))
_KANJI_COUNT = re.compile(r"([一二两兩三四五六七八九十])\s*(?:人|名|席|位|个|個|つ|番|枚|号)")
_DIGITS = re.compile(r"(?<![\d.])(\d{1,3})(?![\d.])")


def parse_count(text: str) -> int | None:
    """A small number in any of the languages: "2", 「２人」, 「二名」, 「ふたり」, "two", "dalawa", "दुई", "२" …"""
    folded = fold(text)
    digits = _DIGITS.search(folded)  # \d is every script's digits (२ = 2), int() reads them
    if digits:
        return int(digits.group(1))
    kanji = _KANJI_COUNT.search(folded)
    if kanji:
        return _KANJI_DIGITS[kanji.group(1)]
    if folded.strip() in _KANJI_DIGITS:
        return _KANJI_DIGITS[folded.strip()]
    found = [(m.start(), count) for count, pattern in _COUNT_PATTERNS.items() if (m := pattern.search(folded))]
    return min(found)[1] if found else None


# --- everything at once -------------------------------------------------------------------------------------------


def parse_filters(text: str, places: Places | None, today: date) -> ClassFilters:
    ward = find_ward(text, places) if places is not None else None
    span, weekday = find_dates(text, today)
    return ClassFilters(
        ward=ward,
        venues=venues_in_ward(places, ward) if ward and places is not None else None,
        topic=find_topic(text),
        level=find_level(text),
        start=span[0] if span else None,
        end=span[1] if span else None,
        weekday=weekday,
    )
