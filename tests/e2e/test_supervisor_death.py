"""When the supervisor itself is killed (kill -9), every process of every service goes too — forked workers included —
so a restarted `make run` finds its ports free instead of orphans answering with old code (scripts/supervisor.py: a
parent-death signal on each child, and the reaper that kills the process groups). Replicas of a service sharing one
port keep the port answering while one of them restarts. Stand-in services, no model; a few seconds each.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.supervisor import free_port, group_members

ROOT = Path(__file__).resolve().parents[2]

# Shaped like Sanic: the main process forks a worker that serves; with --reuse-port several share the port, and
# --probe-port N answers on a port of its own as well (in the same worker).
FAKE_SANIC = r"""
import http.server, os, socket, sys, threading, time
args = sys.argv[1:]
port = int(args[0])
handler = type("H", (http.server.BaseHTTPRequestHandler,), {
    "do_GET": lambda self: (self.send_response(200), self.end_headers(), self.wfile.write(str(os.getpid()).encode())),
    "log_message": lambda self, *a: None,
})
def server(port, reuse):
    srv = http.server.HTTPServer(("127.0.0.1", port), handler, bind_and_activate=False)
    srv.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse:
        srv.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    srv.server_bind()
    srv.server_activate()
    return srv
servers = [server(port, "--reuse-port" in args)]
if "--probe-port" in args:
    servers.append(server(int(args[args.index("--probe-port") + 1]), False))
if os.fork() == 0:
    for srv in servers[1:]:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    servers[0].serve_forever()  # the worker
else:
    for srv in servers:
        srv.socket.close()
    while True:
        time.sleep(1)  # the manager
"""

# The supervisor as `make run` runs it (its own process), over two stand-ins: "solo" and "shared" (two replicas).
SUPERVISOR = r"""
import asyncio, os, sys
from pathlib import Path
from scripts.supervisor import Service, Supervisor
from settings import SupervisorSettings
code, solo, shared = sys.argv[1], sys.argv[2], sys.argv[3]
fast = SupervisorSettings(restart_base_delay=0.2, restart_max_delay=1.0, restart_reset_after=30.0,
                          probe_interval=0.3, probe_timeout=0.5, probe_failures=2, stop_grace=2.0)
def svc(name, port, **kw):
    return Service(name, [sys.executable, "-c", code, port, *kw.pop("extra", [])], Path.cwd(), {},
                   probe_url=f"http://127.0.0.1:{port}/", **kw)
services = [svc("solo", solo)] + [
    svc(name, shared, extra=["--reuse-port"], probe_port_flag="--probe-port") for name in ("shared", "shared/2")
]
asyncio.run(Supervisor(services, dict(os.environ), fast).run())
"""


def answer(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as resp:
            return resp.read().decode()
    except OSError:
        return None


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] != b"Z"


def until(check: object, timeout: float = 20.0) -> None:
    """Wait for `check()` (a safety timeout, not a speed assertion)."""
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout:.0f} s")
        time.sleep(0.1)


class RunningSupervisor:
    def __init__(self, log: Path) -> None:
        self.log = log
        self.solo, self.shared = free_port(), free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SUPERVISOR, FAKE_SANIC, str(self.solo), str(self.shared)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def pid(self, name: str) -> int:
        return int(re.findall(rf"\[stack\] started {re.escape(name)} \(pid (\d+)\)", self.text())[-1])

    def members(self, *names: str) -> set[int]:
        return {pid for name in names for pid in group_members(self.pid(name))}

    def reaper_pid(self) -> int:
        """The reaper: the supervisor's child running the reaper code (found in /proc by its parent)."""
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_bytes()
                    cmdline = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if int(stat[stat.rfind(b")") + 2 :].split()[1]) == self.proc.pid and b"groups = set()" in cmdline:
                    return int(entry.name)
        raise AssertionError("no reaper process")

    def probe_port(self, name: str) -> int:
        """The port of its own a replica was given (`--probe-port N` on its command line)."""
        argv = Path(f"/proc/{self.pid(name)}/cmdline").read_bytes().split(b"\0")
        return int(argv[argv.index(b"--probe-port") + 1])

    def ready(self) -> None:
        until(lambda: answer(self.solo) and answer(self.shared) and "started shared/2" in self.text())
        until(lambda: all(len(self.members(name)) == 2 for name in ("solo", "shared", "shared/2")))
        until(lambda: all(answer(self.probe_port(name)) for name in ("shared", "shared/2")))
        # The supervisor counts a silent probe as a hang only once the service has answered one (a service still
        # loading is not hung): let it probe each once (probe_interval is 0.3 s).
        time.sleep(1.0)


@pytest.fixture
def supervisor(tmp_path: Path) -> Iterator[RunningSupervisor]:
    running = RunningSupervisor(tmp_path / "supervisor.log")
    try:
        running.ready()
        yield running
    finally:
        if running.proc.poll() is None:
            running.proc.send_signal(signal.SIGINT)
            running.proc.wait(20)


@pytest.mark.parametrize("reaper_killed_first", [False, True], ids=["supervisor", "reaper-then-supervisor"])
def test_killing_the_supervisor_ends_every_service_and_its_forked_workers(
    supervisor: RunningSupervisor, reaper_killed_first: bool
) -> None:
    if reaper_killed_first:
        old = supervisor.reaper_pid()
        os.kill(old, signal.SIGKILL)  # the supervisor starts another one and tells it the groups again
        until(lambda: "starting it again" in supervisor.text() and supervisor.reaper_pid() != old)
        assert answer(supervisor.solo) and answer(supervisor.shared)  # the services did not notice
    members = supervisor.members("solo", "shared", "shared/2")
    assert len(members) == 6  # three services, each a main process and its forked worker
    os.kill(supervisor.proc.pid, signal.SIGKILL)
    supervisor.proc.wait()
    until(lambda: not [pid for pid in members if alive(pid)], timeout=10)
    assert answer(supervisor.solo) is None and answer(supervisor.shared) is None  # the ports are free again


def test_a_replica_killed_leaves_the_port_answering_while_it_restarts(supervisor: RunningSupervisor) -> None:
    first, second = supervisor.pid("shared"), supervisor.pid("shared/2")
    second_members = supervisor.members("shared/2")
    os.kill(first, signal.SIGKILL)  # its forked worker, orphaned, is killed by the supervisor with its group
    asked = failures = 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and supervisor.pid("shared") == first:
        asked += 1
        failures += answer(supervisor.shared) is None
        time.sleep(0.02)
    # A connection the dying process had already accepted can fail (bot/serve.py calls again then); every other one
    # is answered by the live replica — a port closed for the restart would fail them all.
    assert asked >= 5 and failures <= 1, f"{failures} of {asked} requests failed while one replica restarted"
    until(lambda: answer(supervisor.shared) is not None)
    assert supervisor.members("shared/2") == second_members and supervisor.pid("shared/2") == second
    assert f"[stack] shared (pid {first}) died: killed by signal SIGKILL" in supervisor.text()


def test_each_replica_is_probed_on_its_own_port(supervisor: RunningSupervisor) -> None:
    """A hung replica is found and restarted even though the other answers on the shared port."""
    hung = supervisor.pid("shared/2")
    os.killpg(hung, signal.SIGSTOP)
    until(lambda: supervisor.pid("shared/2") != hung)
    assert f"[stack] shared/2 (pid {hung}) stopped answering http://127.0.0.1:" in supervisor.text()
    assert not alive(hung)
