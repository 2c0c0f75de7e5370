"""Typed records of the counter phrasebook (data/phrasebook/phrases.yaml), loading with validation, and rendering.

`load_phrasebook(data_dir)` reads `<data_dir>/phrasebook/phrases.yaml` and checks every phrase: a stable unique id
with its topic as prefix, a known topic and speaker, a non-empty text in every reply language of
translations/languages.yaml plus a hiragana `reading` of the Japanese, the same placeholders in every text, the
official Japanese `terms` kept in every text, and each text written in its language's script. Every problem found
is collected and raised as one `DataError` whose lines name the phrase. `Phrase.render(lang, **slots)` fills the
placeholders with typed values ({date} and {amount} are written per language); a missing, unknown or bad value
raises a `SlotError`. Data rules and the placeholder list: data/phrasebook/SOURCE.md.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import yaml

from knowledge_base.core.data import DataError
from translations import languages

if TYPE_CHECKING:
    from knowledge_base.phrasebook.search import Hit, LanguageIndex

PHRASEBOOK_FILE = Path("phrasebook") / "phrases.yaml"
SPEAKERS = ("staff", "resident", "both")
READING = "reading"  # the hiragana reading of `ja`: a key of every phrase, not a language

# Placeholder names and what a value must be. Numbers, durations, money, times and dates are slots so that one phrase
# covers "window 3", "window 12", ... Counts of minutes/days are written in the plural in every text, hence >= 2.
SLOT_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "n": "a number as shown on a ticket or a count (digits, e.g. 25)",
        "window": "a window or counter label, 1 to 4 letters or digits (e.g. 3, 12, B)",
        "floor": "a floor number as on the signs and lift buttons, 1 to 99",
        "minutes": "a number of minutes, 2 or more",
        "days": "a number of days, 2 or more",
        "amount": "an amount of yen, digits (written with the language's thousands separator)",
        "time": "a clock time, datetime.time or 'H:MM' (24-hour)",
        "date": "a day of the year, datetime.date or 'YYYY-MM-DD' (written as month and day per language)",
    }
)

_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_BRACES = re.compile(r"\{([^{}]*)\}")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_DATE_FIELDS = frozenset({"month", "day", "month_name"})
_FILE_KEYS = frozenset({"formats", "topics", "phrases"})
_PHRASE_KEYS = frozenset({"id", "topic", "speaker", "slots", "terms", READING, "text"})
_TOPIC_KEYS = frozenset({"id", "label"})
_FORMAT_KEYS = frozenset({"thousands", "date", "months"})
_DIGITS = re.compile(r"^[0-9]+$")
_WINDOW = re.compile(r"^[0-9A-Za-z]{1,4}$")
_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")

# Forms that are not Simplified Chinese, each followed by its Simplified form: common Traditional characters, then
# Japanese shinjitai. Search folds a Traditional query with it (zh-TW readers get the Simplified text); the loader
# refuses these characters in zh. A guard against pasted Traditional or Japanese text, not a complete table.
_ZH_PAIRS = (
    "這这們们說说會会為为與与證证號号碼码處处續续書书樓楼電电間间時时問问題题護护險险稅税費费繳缴寫写簽签類类聽听讀读"
    "話话語语認认識识記记錄录戶户區区廳厅櫃柜臺台錢钱幣币圓圆額额領领發发給给單单張张複复製制點点轉转辦办歡欢謝谢對对"
    "麼么嗎吗幫帮機机關关門门開开國国際际醫医療疗養养兒儿貼贴補补務务應应該该從从過过還还選选擇择確确實实標标準准條条"
    "驗验報报參参閱阅覽览圖图館馆帶带筆笔錯错誤误讓让夠够齊齐備备資资總总課课長长邊边側侧層层廁厕請请線线見见頁页員员"
    "聯联絡络網网歲岁齡龄動动異异鑑鉴輪轮車车東东萬万當当後后裡里裏里畫画學学體体頭头愛爱飯饭買买賣卖樣样進进親亲鐘钟"
    "漢汉華华銀银馬马魚鱼鳥鸟島岛風风飛飞紅红綠绿藍蓝黃黄顏颜舊旧廣广場场鄉乡鎮镇業业產产經经權权舉举議议歷历貨货價价"
    "購购職职專专據据數数計计統统結结紙纸簡简韓韩亞亚歐欧寶宝貴贵傳传達达運运壓压藥药術术導导師师變变氣气縣县濟济"
    "証证険险帳帐図图発发転转続续読读済济帰归気气変变県县検检経经総总広广応应売卖実实戸户駐驻覧览階阶窓窗駅站歳岁単单"
    "営营価价楽乐薬药伝传対对児儿労劳戦战帯带関关悪恶歩步雑杂斉齐亜亚黒黑鉄铁銭钱団团囲围"
)
ZH_FOLD: Mapping[str, str] = MappingProxyType(dict(zip(_ZH_PAIRS[0::2], _ZH_PAIRS[1::2], strict=True)))
_ZH_NOT_SIMPLIFIED = frozenset(ZH_FOLD) | frozenset("円込働様払")


class PhrasebookError(LookupError):
    """A phrase or topic that the phrasebook does not have."""


class UnknownPhrase(PhrasebookError):
    """No phrase has this id."""


class UnknownTopic(PhrasebookError):
    """No topic has this id."""


class SlotError(ValueError):
    """A placeholder value is missing, not a placeholder of the phrase, or not a valid value; names phrase and slot."""

    def __init__(self, phrase_id: str, slot: str, message: str) -> None:
        self.phrase_id = phrase_id
        self.slot = slot
        super().__init__(f"phrase {phrase_id!r}: {message}")


class MissingSlot(SlotError):
    """The phrase has a placeholder that was given no value."""


class UnknownSlot(SlotError):
    """A value was given for a placeholder the phrase does not have."""


class BadSlotValue(SlotError):
    """The value does not fit the placeholder (see SLOT_KINDS)."""


# ---- scripts -----------------------------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def char_script(ch: str) -> str:
    """Latn, Hani (kanji/hanzi), Kana, Hang, Deva or '' for one letter; '' for anything that is not a letter."""
    if not ch.isalpha():
        return ""
    cp = ord(ch)
    if cp < 0x250 or 0x1E00 <= cp <= 0x1EFF:
        return "Latn"
    if 0x3040 <= cp <= 0x30FF or 0x31F0 <= cp <= 0x31FF or 0xFF66 <= cp <= 0xFF9F:
        return "Kana"
    if 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF or cp in (0x3005, 0x3006):
        return "Hani"
    if 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F:
        return "Hang"
    if 0x0900 <= cp <= 0x097F or 0xA8E0 <= cp <= 0xA8FF:
        return "Deva"
    return ""


_PARENS = re.compile(r"\([^()]*\)|（[^（）]*）")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆]+")
_FURIGANA = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆]+)[（(]([\u3041-\u309f\u30a0-\u30ffー\s]+)[）)]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+")


def outside_parentheses(text: str) -> str:
    """`text` without its (…) and （…） groups, innermost first."""
    while True:
        stripped = _PARENS.sub(" ", text)
        if stripped == text:
            return text
        text = stripped


def strip_furigana(text: str) -> str:
    """やさしい日本語 without its readings: 「在留（ざいりゅう）カード」 → 「在留カード」."""
    return _FURIGANA.sub(r"\1", text)


def furigana_only(text: str) -> str:
    """やさしい日本語 with each kanji word as its reading: 在留（ざいりゅう）カード → ざいりゅうカード"""
    return _FURIGANA.sub(r"\2", text)


# Per ISO 15924 script of languages.yaml: the letters a text must have, and those it must not have outside (…).
_OWN_LETTERS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "Jpan": frozenset({"Hani", "Kana"}),
        "Hans": frozenset({"Hani"}),
        "Hang": frozenset({"Hang"}),
        "Deva": frozenset({"Deva"}),
        "Latn": frozenset({"Latn"}),
    }
)
_ALL_LETTERS = frozenset({"Latn", "Hani", "Kana", "Hang", "Deva"})
_FOREIGN_LETTERS: Mapping[str, frozenset[str]] = MappingProxyType(  # Latin acronyms are checked separately
    {script: _ALL_LETTERS - own - {"Latn"} for script, own in _OWN_LETTERS.items()}
)


def _script_problems(code: str, script: str, text: str) -> list[str]:
    """What is wrong with the letters of `text` for a language written in `script` (an ISO 15924 code)."""
    bare = outside_parentheses(PLACEHOLDER.sub(" ", text))
    present = {char_script(ch) for ch in bare}
    wanted = _OWN_LETTERS.get(script)
    if wanted is None:
        return [f"no script check for {script}"]
    problems = []
    if not present & wanted:
        problems.append(f"has no {script} letters")
    stray = sorted(present & _FOREIGN_LETTERS[script])
    if stray:
        problems.append(f"has {', '.join(stray)} letters outside parentheses (only official Japanese terms go in (…))")
    if script in ("Hans", "Hang", "Deva"):
        words = [word for word in _LATIN_WORD.findall(bare) if not word.isupper()]
        if words:
            problems.append(f"has Latin words outside parentheses {words[:3]} (only acronyms such as ATM)")
    if script == "Hans":
        odd = sorted({ch for ch in bare if ch in _ZH_NOT_SIMPLIFIED})
        if odd:
            problems.append(f"has Traditional or Japanese characters {''.join(odd)} (write Simplified Chinese)")
    if code == "vi" and not any(_has_diacritic(ch) for ch in bare):
        problems.append("has no Vietnamese diacritics (write ă, â, đ, ê, ô, ơ, ư and the tone marks)")
    if code == "ja-easy":
        for run in _HAN_RUN.finditer(text):
            after = text[run.end() : run.end() + 1]
            if after not in ("（", "("):
                problems.append(f"kanji 「{run.group()}」 has no reading in （） after it")
    return problems


def _has_diacritic(ch: str) -> bool:
    return ch in "đĐ" or (char_script(ch) == "Latn" and unicodedata.normalize("NFD", ch) != ch)


def _reading_problems(reading: str) -> list[str]:
    problems = []
    bare = PLACEHOLDER.sub("", reading)
    kanji = sorted({ch for ch in bare if char_script(ch) == "Hani"})
    if kanji:
        problems.append(f"'{READING}' has kanji {''.join(kanji)} (write hiragana)")
    if not any(char_script(ch) == "Kana" for ch in bare):
        problems.append(f"'{READING}' has no kana")
    return problems


# ---- records -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LanguageFormat:
    """How {amount} and {date} are written in one language."""

    thousands: str  # separator of groups of three digits in {amount}
    date: str  # pattern with {month}, {day} and/or {month_name}
    months: tuple[str, ...] = ()  # the 12 month names {month_name} uses

    def amount(self, value: int) -> str:
        return f"{value:,}".replace(",", self.thousands)

    def day(self, value: dt.date) -> str:
        names = {"month": str(value.month), "day": str(value.day)}
        if self.months:
            names["month_name"] = self.months[value.month - 1]
        return PLACEHOLDER.sub(lambda m: names[m.group(1)], self.date)


@dataclass(frozen=True, slots=True)
class Topic:
    id: str
    labels: Mapping[str, str]  # the tablet's label, per reply language

    def label(self, lang: str) -> str:
        return self.labels[languages.get(lang).code]


@dataclass(frozen=True, slots=True)
class Phrase:
    id: str
    topic: str
    speaker: str  # staff | resident | both
    texts: Mapping[str, str]  # per reply language (ja, ja-easy and the nine translations), placeholders as {name}
    reading: str  # hiragana reading of texts["ja"]
    slots: tuple[str, ...] = ()  # placeholder names, in the order the Japanese text uses them
    terms: tuple[str, ...] = ()  # official Japanese terms every text keeps
    formats: Mapping[str, LanguageFormat] = field(default_factory=dict, repr=False, compare=False)

    def text(self, lang: str) -> str:
        """The text in `lang` (a code or alias), placeholders unfilled."""
        return self.texts[languages.get(lang).code]

    def render(self, lang: str, **values: object) -> str:
        """The text in `lang` with every placeholder filled, e.g. render("en", window=3) → "Please go to window 3."

        Raises MissingSlot / UnknownSlot / BadSlotValue (all SlotError) naming the phrase and the slot.
        """
        code = languages.get(lang).code
        for name in values:
            if name not in self.slots:
                expected = ", ".join(self.slots) or "none"
                raise UnknownSlot(self.id, name, f"has no placeholder {{{name}}} (its placeholders: {expected})")
        missing = [name for name in self.slots if name not in values]
        if missing:
            raise MissingSlot(self.id, missing[0], f"needs a value for {', '.join('{' + m + '}' for m in missing)}")
        fmt = self.formats.get(code)
        filled = {name: format_slot(self.id, name, value, fmt) for name, value in values.items()}
        return PLACEHOLDER.sub(lambda m: filled[m.group(1)], self.texts[code])


def _whole_number(phrase_id: str, slot: str, value: object, low: int, high: int | None = None) -> int:
    if isinstance(value, str) and _DIGITS.match(unicodedata.normalize("NFKC", value.strip())):
        value = int(unicodedata.normalize("NFKC", value.strip()))
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        limit = f"{low} to {high}" if high is not None else f"{low} or more"
        raise BadSlotValue(phrase_id, slot, f"{{{slot}}} must be a whole number {limit}, got {value!r}")
    return value


def format_slot(phrase_id: str, slot: str, value: object, fmt: LanguageFormat | None) -> str:
    """`value` written for placeholder `slot` in the language of `fmt`; BadSlotValue when it does not fit."""
    if slot == "n":
        return str(_whole_number(phrase_id, slot, value, 0))
    if slot == "floor":
        return str(_whole_number(phrase_id, slot, value, 1, 99))
    if slot in ("minutes", "days"):
        return str(_whole_number(phrase_id, slot, value, 2))
    if slot == "amount":
        amount = _whole_number(phrase_id, slot, value, 0)
        return fmt.amount(amount) if fmt else str(amount)
    if slot == "window":
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9999:
            return str(value)
        if isinstance(value, str) and _WINDOW.match(value.strip()):
            return value.strip()
        raise BadSlotValue(phrase_id, slot, f"{{window}} must be 1 to 4 letters or digits, got {value!r}")
    if slot == "time":
        if isinstance(value, dt.time):
            return f"{value.hour}:{value.minute:02d}"
        match = _TIME.match(value.strip()) if isinstance(value, str) else None
        if match is None:
            raise BadSlotValue(phrase_id, slot, f"{{time}} must be a datetime.time or 'H:MM', got {value!r}")
        return f"{int(match.group(1))}:{match.group(2)}"
    if slot == "date":
        day = value
        if isinstance(value, str):
            try:
                day = dt.date.fromisoformat(value.strip())
            except ValueError:
                day = None
        if not isinstance(day, dt.date):
            raise BadSlotValue(phrase_id, slot, f"{{date}} must be a datetime.date or 'YYYY-MM-DD', got {value!r}")
        return fmt.day(day) if fmt else day.isoformat()
    raise BadSlotValue(phrase_id, slot, f"{{{slot}}} is not a known placeholder")


class Phrasebook:
    """The phrases in file order, their topics, and search (indexes are built per language on first use)."""

    def __init__(self, phrases: tuple[Phrase, ...], topics: tuple[Topic, ...], source: Path | None = None) -> None:
        self.phrases = phrases
        self.topics = topics
        self.source = source
        self._by_id = {phrase.id: phrase for phrase in phrases}
        self._by_topic: dict[str, tuple[Phrase, ...]] = {
            topic.id: tuple(p for p in phrases if p.topic == topic.id) for topic in topics
        }
        self._topics = {topic.id: topic for topic in topics}
        self._indexes: dict[str, LanguageIndex] = {}

    def __len__(self) -> int:
        return len(self.phrases)

    def __iter__(self) -> Iterator[Phrase]:
        return iter(self.phrases)

    def __contains__(self, phrase_id: object) -> bool:
        return phrase_id in self._by_id

    def get(self, phrase_id: str) -> Phrase:
        """The phrase with this id; UnknownPhrase otherwise."""
        try:
            return self._by_id[phrase_id]
        except KeyError:
            raise UnknownPhrase(f"no phrase {phrase_id!r} in the phrasebook") from None

    def topic(self, topic_id: str) -> Topic:
        try:
            return self._topics[topic_id]
        except KeyError:
            raise UnknownTopic(f"no topic {topic_id!r}; the topics are {', '.join(self._topics)}") from None

    def by_topic(self, topic_id: str) -> tuple[Phrase, ...]:
        """The topic's phrases in file order; UnknownTopic for an id that is not a topic."""
        self.topic(topic_id)
        return self._by_topic[topic_id]

    def search(
        self, text: str, lang: str, limit: int = 10, *, topic: str | None = None, speaker: str | None = None
    ) -> list[Hit]:
        """Phrases matching `text` typed in `lang` (staff: ja; residents: their language), best first.

        Ranking: the whole text, then the query as a whole, then every query word, then enough of the query's
        words (or, for Japanese, Chinese and Korean, character pairs) weighted by how rare they are; within a tier,
        more of the query matched, shorter phrases, and phrases whose blanks take the query's numbers come first.
        An empty query gives the topic's phrases when `topic` is set, else nothing. `speaker` ("staff" or
        "resident") keeps that speaker's phrases and those said by both. Details: knowledge_base/phrasebook/search.py.
        """
        from knowledge_base.phrasebook.search import search  # imported here: search.py imports this module

        return search(self, text, lang, limit, topic=topic, speaker=speaker)

    def index(self, code: str) -> LanguageIndex:
        """The search index of one language, built on first use and kept."""
        index = self._indexes.get(code)
        if index is None:
            from knowledge_base.phrasebook.search import LanguageIndex  # imported here: search.py imports this module

            index = self._indexes[code] = LanguageIndex(code, self.phrases)
        return index


