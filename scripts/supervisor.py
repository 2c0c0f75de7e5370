"""Keep a set of child processes up: each in its own process group, death noticed by pid, restarts with back-off.

Why not asyncio's subprocess API: `Process.wait()` only returns once the child's pipes are closed, and Sanic's forked
workers inherit (and keep) them, so a killed action server looked alive until its orphans were killed by hand.
Here each child's death is noticed through a pidfd (Linux) on its pid, and its whole process group is killed and
waited for before it is started again (an orphaned worker would otherwise keep the port and refuse the restart).

Two more ways a child counts as dead:
- a long-lived member of its process group dies (Sanic's worker killed while the manager lives on and serves
  nothing);
- it has an HTTP probe, answered it once, and then fails `probe_failures` probes in a row (hung). Any HTTP answer
  counts as alive (a Rasa server still loading answers 503), only silence or a refused connection does not.

Every restart is logged with which child, why, how long it had been up and how many crashes in a row.

When the supervisor itself dies (even by kill -9) its children go too, though each is its own process group (so the
terminal's Ctrl-C reaches only the supervisor): every child is started with a parent-death signal (SIGKILL, through
util-linux's `setpriv --pdeathsig`, kept across exec), and a small reaper process, started first in a session of its
own, holds the list of process groups and kills each whole group — forked workers included — the moment the
supervisor's end of its pipe closes. A killed reaper is started again and told the groups again.

Replicas: several children may serve one port (SO_REUSEPORT: the kernel spreads new connections over the live
listeners), so one of them being killed or restarted never closes the port. Each replica then answers its probe on a
port of its own (`Service.probe_port_flag`), or a dead replica could be hidden by a live one answering for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from settings import SupervisorSettings

# For a service without a probe, a process group member must have lived this long before its death counts as a crash
# of the service: helpers that start and end on their own (a shell, a short subprocess) are not watched.
MEMBER_SETTLE_SECONDS = 5.0
# How often the process group's members are listed (a scan of /proc: cheap).
MEMBER_SCAN_SECONDS = 1.0

_print_lock = threading.Lock()

# The reaper (see the module docstring): reads "add <pgid>" / "drop <pgid>" lines; end of input means the supervisor is
# gone (its end of the pipe closed, however it died): SIGKILL every group still listed, until none of them is left.
REAPER_CODE = r"""
import os, signal, sys, time
groups = set()
for line in sys.stdin:
    op, _, pgid = line.partition(" ")
    if op == "add":
        groups.add(int(pgid))
    elif op == "drop":
        groups.discard(int(pgid))
deadline = time.monotonic() + 10
while groups and time.monotonic() < deadline:
    for pgid in list(groups):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            groups.discard(pgid)
        except PermissionError:
            groups.discard(pgid)
    time.sleep(0.05)
"""


def log(msg: str) -> None:
    with _print_lock:
        sys.stdout.write(f"[stack] {msg}\n")
        sys.stdout.flush()


@dataclass(frozen=True)
class Service:
    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    # URL answered by the running service (any HTTP status); None: watched by pid only (the worker).
    probe_url: str | None = None
    # A replica sharing its port with others: on each start it gets a free port of its own with this flag
    # (`--probe-port N`), and it is probed there at the path of `probe_url`.
    probe_port_flag: str | None = None


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def group_members(pgid: int) -> set[int]:
    """Live (non-zombie) processes whose process group is `pgid`, from /proc."""
    members: set[int] = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name (field 2) may hold spaces and parentheses: the fields after the last ')' are fixed.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 2 and fields[0] != b"Z" and int(fields[2]) == pgid:
            members.add(int(entry.name))
    return members


async def probe(url: str, timeout: float) -> bool:
    """True when something answers an HTTP GET on `url` within `timeout` (any status line)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path or "/"
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            return (await reader.readline()).startswith(b"HTTP/")
    except (OSError, TimeoutError):
        return False
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def wait_pid(proc: subprocess.Popen[bytes]) -> int:
    """The child's exit status, noticed through a pidfd on its pid (never through its pipes)."""
    loop = asyncio.get_running_loop()
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        # No pidfd (old kernel): poll the pid itself.
        while proc.poll() is None:
            await asyncio.sleep(0.2)
        return proc.returncode
    exited: asyncio.Future[None] = loop.create_future()
    loop.add_reader(fd, lambda: exited.done() or exited.set_result(None))
    try:
        await exited
    finally:
        loop.remove_reader(fd)
        os.close(fd)
    return proc.wait()


