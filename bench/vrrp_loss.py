"""VRRP under loss and load, the table that chooses `vrrp.advertInterval`'s default (BENCHMARKS.md).

At each advert interval, with a share of the adverts every node receives dropped at random (nftables'
numgen; this kernel has no netem) and with or without both cores saturated, while exporters send:
how often does a node become master when nothing failed (keepalived's own count, "Became master")?
And at each interval and load, what does a real link cut cost (the link-cut drill)?

Usage (root, no lab up):
    venv/bin/python bench/vrrp_loss.py [SECONDS_PER_CELL] [LINK_CUT_TRIALS] [INTERVALS] [LOSSES] [LOADS]
        > bench/summaries/vrrp-loss.json
INTERVALS and LOSSES are comma-separated (default 0.01,0.02,0.03,0.05 and 0,1,5,10); LOADS is idle,saturated
(the default), idle or saturated."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, redirect_stdout
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from busy_loops import busy_loops

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.project import REPO
from ha_udp_lb.lab.drill.run import run
from ha_udp_lb.lab.drill.scenario import ScenarioError
from ha_udp_lb.lab.drill.scenarios import SCENARIOS, roll_out
from ha_udp_lb.lab.drill.trial import Settings, start_exporters
from ha_udp_lb.lab.host.control import node_sh, set_vrrp_loss
from ha_udp_lb.lab.host.site import down, up, wait_settled
from ha_udp_lb.lab.host.state import LAB_DIR, LabState, NodeState, lab_config

STACK = "dev"
RATE = 100.0
"""Probes per second per exporter per pool while a cell runs: traffic flows, the CPUs have work."""


def became_master(node: NodeState) -> int:
    """How many times, since it started, any of the node's VRRP instances became master (SIGUSR2
    makes keepalived write its statistics)."""
    stats = "/tmp/keepalived.stats"
    dump = f"rm -f {stats}; kill -USR2 $(cat {PATHS.keepalived_pid}); for _ in $(seq 50); do "
    dump += f"[ -s {stats} ] && break; sleep 0.02; done; sleep 0.05; cat {stats}"
    text = node_sh(node, dump, timeout=10).stdout
    return sum(int(n) for n in re.findall(r"Became master:\s*(\d+)", text))


def masters(state: LabState) -> int:
    return sum(became_master(node) for node in state.nodes)


@contextmanager
def saturated(on: bool, seconds: float) -> Iterator[None]:
    """Busy loops for the cell if `on` (bench/busy_loops.py): the daemons compete for every cycle."""
    with busy_loops(seconds) if on else nullcontext():
        yield


@contextmanager
def traffic(state: LabState, seconds: float) -> Iterator[None]:
    """Every exporter sends to every pool for the cell (the drills' exporter agent; bounded)."""
    sent = LAB_DIR / "vrrp-loss-sent"
    sent.mkdir(parents=True, exist_ok=True)
    start_ns = time.monotonic_ns() + 300_000_000
    senders = start_exporters(state.exporters, state.pools, 0, Settings(RATE, seconds), start_ns, sent)
    try:
        yield
    finally:
        for sender in senders:
            sender.kill()
            sender.wait()


def cell(state: LabState, loss: float, load: bool, seconds: float) -> dict[str, Any]:
    wait_settled(state, timeout=30)
    before = masters(state)
    set_vrrp_loss(state, loss)
    try:
        with saturated(load, seconds), traffic(state, seconds):
            time.sleep(seconds)
    finally:
        set_vrrp_loss(state, 0)
    moves = masters(state) - before
    return {
        "loss_pct": loss,
        "saturated": load,
        "seconds": seconds,
        "spurious_masters": moves,
        "per_hour": round(moves * 3600 / seconds, 1),
    }


def link_cut(state: LabState, load: bool, trials: int, interval: float) -> dict[str, Any]:
    out = REPO / "bench" / "raw" / "vrrp-loss" / f"{interval:g}-{'saturated' if load else 'idle'}"
    # The drill prints a line per trial; this script's stdout is its JSON alone.
    with saturated(load, trials * 30), redirect_stdout(sys.stderr):
        try:
            report = run(state, SCENARIOS["link-cut"], trials, Settings(duration_s=3.0), out)
        except ScenarioError as failed:
            return {"saturated": load, "error": str(failed)}
    return {"saturated": load, "trials": trials, "blackout_ms": report.blackout_ms.__dict__, "passed": report.passed}


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    trials = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    intervals = [float(i) for i in (sys.argv[3] if len(sys.argv) > 3 else "0.01,0.02,0.03,0.05").split(",")]
    losses = [float(p) for p in (sys.argv[4] if len(sys.argv) > 4 else "0,1,5,10").split(",")]
    loads = [load == "saturated" for load in (sys.argv[5] if len(sys.argv) > 5 else "idle,saturated").split(",")]
    down()
    state = up(STACK, exporters=4)
    rows = []
    try:
        for interval in intervals:
            raw = lab_config(STACK, state.overrides)
            raw.setdefault("vrrp", {})["advertInterval"] = interval
            roll_out(state, raw, lambda node, commands: _must(node_sh(node, commands)))
            cuts = [link_cut(state, load, trials, interval) for load in loads] if trials else []
            cells = [cell(state, loss, load, seconds) for load in loads for loss in losses]
            row = {"advert_interval_s": interval, "cells": cells, "link_cut": cuts}
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows.append(row)
    finally:
        down()
    print(json.dumps({"stack": STACK, "rate_per_flow": RATE, "rows": rows}, indent=1))


def _must(result: subprocess.CompletedProcess[str]) -> None:
    if result.returncode:
        raise SystemExit(f"roll-out failed: {result.stdout[-2000:]}{result.stderr[-2000:]}")


if __name__ == "__main__":
    main()
