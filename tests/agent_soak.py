"""The real health agent for 10,000 turns with faults injected on every path it has, in a network
namespace of its own (run by tests/test_agent_faults.py under `unshare --net`): its table loaded in
that namespace's kernel, two collectors on its loopback (one alive, one whose port is closed), and
netlink answering nothing, nft refusing swaps, nginx refusing pool files, checks and echoes raising and
the disk refusing writes, each some of the time. Prints what happened as JSON.

Usage: unshare --net python -m tests.agent_soak SCRATCH_DIR TURNS"""

from __future__ import annotations

import json
import random
import select
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.model import Stack
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.render import render_health, render_pool
from ha_udp_lb.core.render_kernel import render_kernel
from ha_udp_lb.node_agent import agent as agent_module
from ha_udp_lb.node_agent import kernel, netlink, pools, report
from tests.base_config import config

ALIVE, CLOSED = "198.18.99.21", "198.18.99.22"
CHECK = {"interval": 0.05, "timeout": 0.01, "holdDown": 2}
POOLS = [
    {
        "name": "netflow",
        "vip": "198.18.0.100",
        "port": 2055,
        "backends": [f"{ALIVE}:2055", f"{CLOSED}:2055"],
        "healthCheck": CHECK,
    },
    {
        "name": "syslog",
        "vip": "198.18.0.100",
        "port": 514,
        "dataPlane": "nginx",
        "backends": [f"{ALIVE}:2055", f"{CLOSED}:2055"],
        "healthCheck": {**CHECK, "probe": "tcp", "port": 8080},
    },
]
"""A kernel pool probed by udp, and an nginx pool by a TCP check that only the first collector answers."""
FAULTS = {"netlink": 0.3, "swap": 0.5, "nginx": 0.5, "check": 0.2, "echo": 0.05, "disk": 0.2}
"""What fails, and how often, while faults are on."""
FLIP_S = 3.0
"""The second collector opens and closes its ports this often: verdicts change, so changes are made
(and refused) again and again, past its 2 s hold-down each time."""


def main(scratch: Path, turns: int) -> dict[str, Any]:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for address in (ALIVE, CLOSED):
        subprocess.run(["ip", "addr", "add", f"{address}/32", "dev", "lo"], check=True)
    collector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    collector.bind((ALIVE, 2055))
    # The syslog pool's TCP check, answered on one collector only; held open until the soak ends.
    listening = [collector, socket.create_server((ALIVE, 8080))]
    stack = parse_stack(config(pools=POOLS))
    ruleset = scratch / "kernel.nft"
    ruleset.write_text(next(iter(render_kernel(stack, stack.nodes[0]).values())).content)
    subprocess.run(["nft", "-f", str(ruleset)], check=True)
    the_agent = agent_module.Agent(_settings(stack, scratch, ruleset))
    faults = _inject(the_agent, random.Random(29))
    told, slowest, flipped = set(), 0.0, time.monotonic()
    second: list[socket.socket] = []
    for _ in range(turns):
        if time.monotonic() - flipped >= FLIP_S:
            second, flipped = _flip(second), time.monotonic()
        slowest = max(slowest, _timed(the_agent._turn))
        told.add(_told(scratch))
    faults["on"], calm = False, time.monotonic()
    while the_agent.behind and time.monotonic() - calm < 10:  # the faults gone: does it catch up?
        slowest = max(slowest, _timed(the_agent._turn))
        told.add(_told(scratch))
    listing = subprocess.run(
        ["nft", "list", "map", "inet", "ha_udp_lb", "p_netflow_addrs"], capture_output=True, text=True
    )
    for sock in listening + second:
        sock.close()
    return {
        "turns": turns,
        "slowest_turn_s": slowest,
        "kernel_down_told": sorted(told),
        "errors": the_agent.errors,
        "sync_failures": the_agent.sync_failures,
        "in_step": not the_agent.behind,
        "second_up_in_the_view": the_agent.views["netflow"][f"{CLOSED}:2055"].up,
        "slots": {"first": listing.stdout.count(ALIVE), "second": listing.stdout.count(CLOSED)},
        "injected": {k: v for k, v in faults.items() if k != "on"},
    }


