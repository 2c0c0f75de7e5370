"""`python -m actions.server`: rasa_sdk's action server, except that an action that raises is answered with the
exception's type only. rasa_sdk's own handler sends the whole action call back (the tracker: every message of the
conversation) and Rasa logs that answer, so names and phone numbers typed into forms would reach the logs."""

from __future__ import annotations

import logging
import os
import traceback
from functools import partial
from typing import Any

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.worker.loader import AppLoader

logger = logging.getLogger("actions.server")
ROUTES = ["rasa_sdk.webhook", "rasa_sdk.actions", "rasa_sdk.health"]  # route handlers win over rasa_sdk's global one


async def _private_error(request: Any, exception: Exception) -> Any:
    # Frames only: an exception's message can quote what the resident typed.
    logger.error("action failed on %s: %s\n%s", request.path, type(exception).__name__,
                 "".join(traceback.format_tb(exception.__traceback__)))
    return response.json({"error": type(exception).__name__}, status=500)


def create_private_app(executor: ActionExecutor, **options: Any) -> Sanic:
    app = create_app_for_serve(executor, **options)
    app.error_handler.add(Exception, _private_error, route_names=ROUTES)
    return app


def main() -> None:
    args = create_argument_parser().parse_args()
    utils.configure_colored_logging(args.loglevel)
    utils.update_sanic_log_level()
    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    loader = AppLoader(factory=partial(create_private_app, executor, cors_origins=args.cors,
                                       auto_reload=args.auto_reload, endpoints=args.endpoints))
    app = loader.load()
    app.prepare(host=os.environ.get("SANIC_HOST", "127.0.0.1"), port=args.port,
                workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
