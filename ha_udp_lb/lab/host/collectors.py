"""The real collectors a lab pool can run on its backends instead of the recording sink, each started
in its backend's namespace with a configuration of the lab's, writing what it received where a test
can read it (`output`). What each records of the sender is what its users key on."""

from __future__ import annotations

from pathlib import Path

from .state import BackendState

KINDS = ("nfcapd", "nfacctd", "rsyslog", "snmptrapd")
"""nfdump's and pmacct's NetFlow/IPFIX collectors, rsyslog's imudp, net-snmp's trap receiver."""

NFACCTD_FIELDS = "peer_src_ip, src_host, dst_host, src_port, dst_port, proto"


def output(kind: str, backend: BackendState, port: int) -> Path:
    """Where the collector on `port` writes what it received (a spool directory for nfcapd)."""
    suffix = {"nfcapd": "", "nfacctd": ".csv", "rsyslog": ".log", "snmptrapd": ".log"}[kind]
    return backend.data / f"{kind}-{port}{suffix}"


def command(kind: str, backend: BackendState, port: int) -> list[str]:
    """The collector's command line, its configuration written beside its output."""
    out, address = output(kind, backend, port), backend.address
    config = backend.data / f"{kind}-{port}.conf"
    if kind == "nfcapd":
        out.mkdir(exist_ok=True)
        # nfcapd keeps a SysV shared-memory bookkeeper per directory; a private IPC namespace makes
        # it vanish with the collector, however that ends.
        return ["unshare", "--ipc", "nfcapd", "-b", address, "-p", str(port), "-w", str(out), "-t", "3600"]
    if kind == "nfacctd":
        config.write_text(
            # renormalize: scale sampled flows by the interval the exporter announces, as nfcapd does.
            f"daemonize: false\nnfacctd_ip: {address}\nnfacctd_port: {port}\nnfacctd_renormalize: true\n"
            "plugins: print[flows]\n"
            f"aggregate[flows]: {NFACCTD_FIELDS}\nprint_output[flows]: csv\nprint_output_file[flows]: {out}\n"
            "print_output_file_append[flows]: true\nprint_refresh_time[flows]: 1\n"
        )
        return ["nfacctd", "-f", str(config)]
    if kind == "rsyslog":
        # Messages to one file as `sender message`; rsyslog's own complaints to another, so a test can
        # tell that the health agent's empty probes make none.
        config.write_text(
            f'global(workDirectory="{backend.data}")\nmodule(load="imudp")\n'
            'template(name="lab" type="string" string="%fromhost-ip% %msg%\\n")\n'
            f'input(type="imudp" address="{address}" port="{port}" ruleset="received")\n'
            f'ruleset(name="received") {{ action(type="omfile" file="{out}" template="lab") }}\n'
            f'action(type="omfile" file="{out}.internal")\n'
        )
        return ["rsyslogd", "-n", "-f", str(config), "-i", str(backend.data / f"rsyslog-{port}.pid")]
    if kind == "snmptrapd":
        config.write_text("disableAuthorization yes\n")
        # No MIBs (numeric OIDs; nothing to complain about), its state kept with the backend's data.
        return [
            *("env", f"SNMP_PERSISTENT_DIR={backend.data}", "snmptrapd", "-f", "-n", "-C", "-c", str(config)),
            *("-m", "", "-M", str(backend.data), "-Lf", str(out), "-F", "%b|%v\\n", f"udp:{address}:{port}"),
        ]
    raise ValueError(f"unknown collector {kind!r}; one of {KINDS}")


def received_lines(kind: str, backend: BackendState, port: int) -> list[str]:
    """What the collector wrote of the messages it received, a line each (rsyslog: `sender message`;
    snmptrapd: `transport|varbinds`; nfacctd: CSV rows after the header)."""
    path = output(kind, backend, port)
    lines = path.read_text().splitlines() if path.exists() else []
    if kind == "snmptrapd":
        return [line for line in lines if line.startswith("UDP: ")]
    if kind == "nfacctd":
        return [line for line in lines if line and not line.startswith("PEER_SRC_IP")]
    return lines


def complaints(kind: str, backend: BackendState, port: int) -> list[str]:
    """What the collector said besides what it received: its own log lines other than start-up."""
    if kind == "rsyslog":
        internal = output(kind, backend, port).with_suffix(".log.internal")
        return internal.read_text().splitlines() if internal.exists() else []
    if kind == "snmptrapd":
        path = output(kind, backend, port)
        lines = path.read_text().splitlines() if path.exists() else []
        return [line for line in lines if not line.startswith(("UDP: ", "NET-SNMP version", "Created directory"))]
    if kind == "nfacctd":
        stderr = backend.data / f"nfacctd-{port}.stderr"
        lines = stderr.read_text().splitlines() if stderr.exists() else []
        return [line for line in lines if not line.startswith("INFO")]
    return []
