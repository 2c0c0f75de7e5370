"""`python -m bot.serve run ...`: `rasa run ...` (same arguments), except that a custom action whose connection to the
action server broke is called again, and that with `--standby-lock PATH` two Rasa servers can take turns on one port.

Why: the action server runs as several processes sharing one port (scripts/run_stack.py). When one is killed, the
calls it had accepted fail with a broken connection, and Rasa 3.6 then goes on without the action ("the actions
events are lost"): the resident gets no answer, or half of one. Sent again, the call reaches a live process (every
call opens a new connection, `EndpointConfig.request`) and the turn is answered in full. Only a connection that
broke is retried (refused, reset, closed before the answer); an action server that answered — an error status, a
rejection — is never asked twice.

The action may have run before its process died; running it again is what a resident asked to "try again" would do,
and every write that must not be doubled is guarded by the database (storage/).

Standby (`--standby-lock PATH`, the embedded profile; scripts/turns.py): Rasa loads its model before it opens its
port (Sanic's `before_server_start`), which takes tens of seconds. Two servers started with the same lock file both
load the model, then take turns on the port: one serves, the other waits loaded and opens the port within
milliseconds of the first one's death. Only one ever serves, so the embedded profile's SQLite tracker store and
in-process lock store stay correct. `--probe-port N` answers the supervisor's probe of this process.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from scripts.turns import Turn, pop_option, serve_probe

__all__ = ["Turn", "install_action_retry", "install_standby", "main", "serve_probe"]

logger = logging.getLogger("bot.serve")

RETRIES = 3
RETRY_DELAY = 0.25  # seconds before the first retry; then twice, three times that (1.5 s in all)


def broken_connection(exc: BaseException) -> BaseException | None:
    """The aiohttp connection error behind `exc` (its cause or context chain), if any."""
    import aiohttp

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, aiohttp.ClientConnectionError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def install_action_retry() -> None:
    """Wrap RemoteAction.run (once) so that a call whose connection broke is sent again, RETRIES times at most."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.exceptions import RasaException

    original = RemoteAction.run
    if getattr(original, "retries_broken_connections", False):
        return

    async def run(self: RemoteAction, *args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, RETRIES + 2):
            try:
                return await original(self, *args, **kwargs)
            except RasaException as exc:
                cause = broken_connection(exc)
                if cause is None or attempt > RETRIES:
                    raise
                logger.warning(
                    "action %s: the connection to the action server broke (%s); calling it again (%d/%d)",
                    self.name(), type(cause).__name__, attempt, RETRIES,
                )  # fmt: skip
                await asyncio.sleep(RETRY_DELAY * attempt)
        raise AssertionError("unreachable")

    run.retries_broken_connections = True  # type: ignore[attr-defined]
    RemoteAction.run = run  # type: ignore[method-assign]


def install_standby(turn: Turn) -> None:
    """Make Sanic's run() wait for the turn after every other before_server_start listener (Rasa's model load)."""
    from sanic import Sanic

    original = Sanic.run

    def run(self: Sanic, *args: Any, **kwargs: Any) -> Any:
        async def wait_for_turn(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
            await turn.wait()

        self.register_listener(wait_for_turn, "before_server_start")
        return original(self, *args, **kwargs)

    Sanic.run = run  # type: ignore[method-assign]


def rasa_port(argv: list[str]) -> int:
    for flag in ("-p", "--port"):
        if flag in argv:
            return int(argv[argv.index(flag) + 1])
    return 5005  # rasa run's default


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    lock, probe_port = pop_option(args, "--standby-lock"), pop_option(args, "--probe-port")
    install_action_retry()
    if lock is not None:
        turn = Turn(Path(lock), rasa_port(args), "Rasa server")
        install_standby(turn)
        if probe_port is not None:
            serve_probe(turn, int(probe_port))
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
