"""Questions to nftables over netlink, without the nft tool: is our table there, what do its counters
and slot maps say, has anything changed the ruleset; and the slot swaps themselves. nft itself reads
every set element before answering anything, which with the kernel plane's slot maps costs a quarter
of a second of CPU per call; these cost microseconds (reading a pool's two maps, ~40 ms)."""

from __future__ import annotations

import errno
import os
import socket
import struct

from .nlmsg import NLA_TYPE_MASK, NLMSG_ERROR, attribute, attributes, each_attribute, replies

NETLINK_NETFILTER = 12
NFNL_SUBSYS_NFTABLES = 10
NFT_MSG_GETTABLE, NFT_MSG_NEWOBJ, NFT_MSG_GETOBJ = 1, 18, 19
NFPROTO_INET = 1
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NFTA_TABLE_NAME, NFTA_TABLE_HANDLE = 1, 4
NFTA_OBJ_TABLE, NFTA_OBJ_NAME, NFTA_OBJ_TYPE, NFTA_OBJ_DATA = 1, 2, 3, 4
NFT_OBJECT_COUNTER = 1
NFTA_COUNTER_BYTES, NFTA_COUNTER_PACKETS = 1, 2


def _ask(message_type: int, flags: int, attributes: bytes) -> list[tuple[int, bytes]]:
    """One request; every reply message as (type, payload after nfgenmsg), or OSError on an error reply."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER) as sock:
        sock.settimeout(1.0)
        body = struct.pack("=BBH", NFPROTO_INET, 0, 0) + attributes
        kind = (NFNL_SUBSYS_NFTABLES << 8) | message_type
        sock.send(struct.pack("=IHHII", 16 + len(body), kind, NLM_F_REQUEST | flags, 1, os.getpid()) + body)
        return [(message & 0xFF, payload[4:]) for message, payload in replies(sock)]


def table_exists(table: str) -> bool | None:
    """As the kernel answers; None when it gave no answer that says (a timeout, a full socket buffer, a
    refusal other than "no such table"): a hiccup is not a missing table, and must fail nothing over."""
    return table_state(table)[0]


def table_state(table: str) -> tuple[bool | None, int]:
    """(table_exists's answer, the table's handle): the handle is new each time the table is loaded
    again (`nft -f` of a ruleset, as apply does), 0 when there is none to tell."""
    try:
        answers = _ask(NFT_MSG_GETTABLE, NLM_F_ACK, attribute(NFTA_TABLE_NAME, table.encode() + b"\0"))
    except OSError as error:
        return (False if error.errno == errno.ENOENT else None), 0
    handles = [attributes(payload).get(NFTA_TABLE_HANDLE, b"") for _, payload in answers]
    return True, next((struct.unpack("!Q", h)[0] for h in handles if len(h) == 8), 0)


def counters(table: str) -> dict[str, tuple[int, int]]:
    """Counter name → (packets, bytes) for every named counter of `table` ({} when it is missing)."""
    request = attribute(NFTA_OBJ_TABLE, table.encode() + b"\0") + attribute(
        NFTA_OBJ_TYPE, struct.pack("!I", NFT_OBJECT_COUNTER)
    )
    try:
        replies = _ask(NFT_MSG_GETOBJ, NLM_F_DUMP, request)
    except OSError:
        return {}
    found = {}
    for kind, payload in replies:
        obj = attributes(payload)
        if kind != NFT_MSG_NEWOBJ or obj.get(NFTA_OBJ_TABLE, b"").rstrip(b"\0").decode() != table:
            continue
        data = attributes(obj.get(NFTA_OBJ_DATA, b""))
        packets = struct.unpack("!Q", data[NFTA_COUNTER_PACKETS])[0] if NFTA_COUNTER_PACKETS in data else 0
        size = struct.unpack("!Q", data[NFTA_COUNTER_BYTES])[0] if NFTA_COUNTER_BYTES in data else 0
        found[obj[NFTA_OBJ_NAME].rstrip(b"\0").decode()] = (packets, size)
    return found


NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END = 0x10, 0x11
NFT_MSG_NEWSETELEM, NFT_MSG_DELSETELEM = 12, 14
NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET, NFTA_SET_ELEM_LIST_ELEMENTS = 1, 2, 3
NFTA_LIST_ELEM, NFTA_SET_ELEM_KEY, NFTA_SET_ELEM_DATA, NFTA_DATA_VALUE = 1, 1, 2, 1
NLA_F_NESTED, NLM_F_CREATE = 0x8000, 0x400
ELEMENTS_PER_MESSAGE = 1000
"""A nested attribute's length is 16 bits: elements go in messages of at most this many."""

SLOT_KEY_SIZE = 4
SLOT_KEY_HEADERS = struct.pack("=HHHH", 12, NFTA_SET_ELEM_KEY | NLA_F_NESTED, 8, NFTA_DATA_VALUE)
"""attribute(NFTA_SET_ELEM_KEY | NLA_F_NESTED, attribute(NFTA_DATA_VALUE, slot)) without the slot."""
Element = tuple[bytes, bytes]
"""(key, value) as the kernel stores them: the slot in host order, the value in network order."""


def _message(kind: int, flags: int, family: int, res_id: int, body: bytes, seq: int) -> bytes:
    payload = struct.pack("=BBH", family, 0, res_id) + body
    return struct.pack("=IHHII", 16 + len(payload), kind, NLM_F_REQUEST | flags, seq, 0) + payload


