"""Which nodes the last deployment had and the stack drops (core.departures), from what a StackReference
to the stack itself reads: nothing before the first deployment, numbers as floats, odd shapes ignored."""

from __future__ import annotations

from typing import Any

import pytest

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.departures import departing, ssh_hosts
from ha_udp_lb.runner.stackfile import stack_config

STACK = parse_stack(stack_config("hosts"))


@pytest.mark.parametrize("previous", [None, {}, "lb9", ["lb9"], {"lb9": "198.19.0.19"}, {"lb9": {"user": "root"}}])
def test_nothing_leaves_when_the_last_deployment_names_no_reachable_node(previous: Any) -> None:
    assert departing(previous, STACK) == {}


def test_a_dropped_node_leaves_with_the_ssh_block_the_last_deployment_exported() -> None:
    previous = {**ssh_hosts(STACK), "lb9": {"host": "198.19.0.19", "user": "admin", "port": 2222.0}}
    (name, ssh), *rest = departing(previous, STACK).items()
    assert (name, ssh.host, ssh.user, ssh.port, rest) == ("lb9", "198.19.0.19", "admin", 2222, [])


def test_the_nodes_that_stay_never_leave() -> None:
    assert departing(ssh_hosts(STACK), STACK) == {}
