"""The template gap (issue 30): per data plane, with the node's template replay on and off, `trials`
fresh labs each run the gap drill (ha_udp_lb/lab/drill/template_gap.py: 10 NetFlow v9 and IPFIX
exporters, templates sent once, 50 packets/s of 10 records each, the pool's first collector killed
1.5 s in). Per moved exporter: the share of the records it sent after the failover window that its new
collector decoded, and when that collector decoded its first record. Root, no lab up; ~13 s a trial.

    venv/bin/python bench/template_gap.py [--trials 20] > bench/summaries/template-gap.json"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ha_udp_lb.lab.drill.template_gap import Outcome, drill
from ha_udp_lb.lab.host.site import down, up

PLANES = {"kernel": ("nfcapd", 0.5), "nginx": ("nfacctd", 1.0)}
"""Plane → the collector behind it and the failover window (as tests/test_template_continuity.py)."""


def trials(plane: str, replay: bool, count: int) -> list[Outcome]:
    kind, window_s = PLANES[plane]
    moved: list[Outcome] = []
    for _ in range(count):
        down()
        overrides: dict[str, object] = {"dataPlane": plane} | ({} if replay else {"templateReplay": False})
        state = up("dev", exporters=10, collectors={"netflow": kind}, overrides=overrides)
        try:
            moved += [o for o in drill(state, kind, window_s) if o.moved]
        finally:
            down()
    return moved


def summary(moved: list[Outcome]) -> dict[str, Any]:
    firsts = sorted(o.first_after_s for o in moved if o.first_after_s is not None)
    shares = [o.decoded_after / o.sent_after for o in moved]
    return {
        "moved_exporters": len(moved),
        "records_sent_after_window": sum(o.sent_after for o in moved),
        "records_decoded_after_window": sum(o.decoded_after for o in moved),
        "records_decoded_wrong": sum(o.wrong for o in moved),
        "worst_exporter_decoded_share": round(min(shares, default=0.0), 4),
        "first_decoded_after_kill_ms": {
            "exporters_with_none": len(moved) - len(firsts),
            "p50": round(1000 * statistics.median(firsts), 1) if firsts else None,
            "p95": round(1000 * firsts[int(0.95 * (len(firsts) - 1))], 1) if firsts else None,
            "max": round(1000 * firsts[-1], 1) if firsts else None,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    results = {
        f"{plane}, replay {'on' if replay else 'off'}": summary(trials(plane, replay, args.trials))
        for plane in PLANES
        for replay in (True, False)
    }
    print(json.dumps({"trials": args.trials, **results}, indent=2))


if __name__ == "__main__":
    main()
