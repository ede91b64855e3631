"""Parse the plain dict that Pulumi's structured config gives into a validated `Stack`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .checks import check_stack
from .errors import ConfigError, Problem
from .model import Stack

STACK_KEYS = ("target", "nodes", "vips", "vrrp", "health", "pools", "tuning")
"""The project's config keys (`ha-udp-lb:<key>`); each maps to one field of `Stack`."""


def parse_stack(raw: Mapping[str, Any]) -> Stack:
    """Return the stack, or raise `ConfigError` naming every problem at once."""
    try:
        stack = Stack.model_validate(dict(raw))
    except ValidationError as error:
        raise ConfigError([_problem(e) for e in error.errors()]) from None
    problems = check_stack(stack)
    if problems:
        raise ConfigError(problems)
    return stack


def _problem(error: Any) -> Problem:
    path = ""
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in ("str", "int", "float", "function-before[_from_endpoint()]") or "[" in str(part):
            continue  # pydantic's names for union branches, not config keys
        else:
            path += f".{part}" if path else str(part)
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if "password" in path:
        value = "******"
    elif isinstance(value, (dict, list)):
        value = type(value).__name__
    return Problem(path, value, message)
