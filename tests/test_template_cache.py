"""What a node keeps of each NetFlow v9/IPFIX exporter's templates, and the packets it replays to a
new collector: built from the lab exporter's own packets (the layouts and colliding template IDs the
drills send), read back with the same parser a collector's view is checked with."""

from __future__ import annotations

import struct
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from ha_udp_lb.core.config import parse_stack
from ha_udp_lb.core.paths import PATHS
from ha_udp_lb.core.render_kernel import render_kernel, template_pools
from ha_udp_lb.lab.agents.flow_exporter import packet, records
from ha_udp_lb.node_agent.flow_sets import parse
from ha_udp_lb.node_agent.replay_device import _checksum, udp_packet
from ha_udp_lb.node_agent.template_cache import FORGET_AFTER_NS, MAX_PAYLOAD, MAX_TEMPLATES, TemplateCache
from ha_udp_lb.node_agent.template_log import udp_datagram
from tests.base_config import config

BOOT_MS = int(time.time() * 1000) - 3_600_000
NOW = 10**12


def export(version: int, exporter: int, template: bool = True, sequence: int = 7) -> bytes:
    return packet(version, exporter, sequence, records(exporter, 3), template, BOOT_MS)


def template_set(version: int, records_: list[tuple[int, list[tuple[int, int]]]], options: bool = False) -> bytes:
    body = b""
    for template_id, fields in records_:
        if options:
            scope, rest = fields[:1], fields[1:]
            head = (
                struct.pack("!HHH", template_id, 4 * len(scope), 4 * len(rest))
                if version == 9
                else struct.pack("!HHH", template_id, len(fields), len(scope))
            )
        else:
            head = struct.pack("!HH", template_id, len(fields))
        body += head + b"".join(struct.pack("!HH", *f) for f in fields)
    body += b"\0" * (-len(body) % 4)
    set_id = (0, 1)[options] if version == 9 else (2, 3)[options]
    return struct.pack("!HH", set_id, len(body) + 4) + body


def message(version: int, sets: bytes, domain: int = 0) -> bytes:
    if version == 9:
        return struct.pack("!HHIIII", 9, 1, 5000, 1_700_000_000, 3, domain) + sets
    return struct.pack("!HHIII", 10, 16 + len(sets), 1_700_000_000, 3, domain) + sets


def kept(cache: TemplateCache, pool: str = "netflow") -> dict[tuple[str, int], dict[int, bytes]]:
    """What a collector would learn from the replays: (exporter, port) → template ID → record."""
    learned: dict[tuple[str, int], dict[int, bytes]] = {}
    for replay in cache.replays(pool, NOW):
        parsed = parse(replay.payload)
        assert parsed is not None and len(replay.payload) <= MAX_PAYLOAD
        learned.setdefault((replay.address, replay.port), {}).update(
            {t.template_id: t.record for t in parsed.templates}
        )
    return learned


def test_each_exporter_keeps_its_own_template_under_an_id_they_all_use() -> None:
    cache = TemplateCache()
    for exporter, version in ((0, 9), (1, 9), (2, 10)):
        assert cache.learn("netflow", f"198.18.5.{exporter}", 4000, export(version, exporter), NOW)
    learned = kept(cache)
    assert set(learned) == {("198.18.5.0", 4000), ("198.18.5.1", 4000), ("198.18.5.2", 4000)}
    assert learned[("198.18.5.0", 4000)][256] != learned[("198.18.5.1", 4000)][256]  # two layouts, one ID
    for (address, _), templates in learned.items():
        exporter = int(address.rsplit(".", 1)[1])
        original = parse(export(9 if exporter < 2 else 10, exporter))
        assert original is not None and templates == {t.template_id: t.record for t in original.templates}
    assert kept(cache, "syslog") == {}


def test_a_replay_decodes_the_exporters_next_data_packet() -> None:
    cache = TemplateCache()
    cache.learn("netflow", "198.18.5.1", 4000, export(10, 1), NOW - 5_000_000_000)
    (replay,) = cache.replays("netflow", NOW)
    template = parse(replay.payload)
    data = parse(export(10, 1, template=False))
    assert template is not None and data is not None
    (record,) = template.templates
    assert set(data.data_sets) == {record.template_id}
    assert (len(data.data_sets[256]) - 4) // record.data_length == 3  # three records of that layout
    assert template.header.exported_s == parse(export(10, 1)).header.exported_s + 5  # type: ignore[union-attr]


def test_a_changed_template_replaces_the_kept_one_and_a_withdrawal_removes_it() -> None:
    cache = TemplateCache()
    cache.learn("netflow", "198.18.5.1", 4000, message(10, template_set(10, [(300, [(8, 4)]), (301, [(12, 4)])])), NOW)
    cache.learn("netflow", "198.18.5.1", 4000, message(10, template_set(10, [(300, [(8, 4), (7, 2)])])), NOW)
    assert {tid: len(r) for tid, r in kept(cache)[("198.18.5.1", 4000)].items()} == {300: 12, 301: 8}
    cache.learn("netflow", "198.18.5.1", 4000, message(10, struct.pack("!HHHH", 2, 8, 301, 0)), NOW)
    assert set(kept(cache)[("198.18.5.1", 4000)]) == {300}
    cache.learn("netflow", "198.18.5.1", 4000, message(10, struct.pack("!HHHH", 2, 8, 2, 0)), NOW)  # all of them
    assert kept(cache) == {} and cache.bytes == 0


