"""Collectors whose hosts drop ICMP echo (many clouds, hardened networks), and the health check the
README says to use there: `probe: http` on the collector's own health endpoint (the lab's sinks answer
on :8080, as goflow2 does), `echo: false`, every 50 ms."""

from __future__ import annotations

from ..agents.sink import HEALTH_PORT
from .netns import netns_run
from .state import BackendState, Overrides

WITHOUT_ECHO: Overrides = {
    "dataPlane": "kernel",
    "healthCheck": {
        "probe": "http",
        "port": HEALTH_PORT,
        "path": "/__health",
        "echo": False,
        "interval": 0.05,
        "timeout": 0.04,
    },
}
"""Every pool of the lab's stack on the kernel plane, checked without echo."""


def drop_echo(backend: BackendState) -> None:
    """The collector's host drops ICMP echo requests (a table of the lab's own in the backend's namespace,
    which goes with the lab)."""
    table = "inet lab_echo"
    ruleset = (
        f"add table {table}; add chain {table} input {{ type filter hook input priority 0; }}; "
        f"add rule {table} input icmp type echo-request drop"
    )
    netns_run(backend.netns, "nft", ruleset)
