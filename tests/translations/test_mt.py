"""Machine translation: real Argos loading and translation offline, with tiny packages built by argos_fixture.py.

The tiny models are either over-fitted on a few sentences (they answer those exactly, placeholders included) or
random (they answer garbage). What a resident would notice: a translation with the official Japanese term in
parentheses, the curated English text instead of garbage, or a clear "no translation" result — never an exception,
a placeholder, or a network download.
"""

from __future__ import annotations

import importlib.util
import logging
import socket
import sys
from pathlib import Path

import pytest

from settings import MachineTranslationSettings, SettingsError
from translations.mt import (
    CachedTranslator,
    IdentityTranslator,
    MTRouter,
    Reason,
    Translation,
    build_translator,
    translate_with_fallback,
)
from translations.mt_argos import ArgosTranslator, RuleSentencizer, scan_packages
from translations.mt_glossary import Glossary, GlossaryError, GlossaryTranslator
from translations.mt_guard import check


def _load_fixture_module():
    # a stray top-level `tests` package in site-packages hides ours, so load the helper by path
    name = "argos_fixture"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("argos_fixture.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


fx = _load_fixture_module()

GLOSSARY = Glossary.from_entries(
    [
        {"ja": "有害ごみ", "kind": "category", "en": "Hazardous waste", "ko": "유해 쓰레기"},
        {"ja": "火曜日", "kind": "time", "en": "Tuesday", "ko": "화요일"},
        {"ja": "スプレー缶", "kind": "item", "en": "Spray can", "ko": "스프레이 캔"},
        {"ja": "粗大ごみ", "kind": "category", "en": "Bulky waste"},
        {"ja": "粗大ごみ受付センター", "kind": "office", "en": "Bulky Waste Reception Center"},
    ]
)
CURATED_EN = "Hazardous waste (有害ごみ): put it out on the non-burnable day."


class NetworkTouched(AssertionError):
    pass


@pytest.fixture(scope="module")
def network_attempts():
    """Every outgoing connection is refused and recorded; an invalid proxy catches clients that honour it."""
    attempts: list[object] = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise NetworkTouched(f"network access to {address!r} during an offline MT test")

    with pytest.MonkeyPatch.context() as mp:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
            mp.setenv(name, "http://invalid.invalid:9")
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket.socket, "connect_ex", refuse)
        yield attempts
    assert attempts == [], "machine translation touched the network"


@pytest.fixture(scope="module")
def argos_home(tmp_path_factory, network_attempts) -> Path:
    return tmp_path_factory.mktemp("argos-home")


def _settings(argos_home: Path, packages_dir: Path, **changes) -> MachineTranslationSettings:
    base = MachineTranslationSettings.from_env({})
    return base.model_copy(update={"packages_dir": packages_dir, "argos_home": argos_home, **changes})


@pytest.fixture(scope="module")
def main_settings(argos_home, tmp_path_factory) -> MachineTranslationSettings:
    """ja→en (trained) and en→ko (trained): direct ja→en, ja→ko through English."""
    settings = _settings(argos_home, tmp_path_factory.mktemp("packages-main"))
    fx.install_packages([fx.build_package(fx.JA_EN), fx.build_package(fx.EN_KO)], settings)
    return settings


@pytest.fixture(scope="module")
def garbage_settings(argos_home, tmp_path_factory) -> MachineTranslationSettings:
    settings = _settings(argos_home, tmp_path_factory.mktemp("packages-garbage"))
    fx.install_packages([fx.build_package(fx.JA_EN_GARBAGE)], settings)
    return settings


@pytest.fixture(scope="module")
def mt(main_settings) -> MTRouter:
    return build_translator(main_settings, GLOSSARY)


@pytest.fixture(scope="module")
def mt_garbage(garbage_settings) -> MTRouter:
    return build_translator(garbage_settings, GLOSSARY)


# --- the real Argos path -------------------------------------------------------------------------------------------


def test_installed_package_translates(mt):
    result = mt.translate("ありがとうございます。", "ja", "en")
    assert result == Translation(True, "Thank you.", "argos:ja>en", Reason.OK, "en")


