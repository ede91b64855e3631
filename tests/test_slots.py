"""The kernel plane's slot table (slot_table), as the agent computes it on the node: exact minimal
disruption, balance, weights, and the same table in every process (nodes compute it apart and must agree)."""

from __future__ import annotations

import struct
import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ha_udp_lb.core.project import REPO
from ha_udp_lb.node_agent.kernel import KernelPool, transaction
from ha_udp_lb.node_agent.netlink import (
    NFTA_DATA_VALUE,
    NFTA_SET_ELEM_DATA,
    NFTA_SET_ELEM_KEY,
    NLA_F_NESTED,
    _first_values,
)
from ha_udp_lb.node_agent.nlmsg import attribute
from ha_udp_lb.slot_table import _score, base_table, rankings, table, table_size

BACKENDS = st.lists(
    st.tuples(st.integers(0, 255), st.integers(1, 65535), st.integers(1, 5)),
    min_size=2,
    max_size=8,
    unique_by=lambda b: b[:2],
)


class Pool:
    """A pool's table as the agent holds it (node_agent.kernel.KernelPool): base and rankings once."""

    def __init__(self, names: list[str], weights: list[int]) -> None:
        size = table_size(weights)
        self.weights = weights
        self.base, self.ranked = base_table(names, weights, size), rankings(names, weights, size)

    def table(self, healthy: set[int]) -> list[int]:
        return table(self.base, self.ranked, healthy)


def _pool(spec: list[tuple[int, int, int]]) -> Pool:
    return Pool([f"198.18.1.{host}:{port}" for host, port, _ in spec], [weight for _, _, weight in spec])


@settings(max_examples=40, deadline=None)
@given(BACKENDS, st.data())
def test_losing_a_collector_moves_exactly_its_slots_and_its_return_moves_them_back(spec, data) -> None:  # type: ignore[no-untyped-def]
    pool = _pool(spec)
    healthy = set(data.draw(st.sets(st.sampled_from(range(len(spec))), min_size=2)))
    lost = data.draw(st.sampled_from(sorted(healthy)))
    before = pool.table(healthy)
    after = pool.table(healthy - {lost})
    moved = {slot for slot, (a, b) in enumerate(zip(before, after, strict=True)) if a != b}
    assert moved == {slot for slot, owner in enumerate(before) if owner == lost}
    assert lost not in after
    assert pool.table(healthy) == before  # its return restores the table exactly


@settings(max_examples=20, deadline=None)
@given(BACKENDS)
def test_with_every_collector_healthy_shares_follow_the_weights_within_one_percent(spec) -> None:  # type: ignore[no-untyped-def]
    pool = _pool(spec)
    counts = Counter(pool.table(set(range(len(spec)))))
    for index, weight in enumerate(pool.weights):
        assert abs(counts[index] / len(pool.base) - weight / sum(pool.weights)) <= 0.01


def test_after_a_loss_the_survivors_shares_stay_within_one_percent() -> None:
    for count in (3, 4, 5, 8):
        pool = Pool([f"198.18.0.{21 + i}:2055" for i in range(count)], [1] * count)
        for lost in range(count):
            counts = Counter(pool.table(set(range(count)) - {lost}))
            shares = [counts[i] / len(pool.base) for i in range(count) if i != lost]
            assert max(shares) - min(shares) <= 0.01, (count, lost, shares)


def test_the_table_is_the_same_in_every_process_whatever_the_hash_seed() -> None:
    script = (
        "from ha_udp_lb.slot_table import base_table, rankings, table, table_size; "
        "n = ['198.18.0.21:2055', '198.18.0.22:2055', '198.18.0.23:2055']; w = [1, 2, 1]; s = table_size(w); "
        "print(hash(tuple(table(base_table(n, w, s), rankings(n, w, s), {0, 2}))))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("0", "1", "2")
    }
    # hash() of a tuple of ints does not depend on the seed: equal outputs mean equal tables.
    assert len(outputs) == 1


def test_table_sizes_are_prime_and_grow_with_the_weights() -> None:
    assert table_size([1, 1, 1]) == 8191
    size = table_size([50] * 10)
    assert size >= 50_000 and all(size % d for d in range(2, int(size**0.5) + 1))


