"""Per-test coverage inside the sandbox child: erase, measure one test, read its lines/arcs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def measured(cov: Any) -> Iterator[None]:
    """Measure only what runs inside the block (the previous test's data is erased)."""
    cov.erase()
    cov.start()
    try:
        yield
    finally:
        cov.stop()


def covered(cov: Any) -> dict[str, list[Any]]:
    """Lines and arcs executed in the measured file during the last `measured` block."""
    data = cov.get_data()
    lines: set[int] = set()
    arcs: set[tuple[int, int]] = set()
    for name in data.measured_files():
        lines.update(data.lines(name) or ())
        arcs.update(data.arcs(name) or ())
    return {"lines": sorted(lines), "arcs": sorted(arcs)}
