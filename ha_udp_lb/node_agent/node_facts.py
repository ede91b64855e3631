"""Everything the agent reports beyond collector health, and where it serves the whole text: the VIPs
(vips), what the node carried and lost (traffic), and which deployment it runs."""

from __future__ import annotations

from typing import Any

from . import traffic
from .metrics_server import MetricsServer
from .vips import VipWatch


class NodeFacts:
    def __init__(self, config: dict[str, Any]) -> None:
        settings = config.get("report") or {}
        announce = config.get("announce") or {}
        self.vips = VipWatch(settings, bool(announce), list(settings.get("routers", [])))
        self.table = str((config.get("firewall") or {}).get("table", ""))
        self.counted: list[dict[str, Any]] = settings.get("counted", [])
        self.sockets: dict[str, str] = settings.get("sockets", {})
        self.deployment = str(settings.get("deployment", ""))
        serve = settings.get("serve")
        self.server = MetricsServer(serve["address"], int(serve["port"])) if serve else None

    def metrics(self) -> str:
        text = self.vips.metrics()
        if self.table:
            text += traffic.carried(self.table, self.counted)
        text += traffic.socket_losses(self.sockets) + traffic.node_drops()
        return text + (
            "# HELP ha_udp_lb_deployment_info The deployment this node runs (config and agent): one value per stack.\n"
            "# TYPE ha_udp_lb_deployment_info gauge\n"
            f'ha_udp_lb_deployment_info{{deployment="{self.deployment}"}} 1\n'
        )

    def publish(self, text: str) -> None:
        if self.server is not None:
            self.server.publish(text)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
