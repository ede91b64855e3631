"""The drill's datagrams and the records its processes leave behind (pure: no I/O).

A probe datagram says who sent it and when: exporter, flow (the pool it targets), trial, sequence
number, send time (CLOCK_MONOTONIC, which every namespace of the machine shares)."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

MAGIC = b"HULB"
PROBE = struct.Struct("<4sHHHIq")
PROBE_SIZE = 128
"""Padded to a small flow-export packet's size, so the daemons see a realistic datagram."""

RECEIVED = struct.Struct("<qHHHHI")
"""A sink's record of one probe: receive time, local port, exporter, flow, trial, seq."""

SENT = struct.Struct("<HIq")
"""An exporter's record of one probe: flow, seq, send time."""


@dataclass(frozen=True)
class Probe:
    exporter: int
    flow: int
    trial: int
    seq: int
    sent_ns: int


def encode_probe(probe: Probe) -> bytes:
    head = PROBE.pack(MAGIC, probe.exporter, probe.flow, probe.trial, probe.seq, probe.sent_ns)
    return head.ljust(PROBE_SIZE, b"\0")


def decode_probe(datagram: bytes) -> Probe | None:
    """None for anything that is not a probe (a real NetFlow packet, say)."""
    if len(datagram) < PROBE.size or not datagram.startswith(MAGIC):
        return None
    _, exporter, flow, trial, seq, sent_ns = PROBE.unpack_from(datagram)
    return Probe(exporter, flow, trial, seq, sent_ns)


@dataclass(frozen=True)
class Received:
    received_ns: int
    port: int
    exporter: int
    flow: int
    trial: int
    seq: int


@dataclass(frozen=True)
class Sent:
    flow: int
    seq: int
    sent_ns: int


def read_received(data: bytes) -> Iterator[Received]:
    usable = len(data) - len(data) % RECEIVED.size  # a record being written as we read is skipped
    for fields in RECEIVED.iter_unpack(data[:usable]):
        yield Received(*fields)


def read_sent(data: bytes) -> Iterator[Sent]:
    usable = len(data) - len(data) % SENT.size
    for fields in SENT.iter_unpack(data[:usable]):
        yield Sent(*fields)
