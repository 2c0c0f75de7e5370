"""Find the offices and wards a resident's message names, in any of the languages.

Every name, alias and curated i18n name is reduced to a match key (the shared Japanese `normalize`, looser kana,
Latin letters without diacritics, so "thu vien trung tam" meets 「Thư viện Trung tâm」) and looked for inside the
message's key, longest first; a span already claimed by a longer name is not matched again, so 「県立中央図書館」
is the prefectural library and not also the Central Library.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable
from functools import lru_cache

from knowledge_base.core.normalize import loosen, normalize
from knowledge_base.places.models import Office, Places, Ward

MIN_KEY_CHARS = 2  # a one-character key (区, 館) would be found inside unrelated words


def match_key(text: str) -> str:
    """The form both sides of a comparison are reduced to."""
    folded: list[str] = []
    for ch in unicodedata.normalize("NFD", loosen(normalize(text))):
        # Drop accents on Latin letters only: NFD also splits kana (が → か + ゙) and Hangul, which must stay.
        if unicodedata.category(ch) == "Mn" and folded and _is_latin(folded[-1]):
            continue
        folded.append(ch)
    return unicodedata.normalize("NFC", "".join(folded)).replace("đ", "d")


def _is_latin(ch: str) -> bool:
    return ch.isalpha() and ch < "\u0250"


def office_terms(places: Places) -> list[tuple[str, str]]:
    """(match key, office id) for every written form of every office (name, aliases, i18n names)."""
    curated = _curated(places, "offices")
    return _terms((office.id, (*office.names, *curated.get(office.id, ()))) for office in places.offices.values())


def ward_terms(places: Places) -> list[tuple[str, str]]:
    curated = _curated(places, "wards")
    return _terms((ward.id, (*ward.names, *curated.get(ward.id, ()))) for ward in places.wards.values())


def _curated(places: Places, section: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for tables in places.names.values():
        for key, name in tables.get(section, {}).items():
            out.setdefault(key, []).append(name)
    return out


def _terms(named: Iterable[tuple[str, Iterable[str]]]) -> list[tuple[str, str]]:
    pairs = {(key, target) for target, names in named for name in names if len(key := match_key(name)) >= MIN_KEY_CHARS}
    return sorted(pairs, key=lambda pair: (-len(pair[0]), pair))


@lru_cache(maxsize=4)
def _office_index(places: Places) -> tuple[tuple[str, str], ...]:
    return tuple(office_terms(places))


@lru_cache(maxsize=4)
def _ward_index(places: Places) -> tuple[tuple[str, str], ...]:
    return tuple(ward_terms(places))


def _scan(terms: Iterable[tuple[str, str]], text: str) -> list[str]:
    """Ids named in `text`, in the order they appear; longest keys claim their span first."""
    hay = match_key(text)
    claimed = [False] * len(hay)
    first_seen: dict[str, int] = {}
    for key, target in terms:
        start = hay.find(key)
        while start != -1:
            end = start + len(key)
            if not any(claimed[start:end]):
                claimed[start:end] = [True] * len(key)
                first_seen.setdefault(target, start)
            start = hay.find(key, start + 1)
    return sorted(first_seen, key=first_seen.__getitem__)


def find_offices(places: Places, text: str, kinds: Collection[str] | None = None) -> list[Office]:
    """The offices `text` names (any language), in the order they appear; `kinds` limits them (e.g. {"library"})."""
    found = (places.offices[office_id] for office_id in _scan(_office_index(places), text))
    return [office for office in found if kinds is None or office.kind in kinds]


def find_wards(places: Places, text: str) -> list[Ward]:
    """The wards `text` names (中央区, Chuo Ward, Quận Chuo, ...), in the order they appear."""
    return [places.wards[ward_id] for ward_id in _scan(_ward_index(places), text)]
