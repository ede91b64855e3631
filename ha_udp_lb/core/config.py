"""The one reader of a stack's config: the plain dict a stack file holds (through Pulumi's structured
config or read directly) in, a validated `Stack` out, or a `ConfigError` naming every problem at once
with its key path, its value and what to write instead."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any, cast

from pydantic import BaseModel, SecretStr, ValidationError

from .checks import check_stack
from .errors import ConfigError, Problem
from .model import INTERFACE_PATTERN, NAME_PATTERN, Stack
from .ssh_connection import USER_PATTERN

SECRET_KEYS = ("vrrpPassword", "bgpPassword", "sshPrivateKey")
"""Set with `pulumi config set --secret`; never in a stack file in clear."""

PATTERN_HELP = {
    NAME_PATTERN: "use 1 to 31 lowercase letters, digits and '-', starting with a letter, e.g. lb-a",
    INTERFACE_PATTERN: "use an interface name of 1 to 15 letters, digits, '.', '_', ':' or '-', e.g. eth0",
    USER_PATTERN: "use a user name such as root",
}


def parse_stack(raw: Mapping[str, Any], vrrp_password: str | None = None, bgp_password: str | None = None) -> Stack:
    """Return the stack, or raise `ConfigError` naming every problem at once. The passwords come from
    the secrets `vrrpPassword` and `bgpPassword`, never from the stack file."""
    if not isinstance(raw, Mapping):
        raise ConfigError([Problem("", type(raw).__name__, "the stack config must be a mapping of keys")])
    for block, secret in (("vrrp", "vrrpPassword"), ("bgp", "bgpPassword")):
        section = raw.get(block)
        if isinstance(section, Mapping) and "password" in section:
            fix = f"never write it in the stack file; set it as a secret: pulumi config set --secret {secret}"
            raise ConfigError([Problem(f"{block}.password", "******", fix)])
    try:
        stack = Stack.model_validate(dict(raw))
    except ValidationError as error:
        # A union (IPv4 | IPv6, int | "auto") fails once per branch: one problem per key and message.
        problems = list(dict.fromkeys(_problem(e) for e in error.errors()))
        raise ConfigError(problems) from None
    if vrrp_password is not None:
        stack = stack.model_copy(update={"vrrp": stack.vrrp.model_copy(update={"password": SecretStr(vrrp_password)})})
    if bgp_password is not None and stack.bgp is not None:
        stack = stack.model_copy(update={"bgp": stack.bgp.model_copy(update={"password": SecretStr(bgp_password)})})
    problems = check_stack(stack)
    if problems:
        raise ConfigError(problems)
    return stack


def _problem(error: Any) -> Problem:
    path, model = "", cast(type[BaseModel] | None, Stack)
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif re.fullmatch(r"str|int|float|bool|constrained-\w+|.*\[.*", str(part)):
            continue  # pydantic's names for union branches, not config keys
        else:
            valid = _keys(model)
            path += f".{part}" if path else str(part)
            model = _child(model, str(part)) if part in valid else model
    value = error.get("input")
    if "password" in path:
        value = "******"
    return Problem(path, _shown(value), _message(error, model, path))


def _message(error: Any, model: type[BaseModel] | None, path: str) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        valid = _keys(model)
        key = path.rsplit(".", 1)[-1]
        near = difflib.get_close_matches(key, valid, n=1)
        hint = f"did you mean {near[0]!r}? " if near else ""
        return f"is not a key here; {hint}valid keys: {', '.join(valid)}"
    if kind in ("ip_v4_interface", "ip_v6_interface"):
        return "is not an IPv4 or IPv6 address with its prefix; write e.g. 198.18.0.11/24 or 2001:db8::11/64"
    if kind in ("ip_v4_address", "ip_v6_address"):
        return "is not an IPv4 or IPv6 address; write the address alone, e.g. 198.18.0.100 (no prefix)"
    if kind == "missing":
        return "is required; add it"
    if kind == "literal_error" and isinstance(value, str) and value.isdigit() and value in error["ctx"]["expected"]:
        return f"give the number {value} without quotes, not the string {value!r}"
    if kind in ("int_type", "float_type", "bool_type"):
        wanted = {"int_type": "a whole number", "float_type": "a number", "bool_type": "true or false"}[kind]
        return f"must be {wanted}, not {type(value).__name__} {_shown(value)!r}; write it without quotes"
    if kind == "string_pattern_mismatch":
        return f"is not allowed here; {PATTERN_HELP.get(error['ctx']['pattern'], 'see the README')}"
    if kind == "finite_number":
        return "must be a finite number"
    return str(error["msg"]).removeprefix("Value error, ")


def _keys(model: type[BaseModel] | None) -> list[str]:
    if model is None:
        return []
    # The password is a secret set apart (vrrpPassword), never a key to suggest.
    return sorted(field.alias or name for name, field in model.model_fields.items() if name != "password")


def _child(model: type[BaseModel] | None, key: str) -> type[BaseModel] | None:
    """The model that holds the keys under `key` (for naming the valid keys of a typo)."""
    if model is None:
        return None
    for name, field in model.model_fields.items():
        if (field.alias or name) == key:
            for candidate in _models_in(field.annotation):
                return candidate
    return None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


def _shown(value: Any) -> Any:
    """Containers by their type, and nothing that is long to print (Python refuses ints of > 4300 digits)."""
    if isinstance(value, dict | list):
        return type(value).__name__
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**18:
        return f"<an integer of {len(format(value, 'x'))} hex digits>"
    return value
