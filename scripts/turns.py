"""Two processes of one service taking turns on one port: the standby is fully started and waits for the port.

Both processes start (load models, warm up) and then wait for an exclusive lock on the same file (flock) before they
open the port. One serves; the other waits, ready. When the serving one dies, however it dies, the kernel releases
its lock and the standby opens the port within milliseconds; the supervisor restarts the dead one, which becomes the
standby. Only one ever serves, so state kept in one process (the embedded profile's in-process lock store, a
gateway's memory) is never shared by two at once. Used by bot/serve.py (Rasa).

`serve_probe` answers the supervisor's probe of this process on a port of its own: at once while it waits, and while
it serves only when its service port answers (a hung server stays silent and is restarted; the standby is never
mistaken for it). Standard library only: it runs in both Python environments.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.server
import logging
import os
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

logger = logging.getLogger("turns")


class Turn:
    """This process's turn to serve `port`: the exclusive lock on `path`, held until the process ends."""

    def __init__(self, path: Path, port: int, what: str = "server") -> None:
        self.path = Path(path)
        self.port = port
        self.what = what
        self.serving = False
        self._fd: int | None = None

    def take(self) -> None:
        """Block until no other process holds the lock, then hold it (the kernel lets go when this process ends)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by children (PEP 446)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("standby: %s ready; serving as soon as the one holding %s stops", self.what, self.path)
            fcntl.flock(fd, fcntl.LOCK_EX)
        self._fd = fd
        self.serving = True
        logger.info("this %s now serves on port %d", self.what, self.port)

    async def wait(self) -> None:
        """`take()` without blocking the event loop, in a daemon thread (an executor's thread would keep a process
        that is asked to stop while it waits from ending)."""
        import asyncio

        loop = asyncio.get_running_loop()
        taken: asyncio.Future[None] = loop.create_future()

        def take() -> None:
            self.take()
            with contextlib.suppress(RuntimeError):  # the loop is closed: the process is stopping
                loop.call_soon_threadsafe(lambda: taken.done() or taken.set_result(None))

        threading.Thread(target=take, name="standby-turn", daemon=True).start()
        await taken

    def alive(self) -> bool:
        """For the probe: waiting counts as alive; serving, only when the port answers HTTP (any status)."""
        if not self.serving:
            return True
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=5):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False


def serve_probe(turn: Turn, port: int) -> None:
    """Answer GET on 127.0.0.1:`port` (a thread) while `turn.alive()`; otherwise hang up without an answer."""

    class Probe(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if not turn.alive():
                self.close_connection = True
                return
            body = b"serving" if turn.serving else b"standby"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Probe)
    threading.Thread(target=server.serve_forever, name="standby-probe", daemon=True).start()


def pop_option(argv: list[str], flag: str) -> str | None:
    """Remove `flag VALUE` from argv (anywhere) and return VALUE."""
    if flag not in argv:
        return None
    at = argv.index(flag)
    value = argv[at + 1]
    del argv[at : at + 2]
    return value
