"""Plain data shared by the test-generation stages: candidates, verdicts, the error type."""

from __future__ import annotations

from dataclasses import dataclass, field

from linewright.core.errors import LinewrightError


class TestgenError(LinewrightError):
    """Tests cannot be generated here (no function at the cursor, not Python, no pytest)."""

    __test__ = False  # not a pytest test class, despite the name


@dataclass(frozen=True)
class Candidate:
    """One test function proposed by the model or derived from executions."""

    __test__ = False

    name: str
    """The test function's name (`test_...`)."""
    source: str
    """The function's code, at column 0."""
    preamble: tuple[str, ...] = ()
    """Top-level statements it needs (imports, fixtures, helpers), each at column 0."""
    origin: str = "derived"
    """Where it came from: "derived", or "model:<prompt variant>"."""
    fixes: tuple[str, ...] = ()
    """Smells fixed on the way (e.g. "removed print calls")."""


@dataclass(frozen=True)
class Dropped:
    """A candidate that is not offered, and why."""

    name: str
    origin: str
    reason: str
    """A category: see `REASONS`."""
    detail: str
    """One line for people."""


REASONS: dict[str, str] = {
    "no-test": "answer held no test",
    "parse": "does not parse",
    "smell": "test smell",
    "vacuous": "assertions cannot fail",
    "unsafe": "does something unsafe",
    "no-target": "does not call the target",
    "duplicate": "duplicate",
    "import": "does not import",
    "fail": "fails on the current code",
    "skip": "skipped",
    "no-coverage": "adds no coverage",
    "limit": "over the test limit",
    "timeout": "timed out",
    "cpu": "CPU time limit",
    "memory": "memory limit",
    "filesize": "file size limit",
    "process": "starts a process",
    "filesystem": "writes outside its temp dir",
    "network": "uses the network",
    "secret": "reads secrets",
    "native": "calls native code",
    "signal": "signals another process",
    "crash": "crashed the test process",
}
"""Drop reasons (category -> short label); the containment ones name the offence."""


@dataclass(frozen=True)
class Coverage:
    """Line and branch coverage of the target's body."""

    lines: frozenset[int] = frozenset()
    arcs: frozenset[tuple[int, int]] = frozenset()
    line_total: int = 0
    branch_total: int = 0

    @property
    def line_rate(self) -> float | None:
        """Covered share of the body's statements (None when there are none)."""
        return len(self.lines) / self.line_total if self.line_total else None

    @property
    def branch_rate(self) -> float | None:
        """Covered share of the body's branch arcs (None when it has no branches)."""
        return len(self.arcs) / self.branch_total if self.branch_total else None


@dataclass(frozen=True)
class Verdict:
    """What verification kept and dropped, and the coverage the kept tests reach."""

    kept: tuple[Candidate, ...]
    dropped: tuple[Dropped, ...]
    coverage: Coverage = field(default_factory=Coverage)
    layers: tuple[str, ...] = ()
    """Sandbox layers that were in force."""


@dataclass(frozen=True)
class Limits:
    """Per-test budgets and per-process resource limits."""

    test_wall_s: float = 5.0
    test_cpu_s: float = 5.0
    memory_mb: int = 1024
    file_mb: int = 16
    nproc: int = 64
    disk_mb: int = 64
    """Everything a run may write in its work folder together (a tmpfs of this size in
    bwrap; measured from outside in the fallback)."""
