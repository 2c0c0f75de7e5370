"""The UI strings shared by the web chat and LINE (translations/ui/<lang>.yml): complete in every reply language,
the same placeholders as Japanese, English-then-Japanese fallback, and the web page's built-in Japanese in step."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from channels.line import texts
from translations import languages, ui
from translations.ui import BadUiFile, MissingUiValue, UnknownUiKey, ui_strings, ui_text

ROOT = Path(__file__).resolve().parents[2]
UI_DIR = ROOT / "translations" / "ui"
I18N_JS = ROOT / "channels" / "static" / "i18n.js"
CODES = languages.codes()
_PLACEHOLDER = re.compile(r"\{\w+\}")


def raw(code: str) -> dict[str, str]:
    return yaml.safe_load((UI_DIR / f"{code}.yml").read_text(encoding="utf-8"))


def test_there_is_a_file_for_each_reply_language_and_no_other() -> None:
    assert sorted(path.stem for path in UI_DIR.glob("*.yml")) == sorted(CODES)
    assert not list(UI_DIR.glob("*.yaml"))


@pytest.mark.parametrize("code", CODES)
def test_every_language_has_every_key_with_the_same_placeholders(code: str) -> None:
    ja, own = raw("ja"), raw(code)
    assert list(own) == list(ja)  # same keys, same order: a reviewer compares the files side by side
    assert all(isinstance(value, str) and value.strip() for value in own.values())
    for key, text in own.items():
        assert sorted(_PLACEHOLDER.findall(text)) == sorted(_PLACEHOLDER.findall(ja[key])), key
    assert all(key.split(".", 1)[0] in {"common", "web", "line"} for key in own)


@pytest.mark.parametrize("code", [code for code in CODES if code not in {"ja", "ja-easy"}])
def test_the_helpline_keeps_its_official_japanese_name(code: str) -> None:
    assert "(家庭ごみ相談ダイヤル)" in raw(code)["web.helpline"].replace("（", "(").replace("）", ")")


def test_the_web_pages_built_in_japanese_is_the_catalogues() -> None:
    script = I18N_JS.read_text(encoding="utf-8")
    match = re.search(r"const FALLBACK = Object\.freeze\((\{.*?\})\);", script, re.DOTALL)
    assert match, "i18n.js: FALLBACK = Object.freeze({...}) not found"
    expected = {key: text for key, text in raw("ja").items() if key.startswith(("common.", "web."))}
    assert json.loads(match.group(1)) == expected


@pytest.mark.parametrize("key", sorted(texts.CATALOGUE_KEYS))
def test_every_line_text_is_in_the_catalogue(key: str) -> None:
    assert all(texts.text(key, code) == raw(code)[texts.CATALOGUE_KEYS[key]] for code in CODES)


def test_ui_text_fills_placeholders_and_resolves_aliases() -> None:
    filled = ui_text("web.error_too_long", "pt-BR", max=2000)
    assert filled == "A mensagem é longa demais. Use no máximo 2000 caracteres."
    assert "{max}" in ui_text("web.error_too_long", "en")  # no values: the template, for the page to fill


def test_ui_text_errors_name_the_key() -> None:
    with pytest.raises(UnknownUiKey, match=r"web\.nothing"):
        ui_text("web.nothing", "en")
    with pytest.raises(MissingUiValue, match="'max'"):
        ui_text("web.error_too_long", "en", other=1)


def test_an_unknown_language_gets_english() -> None:
    assert ui_strings("fr") == ui_strings("en")
    assert texts.text("welcome", "fr") == raw("en")["line.welcome"]


@pytest.fixture
def ui_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(ui, "UI_DIR", tmp_path)
    ui.clear_cache()
    yield tmp_path
    ui.clear_cache()


def test_a_missing_key_falls_back_to_english_then_japanese(ui_dir: Path) -> None:
    (ui_dir / "ja.yml").write_text("a: ja-a\nb: ja-b\nc: ja-c\n", encoding="utf-8")
    (ui_dir / "en.yml").write_text("a: en-a\nb: en-b\n", encoding="utf-8")
    (ui_dir / "ko.yml").write_text("a: ko-a\n", encoding="utf-8")
    assert ui_strings("ko") == {"a": "ko-a", "b": "en-b", "c": "ja-c"}
    assert ui_strings("ja") == {"a": "ja-a", "b": "ja-b", "c": "ja-c"}
    assert ui_strings("vi") == {"a": "en-a", "b": "en-b", "c": "ja-c"}  # no file yet


def test_the_cached_strings_cannot_be_changed_by_a_caller(ui_dir: Path) -> None:
    (ui_dir / "ja.yml").write_text("a: ja-a\n", encoding="utf-8")
    ui_strings("ja")["a"] = "changed"
    assert ui_text("a", "ja") == "ja-a"


@pytest.mark.parametrize("content", ["- a\n- b\n", "a: [1, 2]\n", "a: 'unclosed\n"])
def test_a_broken_file_is_refused_naming_it(ui_dir: Path, content: str) -> None:
    (ui_dir / "ja.yml").write_text(content, encoding="utf-8")
    with pytest.raises(BadUiFile, match=r"ja\.yml"):
        ui_strings("ja")
