"""Outbound LINE Messaging API calls through line-bot-sdk 3 (AsyncMessagingApi), with bounded retries.

429 (rate limit), 5xx and connection errors are retried after Retry-After or an exponential back-off. Push
messages carry one X-Line-Retry-Key for all their attempts, so LINE delivers a retried push at most once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp

from settings import LineSettings

log = logging.getLogger("channels.line.api")

T = TypeVar("T")


class LineApiError(Exception):
    """A LINE API call failed for good; `status` is the last HTTP status (0 when none was received)."""

    def __init__(self, operation: str, status: int) -> None:
        super().__init__(f"LINE {operation} failed with HTTP {status}")
        self.operation = operation
        self.status = status


class ReplyRejected(LineApiError):
    """LINE refused the reply token (expired, already used, or invalid): push instead."""


def _retry_after(headers: Any) -> float | None:
    raw = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own back-off


class LineApi:
    """One AsyncApiClient per app; `close()` on shutdown."""

    def __init__(self, settings: LineSettings, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, Configuration

        self._settings = settings
        self._sleep = sleep
        config = Configuration(host=settings.api_base, access_token=settings.access_token)
        self._client = AsyncApiClient(config)
        self._api = AsyncMessagingApi(self._client)

    async def close(self) -> None:
        await self._client.close()

    async def _call(
        self,
        operation: str,
        make_call: Callable[[], Awaitable[T]],
        *,
        retry_unsure: bool = True,
        ok: int = 0,
        retries: int | None = None,
    ) -> T | None:
        """`retry_unsure=False`: retry only 429 (LINE did nothing), not a 5xx or time-out that may have delivered.

        `ok`: an extra status that means success (409 for a push whose retry key LINE already accepted).
        """
        from linebot.v3.messaging import ApiException

        settings = self._settings
        timeout = settings.api_timeout
        retries = settings.max_retries if retries is None else retries
        status = 0
        for attempt in range(retries + 1):
            try:
                return await asyncio.wait_for(make_call(), timeout)
            except ApiException as exc:
                status = exc.status or 0
                if ok and status == ok:
                    return None
                if status != 429 and (status < 500 or not retry_unsure):
                    if operation == "reply" and status == 400:
                        raise ReplyRejected(operation, status) from None
                    raise LineApiError(operation, status) from None
                wait = _retry_after(exc.headers)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("LINE %s: %s", operation, type(exc).__name__)
                if not retry_unsure:
                    raise LineApiError(operation, 0) from None
                status, wait = 0, None
            if attempt == retries:
                break
            if wait is None:
                wait = settings.retry_base_delay * 2**attempt
            wait = min(wait, settings.retry_max_delay)
            log.warning("LINE %s answered HTTP %d; retry %d in %.1fs", operation, status, attempt + 1, wait)
            await self._sleep(wait)
        raise LineApiError(operation, status)

    async def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> None:
        from linebot.v3.messaging import ReplyMessageRequest

        request = ReplyMessageRequest.from_dict({"replyToken": reply_token, "messages": messages})
        await self._call("reply", lambda: self._api.reply_message_with_http_info(request), retry_unsure=False)

    async def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str | None = None) -> None:
        """`retry_key` (a UUID): give the same one when the same push is tried again later (the notification worker
        does, next round), so LINE delivers it at most once; default: a new key for this call's attempts."""
        from linebot.v3.messaging import PushMessageRequest

        request = PushMessageRequest.from_dict({"to": to, "messages": messages})
        retry_key = retry_key or str(uuid.uuid4())
        await self._call(
            "push", lambda: self._api.push_message_with_http_info(request, x_line_retry_key=retry_key), ok=409
        )

    async def show_loading(self, user_id: str, seconds: int) -> None:
        from linebot.v3.messaging import ShowLoadingAnimationRequest

        request = ShowLoadingAnimationRequest(chatId=user_id, loadingSeconds=seconds)
        # No retries: the animation is cosmetic and a late one would only delay the answer.
        await self._call("loading", lambda: self._api.show_loading_animation_with_http_info(request), retries=0)

    async def profile_language(self, user_id: str) -> str | None:
        """The BCP 47 language tag of the user's LINE app, or None when the profile does not say."""
        profile = await self._call("profile", lambda: self._api.get_profile(user_id))
        return profile.language if profile is not None else None
