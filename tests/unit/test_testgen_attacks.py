"""testgen sandbox, the escapes of issue 12's attack review: each runs real candidate tests
(or a real project) through `Sandbox`, with bubblewrap as the outer wall and without it
(the fallback), and checks that nothing gets out. The static screen's share (attack 3) is
in test_testgen_smells.py."""

from __future__ import annotations

import asyncio
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import tomllib

from linewright.features.testgen import bwrap, launch
from linewright.features.testgen.runs import RunResult, absorb
from linewright.features.testgen.sandbox import Limits, Sandbox, Subject, interpreter
from tests.unit.test_testgen_target import make_project

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the sandbox layers are Linux's"
)
LIMITS = Limits(test_wall_s=1.5, test_cpu_s=3.0, memory_mb=512, file_mb=1)
KERNEL_ONLY = ("netns", "pidns", "procfs", "rlimits", "landlock", "landlock-reads", "seccomp")
SECRET = "hunter2-do-not-leak"
ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(params=["bwrap", "fallback"])
def wall(request: pytest.FixtureRequest) -> bwrap.Found | bool:
    """bubblewrap as the outer wall (skipped where it does not work), or hidden."""
    if request.param == "fallback":
        return False
    found = bwrap.find()
    if found.wall is None:
        pytest.skip(f"no bubblewrap here: {found.reason}")
    return found


@pytest.fixture
def subject(tmp_path: pathlib.Path) -> Subject:
    path = make_project(tmp_path / "project", "def double(x):\n    return 2 * x\n", "calc.py")
    return Subject("calc", path, path.read_text(), (str(path.parent),))


def module(body: str, imports: str = "import os") -> str:
    code = "".join(f"    {line}\n" for line in body.splitlines())
    return f"{imports}\n\n\ndef test_it():\n{code}"


def outcomes(run: RunResult) -> dict[str, Any]:
    return {k.split("::")[0]: e.get("violation") or e["outcome"] for k, e in run.done.items()}


def planted_venv(project: pathlib.Path, payload: str) -> str:
    """A committed `.venv` whose site-packages hold a `.pth` file running `payload`."""
    real = pathlib.Path(os.path.realpath(sys.executable))
    venv = project / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(real)
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    (venv / "pyvenv.cfg").write_text(f"home = {real.parent}\nversion = {version}\n")
    site = venv / "lib" / f"python{version}" / "site-packages"
    site.mkdir(parents=True)
    (site / "planted.pth").write_text(f"import os; exec({payload!r})\n")
    python = interpreter("", project)
    assert python == str(venv / "bin" / "python")  # the workspace's own is the one picked
    return python


async def test_1_a_committed_venv_runs_nothing_outside(
    subject: Subject, tmp_path: pathlib.Path, wall: bwrap.Found | bool
) -> None:
    """Its `.pth` files run inside bwrap (where the key file and the way out are not), or
    not at all (the fallback starts the real interpreter without `site`)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".openai-key").write_text(SECRET)
    leak = tmp_path / "leaked.txt"
    payload = "\n".join(
        [
            f"for source in ({str(home / '.openai-key')!r}, '/proc/{os.getpid()}/environ'):",
            "    try:",
            "        data = open(source, 'rb').read()",
            f"        with open({str(leak)!r}, 'ab') as out:",
            "            out.write(data)",
            "    except OSError:",
            "        pass",
        ]
    )
    python = planted_venv(subject.path.parent, payload)
    run = await Sandbox(LIMITS, python, wall=wall).pytest(
        subject, {"test_ok.py": module("assert True")}
    )
    assert outcomes(run) == {"test_ok.py": "passed"}, (run.error, run.stderr[-500:])
    assert not leak.exists()


@pytest.fixture
def agent(tmp_path: pathlib.Path) -> Iterator[tuple[list[pathlib.Path], list[bytes]]]:
    """Unix socket servers like ssh-agent's: one outside the project, one inside it."""
    received: list[bytes] = []
    paths = [tmp_path / "agent.sock", tmp_path / "project" / "editor.sock"]
    servers = []
    for path in paths:
        path.parent.mkdir(exist_ok=True)
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        os.chmod(path, 0o777)
        server.listen()
        servers.append(server)

        def accept(server: socket.socket = server) -> None:
            while True:
                try:
                    connection, _ = server.accept()
                    received.append(connection.recv(100))
                except OSError:
                    return

        threading.Thread(target=accept, daemon=True).start()
    yield paths, received
    for server in servers:
        server.close()


