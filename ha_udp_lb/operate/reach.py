"""Reaching a deployed stack as its operator: the stack's config and SSH key from Pulumi (`pulumi config
--show-secrets`, the stack's own secrets provider: nothing of it is printed or kept), and a command on
each node over OpenSSH with that key, the node's pinned host key enforced where the stack pins one."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ha_udp_lb.core.commands import as_root
from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.model import Node, Stack
from ha_udp_lb.core.project import PROJECT

Run = Callable[[Node, str], str]
"""Runs a shell command on a node and returns what it printed; raises NodeUnreachable."""
SSH_TIMEOUT_S = 20


class NodeUnreachable(RuntimeError):
    pass


def stack_and_key(stack_name: str, cwd: Path) -> tuple[Stack, str | None]:
    """The stack as Pulumi holds its config (stackConfigDir), and its `sshPrivateKey`."""
    said = subprocess.run(
        ["pulumi", "config", "--json", "--show-secrets", "--stack", stack_name, "--non-interactive"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if said.returncode != 0:
        raise RuntimeError(f"pulumi config --stack {stack_name} (in {cwd}) failed: {said.stderr.strip()[-500:]}")
    config: dict[str, Any] = json.loads(said.stdout)
    prefix = f"{PROJECT}:"
    raw = {key[len(prefix) :]: _value(entry) for key, entry in config.items() if key.startswith(prefix)}
    key = raw.pop("sshPrivateKey", None)
    return parse_stack(raw), key


def _value(entry: dict[str, Any]) -> Any:
    return entry["objectValue"] if "objectValue" in entry else entry.get("value")


@contextmanager
def over_ssh(stack: Stack, private_key: str | None) -> Iterator[Run]:
    """Commands on the stack's nodes over SSH, as `ssh.user` (sudo -n for what needs root, where not root)."""
    if stack.target != "ssh":
        raise RuntimeError(f"the stack's target is {stack.target}: status and where reach ssh nodes only")
    with tempfile.TemporaryDirectory(prefix="ha-udp-lb-") as scratch:
        identity = Path(scratch) / "key"
        known = Path(scratch) / "known_hosts"
        if private_key:
            identity.touch(mode=0o600)
            identity.write_text(private_key if private_key.endswith("\n") else private_key + "\n")
        known.write_text("".join(f"{n.name} {n.ssh.host_key}\n" for n in stack.nodes if n.ssh and n.ssh.host_key))

        def run(node: Node, command: str) -> str:
            ssh = node.ssh
            assert ssh is not None  # the model requires it on the ssh target
            pinned = "yes" if ssh.host_key else "accept-new"
            argv = [
                "ssh",
                "-F",
                "none",
                "-o",
                "BatchMode=yes",
                "-o",
                f"ConnectTimeout={SSH_TIMEOUT_S // 2}",
                "-o",
                f"UserKnownHostsFile={known}",
                "-o",
                f"StrictHostKeyChecking={pinned}",
                "-o",
                f"HostKeyAlias={node.name}",
                "-p",
                str(ssh.port),
            ]
            argv += ["-o", "IdentitiesOnly=yes", "-i", str(identity)] if private_key else []
            remote = as_root(command, ssh.user)
            said = subprocess.run(
                [*argv, f"{ssh.user}@{ssh.host}", remote],
                capture_output=True,
                text=True,
                timeout=SSH_TIMEOUT_S,
                check=False,
            )
            if said.returncode != 0:
                raise NodeUnreachable(f"ssh {ssh.user}@{ssh.host}: {said.stderr.strip()[-300:] or said.returncode}")
            return said.stdout

        yield run


def on_every_node(stack: Stack, run: Run, command: str) -> tuple[dict[str, str], dict[str, str]]:
    """`command` on every node at once: (node → what it printed, node → why it did not answer)."""
    with ThreadPoolExecutor(max_workers=max(1, len(stack.nodes))) as pool:
        futures = {node.name: pool.submit(run, node, command) for node in stack.nodes}
    said, failed = {}, {}
    for name, future in futures.items():
        try:
            said[name] = future.result()
        except (NodeUnreachable, subprocess.TimeoutExpired, OSError) as error:
            failed[name] = str(error)
    return said, failed
