"""The ssh stack's hosts drilled under systemd after the real engine deployed them: nginx, keepalived
and the health agent killed and restarted by systemd, the master rebooted, its link cut, a collector
killed."""

from __future__ import annotations

import pytest

from ha_udp_lb.lab.drill.trial import COLLECTOR_EXPORTERS
from ha_udp_lb.lab.host.site import down, wait_settled
from ha_udp_lb.lab.hosts import site
from ha_udp_lb.lab.hosts.scenarios import HOST_SCENARIOS
from tests.hosts_checks import trial

pytestmark = pytest.mark.hosts

CI_DRILLS = ["nginx-kill", "keepalived-kill", "agent-kill", "reboot", "link-cut", "collector-kill"]
"""One trial each in `make test`, on Debian 12: each scenario once. Debian 13's systemd and units run the
whole lifecycle (tests/test_hosts.py: every unit active and enabled, keepalived real-time); 20 of every
drill on both suites in bench/hosts.sh."""


def test_drills_on_booted_hosts_under_systemd() -> None:
    down()
    lab = site.up("hosts", "bookworm", exporters=COLLECTOR_EXPORTERS)
    try:
        lab.up()
        wait_settled(lab.state)
        failed: dict[str, object] = {}
        for name in CI_DRILLS:
            report = trial(lab.state, HOST_SCENARIOS[name])
            failed |= {f"{name}: {check}": report.observations for check in report.failed}
        assert not failed, failed
    finally:
        down()
