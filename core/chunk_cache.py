"""A bounded in-process cache of encoded answers (neuroglancer's JPEG and compressed
segmentation chunks), keyed by exactly what they were made from.

The cache never invalidates anything: a key names the instance, the request's box and format
and a digest of the stored bytes the answer was made from, read in the request's own store
transaction (:meth:`dvidpy.plugins.blockvolume.voxels.Volume.fingerprint`). A write through
this worker, another worker or another server on the same store changes those bytes, so the
next request computes another key and misses; the old entry ages out. That makes the cache
exact across processes with nothing shared between them but the store.

Entries are evicted least recently used first once their bytes pass ``max_bytes``; an answer
larger than a quarter of the cache is not kept (one big read must not empty it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable


class NeedsWorkerThread(Exception):
    """Raised by a request running on the event loop's thread when it would have to encode:
    the core runs it again, from the start, in a worker thread (a read has no side effects)."""


#: What one entry costs beyond its key and value bytes (the dict slot, the bytes objects).
ENTRY_OVERHEAD = 200


class ChunkCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[bytes, bytes] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get_or_make(self, key_of: Callable[[], bytes], make: Callable[[], bytes]) -> bytes:
        """The value cached under ``key_of()``, or ``make()``'s, kept for next time. With the
        cache off, ``key_of`` is not called (a key may cost a digest of the stored blocks)."""
        if not self.enabled:
            return make()
        key = key_of()
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return value
            self.misses += 1
        value = make()
        self._put(key, value)
        return value

    def _put(self, key: bytes, value: bytes) -> None:
        cost = len(key) + len(value) + ENTRY_OVERHEAD
        if cost > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = value
            self.bytes += cost
            while self.bytes > self.max_bytes:
                old_key, old_value = self._entries.popitem(last=False)
                self.bytes -= len(old_key) + len(old_value) + ENTRY_OVERHEAD
