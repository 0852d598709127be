"""Wall time of one sandboxed pytest run (the unit of test generation's verification),
printed as JSON: the median and best of `--runs` runs of `--files` candidate files.

    python -m tests.bench.sandbox_bench [--runs 7] [--files 8]

Set LINEWRIGHT_TESTGEN_NO_BWRAP=1 to measure the fallback (bwrap hidden); with PYTHONPATH
pointing at an older tree, the same script measures that code (it uses only the API both
share: `Sandbox(limits)`, `.pytest(subject, files)`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from linewright.features.testgen.sandbox import Limits, Sandbox, Subject

TARGET = "def clamp(x, low, high):\n    if x < low:\n        return low\n    if x > high:\n" \
    "        return high\n    return x\n"  # fmt: skip
TEST = (
    "from calc import clamp\n\n\ndef test_low_{i}():\n    assert clamp(-{i}, 0, 9) == 0\n\n\n"
    "def test_mid_{i}():\n    assert clamp({i} % 9, 0, 9) == {i} % 9\n"
)


async def one_run(subject: Subject, files: int) -> tuple[float, list[str]]:
    sandbox = Sandbox(Limits())
    started = time.perf_counter()
    run = await sandbox.pytest(subject, {f"test_c{i}.py": TEST.format(i=i) for i in range(files)})
    took = time.perf_counter() - started
    passed = sum(1 for event in run.done.values() if event.get("outcome") == "passed")
    if passed != 2 * files:
        raise SystemExit(f"the bench run failed: {run.error or run.done}")
    return took, list(run.layers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--files", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calc.py"
        path.write_text(TARGET, encoding="utf-8")
        subject = Subject("calc", path, TARGET, (folder,))
        asyncio.run(one_run(subject, 1))  # warm the page cache
        times: list[float] = []
        layers: list[str] = []
        for _ in range(args.runs):
            took, layers = asyncio.run(one_run(subject, args.files))
            times.append(took)
    print(
        json.dumps(
            {
                "python": sys.version.split()[0],
                "files": args.files,
                "tests": 2 * args.files,
                "runs": args.runs,
                "median_s": round(statistics.median(times), 3),
                "best_s": round(min(times), 3),
                "layers": layers,
            }
        )
    )


if __name__ == "__main__":
    main()
