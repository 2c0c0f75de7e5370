"""The gateway's OpenAPI 3.1 description, served at GET /api/openapi.json.

Built from the same constants the handlers use (limits from GatewaySettings, languages from translations/languages.yaml,
error codes from the typed errors), on first request, so it cannot drift from them silently;
tests/channels/test_openapi.py checks that every documented path is routed and every public route is documented, and
the fuzz run (tests/channels/test_fuzz.py, bench/fuzz.py) checks answers against it.

Another part documents its own routes with `document(app, paths, schemas)` in its setup function (before the app
starts); they are merged into the served document.

Covered here: the web chat (`/api/chat`, `/api/ui/{lang}`), `/healthz`, the LINE webhook, the "For You" stop link
and the staff pages (token: `Authorization: Bearer` or the session cookie the sign-in form sets). Every JSON error
has one shape, `#/components/schemas/Error`. The area picker's routes (/api/area/*) are documented by channels/area.py
with `document()`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from channels.jsonutil import json_response
from channels.rasa_client import SETTINGS
from settings import GatewaySettings

OPENAPI_PATH = "/api/openapi.json"
# Paths and component schemas other parts add with document().
_EXTRA = web.AppKey("openapi_extra", dict)

ERROR_REF = {"$ref": "#/components/schemas/Error"}
JSON_ERROR = {"application/json": {"schema": ERROR_REF}}
HTML = {"text/html": {"schema": {"type": "string"}}}
CSV = {"text/csv": {"schema": {"type": "string"}}}
STAFF_AUTH: list[dict[str, list[str]]] = [{"staffBearer": []}, {"staffCookie": []}]


def _error(description: str, codes: list[str]) -> dict[str, Any]:
    return {"description": f"{description} Error codes: {', '.join(codes)}.", "content": JSON_ERROR}


def _rate_limited() -> dict[str, Any]:
    return {
        "description": "Too many messages from this sender (code rate_limited); retry after the given seconds.",
        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds to wait."}},
        "content": JSON_ERROR,
    }


def _staff_errors(*, json_401: bool = True) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "503": _error("Staff pages are off (CHIBA_STAFF_TOKEN unset).", ["staff_disabled"]),
    }
    if json_401:
        responses["401"] = _error("No valid staff token.", ["unauthorized"])
    else:
        responses["401"] = {"description": "No valid staff token: the sign-in page.", "content": HTML}
    return responses


def _see_other(description: str) -> dict[str, Any]:
    return {"description": description, "headers": {"Location": {"schema": {"type": "string"}}}}


def _form(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": schema}},
    }


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": description}


def build_spec(settings: GatewaySettings) -> dict[str, Any]:
    """The OpenAPI document for a gateway with `settings`."""
    from channels.webchat import MAX_SENDER_ID_CHARS  # webchat registers this route: imported late, no cycle
    from translations import languages

    codes = list(languages.codes())
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "additionalProperties": False,
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "message_ja"],
                    "additionalProperties": False,
                    "properties": {
                        "code": {"type": "string", "description": "Stable machine-readable reason."},
                        "message": {"type": "string", "description": "English, for people."},
                        "message_ja": {"type": "string", "description": "Japanese, for people."},
                        "details": {"type": "object", "description": "Extra facts (field, max_chars, retry_after…)."},
                    },
                }
            },
        },
        "ChatRequest": {
            "type": "object",
            "required": ["sender_id", "text"],
            "properties": {
                "sender_id": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_SENDER_ID_CHARS,
                    "pattern": r"\S",
                    "description": "Random per browser; not blank, and not in the LINE namespace ('line:…').",
                },
                "text": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": settings.max_text_chars,
                    "pattern": r"\S",
                    "description": f"What the resident typed (at most {settings.max_text_chars} characters after "
                    "trimming), or the payload of a button the assistant offered to this sender. Other text "
                    "starting with '/' is answered as text.",
                },
                "lang": {
                    "type": ["string", "null"],
                    "enum": ["auto", *codes, None],
                    "description": "Reply language; 'auto' detects it; missing keeps the sender's last choice. "
                    "Aliases (pt-BR, zh-TW, fil) and any letter case are accepted too.",
                },
            },
        },
        "Button": {
            "type": "object",
            "required": ["title", "payload"],
            "properties": {"title": {"type": "string"}, "payload": {"type": "string"}},
        },
        "ChatMessage": {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": {"type": "string"},
                "buttons": {"type": "array", "items": {"$ref": "#/components/schemas/Button"}},
            },
        },
        "ChatResponse": {
            "type": "object",
            "required": ["lang", "messages", "meta"],
            "additionalProperties": False,
            "properties": {
                "lang": {"type": "string", "enum": codes},
                "messages": {"type": "array", "items": {"$ref": "#/components/schemas/ChatMessage"}},
                "meta": {
                    "type": "object",
                    "required": ["intent", "confidence", "fallback", "sources"],
                    "properties": {
                        "intent": {"type": "string"},
                        "confidence": {"type": "number"},
                        "fallback": {"type": "boolean"},
                        "sources": {
                            "type": "array",
                            "items": {"type": "string", "pattern": "^https?://"},
                        },
                        "area": {
                            "type": "object",
                            "description": "The town the answer is about (the web chat's 'my area' chip): "
                            "from the assistant's collection-day answer, or the town chosen in /api/area/choose.",
                            "required": ["label", "ward", "name"],
                            "properties": {
                                "label": {"type": "string"},
                                "ward": {"type": "string"},
                                "name": {"type": "string"},
                            },
                        },
                        "source_labels": {
                            "type": "object",
                            "description": "url → label in the reply's language (knowledge_base/data/sources.yaml), "
                            "for the sources that have one.",
                            "additionalProperties": {"type": "string"},
                        },
                    },
                },
            },
        },
        "Health": {
            "type": "object",
            "required": ["status", "checks"],
            "properties": {
                "status": {"type": "string", "enum": ["ok", "unavailable"]},
                "checks": {"type": "object", "additionalProperties": {"type": "string"}},
                "missing": {"type": "array", "items": {"type": "string"}},
                "knowledge_base": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
        },
        "LineWebhook": {
            "type": "object",
            "description": "LINE Messaging API webhook body (https://developers.line.biz/en/reference/messaging-api/"
            "#webhooks), signed with the channel secret.",
            "required": ["destination", "events"],
            "properties": {"destination": {"type": "string"}, "events": {"type": "array", "items": {"type": "object"}}},
        },
    }
    chat_errors = {
        "400": _error(
            "Not a valid chat request.",
            ["invalid_json", "invalid_field", "empty_text", "unsupported_language"],
        ),
        "413": _error(
            f"Body over {settings.max_body_bytes} bytes or text too long.", ["payload_too_large", "text_too_long"]
        ),
        "415": _error("Content-Type is not application/json.", ["unsupported_media_type"]),
        "429": _rate_limited(),
        "502": _error("The assistant answered something unreadable.", ["bad_gateway"]),
        "503": _error("The assistant is not available right now.", ["backend_unavailable", "forget_failed"]),
        "504": _error("The assistant took too long.", ["backend_timeout"]),
    }
    staff_number = _path_param("number", "Reference request number, e.g. R-000123.")
    paths: dict[str, Any] = {
        "/api/chat": {
            "post": {
                "operationId": "chat",
                "summary": "Ask the assistant one question (the web chat).",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatRequest"}}},
                },
                "responses": {
                    "200": {
                        "description": "The assistant's answer.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ChatResponse"}}},
                    },
                    **chat_errors,
                },
            }
        },
        "/api/ui/{lang}": {
            "get": {
                "operationId": "uiStrings",
                "summary": "The web page's own words in one language.",
                "parameters": [_path_param("lang", "A reply language code or alias (pt-BR → pt).")],
                "responses": {
                    "200": {
                        "description": "Key → text.",
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "additionalProperties": {"type": "string"}}
                            }
                        },
                    },
                    "404": _error("Not a supported language.", ["unsupported_language"]),
                },
            }
        },
        OPENAPI_PATH: {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}},
            }
        },
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "200 only when Rasa (with a model), the action server and the knowledge base answer.",
                "responses": {
                    "200": {
                        "description": "Ready.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}},
                    },
                    "503": {
                        "description": "A dependency is missing; `missing` names it.",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}},
                    },
                },
            }
        },
        "/webhooks/line": {
            "post": {
                "operationId": "lineWebhook",
                "summary": "LINE Messaging API webhook: acknowledged at once, events answered in the background.",
                "parameters": [
                    {
                        "name": "X-Line-Signature",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "Base64 HMAC-SHA256 of the body under the channel secret.",
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LineWebhook"}}},
                },
                "responses": {
                    "200": {
                        "description": "Accepted.",
                        "content": {"application/json": {"schema": {"type": "object", "maxProperties": 0}}},
                    },
                    "400": _error(
                        "Missing or wrong signature, or a body LINE would not send.",
                        ["invalid_signature", "bad_request"],
                    ),
                    "413": _error("Body over CHIBA_LINE_MAX_BODY_BYTES.", ["payload_too_large"]),
                    "503": _error("LINE is not configured (LINE_CHANNEL_SECRET unset).", ["line_not_configured"]),
                },
            }
        },
        "/for-you/stop": {
            "get": {
                "operationId": "forYouStopPage",
                "summary": "The reminders' stop page (changes nothing by itself).",
                "parameters": [{"name": "t", "in": "query", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "Confirmation page with one button.", "content": HTML},
                    "404": {"description": "Unknown link: a polite page.", "content": HTML},
                },
            },
            "post": {
                "operationId": "forYouStop",
                "summary": "Stop the reminders (the page's button, or RFC 8058 one-click unsubscribe).",
                "parameters": [{"name": "t", "in": "query", "required": False, "schema": {"type": "string"}}],
                "requestBody": _form({"t": {"type": "string"}, "List-Unsubscribe": {"type": "string"}}, []),
                "responses": {
                    "200": {"description": "Stopped.", "content": HTML},
                    "404": {"description": "Unknown link: a polite page.", "content": HTML},
                },
            },
        },
        "/staff": {
            "get": {
                "operationId": "staffHome",
                "summary": "Staff home (reference requests, unanswered questions); the sign-in form without a token.",
                "responses": {
                    "200": {"description": "The page, or the sign-in form.", "content": HTML},
                    **_staff_errors(json_401=True),
                },
            }
        },
        "/staff/login": {
            "post": {
                "operationId": "staffLogin",
                "summary": "Sign in with the staff token; sets an HttpOnly, SameSite=Strict session cookie.",
                "requestBody": _form({"token": {"type": "string"}}, ["token"]),
                "responses": {
                    "303": _see_other("Signed in; to /staff."),
                    "401": {"description": "Wrong token: the sign-in page again.", "content": HTML},
                    "503": _staff_errors()["503"],
                },
            }
        },
        "/staff/logout": {
            "post": {
                "operationId": "staffLogout",
                "summary": "Sign out (deletes the session cookie).",
                "responses": {"303": _see_other("To /staff.")},
            }
        },
        "/staff/reference-requests/{number}/status": {
            "post": {
                "operationId": "staffSetStatus",
                "security": STAFF_AUTH,
                "parameters": [staff_number],
                "requestBody": _form(
                    {"status": {"type": "string", "enum": ["received", "in_progress", "answered", "closed"]}},
                    ["status"],
                ),
                "responses": {
                    "303": _see_other("Updated; to /staff."),
                    "400": _error("Unknown status.", ["invalid_status"]),
                    "404": _error("No such request.", ["not_found"]),
                    **_staff_errors(),
                },
            }
        },
        "/staff/api/reference-requests": {
            "get": {
                "operationId": "staffReferenceRequests",
                "security": STAFF_AUTH,
                "responses": {
                    "200": {
                        "description": "The newest reference requests (personal data).",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["reference_requests"],
                                    "properties": {
                                        "reference_requests": {"type": "array", "items": {"type": "object"}}
                                    },
                                }
                            }
                        },
                    },
                    **_staff_errors(),
                },
            }
        },
        "/staff/reference-requests.csv": {
            "get": {
                "operationId": "staffReferenceRequestsCsv",
                "security": STAFF_AUTH,
                "responses": {"200": {"description": "CSV.", "content": CSV}, **_staff_errors()},
            }
        },
        "/staff/unanswered.csv": {
            "get": {
                "operationId": "staffUnansweredCsv",
                "security": STAFF_AUTH,
                "responses": {"200": {"description": "CSV.", "content": CSV}, **_staff_errors()},
            }
        },
        "/staff/classes": {
            "get": {
                "operationId": "staffClasses",
                "summary": "Smartphone classes: seats and waiting lists.",
                "parameters": [{"name": "past", "in": "query", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The page.", "content": HTML}, **_staff_errors(json_401=False)},
            }
        },
        "/staff/classes.csv": {
            "get": {
                "operationId": "staffClassesCsv",
                "security": STAFF_AUTH,
                "parameters": [{"name": "past", "in": "query", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "CSV.", "content": CSV}, **_staff_errors()},
            }
        },
        "/staff/classes/{id}": {
            "get": {
                "operationId": "staffClass",
                "parameters": [_path_param("id", "Class id.")],
                "responses": {
                    "200": {"description": "One class with its bookings (personal data).", "content": HTML},
                    "404": _error("No such class.", ["not_found"]),
                    **_staff_errors(json_401=False),
                },
            }
        },
        "/staff/classes/{id}.csv": {
            "get": {
                "operationId": "staffClassCsv",
                "security": STAFF_AUTH,
                "parameters": [_path_param("id", "Class id.")],
                "responses": {
                    "200": {"description": "Bookings as CSV (names, phone numbers).", "content": CSV},
                    "404": _error("No such class.", ["not_found"]),
                    **_staff_errors(),
                },
            }
        },
        "/staff/bookings/{number}/cancel": {
            "post": {
                "operationId": "staffCancelBooking",
                "security": STAFF_AUTH,
                "parameters": [_path_param("number", "Booking number.")],
                "responses": {
                    "303": _see_other("Cancelled; to the class page."),
                    "404": _error("No such booking.", ["not_found"]),
                    **_staff_errors(),
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Chiba City Assistant gateway",
            "version": "1",
            "description": "Every error is JSON of one shape (Error) unless the operation documents an HTML page; "
            "no answer carries a traceback. Unknown paths: 404 not_found; wrong methods: 405 method_not_allowed.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "staffBearer": {"type": "http", "scheme": "bearer", "description": "CHIBA_STAFF_TOKEN."},
                "staffCookie": {"type": "apiKey", "in": "cookie", "name": "chiba_staff"},
            },
        },
    }


def document(app: web.Application, paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> None:
    """Add `paths` (OpenAPI path items) and component `schemas` to the app's document; call before the app starts.
    Errors should refer to `#/components/schemas/Error`."""
    extra = app.get(_EXTRA)
    if extra is None:
        extra = app[_EXTRA] = {"paths": {}, "schemas": {}}
    extra["paths"].update(paths)
    extra["schemas"].update(schemas or {})


def spec_for(app: web.Application) -> dict[str, Any]:
    """The app's document: build_spec plus what other parts documented."""
    spec = build_spec(app[SETTINGS])
    extra = app.get(_EXTRA)
    if extra:
        spec["paths"].update(extra["paths"])
        spec["components"]["schemas"].update(extra["schemas"])
    return spec


async def openapi(request: web.Request) -> web.Response:
    # Built per request (well under a millisecond), so it always reflects the app's own settings.
    return json_response(spec_for(request.app))


def add_openapi_route(app: web.Application) -> None:
    app.router.add_get(OPENAPI_PATH, openapi)
