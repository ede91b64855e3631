"""node_agent.sessions on the real kernel, in a network namespace of its own: the BGP connections to the
named routers are reset (the router's end reads a reset, as a router's bgpd would), and nothing else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.daemons

ROOT = Path(__file__).resolve().parent.parent

# Run inside `unshare --net`: a router on 127.0.0.2 with a BGP port and another port, a node connected
# to both and to a second router on 127.0.0.3; then the node's sessions to 127.0.0.2 are reset.
SCRIPT = """
import json, socket, subprocess
from ha_udp_lb.node_agent.sessions import abort_bgp_sessions

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
ends = {}
places = (("bgp", "127.0.0.2", 179), ("other port", "127.0.0.2", 180), ("other router", "127.0.0.3", 179))
for name, address, port in places:
    listener = socket.create_server((address, port))
    node = socket.create_connection((address, port), timeout=2)
    router_end, _ = listener.accept()
    router_end.settimeout(2)
    ends[name] = (node, router_end)

aborted = abort_bgp_sessions(["127.0.0.2"])
seen = {}
for name, (node, router_end) in ends.items():
    try:
        if name != "bgp":
            node.sendall(b"x")  # the reset one is read from the router's end alone
        seen[name] = "open" if router_end.recv(1) == b"x" else "closed"
    except OSError as error:
        seen[name] = type(error).__name__
print(json.dumps({"aborted": aborted, "seen": seen}))
"""


def test_only_the_bgp_sessions_to_the_named_routers_are_reset() -> None:
    run = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["aborted"] == 1
    assert result["seen"]["other port"] == "open" and result["seen"]["other router"] == "open"
    assert result["seen"]["bgp"] == "ConnectionResetError"  # what the router's bgpd reads
