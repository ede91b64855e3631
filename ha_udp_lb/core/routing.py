"""The typed model of `routing: bgp`: every node announces every VIP as a host route to the routers
on its own subnet, which spread exporters over the announcing nodes by ECMP."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator

from .addresses import IPAddress, address_text
from .model_base import Frozen, Int

ASN = Annotated[int, Field(ge=1, le=4_294_967_294)]


class BgpPeer(Frozen):
    """A router the nodes on its subnet peer with."""

    address: IPAddress
    asn: ASN

    _text = field_validator("address", mode="before")(address_text)


class Bfd(Frozen):
    """How fast a node (and the router) notices the other gone: detection takes `multiplier` ×
    `interval_ms`, then FRR's queues add ~75 ms (BENCHMARKS.md, "BGP and ECMP")."""

    interval_ms: Int = Field(50, ge=10, le=60000)
    """Transmit and receive interval. At 50 × 3 a dead node costs its exporters ~210 ms (p95 226) and a
    session rides out a 100 ms stall of either end; 20 × 3 costs p95 147 ms and rides out 40 ms only,
    which a saturated VM here exceeded (BENCHMARKS.md, "BGP and ECMP": measure a host's stalls first)."""
    multiplier: Int = Field(3, ge=2, le=255)


class Bgp(Frozen):
    asn: ASN
    """The nodes' AS (one for all nodes; the routers use `maximum-paths` over eBGP)."""
    peers: Annotated[list[BgpPeer], Field(min_length=1)]
    """The routers; each node peers with those on its own subnet, so nodes may sit on several."""
    bfd: Bfd = Bfd()
    hold_time: Int = Field(9, ge=3, le=65535)
    """Seconds without a keepalive before BGP alone drops a session (BFD is much faster); keepalives
    every third of it."""
    password: SecretStr | None = None
    """TCP MD5 for every session: the secret `bgpPassword`, never in the stack file."""
