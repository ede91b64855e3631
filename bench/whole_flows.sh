#!/bin/sh
# The transparent whole-flow check (issue 19): every collector scenario on `source: transparent`, 50 trials
# each (200 in all), 120 exporters; a trial fails if any exporter's flow reaches no collector at all.
# Root, no lab up; about 40 minutes on 2 cores. Raw results to bench/raw/whole-flows/, the summaries to
# bench/summaries/whole-flows/ (BENCHMARKS.md's collector table).
set -u
cd "$(dirname "$0")/.."
PY=venv/bin/python
HULB=venv/bin/ha-udp-lb
for scenario in collector-kill collector-host-down collector-partition collector-return; do
    $HULB lab drill --stack dev --source transparent --scenario $scenario --trials 50 --duration 3 \
        --out bench/raw/whole-flows/$scenario
done
$PY bench/summarize.py > bench/summaries/summary.md