def test_a_health_change_swaps_exactly_the_changed_slots_encoded_as_the_kernel_keeps_them() -> None:
    backends = [(f"198.18.0.{21 + i}:2055", f"198.18.0.{21 + i}", 2055 + i) for i in range(3)]
    pool = KernelPool("ha_udp_lb", "p_netflow", "/etc/ha-udp-lb/kernel.nft", backends, [1, 1, 1], 8191)
    after = pool.table_for({"198.18.0.22:2055", "198.18.0.23:2055"})
    maps = transaction(pool, pool.base, after)
    moved = [slot for slot, owner in enumerate(pool.base) if owner == 0]
    assert [struct.unpack("=I", key)[0] for key, _ in maps["p_netflow_addrs"]] == moved
    for (key, address), (_, port) in zip(maps["p_netflow_addrs"], maps["p_netflow_ports"], strict=True):
        owner = after[struct.unpack("=I", key)[0]]
        assert address == bytes([198, 18, 0, 21 + owner]) and port == struct.pack("!H", 2055 + owner)
    assert transaction(pool, after, after) == {}


def test_a_map_whose_value_a_slot_keeps_is_left_alone() -> None:
    """Collectors sharing a port: only the addresses map changes (the kernel does half the work); two
    collectors on one host: only the ports map; a slot held as unknown (-1) is written in both."""
    same_port = [(f"198.18.0.{21 + i}:2055", f"198.18.0.{21 + i}", 2055) for i in range(3)]
    pool = KernelPool("ha_udp_lb", "p_netflow", "/etc/ha-udp-lb/kernel.nft", same_port, [1, 1, 1], 8191)
    maps = transaction(pool, pool.base, pool.table_for({"198.18.0.22:2055", "198.18.0.23:2055"}))
    assert len(maps["p_netflow_addrs"]) == pool.base.count(0) and maps["p_netflow_ports"] == []
    one_host = [(f"198.18.0.21:{2055 + i}", "198.18.0.21", 2055 + i) for i in range(3)]
    pool = KernelPool("ha_udp_lb", "p_netflow", "/etc/ha-udp-lb/kernel.nft", one_host, [1, 1, 1], 8191)
    maps = transaction(pool, pool.base, pool.table_for({"198.18.0.21:2056", "198.18.0.21:2057"}))
    assert maps["p_netflow_addrs"] == [] and len(maps["p_netflow_ports"]) == pool.base.count(0)
    unknown = [-1, *pool.base[1:]]
    maps = transaction(pool, unknown, pool.base)
    assert [len(maps["p_netflow_addrs"]), len(maps["p_netflow_ports"])] == [1, 1]


@pytest.mark.parametrize("order", ["key data", "flags key data", "key flags data", "key data flags"])
def test_a_dumped_element_yields_its_slot_and_collector_whatever_else_it_carries(order: str) -> None:
    """How the agent reads the kernel's slot maps back (netlink.map_elements): an element's flags or
    timeout, wherever the kernel puts them, neither hide nor replace its key and value."""
    parts = {
        "key": attribute(NFTA_SET_ELEM_KEY | NLA_F_NESTED, attribute(NFTA_DATA_VALUE, struct.pack("=I", 5))),
        "data": attribute(NFTA_SET_ELEM_DATA | NLA_F_NESTED, attribute(NFTA_DATA_VALUE, bytes([198, 18, 0, 21]))),
        "flags": attribute(3, struct.pack("!I", 1)),
    }
    found = _first_values(b"".join(parts[name] for name in order.split()))
    assert found == {NFTA_SET_ELEM_KEY: struct.pack("=I", 5), NFTA_SET_ELEM_DATA: bytes([198, 18, 0, 21])}
    unmarked = {
        name: part[:2] + struct.pack("=H", struct.unpack_from("=H", part, 2)[0] & ~NLA_F_NESTED) + part[4:]
        for name, part in parts.items()
    }  # as the kernel dumps them: nested, not flagged so
    assert _first_values(b"".join(unmarked[name] for name in order.split())) == found


def test_a_slot_whose_owner_is_down_goes_to_its_highest_scoring_healthy_collector() -> None:
    """The rankings are the rendezvous order: checked against the weighted score computed directly."""
    names = [f"198.18.0.{21 + i}:2055" for i in range(4)]
    weights = [1, 2, 1, 3]
    pool = Pool(names, weights)
    for healthy in ({1, 2, 3}, {0, 3}, {2}):
        result = pool.table(healthy)
        for slot in range(0, len(pool.base), 97):
            winner = max(sorted(healthy), key=lambda b: _score(slot, names[b], weights[b]))
            assert result[slot] == (pool.base[slot] if pool.base[slot] in healthy else winner)
