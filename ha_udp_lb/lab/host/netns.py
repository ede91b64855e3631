"""Network namespaces, veths and bridges the lab makes, all named with a prefix so that `down`
finds and removes exactly what the lab made and nothing else."""

from __future__ import annotations

import subprocess
from itertools import count

PREFIX = "hulb"
_serial = count()


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def netns_run(ns: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True, check=check)


def add_namespace(ns: str) -> None:
    ip("netns", "add", ns)
    netns_run(ns, "ip", "link", "set", "lo", "up")


def add_bridge(name: str) -> None:
    ip("link", "add", name, "type", "bridge")
    # The bridge only carries lab traffic between namespaces: no address of the host's own on it.
    ip("link", "set", name, "up")


def plug(ns: str, ifname: str, address: str, bridge: str | None = None, host_end: str | None = None) -> str:
    """A veth from the root namespace (optionally enslaved to `bridge`) to `ns`, named `ifname` there."""
    host_end = host_end or f"{PREFIX}v{next(_serial)}"
    ip("link", "add", host_end, "type", "veth", "peer", "name", ifname, "netns", ns)
    if bridge:
        ip("link", "set", host_end, "master", bridge)
    ip("link", "set", host_end, "up")
    netns_run(ns, "ip", "link", "set", ifname, "up")
    family = "-6" if ":" in address else "-4"
    # nodad: IPv6 addresses are usable at once instead of after duplicate detection.
    extra = ["nodad"] if family == "-6" else []
    netns_run(ns, "ip", family, "addr", "add", address, "dev", ifname, *extra)
    return host_end


def lab_namespaces() -> list[str]:
    out = ip("netns", "list").stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(PREFIX)]


def lab_links() -> list[str]:
    out = ip("-o", "link", "show").stdout
    names = [line.split(":")[1].strip().split("@")[0] for line in out.splitlines()]
    return [name for name in names if name.startswith(PREFIX)]


def remove(namespaces: list[str], links: list[str]) -> None:
    for ns in namespaces:
        ip("netns", "del", ns, check=False)
    for link in links:
        ip("link", "del", link, check=False)
