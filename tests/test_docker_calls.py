"""The docker stack's recorded registrations as Docker CLI calls: every input the program gives a
container reaches its flag, nothing is translated that the program did not declare, and an input the
translation does not know is an error, not a silent omission."""

from __future__ import annotations

import pytest

from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.runner.docker_calls import CHECK_LABEL, UntranslatedInput, plan
from ha_udp_lb.runner.recorder import Recording, record


@pytest.fixture(scope="module")
def dev() -> Recording:
    return record("dev")


def _flags(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == flag]


def test_each_node_container_carries_what_the_program_declares(dev: Recording) -> None:
    calls = {c.name: c for c in plan(dev, "dev").containers}
    assert sorted(calls) == ["lb1", "lb2"]
    argv = calls["lb1"].create
    assert argv[:3] == ["create", "--name", "lb1"]
    assert _flags(argv, "--label") == [f"{CHECK_LABEL}=dev"]
    assert _flags(argv, "--network") == ["ha-udp-lb"] and _flags(argv, "--ip") == ["198.18.0.11"]
    assert set(_flags(argv, "--cap-add")) == {"NET_ADMIN", "NET_RAW", "NET_BROADCAST", "SYS_NICE"}
    arp = {"net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2"}
    # The kernel plane (the dev stack's default) forwards, and must not redirect exporters past the node.
    forwarding = {"net.ipv4.ip_forward=1", *(f"net.ipv4.conf.{i}.send_redirects=0" for i in ("all", "default", "eth0"))}
    assert set(_flags(argv, "--sysctl")) == arp | forwarding
    assert _flags(argv, "--restart") == ["unless-stopped"]
    assert _flags(argv, "--tmpfs") == ["/run:rw,nosuid,nodev,mode=755"]
    assert _flags(argv, "--stop-signal") == ["SIGTERM"] and _flags(argv, "--stop-timeout") == ["10"]
    image_at = argv.index("ha-udp-lb-lb:local")
    assert argv[image_at + 1 : image_at + 3] == ["bash", PATHS.staging + PATHS.container_entrypoint]
    uploads = {u.path: u for u in calls["lb1"].uploads}
    assert uploads[PATHS.staging + PATHS.apply_script].mode == 0o755
    assert "vrrp_instance" in uploads[PATHS.staging + "/etc/keepalived/keepalived.conf"].content


def test_network_and_build_are_the_programs(dev: Recording) -> None:
    calls = plan(dev, "dev")
    (network,) = calls.networks
    assert network[-1] == "ha-udp-lb"
    assert _flags(network, "--subnet") == ["198.18.0.0/24"] and _flags(network, "--gateway") == ["198.18.0.1"]
    (build,) = calls.builds
    assert build[build.index("-t") + 1] == "ha-udp-lb-lb:local"
    assert build[build.index("-f") + 1].endswith("ha_udp_lb/image/Dockerfile")


def test_registry_images_and_their_containers_are_left_out_by_name(dev: Recording) -> None:
    left_out = plan(dev, "dev").left_out
    assert len(left_out) == 4
    assert any("goflow2" in line for line in left_out)
    for index in (1, 2, 3):
        assert any(line.startswith(f"ha-udp-lb-collector-{index}: runs a registry image") for line in left_out)


def test_without_sysctls_only_the_sysctls_go(dev: Recording) -> None:
    with_them = {c.name: c.create for c in plan(dev, "dev").containers}
    without = {c.name: c.create for c in plan(dev, "dev", sysctls=False).containers}
    for name, argv in without.items():
        assert "--sysctl" not in argv
        kept = [a for i, a in enumerate(with_them[name]) if "--sysctl" not in (a, with_them[name][i - 1])]
        assert argv == kept


def test_an_input_without_a_translation_is_an_error(dev: Recording) -> None:
    node = next(r for r in dev.registrations if r.name == "lb1-container")
    node.inputs["privileged"] = True
    try:
        with pytest.raises(UntranslatedInput, match=r"lb1-container.*\['privileged'\].*runner/docker_calls\.py"):
            plan(dev, "dev")
    finally:
        del node.inputs["privileged"]
