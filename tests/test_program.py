"""The Pulumi program under mocks: `__main__.py` runs for each stack with that stack's config, and
every registration is recorded (lab.recorder). No CLI, engine or credentials."""

from __future__ import annotations

import pytest

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.errors import ConfigError
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.render import render_teardown
from ha_udp_lb.runner.recorder import SYNTH_PRIVATE_KEY, Recording, plain_text, record, without_secrets
from ha_udp_lb.runner.stackfile import stack_config
from tests.base_config import config
from tests.composition import node_files

COMPONENTS = {
    f"ha-udp-lb:index:{name}"
    for name in ("VrrpGroup", "NginxUdpPool", "KernelPlane", "CollectorHealth", "LbNode", "SshHost", "DockerSite")
}
"""Top-level components; every other resource is a child of one of them."""


@pytest.fixture(scope="module")
def prod() -> Recording:
    return record("prod")


@pytest.fixture(scope="module")
def dev() -> Recording:
    return record("dev")


def _count(recording: Recording, type_: str) -> int:
    return len(recording.of_type(type_))


def test_prod_registers_components_and_ssh_resources(prod: Recording) -> None:
    stack = parse_stack(stack_config("prod"))
    files_per_node = len(node_files(stack, stack.nodes[0]))
    assert _count(prod, "ha-udp-lb:index:VrrpGroup") == 1
    assert _count(prod, "ha-udp-lb:index:NginxUdpPool") == len(stack.pools_on("nginx"))
    assert _count(prod, "ha-udp-lb:index:KernelPlane") == 1
    assert _count(prod, "ha-udp-lb:index:LbNode") == len(stack.nodes)
    # install, staging and apply per node; one upload per file per node
    assert _count(prod, "command:remote:Command") == 3 * len(stack.nodes)
    assert _count(prod, "command:remote:CopyToRemote") == files_per_node * len(stack.nodes)
    assert not [r for r in prod.registrations if r.type.startswith("docker:")]


def test_every_child_is_parented_to_a_component_and_named_after_it(prod: Recording, dev: Recording) -> None:
    for recording in (prod, dev):
        for child in recording.registrations:
            if child.type in COMPONENTS:
                continue
            parent = recording.by_urn(child.parent)
            assert parent.type.startswith("ha-udp-lb:index:"), f"{child.urn} is not inside a component"
            assert child.name.startswith(parent.name + "-"), f"{child.name} is not prefixed by {parent.name}"


def test_uploaded_contents_equal_the_cores_rendering(prod: Recording) -> None:
    stack = parse_stack(stack_config("prod"))
    for node in stack.nodes:
        expected = node_files(stack, node)
        uploads = {
            r.inputs["remotePath"].removeprefix(PATHS.staging): r.inputs["source"].text
            for r in prod.of_type("command:remote:CopyToRemote")
            if r.inputs["connection"]["host"] == node.ssh.host  # type: ignore[union-attr]
        }
        assert uploads == {path: f.content for path, f in expected.items()}


def test_every_upload_lands_in_a_directory_its_hosts_staging_step_made(prod: Recording) -> None:
    commands = prod.of_type("command:remote:Command")
    staging = {r.inputs["connection"]["host"]: r for r in commands if r.name.endswith("-staging")}
    uploads = prod.of_type("command:remote:CopyToRemote")
    assert uploads
    for upload in uploads:
        host = upload.inputs["connection"]["host"]
        directory = upload.inputs["remotePath"].rsplit("/", 1)[0]
        assert directory in staging[host].inputs["create"].split(), f"{upload.name}: {directory} is never made"
        assert staging[host].urn in upload.dependencies


