"""Read the stack's config from Pulumi — every `ha-udp-lb:` key, known or not — and hand it to the
core's one reader, before any resource is registered."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime.config import CONFIG, get_config_env

from ha_udp_lb.core.config import SECRET_KEYS, parse_stack
from ha_udp_lb.core.errors import ConfigError, Problem
from ha_udp_lb.core.json_numbers import any_int_digits
from ha_udp_lb.core.model import Stack
from ha_udp_lb.core.project import PROJECT


def load_stack() -> tuple[Stack, pulumi.Output[str] | None]:
    """The stack and the ssh private key (a secret), or a `ConfigError` naming `ha-udp-lb:` keys."""
    # Every key the engine handed the program: from the environment, and as set by the language host.
    raw = project_config({**get_config_env(), **CONFIG.get()})
    # Read without a plain copy in any output: the model keeps it in a SecretStr, files carrying it are secret.
    password = pulumi.runtime.get_config(f"{PROJECT}:vrrpPassword")
    bgp_password = pulumi.runtime.get_config(f"{PROJECT}:bgpPassword")
    try:
        stack = parse_stack(raw, vrrp_password=password, bgp_password=bgp_password)
    except ConfigError as error:
        raise error.with_prefix(f"{PROJECT}:") from None
    private_key = pulumi.Config(PROJECT).get_secret("sshPrivateKey")
    if stack.target == "ssh" and not pulumi.runtime.get_config(f"{PROJECT}:sshPrivateKey"):
        fix = "target ssh needs it: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519"
        raise ConfigError([Problem("sshPrivateKey", None, fix)], prefix=f"{PROJECT}:")
    return stack, private_key


def project_config(config: dict[str, str]) -> dict[str, Any]:
    """The project's keys without their prefix, structured values decoded as Pulumi's get_object does;
    the secrets are read apart, so the stack file's keys are exactly what is left."""
    raw: dict[str, Any] = {}
    for full_key, value in config.items():
        namespace, _, key = full_key.partition(":")
        if namespace != PROJECT or key in SECRET_KEYS:
            continue
        raw[key] = _decoded(value) if value[:1] in ("{", "[") else value
    return raw


def _decoded(text: str) -> Any:
    """JSON as the stack file wrote it: a number of any length reaches validation, which names it."""
    with any_int_digits():
        return json.loads(text)
