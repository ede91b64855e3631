"""The house rules, checked on the tree: imports point one way (shells → core, never back; what ships
to a node is stdlib only) and no function or module outgrows what a reader can hold."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from ha_udp_lb.core.project import REPO

PURE = {
    "core": {"jinja2", "pydantic", "ha_udp_lb.slot_table"},
    "slot_table": set(),
    "node_agent": {"ha_udp_lb.slot_table"},
}
"""Subpackage of ha_udp_lb → what it may import besides itself and the standard library."""
MAX_FUNCTION_LINES, MAX_MODULE_LINES = 60, 300


def _sources() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=REPO, capture_output=True, text=True, check=True)
    return [path for path in listed.stdout.split() if (REPO / path).exists()]


def _owner(module: str) -> str:
    """What an import names, as the rules read it: a distribution's top-level name, or our subpackage."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "ha_udp_lb" else parts[0]


def _imports(path: str) -> set[str]:
    tree = ast.parse((REPO / path).read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {_owner(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "ha_udp_lb":
            names |= {f"ha_udp_lb.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(_owner(node.module))
    return names


@pytest.mark.parametrize("package", sorted(PURE))
def test_the_core_and_what_ships_to_nodes_import_nothing_of_the_shells(package: str) -> None:
    allowed = PURE[package] | {f"ha_udp_lb.{package}", "__future__"} | set(sys.stdlib_module_names)
    for path in _sources():
        if path.startswith(f"ha_udp_lb/{package}/"):
            foreign = _imports(path) - allowed
            assert not foreign, f"{path} imports {sorted(foreign)}"


def test_no_function_or_module_is_too_long_to_read() -> None:
    too_long = []
    for path in _sources():
        source = (REPO / path).read_text()
        if len(source.splitlines()) > MAX_MODULE_LINES:
            too_long.append(f"{path}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_long.append(f"{path}:{node.lineno} {node.name}: {length} lines")
    assert not too_long, too_long