def test_only_the_step_made_once_tears_the_node_down(prod: Recording) -> None:
    """A replaced step's delete runs on every change (create the new, delete the old): only the staging
    step, made once and deleted after everything of its node, may carry the teardown."""
    commands = prod.of_type("command:remote:Command")
    with_delete = {r.name for r in commands if r.inputs.get("delete")}
    assert with_delete == {r.name for r in commands if r.name.endswith("-staging")}
    staging = next(r for r in commands if r.name.endswith("-staging"))
    assert staging.inputs["delete"] == render_teardown() and "triggers" not in staging.inputs
    for name in ("keepalived", "nginx"):
        assert f"systemctl disable -q --now {name}" in staging.inputs["delete"]


def test_rollout_goes_one_node_at_a_time_backup_first(prod: Recording) -> None:
    applies = {r.name: r for r in prod.of_type("command:remote:Command") if r.name.endswith("-apply")}
    assert applies["lb-b-apply"].urn in applies["lb-a-apply"].dependencies  # lb-a (priority 150) is the master
    assert applies["lb-a-apply"].urn not in applies["lb-b-apply"].dependencies


def test_apply_waits_for_every_upload_of_its_node_and_reruns_on_content_change(prod: Recording) -> None:
    apply = next(r for r in prod.registrations if r.name == "lb-a-apply")
    uploads = [
        r.urn for r in prod.of_type("command:remote:CopyToRemote") if r.inputs["connection"]["host"] == "192.0.2.11"
    ]
    assert set(uploads) <= set(apply.dependencies)
    assert apply.inputs["triggers"] == [prod.exports["filesHash"]["lb-a"]]


def test_ssh_private_key_stays_secret(prod: Recording) -> None:
    for r in prod.registrations:
        if "connection" in r.inputs:
            assert r.is_secret("connection"), f"{r.name}: connection (with the private key) is not secret"
            assert SYNTH_PRIVATE_KEY not in str({k: v for k, v in r.wire.items() if k != "connection"})
    assert SYNTH_PRIVATE_KEY not in str(prod.exports)


def test_vrrp_password_is_secret_in_every_upload_output_and_hash() -> None:
    raw = {**stack_config("prod"), "vrrp": {"version": 2, "advertInterval": 1}}
    recording = record("prod", config=raw, secrets={"vrrpPassword": "s3cret"})
    carrying = [r for r in recording.registrations if "s3cret" in plain_text(r.inputs)]
    assert carrying, "the password reached no upload"
    for r in carrying:
        assert "s3cret" not in str(without_secrets(r.wire)), f"{r.name} carries the password in clear"
    hashes = without_secrets(recording.exports_wire["filesHash"])
    # Either the whole export or each node's hash is secret; never a plain one.
    assert hashes == "<secret>" or (set(hashes) == {"lb-a", "lb-b"} and set(hashes.values()) == {"<secret>"}), hashes
    apply = next(r for r in recording.registrations if r.name == "lb-a-apply")
    assert apply.inputs["logging"] == "none"


def test_exports(dev: Recording) -> None:
    assert dev.exports["vips"] == ["198.18.0.100/24", "198.18.0.101/24"]
    assert dev.exports["endpoints"]["netflow"] == "198.18.0.100:2055"
    assert dev.exports["nodes"]["lb1"] == {
        "address": "198.18.0.11/24",
        "roles": {"198.18.0.100": "MASTER", "198.18.0.101": "BACKUP"},
    }
    assert set(dev.exports["filesHash"]) == {"lb1", "lb2"}


def test_dev_builds_docker_nodes_on_the_benchmark_range(dev: Recording) -> None:
    (network,) = dev.of_type("docker:index/network:Network")
    assert network.inputs["ipamConfigs"][0]["subnet"] == "198.18.0.0/24"
    containers = {r.inputs["name"]: r for r in dev.of_type("docker:index/container:Container")}
    lb1 = containers["lb1"]
    assert set(lb1.inputs["capabilities"]["adds"]) == {"NET_ADMIN", "NET_RAW", "NET_BROADCAST", "SYS_NICE"}
    assert lb1.inputs["networksAdvanced"][0]["ipv4Address"] == "198.18.0.11"
    stack = parse_stack(stack_config("dev"))
    uploads = {u["file"].removeprefix(PATHS.staging): u["content"] for u in lb1.inputs["uploads"]}
    assert uploads == {p: f.content for p, f in node_files(stack, stack.nodes[0]).items()}
    collectors = [name for name in containers if "collector" in name]
    assert len(collectors) == 3
    # Fixed names: a replacement must delete the old container before creating the new one.
    assert all(c.delete_before_replace for c in containers.values())


