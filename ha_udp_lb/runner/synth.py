"""`ha-udp-lb synth`: what each node of a stack would receive, from the real program under the
recording monitor: topology.json, nodes/<node>/files/<absolute path> (modes kept), nodes/<node>/commands.sh."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.model import Stack
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.templating import NodeFile

from .recorder import Recording, record
from .stackfile import stack_config

COPY = "command:remote:CopyToRemote"
COMMAND = "command:remote:Command"
CONTAINER = "docker:index/container:Container"


MARKER = ".ha-udp-lb-synth"
"""Left in every synth output directory: only a directory carrying it is ever replaced."""


class OutputNotOurs(FileExistsError):
    pass


def synth(stack_name: str, out: Path, config: dict[str, Any] | None = None) -> Stack:
    """Write what each node of `stack_name` would receive (its stack file, or `config` instead) to `out`."""
    raw = stack_config(stack_name) if config is None else config
    stack = parse_stack(raw)
    recording = record(stack_name, config=raw)
    _clear(out)
    (out / "nodes").mkdir(parents=True)
    (out / MARKER).write_text(f"synth output of stack {stack_name}; replaced by the next synth\n")
    (out / "topology.json").write_text(json.dumps(topology(stack), indent=2, sort_keys=True) + "\n")
    for node in stack.nodes:
        files, commands = node_payload(stack, recording, node.name)
        write_tree(out / "nodes" / node.name / "files", files)
        body = "".join(f"{line}\n" for line in commands)
        script = f"#!/bin/sh\n# What the program runs on node {node.name}, in order.\nset -e\n{body}"
        (out / "nodes" / node.name / "commands.sh").write_text(script)
    return stack


def _clear(out: Path) -> None:
    """Remove an earlier synth output at `out`; refuse anything else that is there."""
    if not out.exists():
        return
    if not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists()):
        raise OutputNotOurs(
            f"{out} is not empty and not a synth output; give --out a new or empty directory (synth replaces "
            "only directories it wrote)"
        )
    shutil.rmtree(out)


def write_tree(root: Path, files: Mapping[str, NodeFile]) -> None:
    """Lay `files` out under `root` at their absolute paths, modes kept."""
    for path, node_file in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(node_file.content)
        target.chmod(node_file.mode)


def topology(stack: Stack) -> dict[str, Any]:
    return {
        "nodes": [
            {
                "name": n.name,
                "address": str(n.address.ip),
                "prefix": n.address.network.prefixlen,
                "interface": n.interface,
                "priority": n.priority,
            }
            for n in stack.nodes
        ],
        "vips": [
            {
                "address": str(v.address.ip),
                "prefix": v.address.network.prefixlen,
                "vrid": v.vrid,
                "preferred": stack.preferred_node(v).name,
            }
            for v in stack.vips
        ],
        "pools": [
            {
                "name": p.name,
                "vip": str(p.vip),
                "port": p.port,
                "backends": [{"address": str(b.address), "port": b.port} for b in p.backends],
            }
            for p in stack.pools
        ],
    }


def node_payload(stack: Stack, recording: Recording, node: str) -> tuple[dict[str, NodeFile], list[str]]:
    """Files as staged for `node` (by final path) and its commands, in program order."""
    if stack.target == "docker":
        (container,) = [r for r in recording.of_type(CONTAINER) if r.inputs.get("name") == node]
        staged = {u["file"]: NodeFile(u["content"], int(u["permissions"], 8)) for u in container.inputs["uploads"]}
        # The rendered entrypoint runs these arguments; the entrypoint itself only supervises.
        commands = [" ".join(container.inputs["command"][2:])]
    else:
        host = stack.node(node).ssh.host  # type: ignore[union-attr]
        mine = [r for r in recording.registrations if r.inputs.get("connection", {}).get("host") == host]
        texts = {r.inputs["remotePath"]: r.inputs["source"].text for r in mine if r.type == COPY}
        modes = _modes(texts[PATHS.staging + PATHS.apply_script])
        staged = {path: NodeFile(text, modes[path.removeprefix(PATHS.staging)]) for path, text in texts.items()}
        commands = []
        for r in mine:
            if r.type == COMMAND:
                commands.append(r.inputs["create"])
            elif r.type == COPY and not commands[-1].startswith("# upload"):
                commands.append(f"# upload the rendered files to {PATHS.staging}/… (the lab places them there)")
    files = {path.removeprefix(PATHS.staging): value for path, value in staged.items()}
    return files, commands


def _modes(apply_script: str) -> dict[str, int]:
    """The apply script lists every file with its mode; on a host it is what sets them."""
    return {path: int(mode, 8) for mode, path in re.findall(r'^\s+"(\d{4}) (/\S+)"$', apply_script, re.M)}
