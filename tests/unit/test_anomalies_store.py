"""Line cache (observations by context) and the per-workspace ignore list, on disk."""

from __future__ import annotations

import dataclasses
import json
import pathlib

import pytest

from linewright.features.anomalies.regenerate import Observation
from linewright.features.anomalies.select import SourceLine
from linewright.features.anomalies.store import IgnoreList, LineCache
from linewright.features.anomalies.window import LineContext

LINE = SourceLine(1, "    ", "return a + b", 0, False)
CTX = LineContext(LINE, "def f(a, b):\n   ", None, " return a + b", " ")
SCORED = Observation(
    alternative="return a - b",
    alternative_logprobs=(-0.1, -0.5),
    original_tokens=(" return", " a", " +", " b"),
    original_logprobs=(-0.1, -0.2, -3.0, -0.4),
    best_logprobs=(-0.1, -0.2, -0.3, -0.4),
    divergence=(-0.3, -3.0),
)


@pytest.mark.parametrize(
    "observation",
    [
        pytest.param(SCORED, id="scored"),
        pytest.param(
            dataclasses.replace(
                SCORED, original_tokens=None, original_logprobs=None, best_logprobs=None
            ),
            id="unscored",
        ),
        pytest.param(dataclasses.replace(SCORED, divergence=None), id="no-divergence"),
    ],
)
def test_cache_round_trip_across_instances(
    observation: Observation, tmp_path: pathlib.Path
) -> None:
    key = LineCache.key("model", CTX, 50, 48)
    cache = LineCache(tmp_path)
    cache.set(key, observation)
    cache.close()
    again = LineCache(tmp_path)
    assert again.get(key) == observation
    again.close()


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(("other-model", CTX, 50, 48), id="model"),
        pytest.param(("model", dataclasses.replace(CTX, prefix="x\n"), 50, 48), id="prefix"),
        pytest.param(("model", dataclasses.replace(CTX, suffix=""), 50, 48), id="suffix"),
        pytest.param(("model", dataclasses.replace(CTX, target=" return b"), 50, 48), id="line"),
        pytest.param(("model", CTX, 20, 48), id="top-logprobs"),
    ],
)
def test_cache_key_depends_on_everything_the_answer_depends_on(changed: tuple) -> None:  # type: ignore[type-arg]
    assert LineCache.key(*changed) != LineCache.key("model", CTX, 50, 48)
    # ...and only on that: the line number is not part of it
    moved = dataclasses.replace(CTX, line=dataclasses.replace(LINE, number=40))
    assert LineCache.key("model", moved, 50, 48) == LineCache.key("model", CTX, 50, 48)


def test_cache_misses_and_unreadable_entries(tmp_path: pathlib.Path) -> None:
    cache = LineCache(tmp_path)
    assert cache.get("absent") is None
    assert cache._cache is not None
    cache._cache.set("broken", {"alternative": "x"})  # an entry from another version
    assert cache.get("broken") is None
    cache.close()


def test_ignore_list_is_per_workspace_and_persistent(tmp_path: pathlib.Path) -> None:
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    source = root / "pkg" / "m.py"
    ignores = IgnoreList(tmp_path / "state", root)
    assert not ignores.contains(source, "return a + b")
    ignores.add(source, "return  a + b")
    assert ignores.contains(source, "return a + b")  # whitespace-insensitive
    assert not ignores.contains(root / "other.py", "return a + b")
    # a new server on the same workspace remembers; another workspace does not
    assert IgnoreList(tmp_path / "state", root).contains(source, "return a + b")
    assert not IgnoreList(tmp_path / "state", tmp_path / "else").contains(source, "return a + b")
    data = json.loads(ignores.file.read_text())
    assert data == {"root": str(root.resolve()), "lines": [["pkg/m.py", "return a + b"]]}


def test_ignore_list_outside_the_workspace_uses_absolute_paths(tmp_path: pathlib.Path) -> None:
    ignores = IgnoreList(tmp_path / "state", None)
    ignores.add(tmp_path / "x.c", "i++;")
    assert ignores.contains(tmp_path / "x.c", "i++;")
    assert json.loads(ignores.file.read_text())["lines"] == [
        [(tmp_path / "x.c").as_posix(), "i++;"]
    ]


def test_corrupted_ignore_file_starts_over(tmp_path: pathlib.Path) -> None:
    ignores = IgnoreList(tmp_path, tmp_path)
    ignores.file.parent.mkdir(parents=True)
    ignores.file.write_text("{not json")
    assert not ignores.contains(tmp_path / "a.py", "x = 1")
    ignores.add(tmp_path / "a.py", "x = 1")
    assert IgnoreList(tmp_path, tmp_path).contains(tmp_path / "a.py", "x = 1")


def damage(directory: pathlib.Path) -> None:
    """Overwrite the cache's database files (and its write-ahead log) with bytes that are
    not SQLite."""
    for path in [directory / "cache.db", *directory.glob("cache.db-*")]:
        path.write_bytes(b"not a database " * 4096)


@pytest.mark.parametrize("while_open", [False, True], ids=["before-open", "while-open"])
def test_damaged_cache_is_dropped_and_reported_once(
    tmp_path: pathlib.Path, while_open: bool
) -> None:
    key, other = LineCache.key("model", CTX, 50, 48), LineCache.key("model", CTX, 20, 48)
    warnings: list[str] = []
    first = LineCache(tmp_path, on_damage=warnings.append)
    first.set(key, SCORED)
    if while_open:
        damage(tmp_path)
        cache = first
    else:
        first.close()
        damage(tmp_path)
        cache = LineCache(tmp_path, on_damage=warnings.append)
    assert cache.get(key) is None  # the damaged entries are gone ...
    cache.set(other, SCORED)  # ... and the cache works again
    assert cache.get(other) == SCORED
    cache.set(key, SCORED)
    assert cache.get(key) == SCORED
    assert len(warnings) == 1 and str(tmp_path) in warnings[0] and "damaged" in warnings[0]
    cache.close()
    again = LineCache(tmp_path, on_damage=warnings.append)  # the new database persists
    assert again.get(other) == SCORED and len(warnings) == 1
    again.close()


def test_cache_recovery_deletes_only_the_database(tmp_path: pathlib.Path) -> None:
    (tmp_path / "notes.txt").write_text("kept")
    damage(tmp_path)
    cache = LineCache(tmp_path)
    cache.close()
    assert (tmp_path / "notes.txt").read_text() == "kept"


def test_a_second_failure_turns_the_cache_off_without_a_second_warning(
    tmp_path: pathlib.Path,
) -> None:
    warnings: list[str] = []
    damage(tmp_path)
    cache = LineCache(tmp_path, on_damage=warnings.append)
    damage(tmp_path)
    key = LineCache.key("model", CTX, 50, 48)
    cache.set(key, SCORED)  # found damaged again: the disk goes off
    assert cache.get(key) is None
    assert len(warnings) == 1
    cache.close()
