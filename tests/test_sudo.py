"""A non-root `ssh.user`: every step runs as root through `sudo -n`, and a user sudo refuses is told
what to set up. The lifecycle on booted Debian 12 and 13 hosts (`test_hosts.py`, whose stack logs in
as `deploy`) runs it end to end; here, what the program registers and what the wrapper does on a shell."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ha_udp_lb.core.commands import as_root
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.runner.recorder import Recording, record


@pytest.fixture(scope="module")
def hosts() -> Recording:
    return record("hosts")


def test_every_command_of_a_non_root_user_runs_through_sudo(hosts: Recording) -> None:
    steps = hosts.of_type("command:remote:Command")
    assert steps and {r.inputs["connection"]["user"] for r in steps} == {"deploy"}
    for step in steps:
        for verb in ("create", "update", "delete"):
            if verb in step.inputs:
                assert step.inputs[verb].startswith("sudo -n true 2>/dev/null || {"), (step.name, verb)
                assert "exec sudo -n sh -c " in step.inputs[verb], (step.name, verb)


def test_the_staging_directories_belong_to_the_user_who_uploads(hosts: Recording) -> None:
    staging = next(r for r in hosts.of_type("command:remote:Command") if r.name == "lb1-staging")
    assert "install -d -m 0700 -o deploy " in staging.inputs["create"]
    assert f"chown -R deploy {PATHS.staging}" in staging.inputs["update"]
    uploads = hosts.of_type("command:remote:CopyToRemote")
    assert uploads and all(r.inputs["remotePath"].startswith(PATHS.staging) for r in uploads)


def test_roots_commands_are_left_as_they_are() -> None:
    assert as_root("id -u", "root") == "id -u"


@pytest.mark.skipif(subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() != "0", reason="root")
def test_a_user_sudo_refuses_is_told_what_to_set_up() -> None:
    """`nobody` here has no sudo rights (or no sudo at all): the step fails, runs nothing, and says why."""
    marker = Path("/tmp/ha-udp-lb-sudo-test-ran")
    nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    said = subprocess.run(
        [*nobody, "sh", "-c", as_root(f"touch {marker}", "nobody")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert said.returncode == 1
    assert "ssh.user nobody needs sudo without a password" in said.stderr
    assert "'nobody ALL=(root) NOPASSWD: ALL' to /etc/sudoers.d/ha-udp-lb" in said.stderr
    assert not marker.exists()
