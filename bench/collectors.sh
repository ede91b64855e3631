#!/bin/sh
# The collector-health figures in BENCHMARKS.md: every collector scenario, 20 trials, with collectors
# seeing the node's address (source none) and the exporters' own (source transparent); then the probe
# load. Root, no lab up; about 40 minutes on 2 cores.
set -u
cd "$(dirname "$0")/.."
PY=venv/bin/python
HULB=venv/bin/ha-udp-lb
for source in none transparent; do
    for scenario in collector-kill collector-host-down collector-partition collector-return; do
        $HULB lab drill --stack dev --source $source --scenario $scenario --trials 20 --duration 3 \
            --out bench/raw/collectors-$source/$scenario
    done
done
$PY bench/probe_load.py 60 dev > bench/summaries/probe-load.json
