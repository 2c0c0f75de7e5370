"""Build (or confirm) the FAISS indexes of every domain: `python -m knowledge_base.build_index [--force]`.

Runs in `make run` / `make test`. Exits 2 with every problem listed when the data files are invalid, 3 when the
embedding model is missing; rebuilds only when the data files or the model changed (see index meta.json).
"""

from __future__ import annotations

import argparse
import sys
import time

from knowledge_base.core.data import DataError
from knowledge_base.service import load_data
from settings import KnowledgeBaseSettings, SettingsError


def _progress(message: str) -> None:
    print(f"[build_index] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when the data and model are unchanged")
    args = parser.parse_args(argv)
    settings = KnowledgeBaseSettings.from_env()

    _progress(f"checking data in {settings.data_dir}")
    try:
        data = load_data(settings)
    except DataError as exc:
        print(
            f"[build_index] ERROR: the knowledge-base data is invalid ({len(exc.problems)} problems):", file=sys.stderr
        )
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    for spec in data.specs:
        _progress(f"{spec.name}: {spec.summary(data.domains[spec.name])}")
    if data.places is not None:
        _progress(f"places: {len(data.places.offices)} offices")
    corpora = data.corpora()

    from knowledge_base.core.embeddings import EmbeddingError
    from knowledge_base.core.index import default_embedder, default_model_id, is_current, load_or_build

    started = time.monotonic()
    try:
        if not args.force and is_current(corpora, settings.data_dir, settings.index_dir, default_model_id()):
            _progress(f"index up to date (data and model unchanged) in {settings.index_dir}")
            return 0
        embedder = default_embedder()
    except (EmbeddingError, SettingsError) as exc:
        print(f"[build_index] ERROR: {exc}", file=sys.stderr)
        return 3
    indexes = load_or_build(corpora, settings.data_dir, settings.index_dir, embedder, _progress, force=args.force)
    state = "built" if indexes.built else "up to date (data and model unchanged)"
    rows = ", ".join(f"{name} {len(index)}" for name, index in sorted(indexes.by_name.items()))
    _progress(f"index {state}: {rows} rows in {settings.index_dir} ({time.monotonic() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
