"""The interpreter's operations in /api/openapi.json (channels/openapi.py builds the document; parts add theirs)."""

from __future__ import annotations

from typing import Any

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_LANG = {"type": "string", "description": "The resident's language: a reply language code other than ja (or alias)."}
_TEXTS = {
    "ja": {"type": "string", "description": "Japanese (what staff read)."},
    "text": {"type": "string", "description": "The same in the resident's language."},
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": ERROR}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "properties": properties, "required": required}}},
    }


_OBJECT = {"type": "object"}
_STAFF = {
    "401": _error("No valid staff token (Authorization: Bearer). Code unauthorized."),
    "503": _error("Saving is off (CHIBA_STAFF_TOKEN unset) or the database is unreachable."),
}
_TURN = {
    "type": "object",
    "properties": {
        "role": {"enum": ["staff", "resident"]},
        **_TEXTS,
        "source": {"type": "string", "description": "original | phrasebook | knowledge_base | machine | none"},
    },
    "required": ["role", "ja", "text", "source"],
}

PATHS: dict[str, Any] = {
    "/interpreter": {
        "get": {
            "summary": "The desk-tablet interpreter page.",
            "responses": {"200": {"description": "HTML.", "content": {"text/html": {"schema": {"type": "string"}}}}},
        }
    },
    "/api/interpreter/config": {
        "get": {
            "summary": "Languages, phrasebook topics, the resident's words for the page, machine translation pairs.",
            "parameters": [{"name": "lang", "in": "query", "schema": _LANG}],
            "responses": {"200": _json(_OBJECT, "Configuration."), "400": _error("Unknown language.")},
        }
    },
    "/api/interpreter/phrases": {
        "get": {
            "summary": "Phrasebook search: staff type Japanese (side=staff), the resident their language.",
            "parameters": [
                {"name": "lang", "in": "query", "required": True, "schema": _LANG},
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200}},
                {"name": "side", "in": "query", "schema": {"enum": ["staff", "resident"]}},
                {"name": "topic", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {"200": _json(_OBJECT, "Hits, each in both languages."), "400": _error("Bad parameter.")},
        }
    },
    "/api/interpreter/phrase": {
        "post": {
            "summary": "One phrase in Japanese and the resident's language, its blanks filled.",
            "requestBody": _body(
                {"id": {"type": "string"}, "lang": _LANG, "slots": {"type": "object"}}, ["id", "lang"]
            ),
            "responses": {
                "200": _json(_OBJECT, "The phrase."),
                "400": _error("Bad language or blank value (code invalid_slot)."),
                "404": _error("No such phrase."),
                "413": _error("Request too large."),
                "415": _error("Not JSON."),
            },
        }
    },
    "/api/interpreter/understand": {
        "post": {
            "summary": "A free sentence: probable phrases, knowledge-base questions and answers, machine translation "
            "only where installed and accepted by the guard.",
            "requestBody": _body(
                {"text": {"type": "string"}, "lang": _LANG, "role": {"enum": ["staff", "resident"]}},
                ["text", "lang", "role"],
            ),
            "responses": {
                "200": _json(_OBJECT, "Matches and the machine-translation verdict."),
                "400": _error("Bad field or empty text."),
                "413": _error("Text too long."),
                "415": _error("Not JSON."),
                "502": _error("The action server's answer could not be read."),
                "503": _error("Matching is unavailable (code matching_unavailable)."),
                "504": _error("The action server took too long."),
            },
        }
    },
    "/api/interpreter/transcripts": {
        "post": {
            "summary": "Save a transcript (staff token); it expires after CHIBA_TRANSCRIPT_DAYS days.",
            "security": [{"staffBearer": []}],
            "requestBody": _body({"lang": _LANG, "turns": {"type": "array", "items": _TURN}}, ["lang", "turns"]),
            "responses": {
                "201": _json(_OBJECT, "Saved: id, reference (T-000001) and expires_at."),
                "400": _error("Malformed transcript."),
                **_STAFF,
            },
        }
    },
    "/api/interpreter/transcripts/{transcript_id}": {
        "get": {
            "summary": "A saved transcript (staff token).",
            "security": [{"staffBearer": []}],
            "parameters": [{"name": "transcript_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": _json(_OBJECT, "The transcript."),
                "404": _error("No such transcript, or it has expired."),
                **_STAFF,
            },
        }
    },
}


def document_routes(app: Any) -> None:
    """Add the interpreter's operations to the gateway's OpenAPI document (when that part is present)."""
    try:
        from channels.openapi import document
    except ImportError:  # the gateway without the OpenAPI part: nothing to add to
        return
    document(app, PATHS)
