"""Acting on a running lab: run a command on a node as its own init would, see who holds each VIP,
pull a cable, cut the VRRP path or lose some of it, stop and start a backend."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.project import REPO

from . import collectors
from .netns import ip, netns_run
from .state import BackendState, LabState, NodeState


def node_sh(node: NodeState, command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`command` inside the node (its network, mount and PID namespaces): what ssh to a host would run."""
    return sh_in(node.init_pid, command, timeout)


def sh_in(init_pid: int, command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`command` in the namespaces of the process `init_pid` (a node's or a booted host's PID 1)."""
    argv = ["nsenter", "-t", str(init_pid), "-m", "-p", "-n", "--", "sh", "-c", command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def unit_states(node: NodeState, units: list[str]) -> dict[str, str]:
    """Unit → "active enabled", "inactive disabled", "inactive absent" (no such unit), as systemd says
    (Debian 12's is-enabled prints nothing for a unit that does not exist, Debian 13's "not-found")."""
    line = 'echo "$(systemctl is-active {0}) $(systemctl is-enabled {0} 2>/dev/null || true)"'
    said = node_sh(node, "; ".join(line.format(unit) for unit in units)).stdout.splitlines()
    states = [[*state.split(), "absent"][:2] for state in said]
    return {
        unit: f"{active} {'absent' if enabled == 'not-found' else enabled}"
        for unit, (active, enabled) in zip(units, states, strict=True)
    }


def node_alive(node: NodeState) -> bool:
    return Path(f"/proc/{node.init_pid}").exists()


def holders(state: LabState) -> dict[str, list[str]]:
    """{VIP: nodes that have it on their VRRP interface}. More than one is a split brain."""
    held: dict[str, list[str]] = {vip.address: [] for vip in state.vips}
    for node in state.nodes:
        out = netns_run(node.netns, "ip", "-o", "addr", "show", "dev", node.interface, check=False).stdout
        on_interface = {line.split()[3].split("/")[0] for line in out.splitlines() if len(line.split()) > 3}
        for vip in held:
            if vip in on_interface:
                held[vip].append(node.name)
    return held


class HolderWatch:
    """Successive looks at `holders`, and the longest a VIP was surely on more than one node. As VRRP
    hands a VIP over, the new master claims it an advert before the old one lets go, and a look reads
    the nodes one after the other, not at one instant: so the time counted runs from the end of the
    first look that saw two holders to the start of the last one in a row. Up to an advert interval is
    a handover; longer is a split brain."""

    def __init__(self, state: LabState) -> None:
        self._state = state
        self._two_since: dict[str, float] = {}
        self.longest_s = 0.0

    def look(self) -> dict[str, list[str]]:
        start = time.monotonic()
        held = holders(self._state)
        end = time.monotonic()
        for vip, nodes in held.items():
            if len(nodes) > 1:
                self.longest_s = max(self.longest_s, start - self._two_since.setdefault(vip, end))
            else:
                self._two_since.pop(vip, None)
        return held


def keepalived_pids(node: NodeState) -> list[str]:
    """keepalived's pid, then its children's (its VRRP child), as the node's /proc says."""
    return node_sh(node, f"p=$(cat {PATHS.keepalived_pid}); echo $p $(cat /proc/$p/task/$p/children)").stdout.split()


def keepalived_scheduling(node: NodeState) -> list[str]:
    """The scheduling policy of each of keepalived_pids, in that order: SCHED_RR once the socket watcher
    has put them on real time."""
    pids = " ".join(keepalived_pids(node))
    return node_sh(node, f"for pid in {pids}; do chrt -p $pid | sed -n 's/.*policy: //p'; done").stdout.split()


def nginx_down_flag(node: NodeState) -> str:
    """What the node's socket watcher last wrote: "0" healthy, "1" down, "" not written."""
    return node_sh(node, f"cat {PATHS.down_file} 2>/dev/null || true", timeout=5).stdout.strip()


def health_view(node: NodeState) -> dict[str, Any]:
    """The node's collector-health agent's current view (its state file), or {} before its first."""
    text = node_sh(node, f"cat {PATHS.health_state} 2>/dev/null || true", timeout=5).stdout
    try:
        view: dict[str, Any] = json.loads(text)
    except ValueError:
        return {}
    return view


def set_backend_link(backend: BackendState, up: bool) -> None:
    ip("link", "set", backend.link, "up" if up else "down")


def set_route_to(node: NodeState, address: str, cut: bool) -> None:
    """A blackhole route on `node` alone: it loses its path to `address`; every other node keeps it."""
    netns_run(node.netns, "ip", "route", "add" if cut else "del", "blackhole", f"{address}/32", check=cut)


def daemons(node: NodeState) -> dict[str, int]:
    """Live (non-zombie) processes per daemon name inside the node."""
    script = 'for p in /proc/[0-9]*; do s=$(cat $p/stat 2>/dev/null) || continue; echo "$s"; done'
    counts: dict[str, int] = {}
    for line in node_sh(node, script, timeout=5).stdout.splitlines():
        name, _paren, rest = line.partition("(")[2].rpartition(")")
        if rest.split()[0:1] != ["Z"]:
            counts[name] = counts.get(name, 0) + 1
    return counts


def set_link(node: NodeState, up: bool) -> None:
    ip("link", "set", node.link, "up" if up else "down")


def set_vrrp_path(state: LabState, cut: bool) -> None:
    """Cut (or heal) the path between the nodes only: their bridge ports become isolated, which may
    not talk to each other but still reach every exporter and collector. All nodes say to each other
    is VRRP."""
    for node in state.nodes:
        subprocess.run(["bridge", "link", "set", "dev", node.link, "isolated", "on" if cut else "off"], check=True)


LOSS_TABLE = "hulb_vrrp_loss"


def set_vrrp_loss(state: LabState, percent: float) -> None:
    """Every node drops that share of the VRRP adverts it receives, each at random (nftables' numgen:
    this kernel has no netem); 0 removes the rule. The nodes' own tables are left alone."""
    for node in state.nodes:
        netns_run(node.netns, "nft", "delete", "table", "inet", LOSS_TABLE, check=False)
        if percent:
            per_million = round(percent * 10_000)
            rules = (
                f"table inet {LOSS_TABLE} {{\n chain input {{\n  type filter hook input priority raw\n"
                f"  ip protocol vrrp numgen random mod 1000000 < {per_million} drop\n }}\n}}\n"
            )
            load = ["ip", "netns", "exec", node.netns, "nft", "-f", "-"]
            subprocess.run(load, input=rules, capture_output=True, text=True, check=True)


def stop_backend(backend: BackendState) -> None:
    kill_all(backend.netns)


def start_backend(backend: BackendState) -> None:
    backend.data.mkdir(parents=True, exist_ok=True)
    for port, kind in sorted(backend.collectors.items()):
        _spawn(backend.netns, collectors.command(kind, backend, port), backend.data / f"{kind}-{port}.stderr")
    if backend.ports:
        records, counters = backend.data / "received.bin", backend.data / "counters.json"
        argv = [
            sys.executable,
            "-m",
            "ha_udp_lb.lab.agents.sink",
            str(records),
            str(counters),
            *map(str, backend.ports),
        ]
        _spawn(backend.netns, argv, backend.data / "sink.log")
    deadline = time.monotonic() + 15
    while not _listening(backend) and time.monotonic() < deadline:
        time.sleep(0.02)
    if not _listening(backend):
        logs = "".join(log.read_text()[-600:] for log in sorted(backend.data.glob("*.std*")))
        ports = [*backend.ports, *backend.collectors]
        raise RuntimeError(f"backend {backend.address} is not listening on {ports}:\n{logs}")


def kill_all(netns: str) -> None:
    """SIGKILL every process in `netns`; a node's PID 1 among them takes its whole PID namespace along."""
    for pid in ip("netns", "pids", netns, check=False).stdout.split():
        subprocess.run(["kill", "-KILL", pid], capture_output=True, check=False)


def received_others(backend: BackendState) -> list[dict[str, object]]:
    """What the backend's sink received that was not a drill probe (lab.agents.sink)."""
    path = backend.data / "received.bin.others"
    lines = path.read_text().splitlines() if path.exists() else []
    return [{**json.loads(line), "backend": backend.address} for line in lines]


def counters(backend: BackendState) -> dict[int, int]:
    path = backend.data / "counters.json"
    try:
        return {int(port): n for port, n in json.loads(path.read_text()).items()}
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _listening(backend: BackendState) -> bool:
    out = netns_run(backend.netns, "ss", "-Hlun", check=False).stdout
    bound = {line.split()[3].rpartition(":")[2] for line in out.splitlines() if len(line.split()) > 3}
    return all(str(port) in bound for port in [*backend.ports, *backend.collectors])


def _spawn(netns: str, argv: list[str], log: Path) -> None:
    with log.open("ab") as out:
        subprocess.Popen(
            ["ip", "netns", "exec", netns, *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            start_new_session=True,  # outlives the command that started the lab, until `lab down`
        )


def ssh_logins(node: NodeState) -> int:
    """Connections the host's sshd has accepted since it booted (Debian 13's logs as sshd-session)."""
    return journal_count(node, "^Accepted publickey for ")


def ssh_drops(node: NodeState) -> int:
    """Connections sshd refused before authentication (MaxStartups) since it booted."""
    return journal_count(node, "past MaxStartups")


def journal_count(node: NodeState, pattern: str) -> int:
    """Lines of a booted host's journal matching `pattern` (a grep pattern), since it booted."""
    return int(node_sh(node, f"journalctl -q -o cat | grep -c '{pattern}'").stdout.strip() or 0)
