"""Who may send to a pool, and how fast: the source prefixes a pool admits and the rate per exporter
above which a node drops its datagrams. Both are enforced in the kernel ahead of either data plane
(templates/kernel.nft.j2), and every datagram dropped is counted per pool and cause."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from .addresses import no_zero_padding
from .model_base import Frozen, Int

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def prefix_text(value: Any) -> Any:
    """A source prefix as text, its host bits zero: `198.18.0.7/24` is more likely a slip than a wish."""
    if not isinstance(value, str):
        raise ValueError(f"is not a prefix; write it as text, e.g. 198.18.0.0/24 (got {type(value).__name__})")
    no_zero_padding(value.split("/", 1)[0])
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        if "host bits set" in str(error):
            network = ipaddress.ip_network(value, strict=False)
            raise ValueError(f"{value!r} has host bits set; write the prefix it is in: {network}") from None
        raise ValueError(f"{value!r} is not a prefix; write e.g. 198.18.0.0/24, 2001:db8::/32, 192.0.2.9/32") from None


SourcePrefixes = Annotated[list[Annotated[IPNetwork, BeforeValidator(prefix_text)]], Field(min_length=1)]
"""Exporters whose source address is in one of these are admitted; every other sender is dropped."""


class RateLimit(Frozen):
    """Per exporter (source address): a runaway device fills its own budget, not its collector."""

    per_second: Int = Field(ge=1, le=10_000_000)
    """Datagrams per second one exporter may send to the pool; beyond it (and its burst), dropped."""
    burst: Int | None = Field(None, ge=1, le=10_000_000)
    """Datagrams it may send at once beyond the rate; unset, one second's worth (`perSecond`)."""

    @property
    def burst_datagrams(self) -> int:
        return self.burst or self.per_second
