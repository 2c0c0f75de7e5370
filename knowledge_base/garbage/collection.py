"""Collection-day patterns of the official table (「月・木」, 「2・4水」, 「-」) and town matching."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import jaconv

from knowledge_base.core.normalize import normalize
from knowledge_base.garbage.models import WARDS, Town

WEEKDAYS = "月火水木金土日"  # index = date.weekday()
_DAY = "[月火水木金土日]"
_PATTERN = re.compile(rf"^(?:(?P<weeks>[1-5](?:・[1-5])*)(?P<day>{_DAY})|(?P<days>{_DAY}(?:・{_DAY})*))$")
_MAX_SCAN_DAYS = 800  # a pattern with any collection day hits within two years even around the new-year break


@dataclass(frozen=True)
class Schedule:
    weekdays: frozenset[int]  # date.weekday() values
    weeks: frozenset[int] | None  # nth weekday of the month (1..5); None = every week
    footnote: bool  # the table prints ※ (see the town's footnote)

    @property
    def collects(self) -> bool:
        return bool(self.weekdays)


def parse_pattern(pattern: str) -> Schedule:
    """「月・木」 every Mon+Thu; 「2・4水」 2nd+4th Wednesday; 「-」/「」 none; a trailing ※ refers to a footnote."""
    text = unicodedata.normalize("NFKC", pattern or "").replace(" ", "")
    footnote = "※" in text
    text = text.replace("※", "")
    if text in ("", "-", "－", "ー", "―"):
        return Schedule(frozenset(), None, footnote)
    match = _PATTERN.match(text)
    if not match:
        raise ValueError(f"unknown collection pattern {pattern!r}")
    if match["days"]:
        return Schedule(frozenset(WEEKDAYS.index(d) for d in match["days"].split("・")), None, footnote)
    weeks = frozenset(int(w) for w in match["weeks"].split("・"))
    return Schedule(frozenset({WEEKDAYS.index(match["day"])}), weeks, footnote)


def is_break(day: date) -> bool:
    """No collection from 12/31 to 1/3 (national holidays are collection days as usual)."""
    return (day.month, day.day) >= (12, 31) or (day.month, day.day) <= (1, 3)


def collects_on(schedule: Schedule, day: date) -> bool:
    if day.weekday() not in schedule.weekdays or is_break(day):
        return False
    return schedule.weeks is None or (day.day - 1) // 7 + 1 in schedule.weeks


def next_dates(schedule: Schedule, start: date, count: int = 3) -> list[date]:
    """The next `count` collection dates from `start` inclusive."""
    found: list[date] = []
    day = start
    for _ in range(_MAX_SCAN_DAYS if schedule.collects else 0):
        if len(found) >= count:
            break
        if collects_on(schedule, day):
            found.append(day)
        day += timedelta(days=1)
    return found


def describe(schedule: Schedule) -> str:
    """Japanese description: 「毎週月曜日・木曜日」, 「第2・第4水曜日」, 「収集なし」."""
    if not schedule.collects:
        # A bare ※ means "see the footnote" (打瀬: no station collection; 千草台: ask the 町内自治会).
        return "※注記をご確認ください" if schedule.footnote else "収集なし"
    days = "・".join(f"{WEEKDAYS[d]}曜日" for d in sorted(schedule.weekdays))
    weeks = "毎週" if schedule.weeks is None else "・".join(f"第{w}" for w in sorted(schedule.weeks))
    text = weeks + days
    return text + ("（※注記あり）" if schedule.footnote else "")


# ---- town matching -------------------------------------------------------------------------------------------

_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# After a town name: 「2丁目」「二丁目」「2-5-3」「2の5」「2ちょうめ」.
_CHOME_AFTER = re.compile(r"^(?P<n>[0-9]+|[一二三四五六七八九十]+)(?:丁目|ちょうめ|丁|-|の|番|$)")


def _town_key(text: str) -> str:
    """Matching form for town names: normalised, and ケ/ヶ/が (as in 松ケ丘, さつきが丘) read as one letter."""
    text = re.sub(r"(?<=[0-9０-９])[-‐−－ー―](?=[0-9０-９])", "の", text)  # 「2-5-3」: chome 2, not 253
    return normalize(text).replace("が", "け")


def _kanji_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_KANJI_DIGITS.get(tens, 1) if tens else 1) * 10 + (_KANJI_DIGITS.get(ones, 0) if ones else 0)
    return _KANJI_DIGITS.get(text, 0)


class TownMatcher:
    """Finds the rows of the collection-day table that a resident's message names."""

    def __init__(self, towns: tuple[Town, ...], readings: Mapping[tuple[str, str], str] | None = None) -> None:
        """`readings`: (ward, town base) -> katakana reading (town_readings.csv), for hiragana and romaji."""
        self._by_base: dict[str, list[Town]] = {}
        for town in towns:
            self._by_base.setdefault(_town_key(town.base), []).append(town)
        by_reading: dict[str, list[Town]] = {}
        self._by_roman: dict[str, list[Town]] = {}
        self._weak_roman: set[str] = set()  # 「Honda」 for 誉田町: only with a ward or a chome (Honda is also a car)
        for town in towns:
            kana = (readings or {}).get((town.ward, town.base))
            if not kana:
                continue
            reading = _town_key(kana)
            if len(reading) >= _MIN_READING and reading not in self._by_base:
                by_reading.setdefault(reading, []).append(town)
            strong, weak = roman_keys(kana)
            for key in (*strong, *weak):
                self._by_roman.setdefault(key, []).append(town)
            self._weak_roman.update(weak)
        self._by_base.update(by_reading)
        self._bases = sorted(self._by_base, key=len, reverse=True)
        self._wards = {_town_key(ward): ward for ward in WARDS}
        self._longest_roman = max((len(key) for key in self._by_roman), default=0)

    def find(self, text: str) -> list[Town]:
        """Towns named in `text`, longest name first; several rows when the message does not say which."""
        if _LATIN.search(text):
            found = self._find_roman(text)
            if found:
                return found
        key = _town_key(text.replace("千葉市", ""))
        wards = set()
        for ward_key, ward in self._wards.items():
            # 「中央区」 would otherwise match the town 中央1～4丁目; 「緑区」 never means 緑町.
            if ward_key in key:
                wards.add(ward)
                key = key.replace(ward_key, "|")
        taken = [False] * len(key)
        results: list[Town] = []
        for base in self._bases:
            start = key.find(base)
            while start >= 0:
                end = start + len(base)
                if not any(taken[start:end]):
                    for i in range(start, end):
                        taken[i] = True
                    results.extend(t for t in self._rows_for(base, key[end:], wards) if t not in results)
                start = key.find(base, start + 1)
        return results

    def _rows_for(self, base: str, rest: str, wards: set[str]) -> list[Town]:
        rows = [t for t in self._by_base[base] if not wards or t.ward in wards] or self._by_base[base]
        match = _CHOME_AFTER.match(rest)
        if match:
            chome = _kanji_number(match["n"])
            covering = [t for t in rows if t.chome is not None and chome in t.chome]
            if covering:
                return covering
            # The chome is not in the table under this base: fall back to the whole-town row if there is one.
            whole = [t for t in rows if t.chome is None]
            return whole or rows
        # No chome given: a whole-town row (都町) first, then the chome rows (都町1～8丁目).
        return sorted(rows, key=lambda t: (t.chome is not None, t.ward, t.name))

    def _find_roman(self, text: str) -> list[Town]:
        """「Makuhari Hongo 1-chome」, 「Aoba-cho, Chuo-ku」, 「aobacho」: whole words only, longest name first."""
        plain = _ROMAN_NOISE.sub(" ", _strip_accents(text).lower())
        wards = {ward for word, ward in _ROMAN_WARDS.items() if re.search(rf"\b{word}[\s-]*(?:ku|ward)\b", plain)}
        plain = re.sub(rf"\b(?:{'|'.join(_ROMAN_WARDS)})[\s-]*(?:ku|ward)\b", " ", plain)
        tokens = re.findall(r"[a-z]+|[0-9]+", plain)
        results: list[Town] = []
        i = 0
        while i < len(tokens):
            match = None
            joined = ""
            for j in range(i, min(len(tokens), i + 4)):
                if tokens[j].isdigit():
                    break
                joined += tokens[j]
                key = _roman_norm(joined)
                if key in self._by_roman:
                    match = (key, j)
            if match is None:
                i += 1
                continue
            key, j = match
            rest = ""
            if j + 1 < len(tokens) and tokens[j + 1].isdigit():
                rest = f"{tokens[j + 1]}丁目"
            elif key in self._weak_roman and not wards:
                i = j + 1
                continue
            rows = self._by_roman[key]
            base = _town_key(rows[0].base)
            for town in self._rows_for(base, rest, wards) if base in self._by_base else rows:
                if town in rows and town not in results:
                    results.append(town)
            i = j + 1
        return results