# ---- loading -----------------------------------------------------------------------------------------------------


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when installed
    """YAML loading that refuses a key written twice in one mapping (PyYAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is written twice in one mapping (line {mark.line + 1})", mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_phrasebook(data_dir: Path) -> Phrasebook:
    """The phrasebook of `<data_dir>/phrasebook/phrases.yaml` (data_dir: the knowledge base's data directory).

    Raises DataError listing every problem, each line naming the file and the phrase.
    """
    path = Path(data_dir) / PHRASEBOOK_FILE
    label = str(PHRASEBOOK_FILE)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # a safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DataError([f"{label}: cannot read the phrasebook ({exc})"]) from exc
    return parse_phrasebook(data, label, source=path)


def parse_phrasebook(data: object, label: str = str(PHRASEBOOK_FILE), source: Path | None = None) -> Phrasebook:
    """Check parsed YAML and build the phrasebook; DataError lists every problem."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise DataError([f"{label}: expected a mapping with 'formats', 'topics' and 'phrases'"])
    unknown = sorted(str(key) for key in data if key not in _FILE_KEYS)
    if unknown:
        problems.append(f"{label}: unknown top-level keys {unknown}")
    table = {lang.code: lang for lang in languages.languages()}
    formats = _formats(data.get("formats"), table, label, problems)
    topics = _topics(data.get("topics"), table, label, problems)
    phrases = _phrases(data.get("phrases"), table, {t.id for t in topics}, formats, label, problems)
    used = {phrase.topic for phrase in phrases}
    problems += [f"{label}: topic {t.id!r} has no phrases" for t in topics if t.id not in used]
    if problems:
        raise DataError(problems)
    return Phrasebook(tuple(phrases), tuple(topics), source)


def _text(value: object, where: str, key: str, problems: list[str]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.append(f"{where}: '{key}' is missing or empty")
        return None
    if not isinstance(value, str):
        problems.append(f"{where}: '{key}' must be text, got {type(value).__name__} {value!r}")
        return None
    return value.strip()


def _formats(
    data: object, table: Mapping[str, languages.Language], label: str, problems: list[str]
) -> dict[str, LanguageFormat]:
    if not isinstance(data, dict):
        problems.append(f"{label}: 'formats' must map each language to its number and date format")
        return {}
    out: dict[str, LanguageFormat] = {}
    for code in table:
        where = f"{label}: formats of {code!r}"
        entry = data.get(code)
        if not isinstance(entry, dict):
            problems.append(f"{where}: missing")
            continue
        if set(entry) - _FORMAT_KEYS:
            problems.append(f"{where}: unknown keys {sorted(set(entry) - _FORMAT_KEYS)}")
        thousands, pattern, months = entry.get("thousands"), entry.get("date"), entry.get("months") or []
        if not isinstance(thousands, str) or len(thousands) > 1:
            problems.append(f"{where}: 'thousands' must be one character (or empty)")
            continue
        fields = set(_BRACES.findall(pattern)) if isinstance(pattern, str) else set()
        if not isinstance(pattern, str) or not fields or fields - _DATE_FIELDS or "day" not in fields:
            problems.append(f"{where}: 'date' must use {{day}} and {{month}} or {{month_name}}, nothing else")
            continue
        names = tuple(str(m).strip() for m in months) if isinstance(months, list) else ()
        if "month_name" in fields and (len(names) != 12 or not all(names)):
            problems.append(f"{where}: 'months' must list the 12 month names {{month_name}} uses")
            continue
        out[code] = LanguageFormat(thousands, pattern, names)
    extra = sorted(str(key) for key in data if key not in table)
    if extra:
        problems.append(f"{label}: formats of unknown languages {extra}")
    return out


def _topics(data: object, table: Mapping[str, languages.Language], label: str, problems: list[str]) -> list[Topic]:
    if not isinstance(data, list) or not data:
        problems.append(f"{label}: 'topics' must be a non-empty list")
        return []
    out: list[Topic] = []
    seen: set[str] = set()
    for n, entry in enumerate(data):
        if not isinstance(entry, dict):
            problems.append(f"{label}: topic #{n} is not a mapping")
            continue
        topic_id = entry.get("id")
        where = f"{label}: topic {topic_id!r} (#{n})"
        if not isinstance(topic_id, str) or not _ID.match(topic_id):
            problems.append(f"{where}: 'id' must be snake_case")
            continue
        if topic_id in seen:
            problems.append(f"{where}: duplicate topic id")
            continue
        seen.add(topic_id)
        unknown = sorted(str(key) for key in entry if key not in _TOPIC_KEYS)
        if unknown:
            problems.append(f"{where}: unknown keys {unknown}")
        given = _language_map(entry.get("label"), table, where, "label", problems)
        labels = {}
        for code, lang in table.items():
            text = _text(given.get(code), where, code, problems)
            if text is not None:
                problems += [f"{where}: '{code}' {p}" for p in _script_problems(code, lang.script, text)]
                labels[code] = text
        out.append(Topic(topic_id, MappingProxyType(labels)))
    return out


def _language_map(
    value: object, table: Mapping[str, languages.Language], where: str, key: str, problems: list[str]
) -> Mapping[str, object]:
    """The `text`/`label` mapping of an entry (language code → text); unknown codes are a problem."""
    if not isinstance(value, dict):
        problems.append(f"{where}: '{key}' must map each language ({', '.join(table)}) to its text")
        return {}
    unknown = sorted(str(code) for code in value if code not in table)
    if unknown:
        problems.append(f"{where}: '{key}' has unknown languages {unknown} (the languages: {', '.join(table)})")
    return value


def _name_list(value: object, where: str, key: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(f"{where}: '{key}' must be a list of names")
        return ()
    names = tuple(v.strip() for v in value)
    if len(set(names)) != len(names):
        problems.append(f"{where}: '{key}' lists a name twice")
    return names


def _placeholders(text: str, where: str, key: str, problems: list[str]) -> set[str]:
    """The {name}s of `text`; a brace that is not a known placeholder is a problem."""
    names = set()
    for raw in _BRACES.findall(text):
        if raw not in SLOT_KINDS:
            problems.append(f"{where}: '{key}' has {{{raw}}}, which is not a placeholder ({', '.join(SLOT_KINDS)})")
        names.add(raw)
    if text.count("{") != text.count("}") or len(_BRACES.findall(text)) != text.count("{"):
        problems.append(f"{where}: '{key}' has a stray brace")
    return names


def _check_placeholders(texts: Mapping[str, str], slots: tuple[str, ...], where: str, problems: list[str]) -> None:
    """Every text (and the reading) has exactly the placeholders `slots` lists, listed in the Japanese order."""
    expected = set(slots)
    for key, text in texts.items():
        found = _placeholders(text, where, key, problems)
        if found != expected:
            have = ", ".join(sorted("{" + s + "}" for s in found)) or "none"
            want = ", ".join(sorted("{" + s + "}" for s in expected)) or "none"
            problems.append(f"{where}: placeholders differ: '{key}' has {have}, the slots are {want}")
    if "ja" in texts and slots:
        order = [m.group(1) for m in PLACEHOLDER.finditer(texts["ja"])]
        if tuple(dict.fromkeys(order)) != slots:
            problems.append(f"{where}: list 'slots' in the order the Japanese text uses them: {order}")


def _check_terms(
    texts: Mapping[str, str],
    terms: tuple[str, ...],
    table: Mapping[str, languages.Language],
    where: str,
    problems: list[str],
) -> None:
    """Each official term is kept: as written in Japanese and Chinese (やさしい日本語 without its readings), inside
    parentheses in the other languages."""
    for term in terms:
        for code, text in texts.items():
            written_as_is = table[code].script in ("Jpan", "Hans")
            if code == "ja-easy":
                present = term in "".join(strip_furigana(text).split())
            elif written_as_is:
                present = term in text
            else:
                present = any(term in group for group in _PARENS.findall(text))
            if not present:
                how = "as written" if written_as_is else "in parentheses"
                problems.append(f"{where}: '{code}' must keep the term 「{term}」 {how}")


def _phrases(
    data: object,
    table: Mapping[str, languages.Language],
    topic_ids: set[str],
    formats: Mapping[str, LanguageFormat],
    label: str,
    problems: list[str],
) -> list[Phrase]:
    if not isinstance(data, list) or not data:
        problems.append(f"{label}: 'phrases' must be a non-empty list")
        return []
    out: list[Phrase] = []
    first: dict[str, int] = {}
    japanese: dict[str, str] = {}
    frozen_formats = MappingProxyType(dict(formats))
    for n, entry in enumerate(data):
        if not isinstance(entry, dict):
            problems.append(f"{label}: phrase #{n} is not a mapping")
            continue
        phrase_id = entry.get("id")
        where = f"{label}: phrase {phrase_id!r} (#{n})"
        before = len(problems)
        unknown = sorted(str(key) for key in entry if key not in _PHRASE_KEYS)
        if unknown:
            problems.append(f"{where}: unknown keys {unknown}")
        given = _language_map(entry.get("text"), table, where, "text", problems)
        if not isinstance(phrase_id, str) or not _ID.match(phrase_id):
            problems.append(f"{where}: 'id' must be snake_case (a-z, 0-9, _)")
        elif phrase_id in first:
            problems.append(f"{where}: duplicate id {phrase_id!r} (first used by phrase #{first[phrase_id]})")
        else:
            first[phrase_id] = n
        topic = entry.get("topic")
        if topic not in topic_ids:
            problems.append(f"{where}: unknown topic {topic!r}")
        elif isinstance(phrase_id, str) and not phrase_id.startswith(f"{topic}_"):
            problems.append(f"{where}: the id must start with its topic, '{topic}_'")
        speaker = entry.get("speaker")
        if speaker not in SPEAKERS:
            problems.append(f"{where}: 'speaker' must be one of {', '.join(SPEAKERS)}, got {speaker!r}")
        slots = _name_list(entry.get("slots"), where, "slots", problems)
        problems += [f"{where}: unknown slot {{{s}}} ({', '.join(SLOT_KINDS)})" for s in slots if s not in SLOT_KINDS]
        terms = _name_list(entry.get("terms"), where, "terms", problems)

        texts: dict[str, str] = {}
        for code, lang in table.items():
            text = _text(given.get(code), where, code, problems)
            if text is None:
                continue
            texts[code] = text
            problems += [f"{where}: '{code}' {p}" for p in _script_problems(code, lang.script, text)]
        reading = _text(entry.get(READING), where, READING, problems)
        if reading is not None:
            problems += [f"{where}: {p}" for p in _reading_problems(reading)]

        with_reading = {**texts, READING: reading} if reading is not None else texts
        _check_placeholders(with_reading, slots, where, problems)
        _check_terms(texts, terms, table, where, problems)

        ja = texts.get("ja")
        if ja is not None and ja in japanese and isinstance(phrase_id, str):
            problems.append(f"{where}: same Japanese text as phrase {japanese[ja]!r}")
        elif ja is not None and isinstance(phrase_id, str):
            japanese[ja] = phrase_id

        if len(problems) == before and isinstance(phrase_id, str) and reading is not None:
            out.append(
                Phrase(
                    id=phrase_id,
                    topic=str(topic),
                    speaker=str(speaker),
                    texts=MappingProxyType(texts),
                    reading=reading,
                    slots=slots,
                    terms=terms,
                    formats=frozen_formats,
                )
            )
    return out
