"""Rendering: golden files for the dev and prod stacks, determinism, and the properties every node
shares (identical upstreams, so every node maps every exporter to the same collector)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.model import Node, Stack
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.procnet import proc_net_local_address
from ha_udp_lb.core.project import REPO
from ha_udp_lb.core.templating import NodeFile
from ha_udp_lb.runner.stackfile import stack_config
from ha_udp_lb.runner.synth import write_tree
from tests.base_config import config
from tests.composition import node_files

GOLDEN = Path(__file__).parent / "golden"


def stack(name: str) -> Stack:
    return parse_stack(stack_config(name))


def on_nginx(name: str) -> Stack:
    """The stack with every pool on nginx (at its default source)."""
    raw = stack_config(name)
    raw["pools"] = [{**pool, "dataPlane": "nginx"} for pool in raw["pools"]]
    return parse_stack(raw)


@pytest.mark.parametrize("name", ["dev", "prod", "dev-on-nginx"])
def test_rendered_files_match_golden(name: str) -> None:
    """UPDATE_GOLDEN=1 rewrites them; review the diff like any other change."""
    the_stack = on_nginx("dev") if name == "dev-on-nginx" else stack(name)
    for node in the_stack.nodes:
        for path, node_file in node_files(the_stack, node).items():
            if path.startswith(PATHS.agent_dir):
                continue  # the agent's own sources, shipped as they are (test_node_agent_ships_unchanged)
            golden = GOLDEN / name / node.name / path.lstrip("/")
            # The deployment digest covers the agent's sources too, which the goldens leave out.
            content = re.sub(r'"deployment": "[0-9a-f]{16}"', '"deployment": "(digest)"', node_file.content)
            if os.environ.get("UPDATE_GOLDEN"):
                golden.parent.mkdir(parents=True, exist_ok=True)
                golden.write_text(content)
            assert golden.exists(), f"no golden file {golden}; run UPDATE_GOLDEN=1 pytest"
            assert content == golden.read_text(), f"{name}/{node.name}{path} differs from golden"


def test_the_shipped_agent_runs_from_its_shipped_files_alone(tmp_path: Path) -> None:
    """Everything the agent imports ships with it: laid out as on the node, with nothing of the checkout
    on the path (-I), its entry point loads (a missing module would fail the import)."""
    the_stack = stack("dev")
    files = node_files(the_stack, the_stack.nodes[0])
    shipped = {path: f for path, f in files.items() if path.startswith(PATHS.agent_dir + "/")}
    write_tree(tmp_path, shipped)
    agent_dir = tmp_path / PATHS.agent_dir.lstrip("/")
    agent = PATHS.agent_module
    script = f"import runpy, sys; sys.argv = [{agent!r}]; runpy.run_module({agent!r}, run_name='__main__')"
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(agent_dir)!r}); {script}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2 and "python3 -m ha_udp_lb.node_agent run CONFIG" in result.stderr, result.stderr


def test_rendering_is_byte_identical_across_processes_and_hash_seeds() -> None:
    """Set and dict order must not leak into a file: two interpreters with different hash seeds agree."""
    script = (
        "from ha_udp_lb.core.config import parse_stack; from ha_udp_lb.core.render import files_digest; "
        "from tests.composition import node_files; from ha_udp_lb.runner.stackfile import stack_config; "
        "s = parse_stack(stack_config('dev')); print([files_digest(node_files(s, n)) for n in s.nodes])"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1, digests


def _nginx_text(files: dict[str, NodeFile]) -> str:
    return "".join(f.content for path, f in sorted(files.items()) if path.startswith("/etc/nginx/"))


def _data_plane_files(stack: Stack, node: Node) -> dict[str, str]:
    """What decides where an exporter goes on `node`: nginx's pool files and the kernel plane's table,
    without their comments (the ruleset's header names the node)."""
    files = node_files(stack, node)
    return {
        path: "".join(line for line in f.content.splitlines(keepends=True) if not line.startswith("#"))
        for path, f in files.items()
        if path.startswith(PATHS.pool_dir + "/") or path == PATHS.kernel_ruleset
    }


@pytest.mark.parametrize(("name", "overrides"), [("dev", {}), ("prod", {}), ("dev", {"dataPlane": "nginx"})])
def test_every_node_sends_an_exporter_to_the_same_collector(name: str, overrides: dict[str, str]) -> None:
    raw = stack_config(name)
    raw["pools"] = [{**pool, **overrides} for pool in raw["pools"]]
    the_stack = parse_stack(raw)
    per_node = [_data_plane_files(the_stack, n) for n in the_stack.nodes]
    assert len(per_node[0]) == len(the_stack.pools_on("nginx")) + 1  # and the table, on every node
    assert all(files == per_node[0] for files in per_node), "the nodes' pool files or slot tables differ"


def test_expert_defaults() -> None:
    the_stack = on_nginx("dev")
    files = node_files(the_stack, the_stack.nodes[0])
    keepalived = files[PATHS.keepalived_conf].content
    nginx = _nginx_text(files)
    directives = [line.split("#")[0].strip() for line in keepalived.splitlines()]
    assert "vrrp_strict" not in directives
    assert "enable_script_security" in directives
    assert directives.count("chk_nginx") == 2  # one per vrrp_instance's track_script
    assert directives.count("nginx_down") == 2
    assert "weight 0" in directives  # FAULT on failure, not a priority nudge the backup ignores
    assert "unicast_peer {" in directives and "198.18.0.12" in directives
    assert "accept" in directives
    assert re.search(r"listen 198\.18\.0\.100:2055 udp reuseport", nginx)
    assert "proxy_responses" not in [line.split("#")[0].strip().split(" ")[0] for line in nginx.splitlines()]
    assert "hash $remote_addr consistent;" in nginx
    assert "proxy_bind $remote_addr:$remote_port transparent;" in nginx  # collectors see each exporter


def test_active_active_vips_prefer_different_nodes() -> None:
    the_stack = stack("dev")
    priorities = {vip.vrid: the_stack.instance_priorities(vip) for vip in the_stack.vips}
    assert priorities == {51: {"lb1": 150, "lb2": 100}, 52: {"lb2": 150, "lb1": 100}}


def test_password_renders_only_with_vrrpv2_and_marks_the_file_secret() -> None:
    the_stack = parse_stack(config(vrrp={"version": 2, "advertInterval": 1}), vrrp_password="s3cret")
    keepalived = node_files(the_stack, the_stack.nodes[0])[PATHS.keepalived_conf]
    assert "auth_pass s3cret" in keepalived.content
    assert keepalived.secret and keepalived.mode == 0o600
    plain = node_files(parse_stack(config()), parse_stack(config()).nodes[0])[PATHS.keepalived_conf]
    assert not plain.secret and "authentication" not in plain.content


def test_only_an_explicit_source_none_hides_the_exporters_on_nginx() -> None:
    hidden = parse_stack(config(pools__0__dataPlane="nginx", pools__0__source="none", pools__0__mergeExporters=True))
    assert "proxy_bind" not in _nginx_text(node_files(hidden, hidden.nodes[0]))
    default = parse_stack(config(pools__0__dataPlane="nginx"))
    assert "proxy_bind $remote_addr:$remote_port transparent;" in _nginx_text(node_files(default, default.nodes[0]))


def test_a_stack_that_says_nothing_keeps_every_exporters_identity() -> None:
    for name in ("dev", "prod"):
        the_stack = stack(name)
        assert all(pool.keeps_exporter_identity for pool in the_stack.pools), name


def test_watcher_looks_for_every_pools_socket_as_the_kernel_spells_it() -> None:
    the_stack = on_nginx("dev")
    script = node_files(the_stack, the_stack.nodes[0])[PATHS.health_script].content
    for pool in the_stack.pools:
        assert proc_net_local_address(pool.vip, pool.port) in script
    assert proc_net_local_address(the_stack.pools[0].vip, 2055) == "640012C6:0807"
