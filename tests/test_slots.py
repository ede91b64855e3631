"""The kernel plane's slot table (node_agent.slots): exact minimal disruption, balance, weights, and the
same table in every process (nodes compute it apart and must agree)."""

from __future__ import annotations

import struct
import subprocess
import sys
from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from node_agent.kernel import KernelPool, transaction
from node_agent.slots import base_table, rankings, table, table_from, table_size

BACKENDS = st.lists(
    st.tuples(st.integers(0, 255), st.integers(1, 65535), st.integers(1, 5)),
    min_size=2,
    max_size=8,
    unique_by=lambda b: b[:2],
)


def _pool(spec: list[tuple[int, int, int]]) -> tuple[list[str], list[int], list[int]]:
    names = [f"198.18.1.{host}:{port}" for host, port, _ in spec]
    weights = [weight for _, _, weight in spec]
    return names, weights, base_table(names, weights, table_size(weights))


@settings(max_examples=40, deadline=None)
@given(BACKENDS, st.data())
def test_losing_a_collector_moves_exactly_its_slots_and_its_return_moves_them_back(spec, data) -> None:  # type: ignore[no-untyped-def]
    names, weights, base = _pool(spec)
    healthy = set(data.draw(st.sets(st.sampled_from(range(len(names))), min_size=2)))
    lost = data.draw(st.sampled_from(sorted(healthy)))
    before = table(names, weights, base, healthy)
    after = table(names, weights, base, healthy - {lost})
    moved = {slot for slot, (a, b) in enumerate(zip(before, after, strict=True)) if a != b}
    assert moved == {slot for slot, owner in enumerate(before) if owner == lost}
    assert lost not in after
    assert table(names, weights, base, healthy) == before  # its return restores the table exactly


@settings(max_examples=20, deadline=None)
@given(BACKENDS)
def test_with_every_collector_healthy_shares_follow_the_weights_within_one_percent(spec) -> None:  # type: ignore[no-untyped-def]
    _names, weights, base = _pool(spec)
    counts = Counter(base)
    for index, weight in enumerate(weights):
        assert abs(counts[index] / len(base) - weight / sum(weights)) <= 0.01


def test_after_a_loss_the_survivors_shares_stay_within_one_percent() -> None:
    for count in (3, 4, 5, 8):
        names = [f"198.18.0.{21 + i}:2055" for i in range(count)]
        weights = [1] * count
        base = base_table(names, weights, table_size(weights))
        for lost in range(count):
            counts = Counter(table(names, weights, base, set(range(count)) - {lost}))
            shares = [counts[i] / len(base) for i in range(count) if i != lost]
            assert max(shares) - min(shares) <= 0.01, (count, lost, shares)


def test_the_table_is_the_same_in_every_process_whatever_the_hash_seed() -> None:
    script = (
        "from node_agent.slots import base_table, table, table_size; "
        "n = ['198.18.0.21:2055', '198.18.0.22:2055', '198.18.0.23:2055']; w = [1, 2, 1]; "
        "b = base_table(n, w, table_size(w)); print(hash(tuple(table(n, w, b, {0, 2}))))"
    )
    root = Path(__file__).resolve().parent.parent
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(root)},
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


def test_precomputed_rankings_give_the_same_table() -> None:
    names = [f"198.18.0.{21 + i}:2055" for i in range(4)]
    weights = [1, 2, 1, 3]
    size = table_size(weights)
    base, ranked = base_table(names, weights, size), rankings(names, weights, size)
    for healthy in ({0, 1, 2, 3}, {1, 2, 3}, {0, 3}, {2}):
        assert table_from(base, ranked, healthy) == table(names, weights, base, healthy)
