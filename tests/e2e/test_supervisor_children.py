"""The supervisor (scripts/supervisor.py) with small stand-in services instead of Rasa: what an operator sees when a
service is killed, its forked worker is killed, it hangs, or it keeps crashing. No model needed; a few seconds each.

The stand-in is shaped like a Sanic server: its main process forks one worker that serves HTTP on the port, and the
main process then only waits (Sanic's manager does not restart a killed worker either).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from scripts.supervisor import Child, Service, Supervisor, free_port, group_members
from settings import SupervisorSettings

FAKE_SANIC = r"""
import http.server, os, sys, time
port = int(sys.argv[1])
server = http.server.HTTPServer(("127.0.0.1", port), type("H", (http.server.BaseHTTPRequestHandler,), {
    "do_GET": lambda self: (self.send_response(200), self.end_headers(), self.wfile.write(str(os.getpid()).encode())),
    "log_message": lambda self, *a: None,
}))
print("listening", flush=True)
if os.fork() == 0:
    server.serve_forever()  # the worker
else:
    server.socket.close()
    while True:
        time.sleep(1)  # the manager: lives on whatever happens to the worker
"""

FAST = SupervisorSettings(
    restart_base_delay=0.2, restart_max_delay=1.0, restart_reset_after=30.0,
    probe_interval=0.3, probe_timeout=0.5, probe_failures=2, stop_grace=2.0,
)  # fmt: skip


def answer(port: int) -> str | None:
    """The pid of the worker that answered, or None when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as resp:
            return resp.read().decode()
    except OSError:
        return None


async def until(check: object, timeout: float = 20.0) -> None:
    """Wait for `check()` to be true (a safety timeout, not a speed assertion)."""
    async with asyncio.timeout(timeout):
        while not await asyncio.to_thread(check):  # type: ignore[arg-type]
            await asyncio.sleep(0.1)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for init to reap it is dead)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] != b"Z"


def fake(name: str, port: int, tmp_path: Path) -> Service:
    return Service(name, [sys.executable, "-c", FAKE_SANIC, str(port)], tmp_path, {},
                   probe_url=f"http://127.0.0.1:{port}/")  # fmt: skip


@pytest.fixture
async def two_services(tmp_path: Path) -> AsyncIterator[tuple[Supervisor, list[int]]]:
    ports = [free_port(), free_port()]
    sup = Supervisor([fake("alpha", ports[0], tmp_path), fake("beta", ports[1], tmp_path)], dict(os.environ), FAST)
    runner = asyncio.create_task(sup.run())
    await until(lambda: all(answer(port) for port in ports))
    await until(lambda: all(child.answered for child in sup.children))
    yield sup, ports
    sup.stop()
    await asyncio.wait_for(runner, 30)


def worker_pid(child: Child) -> int:
    assert child.proc is not None
    return next(pid for pid in group_members(child.proc.pid) if pid != child.proc.pid)


