"""Addresses as users write them: text with a prefix for nodes and VIPs, literal IP:port for collectors;
every check a single address needs, and the one way endpoints are written back."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_text(value: Any) -> Any:
    """Addresses are written as text: a number (`5`, `true`) would be read as 0.0.0.5 without a word."""
    if isinstance(value, str):
        no_zero_padding(value.split("/", 1)[0])
        return value
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    raise ValueError(f"is not an address; write it as text, e.g. 198.18.0.11 (got {type(value).__name__})")


def interface_with_prefix(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(f"is not an address; write it as text, e.g. 198.18.0.11/24 (got {type(value).__name__})")
    if "/" not in value:
        example = "64" if ":" in value else "24"
        raise ValueError(f"{value!r} has no prefix length; write it as address/prefix, e.g. {value}/{example}")
    no_zero_padding(value.split("/", 1)[0])
    return value


def usable_on_a_link(value: IPInterface) -> IPInterface:
    """A node or VIP address must be one a host can hold on a subnet."""
    network = value.network
    if network.prefixlen == 0:
        raise ValueError(f"{value} has a /0 prefix; give the subnet's real prefix, e.g. /24")
    if (
        value.version == 4
        and network.prefixlen <= 30
        and value.ip in (network.network_address, network.broadcast_address)
    ):
        which = "network" if value.ip == network.network_address else "broadcast"
        raise ValueError(f"{value.ip} is the {which} address of {network}; pick a host address inside it")
    return value


def no_zero_padding(text: str) -> None:
    if re.fullmatch(r"[0-9.]+", text) and any(len(part) > 1 and part.startswith("0") for part in text.split(".")):
        plain = ".".join(str(int(part)) for part in text.split(".") if part)
        raise ValueError(f"{text!r} has a zero-padded number; write it without leading zeros: {plain}")


def host_port(address: IPAddress, port: int) -> str:
    """`198.18.0.21:2055` or `[2001:db8::21]:2055`: how nginx, exporters and users write an endpoint."""
    return f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"


def split_endpoint(endpoint: str) -> dict[str, Any]:
    """Split `IP:port` or `[IPv6]:port`; a hostname is refused because every node would resolve it alone."""
    match = re.fullmatch(r"\[(?P<v6>[0-9A-Fa-f:.]+)\]:(?P<port>\d+)|(?P<host>[^:\[\]]+):(?P<p>\d+)", endpoint)
    if not match:
        raise ValueError(f"{endpoint!r} is not IP:port; write e.g. 198.18.0.21:2055 or [2001:db8::21]:2055")
    host = match["v6"] or match["host"]
    port = int(match["port"] or match["p"])
    no_zero_padding(host)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if re.fullmatch(r"[0-9.]+", host):
            raise ValueError(f"{endpoint!r}: {host} is not an IPv4 address (four numbers 0-255)") from None
        raise ValueError(
            f"{endpoint!r} names a host; give a literal IP:port, because hashing over names "
            "is not stable across nodes (each node resolves and orders them on its own)"
        ) from None
    return {"address": address, "port": port}
