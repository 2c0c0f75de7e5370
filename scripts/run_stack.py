"""Start Rasa, the action server, the gateway and the notification worker together, and keep them up.

`python -m scripts.run_stack` (`make run`): the embedded profile, one of each, SQLite, nothing else to start.
`python -m scripts.run_stack --scaled` (`make run-scaled`): CHIBA_RASA_SERVERS Rasa servers (default 2) on
consecutive ports from CHIBA_RASA_PORT, CHIBA_ACTION_SERVERS action servers (default 1) from CHIBA_ACTIONS_PORT, one
gateway and the worker, on PostgreSQL (Rasa's trackers: CHIBA_TRACKER_URL; application data: CHIBA_DATABASE_URL) and
Redis (the atomic lock store and the users' languages: CHIBA_REDIS_URL). Unset, these default to this machine's
servers (127.0.0.1:5432 databases `chiba` and `chiba_tracker`, created when missing; Redis 127.0.0.1:6379 db 0).

First, once: the application database is migrated and the example smartphone-class catalogue is loaded if the
catalogue is empty (`storage.smartphone_import --example-if-empty`), its output in this log; a failure there is
reported and the services start anyway. The worker is left out with CHIBA_WORKER_ENABLED=false.

Every action server runs as CHIBA_ACTION_REPLICAS processes (default 2) sharing its port (SO_REUSEPORT), each
loading the knowledge base before it listens: when one is killed, the others keep answering while it restarts
(`actions`, `actions/2`; scaled: `actions-0`, `actions-0/2`). Rasa is started through `bot.serve`, which retries an
action call whose connection broke (a replica killed mid-call), so that turn is answered by another replica. In the
embedded profile a second Rasa server (`rasa/2`, CHIBA_RASA_STANDBY) loads the model too and waits; it opens the port
the moment the serving one dies (the scaled profile's gateway routes around a dead Rasa server instead).

Each service runs in its own process group. One that dies (or whose forked worker dies, or that stops answering)
is killed as a whole and started again after a back-off (CHIBA_RESTART_*), and the log says which, why and how
often; the others go on. One Ctrl-C (or SIGTERM) stops all of them. Ports come from the environment
(CHIBA_RASA_PORT, CHIBA_ACTIONS_PORT, CHIBA_GATEWAY_PORT), so tests can run a second stack beside a running one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from scripts.supervisor import Service, Supervisor, describe_exit, log
from settings import SettingsError, StackSettings, SupervisorSettings, WorkerSettings

ROOT = Path(__file__).resolve().parent.parent
PREPARE_TIMEOUT_SECONDS = 300.0
SERVICES_PYTHON = ROOT / ".venvs/services/bin/python"

# Scaled profile: where PostgreSQL and Redis are when the environment does not say (this machine's own servers).
SCALED_DEFAULTS = {
    "CHIBA_DATABASE_URL": "postgresql+psycopg://127.0.0.1:5432/chiba",
    "CHIBA_TRACKER_URL": "postgresql://127.0.0.1:5432/chiba_tracker",
    "CHIBA_REDIS_URL": "redis://127.0.0.1:6379/0",
    "CHIBA_REDIS_PREFIX": "chiba",
}

__all__ = ["Service", "describe_exit", "main", "prepare", "prepare_steps", "scaled_services", "services"]


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


def scaled_env(s: StackSettings, sup: SupervisorSettings) -> dict[str, str]:
    """child_env plus what scale's pieces read (_parts/scale-env.md): the Rasa URLs, PostgreSQL and Redis."""
    env = child_env(s)
    for name, default in SCALED_DEFAULTS.items():
        env[name] = os.environ.get(name, "").strip() or default
    env["CHIBA_RASA_URLS"] = ",".join(f"http://127.0.0.1:{port}" for port in rasa_ports(s, sup))
    return env


def rasa_ports(s: StackSettings, sup: SupervisorSettings) -> list[int]:
    return [s.rasa_port + i for i in range(sup.rasa_servers)]


