"""`pulumi preview` of every ssh stack by the real Pulumi engine (toolchain/), as the pull-request
workflow runs it: a local file backend, the stack's own file, its secrets set with `pulumi config set
--secret`. The docker stacks (dev, seed, bench-defaults) cannot be previewed here: the Go module proxy
serves no pulumi-docker provider (README, "Stacks the engine previews")."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from ha_udp_lb.core.project import REPO
from ha_udp_lb.runner.engine import STACK_REFERENCE, TOOLCHAIN, EngineFailed, Result, Workspace
from ha_udp_lb.runner.stackfile import stack_config

pytestmark = pytest.mark.engine

PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\npreview-only-key-4f1c9\n-----END OPENSSH PRIVATE KEY-----\n"
SECRETS = {
    "prod": {"sshPrivateKey": PRIVATE_KEY},
    "hosts": {"sshPrivateKey": PRIVATE_KEY},
    "bgp": {"sshPrivateKey": PRIVATE_KEY, "bgpPassword": "bgp-secret-77d2"},
}
COMPONENTS = {
    f"ha-udp-lb:index:{name}"
    for name in ("VrrpGroup", "BgpSpeakers", "NginxUdpPool", "KernelPlane", "CollectorHealth", "LbNode", "SshHost")
}
"""Every component of the ssh target: the shipped ssh stacks together must exercise each."""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    yield Workspace(tmp_path_factory.mktemp("engine"))


@pytest.fixture(scope="module")
def previews(workspace: Workspace) -> dict[str, Result]:
    results = {}
    for stack, secret in SECRETS.items():
        workspace.init(stack, stack_config(stack), secret)
        results[stack] = workspace.preview(stack)
    return results


@pytest.mark.parametrize("stack", sorted(SECRETS))
def test_the_engine_previews_every_ssh_stack(previews: dict[str, Result], stack: str) -> None:
    preview = previews[stack]
    # The one read: the stack's own last outputs (ha_udp_lb/components/departures.py).
    assert {(s.op, s.type) for s in preview.steps if s.op != "create"} == {("read", STACK_REFERENCE)}
    assert {"command:remote:Command", "command:remote:CopyToRemote"} <= {s.type for s in preview.steps}
    for value in SECRETS[stack].values():
        assert value.strip() not in preview.output, f"a secret of {stack} is in the engine's output"


def test_the_shipped_ssh_stacks_together_exercise_every_component(previews: dict[str, Result]) -> None:
    seen = {s.type for preview in previews.values() for s in preview.steps}
    assert seen >= COMPONENTS, COMPONENTS - seen


def test_secrets_set_by_the_cli_are_encrypted_in_the_stack_file(workspace: Workspace, previews: object) -> None:
    for stack, secret in SECRETS.items():
        text = workspace.stack_file(stack).read_text()
        for key, value in secret.items():
            assert f"ha-udp-lb:{key}:\n    secure:" in text, f"{stack}: {key} is not stored as a secret"
            assert value.strip() not in text


def test_a_bad_stack_is_refused_by_the_engine_before_any_resource(workspace: Workspace) -> None:
    config = stack_config("prod")
    config["pools"][0]["backends"] = ["192.0.2.21:99999"]
    workspace.init("broken", config, SECRETS["prod"])
    with pytest.raises(EngineFailed) as refused:
        workspace.preview("broken")
    output = refused.value.output
    assert "ha-udp-lb:pools[0].backends" in output, output
    document = json.loads(output)
    assert {step["op"] for step in document["steps"]} <= {"create"}
    assert all(step["urn"].endswith("::ha-udp-lb-broken") for step in document["steps"]), "a resource was registered"


def test_the_pull_request_workflow_passes_actionlint() -> None:
    workflow = REPO / ".github" / "workflows" / "pull-request.yml"
    done = subprocess.run([str(TOOLCHAIN / "actionlint"), str(workflow)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
