"""The typed model of one stack: nodes, VIPs, VRRP, nginx health tracking, pools, tuning.

Field-level rules (ranges, formats) live here; rules that relate fields to each other live in
`core.checks`, so that every problem in a config can be reported at once (`core.config.parse_stack`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from .addresses import (
    IPAddress,
    IPInterface,
    address_text,
    host_port,
    interface_with_prefix,
    split_endpoint,
    usable_on_a_link,
)
from .admission import IPNetwork, RateLimit, SourcePrefixes
from .metrics_settings import Metrics
from .model_base import Bool, Float, Frozen, Int
from .routing import Bgp, BgpPeer
from .ssh_connection import USER_PATTERN, SshConnection
from .tuning import Tuning

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,30}$"
INTERFACE_PATTERN = r"^[A-Za-z0-9_.:-]{1,15}$"


class Node(Frozen):
    name: str = Field(pattern=NAME_PATTERN)
    address: IPInterface
    """The node's own address with the prefix of its subnet, e.g. 198.18.0.11/24."""
    interface: str = Field("eth0", pattern=INTERFACE_PATTERN)
    priority: Int | None = Field(None, ge=1, le=254)
    """VRRP priority of the node (required with `routing: vrrp`); 255 is the address owner's and cannot
    be lowered by tracking."""
    ssh: SshConnection | None = None

    _prefix = field_validator("address", mode="before")(interface_with_prefix)
    _usable = field_validator("address")(usable_on_a_link)


class Vip(Frozen):
    address: IPInterface
    vrid: Int | None = Field(None, ge=1, le=255)
    """The VRRP router ID (required with `routing: vrrp`)."""
    preferred: str | None = None
    """The node that holds this VIP when all are healthy; defaults to the highest priority."""

    _prefix = field_validator("address", mode="before")(interface_with_prefix)
    _usable = field_validator("address")(usable_on_a_link)


class Vrrp(Frozen):
    version: Literal[2, 3] = 3
    advert_interval: Float = Field(0.01, gt=0)
    """Seconds between adverts; a silent master is dead after 3 of them plus skew (why 0.01: the template)."""
    unicast: Bool = True
    password: SecretStr | None = None
    """VRRPv2 PASS authentication (8 characters at most, sent in clear). Set it as a secret."""
    preempt: Bool = True
    preempt_delay: Float = Field(2.0, ge=0, le=1000)
    """Seconds a node that comes back waits as backup before it takes its VIPs back (why: the template)."""
    garp_master_refresh: Int = Field(60, ge=0, le=3600)
    script_user: str = Field("root", pattern=USER_PATTERN)


class Health(Frozen):
    """How nginx's health moves the VIP."""

    weight: Int = Field(0, ge=-254, le=254)
    """0 puts a node whose nginx is down in FAULT at once; non-zero shifts its priority instead."""
    watch_interval_ms: Int = Field(20, ge=5, le=1000)
    """How often the socket watcher looks for every pool's listening socket."""
    check_interval: Int = Field(1, ge=1, le=60)
    """Seconds between runs of the backstop vrrp_script (keepalived 2.2.7 takes whole seconds)."""
    fall: Int = Field(1, ge=1, le=10)
    rise: Int = Field(1, ge=1, le=10)


