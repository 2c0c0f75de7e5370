"""Load benchmark: messages/s and p50/p95/p99 of POST /api/chat at 1, 4, 16 and 64 concurrent senders.

    .venvs/services/bin/python -m bench.load                       # starts a stack of the working tree
    .venvs/services/bin/python -m bench.load --rev HEAD            # ... and one of HEAD beside it, ratios printed
    .venvs/services/bin/python -m bench.load --url http://127.0.0.1:8080 --levels 1,16 --seconds 30

Each sender is a resident: a distinct sender id, one question at a time (it waits for the reply before the next),
questions as residents type them in ten languages (tests/e2e/multilingual_questions.yaml, asked with lang "auto").
A reply counts when it is 200 with at least one message with text; anything else is an error, reported per level.

With `--rev`, the older revision is checked out with `git worktree add` under var/bench/worktrees/ (sharing .venvs,
the e5 model and the trained Rasa model by symlink or environment; a copy of var/index so an old revision never
rewrites the shared one; nothing is retrained), both stacks run at once, and each level alternates short phases
between the two (A B B A ...) so machine noise hits both; the ratios (working tree / revision) are what to compare on a
noisy machine, not the absolute figures. Ports: 18600-18619 (this bench's range); the rate limit is switched off for
the stacks it starts (CHIBA_RATE_LIMIT_BURST=0), the notification worker is not started.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS_FILE = ROOT / "tests" / "e2e" / "multilingual_questions.yaml"
WORK = ROOT / "var" / "bench" / "load"
WORKTREES = ROOT / "var" / "bench" / "worktrees"
PORTS = {"current": 18600, "scaled": 18620, "rev": 18610}  # gateway; rasa from +1 (up to 4); actions from +5
REQUEST_TIMEOUT = 60.0
_SERVICES = (
    ("rasa run", "rasa"),
    ("bot.serve", "rasa"),  # `rasa run` started through bot/serve.py
    ("rasa_sdk", "actions"),
    ("actions.server", "actions"),
    ("-m channels", "gateway"),
)


# How residents open and close a message, per language: with --vary (the default) a question is sent with one of each
# around it, so most messages are texts the assistant has not embedded before (a resident rarely types a cached
# sentence; the action server keeps the last 1,024 texts' vectors).
OPENERS = {
    "ja": ["", "すみません、", "あの、", "質問です。", "教えてください。"],
    "ja-easy": ["", "すみません、", "しつもんです。"],
    "en": ["", "Hi, ", "Hello! ", "Excuse me, ", "Quick question: "],
    "zh": ["", "你好，", "请问，", "打扰一下，"],
    "ko": ["", "안녕하세요, ", "질문이 있어요. ", "저기요, "],
    "vi": ["", "Xin chào, ", "Cho tôi hỏi, ", "Chào bạn, "],
    "ne": ["", "नमस्ते, ", "एउटा प्रश्न, "],
    "pt": ["", "Olá, ", "Oi, ", "Com licença, "],
    "es": ["", "Hola, ", "Disculpe, ", "Una pregunta: "],
    "id": ["", "Halo, ", "Permisi, ", "Mau tanya, "],
    "tl": ["", "Hello po, ", "Magandang araw, ", "Tanong lang po, "],
}
CLOSERS = {
    "ja": ["", " よろしくお願いします。"],
    "ja-easy": ["", " おねがいします。"],
    "en": ["", " Thanks!"],
    "zh": ["", " 谢谢！"],
    "ko": ["", " 감사합니다."],
    "vi": ["", " Cảm ơn."],
    "ne": ["", " धन्यवाद।"],
    "pt": ["", " Obrigado!"],
    "es": ["", " ¡Gracias!"],
    "id": ["", " Terima kasih."],
    "tl": ["", " Salamat po."],
}


def questions(path: Path = QUESTIONS_FILE, *, vary: bool = True) -> list[str]:
    """Every question of the file, and with `vary` each also with every opener and closer of its language."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        opener + row["q"] + closer
        for lang, rows in data.items()
        for row in rows
        for opener in (OPENERS.get(lang, [""]) if vary else [""])
        for closer in (CLOSERS.get(lang, [""]) if vary else [""])
    ]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class StackNotReady(RuntimeError):
    pass


