"""Where one Rasa server's time goes per resident message, stage by stage (run in the bot environment).

    PYTHONPATH=. OMP_NUM_THREADS=1 .venvs/bot/bin/python -m bench.profile_rasa [--model PATH] [--turns 6]
        [--conversations 20] [--tracker sqlite|memory|postgresql://...] [--cprofile 25 [--sort cumulative]]

It loads the trained model as `rasa run` does (bot/endpoints.yml semantics: SQL tracker store, in-memory lock store),
points the action endpoint at a stub action server in a thread of this process (it answers every custom action with
one text message and no events, so the dialogue is Rasa's own work only), and sends `--conversations` conversations
of `--turns` questions each (tests/e2e/multilingual_questions.yaml, every language), one message at a time. Messages
are handled one after another on one event loop, so wall time here is the server's CPU time per message.

Printed: milliseconds per message for every graph node (NLU components, policies), for the processor's stages
(tracker fetch, NLU parse, slot extraction, each prediction, the action call, the tracker save), the bytes of the
action call by turn (with --speedups only the current turn's events are sent; Rasa alone sends the whole tracker),
and with --cprofile the top functions by own time (or by --sort).
Sanic's HTTP handling of the gateway channel is not in this figure (bench/load.py measures the whole server).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import io
import json
import logging
import os
import pstats
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS_FILE = ROOT / "tests" / "e2e" / "multilingual_questions.yaml"
DEFAULT_MODEL = ROOT / "var" / "rasa" / "models" / "chiba.tar.gz"

TIMES: dict[str, list[float]] = collections.defaultdict(list)  # wall seconds per call
CPU: dict[str, list[float]] = collections.defaultdict(list)  # this thread's CPU seconds per call
ACTION_BYTES: dict[int, list[int]] = collections.defaultdict(list)  # user turn -> bytes of each action call


@contextmanager
def timed(name: str) -> Iterator[None]:
    started, cpu = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        TIMES[name].append(time.perf_counter() - started)
        CPU[name].append(time.thread_time() - cpu)


def wrap_async(owner: Any, attr: str, name: str) -> None:
    original = getattr(owner, attr)

    async def timed_call(*args: Any, **kwargs: Any) -> Any:
        with timed(name):
            return await original(*args, **kwargs)

    setattr(owner, attr, timed_call)


def wrap_sync(owner: Any, attr: str, name: str | Callable[..., str]) -> None:
    original = getattr(owner, attr)

    def timed_call(*args: Any, **kwargs: Any) -> Any:
        label = name(*args) if callable(name) else name
        with timed(label):
            return original(*args, **kwargs)

    setattr(owner, attr, timed_call)


class StubActions(BaseHTTPRequestHandler):
    """Answers every action call with one message; records the request size per user turn."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        call = json.loads(body)
        turns = sum(1 for e in call.get("tracker", {}).get("events", []) if e.get("event") == "user")
        ACTION_BYTES[turns].append(len(body))
        reply = json.dumps({"events": [], "responses": [{"text": f"stub {call.get('next_action')}"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def start_stub() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubActions)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/webhook"


def questions() -> list[tuple[str, str]]:
    data = yaml.safe_load(QUESTIONS_FILE.read_text(encoding="utf-8"))
    return [(lang, row["q"]) for lang, rows in data.items() for row in rows]


def instrument(agent: Any) -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.engine.graph import GraphNode

    processor = agent.processor
    original_call = GraphNode.__call__

    def node_call(self: Any, *inputs: Any) -> Any:
        with timed(f"node {self._node_name}"):
            return original_call(self, *inputs)

    GraphNode.__call__ = node_call  # type: ignore[method-assign]
    wrap_async(processor, "fetch_tracker_and_update_session", "1 tracker fetch (+session)")
    wrap_async(processor, "parse_message", "2 NLU parse (graph)")
    wrap_async(processor, "run_action_extract_slots", "3 action_extract_slots")
    wrap_sync(processor, "predict_next_with_tracker_if_should", "4 predict (policy graph), each")
    wrap_async(processor, "save_tracker", "6 tracker save")
    original_run = RemoteAction.run
    original_format = RemoteAction._action_call_format

    async def remote_run(self: Any, *args: Any, **kwargs: Any) -> Any:
        with timed("5 custom action (json + HTTP + events)"):
            return await original_run(self, *args, **kwargs)

    def call_format(self: Any, *args: Any, **kwargs: Any) -> Any:
        with timed("5a action call: tracker as JSON dict"):
            return original_format(self, *args, **kwargs)

    RemoteAction.run = remote_run  # type: ignore[method-assign]
    RemoteAction._action_call_format = call_format  # type: ignore[method-assign]


def endpoints(action_url: str, tracker: str, workdir: Path) -> Any:
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.endpoints import EndpointConfig

    if tracker == "memory":
        store = None
    elif tracker == "sqlite":
        store = EndpointConfig(type="SQL", dialect="sqlite", db=str(workdir / "tracker.db"))
    else:
        store = EndpointConfig(type="SQL", url=tracker)
    return AvailableEndpoints(action=EndpointConfig(url=action_url), tracker_store=store)


async def drive(agent: Any, conversations: int, turns: int, pool: list[tuple[str, str]], seed: int) -> list[float]:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    rng = random.Random(seed)
    per_message: list[float] = []
    for c in range(conversations):
        sender = f"profile-{seed}-{c}"
        for _ in range(turns):
            lang, text = rng.choice(pool)
            message = UserMessage(
                text, CollectingOutputChannel(), sender, input_channel="gateway", metadata={"lang": lang}
            )
            started = time.perf_counter()
            await agent.handle_message(message)
            per_message.append(time.perf_counter() - started)
    return per_message


def print_times(messages: int) -> None:
    print(f"\n{'stage':<58} {'CPU ms/msg':>10} {'wall ms/msg':>11} {'calls/msg':>9}")
    for name in sorted(TIMES):
        wall, cpu = 1000 * sum(TIMES[name]) / messages, 1000 * sum(CPU[name]) / messages
        print(f"{name:<58} {cpu:>10.2f} {wall:>11.2f} {len(TIMES[name]) / messages:>9.2f}")


def print_bytes() -> None:
    print("\naction call size by the user turn it answers:")
    for turn in sorted(ACTION_BYTES):
        sizes = ACTION_BYTES[turn]
        print(f"  turn {turn:>2}: {statistics.mean(sizes) / 1024:7.1f} KiB ({len(sizes)} calls)")


async def main_async(args: argparse.Namespace) -> None:
    from rasa.core.agent import load_agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog
    from rasa.utils.tensorflow import environment as tf_env

    # As `rasa run` (INFO): debug lines are dropped, though their arguments are still computed.
    configure_logging_and_warnings(logging.INFO, warn_only_once=True, filter_repeated_logs=True)
    tf_env.setup_tf_environment()
    configure_structlog(logging.INFO)
    workdir = Path(tempfile.mkdtemp(prefix="profile_rasa_"))
    if args.speedups:  # as in `rasa run`: the gateway channel installs them before the model is loaded
        from bot.components import speedups

        speedups.install()
    agent = await load_agent(model_path=str(args.model), endpoints=endpoints(start_stub(), args.tracker, workdir))
    if args.speedups:  # what the gateway channel does to the tracker store (bot/components/speedups.py)
        speedups.tune_sqlite_store(getattr(agent.tracker_store, "_tracker_store", None))
        speedups.cache_trackers(getattr(agent.tracker_store, "_tracker_store", None))
    pool = questions()
    await drive(agent, 2, 2, pool, seed=0)  # warm-up: lazy model parts, first TF call
    instrument(agent)
    profiler = cProfile.Profile() if args.cprofile else None
    if profiler:
        profiler.enable()
    cpu0, thread0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
    per_message = await drive(agent, args.conversations, args.turns, pool, seed=1)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    thread = time.thread_time() - thread0
    if profiler:
        profiler.disable()
    n = len(per_message)
    print(f"{n} messages ({args.conversations} conversations x {args.turns} turns), tracker store {args.tracker}, "
          f"model {args.model}")  # fmt: skip
    print(f"per message: wall {1000 * wall / n:.1f} ms, CPU {1000 * thread / n:.1f} ms on the event loop's thread, "
          f"{1000 * cpu / n:.1f} ms in all threads (the stub action server's included), "
          f"p50 {1000 * statistics.median(per_message):.1f} ms")  # fmt: skip
    print_times(n)
    print_bytes()
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.cprofile)
        print(out.getvalue())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=Path(os.environ.get("CHIBA_RASA_MODEL", DEFAULT_MODEL)))
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--tracker", default="sqlite", help="sqlite (a temporary file), memory, or an SQLAlchemy URL")
    parser.add_argument("--speedups", action="store_true", help="install bot/components/speedups.py first")
    parser.add_argument("--cprofile", type=int, default=0, help="also print this many functions by own time")
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"], help="order of --cprofile")
    args = parser.parse_args(argv)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
