"""Every machine-translation setting: one environment variable each, with a typed default, read in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
SPLITTERS = ("rules", "package")


class MTSettingsError(ValueError):
    """An MT environment variable has a value that cannot be used."""


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    value = env.get(name, "").strip()
    return Path(value) if value else default


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    value = env.get(name, "").strip()
    try:
        number = int(value) if value else default
    except ValueError as exc:
        raise MTSettingsError(f"{name} must be an integer, got {value!r}") from exc
    if number < minimum:
        raise MTSettingsError(f"{name} must be >= {minimum}, got {number}")
    return number


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise MTSettingsError(f"{name} must be true or false, got {value!r}")


@dataclass(frozen=True)
class MTSettings:
    enabled: bool  # MT_ENABLED: false → every request answers "disabled" (curated fallback still applies)
    packages_dir: Path  # ARGOS_PACKAGES_DIR: installed Argos packages (also what argospm installs into)
    argos_home: Path  # MT_ARGOS_HOME: Argos's data/config/cache dirs (XDG_*), kept out of $HOME
    glossary_path: Path  # MT_GLOSSARY_PATH: city glossary (folder of YAML files, or one file) protected from the engine
    pivot: str  # MT_PIVOT_LANG: language used between two packages when no direct package exists
    cache_size: int  # MT_CACHE_SIZE: successful translations kept in memory (LRU); 0 disables the cache
    max_chars: int  # MT_MAX_CHARS: longer input is refused ("too_long") to bound latency
    beam_size: int  # MT_BEAM_SIZE: CTranslate2 beam (Argos uses 4; 1 is faster and a little worse)
    threads: int  # MT_THREADS: CTranslate2 intra-op threads (1 is fastest on a busy 2-core box)
    splitter: str  # MT_SENTENCE_SPLITTER: "rules" (built-in, never downloads) or "package" (the package's own)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MTSettings:
        env = os.environ if env is None else env
        splitter = env.get("MT_SENTENCE_SPLITTER", "").strip().lower() or "rules"
        if splitter not in SPLITTERS:
            raise MTSettingsError(f"MT_SENTENCE_SPLITTER must be one of {SPLITTERS}, got {splitter!r}")
        return cls(
            enabled=_bool(env, "MT_ENABLED", True),
            packages_dir=_path(env, "ARGOS_PACKAGES_DIR", _ROOT / "var" / "argos" / "packages"),
            argos_home=_path(env, "MT_ARGOS_HOME", _ROOT / "var" / "argos"),
            glossary_path=_path(env, "MT_GLOSSARY_PATH", _ROOT / "translations" / "glossary"),
            pivot=env.get("MT_PIVOT_LANG", "").strip().lower() or "en",
            cache_size=_int(env, "MT_CACHE_SIZE", 1024),
            max_chars=_int(env, "MT_MAX_CHARS", 2000, minimum=1),
            beam_size=_int(env, "MT_BEAM_SIZE", 4, minimum=1),
            threads=_int(env, "MT_THREADS", 1, minimum=0),
            splitter=splitter,
        )