@dataclass
class Tally:
    """What one target did at one concurrency level (over all its phases)."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    first_error: str = ""
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per service (stacks this bench started)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


class Stack:
    """`python -m scripts.run_stack` of one source tree on this bench's ports (its own SQLite files under var/)."""

    def __init__(self, name: str, root: Path, extra_env: dict[str, str], *, scaled: bool = False) -> None:
        port = PORTS[name]
        self.scaled = scaled
        self.name, self.root, self.url = name, root, f"http://127.0.0.1:{port}"
        self.workdir = WORK / name
        self.env = {
            **os.environ,
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
            "PYTHONPATH": str(root),
            "CHIBA_GATEWAY_PORT": str(port),
            "CHIBA_RASA_PORT": str(port + 1),
            "CHIBA_ACTIONS_PORT": str(port + 5),
            "CHIBA_TRACKER_DB": str(self.workdir / "tracker.db"),
            "CHIBA_DATABASE_URL": f"sqlite:///{self.workdir / 'app.db'}",
            "CHIBA_WORKER_ENABLED": "false",
            "CHIBA_RATE_LIMIT_BURST": "0",  # the load is many messages per sender by design
            # Both trees read the main tree's model files: nothing is retrained or rebuilt for an old revision.
            "CHIBA_RASA_MODEL": str(ROOT / "var" / "rasa" / "models" / "chiba.tar.gz"),
            "CHIBA_EMBEDDING_MODEL": str(ROOT / "var" / "models" / "multilingual-e5-small"),
            "CHIBA_INDEX_DIR": str(root / "var" / "index"),
            **extra_env,
        }
        if scaled:  # this machine's PostgreSQL and Redis, in a database and key prefix of this bench's own
            self.env.setdefault("CHIBA_TRACKER_URL", "postgresql://127.0.0.1:5432/perf_load_tracker")
            self.env.setdefault("CHIBA_REDIS_PREFIX", "perfload")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir.mkdir(parents=True)
        log = (self.workdir / "stack.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scripts.run_stack", *(["--scaled"] if self.scaled else [])], cwd=self.root,
            env=self.env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait_ready(self, timeout: float = 600.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise StackNotReady(f"{self.name} stack exited ({self.proc.returncode}); see {self.workdir}/stack.log")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(1.0)
        self.stop()
        raise StackNotReady(f"{self.name} stack not healthy after {timeout:.0f} s; see {self.workdir}/stack.log")

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far by each service's process tree (rasa, actions with its Sanic workers, gateway)."""
        out: dict[str, float] = {}
        if self.proc is None:
            return out
        for child in psutil.Process(self.proc.pid).children():
            try:
                cmd = " ".join(child.cmdline())
                tree = [child, *child.children(recursive=True)]
                used = sum(t.user + t.system for t in (p.cpu_times() for p in tree))
            except psutil.Error:
                continue
            name = next((n for key, n in _SERVICES if key in cmd), "other")
            out[name] = out.get(name, 0.0) + used
        return out

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def add_worktree(rev: str) -> Path:
    """A fresh worktree of `rev` under var/bench/worktrees/, sharing the main tree's .venvs and var/models."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True, text=True)
    path = WORKTREES / sha.stdout.strip()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT, check=True)
    for link, target in ((path / ".venvs", ROOT / ".venvs"), (path / "var" / "models", ROOT / "var" / "models")):
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(target)
    if not (path / "var" / "index").exists():
        shutil.copytree(ROOT / "var" / "index", path / "var" / "index")
    return path


async def ask(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> tuple[float, str]:
    """Seconds the reply took, and "" or what was wrong with it."""
    started = time.perf_counter()
    try:
        async with session.post(f"{url}/api/chat", json={"sender_id": sender, "text": text, "lang": "auto"}) as resp:
            body = await resp.json(content_type=None)
            elapsed = time.perf_counter() - started
            if resp.status != 200:
                return elapsed, f"HTTP {resp.status}: {str(body)[:120]}"
            if not any(m.get("text") for m in body.get("messages", [])):
                return elapsed, f"no reply text: {str(body)[:120]}"
            return elapsed, ""
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return time.perf_counter() - started, f"{type(exc).__name__}: {exc}"


async def phase(url: str, senders: int, seconds: float, pool: list[str], tally: Tally, tag: str) -> None:
    """`senders` residents each asking until `seconds` are over; replies that arrive late still count."""
    rng = random.Random(hash((tag, senders)))
    deadline = time.perf_counter() + seconds
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=senders)

    async def sender(i: int) -> None:
        sid = f"load-{tag}-{senders}-{i}"  # distinct per sender (tag carries a run id), so no shared conversation
        while time.perf_counter() < deadline:
            elapsed, problem = await ask(session, url, sid, rng.choice(pool))
            if problem:
                tally.errors += 1
                tally.first_error = tally.first_error or problem
            else:
                tally.latencies.append(elapsed)

    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(sender(i) for i in range(senders)))
        tally.seconds += time.perf_counter() - started


async def warm_up(url: str, pool: list[str]) -> None:
    """Load the knowledge base and the model's lazy parts before anything is measured."""
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for i, text in enumerate(pool[:: max(1, len(pool) // 12)]):
            await ask(session, url, f"load-warmup-{uuid.uuid4().hex[:6]}-{i}", text)


async def run(
    targets: dict[str, str],
    levels: list[int],
    seconds: float,
    phases: int,
    stacks: dict[str, Stack],
    pool: list[str],
) -> dict[str, dict[int, Tally]]:
    run_id = uuid.uuid4().hex[:6]
    for url in targets.values():
        await warm_up(url, pool)
    results: dict[str, dict[int, Tally]] = {name: {} for name in targets}
    names = list(targets)
    for level in levels:
        for name in names:
            results[name][level] = Tally()
        for k in range(phases):
            # A B, B A, A B ... (A B C, C B A, ...): no target always goes first or last.
            order = names if k % 2 == 0 else names[::-1]
            for name in order:
                tag = f"{run_id}-{name}-{k}"
                tally, stack = results[name][level], stacks.get(name)
                before = stack.cpu_seconds() if stack else {}
                await phase(targets[name], level, seconds / phases, pool, tally, tag)
                for service, used in (stack.cpu_seconds() if stack else {}).items():
                    tally.cpu[service] = tally.cpu.get(service, 0.0) + used - before.get(service, 0.0)
        line = "  ".join(f"{n}: {results[n][level].rate:.1f} msg/s" for n in names)
        print(f"  level {level:>2} done — {line}", flush=True)
    return results


def report(results: dict[str, dict[int, Tally]], *, baseline: bool) -> str:
    names = list(results)
    rows = [
        "| target | senders | messages/s | p50 ms | p95 ms | p99 ms | replies | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, level in itertools.product(names, next(iter(results.values()))):
        t = results[name][level]
        rows.append(
            f"| {name} | {level} | {t.rate:.1f} | {t.p(0.5):.0f} | {t.p(0.95):.0f} | {t.p(0.99):.0f} | "
            f"{len(t.latencies)} | {t.errors} |"
        )
    base = names[-1]  # the revision, when there is one: every other target is compared with it
    for a in names[:-1] if baseline else ():
        rows += ["", f"Ratios {a} / {base} (messages/s higher is better; latency lower is better):", ""]
        rows += ["| senders | messages/s | p50 | p95 | p99 |", "|---:|---:|---:|---:|---:|"]
        for level in results[a]:
            x, y = results[a][level], results[base][level]
            ratio = [x.rate / y.rate if y.rate else float("nan")]
            ratio += [x.p(q) / y.p(q) if y.latencies and x.latencies else float("nan") for q in (0.5, 0.95, 0.99)]
            rows.append(f"| {level} | " + " | ".join(f"{r:.2f}×" for r in ratio) + " |")
    services = sorted({svc for n in names for t in results[n].values() for svc in t.cpu})
    if services:
        rows += ["", "CPU ms per answered message (the stacks this bench started; 2 cores = 2000 ms/s):", ""]
        rows += ["| target | senders | " + " | ".join(services) + " |", "|---|---:|" + "---:|" * len(services)]
        for name, level in itertools.product(names, next(iter(results.values()))):
            t = results[name][level]
            per = [1000 * t.cpu.get(svc, 0.0) / max(1, len(t.latencies)) for svc in services]
            rows.append(f"| {name} | {level} | " + " | ".join(f"{x:.0f}" for x in per) + " |")
    errors = [(n, lv, t.first_error) for n in names for lv, t in results[n].items() if t.first_error]
    rows += [f"first error of {n} at {lv} senders: {e}" for n, lv, e in errors]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="gateway of a running stack (default: start one of the working tree)")
    parser.add_argument("--rev", help="also run the same load against this git revision, side by side")
    parser.add_argument(
        "--tree", type=Path, default=ROOT,
        help="source tree of the 'working tree' stack (default: this one; e.g. a worktree holding only your change)",
    )  # fmt: skip
    parser.add_argument("--levels", default="1,4,16,64", help="concurrent senders per level (default 1,4,16,64)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per level and target")
    parser.add_argument("--phases", type=int, default=4, help="alternating phases per level (several targets)")
    parser.add_argument(
        "--scaled", action="store_true", help="also start the working tree's scaled profile (PostgreSQL + Redis)"
    )
    parser.add_argument(
        "--no-vary", dest="vary", action="store_false", help="send the file's questions only as written (all cached)"
    )
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    labels = {"current": "working tree", "scaled": "working tree, scaled", "rev": f"rev {args.rev}"}

    stacks: list[Stack] = []
    targets: dict[str, str] = {}
    try:
        if args.url:
            targets["current"] = args.url.rstrip("/")
        else:
            stacks.append(Stack("current", args.tree.resolve(), {}))
        if args.scaled:
            stacks.append(Stack("scaled", args.tree.resolve(), {}, scaled=True))
        if args.rev:
            stacks.append(Stack("rev", add_worktree(args.rev), {}))  # last: the baseline of the ratios
        for stack in stacks:
            stack.start()  # all load at once: Rasa's start takes a minute or two
        for stack in stacks:
            try:
                stack.wait_ready()
            except StackNotReady as exc:  # a broken profile is reported; the others are still measured
                print(exc, flush=True)
                continue
            targets[stack.name] = stack.url
        if not targets:
            raise SystemExit("no stack came up: nothing measured")
        pool = questions(vary=args.vary)
        print(f"targets: {targets}; levels {levels}; {args.seconds:.0f} s per level and target; "
              f"{len(pool)} distinct messages", flush=True)  # fmt: skip
        by_name = {stack.name: stack for stack in stacks}
        phases = args.phases if len(targets) > 1 else 1
        results = asyncio.run(run(targets, levels, args.seconds, phases, by_name, pool))
        print(report({labels[n]: r for n, r in results.items()}, baseline=bool(args.rev) and "rev" in targets))
    finally:
        for stack in stacks:
            stack.stop()


if __name__ == "__main__":
    main()
