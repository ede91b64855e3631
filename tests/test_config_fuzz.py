"""Random mutations of the dev and prod stacks: whatever a YAML stack file can hold, the reader either
refuses it with a ConfigError naming what is wrong, or accepts it and every node gets files that say
what the stack said — never anything else."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ha_udp_lb.core.addresses import host_port
from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.errors import ConfigError
from ha_udp_lb.core.model import Stack
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.runner.stackfile import stack_config
from tests.composition import node_files

STACKS = {name: stack_config(name) for name in ("dev", "prod")}

# What YAML can hold: scalars of every kind (huge and non-finite numbers included), lists, mappings.
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**30, max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["auto", "ssh", "docker", "198.18.0.21:2055", "198.18.0.300/24", "$remote_addr", "udp", ""])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    raw = copy.deepcopy(STACKS[draw(st.sampled_from(sorted(STACKS)))])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(_paths(raw)[1:]))
        parent = raw
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(VALUES)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(VALUES)
        else:
            parent.append(draw(VALUES))
    return raw


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_a_mutated_stack_is_refused_clearly_or_accepted_and_rendered(raw: dict[str, Any]) -> None:
    try:
        stack = parse_stack(raw)
    except ConfigError as error:
        assert str(error).startswith("the stack config has ")
        assert all(problem.message for problem in error.problems)
        return
    _assert_files_say_what_the_stack_said(stack)


def _assert_files_say_what_the_stack_said(stack: Stack) -> None:
    """Every VIP in every node's keepalived config, every pool listening on its VIP:port in its data
    plane's file, the same pool files on every node, and the apply script installing every file."""
    rendered = {node.name: node_files(stack, node) for node in stack.nodes}
    for node in stack.nodes:
        files = rendered[node.name]
        keepalived = files[PATHS.keepalived_conf].content
        assert keepalived.count("vrrp_instance ") == len(stack.vips)
        for vip in stack.vips:
            assert f"virtual_router_id {vip.vrid}\n" in keepalived and str(vip.address) in keepalived
        for pool in stack.pools:
            if pool.data_plane == "nginx":
                assert f"listen {host_port(pool.vip, pool.port)} udp" in files[PATHS.pool_file(pool)].content
            else:
                assert f"daddr {pool.vip} udp dport {pool.port} notrack" in files[PATHS.kernel_ruleset].content
        apply = files[PATHS.apply_script].content
        assert all(path in apply for path in files), "apply does not install every file"
    pool_files = [{p: f for p, f in files.items() if p.startswith(PATHS.pool_dir)} for files in rendered.values()]
    assert all(files == pool_files[0] for files in pool_files)
