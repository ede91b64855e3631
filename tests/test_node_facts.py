"""What the agent reports beyond collector health, read from the kernel's own tables: the node's drops
by cause, what nginx's pool sockets dropped, keepalived's roles and the VIPs held, and the server that
hands all of it to Prometheus. The lab proves the same on real daemons (tests/test_operate.py)."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ha_udp_lb.node_agent import traffic
from ha_udp_lb.node_agent.metrics_server import MetricsServer
from ha_udp_lb.node_agent.vips import VipWatch, bfd_states

SNMP = """Ip: Forwarding DefaultTTL InReceives ReasmFails OutNoRoutes
Ip: 1 64 1000 3 2
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 500 7 11 400 11 1 0 0 0
"""
SNMP6 = """Ip6InReceives                   	90
Ip6ReasmFails                   	4
Udp6NoPorts                     	1
Udp6RcvbufErrors                	5
"""
UDP = """  sl local_address rem_address st tx_queue rx_queue tr tm->when retrnsmt uid timeout inode ref pointer drops
  1: 650012C6:0202 00000000:0000 07 00000000:00000100 00:00000000 00000000     0        0 1 2 0000000000000000 17
  2: 650012C6:0202 00000000:0000 07 00000000:00000200 00:00000000 00000000     0        0 2 2 0000000000000000 25
  3: 650012C6:0202 C90012C6:9C40 01 00000000:00000000 00:00000000 00000000     0        0 3 2 0000000000000000 99
  4: 640012C6:0807 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4 2 0000000000000000 0
"""


ARP_CACHE = """entries  allocs   destroys unresolved_discards table_fulls
00000019 000052bc 00004f1e 0000000a            00000000
00000019 000050f8 0000547d 00000003            00000000
"""
NETSTAT = """IpExt: InNoRoutes InTruncatedPkts
IpExt: 4 0
"""


def test_the_kernels_drop_counters_are_read_by_cause_both_families_summed(tmp_path: Path) -> None:
    (tmp_path / "snmp").write_text(SNMP)
    (tmp_path / "snmp6").write_text(SNMP6)
    (tmp_path / "netstat").write_text(NETSTAT)
    (tmp_path / "arp_cache").write_text(ARP_CACHE)
    tables = (str(tmp_path / "snmp"), str(tmp_path / "snmp6"), str(tmp_path / "netstat"), str(tmp_path / "absent"))
    text = traffic.node_drops(tables, (str(tmp_path / "arp_cache"), str(tmp_path / "absent")))
    assert 'ha_udp_lb_node_drops_total{cause="udp_receive_buffer"} 16' in text
    assert 'ha_udp_lb_node_drops_total{cause="reassembly_failed"} 7' in text
    assert 'ha_udp_lb_node_drops_total{cause="udp_no_listener"} 8' in text
    assert 'ha_udp_lb_node_drops_total{cause="no_route"} 6' in text
    assert 'ha_udp_lb_node_drops_total{cause="neighbour_unresolved"} 13' in text
    assert traffic.read_snmp(SNMP)[("Udp", "InErrors")] == 11


def test_a_pools_socket_drops_sum_its_listening_sockets_only(tmp_path: Path) -> None:
    """Two listening sockets of the syslog pool (one per worker), and a connected one with the same local
    address (an exporter's session) that is not the pool's listener."""
    (tmp_path / "udp").write_text(UDP)
    sockets = {"syslog": "650012C6:0202", "netflow": "640012C6:0807"}
    text = traffic.socket_losses(sockets, (str(tmp_path / "udp"), str(tmp_path / "udp6")))
    assert 'ha_udp_lb_socket_drops_total{pool="syslog"} 42' in text
    assert 'ha_udp_lb_socket_queued_bytes{pool="syslog"} 768' in text
    assert 'ha_udp_lb_socket_drops_total{pool="netflow"} 0' in text


def test_keepalived_roles_and_the_vips_held_are_reported(tmp_path: Path) -> None:
    (tmp_path / "VI_51").write_text("MASTER 150\n")
    (tmp_path / "VI_52").write_text("garbled")
    vips = [
        {"vip": "127.0.0.1", "instance": "VI_51", "preferred": True},
        {"vip": "198.18.9.9", "instance": "VI_52", "preferred": False},
    ]
    text = VipWatch({"vips": vips, "roles": str(tmp_path)}, every_node_holds=False, routers=[]).metrics()
    assert 'ha_udp_lb_vrrp_state{vip="127.0.0.1",instance="VI_51",state="MASTER"} 1' in text
    assert 'ha_udp_lb_vrrp_state{vip="127.0.0.1",instance="VI_51",state="BACKUP"} 0' in text
    assert 'ha_udp_lb_vrrp_priority{vip="127.0.0.1",instance="VI_51"} 150' in text
    assert 'ha_udp_lb_vrrp_state{vip="198.18.9.9",instance="VI_52",state="unknown"} 1' in text
    assert 'ha_udp_lb_vip_preferred{vip="127.0.0.1"} 1' in text
    # 127.0.0.1 is on lo only: not held where VRRP puts a VIP on an interface besides lo, held where lo counts.
    assert 'ha_udp_lb_vip_held{vip="127.0.0.1",routing="vrrp"} 0' in text
    bgp = VipWatch({"vips": vips, "roles": str(tmp_path)}, every_node_holds=True, routers=[]).metrics()
    assert 'ha_udp_lb_vip_held{vip="127.0.0.1",routing="bgp"} 1' in bgp


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_metrics_are_served_on_get_metrics_and_nothing_else() -> None:
    server = MetricsServer("127.0.0.1", _free_port())
    try:
        server.publish("ha_udp_lb_agent_in_step 1\n")
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=5) as answer:
            assert answer.read() == b"ha_udp_lb_agent_in_step 1\n"
            assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        server.publish("ha_udp_lb_agent_in_step 0\n")
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=5) as answer:
            assert answer.read() == b"ha_udp_lb_agent_in_step 0\n"
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=5)
    finally:
        server.stop()


def test_a_port_taken_is_said_and_tried_again_without_stopping_the_agent() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = MetricsServer("127.0.0.1", taken.getsockname()[1])
        server.publish("x 1\n")
        assert server.server is None and "Address already in use" in server.refused
    server.publish("x 2\n")
    try:
        assert server.server is not None, "not served once the port was free"
    finally:
        server.stop()


def test_bfdds_sessions_are_read_from_vtysh_json() -> None:
    said = '[{"multihop": false, "peer": "198.18.11.1", "status": "up"}, {"peer": "198.18.12.1", "status": "down"}]'
    assert bfd_states(said) == {"198.18.11.1": True, "198.18.12.1": False}
    assert bfd_states("% Unknown command") == {} and bfd_states("{}") == {}
