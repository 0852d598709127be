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
    """A candidate importing only what its body uses (so the static screen judges the body)."""
    code = "".join(f"    {line}\n" for line in body.splitlines())
    imports = tuple(f"import {m}" for m in ("os", "socket") if f"{m}." in body)
    return Candidate(name, f"def {name}():\n{code}    assert double(2) == 4\n", imports, "model:x")


def misbehaving(outside: pathlib.Path, port: int) -> list[Candidate]:
    """One candidate per containment requirement, and one fine test."""
    return [
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


async def test_misbehaving_tests_are_dropped_with_their_reason(
    double: Target,
    tmp_path: pathlib.Path,
    listener: tuple[int, list[object]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sandbox alone (the static screen off, as if it had missed everything)."""
    port, accepted = listener
    outside = tmp_path / "escaped.txt"
    monkeypatch.setenv("LW_TEST_SECRET_TOKEN", SECRET)
    candidates = misbehaving(outside, port)
    verdict = await verify(double, candidates, Sandbox(LIMITS), universe(double), 10, screen=False)
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


async def test_the_pipeline_screens_then_contains(
    double: Target,
    tmp_path: pathlib.Path,
    listener: tuple[int, list[object]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As shipped: what the static screen sees is dropped before it runs, the rest by the
    sandbox; either way with a reason, and only the fine test is kept."""
    port, accepted = listener
    outside = tmp_path / "escaped.txt"
    monkeypatch.setenv("LW_TEST_SECRET_TOKEN", SECRET)
    verdict = await verify(
        double, misbehaving(outside, port), Sandbox(LIMITS), universe(double), 10
    )
    reasons = {d.name: d.reason for d in verdict.dropped}
    assert reasons == {
        "test_infinite_loop": "timeout",
        "test_unbounded_allocation": "memory",
        "test_fork_bomb": "unsafe",
        "test_writes_outside": "unsafe",
        "test_rewrites_the_runner": "unsafe",
        "test_opens_socket": "unsafe",
        "test_reads_secret": "unsafe",
        "test_reads_process_env": "secret",
        "test_burns_cpu_in_c": "cpu",
        "test_big_file": "unsafe",
        "test_exits": "unsafe",
    }
    assert [c.name for c in verdict.kept] == ["test_fine"]
    assert not outside.exists()
    assert accepted == []


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
        "    with pytest.raises(OSError):",  # EACCES (Landlock) or absent (bwrap)
        "        open(os.environ['OUTSIDE'], 'w')",
        "def test_inet_socket_is_refused():",
        "    with pytest.raises(OSError):",
        "        socket.socket(socket.AF_INET).connect(('127.0.0.1', int(os.environ['PORT'])))",
        "def test_read_outside_is_refused():",
        "    with pytest.raises(OSError):",
        "        open(os.environ['READABLE']).read()",
        "def test_writes_inside_work():",
        "    with open('inside.txt', 'w') as f:",
        "        f.write('ok')",
        "    assert open('inside.txt').read() == 'ok'",
        "",
    ]
)
KERNEL_LAYERS = ("netns", "pidns", "procfs", "rlimits", "landlock", "landlock-reads", "seccomp")
TRAPPED = "native"  # seccomp traps a refused call and the runner reports it, guard or not
KERNEL_CASES: dict[str, tuple[tuple[str, ...], str | None]] = {
    # test -> (the layers that each refuse it on their own, the violation it is reported as)
    "fork_is_refused": (("seccomp",), TRAPPED),
    "write_outside_is_refused": (("landlock", "bwrap"), None),
    "inet_socket_is_refused": (("seccomp", "netns"), TRAPPED),
    "read_outside_is_refused": (("landlock-reads", "bwrap"), None),
}


async def test_kernel_layers_hold_without_the_python_guard(
    double: Target,
    tmp_path: pathlib.Path,
    tmp_path_factory: pytest.TempPathFactory,
    listener: tuple[int, list[object]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, accepted = listener
    outside = tmp_path / "kernel-escape.txt"
    readable = tmp_path_factory.mktemp("outside") / "world-readable.txt"
    readable.write_text(SECRET)
    readable.chmod(0o644)
    # the child's environment is scrubbed: pass the values through the test file instead
    text = (
        KERNEL_ONLY.replace("os.environ['OUTSIDE']", repr(str(outside)))
        .replace("os.environ['PORT']", str(port))
        .replace("os.environ['READABLE']", repr(str(readable)))
    )
    run = await Sandbox(LIMITS, layers=KERNEL_LAYERS).pytest(
        subject_of(double), {"test_kernel.py": text}
    )
    applied = {name.split(":")[0] for name in run.layers}
    outcomes = {key.split("::test_")[1]: event for key, event in run.done.items()}
    assert outcomes["writes_inside_work"]["outcome"] == "passed", outcomes
    held = [name for name, (layers, _) in KERNEL_CASES.items() if set(layers) & applied]
    for name in held:  # each refusal a layer that was applied makes (the others may pass)
        _, violation = KERNEL_CASES[name]
        event = outcomes[name]
        if violation is not None and "seccomp" in applied:
            assert event.get("violation", [None])[0] == violation, (name, event)
        else:
            assert event["outcome"] == "passed", (name, event)
    for event in run.done.values():  # the guard was off: only the seccomp trap reports
        assert event.get("violation", [TRAPPED])[0] == TRAPPED, event
    assert not outside.exists() and accepted == []
    if not held:
        pytest.skip(f"this kernel lacks {run.missing}")


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
        pytest.param(
            128 + 31,
            False,
            ["native", "made a system call the sandbox forbids (killed by SIGSYS)"],
            id="sigsys",
        ),
    ],
)
def test_death_reason(status: int, timed_out: bool, expected: list[str]) -> None:
    assert death_reason(status, timed_out, LIMITS) == expected


def test_interpreter_prefers_the_workspace_venv(tmp_path: pathlib.Path) -> None:
    assert interpreter("", tmp_path) == sys.executable
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.symlink_to(pathlib.Path(sys.executable).resolve())
    assert interpreter("", tmp_path) == sys.executable  # no pyvenv.cfg: not a virtualenv
    (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert interpreter("", tmp_path) == str(python)
    assert interpreter("/opt/py", tmp_path) == "/opt/py"


def test_a_python_committed_into_the_workspace_is_never_run(tmp_path: pathlib.Path) -> None:
    fake = tmp_path / "venv" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text("#!/bin/sh\ntouch /tmp/owned\n")
    fake.chmod(0o755)
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert interpreter("", tmp_path) == sys.executable
    fake.unlink()
    fake.symlink_to(tmp_path / "evil")  # a link back into the repository
    (tmp_path / "evil").write_text("#!/bin/sh\n")
    (tmp_path / "evil").chmod(0o755)
    assert interpreter("", tmp_path) == sys.executable
