"""testgen sandbox: generated code that misbehaves is contained and dropped with its reason.

One case per containment requirement (infinite loop, unbounded allocation, fork bomb,
writing outside the temp dir, sockets, environment secrets), through the real verification
pipeline and a real sandboxed pytest; then the kernel layers alone, with the Python guard off.
"""

from __future__ import annotations

import pathlib
import socket
import sys
import threading
from collections.abc import Iterator

import pytest

from linewright.features.testgen.measure import universe
from linewright.features.testgen.records import Candidate, TestgenError
from linewright.features.testgen.sandbox import (
    Limits,
    Sandbox,
    Subject,
    child_env,
    death_reason,
    interpreter,
)
from linewright.features.testgen.target import Target
from linewright.features.testgen.verify import subject_of, verify
from tests.unit.test_testgen_target import make_project, make_target

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the sandbox layers are Linux's"
)
# wall < CPU: a Python loop meets the wall clock first, a loop in C the CPU limit
LIMITS = Limits(test_wall_s=1.5, test_cpu_s=3.0, memory_mb=512, file_mb=1)
SECRET = "hunter2-do-not-leak"


@pytest.fixture
def double(tmp_path: pathlib.Path) -> Target:
    return make_target(
        make_project(tmp_path, "def double(x):\n    return 2 * x\n", "pkg/calc.py"), 2
    )


