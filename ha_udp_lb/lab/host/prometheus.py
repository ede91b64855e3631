"""The lab's Prometheus: Debian's, in a namespace of its own on the lab's bridge, scraping every node's
agent each second and evaluating the shipped rules (monitoring/alerts.yml) each second, as an
operator's would every few. `lab down` removes it with the namespace. Asked over its HTTP API from
inside that namespace (the host has no address on the lab's bridge)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from ipaddress import IPv4Interface
from typing import Any

import yaml

from ha_udp_lb.core.metrics_settings import METRICS_PORT
from ha_udp_lb.core.project import REPO

from . import netns
from .site import BRIDGE
from .state import LAB_DIR, LabState

NAMESPACE = f"{netns.PREFIX}-mon"
PORT = 9090
SCRAPE_S = 1
RULES = REPO / "monitoring" / "alerts.yml"
ASK = """
import json, sys, urllib.parse, urllib.request
url = sys.argv[1] + ("?" + urllib.parse.urlencode({"query": sys.argv[2]}) if len(sys.argv) > 2 else "")
with urllib.request.urlopen(url, timeout=5) as answer:
    print(answer.read().decode())
"""


@dataclass(frozen=True)
class LabPrometheus:
    address: str

    def ask(self, path: str, query: str | None = None) -> dict[str, Any]:
        argv = [sys.executable, "-c", ASK, f"http://{self.address}:{PORT}{path}", *([query] if query else [])]
        said = netns.netns_run(NAMESPACE, *argv, check=False)
        if said.returncode != 0:
            raise RuntimeError(f"Prometheus did not answer {path}: {said.stderr.strip()[-300:]}")
        answer: dict[str, Any] = json.loads(said.stdout)
        return answer

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector `expr` gives now."""
        result: list[dict[str, Any]] = self.ask("/api/v1/query", expr)["data"]["result"]
        return result

    def firing(self) -> list[dict[str, str]]:
        """The labels of every alert firing now."""
        return [a["labels"] for a in self.ask("/api/v1/alerts")["data"]["alerts"] if a["state"] == "firing"]

    def wait(self, alerts: dict[str, dict[str, str]], firing: bool, timeout: float) -> dict[str, float]:
        """When (time.monotonic()) each of `alerts` (name → labels it must have) was first seen firing, or
        no longer firing, all watched at once; TimeoutError naming those still waited for after `timeout` s."""
        started, seen = time.monotonic(), dict[str, float]()
        while time.monotonic() - started < timeout:
            now = self.firing()
            for alert, labels in alerts.items():
                matches = [a for a in now if a["alertname"] == alert and labels.items() <= a.items()]
                if alert not in seen and bool(matches) == firing:
                    seen[alert] = time.monotonic()
            if len(seen) == len(alerts):
                return seen
            time.sleep(0.2)
        waiting = sorted(set(alerts) - set(seen))
        raise TimeoutError(f"{waiting} {'never fired' if firing else 'still fire'} within {timeout:.0f} s")


def start(state: LabState, stack: str = "lab", via: IPv4Interface | None = None, bridge: str = BRIDGE) -> LabPrometheus:
    """Prometheus scraping every node, once each target answers: on `bridge`, in the nodes' subnet, or
    with `via` (the routed lab: the router's address on that bridge's subnet) in `via`'s subnet, routed."""
    subnet = via.network if via else IPv4Interface(f"{state.nodes[0].address}/24").network
    used = {n.address for n in state.nodes} | {b.address for b in state.backends} | {e.address for e in state.exporters}
    used |= _vips(state) | ({str(via.ip)} if via else set())
    address = next(str(a) for a in subnet.hosts() if int(a) % 256 >= 2 and str(a) not in used)
    netns.add_namespace(NAMESPACE)
    netns.plug(NAMESPACE, "eth0", f"{address}/{subnet.prefixlen}", bridge, host_end=f"{NAMESPACE}0")
    if via:
        netns.netns_run(NAMESPACE, "ip", "route", "add", "default", "via", str(via.ip))
    home = LAB_DIR / "prometheus"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(state, stack), sort_keys=False))
    argv = [
        "prometheus",
        f"--config.file={config}",
        f"--storage.tsdb.path={home / 'data'}",
        f"--web.listen-address={address}:{PORT}",
        "--storage.tsdb.retention.time=2h",
    ]
    with (home / "prometheus.log").open("ab") as log:
        subprocess.Popen(
            ["ip", "netns", "exec", NAMESPACE, *argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # until `lab down` kills what runs in its namespace
        )
    prometheus = LabPrometheus(address)
    _wait_scraping(prometheus, len(state.nodes), home)
    return prometheus


def scrape_config(state: LabState, stack: str) -> dict[str, Any]:
    """What an operator's scrape config looks like (README, Operate): job ha-udp-lb, each node labelled."""
    return {
        "global": {"scrape_interval": f"{SCRAPE_S}s", "scrape_timeout": "900ms", "evaluation_interval": f"{SCRAPE_S}s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": "ha-udp-lb",
                "static_configs": [
                    {"targets": [f"{node.address}:{METRICS_PORT}"], "labels": {"node": node.name, "stack": stack}}
                    for node in state.nodes
                ],
            }
        ],
    }


def _vips(state: LabState) -> set[str]:
    return {vip.address.split("/")[0] for vip in state.vips}


def _wait_scraping(prometheus: LabPrometheus, nodes: int, home: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if sum(int(float(s["value"][1])) for s in prometheus.query('up{job="ha-udp-lb"}')) == nodes:
                return
        except RuntimeError:
            pass  # not listening yet
        time.sleep(0.3)
    log = (home / "prometheus.log").read_text()[-1500:]
    raise RuntimeError(f"Prometheus does not scrape all {nodes} nodes within {timeout:.0f} s:\n{log}")
