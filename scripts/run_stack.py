"""Start Rasa, the action server, the gateway and the notification worker together, and keep them together.

First, once: the application database is migrated and the example smartphone-class catalogue is loaded if the
catalogue is empty (`storage.smartphone_import --example-if-empty`), its output in this log; a failure there is
reported and the services start anyway. The worker is left out with CHIBA_WORKER_ENABLED=false.
One Ctrl-C stops all of them; if one dies, the others are stopped and the log says which one and how it ended.
Ports come from the environment (CHIBA_RASA_PORT, CHIBA_ACTIONS_PORT, CHIBA_GATEWAY_PORT), so tests can run a
second stack beside a running one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from settings import SettingsError, StackSettings, WorkerSettings

ROOT = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 10.0
PREPARE_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class Service:
    name: str
    argv: list[str]
    cwd: Path
    env: dict[str, str]


def child_env(s: StackSettings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "1"),
        TOKENIZERS_PARALLELISM="false",
        SANIC_HOST="127.0.0.1",  # rasa_sdk binds 0.0.0.0 unless told otherwise
        RASA_URL=f"http://127.0.0.1:{s.rasa_port}",
        ACTION_SERVER_URL=f"http://127.0.0.1:{s.actions_port}",
        CHIBA_TRACKER_DB=str(s.tracker_db),
        CHIBA_GATEWAY_PORT=str(s.gateway_port),
        RASA_TELEMETRY_ENABLED="false",
    )
    return env


SERVICES_PYTHON = ROOT / ".venvs/services/bin/python"


def prepare_steps() -> list[Service]:
    """What runs once, in order, before the services start."""
    python = str(SERVICES_PYTHON)
    # The import migrates the database first; it loads the example classes only into an empty catalogue.
    return [Service("catalogue", [python, "-m", "storage.smartphone_import", "--example-if-empty"], ROOT, {})]


def services(s: StackSettings, *, worker: bool = True) -> list[Service]:
    bot_bin = ROOT / ".venvs/bot/bin"
    svc_python = str(SERVICES_PYTHON)
    children = [
        Service(
            "rasa",
            [str(bot_bin / "rasa"), "run", "--model", str(s.rasa_model), "--endpoints", "endpoints.yml",
             "--credentials", "credentials.yml", "-i", "127.0.0.1", "-p", str(s.rasa_port)],
            ROOT / "bot",
            # Rasa's endpoints.yml wants the webhook itself; the gateway wants the server's base URL.
            {"ACTION_SERVER_URL": f"http://127.0.0.1:{s.actions_port}/webhook"},
        ),
        Service("actions", [svc_python, "-m", "rasa_sdk", "--actions", "actions", "-p", str(s.actions_port)], ROOT, {}),
        Service("gateway", [svc_python, "-m", "channels"], ROOT, {}),
    ]
    if worker:
        children.append(Service("worker", [svc_python, "-m", "channels.worker"], ROOT, {}))
    return children


def log(msg: str) -> None:
    print(f"[stack] {msg}", flush=True)


async def pipe_output(name: str, stream: asyncio.StreamReader) -> None:
    while line := await stream.readline():
        sys.stdout.write(f"[{name}] {line.decode(errors='replace')}")
        sys.stdout.flush()


def healthz(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except OSError as exc:
        return 0, str(exc)


async def prepare(env: dict[str, str]) -> None:
    """Run the prepare steps one after the other, their output in the log; a failed step is reported, not fatal."""
    for step in prepare_steps():
        proc = await asyncio.create_subprocess_exec(
            *step.argv, cwd=step.cwd, env={**env, **step.env},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        assert proc.stdout is not None
        try:
            await asyncio.wait_for(pipe_output(step.name, proc.stdout), PREPARE_TIMEOUT_SECONDS)
            code = await asyncio.wait_for(proc.wait(), PREPARE_TIMEOUT_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            log(f"{step.name} did not finish in {PREPARE_TIMEOUT_SECONDS:.0f} s; starting the services anyway")
            continue
        if code != 0:
            log(f"{step.name} failed ({describe_exit(code)}); starting the services anyway")


async def wait_ready(s: StackSettings, started: float) -> None:
    last = ""
    while time.monotonic() - started < s.ready_timeout:
        status, body = await asyncio.to_thread(healthz, s.gateway_url)
        if status == 200:
            log(f"ready after {time.monotonic() - started:.1f} s — open {s.gateway_url}/ (Ctrl-C stops everything)")
            return
        if body != last:
            last = body
            log(f"waiting for the services (healthz {status}): {body[:200]}")
        await asyncio.sleep(2)
    log(f"not ready after {s.ready_timeout:.0f} s; still running, see the logs above")


async def stop_all(procs: dict[str, asyncio.subprocess.Process]) -> None:
    for proc in procs.values():
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, proc in procs.items():
        try:
            await asyncio.wait_for(proc.wait(), max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            log(f"{name} did not stop in {STOP_GRACE_SECONDS:.0f} s; killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()


def describe_exit(code: int) -> str:
    if code < 0:
        return f"killed by signal {signal.Signals(-code).name}"
    return f"exit code {code}"


async def main() -> int:
    try:
        s = StackSettings.from_env()
        worker = WorkerSettings.from_env()
    except SettingsError as exc:
        log(f"bad setting: {exc}")
        return 2
    if not s.rasa_model.exists():
        log(f"no trained Rasa model at {s.rasa_model}; run `make train` (or `make run`) first")
        return 2
    s.tracker_db.parent.mkdir(parents=True, exist_ok=True)
    env = child_env(s)
    started = time.monotonic()
    await prepare(env)
    if not worker.enabled:
        log("notification worker off (CHIBA_WORKER_ENABLED=false)")
    procs: dict[str, asyncio.subprocess.Process] = {}
    pipes = []
    for svc in services(s, worker=worker.enabled):
        proc = await asyncio.create_subprocess_exec(
            *svc.argv, cwd=svc.cwd, env={**env, **svc.env},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # the supervisor alone decides when children stop
        )
        procs[svc.name] = proc
        assert proc.stdout is not None
        pipes.append(asyncio.create_task(pipe_output(svc.name, proc.stdout)))
        log(f"started {svc.name} (pid {proc.pid})")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    ready = asyncio.create_task(wait_ready(s, started))
    waits = {asyncio.create_task(p.wait()): name for name, p in procs.items()}
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*waits, stopper], return_when=asyncio.FIRST_COMPLETED)
    ready.cancel()
    rc = 0
    if stopper in done:
        log("stopping all services")
    else:
        for task in done:
            if task in waits:
                name = waits[task]
                log(f"{name} stopped unexpectedly ({describe_exit(task.result())}); stopping the others")
        rc = 1
    await stop_all(procs)
    for task in pipes:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 2)
    for name, proc in procs.items():
        log(f"{name}: {describe_exit(proc.returncode or 0)}")
    return rc


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
