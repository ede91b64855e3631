#!/bin/bash
# Container entrypoint: run the node's apply command (validate, install, start), then stay up while
# keepalived runs. On stop, keepalived leaves with priority 0 (the peer takes over after skew time) and
# removes its VIPs, and the VIPs leave lo. A restarted container (restart: unless-stopped keeps its
# namespace) first drops any VIP a killed predecessor left, so no VIP is ever held twice.
set -euo pipefail
if [[ -e /etc/keepalived/ha-udp-lb/loopback-vips ]]; then
    sh /etc/keepalived/ha-udp-lb/loopback-vips down || true
fi
for vip in $(awk '/virtual_ipaddress/ {getline; print $1}' /etc/keepalived/keepalived.conf 2>/dev/null); do
    ip addr del "$vip" dev "$(awk '/virtual_ipaddress/ {getline; print $3}' /etc/keepalived/keepalived.conf | head -1)" 2>/dev/null || true
done
rm -f /run/keepalived.pid /run/nginx.pid /run/ha-udp-lb/watch.pid
"$@"
stop() {
    kill -TERM "$(cat /run/keepalived.pid)" 2>/dev/null || true
    for _ in $(seq 50); do [[ -e /run/keepalived.pid ]] || break; sleep 0.1; done
    sh /etc/keepalived/ha-udp-lb/loopback-vips down || true
    nginx -s quit 2>/dev/null || true
    exit 0
}
trap stop TERM INT
while [[ -s /run/keepalived.pid ]] && kill -0 "$(cat /run/keepalived.pid)" 2>/dev/null; do sleep 1 & wait $!; done
echo "ha-udp-lb: keepalived exited" >&2
stop