class Backend(Frozen):
    address: IPAddress
    port: Int = Field(ge=1, le=65535)
    weight: Int = Field(1, ge=1, le=100)
    """Capped at 100: large weights with `hash … consistent` cost memory in every worker."""

    @model_validator(mode="before")
    @classmethod
    def _from_endpoint(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = {"endpoint": value}
        if isinstance(value, dict) and "endpoint" in value:
            rest = {k: v for k, v in value.items() if k != "endpoint"}
            clash = sorted(set(rest) & {"address", "port"})
            if clash:
                raise ValueError(
                    f"gives {' and '.join(clash)} beside endpoint; write the endpoint alone, e.g. 198.18.0.21:2055"
                )
            if not isinstance(value["endpoint"], str):
                raise ValueError("endpoint must be a string IP:port, e.g. 198.18.0.21:2055")
            return {**split_endpoint(value["endpoint"]), **rest}
        return value

    _text = field_validator("address", mode="before")(address_text)

    @field_validator("address")
    @classmethod
    def _a_collector_address(cls, address: IPAddress) -> IPAddress:
        if address.is_unspecified or address.is_multicast or address.is_loopback:
            kind = "unspecified" if address.is_unspecified else "multicast" if address.is_multicast else "loopback"
            raise ValueError(f"{address} is a {kind} address, not a collector's; give the collector's own address")
        return address

    @property
    def endpoint(self) -> str:
        return host_port(self.address, self.port)


class HealthCheck(Frozen):
    """How every node judges a pool's collectors (node_agent): a dead one is marked `down` in nginx,
    which moves exactly its exporters, each to one other collector."""

    enabled: Bool = True
    interval: Float = Field(0.2, ge=0.05, le=60)
    """Seconds between probes of a collector host: an echo, and an empty datagram to one of its ports."""
    timeout: Float = Field(0.05, gt=0, le=10)
    """Seconds an echo waits for its reply; a miss is confirmed at once, `fall` misses in a row mark the host dead."""
    fall: Int = Field(2, ge=1, le=10)
    rise: Int = Field(2, ge=1, le=10)
    hold_down: Float = Field(5.0, ge=2, le=3600)
    """Seconds a returning collector must stay healthy before it takes its exporters back. At least 2:
    a collector host sends ICMP port unreachables at most once a second, so a shorter hold-down could
    miss a port that is still closed."""
    probe: Literal["udp", "icmp", "tcp", "http"] = "udp"
    """udp: echo + port (ICMP port unreachable = closed); icmp: echo only; tcp/http: echo + a connect
    or GET on `port` (a collector's own health endpoint, e.g. goflow2's :8080/__health)."""
    port: Int | None = Field(None, ge=1, le=65535)
    path: str | None = None
    echo: Bool = True
    """false: no ICMP echo, where collectors or the network drop it (then every collector looks dead and
    the pool panics to all): the host is judged by its TCP or HTTP check alone (`probe: tcp|http`)."""
    panic_below: Float = Field(0.5, ge=0, le=1)
    """When fewer than this share of the pool's collectors are healthy, a node sends to all of them, as
    if all were (Envoy's panic threshold, whose default this is). A whole pool coming back one by one
    would otherwise hand every exporter to the first collector past its hold-down (3 × its share in a
    pool of three), then move them again; at 0.5 a pool of three returns with no collector above 1.5 ×
    its share (drill `pool-return`). The price: while panicking, what goes to the dead collectors is
    lost. 0 keeps only the floor: with none healthy, send to all until every returning one is back."""


class Pool(Frozen):
    name: str = Field(pattern=NAME_PATTERN)
    vip: IPAddress
    """The VIP address (without prefix) this pool listens on; one of `vips`."""
    port: Int = Field(ge=1, le=65535)
    backends: Annotated[list[Backend], Field(min_length=1)]
    hash_key: str = "$remote_addr"
    """What `hash … consistent` keys on: nginx stream variables, optionally joined by `:`."""
    session_timeout: Int = Field(60, ge=1, le=3600)
    """Seconds an idle exporter keeps its upstream session (and so its source port at the collector)."""
    source: Literal["none", "transparent"] | None = None
    """nginx plane only: what collectors see as the sender. Unset means `transparent`: the exporter's own
    IP:port, which NetFlow v9/IPFIX collectors key templates on (RFC 3954 §5.1, RFC 7011) and syslog and
    SNMP trap receivers attribute messages to. `none` (the node's address) must be said explicitly."""
    merge_exporters: Bool = False
    """With `source: none` on a NetFlow or IPFIX pool: accept that collectors see every exporter as
    one (only right when every exporter has its own source ID / observation domain)."""
    protocol: Literal["netflow", "ipfix", "sflow", "syslog", "snmp-trap", "other"] | None = None
    """What the exporters send; unset, it is read from the port (2055/9995/9996 netflow, 4739 ipfix,
    6343 sflow, 514 syslog, 162 snmp-trap, anything else other)."""
    template_replay: Bool | None = None
    """NetFlow v9/IPFIX: the node keeps each exporter's templates and replays them, as the exporter, to
    the collector it moves to (node_agent.template_keeper). Unset: on for such pools on IPv4."""
    health_check: HealthCheck = HealthCheck()
    allowed_sources: SourcePrefixes | None = None
    """The exporters this pool admits (core.admission); unset, the stack's `allowedSources`, else anyone."""
    rate_limit: RateLimit | None = None
    """Datagrams per second per exporter beyond which the node drops them (core.admission); unset, none."""
    data_plane: Literal["nginx", "kernel"] = "kernel"
    """kernel (the default): nftables rewrites each datagram's destination to the exporter's collector
    and forwards it, statelessly: collectors see the exporter's own address and port, datagrams of any
    size arrive whole, 391,000/s on 2 cores, nothing per exporter to rebuild on a failover or reload
    (BENCHMARKS.md). nginx: the stream module proxies each datagram (sessions per exporter; 100,000/s);
    for nginx's features, or backends of another address family."""

    @property
    def transparent(self) -> bool:
        """nginx sends with the exporter's own address (IP_TRANSPARENT)."""
        return self.data_plane == "nginx" and self.source != "none"

    @property
    def keeps_exporter_identity(self) -> bool:
        return self.data_plane == "kernel" or self.transparent

    @property
    def flow_protocol(self) -> str:
        """`protocol`, or what the port says."""
        return self.protocol or WELL_KNOWN_PORTS.get(self.port, "other")

    @property
    def replays_templates(self) -> bool:
        return self.template_replay is not False and self.flow_protocol in TEMPLATED_PROTOCOLS and self.vip.version == 4

    _vip_text = field_validator("vip", mode="before")(address_text)

    @field_validator("hash_key")
    @classmethod
    def _known_variables(cls, key: str) -> str:
        unknown = [part for part in key.split(":") if part not in HASH_VARIABLES]
        if not key or unknown:
            raise ValueError(
                f"uses {', '.join(map(repr, unknown)) or 'nothing'}; use nginx stream variables from "
                f"{sorted(HASH_VARIABLES)} joined by ':', e.g. $remote_addr (one collector per exporter)"
            )
        return key


WELL_KNOWN_PORTS = {2055: "netflow", 9995: "netflow", 9996: "netflow", 4739: "ipfix", 6343: "sflow"}
WELL_KNOWN_PORTS |= {514: "syslog", 162: "snmp-trap"}
TEMPLATED_PROTOCOLS = frozenset({"netflow", "ipfix"})
"""Collectors decode these with templates keyed by the exporter's address and source ID."""

HASH_VARIABLES = frozenset({"$remote_addr", "$binary_remote_addr", "$remote_port", "$server_addr", "$server_port"})


class Stack(Frozen):
    target: Literal["docker", "ssh"] = "docker"
    routing: Literal["vrrp", "bgp"] = "vrrp"
    """vrrp: one node holds each VIP on one subnet. bgp: every node announces every VIP (README)."""
    bgp: Bgp | None = None
    nodes: list[Node]
    vips: Annotated[list[Vip], Field(min_length=1)]
    vrrp: Vrrp = Vrrp()
    health: Health = Health()
    pools: Annotated[list[Pool], Field(min_length=1)]
    allowed_sources: SourcePrefixes | None = None
    """Every pool's admitted exporters, where a pool does not say its own."""
    tuning: Tuning = Tuning()
    metrics: Metrics = Metrics()
    """Each node's health agent serves Prometheus metrics on the node's address (README, Operate)."""

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    def preferred_node(self, vip: Vip) -> Node:
        if vip.preferred is not None:
            return self.node(vip.preferred)
        return max(self.nodes, key=lambda node: node.priority or 0)

    def peers_of(self, node: Node) -> list[BgpPeer]:
        """The routers on `node`'s own subnet (routing bgp): it peers over its link, never through another router."""
        return [peer for peer in self.bgp.peers if peer.address in node.address.network] if self.bgp else []

    def instance_priorities(self, vip: Vip) -> dict[str, int]:
        """Per-VIP priorities: the preferred node takes the top priority and the others keep their
        order, so every VIP sees the same set of priorities and one gap check covers them all."""
        ranked = sorted((n.priority or 0 for n in self.nodes), reverse=True)
        preferred = self.preferred_node(vip)
        order = [preferred, *sorted((n for n in self.nodes if n is not preferred), key=lambda n: -(n.priority or 0))]
        return {node.name: priority for node, priority in zip(order, ranked, strict=True)}

    def rollout_order(self) -> list[Node]:
        """One node at a time: VRRP's backups before the master (lowest priority first); BGP's in order."""
        if self.routing == "bgp":
            return list(self.nodes)
        return sorted(self.nodes, key=lambda n: n.priority or 0)

    def initial_roles(self) -> dict[str, dict[str, str]]:
        """VIP address → node → MASTER or BACKUP, when every node is healthy."""
        return {
            str(vip.address.ip): {
                node.name: "MASTER" if node is self.preferred_node(vip) else "BACKUP" for node in self.nodes
            }
            for vip in self.vips
        }

    def pools_on(self, plane: str) -> list[Pool]:
        return [pool for pool in self.pools if pool.data_plane == plane]

    def admitted(self, pool: Pool) -> list[IPNetwork] | None:
        """The prefixes `pool` admits senders from; None admits anyone."""
        return pool.allowed_sources or self.allowed_sources

    def vip_for(self, pool: Pool) -> Vip:
        return next(vip for vip in self.vips if vip.address.ip == pool.vip)
