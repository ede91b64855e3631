"""Builds monitoring/dashboard.json, ha-udp-lb's Grafana dashboard, with Grafana's Foundation SDK:
`venv/bin/python monitoring/dashboard.py > monitoring/dashboard.json`. tests/test_monitoring.py checks
that the committed JSON is what this builds, and the lab (tests/test_operate.py) that every panel's
query returns series from a real Prometheus scraping a running stack. Panels whose description starts
with "routing: bgp" have data only on a bgp stack."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from grafana_foundation_sdk.builders.dashboard import Dashboard, DatasourceVariable, Row
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.timeseries import Panel as TimeSeries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef

SOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
RATE = "$__rate_interval"


@dataclass(frozen=True)
class Chart:
    title: str
    expr: str
    legend: str
    unit: str
    description: str


ROWS: dict[str, list[Chart]] = {
    "Who holds the VIPs": [
        Chart(
            "VIP held",
            "ha_udp_lb_vip_held",
            "{{vip}} on {{node}}",
            "none",
            "1 while the node holds the VIP (VRRP) or announces it (bgp). Alerts: HaUdpLbVipOnNoNode, OnTwoNodes.",
        ),
        Chart(
            "VRRP state",
            "ha_udp_lb_vrrp_state == 1",
            "{{vip}} {{node}} {{state}}",
            "none",
            "keepalived's last notified state per VIP and node (MASTER, BACKUP, FAULT, STOP).",
        ),
        Chart(
            "VRRP effective priority",
            "ha_udp_lb_vrrp_priority",
            "{{vip}} {{node}}",
            "none",
            "The instance's priority with its tracked files' weights, at keepalived's last notify.",
        ),
        Chart(
            "VIP moves",
            f"sum by (vip, node) (increase(ha_udp_lb_vip_transitions_total[{RATE}]))",
            "{{vip}} {{node}}",
            "none",
            "Times the VIP came to or left the node.",
        ),
    ],
    "Collectors": [
        Chart(
            "Collector health (every node's verdict)",
            "min by (pool, collector) (ha_udp_lb_collector_up)",
            "{{pool}} {{collector}}",
            "none",
            "1 while every node sends the pool's exporters to it.",
        ),
        Chart(
            "Datagrams to each collector",
            f"sum by (pool, collector) (rate(ha_udp_lb_collector_datagrams_total[{RATE}]))",
            "{{pool}} {{collector}}",
            "pps",
            "What the nodes sent each collector, both planes.",
        ),
        Chart(
            "Bytes to each collector",
            f"sum by (pool, collector) (rate(ha_udp_lb_collector_bytes_total[{RATE}]))",
            "{{pool}} {{collector}}",
            "Bps",
            "IP headers included.",
        ),
        Chart(
            "Datagrams in, per pool",
            f"sum by (pool) (rate(ha_udp_lb_pool_datagrams_total[{RATE}]))",
            "{{pool}}",
            "pps",
            "To the pool's VIP and port, admitted by the node.",
        ),
        Chart(
            "Pools sending to all",
            "max by (pool) (ha_udp_lb_pool_panicking)",
            "{{pool}}",
            "none",
            "1 while too few collectors are healthy and the pool sends to every one. Alert: HaUdpLbPoolPanicking.",
        ),
    ],
    "What the nodes drop": [
        Chart(
            "Node drops by cause",
            f"sum by (node, cause) (rate(ha_udp_lb_node_drops_total[{RATE}]))",
            "{{node}} {{cause}}",
            "pps",
            "The node's kernel: socket buffers full, fragments lost, no route. Alert: HaUdpLbNodeDropping.",
        ),
        Chart(
            "nginx socket drops",
            f"sum by (node, pool) (rate(ha_udp_lb_socket_drops_total[{RATE}]))",
            "{{node}} {{pool}}",
            "pps",
            "nginx pools: datagrams dropped at the pool's listening sockets. Alert: HaUdpLbSocketDropping.",
        ),
        Chart(
            "Routed through a node, refused",
            f"sum by (node) (rate(ha_udp_lb_forward_refused_total[{RATE}]))",
            "{{node}}",
            "pps",
            "Packets that used a node as a router without being a pool's datagram.",
        ),
    ],
    "The health agents": [
        Chart(
            "Since the agent's last turn",
            "time() - ha_udp_lb_agent_last_turn_timestamp_seconds",
            "{{node}}",
            "s",
            "Alert: HaUdpLbAgentStale (over 10 s).",
        ),
        Chart("Agent answering scrapes", 'up{job="ha-udp-lb"}', "{{node}}", "none", "Alert: HaUdpLbAgentDown."),
        Chart(
            "Node runs what its agent decided",
            "ha_udp_lb_agent_in_step",
            "{{node}}",
            "none",
            "0 while nginx or nftables refuses the agent's change. Alert: HaUdpLbAgentOutOfStep.",
        ),
        Chart(
            "Deployments",
            "count by (deployment) (ha_udp_lb_deployment_info)",
            "{{deployment}}",
            "none",
            "Nodes per deployment digest: one line when every node runs the same. Alert: HaUdpLbDeploymentsDiffer.",
        ),
        Chart("Probe round trip", "ha_udp_lb_probe_rtt_seconds", "{{node}} → {{host}}", "s", "The last echo."),
        Chart(
            "Templates replayed",
            f"sum by (pool) (rate(ha_udp_lb_template_replays_total[{RATE}]))",
            "{{pool}}",
            "pps",
            "NetFlow v9/IPFIX templates sent to an exporter's new collector.",
        ),
    ],
    "Routing: BGP": [
        Chart(
            "Announcing",
            "ha_udp_lb_announced",
            "{{node}}",
            "none",
            "routing: bgp — 1 while the node announces its VIPs. Alert: HaUdpLbNodeWithdrawn.",
        ),
        Chart(
            "BGP sessions",
            "ha_udp_lb_bgp_session_up",
            "{{node}} → {{router}}",
            "none",
            "routing: bgp — 1 while the session to the router is established. Alert: HaUdpLbBgpSessionDown.",
        ),
        Chart(
            "BFD sessions",
            "ha_udp_lb_bfd_up",
            "{{node}} → {{router}}",
            "none",
            "routing: bgp — 1 while bfdd says the BFD session to the router is up (asked every 10 s).",
        ),
    ],
}


def charts() -> list[Chart]:
    return [chart for row in ROWS.values() for chart in row]


def build() -> dict[str, object]:
    board = (
        Dashboard("ha-udp-lb")
        .uid("ha-udp-lb")
        .tags(["ha-udp-lb", "udp", "load-balancer"])
        .refresh("10s")
        .time("now-1h", "now")
        .with_variable(DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
    )
    for title, row in ROWS.items():
        board = board.with_row(Row(title))
        for chart in row:
            query = Dataquery().expr(chart.expr).legend_format(chart.legend).ref_id("A").datasource(SOURCE)
            panel = TimeSeries().title(chart.title).description(chart.description).unit(chart.unit)
            board = board.with_panel(panel.datasource(SOURCE).span(8).height(7).with_target(query))
    built: dict[str, object] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    return built


if __name__ == "__main__":
    json.dump(build(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