def _elements(table: str, map_name: str, elements: list[Element], with_values: bool) -> bytes:
    # A dead collector's slots go in one transaction; the values are a handful of collectors, so each
    # value's attribute is built once (building them per slot was most of a swap's time in Python).
    values: dict[bytes, bytes] = {}
    items = []
    for key, value in elements:
        if len(key) == SLOT_KEY_SIZE:  # a slot: the nested key's headers are always the same
            inner = SLOT_KEY_HEADERS + key
        else:
            inner = attribute(NFTA_SET_ELEM_KEY | NLA_F_NESTED, attribute(NFTA_DATA_VALUE, key))
        if with_values:
            if value not in values:
                values[value] = attribute(NFTA_SET_ELEM_DATA | NLA_F_NESTED, attribute(NFTA_DATA_VALUE, value))
            inner += values[value]
        items.append(struct.pack("=HH", 4 + len(inner), NFTA_LIST_ELEM | NLA_F_NESTED) + inner)
    return (
        attribute(NFTA_SET_ELEM_LIST_TABLE, table.encode() + b"\0")
        + attribute(NFTA_SET_ELEM_LIST_SET, map_name.encode() + b"\0")
        + attribute(NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED, b"".join(items))
    )


def add_elements(table: str, set_name: str, keys: list[bytes]) -> None:
    """Add `keys` to a set in one transaction (those already there stay). OSError if refused (a full set)."""
    _transact(table, [(NFT_MSG_NEWSETELEM, NLM_F_CREATE, set_name, [(key, b"") for key in keys], False)])


def replace_elements(table: str, maps: dict[str, list[Element]]) -> None:
    """In one nftables transaction, give each map's listed keys their new values (delete, then add).
    What nft -f would do, without reading every element of the table first. OSError if refused."""
    steps = []
    for map_name, elements in maps.items():
        for start in range(0, len(elements), ELEMENTS_PER_MESSAGE):
            chunk = elements[start : start + ELEMENTS_PER_MESSAGE]
            steps += [
                (NFT_MSG_DELSETELEM, 0, map_name, chunk, False),
                (NFT_MSG_NEWSETELEM, NLM_F_CREATE, map_name, chunk, True),
            ]
    _transact(table, steps)


def _transact(table: str, steps: list[tuple[int, int, str, list[Element], bool]]) -> None:
    """One batch of (message kind, flags, set, elements, with values) steps, each acknowledged."""
    subsys = NFNL_SUBSYS_NFTABLES << 8
    messages, seq = [_message(NFNL_MSG_BATCH_BEGIN, 0, socket.AF_UNSPEC, socket.htons(NFNL_SUBSYS_NFTABLES), b"", 1)], 2
    for kind, flags, set_name, elements, values in steps:
        body = _elements(table, set_name, elements, values)
        messages.append(_message(subsys | kind, flags | NLM_F_ACK, NFPROTO_INET, 0, body, seq))
        seq += 1
    messages.append(_message(NFNL_MSG_BATCH_END, 0, socket.AF_UNSPEC, socket.htons(NFNL_SUBSYS_NFTABLES), b"", seq))
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
        sock.settimeout(2.0)
        sock.sendall(b"".join(messages))
        acked = 0
        while acked < seq - 2:
            data = sock.recv(1 << 16)
            offset = 0
            while offset + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, offset)
                if kind == NLMSG_ERROR:
                    (error,) = struct.unpack_from("=i", data, offset + 16)
                    if error:
                        raise OSError(-error, os.strerror(-error))
                    acked += 1
                offset += length + (-length % 4)


NFT_MSG_GETGEN, NFT_MSG_GETSETELEM = 16, 13
NFTA_GEN_ID = 1


def generation() -> int | None:
    """The ruleset's generation, which every committed nftables transaction on the node moves (ours,
    apply's, anyone's): unchanged, nothing can have changed a map. None when the kernel did not say."""
    try:
        answers = _ask(NFT_MSG_GETGEN, NLM_F_ACK, b"")
    except OSError:
        return None
    ids = [attributes(payload).get(NFTA_GEN_ID, b"") for _, payload in answers]
    return next((struct.unpack("!I", i)[0] for i in ids if len(i) == 4), None)


def map_elements(table: str, map_name: str) -> dict[bytes, bytes]:
    """Every element of a map as the kernel holds it, key → value; OSError when it did not answer."""
    request = attribute(NFTA_SET_ELEM_LIST_TABLE, table.encode() + b"\0") + attribute(
        NFTA_SET_ELEM_LIST_SET, map_name.encode() + b"\0"
    )
    found = {}
    for _, payload in _ask(NFT_MSG_GETSETELEM, NLM_F_DUMP, request):
        for _, element in each_attribute(attributes(payload).get(NFTA_SET_ELEM_LIST_ELEMENTS, b"")):
            parts = _first_values(element)
            if NFTA_SET_ELEM_KEY in parts and NFTA_SET_ELEM_DATA in parts:
                found[parts[NFTA_SET_ELEM_KEY]] = parts[NFTA_SET_ELEM_DATA]
    return found


def _first_values(element: bytes) -> dict[int, bytes]:
    """The element's key and data → the payload of the first attribute inside each (its NFTA_DATA_VALUE):
    what attributes() twice over would find, at a fraction of the cost for 8,191 slots. The rest (flags,
    a timeout) is passed over; the kernel does not always mark nested attributes as such."""
    found, offset = {}, 0
    while offset + 4 <= len(element):
        length, kind = struct.unpack_from("=HH", element, offset)
        if length < 4:
            break
        if kind & NLA_TYPE_MASK in (NFTA_SET_ELEM_KEY, NFTA_SET_ELEM_DATA) and length >= 8:
            (inner,) = struct.unpack_from("=H", element, offset + 4)
            found[kind & NLA_TYPE_MASK] = element[offset + 8 : offset + 4 + max(inner, 4)]
        offset += length + (-length % 4)
    return found
