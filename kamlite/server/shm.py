"""Shared memory: one pool for all processes, like Kamailio's shm (-m MB, default 64).

The pool is an anonymous shared mmap created in the main process before it forks, so every
child sees the same bytes; there is no manager or broker process.  Inside it lives a small
allocator (boundary tags, segregated free lists, coalescing), protected by a
process-shared lock (a POSIX semaphore, created before the fork too).

Everything stored in the pool is addressed by byte offsets (never pointers), so the same
offset means the same data in every process.  Offset 0 is "null".
"""
from __future__ import annotations

import mmap
import multiprocessing
import struct

MAGIC = 0x4B4D4C53           # 'KMLS'
WORD = 4
ALIGN = 8
MIN_BLOCK = 16               # header + two free-list links + footer
USED = 1

# header words
H_MAGIC, H_SIZE, H_HEAP_START, H_HEAP_END, H_USED, H_PEAK, H_FRAGS, H_ROOT = range(8)
HEADER_WORDS = 16
SMALL_BINS = 64              # exact bins for block sizes 16..520 in steps of 8
LARGE_BINS = 28              # power-of-two bins above
NBINS = SMALL_BINS + LARGE_BINS


class SharedLock:
    """A process-shared lock (a POSIX semaphore made before the fork).

    While a process holds one, SIGTERM must not end it (the lock would stay taken for
    everybody else, and the shutdown save of mqueue would wait forever): the process'
    exit is deferred until it holds no shared lock (see defer_exit)."""
    held = 0                    # shared locks this process holds
    pending_exit = None         # callable run when the last lock is released

    __slots__ = ("_lock",)

    def __init__(self):
        self._lock = multiprocessing.Lock()

    def __enter__(self):
        self._lock.acquire()
        SharedLock.held += 1
        return self

    def __exit__(self, *exc):
        self._lock.release()
        SharedLock.held -= 1
        if SharedLock.held == 0 and SharedLock.pending_exit is not None:
            SharedLock.pending_exit()
        return False

    def acquire(self, timeout: float | None = None) -> bool:
        ok = self._lock.acquire(timeout=timeout) if timeout is not None else self._lock.acquire()
        if ok:
            SharedLock.held += 1
        return ok

    def release(self) -> None:
        self.__exit__()


def defer_exit(fn) -> bool:
    """Run fn now if no shared lock is held, else when the last one is released.
    Returns True when fn ran now."""
    if SharedLock.held:
        SharedLock.pending_exit = fn
        return False
    fn()
    return True


class ShmFull(MemoryError):
    """The pool has no block large enough (Kamailio: 'no more shm memory')."""


def _bin_of(size: int) -> int:
    if size < MIN_BLOCK + SMALL_BINS * ALIGN:
        return (size - MIN_BLOCK) // ALIGN
    b = SMALL_BINS + (size.bit_length() - 10)
    return min(max(b, SMALL_BINS), NBINS - 1)


