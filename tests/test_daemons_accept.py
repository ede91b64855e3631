"""The real keepalived and nginx judge every rendered file, for the dev and prod stacks and for a
matrix of options. Exit 0 is not enough: any complaint line fails the test."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ha_udp_lb.core.complaints import COMPLAINT
from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.runner.stackfile import stack_config
from tests.base_config import config
from tests.daemon_judge import judge_node, on_node

pytestmark = pytest.mark.daemons

BACKENDS_8 = [f"198.18.0.{21 + i}:2055" for i in range(8)]
THREE_VIPS = {
    "vips": [
        {"address": "198.18.0.100/24", "vrid": 51, "preferred": "lb1"},
        {"address": "198.18.0.101/24", "vrid": 52, "preferred": "lb2"},
        {"address": "198.18.0.102/24", "vrid": 53},
    ],
    "pools": [
        {"name": f"p{i}", "vip": f"198.18.0.10{i}", "port": 2055, "backends": ["198.18.0.21:2055"]} for i in range(3)
    ],
}
IPV6: dict[str, Any] = {
    "target": "ssh",  # the docker target runs IPv4 nodes only
    "nodes": [
        {"name": "lb1", "address": "2001:db8::11/64", "priority": 150, "ssh": {"host": "2001:db8::11"}},
        {"name": "lb2", "address": "2001:db8::12/64", "priority": 100, "ssh": {"host": "2001:db8::12"}},
    ],
    "vips": [{"address": "2001:db8::100/64", "vrid": 51}],
    "pools": [{"name": "netflow", "vip": "2001:db8::100", "port": 2055, "backends": ["[2001:db8::21]:2055"]}],
}
BASE_POOL = config()["pools"][0]
PASSWORDS = {"v2-password": "s3cret"}
"""The vrrpPassword secret, set apart from the stack file as users set it."""
MATRIX: dict[str, dict[str, Any]] = {
    "dev": stack_config("dev"),
    "prod": stack_config("prod"),
    "1vip-v3-8backends": config(pools__0__backends=BACKENDS_8),
    "3vips-active-active": {**config(), **THREE_VIPS},
    "v2-password": config(vrrp={"version": 2, "advertInterval": 1}),
    "v3-multicast-nopreempt": config(vrrp={"version": 3, "unicast": False, "preempt": False}),
    "transparent": config(pools__0__dataPlane="nginx"),
    "nginx-source-none": config(pools__0__dataPlane="nginx", pools__0__source="none", pools__0__mergeExporters=True),
    "negative-weight": config(health={"weight": -60, "fall": 2}),
    "nginx-plane": {
        **stack_config("dev"),
        "pools": [{**p, "dataPlane": "nginx"} for p in stack_config("dev")["pools"]],
    },
    "both-planes": config(pools=[{**BASE_POOL, "dataPlane": "nginx"}, {**BASE_POOL, "name": "kernel", "port": 2056}]),
    "kernel-ipv6": {**config(), **IPV6},
    "ipv6-source-none": {
        **config(),
        **IPV6,
        "pools": [{**IPV6["pools"][0], "dataPlane": "nginx", "source": "none", "mergeExporters": True}],
    },
    "ipv6-transparent": {**config(), **IPV6, "pools": [{**IPV6["pools"][0], "dataPlane": "nginx"}]},
    "ipv6-guarded": {
        **config(),
        **IPV6,
        "allowedSources": ["2001:2::/48", "198.18.0.0/15"],
        "pools": [
            {**IPV6["pools"][0], "rateLimit": {"perSecond": 500}},
            {
                **IPV6["pools"][0],
                "name": "syslog",
                "port": 514,
                "dataPlane": "nginx",
                "allowedSources": ["2001:2:0:1::/64"],
                "rateLimit": {"perSecond": 50, "burst": 5},
            },
        ],
    },
}


@pytest.mark.parametrize("case", list(MATRIX))
def test_every_node_passes_both_daemons_without_a_complaint(case: str) -> None:
    stack = parse_stack(MATRIX[case], vrrp_password=PASSWORDS.get(case))
    for index, node in enumerate(stack.nodes):
        verdict = judge_node(stack, node, tag=f"{list(MATRIX).index(case)}n{index}")
        assert verdict.returncode == 0 and "JUDGED-OK" in verdict.output, f"{case}/{node.name}:\n{verdict.output}"
        assert not verdict.complaints, f"{case}/{node.name} drew complaints:\n" + "\n".join(verdict.complaints)


def test_every_line_keepalived_prints_about_the_seeds_config_is_a_complaint() -> None:
    """keepalived accepts the seed's configuration (exit 0) while printing what it drops; the filter
    that apply and the judges share must catch every one of those lines."""
    seed = (
        Path(__file__).resolve().parent.parent / "bench/seed/as-written/nodes/lb1/files/etc/keepalived/keepalived.conf"
    )
    tested = subprocess.run(
        ["keepalived", "--config-test", "-f", str(seed)], capture_output=True, text=True, check=False
    )
    lines = [line for line in (tested.stdout + tested.stderr).splitlines() if line.strip()]
    assert len(lines) >= 5, lines  # whatever keepalived exits with: apply judges the lines too
    missed = [line for line in lines if not re.search(COMPLAINT, line)]
    assert not missed, f"apply would let these through: {missed}"


def test_apply_stops_before_anything_starts_when_a_sysctl_it_needs_is_not_in_effect() -> None:
    """As in a container, whose /proc/sys is read-only: the kernel plane needs forwarding, and a new
    network namespace starts with it off. apply must say so and go no further, never `|| true`."""
    stack = parse_stack(MATRIX["dev"])  # every pool on the kernel plane, the default
    apply = f"bash {PATHS.staging}{PATHS.apply_script} {PATHS.staging}"
    # /run is the sandbox's own: a keepalived started by apply would have left its pid file there.
    after = f"echo EXIT=$?; [ -e {PATHS.keepalived_pid} ] || echo NO-KEEPALIVED"
    script = f"sh -c 'mount --bind -o ro /proc/sys /proc/sys && {apply}; {after}' 2>&1"
    verdict = on_node(stack, stack.nodes[0], "sysctl", script, staged=True)
    assert "EXIT=1" in verdict.output, verdict.output
    # Which key is reported first depends on what the namespace inherited; forwarding is never on.
    assert re.search(
        r"ha-udp-lb: net\.ipv4\.\S+ is \d on lb1, needs \d \(set it where the node is made\)", verdict.output
    )
    assert "NO-KEEPALIVED" in verdict.output and "is live" not in verdict.output, verdict.output


def _apply_without_cap_sys_admin(env: str, before: str = "") -> str:
    """apply run as a container runs it: no CAP_SYS_ADMIN, so no private mount namespace to judge in."""
    apply = f"{env} setpriv --bounding-set -sys_admin bash {PATHS.staging}{PATHS.apply_script} {PATHS.staging}"
    after = f"echo EXIT=$?; [ -e {PATHS.apply_script} ] || echo NOT-INSTALLED"
    after += f"; [ -e {PATHS.keepalived_pid} ] || echo NO-KEEPALIVED"
    stack = parse_stack(MATRIX["dev"])
    return on_node(stack, stack.nodes[0], "nocap", f"sh -c '{before}{apply}; {after}' 2>&1", staged=True).output


def test_apply_on_a_host_that_cannot_make_a_mount_namespace_changes_nothing() -> None:
    output = _apply_without_cap_sys_admin("")
    assert "EXIT=1" in output and "cannot make a private mount namespace" in output, output
    assert "NOT-INSTALLED" in output and "NO-KEEPALIVED" in output, output


def test_apply_in_the_node_container_judges_in_place_and_starts_nothing_when_rejected() -> None:
    broken = f'echo "no_such_directive on;" >> {PATHS.staging}/etc/nginx/nginx.conf && '
    output = _apply_without_cap_sys_admin("HA_UDP_LB_IN_CONTAINER=1", before=broken)
    assert "EXIT=1" in output and "the configuration was rejected; lb1 starts nothing" in output, output
    assert 'unknown directive "no_such_directive"' in output, output  # nginx's own words reach the log
    assert "NO-KEEPALIVED" in output and "is live" not in output, output


@pytest.mark.parametrize("case", ["dev", "nginx-plane"])
def test_every_unit_passes_systemds_own_verifier(case: str) -> None:
    """systemd-analyze verify, on the units laid out with the scripts they start: a typo in a directive
    or a missing executable is refused here, not on the first host that boots them."""
    stack = parse_stack(MATRIX[case])
    units = " ".join(f"{PATHS.units}/{name}" for name in (PATHS.watch_unit_name, PATHS.health_unit_name))
    units += f" {PATHS.units}/{PATHS.loopback_unit_name}"
    verdict = on_node(
        stack, stack.nodes[0], "units", f"sh -c 'systemd-analyze verify --man=no {units} 2>&1; echo RC=$?'"
    )
    assert "RC=0" in verdict.output and not verdict.output.replace("RC=0", "").strip(), verdict.output


def test_the_bgp_nodes_health_unit_passes_systemds_own_verifier() -> None:
    """routing bgp: the health unit with its shutdown withdraw and its after-a-crash withdraw."""
    stack = parse_stack(stack_config("bgp"))
    unit = f"{PATHS.units}/{PATHS.health_unit_name}"
    verdict = on_node(
        stack, stack.nodes[0], "units", f"sh -c 'systemd-analyze verify --man=no {unit} 2>&1; echo RC=$?'"
    )
    assert "RC=0" in verdict.output and not verdict.output.replace("RC=0", "").strip(), verdict.output


def test_a_rejected_configuration_is_reported_without_its_password() -> None:
    """FRR quotes the line it refuses, password and all; apply's report (which pulumi-command puts in
    its error whatever the logging) says which line, never the password."""
    password = "Rout3rPw"
    stack = parse_stack(stack_config("bgp"), bgp_password=password)
    frr_conf = f"{PATHS.staging}{PATHS.frr_conf}"
    broken = f'sed -i "s/ password {password}\\$/ password {password} no-such-argument/" {frr_conf} && '
    apply = f"bash {PATHS.staging}{PATHS.apply_script} {PATHS.staging}"
    verdict = on_node(stack, stack.nodes[0], "redact", f"sh -c '{broken}{apply}; echo EXIT=$?' 2>&1", staged=True)
    assert "EXIT=1" in verdict.output and "the new configuration was rejected" in verdict.output, verdict.output
    assert "password ******" in verdict.output, verdict.output  # FRR's own words, the line named
    assert password not in verdict.output, verdict.output
