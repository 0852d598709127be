"""What there is to cover in the target (statements and branch arcs of its body, as
`coverage` counts them), and greedy selection of tests by the coverage they add.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from coverage.exceptions import CoverageException
from coverage.parser import PythonParser

from linewright.features.testgen.records import Coverage, TestgenError
from linewright.features.testgen.target import Target

Item = tuple[Any, ...]
"""("line", n) or ("arc", a, b): one thing a test can cover."""


@dataclass(frozen=True)
class Universe:
    """The statements and branch arcs of the target's body."""

    lines: frozenset[int]
    arcs: frozenset[tuple[int, int]]

    def items(self, lines: Iterable[int], arcs: Iterable[Sequence[int]]) -> frozenset[Item]:
        """What of the body an execution covered (executed lines/arcs from coverage)."""
        found: set[Item] = {("line", n) for n in lines if n in self.lines}
        found.update(("arc", a, b) for a, b in arcs if (a, b) in self.arcs)
        return frozenset(found)

    def coverage(self, items: Iterable[Item]) -> Coverage:
        """Coverage figures for the union of `items`."""
        lines = frozenset(i[1] for i in items if i[0] == "line")
        arcs = frozenset((i[1], i[2]) for i in items if i[0] == "arc")
        return Coverage(lines, arcs, len(self.lines), len(self.arcs))


def universe(target: Target) -> Universe:
    """Statements after the `def` line up to the end of the definition, and the arcs out of
    those that have more than one way out (branch coverage, as `coverage` reports it)."""
    parser = PythonParser(text=target.text, filename=str(target.path))
    try:
        parser.parse_source()
    except (CoverageException, SyntaxError) as exc:
        raise TestgenError(f"{target.path.name} does not parse: {exc}") from exc
    body = range(target.def_line + 1, target.last_line + 1)
    lines = frozenset(n for n in parser.statements if n in body)
    exits = parser.exit_counts()
    arcs = frozenset((a, b) for a, b in parser.arcs() if a in lines and exits.get(a, 0) > 1)
    return Universe(lines, arcs)


def greedy(covers: Sequence[frozenset[Item]], preference: Sequence[Any], limit: int) -> list[int]:
    """Indexes picked one by one for the most newly covered items (ties: the higher
    `preference`, then the earlier); stops when nothing adds coverage or at `limit`."""
    covered: set[Item] = set()
    picked: list[int] = []
    left = set(range(len(covers)))
    while left and len(picked) < limit:
        best = max(left, key=lambda i: (len(covers[i] - covered), preference[i], -i))
        if not covers[best] - covered:
            break
        picked.append(best)
        covered |= covers[best]
        left.discard(best)
    return picked
