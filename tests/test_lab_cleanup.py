"""The lab leaves nothing behind: not after a refused stack, not after Ctrl-C in the middle of a drill."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from ha_udp_lb.lab.host import netns
from ha_udp_lb.lab.host.site import LabError, down, up
from ha_udp_lb.lab.host.state import LAB_DIR, STATE_FILE

pytestmark = pytest.mark.lab


def leftovers() -> dict[str, list[str]]:
    daemons = subprocess.run(
        ["pgrep", "-a", "-f", r"keepalived|nginx|lab\.(sink|exporter)|node_init"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    return {
        "namespaces": netns.lab_namespaces(),
        "links": netns.lab_links(),
        "processes": [line for line in daemons if "pgrep" not in line and "pytest" not in line],
    }


NOTHING: dict[str, list[str]] = {"namespaces": [], "links": [], "processes": []}


def test_a_stack_outside_the_benchmarking_range_is_refused_before_anything_is_built() -> None:
    down()
    with pytest.raises(LabError, match=r"nodes\[0\]\.address = 192\.0\.2\.11: .*198\.18\.0\.0/15"):
        up("prod")
    assert leftovers() == NOTHING
    assert not LAB_DIR.exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_a_drill_removes_the_whole_lab(signum: int) -> None:
    down()
    drill = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ha_udp_lb.lab",
            "lab",
            "drill",
            "--stack",
            "dev",
            "--scenario",
            "link-cut",
            "--trials",
            "5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while not STATE_FILE.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2)  # inside the first trial: exporters sending, the cable maybe already pulled
    drill.send_signal(signum)
    output, _ = drill.communicate(timeout=60)
    assert drill.returncode == 130, output
    assert leftovers() == NOTHING, output
