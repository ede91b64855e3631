#!/bin/sh
# The ssh target's drill figures in BENCHMARKS.md: the hosts stack deployed over SSH to booted Debian 12
# and 13 hosts (systemd as PID 1), every host scenario 20 times on each. Root, no lab up; ~25 minutes a suite.
set -u
cd "$(dirname "$0")/.."
status=0
for suite in bookworm trixie; do
    venv/bin/ha-udp-lb hosts check --suite "$suite" --scenario all --trials 20 --out "bench/raw/hosts-$suite" || status=1
done
exit $status
