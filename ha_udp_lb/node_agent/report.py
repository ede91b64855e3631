"""What the agent shows: its current view as JSON (for `lab status`, drills and people), Prometheus
metrics in node_exporter's textfile format, and one log line per transition with its reason."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from pathlib import Path

from .judge import HostEvidence, Sendable, Verdict, all_silent

Views = dict[str, dict[str, Verdict]]
"""Pool → backend endpoint → verdict."""


def write_atomically(path: str, text: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    pending = target.with_name(target.name + ".tmp")
    pending.write_text(text)
    pending.replace(target)


def state_json(node: str, now_ns: int, views: Views, transitions: list[dict[str, object]]) -> str:
    pools = {
        pool: {
            backend: {"up": v.up, "since_ns": v.since_ns, "reason": v.reason, "returning": v.returning}
            for backend, v in backends.items()
        }
        for pool, backends in views.items()
    }
    return json.dumps({"node": node, "updated_ns": now_ns, "pools": pools, "transitions": transitions}, indent=1)


def load_views(path: str) -> Views:
    """The view an earlier run of the agent left (same boot: CLOCK_MONOTONIC still counts from it)."""
    try:
        saved = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return {
        pool: {
            backend: Verdict(bool(v["up"]), int(v["since_ns"]), str(v["reason"]), bool(v.get("returning")))
            for backend, v in backends.items()
        }
        for pool, backends in saved.get("pools", {}).items()
    }


def metrics(
    views: Views,
    transitions: dict[tuple[str, str], int],
    hosts: dict[str, HostEvidence],
    sent: dict[tuple[str, str], int],
) -> str:
    verdicts = [
        (pool, collector, v)
        for pool, collectors in sorted(views.items())
        for collector, v in sorted(collectors.items())
    ]
    lines = [
        "# HELP ha_udp_lb_collector_up 1 while this node sends the pool's exporters to the collector.",
        "# TYPE ha_udp_lb_collector_up gauge",
        *(f'ha_udp_lb_collector_up{{pool="{p}",collector="{c}"}} {int(v.up)}' for p, c, v in verdicts),
        "# HELP ha_udp_lb_collector_transitions_total Health changes of the collector seen by this node.",
        "# TYPE ha_udp_lb_collector_transitions_total counter",
        *(
            f'ha_udp_lb_collector_transitions_total{{pool="{p}",collector="{c}"}} {transitions.get((p, c), 0)}'
            for p, c, _ in verdicts
        ),
        "# HELP ha_udp_lb_probe_rtt_seconds The last echo round trip.",
        "# TYPE ha_udp_lb_probe_rtt_seconds gauge",
    ]
    lines += [
        f'ha_udp_lb_probe_rtt_seconds{{host="{host}"}} {evidence.rtt_s:.6f}'
        for host, evidence in sorted(hosts.items())
        if evidence.rtt_s is not None
    ]
    lines += ["# HELP ha_udp_lb_probes_sent_total Probe datagrams sent.", "# TYPE ha_udp_lb_probes_sent_total counter"]
    lines += [f'ha_udp_lb_probes_sent_total{{host="{h}",kind="{k}"}} {n}' for (h, k), n in sorted(sent.items())]
    return "\n".join(lines) + "\n"


NO_ECHO = "if echo is filtered, set the pool's healthCheck echo: false with a tcp or http check"


def pool_states(views: Views, sendable: dict[str, Sendable]) -> str:
    """Per pool: sending to all (panic), and whether every collector went silent to echo at once — the
    network's signature, alerted on apart from collectors failing."""
    lines = [
        "# HELP ha_udp_lb_pool_panicking 1 while the pool sends to every collector, too few being healthy.",
        "# TYPE ha_udp_lb_pool_panicking gauge",
        *(f'ha_udp_lb_pool_panicking{{pool="{pool}"}} {int(s.panicking)}' for pool, s in sorted(sendable.items())),
        "# HELP ha_udp_lb_pool_all_silent 1 while every collector of the pool is silent to echo at once.",
        "# TYPE ha_udp_lb_pool_all_silent gauge",
        *(f'ha_udp_lb_pool_all_silent{{pool="{pool}"}} {int(all_silent(v))}' for pool, v in sorted(views.items())),
    ]
    return "\n".join(lines) + "\n"


def liveness(last_turn_s: float, turn_errors: int) -> str:
    """When the agent last completed a turn (alert when it is older than a few seconds: a stopped agent
    removes its metrics, a killed one cannot), and how many turns failed."""
    return (
        "# HELP ha_udp_lb_agent_last_turn_timestamp_seconds When the health agent last completed a turn.\n"
        "# TYPE ha_udp_lb_agent_last_turn_timestamp_seconds gauge\n"
        f"ha_udp_lb_agent_last_turn_timestamp_seconds {last_turn_s:.3f}\n"
        "# HELP ha_udp_lb_agent_turn_errors_total Turns of the health agent that failed and were skipped.\n"
        "# TYPE ha_udp_lb_agent_turn_errors_total counter\n"
        f"ha_udp_lb_agent_turn_errors_total {turn_errors}\n"
    )


def reconciling(in_step: bool, sync_failures: int, errors: dict[str, int]) -> str:
    """Whether the node runs what the agent's verdicts say (alert when 0 for long: a change the node keeps
    refusing), how often it did not take a change, and which of the agent's steps raised."""
    lines = [
        "# HELP ha_udp_lb_agent_in_step 1 when the pool files and slot maps say what the agent's verdicts do.",
        "# TYPE ha_udp_lb_agent_in_step gauge",
        f"ha_udp_lb_agent_in_step {int(in_step)}",
        "# HELP ha_udp_lb_agent_sync_failures_total Changes the node did not take (tried again, backing off).",
        "# TYPE ha_udp_lb_agent_sync_failures_total counter",
        f"ha_udp_lb_agent_sync_failures_total {sync_failures}",
        "# HELP ha_udp_lb_agent_step_errors_total Steps of the agent that raised (isolated: the others ran).",
        "# TYPE ha_udp_lb_agent_step_errors_total counter",
    ]
    lines += [f'ha_udp_lb_agent_step_errors_total{{step="{step}"}} {n}' for step, n in sorted(errors.items())]
    return "\n".join(lines) + "\n"


LOG_LIMIT = 1 << 20
"""Bytes a log file (stderr where no journal takes it: containers, the lab) may reach before it is cut
to its last quarter: a node that logs for months must not fill its disk."""


def log(message: str) -> None:
    """To stderr: the journal on a host (the systemd unit), a log file in the lab and in containers."""
    with contextlib.suppress(OSError, ValueError):  # a stream that is no file has no size to keep
        keep_bounded(sys.stderr.fileno())
    print(f"ha-udp-lb health: {message}", file=sys.stderr, flush=True)


def keep_bounded(descriptor: int, limit: int = LOG_LIMIT) -> None:
    """Cut the file behind `descriptor` (opened for appending) to its last quarter once it exceeds `limit`."""
    try:
        size = os.fstat(descriptor)
        if not stat.S_ISREG(size.st_mode) or size.st_size <= limit:
            return
        with Path(f"/proc/self/fd/{descriptor}").open("rb") as reading:
            reading.seek(-(limit // 4), os.SEEK_END)
            tail = reading.read()
        os.ftruncate(descriptor, 0)
        os.write(descriptor, b"ha-udp-lb health: (log cut to its last quarter)\n" + tail[tail.find(b"\n") + 1 :])
    except OSError:
        return  # a log that cannot be cut is still written
