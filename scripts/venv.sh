#!/usr/bin/env bash
# ./venv (the virtualenv Pulumi.yaml names) with the program, its dev tools and the `ha-udp-lb` command.
# Needs python3 with venv only: no root, no apt. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x venv/bin/python ]; then
    python3 -m venv venv
fi
stamp=venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -e "$stamp" ]; then
    venv/bin/pip install -q --upgrade pip
    venv/bin/pip install -q -e '.[dev]'
    touch "$stamp"
fi