def action_ports(s: StackSettings, sup: SupervisorSettings) -> list[int]:
    return [s.actions_port + i for i in range(sup.action_servers)]


def prepare_steps() -> list[Service]:
    """What runs once, in order, before the services start."""
    python = str(SERVICES_PYTHON)
    # The import migrates the database first; it loads the example classes only into an empty catalogue.
    return [Service("catalogue", [python, "-m", "storage.smartphone_import", "--example-if-empty"], ROOT, {})]


def _rasa(
    name: str, s: StackSettings, port: int, actions_port: int, endpoints: str, standby_lock: Path | None = None
) -> Service:
    bot_bin = ROOT / ".venvs/bot/bin"
    # `rasa run` through bot.serve: the same command line, plus a retry of action calls whose connection broke, and
    # with a standby lock the turn-taking of two servers on one port.
    turns = ["--standby-lock", str(standby_lock)] if standby_lock else []
    argv = [str(bot_bin / "python"), "-m", "bot.serve", *turns, "run", "--model", str(s.rasa_model),
            "--endpoints", endpoints, "--credentials", "credentials.yml",
            "-i", "127.0.0.1", "-p", str(port)]  # fmt: skip
    return Service(
        name,
        argv,
        ROOT / "bot",
        # Rasa's endpoints.yml wants the webhook itself; the gateway wants the server's base URL.
        {"ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook"},
        probe_url=f"http://127.0.0.1:{port}/",
        probe_port_flag="--probe-port" if standby_lock else None,
    )


def _embedded_rasa(s: StackSettings, standby: bool) -> list[Service]:
    """One Rasa server; with `standby` a second one loads the model too and takes over the port the moment the first
    dies (bot/serve.py: a lock file decides which one serves, so only one ever does)."""
    if not standby:
        return [_rasa("rasa", s, s.rasa_port, s.actions_port, "endpoints.yml")]
    lock = s.tracker_db.parent / f"rasa-{s.rasa_port}.lock"
    return [_rasa(name, s, s.rasa_port, s.actions_port, "endpoints.yml", lock) for name in ("rasa", "rasa/2")]


def _actions(name: str, port: int, replicas: int = 1) -> list[Service]:
    """One action server on `port`: `replicas` processes sharing it, each probed on a port of its own."""
    argv = [str(SERVICES_PYTHON), "-m", "actions.server", "--actions", "actions", "-p", str(port)]
    if replicas <= 1:
        return [Service(name, argv, ROOT, {}, probe_url=f"http://127.0.0.1:{port}/health")]
    return [
        Service(
            name if k == 1 else f"{name}/{k}",
            [*argv, "--reuse-port"],
            ROOT,
            {},
            probe_url=f"http://127.0.0.1:{port}/health",
            probe_port_flag="--probe-port",
        )
        for k in range(1, replicas + 1)
    ]


def _gateway_and_worker(s: StackSettings, worker: bool) -> list[Service]:
    svc_python = str(SERVICES_PYTHON)
    children = [
        Service("gateway", [svc_python, "-m", "channels"], ROOT, {}, probe_url=f"http://127.0.0.1:{s.gateway_port}/")
    ]
    if worker:
        children.append(Service("worker", [svc_python, "-m", "channels.worker"], ROOT, {}))
    return children


def services(s: StackSettings, *, worker: bool = True, replicas: int = 1, rasa_standby: bool = False) -> list[Service]:
    """The embedded profile: one Rasa server (SQLite trackers, in-process lock store; with `rasa_standby` a second one
    waits, loaded, to take its port over), one action server (as `replicas` processes)."""
    return [
        *_embedded_rasa(s, rasa_standby),
        *_actions("actions", s.actions_port, replicas),
        *_gateway_and_worker(s, worker),
    ]


