"""The kernel data plane's slot table: which collector each of S slots sends to (an exporter's slot is
jhash(its address) mod S, computed by nftables). One home for the algorithm, stdlib only: the core
renders the table from it, and the health agent (shipped with this package) recomputes it on the node
when a collector's health changes.

Two stages, each for what it is best at:
- **Maglev population over every collector** (weights as that many virtual collectors): with all of
  them healthy, every collector owns its weight's share of slots to within one slot per virtual
  collector, so shares differ by far less than 1 %.
- **Rendezvous (highest random weight) among the healthy** for the slots whose owner is not: removing
  a collector moves exactly its slots and no other; one coming back takes back exactly the slots it
  owns or wins. Maglev alone would move a few survivors' slots too.

Deterministic across runs, hosts and Python versions: blake2b, never Python's hash()."""

from __future__ import annotations

import hashlib
import math

MIN_SLOTS = 8191
SLOTS_PER_WEIGHT = 100
"""Maglev's guidance: a table at least 100 times the number of (virtual) backends."""
MAX_SLOTS = 65521
"""The largest prime below 2^16: nftables maps of this size load in a fraction of a second."""


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def seed(pool: str) -> int:
    """The pool's jhash seed: the same on every node, so every node maps an exporter to the same slot."""
    return _hash(f"seed|{pool}") & 0xFFFFFFFF


def table_size(weights: list[int]) -> int:
    """The smallest prime at least MIN_SLOTS and 100 x the total weight."""
    size = max(MIN_SLOTS, SLOTS_PER_WEIGHT * sum(weights))
    while not _prime(size):
        size += 1
    return size


def _prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, math.isqrt(n) + 1))


def base_table(backends: list[str], weights: list[int], size: int) -> list[int]:
    """Maglev's population (NSDI 2016, section 3.4) over virtual backends: slot → backend index."""
    virtual = [
        (index, f"{backend}#{copy}")
        for index, (backend, weight) in enumerate(zip(backends, weights, strict=True))
        for copy in range(weight)
    ]
    offsets = [_hash(f"offset|{name}") % size for _, name in virtual]
    skips = [_hash(f"skip|{name}") % (size - 1) + 1 for _, name in virtual]
    nexts = [0] * len(virtual)
    table = [-1] * size
    filled = 0
    while True:
        for v, (owner, _name) in enumerate(virtual):
            slot = (offsets[v] + nexts[v] * skips[v]) % size
            while table[slot] >= 0:
                nexts[v] += 1
                slot = (offsets[v] + nexts[v] * skips[v]) % size
            table[slot] = owner
            nexts[v] += 1
            filled += 1
            if filled == size:
                return table


def _score(slot: int, backend: str, weight: int) -> float:
    """Weighted rendezvous: -w / ln(u), u uniform in (0, 1) from the hash."""
    unit = (_hash(f"slot|{slot}|{backend}") + 1) / 2**64
    return -weight / math.log(unit)


def rankings(backends: list[str], weights: list[int], size: int) -> list[tuple[int, ...]]:
    """Per slot, every backend index from the rendezvous winner down: computed once, so a health
    change costs a lookup per slot instead of a hash per slot and backend."""
    return [
        tuple(sorted(range(len(backends)), key=lambda b: -_score(slot, backends[b], weights[b])))
        for slot in range(size)
    ]


def table(base: list[int], ranked: list[tuple[int, ...]], healthy: set[int]) -> list[int]:
    """Slot → backend index for the `healthy` backends (indices into the pool's backends), from the
    Maglev `base` and the precomputed `rankings`. Slots whose base owner is healthy keep it; the others
    go to their rendezvous winner among the healthy. None healthy: the base table (send to all)."""
    if not healthy:
        return list(base)
    return [
        owner if owner in healthy else next(b for b in ranked[slot] if b in healthy) for slot, owner in enumerate(base)
    ]
