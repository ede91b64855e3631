"""Real NetFlow v9 through the lab, with nfdump's own tools: a capture of N distinct UDP flows becomes
flow records (nfpcapd), which nfreplay sends as NetFlow v9 through a VIP at a fixed pace to nfcapd
collectors; nfdump counts what each collector decoded.

The capture is written here, as pcap, with addresses only in 198.18.0.0/15; nothing is sent but the
replay, from an exporter's namespace."""

from __future__ import annotations

import contextlib
import struct
import subprocess
import time
from collections import Counter
from pathlib import Path

from ..agents.flow_exporter import Flow
from ..host.netns import ip
from ..host.state import ExporterState, LabState, PoolState

PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # pcap v2.4, Ethernet


def write_capture(path: Path, flows: int, source: str, destination: str) -> None:
    """One 64-byte UDP packet per flow, each from its own source port, a millisecond apart."""
    src, dst = (bytes(map(int, a.split("."))) for a in (source, destination))
    packets = [PCAP_HEADER]
    for index in range(flows):
        udp = struct.pack("!HHHH", 20000 + index % 40000, 7000 + index // 40000, 8 + 36, 0) + bytes(36)
        header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), index & 0xFFFF, 0, 64, 17, 0, src, dst)
        frame = bytes(6) + bytes([2, 0, 0, 0, 0, 1]) + b"\x08\x00" + header + udp
        stamp_ms = 1_700_000_000_000 + index
        packets.append(struct.pack("<IIII", stamp_ms // 1000, stamp_ms % 1000 * 1000, len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(packets))


def make_flow_file(flows: int, source: str, work: Path) -> Path:
    """An nfcapd file holding `flows` flow records from `source`: what nfreplay sends."""
    capture, spool = work / "flows.pcap", work / "source"
    spool.mkdir(parents=True, exist_ok=True)
    write_capture(capture, flows, source, "198.18.1.1")
    subprocess.run(["nfpcapd", "-r", str(capture), "-w", str(spool)], capture_output=True, timeout=60, check=True)
    (flow_file,) = [p for p in spool.rglob("nfcapd.*") if p.is_file()]
    return flow_file


def replay(exporter: ExporterState, flow_file: Path, pool: PoolState, delay_us: int) -> subprocess.Popen[str]:
    """nfreplay in the exporter's namespace: NetFlow v9 to the pool's VIP, `delay_us` between packets."""
    argv = ["nfreplay", "-r", str(flow_file), "-H", pool.vip, "-p", str(pool.port), "-v", "9", "-d", str(delay_us)]
    return subprocess.Popen(
        ["ip", "netns", "exec", exporter.netns, *argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def count_flows(path: Path) -> int:
    """Flow records nfdump decodes from `path` (an nfcapd file, or a collector's spool directory)."""
    return sum(by_exporter(path).values())


def by_exporter(path: Path) -> Counter[str]:
    """Flow records per exporter, as nfcapd identified it (the address the NetFlow packet came from)."""
    option = "-R" if path.is_dir() else "-r"
    out = subprocess.run(
        ["nfdump", option, str(path), "-q", "-o", "fmt:%ra"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return Counter(line.strip() for line in out.splitlines() if line.strip() and "No matching flows" not in line)


FLOW_FORMAT = "fmt:%ra|%sa|%da|%sp|%dp|%pr|%pkt|%byt"


def decoded(path: Path) -> list[tuple[str, Flow]]:
    """Every flow record nfdump decodes from a collector's spool: (the exporter nfcapd saw, the flow)."""
    out = subprocess.run(
        ["nfdump", "-R", str(path), "-q", "-N", "-o", FLOW_FORMAT], capture_output=True, text=True, timeout=60
    ).stdout
    flows = []
    for line in out.splitlines():
        fields = [field.strip() for field in line.split("|")]
        if len(fields) == 8:
            router, src, dst, sport, dport, proto, packets, octets = fields
            proto = str({"UDP": 17, "TCP": 6, "ICMP": 1}.get(proto, proto))
            numbers = [_number(text) for text in (sport, dport, proto, packets, octets)]
            flows.append((router, Flow(src, dst, *numbers)))
    return flows


def _number(text: str) -> int:
    """nfdump's number, or -1 for what it printed instead (an ICMP type.code where a port would be)."""
    return int(text) if text.isdigit() else -1


def decoded_by_collector(state: LabState, pool: PoolState) -> dict[str, list[tuple[str, Flow]]]:
    """Stop the pool's nfcapd collectors and decode what each wrote, by the exporter it saw."""
    stop_nfcapd(state, pool)
    return {address: decoded(state.backend(address).data / f"nfcapd-{port}") for address, port in pool.backends}


def stop_nfcapd(state: LabState, pool: PoolState) -> None:
    """nfcapd writes its file out on SIGTERM."""
    namespaces = [state.backend(address).netns for address, _port in pool.backends]
    for pid in (pid for ns in namespaces for pid in _nfcapd_pids(ns)):
        subprocess.run(["kill", "-TERM", pid], check=False)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_nfcapd_pids(ns) for ns in namespaces):
        time.sleep(0.05)


def collected(state: LabState, pool: PoolState) -> dict[str, Counter[str]]:
    """Stop the pool's nfcapd collectors and count, per collector, the flows nfdump decodes, by the
    exporter nfcapd saw."""
    stop_nfcapd(state, pool)
    counts: dict[str, Counter[str]] = {}
    for address, port in pool.backends:
        spool = state.backend(address).data / f"nfcapd-{port}"
        counts[address] = by_exporter(spool) if any(p.is_file() for p in spool.rglob("nfcapd.*")) else Counter()
    return counts


def sequence_failures(state: LabState, pool: PoolState) -> int:
    """The sequence failures nfcapd counted on the pool's collectors (run after `collected`): gaps or
    jumps in an exporter's packet sequence, which it reports as loss."""
    failures = 0
    for address, port in pool.backends:
        spool = state.backend(address).data / f"nfcapd-{port}"
        if not any(p.is_file() for p in spool.rglob("nfcapd.*")):
            continue
        out = subprocess.run(["nfdump", "-R", str(spool), "-I"], capture_output=True, text=True, timeout=60).stdout
        failures += sum(int(line.split(":")[1]) for line in out.splitlines() if line.startswith("Sequence failures"))
    return failures


def _nfcapd_pids(netns: str) -> list[str]:
    pids = []
    for pid in ip("netns", "pids", netns).stdout.split():
        with contextlib.suppress(FileNotFoundError):  # gone between the listing and the look
            if Path(f"/proc/{pid}/comm").read_text().strip() == "nfcapd":
                pids.append(pid)
    return pids
