"""The agent's duties for the project's nftables table: keep each kernel pool's slot maps in step with
the healthy set, tell keepalived within 20 ms when the table is gone (kernel pools), load it again
(on every node: it also holds what the pools admit and what the node forwards), and count."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import kernel, netlink, report
from .kernel import KernelPool
from .netlink import Element

TABLE_EVERY_NS = 20_000_000

SendTo = dict[str, set[str]]
"""Pool name → the backends it may send to (judge.usable)."""


class KernelPlane:
    def __init__(
        self, pools: dict[str, KernelPool], down_file: str, sendable: SendTo, firewall: dict[str, Any] | None = None
    ) -> None:
        self.pools = pools
        """Pool name → its slot maps."""
        self.firewall = firewall or {}
        """The table, its ruleset file, and the counters of what it drops (core.render_kernel)."""
        self.down_file = down_file
        self.checked_ns = 0
        self.missing_looks = 0
        self.handles: dict[str, int] = {}
        self.replaced = False
        """A table was loaded again since the agent last asked (`apply` of a new ruleset, or `keep`)."""
        # What the maps hold now: apply's `mark` left them as the saved view says.
        self.tables = {name: pool.table_for(sendable[name]) for name, pool in pools.items()}
        self.generation: int | None = None
        """The ruleset's generation when the maps were last found to hold `tables`."""
        self.restored: dict[str, int] = dict.fromkeys(pools, 0)
        """Pool → slots found holding other than the agent set (by hand, another program), put back."""

    def changes(self, sendable: SendTo, tables: dict[str, list[int]] | None = None) -> dict[str, list[Element]]:
        """The elements taking every pool's maps from what they hold to `sendable` (one transaction)."""
        held = self.tables if tables is None else tables
        maps: dict[str, list[Element]] = {}
        for name, pool in self.pools.items():
            wanted = pool.table_for(sendable[name])
            maps |= kernel.transaction(pool, held.get(name, pool.base), wanted)
            held[name] = wanted
        return maps

    def apply(self, maps: dict[str, list[Element]]) -> str | None:
        tables = {pool.table for pool in self.pools.values()}
        return kernel.run(tables.pop(), maps) if maps and len(tables) == 1 else None

    def sync(self, sendable: SendTo, swapped: Callable[[str], None] = lambda name: None) -> bool:
        """One transaction per pool, so the first pool's exporters move without waiting for the others'
        (and `swapped(pool)` follows each at once). False when nftables refused one: those pools keep
        their slots, and the agent tries again."""
        in_step = True
        for name, pool in self.pools.items():
            wanted = pool.table_for(sendable[name])
            maps = kernel.transaction(pool, self.tables.get(name, pool.base), wanted)
            if not maps:
                continue
            before = netlink.generation()
            problem = kernel.run(pool.table, maps)
            if problem:
                report.log(f"nftables refused pool {name}'s slot change, trying again: {problem}")
                in_step = False
                continue
            self.tables[name] = wanted
            self._ours(before)
            swapped(name)
            report.log(f"pool {name}: {len(maps[f'{pool.id}_addrs'])} kernel slots swapped")
        return in_step

    def verify(self) -> bool:
        """Do the slot maps hold what the agent set? Asked each turn, read only when the ruleset's generation
        moved since they last did (any transaction on the node but the agent's own swaps) and the table is
        there (`keep` loads a missing one). Slots that differ are counted and held as found, so that the
        next sync puts back exactly those. False when some differ."""
        generation = netlink.generation() if self.pools else None
        if generation is None or generation == self.generation or self._loaded() is not True:
            return True
        differing = {}
        for name, pool in self.pools.items():
            believed = self.tables.get(name)
            found = kernel.read_slots(pool)
            count = sum(old != new for old, new in zip(found, believed or found, strict=True))
            if count:
                differing[name], self.tables[name] = count, found
                self.restored[name] += count
        if differing:
            report.log(f"kernel slots not as the agent set them, putting them back: {differing}")
        self.generation = generation
        return not differing

    def _ours(self, before: int | None) -> None:
        """Our swap moved the generation by one from one whose maps were found as we hold them: they
        still are, and `verify` need not read them (44 ms a pool, right when a collector has died)."""
        if before is not None and before == self.generation and netlink.generation() == (before + 1) & 0xFFFFFFFF:
            self.generation = (before + 1) & 0xFFFFFFFF

    def watch(self, now: int) -> int:
        """Is the table there (every 20 ms, as the socket watcher looks for nginx)? keepalived faults the node
        while it is not. Returns when to look again."""
        if not self.pools:
            return now + 10 * TABLE_EVERY_NS
        if now - self.checked_ns >= TABLE_EVERY_NS:
            self.checked_ns = now
            self._note_handles()
            seen = self._loaded()
            if seen is None:  # no answer that says: keep what keepalived was told
                return self.checked_ns + TABLE_EVERY_NS
            self.missing_looks = 0 if seen else self.missing_looks + 1
            state = "1\n" if self.missing_looks >= kernel.MISSING_LOOKS else "0\n"
            path = Path(self.down_file)
            if not path.exists() or path.read_text() != state:
                report.write_atomically(self.down_file, state)
        return self.checked_ns + TABLE_EVERY_NS

    def keep(self) -> bool:
        """A firewall reload flushes every table: load ours again. True when it did: its maps hold every
        collector again, and the agent puts the current view's slots back (sync, under the node's lock)."""
        rulesets = {pool.ruleset for pool in self.pools.values()} | set(filter(None, [self.firewall.get("ruleset")]))
        if not rulesets or self._loaded() is not False:
            return False
        for ruleset in sorted(rulesets):
            problem = kernel.reload(ruleset)
            report.log(f"kernel table gone; loading it again failed: {problem}" if problem else "kernel table reloaded")
        self.tables = {}
        return True

    def take_replaced(self) -> bool:
        replaced, self.replaced = self.replaced, False
        return replaced

    def _note_handles(self) -> None:
        for table in {pool.table for pool in self.pools.values()}:
            handle = kernel.handle(table)
            if handle and self.handles.setdefault(table, handle) != handle:
                self.handles[table], self.replaced = handle, True

    def metrics(self) -> str:
        if not self.pools:
            return kernel.refusal_metrics(self.firewall)
        lines = [
            "# HELP ha_udp_lb_kernel_slots_restored_total Slots found naming another collector than the agent set.",
            "# TYPE ha_udp_lb_kernel_slots_restored_total counter",
            *(f'ha_udp_lb_kernel_slots_restored_total{{pool="{n}"}} {c}' for n, c in sorted(self.restored.items())),
        ]
        return "\n".join(lines) + "\n" + kernel.refusal_metrics(self.firewall)

    def _loaded(self) -> bool | None:
        """Every table there; False when one is missing; None when the kernel did not say of one."""
        tables = {pool.table for pool in self.pools.values()} | set(filter(None, [self.firewall.get("table")]))
        seen = [kernel.loaded(table) for table in sorted(tables)]
        return False if False in seen else (None if None in seen else True)