def test_options_templates_and_their_latest_data_follow_with_the_templates() -> None:
    """The sampling interval travels in an options template's data: a collector needs both to scale."""
    for version in (9, 10):
        cache = TemplateCache()
        options = template_set(version, [(257, [(1, 4), (34, 4)])], options=True)
        sampling = struct.pack("!HHII", 257, 12, 1, 100)  # scope value 1, one packet in 100
        cache.learn("netflow", "198.18.5.1", 4000, message(version, options + sampling), NOW)
        assert cache.options_seen == [("netflow", "198.18.5.1", 257)]  # the table is told to copy its data
        assert cache.options_keys() == {("netflow", "198.18.5.1", 257)}
        newer = struct.pack("!HHII", 257, 12, 1, 1000)
        cache.learn("netflow", "198.18.5.1", 4000, message(version, newer), NOW)  # its data alone, later
        (replay,) = cache.replays("netflow", NOW)
        parsed = parse(replay.payload)
        assert parsed is not None and [t.template_id for t in parsed.templates] == [257]
        assert parsed.data_sets == {257: newer}
        if version == 9:
            assert struct.unpack_from("!H", replay.payload, 2)[0] == 2  # v9 counts the records it carries


def test_the_source_id_keeps_one_devices_line_cards_apart() -> None:
    cache = TemplateCache()
    for domain in (1, 2):
        cache.learn("netflow", "198.18.5.1", 4000, message(9, template_set(9, [(256, [(8, 4)] * domain)]), domain), NOW)
    assert len(cache.exporters) == 2 and len(cache.replays("netflow", NOW)) == 2


def test_many_templates_go_out_in_packets_under_the_mtu() -> None:
    cache = TemplateCache()
    many = [(256 + n, [(n % 200 + 1, 4)] * 20) for n in range(40)]
    for chunk in range(0, 40, 10):
        cache.learn("netflow", "198.18.5.1", 4000, message(9, template_set(9, many[chunk : chunk + 10])), NOW)
    replays = cache.replays("netflow", NOW)
    assert len(replays) > 1 and all(len(r.payload) <= MAX_PAYLOAD for r in replays)
    assert len(kept(cache)[("198.18.5.1", 4000)]) == 40


def test_memory_is_bounded_per_exporter_in_exporters_and_in_time() -> None:
    cache = TemplateCache(max_exporters=3)
    flood = [(256 + n, [(8, 4)]) for n in range(MAX_TEMPLATES + 50)]
    for chunk in range(0, len(flood), 20):
        cache.learn("netflow", "198.18.5.1", 4000, message(10, template_set(10, flood[chunk : chunk + 20])), NOW)
    assert cache.templates() == MAX_TEMPLATES and cache.refused == 50
    for n in range(10):
        cache.learn("netflow", f"198.18.6.{n}", 4000, export(9, n), NOW + n)
    assert len(cache.exporters) == 3 and cache.evicted == 8
    assert {key[1] for key in cache.exporters} == {"198.18.6.7", "198.18.6.8", "198.18.6.9"}
    assert cache.forget_silent(NOW + 9 + FORGET_AFTER_NS) == 2 and len(cache.exporters) == 1
    small = TemplateCache(max_bytes=100)
    for n in range(10):
        small.learn("netflow", f"198.18.6.{n}", 4000, export(9, n), NOW)
    assert small.bytes <= 100 and small.bytes == sum(e.size() for e in small.exporters.values())


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600), st.integers(0, 600), st.sampled_from([9, 10]))
def test_no_packet_raises_or_outgrows_the_bounds(noise: bytes, cut: int, version: int) -> None:
    """Random bytes, and a real packet with its tail replaced (lengths that lie, counts of 65,535)."""
    cache = TemplateCache(max_exporters=4, max_bytes=4096)
    real = export(version, 1)
    for payload in (noise, real[:cut] + noise, struct.pack("!H", version) + noise):
        cache.learn("netflow", "198.18.5.1", 4000, payload, NOW)
        for replay in cache.replays("netflow", NOW):
            assert parse(replay.payload) is not None
    assert cache.bytes == sum(e.size() for e in cache.exporters.values()) <= 4096


def test_a_template_withdrawn_by_65535_fields_lies_and_is_ignored() -> None:
    lying = message(10, struct.pack("!HHHH", 2, 12, 300, 0xFFFF) + struct.pack("!HH", 8, 4))
    cache = TemplateCache()
    assert not cache.learn("netflow", "198.18.5.1", 4000, lying, NOW) and cache.exporters == {}


def test_the_replayed_datagram_is_the_exporters_with_sound_checksums() -> None:
    payload = export(9, 2)
    ip = udp_packet("198.18.5.2", 4000, "198.18.0.100", 2055, payload)
    assert _checksum(ip[:20]) == 0
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, len(ip) - 20)
    assert _checksum(pseudo + ip[20:]) == 0
    assert udp_datagram(ip) == ("198.18.5.2", 4000, "198.18.0.100", 2055, payload)


def test_the_table_copies_template_packets_of_exactly_the_pools_that_replay_them() -> None:
    def pool(name: str, port: int, **keys: object) -> dict[str, object]:
        return {"name": name, "vip": "198.18.0.100", "port": port, "backends": ["198.18.0.21:9000"], **keys}

    pools = [pool("netflow", 2055), pool("ipfix", 4739), pool("syslog", 514), pool("quiet", 9995, templateReplay=False)]
    stack = parse_stack(config(pools=pools))
    ruleset = render_kernel(stack, stack.nodes[0])[PATHS.kernel_ruleset].content
    copied = [line.split()[5] for line in ruleset.splitlines() if "log group" in line]  # the dport of each rule
    assert copied == ["2055"] * 4 + ["4739"] * 4  # templates and options data, each in v9 and IPFIX
    assert "set p_netflow_options {" in ruleset and "set p_quiet_options {" not in ruleset
    assert [p["name"] for p in template_pools(stack)] == ["netflow", "ipfix"]