@pytest.mark.parametrize(
    ("text", "target", "expected", "engine"),
    [
        (
            "有害ごみは火曜日に出してください。",
            "en",
            "Put out Hazardous waste (有害ごみ) on Tuesday (火曜日).",
            "argos:ja>en",
        ),
        # katakana and half-width spellings match the same glossary term; the official spelling is shown
        (
            "有害ゴミは火曜日に出してください。",
            "en",
            "Put out Hazardous waste (有害ごみ) on Tuesday (火曜日).",
            "argos:ja>en",
        ),
        (
            "有害ｺﾞﾐは火曜日に出してください。",
            "en",
            "Put out Hazardous waste (有害ごみ) on Tuesday (火曜日).",
            "argos:ja>en",
        ),
        (
            "有害ごみは火曜日に出してください。",
            "ko",
            "유해 쓰레기 (有害ごみ)은 화요일 (火曜日)에 내놓으세요.",
            "argos:ja>en>ko",
        ),
    ],
)
def test_glossary_terms_come_back_with_the_official_japanese_term(mt, text, target, expected, engine):
    result = mt.translate(text, "ja", target)
    assert result.ok
    assert result.text == expected
    assert result.engine == f"{engine}+glossary"
    assert "[T" not in result.text


def test_dropped_placeholder_is_retranslated_and_terms_listed(mt):
    result = mt.translate("スプレー缶を捨てたい。", "ja", "en")
    assert result.ok
    assert result.text == "I want to throw away a spray can.\nSpray can (スプレー缶)"
    assert result.engine == "argos:ja>en+glossary-listed"


@pytest.mark.parametrize(
    ("source", "target", "route"),
    [
        ("ja", "en", [("ja", "en")]),
        ("en", "ko", [("en", "ko")]),
        ("ja", "ko", [("ja", "en"), ("en", "ko")]),  # pivot through English
        ("JA", "ko", [("ja", "en"), ("en", "ko")]),
        ("ko", "ja", None),
        ("ja", "vi", None),
        ("en", "ja", None),
        ("ja", "ja-easy", None),
    ],
)
def test_route_is_direct_or_through_english(main_settings, source, target, route):
    assert ArgosTranslator(main_settings).route(source, target) == route


@pytest.mark.parametrize("which", ["main", "garbage"])
@pytest.mark.parametrize(
    "text",
    [
        "ありがとうございます。",
        "ありがとうございます。窓口はどこですか。",
        "えーと。\n\nありがとうございます。",
        "有害ごみ",
    ],
)
def test_decoding_matches_argostranslate_itself(main_settings, garbage_settings, which, text):
    """Our decode step must give what argostranslate.translate.PackageTranslation gives for the same package."""
    from argostranslate import translate as argos_translate

    settings = main_settings if which == "main" else garbage_settings
    ours = ArgosTranslator(settings)
    ours.route("ja", "en")
    loaded = ours._package(("ja", "en"))
    theirs = argos_translate.PackageTranslation(
        argos_translate.Language("ja", "Japanese"), argos_translate.Language("en", "English"), loaded.pkg
    )
    theirs.sentencizer = RuleSentencizer()  # the MiniSBD default would download a model
    theirs.translator = (
        loaded.translator
    )  # same CTranslate2 model and threads: compare the decoding, not the float noise
    assert loaded.translate(text) == theirs.translate(text)


def test_pivot_runs_both_real_models(main_settings):
    result = ArgosTranslator(main_settings).translate("ありがとうございます。", "ja", "ko")
    assert result == Translation(True, "감사합니다.", "argos:ja>en>ko", Reason.OK, "ko")


@pytest.mark.parametrize(
    ("which", "text", "reason"),
    [
        ("garbage", "有害ごみは火曜日に出してください。", Reason.REPETITION),
        ("garbage", "ありがとうございます。", Reason.REPETITION),
        ("main", "LINEで送ってください。", Reason.UNTRANSLATED),
        ("main", "窓口はどこですか。", Reason.WRONG_SCRIPT),
        ("main", "えーと。", Reason.EMPTY_OUTPUT),
    ],
)
def test_bad_output_is_refused_and_the_curated_text_shown(mt, mt_garbage, which, text, reason):
    translator = mt if which == "main" else mt_garbage
    refused = translate_with_fallback(translator, text, "ja", "en")
    assert refused == Translation(False, "", refused.engine, reason, "en")
    assert refused.engine.startswith("argos:ja>en")

    shown = translate_with_fallback(translator, text, "ja", "en", fallback=CURATED_EN)
    assert shown == Translation(True, CURATED_EN, "curated", reason, "en")


