"""The docker check leaves nothing behind when interrupted mid-drill: no container or network of its
own, no namespace, and no engine it started (nor the bridge that engine made)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ha_udp_lb.lab.docker.engine import running
from ha_udp_lb.lab.host import netns
from ha_udp_lb.runner.docker_calls import CHECK_LABEL

pytestmark = pytest.mark.docker


def _dockerd() -> list[str]:
    return subprocess.run(["pgrep", "-x", "dockerd"], capture_output=True, text=True, check=False).stdout.split()


def _labelled(kind: str) -> list[str]:
    if not running():
        return []
    argv = ["docker", *kind.split(), "-q", "--filter", f"label={CHECK_LABEL}"]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.split()


def test_interrupting_a_check_removes_all_it_made() -> None:
    engines_before, bridge_before = _dockerd(), Path("/sys/class/net/docker0").exists()
    check = subprocess.Popen(
        [sys.executable, "-m", "ha_udp_lb.lab", "docker", "check", "--scenario", "policy-restart", "--trials", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert check.stdout is not None
    deadline = time.monotonic() + 300
    for line in check.stdout:  # until the first trial has begun
        if line.startswith("== ") or time.monotonic() > deadline:
            break
    time.sleep(3)  # inside the trial: the master's PID 1 killed, its restart under way
    check.send_signal(signal.SIGTERM)
    output, _ = check.communicate(timeout=120)
    assert check.returncode == 130, output
    assert netns.lab_namespaces() == [] and netns.lab_links() == [], output
    assert _labelled("ps -a") == [] and _labelled("network ls") == [], output
    assert _dockerd() == engines_before, output
    assert Path("/sys/class/net/docker0").exists() == bridge_before
