"""mqueue's queues, in shared memory: FIFO lists of (key, value) items any process can use.

Per queue, a header block in the pool holds [count, first, last, max size, add mode] and a
process-shared lock guards it; each item is one pool block [next, key length, value
length, key bytes, value bytes].  Strings are stored as latin-1 bytes (kamlite keeps text
as latin-1 so that every byte round-trips).
"""
from __future__ import annotations

from ...server.shm import SharedLock, SharedMemory, ShmFull

COUNT, FIRST, LAST, MAXSIZE = range(4)
HEADER_WORDS = 4
ITEM_NEXT, ITEM_KLEN, ITEM_VLEN = range(3)
ITEM_HEAD = 12


class Queue:
    def __init__(self, shm: SharedMemory, name: str, size: int, addmode: int, dbmode: int):
        self.shm = shm
        self.name = name
        self.dbmode = dbmode
        self.addmode = addmode
        self.lock = SharedLock()
        self.hdr = shm.alloc_words(HEADER_WORDS) >> 2
        w = shm.w
        w[self.hdr + MAXSIZE] = size if size > 0 else 0

    @property
    def size(self) -> int:
        return self.shm.w[self.hdr + COUNT]

    @property
    def max_size(self) -> int:
        return self.shm.w[self.hdr + MAXSIZE]

    # ---- items -----------------------------------------------------------------------------
    def _new_item(self, key: bytes, val: bytes) -> int:
        shm = self.shm
        ptr = shm.alloc(ITEM_HEAD + len(key) + len(val))
        i = ptr >> 2
        shm.w[i + ITEM_NEXT] = 0
        shm.w[i + ITEM_KLEN] = len(key)
        shm.w[i + ITEM_VLEN] = len(val)
        shm.mm[ptr + ITEM_HEAD:ptr + ITEM_HEAD + len(key) + len(val)] = key + val
        return ptr

    def _item(self, ptr: int) -> tuple[str, str]:
        w = self.shm.w
        i = ptr >> 2
        klen, vlen = w[i + ITEM_KLEN], w[i + ITEM_VLEN]
        data = self.shm.mm[ptr + ITEM_HEAD:ptr + ITEM_HEAD + klen + vlen]
        return data[:klen].decode("latin-1"), data[klen:].decode("latin-1")

    def _key(self, ptr: int) -> bytes:
        w = self.shm.w
        klen = w[(ptr >> 2) + ITEM_KLEN]
        return self.shm.mm[ptr + ITEM_HEAD:ptr + ITEM_HEAD + klen]

    # ---- operations (Kamailio's mq_item_add / mq_head_fetch) ------------------------------------
    def add(self, key: str, val: str) -> bool:
        """Append an item; False when the pool is full.  addmode 1 keeps an existing key's
        item (and adds nothing), addmode 2 removes it and appends the new one; a size limit
        drops the oldest item."""
        kb = key.encode("latin-1", "replace")
        vb = val.encode("latin-1", "replace")
        w = self.shm.w
        h = self.hdr
        with self.lock:
            if self.addmode in (1, 2):
                prev = 0
                ptr = w[h + FIRST]
                while ptr:
                    if self._key(ptr) == kb:
                        if self.addmode == 1:
                            return True
                        nxt = w[(ptr >> 2) + ITEM_NEXT]
                        if prev:
                            w[(prev >> 2) + ITEM_NEXT] = nxt
                        else:
                            w[h + FIRST] = nxt
                        if w[h + LAST] == ptr:
                            w[h + LAST] = prev
                        self.shm.free(ptr)
                        w[h + COUNT] -= 1
                        break
                    prev = ptr
                    ptr = w[(ptr >> 2) + ITEM_NEXT]
            try:
                ptr = self._new_item(kb, vb)
            except ShmFull:
                return False
            last = w[h + LAST]
            if last:
                w[(last >> 2) + ITEM_NEXT] = ptr
            else:
                w[h + FIRST] = ptr
            w[h + LAST] = ptr
            w[h + COUNT] += 1
            limit = w[h + MAXSIZE]
            if limit and w[h + COUNT] > limit:
                first = w[h + FIRST]
                w[h + FIRST] = w[(first >> 2) + ITEM_NEXT]
                if not w[h + FIRST]:
                    w[h + LAST] = 0
                w[h + COUNT] -= 1
                self.shm.free(first)
        return True

    def fetch(self) -> tuple[str, str] | None:
        """Remove and return the oldest item, or None when the queue is empty."""
        w = self.shm.w
        h = self.hdr
        with self.lock:
            ptr = w[h + FIRST]
            if not ptr:
                return None
            w[h + FIRST] = w[(ptr >> 2) + ITEM_NEXT]
            if not w[h + FIRST]:
                w[h + LAST] = 0
            w[h + COUNT] -= 1
        item = self._item(ptr)
        self.shm.free(ptr)
        return item

    def items(self) -> list[tuple[str, str]]:
        """A copy of the items, oldest first (for tests, RPC listings and saving)."""
        out = []
        w = self.shm.w
        with self.lock:
            ptr = w[self.hdr + FIRST]
            while ptr:
                out.append(self._item(ptr))
                ptr = w[(ptr >> 2) + ITEM_NEXT]
        return out

    def clear(self) -> None:
        while self.fetch() is not None:
            pass
