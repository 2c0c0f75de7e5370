"""Argos Translate engine: installed `.argosmodel` packages, direct or through a pivot language (ja → en → ko).

Offline rules (see ARCHITECTURE.md, "Machine translation"):
- argostranslate creates its data/config/cache dirs when imported, so it is imported lazily, with ARGOS_PACKAGES_DIR
  and the XDG dirs pointed under var/argos for the import only (other libraries read XDG_CACHE_HOME too).
- `package.get_available_packages()` is never called: offline it retries ~980 times and raises RecursionError.
  Packages are found by reading `metadata.json` in the packages dir; installing is scripts/install_argos_packages.sh.
- Argos would download a MiniSBD sentence splitter on the first translation; the built-in rule splitter replaces it
  (MT_SENTENCE_SPLITTER=package keeps a splitter the package ships instead).
- Argos logs the text it translates at INFO; its logger is raised to WARNING so resident text stays out of logs.
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
from typing import Any

from translations.mt_base import Reason, Translation, normalise_code
from translations.mt_settings import MTSettings

log = logging.getLogger(__name__)

# Our language codes → Argos codes (Argos: zh = Simplified, zt = Traditional, pb = Brazilian Portuguese).
ARGOS_CODES = {"zh-cn": "zh", "zh-hans": "zh", "zh-tw": "zt", "zh-hant": "zt", "fil": "tl", "pt-br": "pb"}
# Styles no engine produces: only curated text can be easy Japanese.
UNSUPPORTED = frozenset({"ja-easy"})

_IMPORT_LOCK = threading.Lock()
_SENTENCE_END = re.compile(r"(?<=[。．！？!?])\s*|(?<=[.;])\s+|\n+")


def argos_code(code: str) -> str | None:
    code = normalise_code(code)
    if code in UNSUPPORTED:
        return None
    return ARGOS_CODES.get(code, code.split("-")[0])


class RuleSentencizer:
    """Splits on sentence-final punctuation (。！？ and . ! ? before a space): enough for chat-sized text, no model."""

    def split_sentences(self, text: str) -> list[str]:
        return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()] or [text]


@contextmanager
def _argos_environment(settings: MTSettings) -> Iterator[None]:
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


def import_argos(settings: MTSettings) -> tuple[ModuleType, ModuleType]:
    """`argostranslate.package` and `argostranslate.translate`, imported with our dirs the first time."""
    with _IMPORT_LOCK, _argos_environment(settings):
        try:
            from argostranslate import package, translate
        except ImportError as exc:
            raise ImportError(
                "machine translation needs argostranslate: "
                ".venvs/tools/bin/uv pip install --python .venvs/services argostranslate"
            ) from exc
    if not os.environ.get("ARGOS_DEBUG"):
        logging.getLogger("argostranslate.utils").setLevel(logging.WARNING)
    return package, translate


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

    def __init__(self, settings: MTSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._packages: dict[tuple[str, str], Path] | None = None
        self._loaded: dict[tuple[str, str], Any] = {}

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

    def _translation(self, pair: tuple[str, str]) -> Any:
        with self._lock:
            if pair in self._loaded:
                return self._loaded[pair]
            assert self._packages is not None  # route() scanned
            package, translate = import_argos(self.settings)
            import ctranslate2

            pkg = package.Package(self._packages[pair])
            translation = translate.PackageTranslation(
                translate.Language(pkg.from_code, pkg.from_name), translate.Language(pkg.to_code, pkg.to_name), pkg
            )
            if self.settings.splitter == "rules" or pkg.packaged_sbd_path is None:
                translation.sentencizer = RuleSentencizer()
            # our thread count, whatever argostranslate read from the environment when first imported
            translation.translator = ctranslate2.Translator(
                str(pkg.package_path / "model"), device="cpu", inter_threads=1, intra_threads=self.settings.threads
            )
            self._loaded[pair] = translation
            return translation

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
                out = self._translation(pair).hypotheses(out, num_hypotheses=1)[0].value
        except Exception as exc:  # any engine failure becomes a result; the message may quote the text, so not logged
            log.warning("Argos translation failed: %s %s>%s (%s)", engine, source, target, type(exc).__name__)
            return Translation.failed(engine, Reason.ENGINE_ERROR, target)
        return Translation(True, out.strip(), engine, Reason.OK, normalise_code(target))
