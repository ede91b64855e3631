"""The agent's duties for the kernel data plane: keep each kernel pool's slot maps in step with the
healthy set, tell keepalived within 20 ms when the table is gone, load it again, and count."""

from __future__ import annotations

from pathlib import Path

from . import kernel, report
from .kernel import KernelPool
from .netlink import Element

TABLE_EVERY_NS = 20_000_000

SendTo = dict[str, set[str]]
"""Pool name → the backends it may send to (judge.usable)."""


class KernelPlane:
    def __init__(self, pools: dict[str, KernelPool], down_file: str, sendable: SendTo) -> None:
        self.pools = pools
        """Pool name → its slot maps."""
        self.down_file = down_file
        self.checked_ns = 0
        # What the maps hold now: apply's `mark` left them as the saved view says.
        self.tables = {name: pool.table_for(sendable[name]) for name, pool in pools.items()}

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

    def sync(self, sendable: SendTo) -> None:
        """One transaction per pool, so the first pool's exporters move without waiting for the others'."""
        for name, pool in self.pools.items():
            wanted = pool.table_for(sendable[name])
            maps = kernel.transaction(pool, self.tables.get(name, pool.base), wanted)
            if not maps:
                continue
            problem = kernel.run(pool.table, maps)
            if problem:
                report.log(f"nftables refused pool {name}'s slot change: {problem}")
                continue
            self.tables[name] = wanted
            report.log(f"pool {name}: {len(maps[f'{pool.id}_addrs'])} kernel slots swapped")

    def watch(self, now: int) -> int:
        """Is the table there (every 20 ms, as the socket watcher looks for nginx)? keepalived faults the node
        while it is not. Returns when to look again."""
        if not self.pools:
            return now + 10 * TABLE_EVERY_NS
        if now - self.checked_ns >= TABLE_EVERY_NS:
            self.checked_ns = now
            state = "0\n" if self._loaded() else "1\n"
            path = Path(self.down_file)
            if not path.exists() or path.read_text() != state:
                report.write_atomically(self.down_file, state)
        return self.checked_ns + TABLE_EVERY_NS

    def keep(self, sendable: SendTo) -> None:
        """A firewall reload flushes every table: load ours again, then the current view's slots."""
        if not self.pools or self._loaded():
            return
        for ruleset in sorted({pool.ruleset for pool in self.pools.values()}):
            problem = kernel.reload(ruleset)
            report.log(f"kernel table gone; loading it again failed: {problem}" if problem else "kernel table reloaded")
        self.tables = {}
        self.sync(sendable)

    def metrics(self) -> str:
        return kernel.metrics(sorted(self.pools.items()))

    def _loaded(self) -> bool:
        return all(kernel.loaded(table) for table in {pool.table for pool in self.pools.values()})
