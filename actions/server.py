"""`python -m actions.server`: rasa_sdk's action server, with three differences.

- An action that raises is answered with the exception's type only. rasa_sdk's own handler sends the whole action call
  back (the tracker: every message of the conversation) and Rasa logs that answer, so names and phone numbers typed
  into forms would reach the logs.
- One process: Sanic serves in the process the supervisor started (no forked worker that a kill of the main process
  would leave behind as an orphan holding the port, and a parent-death signal reaches the process that serves).
- The knowledge base is loaded (and the encoder warmed up) before the port is opened, so a listening action server
  can answer at once. With `--reuse-port` several action servers share the port (SO_REUSEPORT): while one is killed
  and restarted, the kernel gives every new connection to the others. `--probe-port N` also answers on a port of its
  own, for the supervisor to probe this process and not whichever replica the kernel picks.
- The message's e5 vector that the Rasa server sends with its action call is used for retrieval instead of encoding
  the message again (actions/common/shared_vector.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import time
import traceback
from typing import Any

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response

from actions.common.shared_vector import VectorSharingExecutor

logger = logging.getLogger("actions.server")
ROUTES = ["rasa_sdk.webhook", "rasa_sdk.actions", "rasa_sdk.health"]  # route handlers win over rasa_sdk's global one
BACKLOG = 100  # Sanic's default


async def _private_error(request: Any, exception: Exception) -> Any:
    # Frames only: an exception's message can quote what the resident typed.
    logger.error(
        "action failed on %s: %s\n%s",
        request.path,
        type(exception).__name__,
        "".join(traceback.format_tb(exception.__traceback__)),
    )
    return response.json({"error": type(exception).__name__}, status=500)


def create_private_app(executor: ActionExecutor, **options: Any) -> Sanic:
    app = create_app_for_serve(executor, **options)
    app.error_handler.add(Exception, _private_error, route_names=ROUTES)
    return app


def listen_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A bound, listening TCP socket; with `reuse_port` others may listen on the same port (SO_REUSEPORT)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def warm_up() -> None:
    """Load what the first action would otherwise wait for: the knowledge base (encoder, indexes, classifier, domain
    matchers), one query embedding and the application database (its schema checked once). A failure is logged and
    served anyway: the actions then answer politely ("not available") and try again on their next call, as before."""
    from actions.common.errors import KnowledgeBaseUnavailable, StoreUnavailable
    from actions.common.kb import get_kb
    from actions.common.store import repositories

    started = time.monotonic()
    try:
        kb = get_kb()
        kb.query_vector("ごみの出し方")  # the encoder's first call is slower than the next ones
        logger.info("knowledge base loaded in %.1f s", time.monotonic() - started)
    except KnowledgeBaseUnavailable:
        logger.error("knowledge base not loaded before serving; the actions will try again")
    try:
        repositories()
    except StoreUnavailable:
        logger.error("application database not available before serving; the actions will try again")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = create_argument_parser()
    parser.add_argument(
        "--reuse-port", action="store_true", help="share the port with other action servers (SO_REUSEPORT)"
    )
    parser.add_argument(
        "--probe-port", type=int, default=None, help="also answer on this port of its own (the supervisor's probe)"
    )
    parser.add_argument(
        "--no-warm-up", action="store_true", help="open the port first, load the knowledge base on first use"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    utils.configure_colored_logging(args.loglevel)
    utils.update_sanic_log_level()
    executor = VectorSharingExecutor()
    executor.register_package(args.actions_module or args.actions)
    if not args.no_warm_up:
        warm_up()
    host = os.environ.get("SANIC_HOST", "127.0.0.1")
    app = create_private_app(executor, cors_origins=args.cors, auto_reload=False, endpoints=args.endpoints)
    app.prepare(sock=listen_socket(host, args.port, reuse_port=args.reuse_port), single_process=True, motd=False)
    if args.probe_port:
        app.prepare(sock=listen_socket("127.0.0.1", args.probe_port), single_process=True, motd=False)
    Sanic.serve_single(primary=app)


if __name__ == "__main__":
    main()
