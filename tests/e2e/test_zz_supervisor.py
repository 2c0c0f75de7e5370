"""Runs last (file order): kill -9 each part of the real stack and expect the supervisor to bring it back.

What a resident and an operator notice: while Rasa or the action server is down the web chat answers a polite JSON
error (503, in English and Japanese; the page shows it in the resident's language), the log says which part died, why
and that it is restarting, the other parts keep their pids, and the assistant answers again afterwards.
"""

from __future__ import annotations

import os
import signal

import pytest

from scripts.stack_process import StackProcess
from scripts.supervisor import group_members

pytestmark = pytest.mark.e2e

SERVICES = ("rasa", "actions", "gateway", "worker")
QUESTION = "電池はどうやって捨てますか"


def pids(stack: StackProcess) -> dict[str, int]:
    return {name: stack.pid(name) for name in SERVICES}


def answers_again(stack: StackProcess, sender: str) -> None:
    stack.wait_healthy(240)
    status, body = stack.chat(QUESTION, sender_id=sender)
    assert status == 200, body
    assert isinstance(body, dict) and body["messages"] and body["messages"][0]["text"]


@pytest.mark.parametrize("name", ["worker", "gateway", "actions", "rasa"])
def test_a_killed_service_is_restarted_and_the_others_keep_running(stack: StackProcess, name: str) -> None:
    stack.wait_healthy(240)  # the previous case's restart is complete
    before = pids(stack)
    mark = len(stack.log_text())
    os.kill(before[name], signal.SIGKILL)
    line = stack.wait_for_log(
        rf"\[stack\] {name} \(pid {before[name]}\) died: killed by signal SIGKILL, after [\d.]+ s up; "
        rf"crash \d+ in a row, \d+ restart\(s\) so far; restarting in [\d.]+ s",
        after=mark,
    )
    assert line
    if name in ("rasa", "actions"):
        # Down (or still loading): the resident gets a polite error, never a traceback or an empty answer.
        status, body = stack.chat(QUESTION, sender_id=f"e2e-down-{name}")
        assert isinstance(body, dict), body
        if status == 200:  # the other part still answered in time (a restart can be quick)
            assert body["messages"], "an empty answer while a part is down: the resident sees nothing"
        else:
            assert status in (502, 503, 504), body
            assert body["error"]["message"] and body["error"]["message_ja"]
    stack.wait_for_log(rf"\[stack\] started {name} \(pid (?!{before[name]}\))\d+\)", after=mark)
    answers_again(stack, f"e2e-after-{name}")
    after = pids(stack)
    assert after[name] != before[name]
    assert {n: p for n, p in after.items() if n != name} == {n: p for n, p in before.items() if n != name}


def test_a_killed_sanic_worker_of_the_action_server_restarts_it(stack: StackProcess) -> None:
    stack.wait_healthy(240)
    main = stack.pid("actions")
    workers = sorted(group_members(main) - {main})
    assert workers, "the action server (Sanic) forks at least one worker process"
    mark = len(stack.log_text())
    os.kill(workers[-1], signal.SIGKILL)  # the main process lives on and would serve nothing
    stack.wait_for_log(
        rf"\[stack\] actions \(pid {main}\) (its process {workers[-1]} \(a forked worker\) died|stopped answering)",
        after=mark,
    )
    answers_again(stack, "e2e-after-sanic-worker")
    assert stack.pid("actions") != main
    assert not (set(workers) & group_members(main))  # no orphan left behind


def test_ctrl_c_stops_every_process_of_every_service(stack: StackProcess) -> None:
    members = {pid for name in SERVICES for pid in group_members(stack.pid(name))}
    assert len(members) > len(SERVICES)  # Sanic's forked workers among them
    assert stack.stop() == 0
    assert "[stack] stopping all services" in stack.log_tail(20)
    assert not [pid for pid in members if running(pid)]


def running(pid: int) -> bool:
    """A live process (a zombie waiting to be reaped is not)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] != b"Z"