@pytest.fixture
def listener() -> Iterator[tuple[int, list[object]]]:
    """A TCP server on localhost recording every connection it accepts."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[object] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(server.accept())
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    server.close()


def case(name: str, body: str) -> Candidate:
    code = "".join(f"    {line}\n" for line in body.splitlines())
    return Candidate(
        name,
        f"def {name}():\n{code}    assert double(2) == 4\n",
        ("import os", "import socket"),
        "model:x",
    )


async def test_misbehaving_tests_are_dropped_with_their_reason(
    double: Target,
    tmp_path: pathlib.Path,
    listener: tuple[int, list[object]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, accepted = listener
    outside = tmp_path / "escaped.txt"
    monkeypatch.setenv("LW_TEST_SECRET_TOKEN", SECRET)
    candidates = [
        case("test_infinite_loop", "while True:\n    pass"),
        case(
            "test_unbounded_allocation", "hog = []\nwhile True:\n    hog.append(bytearray(2**27))"
        ),
        case("test_fork_bomb", "while True:\n    os.fork()"),
        case("test_writes_outside", f"with open({str(outside)!r}, 'w') as f:\n    f.write('x')"),
        case("test_rewrites_the_runner", "open('../tools/lw_child/kernel.py', 'a').write('#')"),
        case("test_opens_socket", f"socket.create_connection(('127.0.0.1', {port}), timeout=1)"),
        case("test_reads_secret", "assert os.environ['LW_TEST_SECRET_TOKEN']"),
        case("test_reads_process_env", "open('/proc/1/environ').read()"),
        case("test_burns_cpu_in_c", "sum(range(10**12))"),
        case("test_big_file", "with open('big', 'wb') as f:\n    f.write(b'x' * 2 * 1024 * 1024)"),
        case("test_exits", "os._exit(0)"),
        case("test_fine", "assert double(1) == 2"),
    ]
    verdict = await verify(double, candidates, Sandbox(LIMITS), universe(double), 10)
    reasons = {d.name: d.reason for d in verdict.dropped}
    assert reasons == {
        "test_infinite_loop": "timeout",
        "test_unbounded_allocation": "memory",
        "test_fork_bomb": "process",
        "test_writes_outside": "filesystem",
        "test_rewrites_the_runner": "filesystem",
        "test_opens_socket": "network",
        "test_reads_secret": "secret",
        "test_reads_process_env": "secret",
        "test_burns_cpu_in_c": "cpu",
        "test_big_file": "filesize",
        "test_exits": "crash",
    }
    assert [c.name for c in verdict.kept] == ["test_fine"]
    details = {d.name: d.detail for d in verdict.dropped}
    assert details["test_writes_outside"] == f"wrote to {outside} outside its temp dir"
    assert details["test_reads_secret"] == "read the environment variable LW_TEST_SECRET_TOKEN"
    assert not outside.exists()
    assert accepted == []
    assert verdict.coverage.line_rate == 1.0


async def test_the_environment_is_scrubbed(double: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LW_HARMLESS_NAME", SECRET)
    probe = (
        "import os\n\n\ndef test_env():\n    assert '"
        + SECRET
        + "' not in repr(dict(os.environ))\n"
    )
    probe += "    assert os.environ['HOME'] == os.getcwd()\n"
    probe += "    assert 'LW_HARMLESS_NAME' not in os.environ\n"
    run = await Sandbox(LIMITS).pytest(subject_of(double), {"test_env.py": probe})
    assert run.done["test_env.py::test_env"]["outcome"] == "passed", run.done
    env = child_env(
        pathlib.Path("/w"),
        {"PATH": "/bin", "AWS_SECRET_ACCESS_KEY": "x", "LC_ALL": "C", "HTTPS_PROXY": "p"},
    )
    assert env["PATH"] == "/bin" and env["LC_ALL"] == "C" and env["HOME"] == "/w"
    assert "AWS_SECRET_ACCESS_KEY" not in env and "HTTPS_PROXY" not in env


KERNEL_ONLY = "\n".join(
    [
        "import os, socket, pytest",
        "def test_fork_is_refused():",
        "    with pytest.raises(OSError):",
        "        os.fork()",
        "def test_write_outside_is_refused():",
        "    with pytest.raises(PermissionError):",
        "        open(os.environ['OUTSIDE'], 'w')",
        "def test_inet_socket_is_refused():",
        "    with pytest.raises(OSError):",
        "        socket.socket(socket.AF_INET).connect(('127.0.0.1', int(os.environ['PORT'])))",
        "def test_writes_inside_work():",
        "    with open('inside.txt', 'w') as f:",
        "        f.write('ok')",
        "    assert open('inside.txt').read() == 'ok'",
        "",
    ]
)


async def test_kernel_layers_hold_without_the_python_guard(
    double: Target,
    tmp_path: pathlib.Path,
    listener: tuple[int, list[object]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, accepted = listener
    outside = tmp_path / "kernel-escape.txt"
    layers = ("netns", "pidns", "rlimits", "landlock", "seccomp")
    # the child's environment is scrubbed: pass the two values through the test file instead
    text = KERNEL_ONLY.replace("os.environ['OUTSIDE']", repr(str(outside))).replace(
        "os.environ['PORT']", str(port)
    )
    run = await Sandbox(LIMITS, layers=layers).pytest(subject_of(double), {"test_kernel.py": text})
    if run.missing:
        pytest.skip(f"this kernel lacks {run.missing}")
    names = (
        "fork_is_refused",
        "write_outside_is_refused",
        "inet_socket_is_refused",
        "writes_inside_work",
    )
    assert {key: event["outcome"] for key, event in run.done.items()} == {
        f"test_kernel.py::test_{name}": "passed" for name in names
    }
    assert all("violation" not in event for event in run.done.values())  # the guard was off
    assert set(run.layers) >= {"netns", "pidns", "rlimits", "seccomp"}
    assert not outside.exists() and accepted == []


async def test_unsaved_text_is_what_runs(tmp_path: pathlib.Path) -> None:
    path = make_project(tmp_path, "def answer():\n    return 1\n", "pkg/calc.py")
    edited = "def answer():\n    return 42\n"
    target = make_target(path, 2, text=edited)
    test = "from pkg.calc import answer\n\n\ndef test_answer():\n    assert answer() == 42\n"
    run = await Sandbox(LIMITS).pytest(
        Subject(target.module, path, edited, (str(tmp_path),)), {"test_a.py": test}
    )
    assert run.done["test_a.py::test_answer"]["outcome"] == "passed"
    assert run.done["test_a.py::test_answer"]["lines"] == [2]


async def test_a_module_that_hangs_on_import_is_an_error(tmp_path: pathlib.Path) -> None:
    path = make_project(
        tmp_path, "while True:\n    pass\n\n\ndef f():\n    return 1\n", "pkg/slow.py"
    )
    target = make_target(path, 6)
    with pytest.raises(
        TestgenError, match=r"^`pkg.slow` does not import in the sandbox: ran longer than 1.5 s$"
    ):
        await verify(
            target, [case("test_f", "assert f() == 1")], Sandbox(LIMITS), universe(target), 5
        )


@pytest.mark.parametrize(
    ("status", "timed_out", "expected"),
    [
        pytest.param(-24, False, ["cpu", "used more than 3 s of CPU time"], id="sigxcpu"),
        pytest.param(
            128 + 24, False, ["cpu", "used more than 3 s of CPU time"], id="relayed-sigxcpu"
        ),
        pytest.param(-9, True, ["timeout", "ran past the sandbox's wall-clock limit"], id="wall"),
        pytest.param(139, False, ["crash", "crashed the test process (SIGSEGV)"], id="segv"),
        pytest.param(3, False, ["crash", "ended the test process (exit status 3)"], id="exit"),
    ],
)
def test_death_reason(status: int, timed_out: bool, expected: list[str]) -> None:
    assert death_reason(status, timed_out, LIMITS) == expected


def test_interpreter_prefers_the_workspace_venv(tmp_path: pathlib.Path) -> None:
    assert interpreter("", tmp_path) == sys.executable
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.touch()
    assert interpreter("", tmp_path) == str(python)
    assert interpreter("/opt/py", tmp_path) == "/opt/py"