@pytest.mark.parametrize(("source", "target"), [("ja", "vi"), ("ko", "ja"), ("ja", "ne")])
def test_missing_package_is_a_clear_result(mt, source, target):
    result = mt.translate("こんにちは", source, target)
    assert result == Translation(False, "", "argos", Reason.NO_PACKAGE, target)
    fallback = translate_with_fallback(mt, "こんにちは", source, target, fallback="Hello", fallback_lang="en")
    assert (fallback.ok, fallback.text, fallback.lang, fallback.engine) == (True, "Hello", "en", "curated")


def test_no_packages_installed_at_all(argos_home, tmp_path):
    result = build_translator(_settings(argos_home, tmp_path / "absent"), GLOSSARY).translate("ごみ", "ja", "en")
    assert (result.ok, result.reason) == (False, Reason.NO_PACKAGE)


def test_easy_japanese_is_never_machine_translated(mt):
    result = mt.translate("有害ごみは火曜日に出してください。", "ja", "ja-easy")
    assert (result.ok, result.reason, result.text) == (False, Reason.UNSUPPORTED_LANGUAGE, "")


def test_broken_package_is_an_engine_error_not_an_exception(argos_home, tmp_path):
    broken = tmp_path / "packages" / "translate-ja_en-broken"
    (broken / "model").mkdir(parents=True)
    (broken / "model" / "model.bin").write_bytes(b"not a model")
    (broken / "metadata.json").write_text('{"from_code": "ja", "to_code": "en", "type": "translate"}')
    result = build_translator(_settings(argos_home, tmp_path / "packages"), GLOSSARY).translate("ごみ", "ja", "en")
    assert (result.ok, result.reason, result.engine) == (False, Reason.ENGINE_ERROR, "argos:ja>en")


def test_a_fresh_translator_works_offline_without_downloads(main_settings, network_attempts):
    result = build_translator(main_settings, GLOSSARY).translate("ありがとうございます。", "ja", "en")
    assert result.text == "Thank you."
    assert network_attempts == []
    assert not any(main_settings.argos_home.rglob("*.onnx")), "a MiniSBD splitter model was fetched"


