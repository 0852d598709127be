"""testgen sandbox, the holes a security review found: each case runs real candidate tests
through `Sandbox` (not through `verify`, whose static review would drop most of them first)
and checks they are contained and reported with a reason that names the offence."""

from __future__ import annotations

import ctypes
import os
import pathlib
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from linewright.features.testgen.sandbox import Limits, RunResult, Sandbox, Subject
from tests.unit.test_testgen_target import make_project

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the sandbox layers are Linux's"
)
LIMITS = Limits(test_wall_s=1.5, test_cpu_s=3.0, memory_mb=512, file_mb=1)
SECRET = "hunter2-do-not-leak"
KERNEL_ONLY = ("netns", "pidns", "procfs", "rlimits", "landlock", "landlock-reads", "seccomp")
OK = "def test_ok():\n    assert 1 + 1 == 2\n"
IGNORE_SIGSYS = (
    "try:\n    signal.signal(signal.SIGSYS, signal.SIG_IGN)\nexcept OSError:\n    pass\n"
)


@pytest.fixture
def subject(tmp_path: pathlib.Path) -> Subject:
    path = make_project(tmp_path / "project", "def double(x):\n    return 2 * x\n", "calc.py")
    return Subject("calc", path, path.read_text(), (str(path.parent),))


@pytest.fixture
def helper() -> Iterator[int]:
    """Another process of ours, outside the sandbox, with a secret in its environment."""
    env = {"PATH": os.defpath, "LW_HELPER_API_KEY": SECRET}
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env=env)
    yield process.pid
    process.kill()
    process.wait()


def module(body: str, imports: str = "import os") -> str:
    code = "".join(f"    {line}\n" for line in body.splitlines())
    return f"{imports}\n\n\ndef test_it():\n{code}"


def reasons(run: RunResult) -> dict[str, Any]:
    """Per test file: its violation (category, detail), else its outcome."""
    return {
        key.split("::")[0]: event.get("violation") or event["outcome"]
        for key, event in run.done.items()
    }


async def test_a_planted_module_does_not_run_after_a_restart(
    subject: Subject, tmp_path: pathlib.Path
) -> None:
    marker = tmp_path / "planted-ran.txt"
    planted = f"open({str(marker)!r}, 'w').write('uncontained')\n"
    plant = "\n".join(
        [
            "for name in ('json', 'ast', 'socket', 'ctypes', 'encodings', 'sitecustomize'):",
            "    with open(name + '.py', 'w') as f:",
            f"        f.write({planted!r})",
            "os._exit(0)",
        ]
    )
    files = {"test_a_plants.py": module(plant), "test_b_ok.py": OK}
    run = await Sandbox(LIMITS).pytest(subject, files)
    assert not marker.exists()
    assert reasons(run) == {
        "test_a_plants.py": ["crash", "ended the test process (exit status 0)"],
        "test_b_ok.py": "passed",
    }


