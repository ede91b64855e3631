"""The kernel's slot for an exporter, reproduced (slot_table.kernel_hash): for hundreds of IPv4 and
IPv6 addresses the kernel's own `jhash … mod … seed …` (in a namespace of the test's own, datagrams to
its loopback) and the Python reproduction agree on every one."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from ha_udp_lb.lab.host import netns
from ha_udp_lb.slot_table.kernel_hash import slot_of

pytestmark = pytest.mark.daemons

NAMESPACE = f"{netns.PREFIX}-jhash"
SIZE, SEED = 8191, 0xDEADBE01
RULES = f"""
table inet hashed {{
    set seen4 {{ typeof ip daddr . meta mark; flags dynamic; size 65536; }}
    set seen6 {{ typeof ip6 daddr . meta mark; flags dynamic; size 65536; }}
    chain out {{
        type filter hook output priority 0; policy accept;
        ip daddr 198.18.0.0/15 udp dport 9 meta mark set jhash ip daddr mod {SIZE} seed {SEED:#x}
        ip daddr 198.18.0.0/15 udp dport 9 update @seen4 {{ ip daddr . meta mark }}
        ip6 daddr 2001:2::/48 udp dport 9 meta mark set jhash ip6 daddr mod {SIZE} seed {SEED:#x}
        ip6 daddr 2001:2::/48 udp dport 9 update @seen6 {{ ip6 daddr . meta mark }}
    }}
}}
"""
SEND = """
import socket, sys
for address in sys.argv[1:]:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"x", (address, 9))
"""


@pytest.fixture
def namespace() -> Iterator[str]:
    netns.ip("netns", "del", NAMESPACE, check=False)
    netns.add_namespace(NAMESPACE)
    try:
        netns.netns_run(NAMESPACE, "ip", "route", "add", "local", "198.18.0.0/15", "dev", "lo")
        netns.netns_run(NAMESPACE, "ip", "-6", "route", "add", "local", "2001:2::/48", "dev", "lo")
        subprocess.run(["ip", "netns", "exec", NAMESPACE, "nft", "-f", "-"], input=RULES, text=True, check=True)
        yield NAMESPACE
    finally:
        netns.ip("netns", "del", NAMESPACE, check=False)


def test_the_kernels_slot_is_reproduced_for_every_address(namespace: str) -> None:
    addresses = [f"198.18.{i // 200}.{i % 200 + 1}" for i in range(400)] + [f"2001:2::{i:x}:1" for i in range(1, 201)]
    netns.netns_run(namespace, sys.executable, "-c", SEND, *addresses)
    kernel: dict[str, int] = {}
    for name in ("seen4", "seen6"):
        listing = json.loads(netns.netns_run(namespace, "nft", "-j", "list", "set", "inet", "hashed", name).stdout)
        elements = next(item["set"] for item in listing["nftables"] if "set" in item).get("elem", [])
        kernel |= {socket.inet_ntop(*_family(a)): mark for a, mark in (e["concat"] for e in elements)}
    assert len(kernel) == len(addresses), "the kernel did not see every datagram"
    wrong = {a: (kernel[a], slot_of(a, SIZE, SEED)) for a in kernel if kernel[a] != slot_of(a, SIZE, SEED)}
    assert not wrong, f"kernel slot vs reproduced: {dict(list(wrong.items())[:5])}"


def _family(address: str) -> tuple[int, bytes]:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return family, socket.inet_pton(family, address)