def free_port() -> int:
    """A TCP port nothing listens on now (loopback)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pdeathsig_prefix() -> list[str]:
    """argv prefix that makes the child get SIGKILL when the supervisor's thread that started it ends (kept across
    exec; children are only started from the event loop's thread, which lives as long as the supervisor). Empty when
    util-linux's setpriv is missing: the reaper still ends the children then."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


class Reaper:
    """The process that ends every child's process group when the supervisor dies (REAPER_CODE)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.groups: set[int] = set()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", REAPER_CODE], stdin=subprocess.PIPE,
            start_new_session=True,  # a terminal's signals to the supervisor's group must not reach it
        )  # fmt: skip
        for pgid in sorted(self.groups):
            self._send(f"add {pgid}")

    def add(self, pgid: int) -> None:
        self.groups.add(pgid)
        self._send(f"add {pgid}")

    def drop(self, pgid: int) -> None:
        self.groups.discard(pgid)
        self._send(f"drop {pgid}")

    def _send(self, line: str) -> None:
        if self.proc is None or self.proc.stdin is None:
            return
        try:
            self.proc.stdin.write(f"{line}\n".encode())
            self.proc.stdin.flush()
        except OSError:
            pass  # it died: keep() starts it again and sends every group

    async def keep(self) -> None:
        """Start the reaper again whenever it dies."""
        while True:
            assert self.proc is not None
            code = await wait_pid(self.proc)
            log(f"reaper (pid {self.proc.pid}) {describe_exit(code)}; starting it again")
            with contextlib.suppress(OSError):
                self.proc.stdin.close()  # type: ignore[union-attr]
            self.start()

    def close(self) -> None:
        """Normal stop, after every group was stopped: end of input, and the reaper has nothing left to kill."""
        if self.proc is None:
            return
        with contextlib.suppress(OSError):
            self.proc.stdin.close()  # type: ignore[union-attr]
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _pipe_output(name: str, stream: object) -> None:
    for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
        with _print_lock:
            sys.stdout.write(f"[{name}] {raw.decode(errors='replace')}")
            sys.stdout.flush()


@dataclass
class Child:
    """One supervised service and its restart history."""

    service: Service
    env: dict[str, str]
    settings: SupervisorSettings
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    crashes_in_a_row: int = 0
    restarts: int = 0
    answered: bool = False  # the probe has been answered since the last start
    _steady: set[int] = field(default_factory=set)  # the group's members when the probe was first answered
    on_started: Callable[[Child], None] | None = None
    reaper: Reaper | None = None
    probe_url: str | None = None  # where this run of the child is probed (its own port for a replica)
    _members: dict[int, float] = field(default_factory=dict)  # pid → first seen (monotonic)

    @property
    def name(self) -> str:
        return self.service.name

    def start(self) -> None:
        svc = self.service
        argv, self.probe_url = list(svc.argv), svc.probe_url
        if svc.probe_port_flag and svc.probe_url:
            port = free_port()
            argv += [svc.probe_port_flag, str(port)]
            self.probe_url = f"http://127.0.0.1:{port}{urlsplit(svc.probe_url).path or '/'}"
        self.proc = subprocess.Popen(
            [*pdeathsig_prefix(), *argv], cwd=svc.cwd, env={**self.env, **svc.env},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as a whole, never by the terminal's Ctrl-C
        )  # fmt: skip
        if self.reaper is not None:
            self.reaper.add(self.proc.pid)
        self.started_at = time.monotonic()
        self.answered = False
        self._steady = set()
        self._members = {}
        threading.Thread(target=_pipe_output, args=(self.name, self.proc.stdout), daemon=True).start()
        log(f"started {self.name} (pid {self.proc.pid})")
        if self.on_started is not None:
            self.on_started(self)

    async def watch(self) -> str:
        """Return why the child is to be restarted (it died, a worker died, or it stopped answering)."""
        assert self.proc is not None
        tasks = {asyncio.create_task(wait_pid(self.proc)): "pid", asyncio.create_task(self._watch_members()): "members"}
        if self.probe_url:
            tasks[asyncio.create_task(self._watch_probe(self.probe_url))] = "probe"
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        task = next(iter(done))
        if tasks[task] == "pid":
            return f"died: {describe_exit(task.result())}"
        return task.result()

    async def _watch_members(self) -> str:
        assert self.proc is not None
        pgid = self.proc.pid
        while True:
            await asyncio.sleep(MEMBER_SCAN_SECONDS)
            now = time.monotonic()
            live = await asyncio.to_thread(group_members, pgid)
            for pid in live:
                self._members.setdefault(pid, now)
            gone = {pid for pid in self._members if pid not in live} | (self._steady - live)
            for pid in sorted(gone - {pgid}):
                if self._watched(pid, self._members.get(pid, now), now):
                    return f"its process {pid} (a forked worker) died while the main process lives on"
            for pid in gone:
                self._members.pop(pid, None)
                self._steady.discard(pid)

    def _watched(self, pid: int, first_seen: float, now: float) -> bool:
        """A member whose death is a crash: one that was there when the service first answered (Sanic's worker
        serves that answer), or for a service without a probe one that had settled. Helpers started later to do one
        job (a speech synthesiser, a short subprocess) may come and go."""
        if self.probe_url:
            return pid in self._steady
        return now - first_seen >= MEMBER_SETTLE_SECONDS

    async def _watch_probe(self, url: str) -> str:
        failures = 0
        while True:
            s = self.settings
            await asyncio.sleep(s.probe_interval)
            if await probe(url, s.probe_timeout):
                if not self.answered:
                    assert self.proc is not None
                    self._steady = await asyncio.to_thread(group_members, self.proc.pid)
                    self.answered = True
                failures = 0
                continue
            if not self.answered:
                continue  # still starting (loading a model can take a minute): not a failure yet
            failures += 1
            if failures >= s.probe_failures:
                return f"stopped answering {url} ({failures} probes in a row, {s.probe_timeout:g} s each)"

    async def kill_group(self) -> None:
        """SIGKILL the child's whole process group and wait until no member is left (orphans included)."""
        assert self.proc is not None
        pgid = self.proc.pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while await asyncio.to_thread(group_members, pgid) and time.monotonic() < deadline:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
            await asyncio.sleep(0.05)
        if self.proc.poll() is None:
            await asyncio.to_thread(self.proc.wait)
        if self.reaper is not None and not group_members(pgid):
            self.reaper.drop(pgid)

    async def stop(self, grace: float) -> None:
        """SIGTERM the group, SIGKILL whatever is left after `grace` seconds."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        if self.proc.poll() is None or group_members(pgid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and (self.proc.poll() is None or group_members(pgid)):
                await asyncio.sleep(0.1)
            if self.proc.poll() is None or group_members(pgid):
                log(f"{self.name} did not stop in {grace:.0f} s; killing it")
        await self.kill_group()

    def next_delay(self) -> float:
        """Count this crash and return the back-off before the restart."""
        uptime = time.monotonic() - self.started_at
        if uptime >= self.settings.restart_reset_after:
            self.crashes_in_a_row = 0
        self.crashes_in_a_row += 1
        s = self.settings
        return min(s.restart_base_delay * 2 ** (self.crashes_in_a_row - 1), s.restart_max_delay)


class Supervisor:
    def __init__(self, services: list[Service], env: dict[str, str], settings: SupervisorSettings) -> None:
        self.settings = settings
        self.reaper = Reaper()
        self.children = [Child(svc, env, settings, reaper=self.reaper) for svc in services]
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Start every child and keep it up until stop(); then stop them all."""
        self.reaper.start()
        for child in self.children:
            child.start()
        keepers = [asyncio.create_task(self._keep(child), name=f"keep-{child.name}") for child in self.children]
        keepers.append(asyncio.create_task(self.reaper.keep(), name="keep-reaper"))
        try:
            await self._stopping.wait()
        finally:
            for task in keepers:
                task.cancel()
            await asyncio.gather(*keepers, return_exceptions=True)
            log("stopping all services")
            await asyncio.gather(*(child.stop(self.settings.stop_grace) for child in self.children))
            for child in self.children:
                code = child.proc.returncode if child.proc is not None else None
                extra = f", restarted {child.restarts} time(s)" if child.restarts else ""
                log(f"{child.name}: {describe_exit(code or 0)}{extra}")
            await asyncio.to_thread(self.reaper.close)

    async def _keep(self, child: Child) -> None:
        while True:
            why = await child.watch()
            assert child.proc is not None
            old_pid = child.proc.pid
            uptime = time.monotonic() - child.started_at
            await child.kill_group()
            delay = child.next_delay()
            log(
                f"{child.name} (pid {old_pid}) {why}, after {uptime:.1f} s up; crash {child.crashes_in_a_row} in a "
                f"row, {child.restarts + 1} restart(s) so far; restarting in {delay:.1f} s"
            )
            await asyncio.sleep(delay)
            child.restarts += 1
            child.start()
