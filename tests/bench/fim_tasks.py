"""FIM evaluation tasks (HumanEval-infilling format) and their scoring.

A task file holds one JSON object a line with `task_id`, `entry_point`, `prompt` (the text
before the cursor), `suffix` (after it), `canonical_solution` (the true middle) and `test`
(defines `check(candidate)`). A completion passes when
`prompt + completion + suffix + test + check(entry_point)` exits 0 in a subprocess.

The cursor sits exactly at the end of `prompt`. In the single-line set the prompt ends at
the start of a line, so the cursor is at column 0 of the line that follows the masked one,
and the true middle is a whole line: its indentation, its code and its line break.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from linewright.core.syntax.languages import language_named, parser_for
from linewright.core.syntax.nodes import error_count


@dataclass(frozen=True)
class Task:
    """One fill-in-the-middle task."""

    task_id: str
    prompt: str
    suffix: str
    middle: str
    test: str
    entry_point: str

    @property
    def document(self) -> str:
        """The file as the editor shows it: the middle missing, the cursor in its place."""
        return self.prompt + self.suffix

    @property
    def truth(self) -> str:
        """The true file."""
        return self.prompt + self.middle + self.suffix


def load_tasks(path: pathlib.Path, limit: int | None = None) -> list[Task]:
    """The tasks of `path`; with `limit`, that many spread evenly over the file."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    if limit is not None and limit < len(rows):
        step = len(rows) / limit
        rows = [rows[int(i * step)] for i in range(limit)]
    return [
        Task(
            r["task_id"],
            r["prompt"],
            r["suffix"],
            r["canonical_solution"],
            r["test"],
            r["entry_point"],
        )
        for r in rows
    ]


def program(task: Task, completed: str) -> str:
    """The test script for a completed file."""
    return f"{completed}\n{task.test}\ncheck({task.entry_point})\n"


def _passes(script: str, timeout_s: float) -> bool:
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder, "task.py")
        path.write_text(script, encoding="utf-8")
        try:
            done = subprocess.run(
                [sys.executable, "-I", str(path)],
                cwd=folder,
                capture_output=True,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0


def run_scripts(scripts: Iterable[str], timeout_s: float, workers: int) -> dict[str, bool]:
    """Pass/fail of each distinct script (run in subprocesses, `workers` at a time)."""
    distinct = list(dict.fromkeys(scripts))
    with ThreadPoolExecutor(max_workers=max(workers, 1)) as pool:
        results = list(pool.map(lambda s: _passes(s, timeout_s), distinct))
    return dict(zip(distinct, results, strict=True))


def python_errors(text: str) -> int:
    """ERROR and MISSING nodes in `text` parsed as Python."""
    spec = language_named("python")
    assert spec is not None
    return error_count(parser_for(spec).parse(text.encode("utf-8", "surrogatepass")))
