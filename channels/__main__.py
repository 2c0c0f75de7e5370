"""`python -m channels`: run the gateway with settings from the environment."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from channels.app import create_app
from settings import GatewaySettings, SettingsError


def main() -> int:
    try:
        settings = GatewaySettings.from_env()
    except SettingsError as exc:
        print(f"channels: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("channels").info(
        "gateway on http://%s:%d (rasa %s)", settings.host, settings.port, settings.rasa_url
    )
    # access_log=None: aiohttp's access log records client addresses and query strings; our middleware logs
    # method, path, status and duration only.
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None, print=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
