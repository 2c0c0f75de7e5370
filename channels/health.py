"""GET /healthz: 200 only when Rasa (with a model), the action server and the knowledge base all answer."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from aiohttp import web

from channels.jsonutil import json_response
from channels.rasa_client import HTTP_SESSION, SETTINGS, rasa_health_problem, rasa_server_states
from settings import GatewaySettings

log = logging.getLogger("channels.health")

OK = "ok"
KB_ACTION = "action_kb_health"
# Counts that must be positive: a domain that loaded no items or no FAQ entries cannot answer.
_RECORD_KEYS = ("items", "faq")
# The smallest action call rasa_sdk accepts: it reads tracker fields with defaults and needs a "domain" key
# (an empty one is fine when the action does not use it; the action then receives the last domain it saw, or None).
_KB_CALL: dict[str, Any] = {
    "next_action": KB_ACTION,
    "sender_id": "healthz",
    "tracker": {
        "sender_id": "healthz",
        "slots": {},
        "latest_message": {},
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
    },
    "domain": {},
    "version": "3.6.21",
}


class ProbeFailed(Exception):
    """A dependency did not answer as expected; the message is a short public reason."""


async def _get_json(session: aiohttp.ClientSession, method: str, url: str, timeout: float, **kw: Any) -> Any:
    try:
        async with session.request(method, url, timeout=aiohttp.ClientTimeout(total=timeout), **kw) as resp:
            if resp.status == 503:
                raise ProbeFailed("not ready (503)")
            if resp.status != 200:
                raise ProbeFailed(f"http {resp.status}")
            try:
                return await resp.json(content_type=None)
            except ValueError as exc:
                raise ProbeFailed("invalid response") from exc
    except TimeoutError as exc:
        raise ProbeFailed("timeout") from exc
    except aiohttp.ClientError as exc:
        raise ProbeFailed("unreachable") from exc


async def probe_rasa(session: aiohttp.ClientSession, settings: GatewaySettings) -> dict[str, Any]:
    """Every Rasa server (several in the scaled profile): healthy while one is ready and none answers from an
    in-memory tracker; a server that is down is routed around (channels/rasa_client.py)."""
    problem = rasa_health_problem(await rasa_server_states(session, settings))
    if problem is not None:
        raise ProbeFailed(problem)
    return {}


async def probe_action_server(session: aiohttp.ClientSession, settings: GatewaySettings) -> dict[str, Any]:
    body = await _get_json(session, "GET", settings.action_server_base + "/health", settings.health_timeout)
    if not isinstance(body, dict) or body.get("status") != "ok":
        raise ProbeFailed("invalid response")
    return {}


async def probe_knowledge_base(session: aiohttp.ClientSession, settings: GatewaySettings) -> dict[str, Any]:
    """Runs action_kb_health; healthy when every domain reports records (a domain with no entries is a broken load)."""
    url = settings.action_server_base + "/webhook"
    body = await _get_json(session, "POST", url, settings.health_timeout, json=_KB_CALL)
    responses = body.get("responses") if isinstance(body, dict) else None
    for response in responses if isinstance(responses, list) else []:
        custom = response.get("custom") if isinstance(response, dict) else None
        kb = custom.get("kb") if isinstance(custom, dict) else None
        if isinstance(kb, dict):
            counts = {k: v for k, v in kb.items() if isinstance(v, int) and not isinstance(v, bool)}
            if not counts or any(value <= 0 for key, value in counts.items() if key.endswith(_RECORD_KEYS)):
                raise ProbeFailed("empty")
            return counts
    raise ProbeFailed("invalid response")


async def backends_answer(session: aiohttp.ClientSession, settings: GatewaySettings) -> bool:
    """A Rasa server answers and the action server answers with its knowledge base loaded (a restarted one accepts
    connections long before it can answer): asked when Rasa's answer is empty, to tell "nothing to say" from "down"."""
    try:
        await asyncio.gather(probe_rasa(session, settings), probe_knowledge_base(session, settings))
    except ProbeFailed:
        return False
    return True


PROBES = {"rasa": probe_rasa, "action_server": probe_action_server, "knowledge_base": probe_knowledge_base}


async def healthz(request: web.Request) -> web.Response:
    settings, session = request.app[SETTINGS], request.app[HTTP_SESSION]
    results = await asyncio.gather(*(probe(session, settings) for probe in PROBES.values()), return_exceptions=True)
    checks: dict[str, str] = {}
    counts: dict[str, int] = {}
    for name, result in zip(PROBES, results, strict=True):
        if isinstance(result, ProbeFailed):
            checks[name] = str(result)
        elif isinstance(result, BaseException):
            log.error("health probe %s crashed: %s", name, type(result).__name__)
            checks[name] = "error"
        else:
            checks[name] = OK
            if name == "knowledge_base":
                counts = result
    missing = [name for name, state in checks.items() if state != OK]
    if missing:
        log.warning("unhealthy: %s", ", ".join(f"{n}={checks[n]}" for n in missing))
        return json_response({"status": "unavailable", "checks": checks, "missing": missing}, status=503)
    return json_response({"status": OK, "checks": checks, "knowledge_base": counts})
