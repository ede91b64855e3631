"""What a kernel-plane slot swap costs the agent: the dev stack's own table (lb1's kernel.nft, as the
program composes it) loaded in a network namespace of its own, then the netflow pool's first collector
taken out and put back TRIALS times as the agent does it (kernel_plane's transaction, then one nftables
transaction over netlink), and the pool's two maps read back as `verify` reads them. No packet is sent.

Usage (root): venv/bin/python bench/slot_swap.py [TRIALS]   (prints JSON; a few seconds)"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from ha_udp_lb.components.agent_sources import agent_sources
from ha_udp_lb.core.compose import compose_node
from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.node_agent.kernel import read_slots, run, transaction
from ha_udp_lb.node_agent.settings import pool_configs
from ha_udp_lb.runner.stackfile import stack_config

NAMESPACE, POOL = "hulb-bench-swap", "netflow"


def milliseconds(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": round(statistics.median(ordered), 1), "max": round(ordered[-1], 1)}


def measure(trials: int) -> dict[str, object]:
    stack = parse_stack(stack_config("dev"))
    files = compose_node(stack, stack.nodes[0], agent_sources()).files
    pool = next(p for p in pool_configs(json.loads(files[PATHS.health_config].content)) if p.name == POOL).kernel
    assert pool is not None, f"pool {POOL} is not on the kernel plane in the dev stack"
    with tempfile.NamedTemporaryFile("w", suffix=".nft") as ruleset:
        ruleset.write(files[PATHS.kernel_ruleset].content)
        ruleset.flush()
        subprocess.run(["nft", "-f", ruleset.name], check=True)
    every = {name for name, _, _ in pool.backends}
    tables = [pool.table_for(every), pool.table_for(every - {pool.backends[0][0]})]
    python, kernel, read = [], [], []
    for trial in range(2 * trials):
        before, after = tables[trial % 2], tables[(trial + 1) % 2]
        started = time.perf_counter()
        maps = transaction(pool, before, after)
        built = time.perf_counter()
        problem = run(pool.table, maps)
        done = time.perf_counter()
        assert problem is None, problem
        python.append(1000 * (built - started))
        kernel.append(1000 * (done - built))
        started_cpu = time.process_time()
        assert read_slots(pool) == after
        read.append(1000 * (time.process_time() - started_cpu))
    return {
        "pool": POOL,
        "slots": pool.size,
        "slots_moved": sum(a != b for a, b in zip(*tables, strict=True)),
        "swaps": 2 * trials,
        "transaction_built_ms": milliseconds(python),
        "netlink_run_ms": milliseconds(kernel),
        "maps_read_cpu_ms": milliseconds(read),
    }


def main(trials: int) -> None:
    """In a namespace of its own: the agent's netlink sockets open in the namespace the process is in."""
    if os.environ.get("SLOT_SWAP_INSIDE"):
        print(json.dumps(measure(trials), indent=1))
        return
    subprocess.run(["ip", "netns", "add", NAMESPACE], check=True)
    try:
        argv = ["ip", "netns", "exec", NAMESPACE, sys.executable, __file__, str(trials)]
        subprocess.run(argv, check=True, env={**os.environ, "SLOT_SWAP_INSIDE": "1"})
    finally:
        subprocess.run(["ip", "netns", "del", NAMESPACE], check=False)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