def test_docker_nodes_get_their_sysctls_at_creation() -> None:
    """A container's /proc/sys is read-only: ARP behaviour for the loopback VIPs, and forwarding for the
    kernel plane, must come with the container, not from apply."""
    raw = stack_config("dev")
    raw["pools"][0]["dataPlane"] = "kernel"
    recording = record("dev", config=raw)
    for container in recording.of_type("docker:index/container:Container"):
        if "collector" in container.inputs["name"]:
            continue
        sysctls = container.inputs["sysctls"]
        assert sysctls["net.ipv4.conf.all.arp_ignore"] == "1" and sysctls["net.ipv4.conf.all.arp_announce"] == "2"
        assert sysctls["net.ipv4.ip_forward"] == "1" and sysctls["net.ipv4.conf.all.send_redirects"] == "0"
        # Redirects are sent if `all` or the interface says so; `default` no longer reaches it in a container.
        assert sysctls["net.ipv4.conf.eth0.send_redirects"] == "0"
        assert not any(key.startswith("net.core.") for key in sysctls)


def test_bad_config_fails_before_any_resource_registers() -> None:
    bad = config(nodes__1__priority=300, pools__0__backends=["collector:2055"])
    with pytest.raises(ConfigError) as caught:
        record("dev", config=bad)
    message = str(caught.value)
    assert "ha-udp-lb:nodes[1].priority = 300" in message
    assert "ha-udp-lb:pools[0].backends[0] = 'collector:2055'" in message


def test_bad_config_registers_nothing() -> None:
    from ha_udp_lb.runner import recorder

    seen = recorder.Recording()
    original = recorder.Recording
    recorder.Recording = lambda: seen  # type: ignore[assignment,misc]
    try:
        with pytest.raises(ConfigError):
            recorder.record("dev", config=config(vips__0__vrid=0))
    finally:
        recorder.Recording = original  # type: ignore[misc]
    assert seen.registrations == []


def test_ssh_stack_without_private_key_names_the_secret() -> None:
    with pytest.raises(ConfigError, match=r"ha-udp-lb:sshPrivateKey .*pulumi config set --secret"):
        record("prod", secrets={"sshPrivateKey": ""})


def test_a_node_the_last_deployment_had_is_torn_down_before_any_node_that_stays_changes() -> None:
    """Pulumi deletes only after it has updated the rest: the program tears such a node down itself,
    first, reading the last deployment's `sshHosts` (its own stack's output)."""
    first = record("prod")
    previous = {"sshHosts": {**first.exports["sshHosts"], "lb-c": {"host": "192.0.2.13", "user": "root", "port": 22}}}
    second = record("prod", previous=previous)
    (leave,) = [r for r in second.of_type("command:remote:Command") if r.name.endswith("-leave")]
    assert leave.name == "lb-c-leave" and leave.inputs["create"] == render_teardown()
    assert leave.inputs["connection"]["host"] == "192.0.2.13" and leave.is_secret("connection")
    first_apply = next(r for r in second.registrations if r.name == "lb-b-apply")  # the rollout's first node
    assert leave.urn in first_apply.dependencies
    assert not [r for r in first.registrations if r.name.endswith("-leave")], "a first deployment has no leaving node"
    assert first.exports["sshHosts"] == {
        "lb-a": {"host": "192.0.2.11", "user": "root", "port": 22},
        "lb-b": {"host": "192.0.2.12", "user": "root", "port": 22},
    }
