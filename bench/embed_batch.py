"""Benchmark: query vectors for concurrent callers, one encode per text vs the QueryBatcher.

    OMP_NUM_THREADS=1 .venvs/services/bin/python -m bench.embed_batch [--threads 1,4,16] [--texts 256]

The real e5-small encoder; `threads` callers (the action server's knowledge-base pool) each ask for distinct texts
(the load bench's varied resident questions, so nothing is cached). "single" encodes each text alone (HEAD's
`query_vector`); "batched" goes through knowledge_base/core/batcher.py. Prints texts/s and the mean batch size.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from bench.load import questions
from knowledge_base.core.batcher import QueryBatcher
from knowledge_base.core.index import default_embedder
from settings import ThroughputSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,4,16", help="concurrent callers per round")
    parser.add_argument("--texts", type=int, default=256, help="distinct texts per round")
    args = parser.parse_args(argv)
    embedder = default_embedder()
    settings = ThroughputSettings.from_env()
    pool = questions()
    embedder.queries(pool[:8])  # warm the model
    offset = 8
    for threads in (int(x) for x in args.threads.split(",")):
        for mode in ("single", "batched"):
            texts = pool[offset : offset + args.texts]
            offset += args.texts
            if mode == "single":
                get = lambda text: embedder.queries([text])[0]  # noqa: E731
                batcher = None
            else:
                batcher = QueryBatcher(
                    embedder.queries, wait=settings.embed_batch_wait_ms / 1000, max_batch=settings.embed_batch_max
                )
                get = batcher.vector
            started = time.perf_counter()
            with ThreadPoolExecutor(threads) as workers:
                list(workers.map(get, texts))
            seconds = time.perf_counter() - started
            mean = f"{batcher.encoded / batcher.batches:.1f}" if batcher and batcher.batches else "1.0"
            rate = len(texts) / seconds
            print(f"threads {threads:>2}  {mode:<7}  {rate:6.1f} texts/s  mean batch {mean}", flush=True)


if __name__ == "__main__":
    main()