def _timed(turn: Any) -> float:
    started = time.monotonic()
    turn()
    return time.monotonic() - started


def _told(scratch: Path) -> str:
    """What keepalived's track file for the table says now ("1": the table is gone, fail over)."""
    down = scratch / "kernel.down"
    return down.read_text().strip() if down.exists() else ""


def _flip(held: list[socket.socket]) -> list[socket.socket]:
    """The second collector's ports: closed if they were open, opened if they were closed."""
    if held:
        for sock in held:
            sock.close()
        return []
    collector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    collector.bind((CLOSED, 2055))
    return [collector, socket.create_server((CLOSED, 8080))]


def _settings(stack: Stack, scratch: Path, ruleset: Path) -> dict[str, Any]:
    """The agent's settings as the program renders them for the first node, its paths in `scratch`, and
    the nginx pool's file as rendered."""
    rendered = render_health(stack, stack.nodes[0], {})[PATHS.health_config].content
    settings: dict[str, Any] = json.loads(rendered)
    for key, name in (
        ("kernel_down", "kernel.down"),
        ("lock", "lock"),
        ("state", "health.json"),
        ("metrics", "m.prom"),
    ):
        settings[key] = str(scratch / name)
    settings["firewall"]["ruleset"] = str(ruleset)
    settings["templates"]["state"] = str(scratch / "templates.json")
    for pool, rendered_pool in zip(settings["pools"], stack.pools, strict=True):
        if pool["kernel"]:
            pool["kernel"]["ruleset"] = str(ruleset)
        if pool["file"]:
            pool["file"] = str(scratch / f"{pool['name']}.conf")
            Path(pool["file"]).write_text(next(iter(render_pool(stack, rendered_pool).values())).content)
    return settings


def _inject(the_agent: agent_module.Agent, rng: random.Random) -> dict[str, Any]:
    """Wrap each path with a fault that strikes at its FAULTS rate while `faults["on"]`; counts strikes."""
    faults: dict[str, Any] = {"on": True, **dict.fromkeys(FAULTS, 0)}

    def strikes(kind: str) -> bool:
        hit = faults["on"] and rng.random() < FAULTS[kind]
        faults[kind] += hit
        return hit

    loaded, replace, write, echo, check = (
        kernel.loaded,
        netlink.replace_elements,
        report.write_atomically,
        the_agent.wire.echo,
        the_agent.wire.check,
    )
    kernel.loaded = lambda table: None if strikes("netlink") else loaded(table)

    def swap(table: str, maps: Any) -> None:
        if strikes("swap"):
            raise TimeoutError("netlink: no answer (injected)")
        replace(table, maps)

    def raising(real: Any, kind: str, error: BaseException) -> Any:
        def call(*args: Any) -> Any:
            if strikes(kind):
                raise error
            return real(*args)

        return call

    netlink.replace_elements = swap
    pools.apply = lambda changes: "nginx: [emerg] injected" if strikes("nginx") else _write(changes)
    report.write_atomically = raising(write, "disk", OSError(28, "No space left on device"))
    setattr(the_agent.wire, "echo", raising(echo, "echo", OSError(105, "No buffer space available")))  # noqa: B010
    setattr(the_agent.wire, "check", raising(check, "check", UnicodeEncodeError("ascii", "/café", 4, 5, "injected")))  # noqa: B010
    real_select = select.select
    # Turns back to back, not waiting for the next probe: 10,000 of them in seconds, probes still on time.
    setattr(select, "select", lambda r, w, x, timeout: real_select(r, w, x, min(timeout, 0.001)))  # noqa: B010
    return faults


def _write(changes: dict[str, str]) -> None:
    for path, text in changes.items():
        Path(path).write_text(text)


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), int(sys.argv[2]))))