@pytest.mark.parametrize("guard", [True, False], ids=["guard", "kernel-only"])
async def test_2_no_unix_socket_is_reachable(
    subject: Subject,
    agent: tuple[list[pathlib.Path], list[bytes]],
    wall: bwrap.Found | bool,
    guard: bool,
) -> None:
    """kernel-only: as if the test had switched the Python guard off (through `gc`)."""
    paths, received = agent
    body = "\n".join(
        [
            f"for path in {[str(p) for p in paths]!r}:",
            "    try:",
            "        s = socket.socket(socket.AF_UNIX)",
            "        s.connect(path)",
            "        s.sendall(b'project source')",
            "    except OSError:",
            "        pass",
        ]
    )
    layers = None if guard else KERNEL_ONLY
    run = await Sandbox(LIMITS, layers=layers, wall=wall).pytest(
        subject, {"test_agent.py": module(body, "import socket")}
    )
    await asyncio.sleep(0.2)  # what was sent has arrived
    assert received == []
    assert run.done, run.error
    if guard:  # the guard names the attempt; the kernel layers refuse it silently
        assert outcomes(run)["test_agent.py"][0] == "network"


async def test_4_no_capability_over_the_host(subject: Subject, wall: bwrap.Found | bool) -> None:
    """Root (an interpreter under a private home cannot become `nobody`) keeps no
    capability outside: no hostname change, no device nodes."""
    body = "\n".join(
        [
            "with pytest.raises(PermissionError):",
            "    socket.sethostname(socket.gethostname())",  # the same name: harmless if let
            "with pytest.raises(PermissionError):",
            "    os.mknod('null', 0o600 | stat.S_IFCHR, os.makedev(1, 3))",
        ]
    )
    run = await Sandbox(LIMITS, layers=KERNEL_ONLY, wall=wall).pytest(
        subject, {"test_caps.py": module(body, "import os, socket, stat, pytest")}
    )
    assert outcomes(run) == {"test_caps.py": "passed"}, run.done


FORGE = "\n".join(
    [
        "for plugin in request.config.pluginmanager.get_plugins():",
        "    events = getattr(plugin, 'events', None)",
        "    if events is not None:",
        "        events.emit({'event': 'done', 'id': request.node.nodeid, 'outcome': 'passed'})",
        "        events.emit({'event': 'finished'})",
        "        os._exit(0)",
        "assert False, 'this test fails'",
    ]
)


async def test_5_a_failing_test_cannot_report_a_pass(
    subject: Subject, wall: bwrap.Found | bool
) -> None:
    body = "".join(f"    {line}\n" for line in FORGE.splitlines())
    forge = f"import os\n\n\ndef test_it(request):\n{body}"
    run = await Sandbox(LIMITS, wall=wall).pytest(subject, {"test_forge.py": forge})
    assert outcomes(run) == {"test_forge.py": "failed"}, run.done


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        pytest.param(
            [("start", "t"), ("done", "t", "passed"), ("done", "t", "failed"), ("finished",)],
            "crashed",
            id="two-outcomes",
        ),
        pytest.param(
            [("start", "a"), ("done", "b", "passed"), ("done", "a", "failed"), ("finished",)],
            "crashed",
            id="reports-for-another",
        ),
        pytest.param([("start", "t"), ("done", "t", "passed")], None, id="reports-then-dies"),
        pytest.param(
            [("start", "t"), ("done", "t", "passed"), ("finished",)], "passed", id="honest"
        ),
    ],
)  # fmt: skip
def test_5_an_inconsistent_stream_is_not_believed(
    events: list[tuple[str, ...]], expected: str | None
) -> None:
    stream = [
        {
            "event": e[0],
            **({"id": e[1]} if len(e) > 1 else {}),
            **({"outcome": e[2]} if len(e) > 2 else {}),
        }
        for e in events
    ]
    result = RunResult()
    culprit, _ = absorb(result, stream)
    forged = result.done.get("a") or result.done.get("t")
    if expected is None:  # the process is blamed for its death, not believed
        assert culprit == "t" and "t" not in result.done
    else:
        assert forged is not None and forged["outcome"] == expected


SERVER = """
import asyncio, pathlib, sys
from linewright.features.testgen.sandbox import Limits, Sandbox, Subject
path = pathlib.Path(sys.argv[1])
subject = Subject("calc", path, path.read_text(), (str(path.parent),))
test = "import time\\n\\n\\ndef test_waits():\\n    time.sleep(60)\\n"
limits = Limits(test_wall_s=60, test_cpu_s=60)
asyncio.run(Sandbox(limits).pytest(subject, {"test_wait.py": test}))
"""


