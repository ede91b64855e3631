"""How long after a failure its alert fires, and after the fix it resolves, in the lab's Prometheus
(scrape and rule evaluation each second) with the shipped rules: lab.drill.alerts' two pairs of failures,
TRIALS times, and drops induced DROP_TRIALS times (its alert takes a minute to resolve: the window of its
rate), on the dev stack with nginx keeping the exporters' addresses.

Usage (root, no lab up): venv/bin/python bench/alerts.py [TRIALS] [DROP_TRIALS]"""

from __future__ import annotations

import json
import statistics
import sys

from ha_udp_lb.lab.drill.alerts import Fired, agent_killed_and_no_vip, bad_checksums, split_brain_and_collector_down
from ha_udp_lb.lab.host.prometheus import SCRAPE_S, start
from ha_udp_lb.lab.host.site import down, up


def main(trials: int, drop_trials: int) -> None:
    down()
    state = up("dev", overrides={"dataPlane": "nginx", "source": "transparent"})
    fired: list[Fired] = []
    try:
        prometheus = start(state, stack="dev")
        for _ in range(trials):
            fired += split_brain_and_collector_down(state, prometheus, "syslog")
            fired += agent_killed_and_no_vip(state, prometheus)[0]
        for _ in range(drop_trials):
            fired += bad_checksums(state, prometheus, "syslog")
    finally:
        down()
    alerts = sorted({f.alert for f in fired})
    summary = {
        alert: {
            "for_s": next(f.wait_s for f in fired if f.alert == alert),
            "fired_after_s": _spread([f.after_s for f in fired if f.alert == alert]),
            "resolved_after_fix_s": _spread([f.resolved_s for f in fired if f.alert == alert]),
        }
        for alert in alerts
    }
    what = {
        "trials": trials,
        "drop_trials": drop_trials,
        "scrape_and_evaluation_s": SCRAPE_S,
        "what": __doc__.split("\n\n")[0],
    }
    json.dump({**what, "alerts": summary}, sys.stdout, indent=1)
    print()


def _spread(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 2), "p95": round(p95, 2), "max": round(ordered[-1], 2)}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
