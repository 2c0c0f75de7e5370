"""Knowledge-base work runs in the bounded pool, never on the action server's event loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from actions.common import offload


@pytest.fixture
def small_pool(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CHIBA_KB_THREADS", "2")
    monkeypatch.setattr(offload, "_pool", None)
    yield offload.kb_pool()
    offload.kb_pool().shutdown(wait=True)
    monkeypatch.setattr(offload, "_pool", None)


def test_retrieval_runs_while_the_loop_keeps_serving_other_conversations(small_pool) -> None:
    """The lookup waits for something only the loop can do: on the loop it would deadlock, in the pool it ends."""
    loop_answered = threading.Event()

    def slow_lookup(text: str) -> str:
        assert loop_answered.wait(5), "the event loop was blocked while the lookup ran"
        return f"{text} -> {threading.current_thread().name}"

    async def other_conversation() -> None:
        await asyncio.sleep(0)
        loop_answered.set()

    async def main() -> str:
        result, _ = await asyncio.gather(offload.off_loop(slow_lookup, "スプレー缶"), other_conversation())
        return result

    assert asyncio.run(main()).startswith("スプレー缶 -> kb")


def test_the_pool_is_bounded_by_the_setting(small_pool) -> None:
    running, most = 0, 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        threading.Event().wait(0.05)
        with lock:
            running -= 1

    async def main() -> None:
        await asyncio.gather(*(offload.off_loop(work) for _ in range(8)))

    asyncio.run(main())
    assert most == 2


def test_an_error_in_the_pool_is_raised_to_the_action(small_pool) -> None:
    def broken() -> None:
        raise LookupError("index missing")

    with pytest.raises(LookupError, match="index missing"):
        asyncio.run(offload.off_loop(broken))
