"""Rules across a pool's keys and the stack's: listeners, collectors, each data plane's limits, and
whether collectors still see the exporters. Each returns every problem it finds."""

from __future__ import annotations

import re

from ha_udp_lb.slot_table import MAX_SLOTS, SLOTS_PER_WEIGHT

from .errors import Findings, Problem
from .model import TEMPLATED_PROTOCOLS, Stack


def check_pools(stack: Stack) -> list[Problem]:
    return [*_pools(stack), *_health_checks(stack), *_kernel_pools(stack), *_identity(stack), *_admission(stack)]


def _admission(stack: Stack) -> Findings:
    """A pool hears one address family (its VIP's): a prefix of the other could never admit anyone, and a
    pool left with none of its own family would refuse every exporter."""
    for i, pool in enumerate(stack.pools):
        family = f"IPv{pool.vip.version}"
        if pool.allowed_sources:
            for j, prefix in enumerate(pool.allowed_sources):
                if prefix.version != pool.vip.version:
                    yield Problem(
                        f"pools[{i}].allowedSources[{j}]",
                        str(prefix),
                        f"pool {pool.name} listens on {family} ({pool.vip}), so its exporters send {family}; "
                        f"give {family} prefixes",
                    )
        elif stack.allowed_sources and all(p.version != pool.vip.version for p in stack.allowed_sources):
            yield Problem(
                "allowedSources",
                None,
                f"has no {family} prefix, so pool {pool.name} ({family}, {pool.vip}) would refuse every exporter; "
                f"add its exporters' {family} prefixes, or give the pool allowedSources of its own",
            )


KERNEL_HASH_KEYS = ("$remote_addr", "$remote_addr:$remote_port")


def _kernel_pools(stack: Stack) -> Findings:
    """What nftables' stateless rewrite can do: hash the exporter's address (and port), keep it."""
    for i, pool in enumerate(stack.pools):
        if pool.data_plane != "kernel":
            continue
        key = f"pools[{i}]"
        if pool.source is not None:
            yield Problem(
                f"{key}.source",
                pool.source,
                "the kernel plane always keeps the exporter's address (collectors see it as the sender); remove source",
            )
        if pool.hash_key not in KERNEL_HASH_KEYS:
            yield Problem(
                f"{key}.hashKey", pool.hash_key, f"the kernel plane hashes one of {list(KERNEL_HASH_KEYS)}; use one"
            )
        total = sum(b.weight for b in pool.backends)
        if total > MAX_SLOTS // SLOTS_PER_WEIGHT:
            yield Problem(
                f"{key}.backends",
                f"total weight {total}",
                f"the kernel plane's slot table holds total weight {MAX_SLOTS // SLOTS_PER_WEIGHT} at most; "
                "lower the weights",
            )
        for j, backend in enumerate(pool.backends):
            if backend.address.version != pool.vip.version:
                yield Problem(
                    f"{key}.backends[{j}]",
                    backend.endpoint,
                    "the kernel plane rewrites the destination in place, so every backend must be in the "
                    "VIP's address family; use dataPlane nginx for mixed families",
                )


def _identity(stack: Stack) -> Findings:
    """A pool that hides its exporters from NetFlow/IPFIX collectors corrupts their data silently."""
    for i, pool in enumerate(stack.pools):
        key = f"pools[{i}]"
        if pool.data_plane == "nginx" and pool.source == "none" and pool.flow_protocol in TEMPLATED_PROTOCOLS:
            if not pool.merge_exporters:
                yield Problem(
                    f"{key}.source",
                    "none",
                    f"makes every exporter reach the {pool.flow_protocol} collectors from the node's address: they "
                    "key templates on (address, source ID), so exporters sharing a template ID decode each "
                    "other's records to values nobody sent, silently. Remove source (collectors then see each "
                    "exporter), or, if every exporter has its own source ID, add mergeExporters: true",
                )
        elif pool.merge_exporters and not (pool.data_plane == "nginx" and pool.source == "none"):
            yield Problem(
                f"{key}.mergeExporters", True, "means something only with dataPlane nginx and source none; remove it"
            )
        if pool.template_replay and pool.flow_protocol not in TEMPLATED_PROTOCOLS:
            yield Problem(
                f"{key}.templateReplay",
                True,
                f"pool {pool.name} carries {pool.flow_protocol}, which has no templates to replay; remove it, "
                "or set protocol: netflow or ipfix if that is what its exporters send",
            )
        elif pool.template_replay and pool.vip.version != 4:
            yield Problem(
                f"{key}.templateReplay",
                True,
                f"templates are replayed on IPv4 pools only for now, and pool {pool.name} listens on {pool.vip}; "
                "remove it",
            )


