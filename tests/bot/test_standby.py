"""Two Rasa servers taking turns on one port (bot/serve.py `--standby-lock`): one serves, the other waits with its
model loaded and opens the port the moment the first dies, so residents of the embedded profile wait milliseconds,
not the tens of seconds a Rasa server takes to load. Only one ever serves (SQLite trackers, in-process locks).

The stand-in is a Sanic app (Rasa 3.6's Sanic) whose before_server_start listener sleeps like a model load.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SERVER = r"""
import asyncio, os, sys
from pathlib import Path
from sanic import Sanic, response
from bot.serve import Turn, install_standby, serve_probe
port, probe, lock = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
turn = Turn(lock, port)
install_standby(turn)
serve_probe(turn, probe)
app = Sanic(f"standby{os.getpid()}")
@app.get("/")
async def root(request):
    return response.text(str(os.getpid()))
async def load_model(app, loop):
    await asyncio.sleep(0.5)
app.register_listener(load_model, "before_server_start")
app.run(host="127.0.0.1", port=port, access_log=False)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
            return resp.read().decode()
    except OSError:
        return None


def until(check: object, timeout: float = 60.0) -> None:
    """A safety timeout, not a speed assertion."""
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "still not true"
        time.sleep(0.05)


class Pair:
    def __init__(self, tmp_path: Path) -> None:
        self.port, self.lock = free_port(), tmp_path / "rasa.lock"
        self.probes: dict[int, int] = {}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.tmp = tmp_path

    def start(self) -> subprocess.Popen[bytes]:
        probe = free_port()
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        log = (self.tmp / f"server-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-c", SERVER, str(self.port), str(probe), str(self.lock)],
                                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        self.procs.append(proc)
        self.probes[proc.pid] = probe
        return proc

    def probe(self, proc: subprocess.Popen[bytes]) -> str | None:
        return get(self.probes[proc.pid])


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    running = Pair(tmp_path)
    yield running
    for proc in running.procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_standby_waits_loaded_and_takes_the_port_when_the_server_dies(pair: Pair) -> None:
    first = pair.start()
    until(lambda: get(pair.port) == str(first.pid))
    second = pair.start()
    until(lambda: pair.probe(second) == "standby")  # loaded, alive, not serving
    assert get(pair.port) == str(first.pid) and pair.probe(first) == "serving"
    first.send_signal(signal.SIGKILL)
    first.wait()
    until(lambda: get(pair.port) == str(second.pid), timeout=10)
    assert pair.probe(second) == "serving"


def test_a_restarted_server_becomes_the_standby_and_never_serves_beside_the_other(pair: Pair) -> None:
    first = pair.start()
    until(lambda: get(pair.port) == str(first.pid))
    second = pair.start()
    until(lambda: pair.probe(second) == "standby")
    first.kill()
    first.wait()
    until(lambda: get(pair.port) == str(second.pid), timeout=10)
    third = pair.start()  # what the supervisor does with the dead one
    until(lambda: pair.probe(third) == "standby")
    answers = {get(pair.port) for _ in range(20)}
    assert answers == {str(second.pid)}