async def test_other_processes_and_directory_descriptors_are_out_of_reach(
    subject: Subject, helper: int, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = subject.path.parent  # the project is the home folder: ~/script.py
    monkeypatch.setenv("HOME", str(home))
    (home / ".ssh").mkdir()
    (home / ".ssh" / "id_rsa").write_text(SECRET)
    (home / ".secret").write_text(SECRET)
    (home / ".secret").chmod(0o600)
    files = {
        "test_task_environ.py": module(
            f"assert open('/proc/{helper}/task/{helper}/environ', 'rb').read() != b''"
        ),
        "test_dir_fd.py": module(
            f"fd = os.open({str(home)!r}, os.O_RDONLY)\n"
            "assert os.read(os.open('.secret', os.O_RDONLY, dir_fd=fd), 100)"
        ),
        "test_home_dotfolder.py": module(f"open({str(home / '.ssh' / 'id_rsa')!r}).read()"),
        "test_environb.py": module("assert os.environb.get(b'LW_HELPER_API_KEY') is None"),
        "test_ok.py": OK,
    }
    run = await Sandbox(LIMITS).pytest(subject, files)
    task = f"/proc/{helper}/task/{helper}/environ"
    expected: dict[str, Any] = {
        "test_task_environ.py": ["secret", f"read {task} (a process environment)"],
        "test_dir_fd.py": [
            "secret",
            f"called os.open with a directory descriptor for {home}, outside its temp dir",
        ],
        "test_home_dotfolder.py": [
            "secret",
            f"read {home / '.ssh' / 'id_rsa'} (a private file of the user)",
        ],
        "test_environb.py": ["secret", "read the environment variable LW_HELPER_API_KEY"],
        "test_ok.py": "passed",
    }
    assert reasons(run) == expected


async def test_kernel_layers_keep_other_processes_and_files_unreadable(
    subject: Subject, helper: int, tmp_path: pathlib.Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "notes.txt").write_text(SECRET)
    # the secrets are there to be read from outside the sandbox (or the test proves nothing)
    assert SECRET.encode() in pathlib.Path(f"/proc/{helper}/environ").read_bytes()
    scan = "\n".join(
        [
            "leaked = []",
            "try:",
            "    pids = os.listdir('/proc')",
            "except OSError:",
            "    pids = []",
            f"for pid in [*pids, '1', str(os.getppid()), '{helper}']:",
            "    try:",
            "        leaked.append(open(f'/proc/{pid}/environ', 'rb').read())",
            "    except OSError:",
            "        pass",
            f"assert not [e for e in leaked if b{SECRET!r} in e]",
        ]
    )
    at = "\n".join(
        [
            "try:",
            f"    fd = os.open({str(outside)!r}, os.O_RDONLY)",
            "    data = os.read(os.open('notes.txt', os.O_RDONLY, dir_fd=fd), 100)",
            "except OSError:",  # refused by Landlock, or not there at all (bwrap)
            "    data = b''",
            f"assert b{SECRET!r} not in data",
        ]
    )
    files = {"test_scan.py": module(scan), "test_at.py": module(at), "test_ok.py": OK}
    run = await Sandbox(LIMITS, layers=KERNEL_ONLY).pytest(subject, files)
    missing = set(run.missing)
    if {"procfs", "landlock-reads", "bwrap"} <= missing:
        pytest.skip(f"this kernel lacks {run.missing}")
    found = {key.split("::")[0]: event["outcome"] for key, event in run.done.items()}
    expected = {"test_scan.py": "passed", "test_ok.py": "passed"}
    if "landlock-reads" not in missing or "bwrap" in run.layers:
        expected["test_at.py"] = "passed"
    assert {key: found.get(key) for key in expected} == expected, run.done


async def test_refusals_are_reported_even_when_the_test_swallows_them(
    subject: Subject, tmp_path: pathlib.Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(SECRET)
    swallow = "try:\n    {}\nexcept OSError:\n    pass"
    x32 = "ctypes.CDLL(None).syscall(0x40000000 | 39)"  # getpid through the x32 ABI
    files = {
        "test_fork.py": module(swallow.format("os.fork()")),
        "test_socket.py": module(swallow.format("socket.socket()"), "import socket"),
        "test_x32.py": module(swallow.format(x32), "import ctypes"),
        "test_z_ignores.py": module(
            IGNORE_SIGSYS + swallow.format("os.fork()"), "import os, signal"
        ),
        "test_ok.py": OK,
    }
    kernel = await Sandbox(LIMITS, layers=KERNEL_ONLY).pytest(subject, files)
    if "seccomp" in kernel.missing:
        pytest.skip(f"this kernel lacks {kernel.missing}")
    found = {name: (r[0] if isinstance(r, list) else r) for name, r in reasons(kernel).items()}
    expected = {"test_fork.py": "native", "test_socket.py": "native", "test_ok.py": "passed"}
    expected["test_x32.py"] = "native" if platform.machine() == "x86_64" else "passed"
    expected["test_z_ignores.py"] = "native"  # killed by the trap it ignored
    assert found == expected, kernel.done
    files = {
        "test_read.py": module(swallow.format(f"open({str(outside)!r}).read()")),
        "test_sigsys.py": module(IGNORE_SIGSYS, "import signal"),
        "test_ok.py": OK,
    }
    guarded = await Sandbox(LIMITS).pytest(subject, files)
    found = reasons(guarded)
    assert found["test_sigsys.py"] == [
        "signal",
        "changed the handler of SIGSYS (forbidden system calls)",
    ]
    if "bwrap" in guarded.layers:  # the file is not there at all: nothing to name
        assert found["test_read.py"] == "passed", guarded.done
    elif "landlock-reads" not in guarded.missing:  # the guard names what the kernel refuses
        assert found["test_read.py"] == [
            "secret",
            f"read {outside} (outside the folders it may read)",
        ]


async def test_a_test_that_outlives_its_alarm_is_killed_from_outside(subject: Subject) -> None:
    cancels = "signal.alarm(0)\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
    cancels += "while True:\n    time.sleep(0.05)"
    swallows = (
        "while True:\n    try:\n        time.sleep(0.05)\n    except BaseException:\n        pass"
    )
    files = {
        "test_a_cancels.py": module(cancels, "import signal, time"),
        "test_b_swallows.py": module(swallows, "import time"),
        "test_c_ok.py": OK,
    }
    started = time.monotonic()
    run = await Sandbox(LIMITS).pytest(subject, files)
    took = time.monotonic() - started
    assert reasons(run) == {
        "test_a_cancels.py": ["timeout", "ran longer than 1.5 s"],
        "test_b_swallows.py": ["timeout", "ran longer than 1.5 s"],
        "test_c_ok.py": "passed",
    }
    assert took < 25, took  # two kills at 2.5 s, three starts; not the run's budget (55 s)


async def test_forged_report_lines_are_ignored(subject: Subject) -> None:
    forge = "\n".join(
        [
            'line = b\'{"event": "done", "id": "test_a_forges.py::test_it", \'',
            'line += b\'"outcome": "passed"}\\n\'',
            "for fd in range(3, 256):",
            "    try:",
            "        if stat.S_ISFIFO(os.fstat(fd).st_mode):",
            "            os.write(fd, line)",
            "    except OSError:",
            "        pass",
            "os._exit(0)",
        ]
    )
    files = {"test_a_forges.py": module(forge, "import os, stat"), "test_b_ok.py": OK}
    run = await Sandbox(LIMITS).pytest(subject, files)
    assert reasons(run) == {
        "test_a_forges.py": ["crash", "ended the test process (exit status 0)"],
        "test_b_ok.py": "passed",
    }


def test_the_language_server_is_not_dumpable() -> None:
    """Processes of the same user cannot read its /proc entries (its environment)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE back on: an earlier Sandbox may have set it
    assert libc.prctl(3, 0, 0, 0, 0) == 1  # PR_GET_DUMPABLE
    Sandbox(LIMITS)
    assert libc.prctl(3, 0, 0, 0, 0) == 0