def _health_checks(stack: Stack) -> Findings:
    for i, pool in enumerate(stack.pools):
        check, key = pool.health_check, f"pools[{i}].healthCheck"
        if check.timeout >= check.interval:
            yield Problem(
                f"{key}.timeout", check.timeout, f"must be shorter than interval ({check.interval}); e.g. 0.05"
            )
        if check.probe in ("tcp", "http") and check.port is None:
            yield Problem(f"{key}.port", None, f"probe {check.probe} needs the collector's health port, e.g. 8080")
        if not check.echo and check.probe not in ("tcp", "http"):
            yield Problem(
                f"{key}.echo",
                False,
                f"without echo, probe {check.probe} cannot tell a dead host from a quiet one; "
                "use probe tcp or http on the collector's health port (e.g. probe: http, port: 8080)",
            )
        if check.probe not in ("tcp", "http") and check.port is not None:
            yield Problem(f"{key}.port", check.port, "is used only by probe tcp or http; remove it or set the probe")
        if check.path is not None and (check.probe != "http" or not check.path.startswith("/")):
            yield Problem(f"{key}.path", check.path, "is an HTTP path such as /__health, used only with probe http")
        elif check.path is not None and not re.fullmatch(r"[!-~]+", check.path):
            yield Problem(
                f"{key}.path",
                check.path,
                "goes on the wire as it is written: ASCII without spaces; percent-encode the rest, e.g. /caf%C3%A9",
            )


def _pools(stack: Stack) -> Findings:
    vip_by_ip = {vip.address.ip: vip for vip in stack.vips}
    seen: dict[tuple[object, int], int] = {}
    names = [pool.name for pool in stack.pools]
    for i, pool in enumerate(stack.pools):
        if names.count(pool.name) > 1:
            yield Problem(f"pools[{i}].name", pool.name, "is used by more than one pool")
        if pool.vip not in vip_by_ip:
            yield Problem(
                f"pools[{i}].vip",
                str(pool.vip),
                f"is not a declared VIP; use one of {[str(ip) for ip in vip_by_ip]} (no prefix)",
            )
        key = (pool.vip, pool.port)
        if key in seen:
            yield Problem(
                f"pools[{i}].port",
                pool.port,
                f"pool {stack.pools[seen[key]].name} already listens on {pool.vip}:{pool.port}; "
                "give one of them another port or VIP",
            )
        seen.setdefault(key, i)
        endpoints = [b.endpoint for b in pool.backends]
        for j, backend in enumerate(pool.backends):
            if endpoints.count(backend.endpoint) > 1:
                yield Problem(
                    f"pools[{i}].backends[{j}]",
                    backend.endpoint,
                    "is listed twice; raise its weight instead",
                )
            if pool.transparent and backend.address.version != pool.vip.version:
                yield Problem(
                    f"pools[{i}].backends[{j}]",
                    backend.endpoint,
                    "nginx sends with the exporter's own address (source transparent, the default), so "
                    "every backend must be in the VIP's address family; use source none for mixed families",
                )
            if backend.address in {node.address.ip for node in stack.nodes} | set(vip_by_ip):
                yield Problem(
                    f"pools[{i}].backends[{j}]",
                    backend.endpoint,
                    "is a load-balancer address; backends are the collectors behind it",
                )