class SharedMemory:
    """A shared pool.  alloc/free/read/write are safe to call from any process."""

    def __init__(self, size: int):
        size = max(size, 64 * 1024) // ALIGN * ALIGN
        self.size = size
        self.mm = mmap.mmap(-1, size, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
        self.w = memoryview(self.mm).cast("I")
        self.lock = SharedLock()
        heap_start = (HEADER_WORDS + NBINS) * WORD
        heap_start = (heap_start + ALIGN - 1) // ALIGN * ALIGN
        w = self.w
        w[H_MAGIC] = MAGIC
        w[H_SIZE] = size
        w[H_HEAP_START] = heap_start
        w[H_HEAP_END] = size
        w[H_USED] = 0
        w[H_PEAK] = 0
        w[H_FRAGS] = 1
        w[H_ROOT] = 0
        self._bins = HEADER_WORDS
        self._set_block(heap_start, size - heap_start, False)
        self._push(heap_start)

    # ---- block helpers (offsets in bytes; words at offset // 4) ------------------------------
    def _set_block(self, off: int, size: int, used: bool) -> None:
        tag = size | (USED if used else 0)
        self.w[off >> 2] = tag
        self.w[(off + size - WORD) >> 2] = tag

    def _push(self, off: int) -> None:
        w = self.w
        b = self._bins + _bin_of(w[off >> 2] & ~USED)
        head = w[b]
        w[(off >> 2) + 1] = head           # next
        w[(off >> 2) + 2] = 0              # prev
        if head:
            w[(head >> 2) + 2] = off
        w[b] = off

    def _unlink(self, off: int) -> None:
        w = self.w
        nxt = w[(off >> 2) + 1]
        prv = w[(off >> 2) + 2]
        if prv:
            w[(prv >> 2) + 1] = nxt
        else:
            w[self._bins + _bin_of(w[off >> 2] & ~USED)] = nxt
        if nxt:
            w[(nxt >> 2) + 2] = prv

    # ---- allocation ------------------------------------------------------------------------------
    def alloc(self, n: int) -> int:
        """Offset of n usable bytes, or raise ShmFull."""
        need = max((n + 2 * WORD + ALIGN - 1) // ALIGN * ALIGN, MIN_BLOCK)
        with self.lock:
            return self._alloc(need)

    def _alloc(self, need: int) -> int:
        w = self.w
        b = _bin_of(need)
        if b < SMALL_BINS:
            # quick path: an exact-size bin holds only blocks of this size, none to split
            found = w[self._bins + b]
            if found:
                i = found >> 2
                nxt = w[i + 1]
                w[self._bins + b] = nxt
                if nxt:
                    w[(nxt >> 2) + 2] = 0
                w[H_FRAGS] -= 1
                w[i] = w[(found + need - WORD) >> 2] = need | USED
                used = w[H_USED] + need
                w[H_USED] = used
                if used > w[H_PEAK]:
                    w[H_PEAK] = used
                return found + WORD
        found = 0
        while b < NBINS:
            off = w[self._bins + b]
            while off:
                if (w[off >> 2] & ~USED) >= need:
                    found = off
                    break
                off = w[(off >> 2) + 1]
            if found:
                break
            b += 1
        if not found:
            raise ShmFull(need)
        self._unlink(found)
        size = w[found >> 2] & ~USED
        if size - need >= MIN_BLOCK:
            rest = found + need
            self._set_block(rest, size - need, False)
            self._push(rest)
            size = need
        else:
            w[H_FRAGS] -= 1
        self._set_block(found, size, True)
        w[H_USED] += size
        if w[H_USED] > w[H_PEAK]:
            w[H_PEAK] = w[H_USED]
        return found + WORD

    def free(self, ptr: int) -> None:
        if not ptr:
            return
        with self.lock:
            self._free(ptr)

    def _free(self, ptr: int) -> None:
        w = self.w
        off = ptr - WORD
        size = w[off >> 2] & ~USED
        w[H_USED] -= size
        frags = 1
        end = off + size
        if end < w[H_HEAP_END]:
            tag = w[end >> 2]
            if not tag & USED:
                self._unlink(end)
                size += tag
                frags -= 1
        if off > w[H_HEAP_START]:
            tag = w[(off - WORD) >> 2]
            if not tag & USED:
                prev = off - tag
                self._unlink(prev)
                off = prev
                size += tag
                frags -= 1
        w[H_FRAGS] += frags
        self._set_block(off, size, False)
        self._push(off)

    # ---- data ------------------------------------------------------------------------------------
    def write(self, ptr: int, data: bytes) -> None:
        self.mm[ptr:ptr + len(data)] = data

    def read(self, ptr: int, n: int) -> bytes:
        return self.mm[ptr:ptr + n]

    def alloc_words(self, count: int) -> int:
        """A zeroed block of `count` 32-bit words (structures kept in the pool)."""
        ptr = self.alloc(count * WORD)
        self.mm[ptr:ptr + count * WORD] = bytes(count * WORD)
        return ptr

    # ---- statistics (core.shmmem) -----------------------------------------------------------------
    def stats(self) -> dict:
        w = self.w
        total = w[H_HEAP_END] - w[H_HEAP_START]
        return {"total": self.size, "free": total - w[H_USED], "used": w[H_USED],
                "real_used": w[H_USED] + w[H_HEAP_START], "max_used": w[H_PEAK],
                "fragments": w[H_FRAGS]}

    @property
    def root(self) -> int:
        """A word any subsystem may use to find its own table (set once, before the fork)."""
        return self.w[H_ROOT]


_INT = struct.Struct("<i")


def pack_value(v) -> bytes:
    """int or str -> tagged bytes (b'i'+4 bytes, or b's'+latin-1 text)."""
    if v.__class__ is int:
        return b"i" + _INT.pack(v)
    return b"s" + v.encode("latin-1", "replace")


def unpack_value(b: bytes):
    if b[:1] == b"i":
        return _INT.unpack(b[1:5])[0]
    return b[1:].decode("latin-1")