async def test_killing_the_main_process_restarts_the_service_and_its_orphaned_worker_goes(
    two_services: tuple[Supervisor, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    sup, ports = two_services
    alpha, beta = sup.children
    assert alpha.proc is not None and beta.proc is not None
    old_main, old_worker, beta_pid = alpha.proc.pid, worker_pid(alpha), beta.proc.pid
    os.kill(old_main, signal.SIGKILL)  # only the main process: its worker is orphaned, still holding the port
    await until(lambda: alpha.proc is not None and alpha.proc.pid != old_main and answer(ports[0]) is not None)
    assert not alive(old_worker)
    assert answer(ports[0]) != str(old_worker)
    assert beta.proc.pid == beta_pid and beta.restarts == 0  # the other service was left alone
    out = capsys.readouterr().out
    assert f"[stack] alpha (pid {old_main}) died: killed by signal SIGKILL" in out
    assert "crash 1 in a row, 1 restart(s) so far; restarting in 0.2 s" in out


async def test_killing_the_forked_worker_restarts_the_service(
    two_services: tuple[Supervisor, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    sup, ports = two_services
    alpha = sup.children[0]
    assert alpha.proc is not None
    old_main, old_worker = alpha.proc.pid, worker_pid(alpha)
    alpha.settings = FAST.model_copy(update={"probe_failures": 1000})  # noticed by its pid, not by a probe
    os.kill(old_worker, signal.SIGKILL)  # the main process lives on and would serve nothing
    await until(lambda: alpha.proc is not None and alpha.proc.pid != old_main and answer(ports[0]) is not None)
    assert not alive(old_main)
    out = capsys.readouterr().out
    assert f"alpha (pid {old_main}) its process {old_worker} (a forked worker) died" in out


async def test_a_hung_service_is_restarted(
    two_services: tuple[Supervisor, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    sup, ports = two_services
    alpha = sup.children[0]
    assert alpha.proc is not None
    old_main = alpha.proc.pid
    os.killpg(old_main, signal.SIGSTOP)  # alive by pid, but answers nothing
    await until(lambda: alpha.proc is not None and alpha.proc.pid != old_main and answer(ports[0]) is not None)
    assert "stopped answering" in capsys.readouterr().out


async def test_a_service_that_keeps_crashing_is_restarted_with_growing_back_off(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crasher = Service("crasher", [sys.executable, "-c", "print('cannot start'); raise SystemExit(3)"], tmp_path, {})
    sup = Supervisor([crasher], dict(os.environ), FAST)
    runner = asyncio.create_task(sup.run())
    await until(lambda: sup.children[0].restarts >= 4)
    sup.stop()
    await asyncio.wait_for(runner, 10)
    out = capsys.readouterr().out
    assert "[crasher] cannot start" in out
    assert "died: exit code 3, after" in out
    for crash, delay in [(1, 0.2), (2, 0.4), (3, 0.8), (4, 1.0)]:  # doubled each time, capped at the maximum
        assert f"crash {crash} in a row, {crash} restart(s) so far; restarting in {delay:.1f} s" in out


async def test_stopping_ends_every_process_of_every_group(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    sup = Supervisor([fake("alpha", port, tmp_path)], dict(os.environ), FAST)
    runner = asyncio.create_task(sup.run())
    await until(lambda: answer(port) is not None)
    child = sup.children[0]
    assert child.proc is not None
    members = group_members(child.proc.pid)
    assert len(members) == 2
    sup.stop()
    await asyncio.wait_for(runner, 10)
    assert not any(alive(pid) for pid in members)
    assert answer(port) is None
    assert "[stack] stopping all services" in capsys.readouterr().out


def test_the_scaled_profile_starts_n_rasa_servers_and_m_action_servers_on_consecutive_ports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scripts.run_stack import scaled_env, scaled_services
    from settings import StackSettings

    for name in ("CHIBA_DATABASE_URL", "CHIBA_TRACKER_URL", "CHIBA_REDIS_URL", "CHIBA_REDIS_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    stack = StackSettings(rasa_port=18105, actions_port=18115, gateway_port=18180)
    sup = SupervisorSettings(rasa_servers=3, action_servers=2)
    children = scaled_services(stack, sup)
    assert [c.name for c in children] == ["rasa-0", "rasa-1", "rasa-2", "actions-0", "actions-1", "gateway", "worker"]
    rasa = children[:3]
    assert [c.argv[c.argv.index("-p") + 1] for c in rasa] == ["18105", "18106", "18107"]
    assert all(c.argv[c.argv.index("--endpoints") + 1] == "endpoints.scaled.yml" for c in rasa)
    # Rasa server i calls action server i % M.
    assert [c.env["ACTION_SERVER_URL"] for c in rasa] == [
        "http://127.0.0.1:18115/webhook", "http://127.0.0.1:18116/webhook", "http://127.0.0.1:18115/webhook",
    ]  # fmt: skip
    assert [c.argv[-1] for c in children[3:5]] == ["18115", "18116"]
    env = scaled_env(stack, sup)
    assert env["CHIBA_RASA_URLS"] == "http://127.0.0.1:18105,http://127.0.0.1:18106,http://127.0.0.1:18107"
    assert env["CHIBA_TRACKER_URL"].startswith("postgresql://") and env["CHIBA_REDIS_URL"].startswith("redis://")
    assert env["CHIBA_DATABASE_URL"].startswith("postgresql+psycopg://")


@pytest.mark.parametrize(
    ("replicas", "names"),
    [(1, ["actions"]), (2, ["actions", "actions/2"]), (3, ["actions", "actions/2", "actions/3"])],
)
def test_the_action_server_runs_as_replicas_that_share_its_port(replicas: int, names: list[str]) -> None:
    """The log names each process of the action server; replicas share the port and are probed on ports of their own."""
    from scripts.run_stack import services
    from settings import StackSettings

    children = [c for c in services(StackSettings(actions_port=18315), replicas=replicas) if c.name.startswith("act")]
    assert [c.name for c in children] == names
    assert all(c.argv[c.argv.index("-p") + 1] == "18315" for c in children)
    shared = replicas > 1
    assert all(("--reuse-port" in c.argv) == shared for c in children)
    assert all((c.probe_port_flag == "--probe-port") == shared for c in children)


@pytest.mark.parametrize(("standby", "names"), [(False, ["rasa"]), (True, ["rasa", "rasa/2"])])
def test_the_embedded_rasa_server_has_a_loaded_standby_that_takes_turns_on_its_port(
    standby: bool, names: list[str], tmp_path: Path
) -> None:
    """Both Rasa processes share one lock file (bot/serve.py): one serves, the other waits with its model loaded."""
    from scripts.run_stack import services
    from settings import StackSettings

    stack = StackSettings(rasa_port=18305, tracker_db=tmp_path / "tracker.db")
    rasa = [c for c in services(stack, rasa_standby=standby) if c.name.startswith("rasa")]
    assert [c.name for c in rasa] == names
    assert all(c.argv[c.argv.index("-p") + 1] == "18305" for c in rasa)
    locks = {c.argv[c.argv.index("--standby-lock") + 1] for c in rasa if "--standby-lock" in c.argv}
    assert locks == ({str(tmp_path / "rasa-18305.lock")} if standby else set())
    assert all((c.probe_port_flag == "--probe-port") == standby for c in rasa)
