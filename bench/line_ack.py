"""Benchmark: how fast POST /webhooks/line is acknowledged while Rasa takes 3 s to answer.

    PYTHONPATH=. .venvs/services/bin/python -m bench.line_ack [--events 50] [--rasa-delay 3]

Runs the gateway (create_app + setup_line), a fake Rasa that sleeps before answering and a fake LINE API, all on
loopback ports in this process. Sends signed text-message webhooks one after another, as LINE does, and prints the
ack time p50/p95/max; LINE expects the 200 within about a second. Then waits for every reply to arrive.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web

from channels.app import create_app
from channels.line import setup_line
from settings import GatewaySettings, LineSettings

SECRET, TOKEN = "bench-secret", "bench-token"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def fake_rasa(delay: float) -> web.Application:
    async def webhook(request: web.Request) -> web.Response:
        payload = await request.json()
        await asyncio.sleep(delay)
        return web.json_response({"messages": [{"text": f"回答：{payload['message']}"}], "meta": {}})

    app = web.Application()
    app.router.add_post("/webhooks/gateway/webhook", webhook)
    return app


def fake_line(replies: list[float]) -> web.Application:
    async def reply(request: web.Request) -> web.Response:
        await request.read()
        replies.append(time.perf_counter())
        return web.json_response({"sentMessages": [{"id": "1"}]})

    async def loading(request: web.Request) -> web.Response:
        return web.json_response({}, status=202)

    app = web.Application()
    app.router.add_post("/v2/bot/message/reply", reply)
    app.router.add_post("/v2/bot/chat/loading/start", loading)
    return app


def signed_event(i: int) -> tuple[bytes, str]:
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": 1_700_000_000_000,
        "source": {"type": "user", "userId": f"U{i:032x}"},
        "webhookEventId": uuid.uuid4().hex.upper(),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": f"token-{i}",
        "message": {"type": "text", "id": str(i), "quoteToken": "q", "text": "スプレー缶は何ごみ？"},
    }
    body = json.dumps({"destination": "Ubot", "events": [event]}, ensure_ascii=False).encode()
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return body, signature


async def run(events: int, rasa_delay: float) -> None:
    replies: list[float] = []
    rasa_runner, rasa_url = await serve(fake_rasa(rasa_delay))
    line_runner, line_url = await serve(fake_line(replies))
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(GatewaySettings(rasa_url=rasa_url, backend_timeout=rasa_delay + 10))
        setup_line(
            app,
            LineSettings(
                channel_secret=SECRET,
                access_token=TOKEN,
                api_base_url=line_url,
                api_data_base_url=line_url,
                db_path=Path(tmp) / "line.db",
            ),
        )
        gateway_runner, gateway_url = await serve(app)
        acks: list[float] = []
        started = time.perf_counter()
        async with aiohttp.ClientSession() as session:
            for i in range(events):
                body, signature = signed_event(i)
                t0 = time.perf_counter()
                async with session.post(
                    f"{gateway_url}/webhooks/line", data=body, headers={"X-Line-Signature": signature}
                ) as resp:
                    await resp.read()
                    assert resp.status == 200, resp.status
                acks.append((time.perf_counter() - t0) * 1000)
        deadline = time.perf_counter() + rasa_delay + 30
        while len(replies) < events and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        await gateway_runner.cleanup()
    await line_runner.cleanup()
    await rasa_runner.cleanup()
    print(f"webhook ack with Rasa taking {rasa_delay:.1f} s, {events} events sent one after another:")
    print(f"  p50 {statistics.median(acks):.1f} ms   p95 {percentile(acks, 0.95):.1f} ms   max {max(acks):.1f} ms")
    last = (max(replies) - started) if replies else float("nan")
    print(f"  replies delivered: {len(replies)}/{events}, the last {last:.1f} s after the first webhook")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--rasa-delay", type=float, default=3.0)
    args = parser.parse_args()
    asyncio.run(run(args.events, args.rasa_delay))


if __name__ == "__main__":
    main()
