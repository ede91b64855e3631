"""The operator commands' pure parts: nginx's ring read from a pool file and consistent when a server is
marked down, the kernel slot of a measured address, and `status` saying plainly what is wrong."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ha_udp_lb.core import nginx_chash
from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.render import render_pool
from ha_udp_lb.operate.readings import parse
from ha_udp_lb.operate.status_view import Look, render
from ha_udp_lb.runner.stackfile import stack_config
from ha_udp_lb.slot_table.kernel_hash import slot_of

SERVERS = [nginx_chash.Server(f"198.18.0.{i}:2055", weight) for i, weight in ((21, 1), (22, 2), (23, 1))]


def test_the_servers_are_read_from_the_rendered_pool_file_not_its_listener() -> None:
    raw = stack_config("dev")
    raw["pools"] = [{**p, "dataPlane": "nginx"} for p in raw["pools"]]
    stack = parse_stack(raw)
    (text,) = render_pool(stack, stack.pools[0]).values()
    marked = text.content.replace(
        "198.18.0.22:2055 weight=1 max_fails=1 fail_timeout=10s;",
        "198.18.0.22:2055 weight=1 max_fails=1 fail_timeout=10s down;",
    )
    servers = nginx_chash.servers_in(marked)
    assert [(s.endpoint, s.weight, s.down) for s in servers] == [
        ("198.18.0.21:2055", 1, False),
        ("198.18.0.22:2055", 1, True),
        ("198.18.0.23:2055", 1, False),
    ]


@given(st.lists(st.ip_addresses(v=4).map(str), min_size=1, max_size=50))
def test_marking_a_server_down_moves_only_its_exporters(exporters: list[str]) -> None:
    down = [nginx_chash.Server(s.endpoint, s.weight, s.endpoint.startswith("198.18.0.22")) for s in SERVERS]
    for exporter in exporters:
        before, after = nginx_chash.choose(SERVERS, exporter.encode()), nginx_chash.choose(down, exporter.encode())
        assert after != "198.18.0.22:2055"
        assert before == after or before == "198.18.0.22:2055"


def test_every_server_down_names_none() -> None:
    assert nginx_chash.choose([nginx_chash.Server(s.endpoint, 1, True) for s in SERVERS], b"192.0.2.7") is None


def test_a_slot_the_kernel_chose_is_reproduced() -> None:
    """Measured on this kernel (tests/test_kernel_hash.py checks hundreds more live)."""
    assert slot_of("198.18.0.80", 8191, 0xDEADBE01) == 71


METRICS = """ha_udp_lb_vip_held{vip="198.18.0.100",routing="vrrp"} %(held)s
ha_udp_lb_collector_up{pool="netflow",collector="198.18.0.21:2055"} %(up)s
ha_udp_lb_collector_datagrams_total{pool="netflow",collector="198.18.0.21:2055"} %(sent)s
ha_udp_lb_pool_datagrams_total{pool="netflow"} %(sent)s
ha_udp_lb_deployment_info{deployment="%(deployment)s"} 1
ha_udp_lb_agent_last_turn_timestamp_seconds 100
ha_udp_lb_agent_in_step %(in_step)s
"""


def _look(held: int, up: int, deployment: str, in_step: int) -> Look:
    values = {"held": held, "up": up, "deployment": deployment, "in_step": in_step}
    return Look(parse(METRICS % {**values, "sent": 0}), parse(METRICS % {**values, "sent": 600}), 2.0, 100.5)


def test_status_says_plainly_what_is_wrong() -> None:
    looks = {"lb1": _look(0, 0, "aaaa", 0), "lb2": _look(0, 1, "bbbb", 1)}
    shown = render("prod", ["198.18.0.100"], [("netflow", "kernel, 198.18.0.100:2055")], looks, {"lb3": "timed out"})
    assert "198.18.0.100      NOBODY" in shown
    assert "DEPLOYMENTS DIFFER" in shown and "lb3: NOT REACHED (timed out)" in shown
    assert "198.18.0.21:2055          DOWN up" in shown and "600" in shown  # 300/s from each node
    assert "OUT OF STEP" in shown and "last turn 0.5 s ago" in shown
