"""Reused by another Pulumi program: the wheel adds one top-level name, `ha_udp_lb`, holding every file
its code reads; a small program of a user's own (tests/programs/syslog_edge), importing the package from
the unpacked wheel, builds a pool on hosts another stack made and the real engine previews it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ha_udp_lb.core.project import REPO
from ha_udp_lb.runner.engine import STACK_REFERENCE, Workspace

pytestmark = pytest.mark.engine

PROGRAMS = Path(__file__).parent / "programs"
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nreuse-preview-key-9b7e\n-----END OPENSSH PRIVATE KEY-----\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip` builds from the checkout, unpacked as an installer lays it out."""
    out = tmp_path_factory.mktemp("wheel")
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)]
    subprocess.run(build, check=True, capture_output=True, cwd=out)
    (wheel,) = out.glob("ha_udp_lb-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(out / "site")
    return out / "site"


def test_the_wheel_installs_one_package_with_every_file_it_reads(site: Path) -> None:
    assert {p.name for p in site.iterdir() if not p.name.endswith(".dist-info")} == {"ha_udp_lb"}
    tracked = subprocess.run(["git", "ls-files", "ha_udp_lb"], cwd=REPO, capture_output=True, text=True, check=True)
    shipped = {p.relative_to(site).as_posix() for p in (site / "ha_udp_lb").rglob("*") if p.is_file()}
    assert set(tracked.stdout.split()) - shipped == set()


def test_a_program_of_its_own_builds_a_pool_from_the_installed_package(site: Path, tmp_path: Path) -> None:
    workspace = Workspace(tmp_path)
    # The program and its typechecker find the package in the unpacked wheel, ahead of the checkout.
    workspace.environment = {"PYTHONPATH": str(site), "MYPYPATH": str(site)}
    imported = subprocess.run(
        [sys.executable, "-c", "import ha_udp_lb.components.rollout as m; print(m.__file__)"],
        env={**os.environ, **workspace.environment},
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert Path(imported.stdout.strip()).is_relative_to(site), imported.stdout

    workspace.use_program(PROGRAMS / "vm_stack")
    workspace.init("vms", {})
    workspace.up("vms")
    workspace.use_program(PROGRAMS / "syslog_edge")
    workspace.init("edge", {"vmStack": "organization/vm-stack/vms"}, {"sshPrivateKey": PRIVATE_KEY})
    preview = workspace.preview("edge")

    created = {(s.type, s.name) for s in preview.steps if s.op == "create"}
    assert {("ha-udp-lb:index:SshHost", "edge1"), ("ha-udp-lb:index:SshHost", "edge2")} <= created
    assert {("ha-udp-lb:index:NginxUdpPool", "syslog"), ("ha-udp-lb:index:LbNode", "edge1")} <= created
    assert {(s.op, s.type) for s in preview.steps if s.op != "create"} == {("read", STACK_REFERENCE)}
    assert PRIVATE_KEY.strip() not in preview.output
    # The connection (a secret as a whole, the key in it) waits on the VM stack's outputs.
    assert _depends_on(preview.output, "-install") == {"edge1", "edge2"}


def _depends_on(output: str, suffix: str) -> set[str]:
    """The nodes whose step named `<node><suffix>` depends on the StackReference."""
    found = set()
    for step in json.loads(output)["steps"]:
        name = step["urn"].rsplit("::", 1)[1]
        dependencies = step["newState"].get("dependencies", [])
        if name.endswith(suffix) and any(f"::{STACK_REFERENCE}::" in urn for urn in dependencies):
            found.add(name.removesuffix(suffix))
    return found
