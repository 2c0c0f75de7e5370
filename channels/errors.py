"""Typed gateway errors and the one middleware that turns every error into a polite JSON body.

Body shape (all errors): {"error": {"code": str, "message": str (English), "message_ja": str, "details"?: {...}}}.
No traceback, exception text or backend detail ever reaches a client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from channels.jsonutil import json_response

log = logging.getLogger("channels.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class GatewayError(Exception):
    """Base of every error the gateway answers on purpose."""

    status: int = 500
    code: str = "internal_error"
    message: str = "Sorry, something went wrong. Please try again later."
    message_ja: str = "申し訳ありません。問題が発生しました。しばらくしてから、もう一度お試しください。"

    def __init__(self, message: str | None = None, *, message_ja: str | None = None, **details: Any) -> None:
        super().__init__(message or self.message)
        if message is not None:
            self.message = message
        if message_ja is not None:
            self.message_ja = message_ja
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "message_ja": self.message_ja}
        if self.details:
            error["details"] = self.details
        return {"error": error}

    def headers(self) -> dict[str, str]:
        """Headers the answer needs besides the body (429's Retry-After, for one)."""
        return {}

    def response(self) -> web.Response:
        response = json_response(self.body(), status=self.status)
        response.headers.update(self.headers())
        return response


class BadRequest(GatewayError):
    status = 400
    code = "bad_request"
    message = "The request is not valid."
    message_ja = "リクエストの形式が正しくありません。"


class InvalidJSON(BadRequest):
    code = "invalid_json"
    message = "The request body must be a JSON object."
    message_ja = "リクエストの本文はJSONオブジェクトにしてください。"


class InvalidField(BadRequest):
    code = "invalid_field"


class EmptyText(BadRequest):
    code = "empty_text"
    message = "Please type a question."
    message_ja = "質問を入力してください。"


class UnsupportedLanguage(BadRequest):
    code = "unsupported_language"


class PayloadTooLarge(GatewayError):
    status = 413
    code = "payload_too_large"
    message = "The request is too large."
    message_ja = "リクエストが大きすぎます。"


class TextTooLong(PayloadTooLarge):
    code = "text_too_long"


class UnsupportedMediaType(GatewayError):
    status = 415
    code = "unsupported_media_type"
    message = "Send the request as application/json."
    message_ja = "application/json 形式で送信してください。"


class BackendUnavailable(GatewayError):
    status = 503
    code = "backend_unavailable"
    message = "Sorry, the assistant is not available right now. Please try again in a little while."
    message_ja = (
        "申し訳ありません。ただいまアシスタントをご利用いただけません。しばらくしてから、もう一度お試しください。"
    )


class BackendTimeout(GatewayError):
    status = 504
    code = "backend_timeout"
    message = "Sorry, the assistant took too long to answer. Please try again."
    message_ja = "申し訳ありません。回答に時間がかかりすぎました。もう一度お試しください。"


class BadGateway(GatewayError):
    status = 502
    code = "bad_gateway"
    message = "Sorry, the assistant gave an answer we could not read. Please try again."
    message_ja = "申し訳ありません。回答を正しく受け取れませんでした。もう一度お試しください。"


# aiohttp's own HTTP errors (404, 405, 413 from client_max_size, …) get the same JSON shape.
_HTTP_CODES: dict[int, tuple[str, str, str]] = {
    404: ("not_found", "Not found.", "ページが見つかりません。"),
    405: ("method_not_allowed", "Method not allowed.", "この方法ではご利用いただけません。"),
    413: (PayloadTooLarge.code, PayloadTooLarge.message, PayloadTooLarge.message_ja),
}


def _from_http_exception(exc: web.HTTPException) -> GatewayError:
    code, message, message_ja = _HTTP_CODES.get(exc.status, ("http_error", exc.reason, "リクエストを処理できません。"))
    error = GatewayError(message, message_ja=message_ja)
    error.status, error.code = exc.status, code
    return error


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    try:
        response = await handler(request)
    except GatewayError as exc:
        response = exc.response()
    except web.HTTPException as exc:
        if exc.status < 400:  # redirects and the like pass through untouched
            raise
        error = _from_http_exception(exc)
        response = json_response(error.body(), status=error.status)
        if exc.status == 405 and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
    except Exception:
        # Full traceback to the server log only; the client gets the generic body.
        log.exception("unhandled error on %s %s", request.method, request.path)
        error = GatewayError()
        response = json_response(error.body(), status=error.status)
    # No query strings, bodies, sender ids or client addresses in the log: they can carry personal data.
    log.info("%s %s %d %.0fms", request.method, request.path, response.status, (time.perf_counter() - started) * 1000)
    return response
