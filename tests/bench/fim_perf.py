"""Post-processing time per candidate on a big file (part of fim_eval's report).

The big file is the tasks' documents (prompt + suffix) one after another until it has the
requested number of lines; each included task keeps its cursor in its own part. Every
candidate is the oracle's over-generated answer (the true middle, then the text that
follows the cursor in the big file), so the whole pipeline runs (anchor, unit cut, parse
checks). `exact` is the share recovered exactly, to compare with the same tasks in their
own small files: the bounded window must not change the answers.
"""

from __future__ import annotations

import time

from linewright.core.documents import Document
from linewright.features.completion.context import Trigger, decide_mode, from_document
from linewright.features.completion.postprocess import process
from tests.bench.fim_tasks import Task

OVERSHOOT = 400


def _exact_alone(task: Task) -> bool:
    doc = Document("file:///task.py", "python", 1, task.document)
    ctx = from_document(doc, doc.position_at(len(task.prompt)), Trigger.INVOKED)
    answer = task.middle + task.suffix[:OVERSHOOT]
    return process(answer, ctx, decide_mode(ctx), "") == task.middle


def big_file_timing(tasks: list[Task], lines: int) -> dict[str, object]:
    """Milliseconds of `process` per candidate (wall and CPU) in a file of about `lines` lines."""
    parts: list[str] = []
    cursors: list[tuple[Task, int]] = []
    offset = 0
    count = 0
    while count < lines and tasks:
        task = tasks[len(cursors) % len(tasks)]
        cursors.append((task, offset + len(task.prompt)))
        text = task.document.rstrip("\n") + "\n\n\n"
        parts.append(text)
        offset += len(text)
        count += text.count("\n")
    doc = Document("file:///big.py", "python", 1, "".join(parts))
    timings: list[float] = []
    cpu: list[float] = []
    exact = alone = 0
    for task, cursor in cursors:
        ctx = from_document(doc, doc.position_at(cursor), Trigger.INVOKED)
        mode = decide_mode(ctx)
        answer = task.middle + ctx.suffix[:OVERSHOOT]
        start, start_cpu = time.perf_counter(), time.thread_time()
        out = process(answer, ctx, mode, "")
        timings.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        exact += out == task.middle
        alone += _exact_alone(task)
    return {
        "lines": doc.line_count,
        "candidates": len(timings),
        "wall_ms": percentiles(timings),
        "cpu_ms": percentiles(cpu),
        "exact": round(exact / (len(cursors) or 1), 4),
        "exact_in_own_file": round(alone / (len(cursors) or 1), 4),
    }


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 / p95 / p99 / max of `values` (milliseconds), rounded."""
    if not values:
        return {}
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)

    return {"p50": at(0.5), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1], 3)}
