#!/bin/sh
# The kernel data plane's drill figures in BENCHMARKS.md: every scenario that means something for it,
# 20 trials each, on the dev stack with every pool on the kernel plane. Root, no lab up; ~35 minutes.
set -u
cd "$(dirname "$0")/.."
PY=venv/bin/python
HULB=venv/bin/ha-udp-lb
for scenario in kernel-flush keepalived-kill link-cut keepalived-stop master-return config-push vrrp-cut \
        collector-kill collector-host-down collector-partition collector-return; do
    $HULB lab drill --stack dev --data-plane kernel --scenario $scenario --trials 20 --duration 3 \
        --out bench/raw/kernel/$scenario
done
