"""On booted hosts, an operator's commands as they are run where `pulumi up` runs: `ha-udp-lb status`
and `ha-udp-lb where` reach the nodes over SSH with the stack's key from `pulumi config` (each host's
key pinned), and `where` names the collector each exporter's datagrams really reach on both planes."""

from __future__ import annotations

import json
import subprocess

from ha_udp_lb.core.project import REPO
from ha_udp_lb.lab.hosts.site import HostsLab
from tests.node_readings import arrivals

HULB = str(REPO / "venv" / "bin" / "ha-udp-lb")
SENT = 20


def operated_over_ssh(lab: HostsLab) -> str:
    """Returns all they printed (the lifecycle's secrets check reads it)."""
    assert lab.engine is not None, "nothing deployed"
    shown = _hulb(lab, "status")
    assert "NOT REACHED" not in shown and "198.18.0.100      lb1" in shown, shown
    assert shown.count("in step") == 2, shown
    printed = [shown]
    for pool in ("netflow", "syslog"):  # the kernel plane, and nginx keeping the exporters' addresses
        printed.append(_hulb(lab, "where", "--pool", pool, *(e.address for e in lab.state.exporters), "--json"))
        named = {answer["exporter"]: {answer["collector"]} for answer in json.loads(printed[-1])}
        assert arrivals(lab.state, pool, SENT) == named, f"{pool}: where named other collectors"
    return "".join(printed)


def _hulb(lab: HostsLab, *args: str) -> str:
    assert lab.engine is not None
    argv = [HULB, *args[:1], "--stack", lab.stack, "--cwd", str(lab.engine.project), *args[1:]]
    said = subprocess.run(argv, env=lab.engine.env(), capture_output=True, text=True, timeout=120, check=False)
    assert said.returncode == 0, f"{' '.join(args)}: {said.stdout}{said.stderr}"
    return said.stdout
