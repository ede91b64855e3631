"""The real daemons as judges: each node's rendered files, laid out at their absolute paths in the
node's own namespaces, must pass `keepalived --config-test` and `nginx -t` with no complaint."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ha_udp_lb.core import complaints
from ha_udp_lb.core.model import Node, Stack
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.lab.host import netns
from ha_udp_lb.lab.host.sandbox import run_in_node
from ha_udp_lb.runner.synth import write_tree
from tests.composition import node_files

COMPLAINT = re.compile(complaints.COMPLAINT)


@dataclass
class Verdict:
    node: str
    returncode: int
    output: str

    @property
    def complaints(self) -> list[str]:
        return [line for line in self.output.splitlines() if COMPLAINT.search(line)]


def judge_node(stack: Stack, node: Node, tag: str) -> Verdict:
    """The node's files at their paths, judged by keepalived, nginx and (kernel plane) nft."""
    kernel = f" && nft -c -f {PATHS.kernel_ruleset}" if stack.pools_on("kernel") else ""
    judges = f"keepalived --config-test && nginx -t -q{kernel}"
    return on_node(stack, node, tag, f"sh -c '{PATHS.loopback_script} up && {judges} && echo JUDGED-OK' 2>&1")


def on_node(stack: Stack, node: Node, tag: str, script: str, staged: bool = False) -> Verdict:
    """`script` in a namespace of its own with the node's files laid out (at their paths, or where
    Pulumi uploads them when `staged`), over the host's directories."""
    ns = f"{netns.PREFIX}j{tag}"[:15]
    work = Path(tempfile.mkdtemp(prefix="hulb-judge-"))
    host_end = f"{ns}x"[:15]
    try:
        netns.add_namespace(ns)
        netns.plug(ns, node.interface, str(node.address), host_end=host_end)
        write_tree(work / "root" / (PATHS.staging.lstrip("/") if staged else ""), node_files(stack, node))
        result = run_in_node(ns, work / "root", work / "scratch", script)
        return Verdict(node.name, result.returncode, result.stdout + result.stderr)
    finally:
        netns.remove([ns], [host_end])
        shutil.rmtree(work, ignore_errors=True)
