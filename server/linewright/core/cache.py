"""The cache of model answers: an in-memory LRU in front of a `diskcache` folder.

Decisions, by name:

- **Same bytes in both layers.** Values are JSON; memory and disk hold the same encoded
  bytes, so an answer read from either layer is identical and nothing mutable is shared.
  JSON rather than pickle: the folder is shared by every running server and survives
  upgrades, and loading it must never run code or fail on a class that moved.
- **Disk off the event loop for writes.** The disk layer (SQLite in WAL mode, safe across
  processes) is opened and written on one worker thread: a write takes ~0.2 ms but several
  milliseconds when SQLite checkpoints, and opening takes tens. Reads stay on the caller's
  thread (WAL readers never wait for writers, a lookup takes ~30 us); until the folder is
  open, the disk layer simply misses.
- **Writes wait for a pause.** The worker runs Python code, so while it writes it competes
  with the event loop for the GIL. Answers to write are therefore collected and written
  together once no answer was added for `WRITE_IDLE_S` (the user is reading a
  suggestion), or after `WRITE_MAX_DELAY_S` of steady typing; `flush` and `close` write at
  once.
- **The disk is optional.** Any failure of the disk layer (a corrupt database, a missing,
  read-only or full folder) turns it off for the life of the cache with one log line; the
  memory layer keeps answering. A busy database (another server writing) is a miss, not a
  failure. Nothing in the folder is deleted or rewritten on failure.
- **Keys are digests.** `key_of(...)` is a BLAKE2b digest of the `repr` of everything that
  shapes a value, so a key never holds code and any new request field changes it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import diskcache

log = logging.getLogger(__name__)

FORMAT = 1
"""Part of every key: bump it when the stored JSON changes shape."""
SQLITE_TIMEOUT_S = 0.05
"""How long one disk operation waits for a lock held by another server before giving up."""
WRITE_IDLE_S = 0.25
"""Queued writes go to disk once nothing was added for this long ..."""
WRITE_MAX_DELAY_S = 2.0
"""... or at the latest this long after the writer was woken."""


def key_of(*parts: object) -> str:
    """A 32-hex-digit key for `parts`.

    `parts` must have a stable `repr`: strings, numbers, None, enums, tuples and (frozen)
    dataclasses of those. No sets or dicts built in varying order.
    """
    data = repr((FORMAT, parts)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class MemoryLRU:
    """At most `capacity` values (0: none); reading a value makes it the most recent."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        """The value at `key`, or None."""
        data = self._items.get(key)
        if data is not None:
            self._items.move_to_end(key)
        return data

    def put(self, key: str, data: bytes) -> None:
        """Store `data`, evicting the least recently used values beyond capacity."""
        self._items[key] = data
        self._items.move_to_end(key)
        self.resize(self.capacity)

    def resize(self, capacity: int) -> None:
        """Change the capacity, evicting the least recently used values beyond it."""
        self.capacity = capacity
        while len(self._items) > max(capacity, 0):
            self._items.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)


class DiskLayer:
    """A `diskcache.Cache` in `directory`, opened and written on one worker thread."""

    def __init__(self, directory: Path, size_limit: int) -> None:
        self.directory = directory
        self._store: diskcache.Cache | None = None
        self._failed = False
        self._closed = False
        self._lock = threading.Lock()
        self._pending: dict[str, bytes] = {}
        self._last_put = 0.0
        self._writer_queued = False
        self._now = threading.Event()
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="linewright-cache")
        self._submit(self._open, size_limit)

    @property
    def working(self) -> bool:
        """Open and not failed."""
        return self._store is not None and not self._failed

    def get(self, key: str) -> bytes | None:
        """The bytes at `key`, or None (also while opening, when busy, and once failed)."""
        store = self._store
        if store is None or self._failed:
            return None
        pending = self._pending.get(key)
        if pending is not None:
            return pending
        try:
            data = store.get(key)
        except diskcache.Timeout:
            return None
        except Exception as exc:  # any failure of the optional layer turns it off
            self._fail("read", exc)
            return None
        return data if isinstance(data, bytes) else None

    def put(self, key: str, data: bytes) -> None:
        """Queue a write of `data` at `key` (see "Writes wait for a pause")."""
        if self._closed or self._failed:
            return
        with self._lock:
            self._pending[key] = data
            self._last_put = time.monotonic()
            queued, self._writer_queued = self._writer_queued, True
        if not queued:
            self._submit(self._write_when_idle)

    def resize(self, size_limit: int) -> None:
        """Queue a change of the size limit (the next writes evict down to it)."""
        self._submit(self._call, "resize", lambda store: store.reset("size_limit", size_limit))

    def flush(self, timeout: float | None = None) -> None:
        """Write what is queued now, and wait until the queued work (opening too) is done."""
        if self._closed:
            return
        self._now.set()
        try:
            self._worker.submit(self._write_pending).result(timeout)
        finally:
            self._now.clear()

    def close(self, wait: bool = True) -> None:
        """Write what is queued (in the background unless `wait`) and close the folder."""
        if self._closed:
            return
        self._now.set()
        self._submit(self._write_pending)
        self._submit(self._call, "close", lambda store: store.close())
        self._closed = True
        self._worker.shutdown(wait=wait)
        store = self._store
        if store is not None:
            store.close()  # this thread's connection; the worker closed its own

    def _submit(self, function: Callable[..., None], *args: Any) -> None:
        if not self._closed and not self._failed:
            self._worker.submit(function, *args)

    def _write_when_idle(self) -> None:
        first = time.monotonic()
        while not self._now.is_set():
            with self._lock:
                due = min(self._last_put + WRITE_IDLE_S, first + WRITE_MAX_DELAY_S)
            wait = due - time.monotonic()
            if wait <= 0:
                break
            self._now.wait(wait)
        self._write_pending()

    def _write_pending(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, {}
            self._writer_queued = False
        if batch:
            self._call("write", lambda store: _write_all(store, batch))

    def _open(self, size_limit: int) -> None:
        try:
            self._store = diskcache.Cache(
                str(self.directory),
                timeout=SQLITE_TIMEOUT_S,
                size_limit=size_limit,
                eviction_policy="least-recently-stored",  # LRU would write on every read
                statistics=False,
            )
        except Exception as exc:  # the folder or database is unusable
            self._fail("open", exc)

    def _call(self, what: str, action: Callable[[diskcache.Cache], object]) -> None:
        store = self._store
        if store is None or self._failed:
            return
        try:
            action(store)
        except diskcache.Timeout:
            log.debug("completion cache: disk busy, skipped a %s", what)
        except Exception as exc:  # any failure of the optional layer turns it off
            self._fail(what, exc)

    def _fail(self, during: str, exc: Exception) -> None:
        with self._lock:
            if self._failed:
                return
            self._failed = True
        log.warning(
            "completion cache: disk layer at %s failed to %s (%s: %s); using memory only",
            self.directory,
            during,
            type(exc).__name__,
            exc,
        )


def _write_all(store: diskcache.Cache, batch: dict[str, bytes]) -> None:
    # One transaction per value: inside a shared one, diskcache's eviction sees the
    # database grow but never shrink (SQLite frees pages at commit) and evicts them all.
    for key, data in batch.items():
        store.set(key, data)


class Cache:
    """JSON values in a memory LRU, backed by an optional disk layer in `directory`."""

    def __init__(
        self, directory: Path | None, memory_entries: int = 256, disk_bytes: int = 64 << 20
    ) -> None:
        self.directory = directory
        self._memory = MemoryLRU(memory_entries)
        self._disk: DiskLayer | None = None
        self.configure(memory_entries, disk_bytes)

    @property
    def disk_working(self) -> bool:
        """The disk layer is open and has not failed."""
        return self._disk is not None and self._disk.working

    def configure(self, memory_entries: int, disk_bytes: int) -> None:
        """Apply new sizes; `disk_bytes` 0 closes the disk layer, > 0 opens or resizes it."""
        self._memory.resize(memory_entries)
        if self._disk is not None and disk_bytes <= 0:
            self._disk.close(wait=False)
            self._disk = None
        elif self._disk is not None:
            self._disk.resize(disk_bytes)
        elif self.directory is not None and disk_bytes > 0:
            self._disk = DiskLayer(self.directory, disk_bytes)

    def get(self, key: str) -> Any | None:
        """The value at `key` from memory, else from disk (then kept in memory), else None."""
        data = self._memory.get(key)
        if data is None and self._disk is not None:
            data = self._disk.get(key)
            if data is not None:
                self._memory.put(key, data)
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError:  # a damaged entry is a miss
            log.debug("completion cache: unreadable entry %s", key)
            return None

    def put(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable `value` in memory now and on disk soon."""
        data = json.dumps(value, separators=(",", ":")).encode("ascii")
        self._memory.put(key, data)
        if self._disk is not None:
            self._disk.put(key, data)

    def flush(self, timeout: float | None = None) -> None:
        """Wait for the disk layer's queued work (tests, and before a process exits)."""
        if self._disk is not None:
            self._disk.flush(timeout)

    def close(self) -> None:
        """Write what is queued and close the disk layer."""
        if self._disk is not None:
            self._disk.close()
            self._disk = None
