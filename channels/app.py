"""`create_app(settings)`: the gateway's aiohttp application factory (no work at import time)."""

from __future__ import annotations

from aiohttp import web

from channels.area import setup_area
from channels.errors import error_middleware
from channels.for_you import setup_for_you
from channels.forget import setup_forget
from channels.health import healthz
from channels.interpreter import setup_interpreter
from channels.language import LanguageDecider, decide_language, setup_language_memory, warm_up_detector
from channels.line import setup_line
from channels.rasa_client import SETTINGS, http_session_ctx
from channels.speech import setup_speech
from channels.staff import setup_staff
from channels.webchat import LANGUAGE_DECIDER, add_routes
from settings import GatewaySettings

# The page loads only its own script and style; links to city pages open in a new tab.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


async def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api/") or request.path == "/healthz":
        response.headers.setdefault("Cache-Control", "no-store")
    else:
        response.headers.setdefault("Cache-Control", "no-cache")  # revalidate so a new chat.js is picked up


def create_app(
    settings: GatewaySettings | None = None, *, decide_language: LanguageDecider = decide_language
) -> web.Application:
    settings = settings or GatewaySettings.from_env()
    # client_max_size caps every body aiohttp reads (also chunked ones without Content-Length).
    app = web.Application(middlewares=[error_middleware], client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[LANGUAGE_DECIDER] = decide_language
    setup_language_memory(app)  # before setup_forget: the Forgetter forgets the sender's language through it
    app.on_startup.append(warm_up_detector)
    app.cleanup_ctx.append(http_session_ctx)
    app.on_response_prepare.append(_add_headers)
    app.router.add_get("/healthz", healthz)
    add_routes(app, settings.static_dir)
    setup_area(app)  # the web chat's area picker: town search, collection calendar, .ics
    setup_forget(app)  # before setup_line: the LINE channel forgets users through it
    setup_for_you(app)
    setup_line(app)  # after http_session_ctx so LINE reuses the shared client session
    setup_staff(app)
    setup_interpreter(app)
    setup_speech(app)
    return app