def scaled_services(
    s: StackSettings, sup: SupervisorSettings, *, worker: bool = True, replicas: int = 1
) -> list[Service]:
    """The scaled profile: rasa-0..N-1 (Rasa server i calls action server i % M), actions-0..M-1 (each as `replicas`
    processes), gateway, worker."""
    actions = action_ports(s, sup)
    rasa = [
        _rasa(f"rasa-{i}", s, port, actions[i % len(actions)], "endpoints.scaled.yml")
        for i, port in enumerate(rasa_ports(s, sup))
    ]
    servers = [svc for i, port in enumerate(actions) for svc in _actions(f"actions-{i}", port, replicas)]
    return [*rasa, *servers, *_gateway_and_worker(s, worker)]


def ensure_postgres_databases(env: dict[str, str]) -> None:
    """Create the scaled profile's PostgreSQL databases when missing (Rasa creates tables, not databases)."""
    import psycopg
    from sqlalchemy import make_url

    for var in ("CHIBA_DATABASE_URL", "CHIBA_TRACKER_URL"):
        url = make_url(env[var])
        if not url.get_backend_name().startswith("postgresql") or not url.database:
            continue
        admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        try:
            with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)).fetchone()
                if not exists:
                    conn.execute(f'CREATE DATABASE "{url.database}"')
                    log(f"created PostgreSQL database {url.database} ({var})")
        except psycopg.Error as exc:
            log(f"cannot prepare PostgreSQL database {url.database} ({var}): {type(exc).__name__}; starting anyway")


async def _pipe(name: str, stream: asyncio.StreamReader) -> None:
    while line := await stream.readline():
        sys.stdout.write(f"[{name}] {line.decode(errors='replace')}")
        sys.stdout.flush()


async def prepare(env: dict[str, str]) -> None:
    """Run the prepare steps one after the other, their output in the log; a failed step is reported, not fatal."""
    for step in prepare_steps():
        proc = await asyncio.create_subprocess_exec(
            *step.argv, cwd=step.cwd, env={**env, **step.env},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        assert proc.stdout is not None
        try:
            await asyncio.wait_for(_pipe(step.name, proc.stdout), PREPARE_TIMEOUT_SECONDS)
            code = await asyncio.wait_for(proc.wait(), PREPARE_TIMEOUT_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            log(f"{step.name} did not finish in {PREPARE_TIMEOUT_SECONDS:.0f} s; starting the services anyway")
            continue
        if code != 0:
            log(f"{step.name} failed ({describe_exit(code)}); starting the services anyway")


def healthz(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except OSError as exc:
        return 0, str(exc)


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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scripts.run_stack", description=__doc__.splitlines()[0])
    parser.add_argument("--scaled", action="store_true", help="several Rasa and action servers on PostgreSQL and Redis")
    return parser.parse_args(argv)


async def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        s = StackSettings.from_env()
        worker = WorkerSettings.from_env()
        sup = SupervisorSettings.from_env()
    except SettingsError as exc:
        log(f"bad setting: {exc}")
        return 2
    if not s.rasa_model.exists():
        log(f"no trained Rasa model at {s.rasa_model}; run `make train` (or `make run`) first")
        return 2
    started = time.monotonic()
    if args.scaled:
        env = scaled_env(s, sup)
        await asyncio.to_thread(ensure_postgres_databases, env)
        children = scaled_services(s, sup, worker=worker.enabled, replicas=sup.action_replicas)
        log(
            f"scaled profile: {sup.rasa_servers} Rasa server(s) on {env['CHIBA_RASA_URLS']}, "
            f"{sup.action_servers} action server(s) from port {s.actions_port}, "
            f"{sup.action_replicas} process(es) each"
        )
    else:
        s.tracker_db.parent.mkdir(parents=True, exist_ok=True)
        env = child_env(s)
        children = services(s, worker=worker.enabled, replicas=sup.action_replicas, rasa_standby=sup.rasa_standby)
    await prepare(env)
    if not worker.enabled:
        log("notification worker off (CHIBA_WORKER_ENABLED=false)")

    supervisor = Supervisor(children, env, sup)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, supervisor.stop)
    ready = asyncio.create_task(wait_ready(s, started))
    try:
        await supervisor.run()
    finally:
        ready.cancel()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
