"""What a running lab is made of, kept in out/lab/state.json so that later commands (status, drill,
down) find it. `down` does not depend on it: it finds the lab's namespaces by their prefix."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.project import REPO
from ha_udp_lb.runner.stackfile import stack_config

LAB_DIR = REPO / "out" / "lab"
STATE_FILE = LAB_DIR / "state.json"


Overrides = dict[str, Any]
"""Pool keys the lab sets in every pool instead of the stack file's (any value a pool key takes)."""


class NodeState(BaseModel):
    name: str
    netns: str
    interface: str
    address: str
    link: str
    """The host end of the node's veth: pulling it is cutting the node's cable."""
    init_pid: int
    """Host PID of the node's PID 1."""
    scratch: Path


class BackendState(BaseModel):
    name: str
    netns: str
    address: str
    link: str
    """The host end of the backend's veth: pulling it is the collector's host vanishing."""
    ports: list[int]
    """Served by the sink, which records every probe."""
    collectors: dict[int, str] = {}
    """Port → the real collector serving it instead of the sink (lab.host.collectors.KINDS)."""
    data: Path


class ExporterState(BaseModel):
    index: int
    netns: str
    """Exporters share four namespaces, each exporter with its own address there."""
    address: str


class VipState(BaseModel):
    address: str
    vrid: int | None
    preferred: str
    """The node that holds it when all are well (VRRP); with BGP, the first node (every node serves)."""


class PoolState(BaseModel):
    name: str
    vip: str
    port: int
    backends: list[tuple[str, int]]
    collector: str = "sink"
    """"sink" or a real collector (lab.host.collectors.KINDS): what listens on this pool's backends.
    Drills probe only sink pools."""


class RouterState(BaseModel):
    """The routed lab's router (routing: bgp): a routing daemon under its own PID 1 in its namespace."""

    netns: str
    daemon: Literal["frr", "bird"] = "frr"
    """FRR (bgpd, bfdd and zebra), or BIRD 2: two routers' own time from BFD down to the FIB."""
    init_pid: int
    scratch: Path
    exporter_interface: str
    """Where the exporters' datagrams come in: `ip route get … iif` it to learn which node ECMP picks."""


class LabState(BaseModel):
    stack: str
    overrides: Overrides = {}
    """Pool keys set for every pool instead of the stack file's (`source`, `dataPlane`)."""
    nodes: list[NodeState]
    backends: list[BackendState]
    exporters: list[ExporterState]
    vips: list[VipState]
    pools: list[PoolState]
    router: RouterState | None = None
    """Set in the routed lab (routing: bgp): exporters reach the VIPs through it."""

    @property
    def data_plane(self) -> str:
        """The pools' data plane as the lab runs the stack ("mixed" when they differ)."""
        return plane_of(self.stack, self.overrides)

    def node(self, name: str) -> NodeState:
        return next(n for n in self.nodes if n.name == name)

    def backend(self, address: str) -> BackendState:
        return next(b for b in self.backends if b.address == address)


class LabNotUp(RuntimeError):
    pass


def plane_of(stack: str, overrides: Overrides) -> str:
    """The data plane every pool of `stack` is on as the lab runs it, or "mixed"."""
    planes = {pool.data_plane for pool in parse_stack(lab_config(stack, overrides)).pools}
    return planes.pop() if len(planes) == 1 else "mixed"


def lab_config(stack: str, overrides: Overrides) -> dict[str, Any]:
    """The stack's config as the lab runs it: its stack file, with `overrides` set in every pool."""
    raw = copy.deepcopy(stack_config(stack))
    raw["pools"] = [{**pool, **overrides} for pool in raw["pools"]]
    return raw


def load_state() -> LabState:
    if not STATE_FILE.exists():
        raise LabNotUp("no lab is up: run `ha-udp-lb lab up --stack dev` first")
    return LabState.model_validate_json(STATE_FILE.read_text())


def save_state(state: LabState, path: Path = STATE_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(state.model_dump_json(indent=2) + "\n")
