#!/bin/sh
# Every number in BENCHMARKS.md: our dev stack, keepalived's default timers and the seed's configuration,
# drilled the same way (4 exporters x every pool, 3 s of traffic per trial), then the saturation run.
# Root, no lab up; about 35 minutes on 2 cores. Raw results (drill.json, timeline.png) go to bench/raw/,
# which git ignores; bench/summarize.py condenses them into bench/summaries/, which git keeps.
set -u
cd "$(dirname "$0")/.."
PY=venv/bin/python
HULB=venv/bin/ha-udp-lb
$HULB lab drill --stack dev --scenario all --trials 20 --duration 3 --out bench/raw/dev
for scenario in nginx-kill link-cut keepalived-stop; do
    $HULB lab drill --stack bench-defaults --scenario $scenario --trials 5 --duration 8 \
        --out bench/raw/keepalived-defaults/$scenario
    $HULB lab drill --stack seed --files bench/seed/fixed-by-hand --scenario $scenario --trials 5 --duration 4 \
        --out bench/raw/seed-fixed-by-hand/$scenario
done
$HULB lab drill --stack seed --files bench/seed/as-written --scenario nginx-kill --trials 3 --duration 4 \
    --out bench/raw/seed-as-written/nginx-kill
$PY bench/saturation.py 300 dev > bench/summaries/saturation.json
$PY bench/reload_churn.py 40 dev > bench/summaries/reload-churn.json
sh bench/collectors.sh
sh bench/kernel.sh
sh bench/docker.sh
$PY bench/throughput.py > bench/summaries/throughput.json
# Operating it: what scraping costs a node, and how soon the shipped alerts fire in a real Prometheus.
$PY bench/scrape_cost.py 40 > bench/summaries/scrape-cost.json
$PY bench/alerts.py 10 0 > bench/summaries/alerts.json
$PY bench/alerts.py 0 3 > bench/summaries/alerts-drops.json
$PY bench/counts.py 30 8 > bench/summaries/counts.json
# Template continuity: the gap a collector's death leaves in NetFlow v9/IPFIX decoding, replay on and off.
$PY bench/template_gap.py --trials 20 > bench/summaries/template-gap.json
$PY bench/template_gap.py --trials 10 --template-every 20 > bench/summaries/template-gap-20.json
$PY bench/template_gap.py --trials 20 --reweight > bench/summaries/template-reweight.json
$PY bench/template_gap.py --trials 20 --return > bench/summaries/template-return.json
$PY bench/slot_swap.py 20 > bench/summaries/slot-swap.json
$PY bench/echo_filtered.py 20 600 | grep -v '^trial' > bench/summaries/echo-filtered.json
# routing bgp in the routed lab: every drill at BFD 20 ms, the failures at 10 and 50 ms and 10 ms x 10, and
# with BIRD 2 as the router at 20 ms x 3, 5 and 6; the saturated soaks and the machine's own stalls without
# the lab, then the drills on booted hosts (~3.5 hours).
$PY bench/bgp.py drills 20 20 all
$PY bench/bgp.py drills 20 50,10,10x10,bird:20,bird:20x5,bird:20x6 node-kill,link-cut
for timers in 10 20 50 10x10 bird:20x6 bird:20x5; do $PY bench/bgp.py soak 600 $timers; done
$PY bench/bgp.py stalls 600 3
for suite in bookworm trixie; do $PY bench/bgp.py hosts 20 $suite; done
# The real Pulumi engine on the hosts stack (booted Debian 12): the time of a first, a no-op `up` and a
# destroy, SSH connections per host at two parallelisms; a node dropped in one `up` against the two steps.
$PY bench/engine_up.py --trials 3 > bench/summaries/engine-up.json
$PY bench/node_drop.py --trials 3 > bench/summaries/node-drop.json
$PY bench/summarize.py > bench/summaries/summary.md
