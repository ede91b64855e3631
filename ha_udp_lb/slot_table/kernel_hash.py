"""The slot the kernel gives an exporter: nftables' `jhash ip saddr mod SIZE seed SEED` (net/netfilter/
nft_hash.c) is Linux's jhash (include/linux/jhash.h, Bob Jenkins' lookup3) of the address's bytes as
they sit in the packet, scaled into [0, SIZE) by multiply-and-shift (reciprocal_scale), not by `%`.
Reproduced bit for bit so that anyone can say where an exporter goes without the kernel (`ha-udp-lb
where`); the lab checks it against the kernel's own choice."""

from __future__ import annotations

import ipaddress

MASK = 0xFFFFFFFF
JHASH_INITVAL = 0xDEADBEEF


def _rol(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (32 - shift))) & MASK


def _mix(a: int, b: int, c: int) -> tuple[int, int, int]:
    """__jhash_mix: the same three steps twice, with the rotations of each half."""
    for first, second, third in ((4, 6, 8), (16, 19, 4)):
        a, c = (a - c) & MASK ^ _rol(c, first), (c + b) & MASK
        b, a = (b - a) & MASK ^ _rol(a, second), (a + c) & MASK
        c, b = (c - b) & MASK ^ _rol(b, third), (b + a) & MASK
    return a, b, c


def _final(a: int, b: int, c: int) -> int:
    c = ((c ^ b) - _rol(b, 14)) & MASK
    a = ((a ^ c) - _rol(c, 11)) & MASK
    b = ((b ^ a) - _rol(a, 25)) & MASK
    c = ((c ^ b) - _rol(b, 16)) & MASK
    a = ((a ^ c) - _rol(c, 4)) & MASK
    b = ((b ^ a) - _rol(a, 14)) & MASK
    return ((c ^ b) - _rol(b, 24)) & MASK


def jhash(key: bytes, initval: int) -> int:
    """jhash(key, len(key), initval): 32-bit words read little-endian (the kernel's, on x86 and arm64)."""
    a = b = c = (JHASH_INITVAL + len(key) + initval) & MASK
    while len(key) > 12:
        a = (a + int.from_bytes(key[0:4], "little")) & MASK
        b = (b + int.from_bytes(key[4:8], "little")) & MASK
        c = (c + int.from_bytes(key[8:12], "little")) & MASK
        a, b, c = _mix(a, b, c)
        key = key[12:]
    if not key:
        return c
    tail = key.ljust(12, b"\0")
    a = (a + int.from_bytes(tail[0:4], "little")) & MASK
    b = (b + int.from_bytes(tail[4:8], "little")) & MASK
    c = (c + int.from_bytes(tail[8:12], "little")) & MASK
    return _final(a, b, c)


def slot_of(address: str, size: int, seed: int) -> int:
    """The slot of the exporter at `address` in a pool of `size` slots hashed with `seed`."""
    return (jhash(ipaddress.ip_address(address).packed, seed) * size) >> 32