def _sandboxes(server: int) -> list[int]:
    """Processes started for the server's runs (their command lines name its folders)."""
    found = []
    mark = f"{launch.PREFIX}{server}-".encode()
    for entry in os.listdir("/proc"):
        try:
            line = pathlib.Path(f"/proc/{entry}/cmdline").read_bytes()
            state = pathlib.Path(f"/proc/{entry}/stat").read_text().split(")")[-1].split()[0]
        except (OSError, IndexError):
            continue
        if entry.isdigit() and mark in line and state != "Z":
            found.append(int(entry))
    return found


def test_6_nothing_outlives_a_killed_server(subject: Subject, wall: bwrap.Found | bool) -> None:
    env = {**os.environ, **({} if wall else {bwrap.HIDE: "1"})}
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(subject.path)], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while not _sandboxes(server.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # the child is inside its test by now
        assert _sandboxes(server.pid), "the sandbox never started"
        server.send_signal(signal.SIGKILL)
        server.wait()
        deadline = time.monotonic() + 5
        while _sandboxes(server.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _sandboxes(server.pid) == []
    finally:
        server.kill()
        server.wait()
    left = list(pathlib.Path(tempfile.gettempdir()).glob(f"{launch.PREFIX}{server.pid}-*"))
    assert left, "a killed server leaves its run folder (the next one removes it)"
    Sandbox(LIMITS, wall=False)
    assert [p for p in left if p.exists()] == []


async def test_6_disk_use_per_run_is_bounded(subject: Subject, wall: bwrap.Found | bool) -> None:
    fill = "for i in range(40):\n    with open(f'part{i}', 'wb') as f:\n"
    fill += "        f.write(b'x' * 500_000)"
    limits = Limits(test_wall_s=5.0, test_cpu_s=5.0, memory_mb=512, file_mb=1, disk_mb=8)
    run = await Sandbox(limits, wall=wall).pytest(
        subject, {"test_fill.py": module(fill), "test_ok.py": module("assert True")}
    )
    found = {name: (r[0] if isinstance(r, list) else r) for name, r in outcomes(run).items()}
    assert found["test_ok.py"] == "passed"
    event = next(e for k, e in run.done.items() if k.startswith("test_fill.py"))
    if wall:  # the tmpfs is full: the write fails
        assert (event["outcome"], event.get("errno")) == ("failed", 28), event
    else:  # measured after the test (and from outside while it runs)
        assert found["test_fill.py"] == "filesize", event


async def test_a_fatal_start_up_error_is_said_once(
    subject: Subject, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 13: an interpreter without pytest is reported as such, at once (no restarts)."""
    venv = tmp_path / "bare"
    await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True
    )
    python = str(venv / "bin" / "python")
    monkeypatch.setattr(launch, "fallback_paths", lambda: [])
    started = time.monotonic()
    run = await Sandbox(LIMITS, python).pytest(subject, {"test_ok.py": module("assert True")})
    assert run.error == f"coverage is not installed for {python}"
    assert time.monotonic() - started < 10


async def test_a_workspace_interpreter_without_pytest_uses_ours(
    subject: Subject, tmp_path: pathlib.Path, wall: bwrap.Found | bool
) -> None:
    venv = tmp_path / "bare"
    await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True
    )
    run = await Sandbox(LIMITS, str(venv / "bin" / "python"), wall=wall).pytest(
        subject, {"test_ok.py": module("assert True")}
    )
    assert outcomes(run) == {"test_ok.py": "passed"}, (run.error, run.stderr[-300:])


async def test_without_bwrap_weak_layers_refuse_to_run(
    subject: Subject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel's layers missing (here: not asked for) and no opt-in: nothing runs."""
    sandbox = Sandbox(LIMITS, layers=("rlimits",), wall=False)
    monkeypatch.setattr(sandbox, "_required", lambda: list(launch.CHILD_KERNEL_NEEDS))
    marker = subject.path.parent / "ran.txt"
    body = f"open({str(marker)!r}, 'w').write('ran')"
    run = await sandbox.pytest(subject, {"test_runs.py": module(body)})
    assert run.fatal and run.done == {} and not marker.exists()
    assert run.error is not None and "install bubblewrap" in run.error
    assert "netns, landlock, seccomp" in run.error
    assert Sandbox(LIMITS, wall=False, allow_unsandboxed=True)._required() == []


def test_pytest_is_a_runtime_dependency() -> None:
    """issue 13: a plain `pip install .` can run candidate tests."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = [d for d in project["dependencies"] if d.split(">")[0].strip() == "pytest"]
    dev = [d for d in project["optional-dependencies"]["dev"] if d.startswith("pytest>")]
    assert runtime == dev == ["pytest>=8,<10"]
