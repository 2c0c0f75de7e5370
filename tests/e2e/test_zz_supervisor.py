"""Runs last (file order): kill -9 each part of the real stack and expect the supervisor to bring it back.

What a resident and an operator notice: while Rasa is down the web chat answers a polite JSON error (503, in English
and Japanese; the page shows it in the resident's language); while one process of the action server is down the other
answers (CHIBA_ACTION_REPLICAS, default 2); the log says which part died, why and that it is restarting, the other parts
keep their pids, nothing of the killed part is left behind, and the assistant answers again afterwards.
"""

from __future__ import annotations

import os
import re
import signal

import pytest

from scripts.stack_process import StackProcess
from scripts.supervisor import group_members

pytestmark = pytest.mark.e2e

SERVICES = ("rasa", "actions", "gateway", "worker")
QUESTION = "電池はどうやって捨てますか"


def pids(stack: StackProcess) -> dict[str, int]:
    """Every service's current pid, the action server's other processes ("actions/2", ...) and the standby Rasa server
    ("rasa/2") included."""
    names = set(SERVICES) | set(re.findall(r"\[stack\] started ((?:actions|rasa)/\d+) \(pid", stack.log_text()))
    return {name: stack.pid(name) for name in sorted(names)}


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
        if name == "actions" and "actions/2" in before:
            # Another process of the action server answers while this one restarts: the resident notices nothing.
            assert status == 200 and body["messages"] and body["messages"][0]["text"], body
        elif status == 200:  # the other part still answered in time (a restart can be quick)
            assert body["messages"], "an empty answer while a part is down: the resident sees nothing"
        else:
            assert status in (502, 503, 504), body
            assert body["error"]["message"] and body["error"]["message_ja"]
    stack.wait_for_log(rf"\[stack\] started {name} \(pid (?!{before[name]}\))\d+\)", after=mark)
    answers_again(stack, f"e2e-after-{name}")
    after = pids(stack)
    assert after[name] != before[name]
    assert not group_members(before[name]), "a process of the killed service was left behind"
    assert {n: p for n, p in after.items() if n != name} == {n: p for n, p in before.items() if n != name}


def test_the_action_server_serves_in_its_own_processes_without_forked_workers(stack: StackProcess) -> None:
    """A forked worker outlives a killed main process and keeps the port with old code: there is none to orphan."""
    stack.wait_healthy(240)
    for name, pid in pids(stack).items():
        if name.startswith("actions"):
            assert group_members(pid) == {pid}, f"{name} forked {sorted(group_members(pid) - {pid})}"


def test_ctrl_c_stops_every_process_of_every_service(stack: StackProcess) -> None:
    members = {pid for pid in pids(stack).values() for pid in group_members(pid)}
    assert len(members) >= len(SERVICES)
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
