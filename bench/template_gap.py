"""The template gap (issue 30): per data plane, with the node's template replay on and off, `trials`
fresh labs each run the gap drill (ha_udp_lb/lab/drill/template_gap.py: 10 NetFlow v9 and IPFIX
exporters, templates sent once, the IPFIX ones announcing one packet in 100 sampled, 50 packets/s of
10 records each, the pool's first collector killed 1.5 s in; and on the kernel plane once more with the
master's cable pulled 1 s before the kill). Per moved exporter: the share of the records it sent after
the failover window that its new collector decoded (scaled right), and when that collector decoded its
first record. Root, no lab up; ~13 s a trial.

    venv/bin/python bench/template_gap.py [--trials 20] > bench/summaries/template-gap.json
    venv/bin/python bench/template_gap.py --trials 10 --template-every 20 > bench/summaries/template-gap-20.json
    venv/bin/python bench/template_gap.py --trials 20 --reweight > bench/summaries/template-reweight.json
    venv/bin/python bench/template_gap.py --trials 20 --return > bench/summaries/template-return.json"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ha_udp_lb.lab.drill.template_gap import NEVER, Outcome, drill
from ha_udp_lb.lab.drill.template_reweight import Moved
from ha_udp_lb.lab.drill.template_reweight import drill as reweight_drill
from ha_udp_lb.lab.host.site import down, up

PLANES = {"kernel": ("nfcapd", 0.5), "nginx": ("nfacctd", 1.0)}
"""Plane → the collector behind it and the failover window (as tests/test_template_continuity.py)."""


def trials(
    plane: str, replay: bool, count: int, failover: bool = False, every: int = NEVER, returning: bool = False
) -> list[Outcome]:
    """With `failover`, the master's cable is pulled 1.5 s in and the collector killed 1 s later; with
    `returning`, the killed collector starts again (empty) 1 s after its death and takes its exporters
    back after the hold-down (as tests/test_template_continuity.py)."""
    kind, window_s = PLANES[plane]
    moved: list[Outcome] = []
    for _ in range(count):
        down()
        overrides: dict[str, object] = {"dataPlane": plane} | ({} if replay else {"templateReplay": False})
        state = up("dev", exporters=10, collectors={"netflow": kind}, overrides=overrides)
        try:
            kill_after_s, failover_after_s = (2.5, 1.5) if failover else (1.5, None)
            outcomes = drill(
                state,
                kind,
                window_s,
                kill_after_s=kill_after_s,
                failover_after_s=failover_after_s,
                template_every=every,
                packets=550 if returning else 200,
                revive_after_s=2.5 if returning else None,
            )
            moved += [o for o in outcomes if o.moved]
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
        "records_decoded_unscaled": sum(o.unscaled for o in moved),
        "worst_exporter_decoded_share": round(min(shares, default=0.0), 4),
        "first_decoded_after_kill_ms": {
            "exporters_with_none": len(moved) - len(firsts),
            "p50": round(1000 * statistics.median(firsts), 1) if firsts else None,
            "p95": round(1000 * firsts[int(0.95 * (len(firsts) - 1))], 1) if firsts else None,
            "max": round(1000 * firsts[-1], 1) if firsts else None,
        },
    }


def reweighted(replay: bool, count: int) -> dict[str, Any]:
    """A deploy raising one collector's weight (template_reweight): per moved exporter, what was lost."""
    moved: list[Moved] = []
    for _ in range(count):
        down()
        overrides: dict[str, object] = {"dataPlane": "kernel"} | ({} if replay else {"templateReplay": False})
        state = up("dev", exporters=10, collectors={"netflow": "nfcapd"}, overrides=overrides)
        try:
            moved += reweight_drill(state, "nfcapd")
        finally:
            down()
    return {
        "moved_exporters": len(moved),
        "records_lost_per_moved_exporter": sorted(m.lost for m in moved),
        "lost_ms_max": max((m.lost_ms for m in moved), default=0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--template-every", type=int, help="the exporters refresh their templates every N packets")
    parser.add_argument("--reweight", action="store_true", help="a deploy that moves exporters instead of a kill")
    parser.add_argument("--return", dest="returning", action="store_true", help="the killed collector returns")
    args = parser.parse_args()
    if args.returning:  # kernel plane, replay on: every record back home decoded at the returned collector
        moved = trials("kernel", True, args.trials, returning=True)
        returned = {**summary(moved), "exporters_back_home": sum(1 for o in moved if o.back_home > 0)}
        print(json.dumps({"trials": args.trials, "collector_returns": True, "kernel, replay on": returned}, indent=2))
        return
    if args.reweight:
        results = {f"kernel, replay {'on' if r else 'off'}": reweighted(r, args.trials) for r in (True, False)}
        print(json.dumps({"trials": args.trials, "reweight": True, **results}, indent=2))
        return
    if args.template_every:  # the refresh that routers counting packets use: kernel plane, replay on and off
        every = args.template_every
        refreshed = {
            f"kernel, replay {'on' if r else 'off'}": summary(trials("kernel", r, args.trials, every=every))
            for r in (True, False)
        }
        print(json.dumps({"trials": args.trials, "template_every_packets": every, **refreshed}, indent=2))
        return
    results = {
        f"{plane}, replay {'on' if replay else 'off'}": summary(trials(plane, replay, args.trials))
        for plane in PLANES
        for replay in (True, False)
    }
    results["kernel, replay on, a failover 1 s before"] = summary(trials("kernel", True, args.trials, failover=True))
    print(json.dumps({"trials": args.trials, **results}, indent=2))


if __name__ == "__main__":
    main()
