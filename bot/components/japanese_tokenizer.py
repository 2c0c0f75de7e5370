"""Japanese tokenizer for Rasa 3: MeCab (via fugashi) with the UniDic dictionary.

Tokens carry exact character offsets into the original message, the UniDic lemma as
``token.lemma`` (NFKC-normalised, so ゴミ/ごみ/塵 and ＡＢＣ/ABC share one feature) and the
reading and part of speech as ``token.data["reading"]`` / ``token.data["pos"]``.
"""

from __future__ import annotations

import functools
import json
import logging
import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import raise_warning

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install fugashi unidic-lite"
DICTIONARY_FILE = "dictionary.json"
# Option name -> expected type; checked when the component is built.
_OPTION_TYPES: dict[str, type | tuple[type, ...]] = {
    "use_lemma": bool,
    "intent_tokenization_flag": bool,
    "intent_split_symbol": str,
    "token_pattern": (str, type(None)),
    "prefix_separator_symbol": (str, type(None)),
}
# MeCab emits full-width spaces and joiners as tokens; they carry no meaning for NLU.
_SKIPPED_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf"}


@functools.lru_cache(maxsize=1)
def _tagger() -> Any:
    """Builds the MeCab tagger once per process (loading the dictionary takes a moment)."""
    try:
        import fugashi
    except ImportError as exc:  # pragma: no cover - exercised only without the package
        raise ImportError(f"JapaneseTokenizer needs fugashi and a UniDic dictionary: {INSTALL_HINT}") from exc
    try:
        return fugashi.Tagger()
    except RuntimeError as exc:
        raise ImportError(f"fugashi found no UniDic dictionary: {INSTALL_HINT}") from exc


def dictionary_fingerprint() -> dict[str, Any]:
    """Identifies the dictionary in use: lemmas (and so the model's features) depend on it."""
    info = _tagger().dictionary_info[0]
    return {
        "dictionary": info["filename"].replace("\\", "/").split("/site-packages/")[-1],
        "version": info["version"],
        "size": info["size"],
    }


def _clean_lemma(lemma: str | None, surface: str) -> str:
    # UniDic marks loanword lemmas with their origin ("スプレー-spray"); keep the Japanese head.
    if not lemma:
        return unicodedata.normalize("NFKC", surface)
    if "-" in lemma and not lemma.startswith("-"):
        lemma = lemma.split("-", 1)[0]
    return unicodedata.normalize("NFKC", lemma)


def _is_blank(surface: str) -> bool:
    return all(unicodedata.category(ch) in _SKIPPED_CATEGORIES for ch in surface)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True)
class JapaneseTokenizer(Tokenizer):
    """Splits Japanese (and mixed Latin/emoji) text into morphemes with fugashi + UniDic.

    Trainable only so that the dictionary it was trained with is stored in the model and
    a different dictionary at serving time is reported (lemmas would silently change).
    """

    @staticmethod
    def supported_languages() -> list[str] | None:
        return ["ja"]

    @staticmethod
    def required_packages() -> list[str]:
        return ["fugashi", "unidic_lite"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Put the UniDic lemma in token.lemma (featurizers with use_lemma read it); else the surface.
            "use_lemma": True,
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.validate_config(config)
        super().__init__(config)
        self._use_lemma: bool = config["use_lemma"]
        self._model_storage = model_storage
        self._resource = resource

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        """Raises InvalidConfigException naming the first option with a wrong type."""
        for key, expected in _OPTION_TYPES.items():
            if key in config and not isinstance(config[key], expected):
                names = " or ".join(t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,)))
                raise InvalidConfigException(
                    f"JapaneseTokenizer option '{key}' must be {names}, got {config[key]!r} "
                    f"({type(config[key]).__name__})."
                )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> JapaneseTokenizer:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> JapaneseTokenizer:
        """Loads the tokenizer and warns if the model was trained with another dictionary."""
        tokenizer = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                trained_with = json.loads((directory / DICTIONARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.debug("No stored dictionary fingerprint for resource '%s'.", resource.name)
            return tokenizer
        current = dictionary_fingerprint()
        if trained_with != current:
            raise_warning(
                f"The model was trained with the dictionary {trained_with}, but {current} is installed; "
                "lemmas may differ, so retrain the model."
            )
        return tokenizer

    def train(self, training_data: TrainingData) -> Resource:
        self.persist()
        return self._resource

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            (directory / DICTIONARY_FILE).write_text(json.dumps(dictionary_fingerprint()), encoding="utf-8")

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text: str = message.get(attribute)
        tokens: list[Token] = []
        cursor = 0
        for word in _tagger()(text):
            surface: str = word.surface
            if not surface:
                continue
            # MeCab drops whitespace between morphemes; find the surface to keep offsets exact.
            start = text.find(surface, cursor)
            if start < 0:  # defensive: never seen, but offsets must not go backwards
                start = cursor
            cursor = start + len(surface)
            if _is_blank(surface):
                continue
            feature = word.feature
            lemma = _clean_lemma(feature.lemma, surface) if self._use_lemma else surface
            data = {"reading": feature.kana or surface, "pos": feature.pos1}
            tokens.append(Token(surface, start, cursor, data=data, lemma=lemma))
        return self._apply_token_pattern(tokens)
