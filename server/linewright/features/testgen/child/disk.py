"""The work folder's size, checked by the guard after each test where no tmpfs of a fixed
size holds it (the fallback without bwrap). Standard library only."""

from __future__ import annotations

import contextlib
import os
import shutil


def size(folder: str, limit: int) -> int:
    """Bytes below `folder` (each entry a block at least), counted up to past `limit`."""
    total = 0
    for top, dirs, files in os.walk(folder):
        total += 4096 * (len(dirs) + len(files))
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(top, name)).st_blocks * 512
        if total > limit:
            break
    return total


def empty(folder: str) -> None:
    """Remove what the tests wrote (the next test starts under the limit)."""
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        with contextlib.suppress(OSError):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
