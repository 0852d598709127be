"""The two-layer cache: the memory LRU, the disk layer, and the disk's failures."""

from __future__ import annotations

import logging
import os
import pathlib
import subprocess
import sys
import time

import pytest

from linewright.core.cache import Cache, MemoryLRU

# ---- memory -----------------------------------------------------------------------------


def test_memory_evicts_the_least_recently_used() -> None:
    lru = MemoryLRU(2)
    lru.put("a", b"1")
    lru.put("b", b"2")
    assert lru.get("a") == b"1"  # "a" is now the most recent
    lru.put("c", b"3")
    assert ("a" in lru, "b" in lru, "c" in lru) == (True, False, True)
    lru.resize(1)
    assert ("a" in lru, "c" in lru, len(lru)) == (False, True, 1)


def test_memory_of_size_zero_keeps_nothing() -> None:
    cache = Cache(None, memory_entries=0)
    cache.put("k", [1])
    assert cache.get("k") is None


def test_values_come_back_equal_and_unshared() -> None:
    cache = Cache(None)
    value = {"text": "a\udc80b", "n": [1, 2.5, None]}  # a lone surrogate survives
    cache.put("k", value)
    first = cache.get("k")
    assert first == value
    first["n"].append(3)
    assert cache.get("k") == value


# ---- disk -------------------------------------------------------------------------------


def opened(directory: pathlib.Path, **sizes: int) -> Cache:
    cache = Cache(directory, **sizes)
    cache.flush(10)
    return cache


def test_disk_survives_a_restart(tmp_path: pathlib.Path) -> None:
    first = opened(tmp_path / "c")
    first.put("k", {"v": 1})
    first.close()
    second = opened(tmp_path / "c")
    assert second.disk_working
    assert second.get("k") == {"v": 1}
    second.close()


def test_disk_is_shared_with_another_process(tmp_path: pathlib.Path) -> None:
    reader = opened(tmp_path / "c")
    script = (
        "import pathlib, sys\n"
        "from linewright.core.cache import Cache\n"
        "c = Cache(pathlib.Path(sys.argv[1]))\n"
        "c.put('from-child', ['hello'])\n"
        "c.close()\n"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "c")], check=True, timeout=60)
    assert reader.get("from-child") == ["hello"]
    reader.close()


def test_disk_size_is_bounded(tmp_path: pathlib.Path) -> None:
    limit = 256 << 10
    cache = opened(tmp_path / "c", memory_entries=0, disk_bytes=limit)
    for i in range(1000):  # 2 MB of values, written in batches of 100
        cache.put(f"k{i}", "x" * 2000)
        if i % 100 == 99:
            cache.flush(10)
    cache.close()
    used = sum(f.stat().st_size for f in (tmp_path / "c").iterdir())
    assert used < limit * 1.25 + (64 << 10)
    assert opened(tmp_path / "c").get("k999") == "x" * 2000  # the newest stay


def test_disk_size_zero_touches_no_folder(tmp_path: pathlib.Path) -> None:
    cache = opened(tmp_path / "c", disk_bytes=0)
    cache.put("k", 1)
    assert cache.get("k") == 1
    assert not (tmp_path / "c").exists()


def test_a_damaged_entry_is_a_miss(tmp_path: pathlib.Path) -> None:
    import diskcache

    cache = opened(tmp_path / "c")
    store = diskcache.Cache(str(tmp_path / "c"))
    store.set("k", b"\x00not json")
    store.close()
    assert cache.get("k") is None
    assert cache.disk_working
    cache.close()


def warnings_from_cache(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "linewright.core.cache" and r.levelno >= logging.WARNING
    ]


def assert_memory_only_with_one_warning(cache: Cache, caplog: pytest.LogCaptureFixture) -> None:
    cache.put("k", {"v": 2})
    cache.flush(10)
    cache.put("k2", {"v": 3})
    cache.flush(10)
    assert (cache.get("k"), cache.get("k2")) == ({"v": 2}, {"v": 3})
    assert not cache.disk_working
    messages = warnings_from_cache(caplog)
    assert len(messages) == 1, messages
    assert "using memory only" in messages[0]


def test_a_corrupt_database_falls_back_to_memory(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    garbage = b"this is not an SQLite database" * 100
    (folder / "cache.db").write_bytes(garbage)
    assert_memory_only_with_one_warning(opened(folder), caplog)
    assert (folder / "cache.db").read_bytes() == garbage  # left as it was


def test_a_database_corrupted_while_open_falls_back_to_memory(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "c"
    cache = opened(folder)
    cache.put("before", 1)
    cache.flush(10)
    for path in folder.iterdir():
        path.write_bytes(b"\xff" * max(path.stat().st_size, 4096))
    assert_memory_only_with_one_warning(cache, caplog)
    assert cache.get("before") == 1  # still in memory
    cache.close()


def test_a_folder_that_cannot_exist_falls_back_to_memory(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "file").write_text("a file where the cache's parent folder should be")
    assert_memory_only_with_one_warning(opened(tmp_path / "file" / "c"), caplog)


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root ignores file permissions"
)
def test_a_read_only_folder_falls_back_to_memory(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert_memory_only_with_one_warning(opened(folder), caplog)
    finally:
        folder.chmod(0o755)


def test_writes_reach_the_disk_without_a_flush(tmp_path: pathlib.Path) -> None:
    writer = opened(tmp_path / "c")
    reader = opened(tmp_path / "c", memory_entries=0)
    writer.put("k", "v")  # written once the writer sees a pause
    for _ in range(200):
        if reader.get("k") == "v":
            break
        time.sleep(0.05)
    assert reader.get("k") == "v"
    writer.close()
    reader.close()
