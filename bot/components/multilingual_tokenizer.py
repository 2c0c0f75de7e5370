"""Multilingual tokenizer for Rasa 3: one tokenizer for all eleven reply languages, chosen per script.

- A message with any kana is Japanese: every whitespace-free chunk that holds CJK characters goes to
  :class:`~bot.components.japanese_tokenizer.JapaneseTokenizer` (fugashi + UniDic, lemmas, readings).
- Han characters in a message without kana are Chinese: one token per character. Dictionary-free and
  exact; word-like units come back as character bigrams in a word-level ``CountVectorsFeaturizer`` with
  ``max_ngram: 2`` (the classic CJK bigram indexing), so no segmenter has to guess word boundaries and
  no token offsets overlap.
- Everything else (Latin incl. Vietnamese/Tagalog, Hangul, Devanagari, digits) is split into words on
  whitespace and punctuation. Combining marks, virama and ZWJ/ZWNJ stay inside words; an apostrophe or
  hyphen between two word characters is kept (don't, mag-recycle, 043-302-5374).

Known limit: kanji-only Japanese without kana (「青葉町」「住民票」) cannot be told apart from Chinese by
script and is split per character in training and serving alike.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.japanese_tokenizer import JapaneseTokenizer

_OPTION_TYPES: dict[str, type | tuple[type, ...]] = {
    "use_lemma": bool,
    "intent_tokenization_flag": bool,
    "intent_split_symbol": str,
    "token_pattern": (str, type(None)),
    "prefix_separator_symbol": (str, type(None)),
}
# Kept inside a word only when both neighbours are word characters.
_WORD_JOINERS = {"'", "\u2019", "-", "\u2010", "\u2011", "."}
_ZERO_WIDTH_JOINERS = {"\u200c", "\u200d"}

SPACE, KANA, HAN, CJK_MARK, WORD, OTHER = "space", "kana", "han", "cjk_mark", "word", "other"


def char_class(ch: str) -> str:
    """Script class of one character, as far as tokenization cares."""
    code = ord(ch)
    if ch.isspace():
        return SPACE
    if 0x3040 <= code <= 0x309F or (0x30A0 <= code <= 0x30FF and code != 0x30FB) or 0x31F0 <= code <= 0x31FF:
        return KANA
    if 0xFF66 <= code <= 0xFF9F:  # half-width katakana
        return KANA
    if (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
        or ch in "々〆〇"
    ):
        return HAN
    if 0x3000 <= code <= 0x303F or code == 0x30FB:  # CJK punctuation, 「」、。・
        return CJK_MARK
    category = unicodedata.category(ch)
    if category[0] in "LMN" or ch in _ZERO_WIDTH_JOINERS:
        return WORD
    return OTHER


def has_kana(text: str) -> bool:
    return any(char_class(ch) == KANA for ch in text)


def _chunks(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every maximal whitespace-free span."""
    start = None
    for i, ch in enumerate(text):
        if ch.isspace():
            if start is not None:
                yield start, i
                start = None
        elif start is None:
            start = i
    if start is not None:
        yield start, len(text)


def _words(text: str, begin: int, end: int) -> Iterator[tuple[int, int]]:
    """Word spans in text[begin:end]: word characters plus joiners between two word characters."""
    start = None
    for i in range(begin, end):
        ch = text[i]
        is_word = char_class(ch) == WORD
        if not is_word and start is not None and ch in _WORD_JOINERS:
            is_word = i + 1 < end and char_class(text[i + 1]) == WORD
        if is_word:
            if start is None:
                start = i
        elif start is not None:
            yield start, i
            start = None
    if start is not None:
        yield start, end


def _token(text: str, start: int, end: int) -> Token:
    surface = text[start:end]
    # NFKC: composed Vietnamese diacritics, full-width Latin -> ASCII; CountVectorsFeaturizer reads the lemma.
    return Token(surface, start, end, lemma=unicodedata.normalize("NFKC", surface))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True)
class MultilingualTokenizer(Tokenizer):
    """Tokenizes ja/zh/ko/vi/tl/ne/pt/es/id/en text per script with exact character offsets.

    Trainable only because the Japanese part stores its dictionary fingerprint in the model (see
    :class:`JapaneseTokenizer`); loading warns when the served dictionary differs.
    """

    @staticmethod
    def supported_languages() -> list[str] | None:
        return None  # every language

    @staticmethod
    def required_packages() -> list[str]:
        return JapaneseTokenizer.required_packages()

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Japanese tokens: UniDic lemma; other tokens: the NFKC form of the surface.
            "use_lemma": True,
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    def __init__(self, config: dict[str, Any], japanese: JapaneseTokenizer) -> None:
        self.validate_config(config)
        super().__init__(config)
        self._use_lemma: bool = config["use_lemma"]
        self._japanese = japanese

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        """Raises InvalidConfigException naming the first option with a wrong type."""
        for key, expected in _OPTION_TYPES.items():
            if key in config and not isinstance(config[key], expected):
                names = " or ".join(t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,)))
                raise InvalidConfigException(
                    f"MultilingualTokenizer option '{key}' must be {names}, got {config[key]!r} "
                    f"({type(config[key]).__name__})."
                )

    @staticmethod
    def _japanese_config(config: dict[str, Any]) -> dict[str, Any]:
        # token_pattern is applied once, to the merged tokens, by this tokenizer.
        return {**JapaneseTokenizer.get_default_config(), "use_lemma": config.get("use_lemma", True)}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MultilingualTokenizer:
        cls.validate_config(config)
        japanese = JapaneseTokenizer.create(cls._japanese_config(config), model_storage, resource, execution_context)
        return cls(config, japanese)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> MultilingualTokenizer:
        cls.validate_config(config)
        japanese = JapaneseTokenizer.load(cls._japanese_config(config), model_storage, resource, execution_context)
        return cls(config, japanese)

    def train(self, training_data: TrainingData) -> Resource:
        return self._japanese.train(training_data)

    def _japanese_tokens(self, text: str, start: int, end: int) -> list[Token]:
        tokens = self._japanese.tokenize(Message(data={TEXT: text[start:end]}), TEXT)
        for token in tokens:
            token.start += start
            token.end += start
        return tokens

    def _script_tokens(self, text: str, start: int, end: int) -> list[Token]:
        """Han characters one by one, word spans between them."""
        tokens: list[Token] = []
        run_start = start
        for i in range(start, end + 1):
            if i < end and char_class(text[i]) != HAN:
                continue
            tokens.extend(_token(text, s, e) for s, e in _words(text, run_start, i))
            if i < end:
                tokens.append(_token(text, i, i + 1))
            run_start = i + 1
        return tokens

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text: str = message.get(attribute) or ""
        japanese = has_kana(text)
        tokens: list[Token] = []
        for start, end in _chunks(text):
            if japanese and any(char_class(ch) in (KANA, HAN) for ch in text[start:end]):
                tokens.extend(self._japanese_tokens(text, start, end))
            else:
                tokens.extend(self._script_tokens(text, start, end))
        if not self._use_lemma:
            for token in tokens:
                token.lemma = token.text
        return self._apply_token_pattern(tokens)
