"""Argos Translate engine: installed `.argosmodel` packages, direct or through a pivot language (ja → en → ko).

Argos's own package loader reads each package (metadata, tokenizer) and CTranslate2 runs its model; the decoding
step mirrors argostranslate.translate.apply_packaged_translation (same CTranslate2 options, checked by a test).
`argostranslate.translate` itself is not imported: it imports stanza and spaCy for sentence splitting (+330 MB RSS and
~10 s here) and would download a MiniSBD splitter model on the first translation. A rule splitter is used instead
(MT_SENTENCE_SPLITTER=package uses a splitter the package ships, through Argos's sbd module).

Offline rules (see ARCHITECTURE.md, "Machine translation"):
- argostranslate creates its data/config/cache dirs when imported, so it is imported lazily, with ARGOS_PACKAGES_DIR
  and the XDG dirs pointed under var/argos for the import only (other libraries read XDG_CACHE_HOME too).
- `package.get_available_packages()` is never called: offline it retries ~980 times and raises RecursionError.
  Packages are found by reading `metadata.json` in the packages dir; installing is scripts/install_argos_packages.sh.
- Argos logs the text it handles at INFO; its logger is raised to WARNING so resident text stays out of logs.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from translations.mt_base import Reason, Translation, normalise_code

if TYPE_CHECKING:
    from settings import MachineTranslationSettings

log = logging.getLogger(__name__)

# Our language codes → Argos codes (Argos: zh = Simplified, zt = Traditional, pb = Brazilian Portuguese).
ARGOS_CODES = {"zh-cn": "zh", "zh-hans": "zh", "zh-tw": "zt", "zh-hant": "zt", "fil": "tl", "pt-br": "pb"}
# Styles no engine produces: only curated text can be easy Japanese.
UNSUPPORTED = frozenset({"ja-easy"})

_IMPORT_LOCK = threading.Lock()
# after 。！？ (unless a closing bracket follows), or after . ! ? and a space (8.30, 043-302-5374 stay whole)
_SENTENCE_END = re.compile(r"(?<=[。．！？])(?![」』）)])\s*|(?<=[.!?])\s+|\n+")


def argos_code(code: str) -> str | None:
    code = normalise_code(code)
    if code in UNSUPPORTED:
        return None
    return ARGOS_CODES.get(code, code.split("-")[0])


class RuleSentencizer:
    """Splits on sentence-final punctuation: enough for chat-sized text, and no model to download."""

    def split_sentences(self, text: str) -> list[str]:
        return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()] or [text]


@contextmanager
def _argos_environment(settings: MachineTranslationSettings) -> Iterator[None]:
    home = settings.argos_home
    wanted = {
        "ARGOS_PACKAGES_DIR": str(settings.packages_dir),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def import_argos(settings: MachineTranslationSettings) -> ModuleType:
    """`argostranslate.package`, imported with our dirs the first time."""
    with _IMPORT_LOCK, _argos_environment(settings):
        try:
            from argostranslate import package
        except ImportError as exc:
            raise ImportError(
                "machine translation needs argostranslate: "
                ".venvs/tools/bin/uv pip install --python .venvs/services argostranslate"
            ) from exc
    if not os.environ.get("ARGOS_DEBUG"):
        logging.getLogger("argostranslate.utils").setLevel(logging.WARNING)
    return package


class LoadedPackage:
    """One package ready to translate: Argos's Package (tokenizer, metadata), a CTranslate2 model, a splitter."""

    def __init__(self, pkg: Any, translator: Any, sentencizer: Any, beam_size: int) -> None:
        self.pkg = pkg
        self.translator = translator
        self.sentencizer = sentencizer
        self.beam_size = beam_size

    def translate(self, text: str) -> str:
        # like Argos: paragraph by paragraph, each split into sentences and decoded as one batch
        return "\n".join(self._paragraph(paragraph) for paragraph in text.split("\n"))

    def _paragraph(self, text: str) -> str:
        if not text.strip():
            return ""
        tokenized = [self.pkg.tokenizer.encode(sentence) for sentence in self.sentencizer.split_sentences(text)]
        prefix = self.pkg.target_prefix
        results = self.translator.translate_batch(
            tokenized,
            target_prefix=[[prefix]] * len(tokenized) if prefix else None,
            replace_unknowns=True,
            max_batch_size=32,
            batch_type="tokens",
            beam_size=self.beam_size,
            num_hypotheses=1,
            length_penalty=0.2,
        )
        value = self.pkg.tokenizer.decode([token for result in results for token in result.hypotheses[0]])
        if prefix and value.startswith(prefix):
            value = value[len(prefix) :]
        return value[1:] if value.startswith(" ") else value


