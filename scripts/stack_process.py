"""Run the whole stack (scripts.run_stack) as a child process: used by the end-to-end tests and the benchmarks.

`StackProcess(..., scaled=True)` runs the scaled profile (`--scaled`); `pid(name)` reads the pid the supervisor
logged for a service ("rasa", "actions", "gateway", "worker"; "rasa-0", "actions-0" in the scaled profile), so tests
can kill one, and `wait_for_log` waits for a line the supervisor writes (e.g. its restart message).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class StackError(RuntimeError):
    pass


class StackProcess:
    """Start the three services on the given ports; `url` is the gateway."""

    def __init__(
        self,
        gateway_port: int,
        rasa_port: int,
        actions_port: int,
        workdir: Path,
        extra_env: dict[str, str] | None = None,
        *,
        scaled: bool = False,
    ) -> None:
        self.scaled = scaled
        self.gateway_port = gateway_port
        self.url = f"http://127.0.0.1:{gateway_port}"
        self.workdir = workdir
        self.log_path = workdir / "stack.log"
        self.env = dict(os.environ)
        self.env.update(
            CHIBA_GATEWAY_PORT=str(gateway_port),
            CHIBA_RASA_PORT=str(rasa_port),
            CHIBA_ACTIONS_PORT=str(actions_port),
            CHIBA_TRACKER_DB=str(workdir / "tracker.db"),
            CHIBA_DATABASE_URL=f"sqlite:///{workdir / 'app.db'}",  # application data of this stack only
            PYTHONPATH=str(ROOT),
        )
        self.env.update(extra_env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.cold_start_seconds: float | None = None

    def start(self, timeout: float = 420.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scripts.run_stack", *(["--scaled"] if self.scaled else [])],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise StackError(f"stack exited ({self.proc.returncode}) before it was ready:\n{self.log_tail()}")
            status, _ = self.get("/healthz")
            if status == 200:
                self.cold_start_seconds = time.monotonic() - started
                return
            time.sleep(1.0)
        self.stop()
        raise StackError(f"stack not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def pid(self, name: str) -> int:
        """The pid of the service's current process (the last one the supervisor started)."""
        found = re.findall(rf"\[stack\] started {re.escape(name)} \(pid (\d+)\)", self.log_text())
        if not found:
            raise StackError(f"no {name} started:\n{self.log_tail()}")
        return int(found[-1])

    def wait_for_log(self, pattern: str, timeout: float = 60.0, *, after: int = 0) -> re.Match[str]:
        """Wait until a log line matching the regular expression `pattern` appears past character `after`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.log_text()[after:])
            if match:
                return match
            time.sleep(0.2)
        raise StackError(f"no log line matching {pattern!r} after {timeout:.0f} s:\n{self.log_tail()}")

    def wait_healthy(self, timeout: float = 180.0) -> float:
        """Wait for /healthz 200; returns the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.get("/healthz")[0] == 200:
                return time.monotonic() - started
            time.sleep(0.25)
        raise StackError(f"/healthz not 200 after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def get(self, path: str) -> tuple[int, dict[str, Any] | str]:
        return self._request(urllib.request.Request(self.url + path))

    def chat(self, text: str, sender_id: str = "e2e", lang: str = "ja") -> tuple[int, dict[str, Any] | str]:
        body = json.dumps({"sender_id": sender_id, "text": text, "lang": lang}).encode()
        req = urllib.request.Request(self.url + "/api/chat", data=body, headers={"Content-Type": "application/json"})
        return self._request(req)

    @staticmethod
    def _request(req: urllib.request.Request) -> tuple[int, dict[str, Any] | str]:
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, _decode(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, _decode(exc.read())
        except OSError as exc:
            return 0, str(exc)

    def __enter__(self) -> StackProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _decode(raw: bytes) -> dict[str, Any] | str:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")
