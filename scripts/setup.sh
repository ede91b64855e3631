#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for ha-udp-lb's tests and lab, then the Python
# packages into ./venv (scripts/venv.sh). Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(nginx-light libnginx-mod-stream keepalived iproute2 nfdump procps util-linux nftables python3 python3-venv gcc libc6-dev)
# Real collectors and senders for the identity tests; systemd-analyze judges the units.
packages+=(pmacct rsyslog snmptrapd snmp systemd)
# The routed lab (routing: bgp): FRR on the router and on the nodes; BIRD 2 on the router instead when
# asked (`lab up --router bird`).
packages+=(frr frr-pythontools bird2)
# The operate tests: Prometheus scrapes the lab's nodes and fires the shipped alerts; promtool tests the rules.
packages+=(prometheus)
# The docker check makes its base image offline; mmdebstrap reads the archive keyring with gpg (only a
# Recommends of it, and recommends are not installed here).
packages+=(mmdebstrap gpg)
# The hosts test boots Debian hosts (systemd-nspawn), reaches them over SSH with a key it makes, and
# lets their apt reach the mirror through a proxy on the lab's management bridge.
packages+=(systemd-container openssh-client apt-cacher-ng)
# The docker check needs an engine; one installed some other way (Docker CE, say) is used as it is.
if ! command -v dockerd >/dev/null && ! [ -S /var/run/docker.sock ]; then
    packages+=(docker.io)
fi
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    # No package starts its service while installed (Debian's policy-rc.d): a dockerd started so would
    # take its default private ranges and firewall rules; the docker check starts its own when needed.
    guard=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        guard=/usr/sbin/policy-rc.d
        trap 'rm -f "$guard"' EXIT
        printf '#!/bin/sh\nexit 101\n' > "$guard" && chmod 755 "$guard"
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ -z "$guard" ] || rm -f "$guard"
fi
# An nginx or keepalived already running on this host is left alone unless CI runs this, or you say so:
# the lab runs its own in namespaces and does not need them stopped; CI stops them so that nothing of the
# host's can answer for a lab address.
running=$(for daemon in nginx keepalived; do pgrep -x "$daemon" >/dev/null && printf '%s ' "$daemon"; done || true)
if [ -n "$running" ]; then
    answer=${HULB_STOP_HOST_SERVICES:-}
    [ -n "${CI:-}" ] && answer=yes
    if [ -z "$answer" ] && [ -t 0 ]; then
        read -r -p "setup: stop and disable this host's ${running}(the lab runs its own)? [y/N] " answer
    fi
    case "$answer" in
    y | Y | yes)
        if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
            systemctl disable --now nginx keepalived >/dev/null 2>&1 || true
        fi
        pkill -x -f 'nginx: master process /usr/sbin/nginx -g daemon on; master_process on;' 2>/dev/null || true
        ;;
    *) echo "setup: leaving this host's ${running}running (HULB_STOP_HOST_SERVICES=yes stops them)" ;;
    esac
fi

# The pinned Pulumi CLI and its plugins, built from the Go module proxy (cached after the first time).
scripts/toolchain.sh
exec scripts/venv.sh
