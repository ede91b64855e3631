#!/bin/sh
# The docker target's drill figures in BENCHMARKS.md: the dev stack's containers on a real Docker
# engine (dockerd started if none runs), every docker scenario 20 times with ARP watched. Root, no lab
# up; ~15 minutes.
set -u
cd "$(dirname "$0")/.."
venv/bin/ha-udp-lb docker check --scenario all --trials 20 --out bench/raw/docker
