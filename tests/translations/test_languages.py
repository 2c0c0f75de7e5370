"""The one languages table (translations/languages.yaml): complete, consistent, and the only place the list is spelled.

Every reply language has its message catalogue and UI strings, every alias a client sends resolves to one language,
the modules that publish a list of languages derive it from the table, and no source file lists the codes again.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from translations import languages
from translations.languages import Language, LanguageTableError, UnknownLanguage, load_table, resolve

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("actions", "channels", "translations", "knowledge_base", "bot")
# A literal with this many of the codes is a copy of the list.
MIN_CODES_IN_A_LIST = 5
# Files owned by other work that still carry their own copy; each should read translations.languages instead.
NOT_YET_MIGRATED: frozenset[str] = frozenset()

REPLY_LANGS = ("ja", "ja-easy", "en", "zh", "ko", "vi", "tl", "ne", "pt", "es", "id")
TABLE = languages.languages()
ALIASES = [(alias, lang.code) for lang in TABLE for alias in lang.aliases]


# ---- the table ---------------------------------------------------------------------------------------------------


def test_codes_are_the_reply_languages_in_picker_order() -> None:
    assert languages.codes() == REPLY_LANGS
    assert languages.detectable() == tuple(code for code in REPLY_LANGS if code != "ja-easy")


def test_easy_japanese_is_a_style_of_japanese() -> None:
    easy = languages.get("ja-easy")
    assert (easy.kind, easy.base, easy.detectable, easy.tag) == ("style", "ja", False, "ja")
    assert all(lang.base == lang.code for lang in TABLE if lang.detectable)


@pytest.mark.parametrize(
    ("code", "script"),
    [("ja", "Jpan"), ("ja-easy", "Jpan"), ("en", "Latn"), ("zh", "Hans"), ("ko", "Hang"), ("ne", "Deva")],
)
def test_script(code: str, script: str) -> None:
    assert languages.script(code) == script


@pytest.mark.parametrize(
    ("code", "native"), [("ja", "日本語"), ("zh-CN", "中文（简体）"), ("ne", "नेपाली"), ("fil", "Tagalog")]
)
def test_native_name(code: str, native: str) -> None:
    assert languages.native_name(code) == native


@pytest.mark.parametrize("lang", TABLE, ids=lambda lang: lang.code)
def test_every_language_has_its_catalogues_and_a_short_picker_name(lang: Language) -> None:
    assert (ROOT / "translations" / "messages" / lang.code).is_dir()
    assert (ROOT / "translations" / "ui" / f"{lang.code}.yml").is_file()
    assert len(lang.native) <= 20  # LINE quick-reply labels hold at most 20 characters
    assert lang.direction == "ltr"  # none of ours is right-to-left today; the page follows `dir` when one is


@pytest.mark.parametrize(("alias", "code"), ALIASES)
def test_every_alias_resolves_to_its_language(alias: str, code: str) -> None:
    assert resolve(alias) == code
    assert resolve(alias.upper().replace("-", "_")) == code


def test_the_alias_sets_of_the_old_modules_are_kept() -> None:
    # messages._ALIASES and glossary._ALIASES before the table, merged, plus zh-TW (Simplified Chinese)
    old = {"fil": "tl", "zh-cn": "zh", "zh-hans": "zh", "zh-sg": "zh", "pt-br": "pt", "pt-pt": "pt", "in": "id"}
    old |= {"ja-jp": "ja", "easy-ja": "ja-easy", "zh-tw": "zh"}
    assert dict(ALIASES) == old


def test_no_alias_collides() -> None:
    aliases = [alias for alias, _ in ALIASES]
    assert len(aliases) == len(set(aliases))
    assert not set(aliases) & set(languages.codes())


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ja", "ja"),
        (" EN ", "en"),
        ("JA-EASY", "ja-easy"),
        ("pt_br", "pt"),
        ("en-US", "en"),
        ("es-419", "es"),
        ("zh-Hant", "zh"),  # no Traditional catalogue: Simplified
        ("ja-easy-x", "ja"),
        ("fil-PH", None),  # an alias is matched whole, as reply_language always did
        ("fr", None),
        ("", None),
        (None, None),
        (3, None),
    ],
)
def test_resolve(code: object, expected: str | None) -> None:
    assert resolve(code) == expected


def test_an_unknown_code_names_the_languages() -> None:
    with pytest.raises(UnknownLanguage, match="ja, ja-easy, en"):
        languages.script("fr")


# ---- a broken table is refused, naming the entry -------------------------------------------------------------

_JA = "- {code: ja, name: Japanese, native: 日本語, script: Jpan, kind: language, dir: ltr, aliases: [ja-JP]}\n"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ("", "a list under 'languages'"),
        (_JA + "- {code: ja, name: J, native: J, script: Jpan, kind: language, dir: ltr}\n", "listed twice"),
        (
            _JA + "- {code: en, name: E, native: E, script: Latn, kind: language, dir: ltr, aliases: [JA-jp]}\n",
            "'ja-jp' already belongs to ja",
        ),
        (
            _JA + "- {code: en, name: E, native: E, script: Latn, kind: language, dir: ltr, aliases: [ja]}\n",
            "itself a language code",
        ),
        (_JA + "- {code: en-easy, name: X, native: X, script: Latn, kind: style, dir: ltr}\n", "needs the language"),
        (
            _JA + "- {code: en-easy, name: X, native: X, script: Latn, kind: style, base: fr, dir: ltr}\n",
            "base 'fr' is not a language",
        ),
        (_JA + "- {code: en, name: E, native: E, script: latin, kind: language, dir: ltr}\n", "ISO 15924"),
        (_JA + "- {code: en, name: E, native: E, script: Latn, kind: dialect, dir: ltr}\n", "kind 'dialect'"),
        (_JA + "- {code: en, name: E, native: E, script: Latn, kind: language, dir: up}\n", "dir 'up'"),
        (_JA + "- {code: en, name: E, native: '', script: Latn, kind: language, dir: ltr}\n", "'native'"),
        (_JA + "- {code: EN, name: E, native: E, script: Latn, kind: language, dir: ltr}\n", "lower-case"),
        (_JA + "- {code: en, name: E, native: E, script: Latn, kind: language, dir: ltr, flag: x}\n", "unknown keys"),
    ],
)
def test_a_broken_table_is_refused(tmp_path: Path, entries: str, message: str) -> None:
    path = tmp_path / "languages.yaml"
    path.write_text("languages:\n" + "".join("  " + line + "\n" for line in entries.splitlines()), encoding="utf-8")
    with pytest.raises(LanguageTableError, match=message) as raised:
        load_table(path)
    assert str(path) in str(raised.value)


# ---- the modules publish the table's lists -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "name", "expected"),
    [
        ("translations.messages", "LANGUAGES", REPLY_LANGS),
        ("translations.detect", "LANGS", languages.detectable()),
        ("translations.detect", "LATIN_LANGS", ("en", "vi", "tl", "pt", "es", "id")),
        ("translations.glossary", "LANGUAGES", (*REPLY_LANGS[2:], "ja-easy")),
        ("channels.language", "SUPPORTED_LANGS", REPLY_LANGS),
        ("channels.line.texts", "LANGUAGES", tuple((lang.code, lang.native) for lang in TABLE)),
        ("channels.line.texts", "LANG_CODES", frozenset(REPLY_LANGS)),
    ],
)
def test_modules_publish_the_tables_lists(module: str, name: str, expected: object) -> None:
    assert getattr(importlib.import_module(module), name) == expected


def test_an_unknown_module_attribute_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NO_SUCH_NAME"):
        _ = importlib.import_module("translations.messages").NO_SUCH_NAME


def test_the_language_modules_need_only_python_and_pyyaml() -> None:
    # The bot environment (Python 3.10, Rasa, pydantic 1) imports these: nothing from the services environment.
    allowed = {"__future__", "collections", "dataclasses", "functools", "pathlib", "re", "types", "typing", "yaml"}
    for name in ("languages.py", "ui.py"):
        tree = ast.parse((ROOT / "translations" / name).read_text(encoding="utf-8"))
        imported = {
            alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        imported |= {
            node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
        }
        assert imported <= allowed | {"translations"}, name


# ---- nothing else spells the list out ------------------------------------------------------------------------


def code_lists(source: str) -> list[int]:
    """Line numbers of tuple/list/set literals holding MIN_CODES_IN_A_LIST or more of the reply languages' codes."""
    codes = set(REPLY_LANGS)
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            named = {elt.value for elt in node.elts if isinstance(elt, ast.Constant) and elt.value in codes}
            if len(named) >= MIN_CODES_IN_A_LIST:
                found.append(node.lineno)
    return found


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ('LANGS = ("ja", "en", "zh", "ko", "vi")', [1]),
        ('x = 1\nLANGS = ["en", "zh", "ko", "vi", "tl", "ne"]', [2]),
        ('SEEN = {"en", "zh", "ko", "vi", "id"}', [1]),
        ('PAIRS = (("ja", "日本語"), ("en", "English"))', []),  # pairs: each tuple holds one code
        ('FEW = ("ja", "en", "zh", "ko")', []),
        ('SCRIPTS = {"ja": 1, "en": 2, "zh": 3, "ko": 4, "vi": 5}', []),
    ],
)
def test_the_scan_finds_a_list_of_codes(source: str, lines: list[int]) -> None:
    assert code_lists(source) == lines


def _source_files() -> list[Path]:
    return sorted(path for folder in SOURCE_DIRS for path in (ROOT / folder).rglob("*.py") if ".venv" not in path.parts)


def test_no_source_file_spells_out_the_list_of_languages() -> None:
    copies = []
    for path in _source_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative in NOT_YET_MIGRATED:
            continue
        copies += [f"{relative}:{line}" for line in code_lists(path.read_text(encoding="utf-8"))]
    assert not copies, "read translations.languages instead of listing the codes: " + ", ".join(copies)
