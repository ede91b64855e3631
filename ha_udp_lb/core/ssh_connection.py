"""How Pulumi reaches an existing host over SSH: where, as whom, and which host key it must show."""

from __future__ import annotations

import base64
import ipaddress
import re
import struct

from pydantic import Field, field_validator

from .model_base import Frozen, Int

USER_PATTERN = r"^[a-z_][a-z0-9_-]{0,31}$"


class SshConnection(Frozen):
    """How Pulumi reaches an existing host. The private key is the secret `sshPrivateKey`."""

    host: str
    """A host name or address; the port goes in `port`."""
    user: str = Field("root", pattern=USER_PATTERN)
    port: Int = Field(22, ge=1, le=65535)
    host_key: str | None = None
    """The host's public key as OpenSSH writes it (`ssh-ed25519 AAAA…`: `ssh-keyscan -t ed25519 HOST`
    without the host name). Pinned, a host that shows another key stops the deploy before anything is
    sent to it; unset, any key is accepted (pulumi-command's default), as on a first `ssh` without a
    known_hosts entry."""

    @field_validator("host")
    @classmethod
    def _a_host(cls, host: str) -> str:
        if ":" in host:
            try:
                ipaddress.IPv6Address(host)
            except ValueError:
                raise ValueError(f"{host!r} is not a host name or address; put the port in ssh.port") from None
            return host
        if not re.fullmatch(r"[A-Za-z0-9_]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?", host):
            raise ValueError(f"{host!r} is not a host name or address; write e.g. 192.0.2.11 or lb-a.example.net")
        return host

    @field_validator("host_key")
    @classmethod
    def _a_public_key(cls, key: str) -> str:
        return openssh_public_key(key)


def openssh_public_key(text: str) -> str:
    """`type base64 [comment]` whose blob names the same type: what `ssh-keyscan` and `*.pub` files hold."""
    fix = "write the key as ssh-keyscan -t ed25519 HOST prints it, without the host name: ssh-ed25519 AAAA…"
    kind, _, rest = text.strip().partition(" ")
    try:
        blob = base64.b64decode(rest.split(" ", 1)[0], validate=True)
    except ValueError:
        raise ValueError(f"is not an OpenSSH public key; {fix}") from None
    (length,) = struct.unpack("!I", blob[:4]) if len(blob) >= 4 else (0,)
    if kind not in HOST_KEY_TYPES or blob[4 : 4 + length] != kind.encode():
        raise ValueError(f"is not an OpenSSH public key of a type sshd offers ({', '.join(HOST_KEY_TYPES)}); {fix}")
    return f"{kind} {rest.split(' ', 1)[0]}"


HOST_KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa")