_MIN_READING = 4  # 「ほんちょう」 yes; shorter readings turn up inside ordinary words
_LATIN = re.compile(r"[A-Za-z]")
_ROMAN_NOISE = re.compile(r"[^a-z0-9]+")
_ROMAN_WARDS = {
    "chuo": "中央区",
    "chuou": "中央区",
    "hanamigawa": "花見川区",
    "inage": "稲毛区",
    "wakaba": "若葉区",
    "midori": "緑区",
    "mihama": "美浜区",
}
_ROMAN_SUFFIXES = ("cho", "machi")  # 町 is read ちょう or まち; residents write either (and sometimes neither)


def _strip_accents(text: str) -> str:
    """「Ōyumino」 -> 「Oyumino」, 「Chūō」 -> 「Chuo」."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _roman_norm(text: str) -> str:
    """One spelling for the ways residents romanise: chou/chō/cho, hongou/hongo, shinbashi/shimbashi, icchome."""
    text = re.sub(r"[^a-z0-9]", "", text.lower())
    text = text.replace("cch", "tch").replace("mb", "nb").replace("mp", "np").replace("mm", "nm")
    for long, short in (("ou", "o"), ("oo", "o"), ("uu", "u"), ("oh", "o")):
        text = text.replace(long, short)
    return text


def roman_keys(kana: str) -> tuple[list[str], list[str]]:
    """Matching forms of a town reading in romaji: アオバチョウ -> ([aobacho, aobamachi], [aoba]).

    The second list holds weak keys: a bare stem also names ordinary words (誉田町 「Honda」), so it needs a ward or
    a chome next to it.
    """
    roman = _roman_norm(jaconv.kana2alphabet(jaconv.kata2hira(kana)))
    for suffix in _ROMAN_SUFFIXES:
        if roman.endswith(suffix) and len(roman) - len(suffix) >= 4:
            stem = roman[: -len(suffix)]
            return [roman, *(stem + other for other in _ROMAN_SUFFIXES if other != suffix)], [stem]
    return [roman], []


TOWN_READINGS_CSV = Path("collection_days") / "town_readings.csv"


def load_town_readings(data_dir: Path) -> dict[tuple[str, str], str]:
    """(ward, town base) -> katakana reading from Japan Post's data (empty when the file is missing)."""
    path = Path(data_dir) / TOWN_READINGS_CSV
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return {(ward, base): kana for ward, base, kana in rows}