def test_resident_text_stays_out_of_the_logs(garbage_settings, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "千葉市中央区青葉町1-2-3の山田花子です。"
    result = build_translator(garbage_settings, GLOSSARY).translate(secret, "ja", "en")
    assert not result.ok
    assert "mt output refused" in caplog.text
    assert "山田" not in caplog.text and "青葉町" not in caplog.text


def test_repeated_request_is_served_from_the_cache(main_settings):
    translator = build_translator(main_settings, GLOSSARY)
    first = translator.translate("ありがとうございます。", "ja", "en")
    second = translator.translate("ありがとうございます。", "ja", "en")
    assert first == second
    assert isinstance(translator.engine, CachedTranslator)
    assert (translator.engine.hits, translator.engine.misses) == (1, 1)


# --- composition without an engine -------------------------------------------------------------------------------


class CountingEngine:
    """Test double: answers `reply(text)` and counts calls."""

    def __init__(self, reply=lambda text: f"<{text}>", ok: bool = True) -> None:
        self.calls = 0
        self.reply = reply
        self.ok = ok

    def translate(self, text: str, source: str, target: str) -> Translation:
        self.calls += 1
        if not self.ok:
            return Translation.failed("fake", Reason.ENGINE_ERROR, target)
        return Translation(True, self.reply(text), "fake", Reason.OK, target)


class ExplodingEngine:
    def translate(self, text: str, source: str, target: str) -> Translation:
        raise RuntimeError("boom")


@pytest.mark.parametrize(("source", "target"), [("ja", "ja"), ("en", "EN"), ("zh_CN", "zh-cn"), ("ja-easy", "ja-easy")])
def test_same_language_is_returned_unchanged_without_an_engine(source, target):
    engine = CountingEngine()
    router = MTRouter(engine, MachineTranslationSettings.from_env({}))
    result = router.translate("有害ごみ は 火曜日", source, target)
    assert (result.ok, result.text, result.engine, result.reason) == (
        True,
        "有害ごみ は 火曜日",
        "identity",
        Reason.SAME_LANGUAGE,
    )
    assert engine.calls == 0


def test_identity_translator_refuses_other_languages():
    assert IdentityTranslator().translate("x", "ja", "en").reason is Reason.UNSUPPORTED_LANGUAGE


@pytest.mark.parametrize(
    ("env", "text", "reason"),
    [
        ({}, "   ", Reason.EMPTY_INPUT),
        ({"MT_ENABLED": "false"}, "ごみ", Reason.DISABLED),
        ({"MT_MAX_CHARS": "5"}, "有害ごみは火曜日です", Reason.TOO_LONG),
    ],
)
def test_router_refusals(env, text, reason):
    engine = CountingEngine()
    result = MTRouter(engine, MachineTranslationSettings.from_env(env)).translate(text, "ja", "en")
    assert (result.ok, result.reason) == (False, reason)
    assert engine.calls == 0


def test_an_engine_bug_becomes_a_result():
    result = MTRouter(ExplodingEngine(), MachineTranslationSettings.from_env({})).translate("ごみ", "ja", "en")
    assert (result.ok, result.reason) == (False, Reason.ENGINE_ERROR)


def test_cache_hits_misses_failures_and_eviction():
    engine = CountingEngine()
    cache = CachedTranslator(engine, maxsize=2)
    for text in ("a", "a", "b", "c", "a"):
        cache.translate(text, "ja", "en")
    assert engine.calls == 4  # "a" evicted by "c", asked again
    assert (cache.hits, cache.misses) == (1, 4)

    failing = CountingEngine(ok=False)
    cache = CachedTranslator(failing)
    cache.translate("a", "ja", "en")
    cache.translate("a", "ja", "en")
    assert failing.calls == 2  # a failure may be transient: not cached


@pytest.mark.parametrize(
    ("text", "target", "engine_reply", "expected"),
    [
        ("有害ごみは火曜日", "en", "{0} on {1}", "Hazardous waste (有害ごみ) on Tuesday (火曜日)"),
        ("粗大ごみ受付センターに電話", "en", "call {0}", "call Bulky Waste Reception Center (粗大ごみ受付センター)"),
        ("粗大ごみの日", "en", "{0} day", "Bulky waste (粗大ごみ) day"),
        ("粗大ごみの日", "ko", "{0} 날", "粗大ごみ 날"),  # no Korean rendering: the Japanese term alone
        ("有害ごみと有害ごみ", "en", "{0} and {0}", "Hazardous waste (有害ごみ) and Hazardous waste (有害ごみ)"),
        ("有害ごみ", "en", "{0} [T7]", "Hazardous waste (有害ごみ)"),  # a placeholder the engine invented is dropped
    ],
)
def test_glossary_placeholders_are_restored(text, target, engine_reply, expected):
    def reply(protected: str) -> str:
        count = protected.count("[T")
        return engine_reply.format(*[f"[T{i}]" for i in range(max(count, 2))])

    engine = CountingEngine(reply)
    result = GlossaryTranslator(engine, GLOSSARY).translate(text, "ja", target)
    assert (result.ok, result.text) == (True, expected)


def test_glossary_only_protects_japanese_source():
    engine = CountingEngine(lambda text: text)
    GlossaryTranslator(engine, GLOSSARY).translate("Hazardous waste 有害ごみ", "en", "ko")
    assert engine.calls == 1
    assert GLOSSARY.protect("有害ごみ").text == "[T0]"


def test_glossary_lost_when_retry_fails_too():
    class DropsPlaceholdersThenFails(CountingEngine):
        def translate(self, text, source, target):
            self.calls += 1
            if self.calls == 1:
                return Translation(True, "something", "fake", Reason.OK, target)
            return Translation.failed("fake", Reason.REPETITION, target)

    result = GlossaryTranslator(DropsPlaceholdersThenFails(), GLOSSARY).translate("有害ごみです", "ja", "en")
    assert (result.ok, result.reason) == (False, Reason.GLOSSARY_LOST)


def test_text_that_already_looks_like_a_placeholder_is_left_alone():
    assert GLOSSARY.protect("[T0] 有害ごみ").terms == ()


def test_glossary_file_loading(tmp_path):
    assert len(Glossary.load(tmp_path / "missing.yaml")) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("- en: Hazardous waste\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match="entry 0"):
        Glossary.load(bad)
    good = tmp_path / "good.yaml"
    good.write_text("- ja: 有害ごみ\n  kind: category\n  en: Hazardous waste\n", encoding="utf-8")
    assert Glossary.load(good).protect("有害ごみ").terms[0].render("en") == "Hazardous waste (有害ごみ)"


def test_the_city_glossary_protects_its_terms():
    path = MachineTranslationSettings.from_env({}).glossary_path
    if not path.exists():
        pytest.skip("the city glossary (translations/glossary/) is not written yet")
    glossary = Glossary.load(path)
    assert len(glossary) >= 300
    protected = glossary.protect("スプレー缶は有害ゴミの日に出してください")
    assert "有害ごみ" in [term.ja for term in protected.terms]
    assert "[T" in protected.text and "有害ゴミ" not in protected.text
    restored, missing = glossary.restore(protected.text, protected, "en")
    assert missing == [] and "(有害ごみ)" in restored


# --- quality guard, sentence splitter, settings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "output", "target", "reason"),
    [
        ("有害ごみは火曜日", "Put out [T0] on Tuesday.", "en", None),
        ("電話番号は043-302-5374です", "The number is 043-302-5374.", "en", None),
        ("[T0]", "[T0]", "en", None),  # only a protected term: nothing else to translate
        ("ありがとう", "감사합니다.", "ko", None),
        ("ありがとう", "谢谢。", "zh", None),
        ("ありがとう", "धन्यवाद", "ne", None),
        ("ありがとう", "Cảm ơn bạn.", "vi", None),
        ("ありがとう", "", "en", Reason.EMPTY_OUTPUT),
        ("ありがとう", " ... ", "en", Reason.EMPTY_OUTPUT),
        ("ありがとう", "話話話話話", "en", Reason.REPETITION),
        ("ありがとう", "waste b b b b b", "en", Reason.REPETITION),
        ("ありがとう", "the bag the bag the bag the bag", "en", Reason.REPETITION),
        ("ありがとう", "ありがとう", "en", Reason.UNTRANSLATED),
        ("Thank you", "thank  you", "es", Reason.UNTRANSLATED),
        ("ありがとう", "ありがとうございます", "en", Reason.WRONG_SCRIPT),
        ("ありがとう", "Thank you", "ko", Reason.WRONG_SCRIPT),
        ("ありがとう", "ありがとう。", "zh", Reason.UNTRANSLATED),
        ("ありがとう", "Thank you.", "en", None),
        ("ありがとう", "请通过LINE联系我们", "zh", None),
        ("ありがとう", "LINE로 연락하세요", "ko", None),
        ("ありがとう", "L pk っってください。 I hant to thron.", "en", Reason.WRONG_SCRIPT),  # tiny model, unseen input
        ("ありがとう", "LINE", "ko", Reason.WRONG_SCRIPT),
        ("ありがとうね", "ありがとう", "zh", Reason.WRONG_SCRIPT),
    ],
)
def test_quality_guard(source, output, target, reason):
    assert check(source, output, target) == reason


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("有害ごみです。火曜日に出してください！", ["有害ごみです。", "火曜日に出してください！"]),
        ("Put it out. Thank you!", ["Put it out.", "Thank you!"]),
        ("Call 043-302-5374 at 8.30 a.m.", ["Call 043-302-5374 at 8.30 a.m."]),
        ("一行目\n二行目", ["一行目", "二行目"]),
        ("句点なし", ["句点なし"]),
        ("「有害ごみです。」と書いてください。", ["「有害ごみです。」と書いてください。"]),
        ("Yahoo!Japan", ["Yahoo!Japan"]),
    ],
)
def test_rule_sentencizer(text, sentences):
    assert RuleSentencizer().split_sentences(text) == sentences


def test_scan_ignores_non_packages(tmp_path):
    (tmp_path / "stray").mkdir()
    (tmp_path / "sbd").mkdir()
    (tmp_path / "sbd" / "metadata.json").write_text('{"type": "sbd", "from_code": "ja"}')
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "metadata.json").write_text("{not json")
    assert scan_packages(tmp_path) == {}
    assert scan_packages(tmp_path / "absent") == {}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MT_CACHE_SIZE": "many"}, "MT_CACHE_SIZE"),
        ({"MT_MAX_CHARS": "0"}, "MT_MAX_CHARS"),
        ({"MT_ENABLED": "maybe"}, "MT_ENABLED"),
        ({"MT_SENTENCE_SPLITTER": "minisbd"}, "MT_SENTENCE_SPLITTER"),
    ],
)
def test_bad_settings_name_the_variable(env, message):
    with pytest.raises(SettingsError, match=message):
        MachineTranslationSettings.from_env(env)


def test_default_settings_keep_argos_under_var():
    settings = MachineTranslationSettings.from_env({})
    assert settings.packages_dir.parts[-3:] == ("var", "argos", "packages")
    assert (settings.pivot, settings.splitter, settings.enabled) == ("en", "rules", True)