def scan_packages(packages_dir: Path) -> dict[tuple[str, str], Path]:
    """Installed translate packages by (from, to), read from metadata.json only (no model is loaded)."""
    found: dict[tuple[str, str], Path] = {}
    if not packages_dir.is_dir():
        return found
    for folder in sorted(packages_dir.iterdir()):
        meta_path = folder / "metadata.json"
        if not meta_path.is_file():
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("skipping Argos package %s: unreadable metadata.json", folder.name)
            continue
        if meta.get("type", "translate") != "translate" or not meta.get("from_code") or not meta.get("to_code"):
            continue
        found.setdefault((meta["from_code"], meta["to_code"]), folder)
    return found


class ArgosTranslator:
    """Translates with installed Argos packages; models load on first use of a language pair."""

    def __init__(self, settings: MachineTranslationSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._packages: dict[tuple[str, str], Path] | None = None
        self._loaded: dict[tuple[str, str], LoadedPackage] = {}

    def refresh(self) -> None:
        """Forget the package list and loaded models (after installing or removing packages)."""
        with self._lock:
            self._packages = None
            self._loaded.clear()

    def pairs(self) -> set[tuple[str, str]]:
        with self._lock:
            if self._packages is None:
                self._packages = scan_packages(self.settings.packages_dir)
            return set(self._packages)

    def route(self, source: str, target: str) -> list[tuple[str, str]] | None:
        """The hops to go from `source` to `target`: the direct package, else two through the pivot, else None."""
        src, tgt = argos_code(source), argos_code(target)
        if src is None or tgt is None or src == tgt:
            return None
        pairs = self.pairs()
        if (src, tgt) in pairs:
            return [(src, tgt)]
        pivot = self.settings.pivot
        if pivot not in (src, tgt) and (src, pivot) in pairs and (pivot, tgt) in pairs:
            return [(src, pivot), (pivot, tgt)]
        return None

    def _package(self, pair: tuple[str, str]) -> LoadedPackage:
        with self._lock:
            if pair in self._loaded:
                return self._loaded[pair]
            assert self._packages is not None  # route() scanned
            package = import_argos(self.settings)
            import ctranslate2

            pkg = package.Package(self._packages[pair])
            sentencizer: Any = RuleSentencizer()
            if self.settings.splitter == "package" and pkg.packaged_sbd_path is not None:
                sentencizer = _packaged_sentencizer(pkg)
            translator = ctranslate2.Translator(
                str(pkg.package_path / "model"), device="cpu", inter_threads=1, intra_threads=self.settings.threads
            )
            self._loaded[pair] = LoadedPackage(pkg, translator, sentencizer, self.settings.beam_size)
            return self._loaded[pair]

    def translate(self, text: str, source: str, target: str) -> Translation:
        if argos_code(source) is None or argos_code(target) is None:
            return Translation.failed("argos", Reason.UNSUPPORTED_LANGUAGE, target)
        hops = self.route(source, target)
        if hops is None:
            log.info("no Argos package for %s>%s (pivot %s)", source, target, self.settings.pivot)
            return Translation.failed("argos", Reason.NO_PACKAGE, target)
        engine = "argos:" + ">".join([hops[0][0], *(to for _, to in hops)])
        try:
            out = text
            for pair in hops:
                out = self._package(pair).translate(out)
        except Exception as exc:  # any engine failure becomes a result; the message may quote the text, so not logged
            log.warning("Argos translation failed: %s %s>%s (%s)", engine, source, target, type(exc).__name__)
            return Translation.failed(engine, Reason.ENGINE_ERROR, target)
        return Translation(True, out.strip(), engine, Reason.OK, normalise_code(target))


def _packaged_sentencizer(pkg: Any) -> Any:
    """The splitter shipped in the package (stanza/ or minisbd/), as Argos would pick it (imports stanza and spaCy)."""
    from argostranslate import sbd

    if "minisbd" in str(pkg.packaged_sbd_path):
        return sbd.MiniSBDSentencizer(pkg)
    if "stanza" in str(pkg.packaged_sbd_path):
        return sbd.StanzaSentencizer(pkg)
    return RuleSentencizer()
