"""Read the stack's structured config from Pulumi and validate it with the core, before any resource."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi.runtime

from core.config import STACK_KEYS, parse_stack
from core.errors import ConfigError, Problem
from core.model import Stack
from core.project import PROJECT


def load_stack() -> tuple[Stack, pulumi.Output[str] | None]:
    """The stack and the ssh private key (a secret), or a `ConfigError` naming `ha-udp-lb:` keys."""
    config = pulumi.Config(PROJECT)
    raw: dict[str, Any] = {}
    for key in STACK_KEYS:
        value = config.get(key) if key == "target" else config.get_object(key)
        if value is not None:
            raw[key] = value
    # Read without a plain copy in any output: the model keeps it in a SecretStr, files carrying it are secret.
    password = pulumi.runtime.get_config(f"{PROJECT}:vrrpPassword")
    if password is not None:
        raw["vrrp"] = {**(raw.get("vrrp") or {}), "password": password}
    try:
        stack = parse_stack(raw)
    except ConfigError as error:
        raise error.with_prefix(f"{PROJECT}:") from None
    private_key = config.get_secret("sshPrivateKey")
    if stack.target == "ssh" and not pulumi.runtime.get_config(f"{PROJECT}:sshPrivateKey"):
        fix = "target ssh needs it: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519"
        raise ConfigError([Problem("sshPrivateKey", None, fix)], prefix=f"{PROJECT}:")
    return stack, private_key
