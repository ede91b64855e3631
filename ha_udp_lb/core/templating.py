"""Rendering a node file from its template: the one Jinja2 environment (StrictUndefined), and the
context every template shares."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2

from .model import Node, Stack
from .paths import PATHS
from .project import PACKAGE

TEMPLATES = PACKAGE / "templates"


@dataclass(frozen=True)
class NodeFile:
    content: str
    mode: int
    secret: bool = False
    """True when the content carries a secret (the VRRP password): keep it out of logs and outputs."""


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render_template(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(paths=PATHS, **context)


def common_context(stack: Stack, node: Node) -> dict[str, Any]:
    return {"node": node, "vrrp": stack.vrrp, "health": stack.health, "tuning": stack.tuning}


def restart_dropin(stack: Stack, node: Node) -> NodeFile:
    """Our drop-in for a distribution's unit (nginx, keepalived, frr): restarted whenever it dies."""
    return NodeFile(render_template("restart.conf.j2", **common_context(stack, node)), 0o644)
