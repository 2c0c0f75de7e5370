"""Runs last (file order): kills the action server and expects the supervisor to stop everything and say why."""

from __future__ import annotations

import os
import re
import signal
import time

import pytest

from scripts.stack_process import StackProcess

pytestmark = pytest.mark.e2e


def test_one_service_dying_stops_the_others(stack: StackProcess) -> None:
    log_lines = stack.log_path.read_text(errors="replace").splitlines()
    pid_line = next(line for line in log_lines if "started actions (pid" in line)
    pid = int(re.search(r"pid (\d+)", pid_line).group(1))
    os.killpg(pid, signal.SIGKILL)
    assert stack.proc is not None
    stack.proc.wait(timeout=60)
    time.sleep(0.5)
    log = stack.log_tail(50)
    assert "actions stopped unexpectedly" in log
    assert stack.proc.returncode == 1
