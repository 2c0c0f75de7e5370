"""Where a (re)started action server's time goes before it can answer: the knowledge base's load, step by step.

    PYTHONPATH=. OMP_NUM_THREADS=1 .venvs/services/bin/python -m bench.startup [--profile 25]

Runs in a fresh process (what a restart pays): the imports, each domain's data, the encoder, the FAISS indexes, each
domain's service (matchers, lexicons), the question classifier and the first query embedding; prints seconds per step
and the process's resident memory after. `--profile N` adds cProfile's N most expensive functions (cumulative).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

STEPS: list[tuple[str, float]] = []


@contextmanager
def step(name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    STEPS.append((name, time.perf_counter() - started))


def timed(name: str, fn: Callable[[], Any]) -> Any:
    with step(name):
        return fn()


def load() -> None:
    """The same work as KnowledgeBase.load() + the server's warm-up, cut into steps."""
    with step("import knowledge_base.service"):
        from knowledge_base.core.data import DataError  # noqa: F401
        from knowledge_base.service import KnowledgeBase, _load_places
    with step("import torch + sentence_transformers"):
        import sentence_transformers  # noqa: F401
        import torch  # noqa: F401
    with step("import faiss + sklearn"):
        import faiss  # noqa: F401
        import sklearn.linear_model  # noqa: F401
    from knowledge_base.core.index import default_embedder, load_or_build
    from knowledge_base.domains import domain_specs
    from knowledge_base.service import LoadedData
    from settings import KnowledgeBaseSettings

    settings = KnowledgeBaseSettings.from_env()
    places = timed("data: places", lambda: _load_places(settings))
    offices = getattr(places, "offices", None) or {}
    specs = timed("find domains", domain_specs)
    domains = {
        spec.name: timed(f"data: {spec.name}", lambda spec=spec: spec.load(settings.data_dir, offices))
        for spec in specs
    }
    data = LoadedData(domains, specs, places)
    corpora = timed("corpora (index rows)", data.corpora)
    embedder = timed("encoder (e5) load", default_embedder)
    indexes = timed(
        "indexes: hash data + read FAISS",
        lambda: load_or_build(corpora, settings.data_dir, settings.index_dir, embedder),
    )
    # KnowledgeBase.__init__ builds each domain's service, then the classifier: time them apart.
    original = KnowledgeBase._train_classifier

    def train(self: KnowledgeBase, indexes_: Any) -> Any:
        return timed("question classifier (cached fit)", lambda: original(self, indexes_))

    KnowledgeBase._train_classifier = train  # type: ignore[method-assign]
    services: dict[str, float] = {}
    for spec in specs:
        original_service = spec.service

        def service(*a: Any, _orig: Any = original_service, _name: str = spec.name) -> Any:
            started = time.perf_counter()
            out = _orig(*a)
            services[_name] = time.perf_counter() - started
            return out

        object.__setattr__(spec, "service", service)
    kb = timed("KnowledgeBase(...) in all", lambda: KnowledgeBase(data, indexes, embedder, settings))
    for name, seconds in services.items():
        STEPS.append((f"  service: {name}", seconds))
    timed("first query embedding", lambda: kb.query_vector("ごみの出し方"))
    timed("second query embedding", lambda: kb.query_vector("粗大ごみの出し方"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's N most expensive functions")
    args = parser.parse_args()
    started = time.perf_counter()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    load()
    if profiler:
        profiler.disable()
    total = time.perf_counter() - started
    for name, seconds in STEPS:
        print(f"{name:<42} {seconds:6.2f} s")
    print(f"{'total':<42} {total:6.2f} s")
    print(f"max resident set size: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
