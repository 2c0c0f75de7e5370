"""Language detection: what language a resident gets answered in when the chat is on "auto"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from translations import detect
from translations.detect import LANGS, DetectorUnavailable, detect_language

ROOT = Path(__file__).resolve().parents[2]

# Three everyday garbage questions per language, as residents type them (no history: first message of a chat).
SENTENCES: list[tuple[str, str]] = [
    ("スプレー缶は何ごみですか？", "ja"),
    ("粗大ごみの出し方を教えてください", "ja"),
    ("燃えるごみの収集日はいつですか", "ja"),
    ("What kind of garbage is a spray can?", "en"),
    ("How do I throw away an old sofa?", "en"),
    ("When is burnable garbage collected?", "en"),
    ("喷雾罐是什么垃圾？", "zh"),
    ("旧沙发怎么扔？", "zh"),
    ("可燃垃圾什么时候收？", "zh"),
    ("스프레이 캔은 무슨 쓰레기예요?", "ko"),
    ("오래된 소파는 어떻게 버려요?", "ko"),
    ("타는 쓰레기는 언제 수거하나요?", "ko"),
    ("Bình xịt là rác loại gì?", "vi"),
    ("Làm sao để vứt ghế sofa cũ?", "vi"),
    ("Rác cháy được thu gom vào ngày nào?", "vi"),
    ("Anong klase ng basura ang spray can?", "tl"),
    ("Paano magtapon ng lumang sofa?", "tl"),
    ("Kailan kinukuha ang nasusunog na basura?", "tl"),
    ("स्प्रे क्यान कुन फोहोर हो?", "ne"),
    ("पुरानो सोफा कसरी फाल्ने?", "ne"),
    ("जल्ने फोहोर कहिले उठाइन्छ?", "ne"),
    ("A lata de spray é que tipo de lixo?", "pt"),
    ("Como jogo fora um sofá velho?", "pt"),
    ("Quando é a coleta do lixo queimável?", "pt"),
    ("¿Qué tipo de basura es una lata de spray?", "es"),
    ("¿Cómo tiro un sofá viejo?", "es"),
    ("¿Cuándo recogen la basura combustible?", "es"),
    ("Kaleng semprot termasuk sampah apa?", "id"),
    ("Bagaimana cara membuang sofa lama?", "id"),
    ("Kapan sampah yang bisa dibakar diangkut?", "id"),
]


@pytest.mark.parametrize(("text", "expected"), SENTENCES)
def test_everyday_questions_in_ten_languages(text: str, expected: str) -> None:
    assert detect_language(text, None) == expected


@pytest.mark.parametrize(("text", "expected"), SENTENCES)
def test_a_full_sentence_overrides_the_last_language(text: str, expected: str) -> None:
    # A resident who switches language mid-chat is followed, whatever they wrote before.
    last = "ko" if expected != "ko" else "en"
    assert detect_language(text, last) == expected


def test_the_table_covers_every_language() -> None:
    assert sorted({lang for _, lang in SENTENCES}) == sorted(LANGS)


@pytest.mark.parametrize(
    ("text", "last", "expected"),
    [
        # Terms copied from a bag, sign or form: the resident's own language, else Japanese.
        ("住民票", None, "ja"),
        ("住民票", "en", "en"),
        ("住民票", "vi", "vi"),
        ("粗大ごみ受付", None, "ja"),
        ("粗大ごみ受付", "en", "en"),
        ("乾電池", "ko", "ko"),
        ("粗大ごみ受付センター", "ne", "ne"),
        ("スプレー缶", "pt", "pt"),
        ("ｽﾌﾟﾚｰ缶", None, "ja"),  # half-width katakana
        ("住民票", "ja-easy", "ja"),  # easy Japanese is Japanese evidence
        ("住民票", "xx", "ja"),  # an unknown last language is ignored
        # Kana means Japanese once it reads as a sentence.
        ("住民票の写しがほしい", "en", "ja"),
        ("ありがとう", None, "ja"),
        ("電池は？", "en", "ja"),
        ("是非お願いします", None, "ja"),
        # Chinese-only characters and function words decide kanji text.
        ("电池", None, "zh"),
        ("电池", "en", "zh"),
        ("粗大垃圾怎么扔", None, "zh"),
        ("住民票是什么", "ja", "zh"),
        ("噴霧罐是什麼垃圾", None, "zh"),  # traditional characters with Chinese grammar
        ("駅前", None, "ja"),  # a Japanese-only form
    ],
)
def test_kanji_and_kana_terms(text: str, last: str | None, expected: str) -> None:
    assert detect_language(text, last) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do I throw away スプレー缶?", "en"),
        ("Where is 千葉市役所?", "en"),
        ("スプレー缶怎么扔", "zh"),
        ("粗大ごみ是什么垃圾", "zh"),
        ("粗大ごみ 어떻게 버려요?", "ko"),
        ("粗大ごみ कसरी फाल्ने?", "ne"),
        ("Como jogar fora 粗大ごみ?", "pt"),
        # A Japanese sentence with a brand name or a Korean word stays Japanese.
        ("LINE Pay で払えますか", "ja"),
        ("PCリサイクルマークのないパソコン", "ja"),
        ("쓰레기は何と言いますか", "ja"),
    ],
)
def test_questions_quoting_a_japanese_term(text: str, expected: str) -> None:
    assert detect_language(text, None) == expected


@pytest.mark.parametrize(
    ("text", "last", "expected"),
    [
        ("sofa", None, "en"),
        ("sofa", "pt", "pt"),
        ("Hello", None, "en"),
        ("ok", "vi", "vi"),
        ("ok", "ja", "ja"),  # "PET", "ok" from a Japanese speaker stay Japanese
        ("salamat", "tl", "tl"),
        ("¿basura?", None, "es"),
        ("lata de spray", "pt", "pt"),
        ("thank you very much", "es", "en"),
        ("terima kasih", None, "id"),
        ("Xin chào", None, "vi"),
        ("Buenos días", "en", "es"),
    ],
)
def test_short_latin_text_uses_the_last_language_when_unsure(text: str, last: str | None, expected: str) -> None:
    assert detect_language(text, last) == expected


@pytest.mark.parametrize(
    ("text", "last", "expected"),
    [
        ("043-302-5374", None, "ja"),
        ("043-302-5374", "en", "en"),
        ("👍", "ko", "ko"),
        ("？？", None, "ja"),
        ("", None, "ja"),
        ("Как выбросить диван?", None, "en"),  # a language we do not serve: English
        ("Как выбросить диван?", "zh", "zh"),
    ],
)
def test_text_without_a_served_script(text: str, last: str | None, expected: str) -> None:
    assert detect_language(text, last) == expected


def test_a_long_message_is_read_by_its_opening() -> None:
    assert detect_language("How do I throw away an old sofa? " * 500, None) == "en"
    assert detect_language("粗大ごみの出し方を教えてください。" * 500, "en") == "ja"


def test_importing_loads_no_model() -> None:
    code = "import translations.detect as d, sys; assert d._identifier is None and 'py3langid' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env={"PYTHONPATH": str(ROOT)})


def test_missing_py3langid_raises_a_typed_error_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect, "_identifier", None)
    monkeypatch.setitem(sys.modules, "py3langid.langid", None)  # import now fails
    with pytest.raises(DetectorUnavailable, match="pip install py3langid"):
        detect_language("What kind of garbage is a spray can?", None)
