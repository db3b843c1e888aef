"""Kamailio's core string hashes (core/hashes.h): core_hash() and core_case_hash(), used
by cfgutils' core_hash(), the {s.corehash} transformation and the stateless branch id."""
from __future__ import annotations

UINT = 0xFFFFFFFF


def to_bytes(s: str) -> bytes:
    """Text as the bytes the C code sees (latin-1; other characters as UTF-8)."""
    try:
        return s.encode("latin-1")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogateescape")


def _hash_update(h: int, data: bytes, icase: bool) -> int:
    """One string: 4 bytes at a time, then the tail.  Bytes are C 'char' (signed on
    Kamailio's platforms), arithmetic is unsigned 32-bit."""
    if icase:
        data = bytes(c | 0x20 if 65 <= c <= 90 else c for c in data)
    b = [c - 256 if c > 127 else c for c in data]
    n = len(b)
    i = 0
    while i + 4 <= n:
        v = ((b[i] << 24) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3]) & UINT
        h = (h + (v ^ (v >> 3))) & UINT
        i += 4
    v = 0
    while i < n:
        v = ((v << 8) + b[i]) & UINT
        i += 1
    return (h + (v ^ (v >> 3))) & UINT


def core_hash(s1: str | bytes, s2: str | bytes | None, size: int, icase: bool = False) -> int:
    """core_hash() (core_case_hash() with icase): the hash id, or with a non-zero size (a
    power of two) the slot index."""
    if isinstance(s1, str):
        s1 = to_bytes(s1)
    if isinstance(s2, str):
        s2 = to_bytes(s2)
    h = _hash_update(0, s1, icase)
    if s2 is not None:
        h = _hash_update(h, s2, icase)
    h = ((h + (h >> 11)) + ((h >> 13) + (h >> 23))) & UINT
    size &= UINT
    return h & (size - 1) if size else h


def core_case_hash(s1, s2, size: int) -> int:
    return core_hash(s1, s2, size, icase=True)
