"""Python-level containment of the sandbox child: it names the offence for the drop reason.

Installed after pytest and coverage are imported and before any generated code runs:
- an audit hook (PEP 578) refusing process creation, network sockets, writes outside the
  sandbox folder, reads of secret files (any process's environment, dot-folders of the
  real home), native code through ctypes, and signals to other processes;
- `socket.socket` replaced by a class that refuses every family but AF_UNIX (asyncio's
  self-pipe needs that one);
- `os.environ` refusing names that look like secrets (the parent scrubbed them already);
- per-test budgets: wall-clock seconds (SIGALRM raises `SandboxTimeout`) and CPU seconds
  (RLIMIT_CPU re-armed before each test; SIGXCPU ends the process).

Every refusal is recorded and written to the event stream at once, so a test that
swallows the exception is still dropped, and one that then kills the process is blamed.
Code set on defeating this layer can (it runs in the same process); the kernel layers
(`kernel.py`, `filters.py`) still hold then.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import resource
import signal
import socket
import sys
from collections.abc import Iterator
from typing import Any

SECRET_NAME = re.compile(
    r"secret|token|passw|pwd|api_?key|access_?key|private_?key|credential|auth|session|cookie",
    re.IGNORECASE,
)
PROCESS_EVENTS = frozenset(
    {
        "os.fork",
        "os.forkpty",
        "os.posix_spawn",
        "os.spawn",
        "os.exec",
        "os.system",
        "subprocess.Popen",
        "pty.spawn",
    }
)
NETWORK_EVENTS = frozenset(
    {
        "socket.connect",
        "socket.bind",
        "socket.sendto",
        "socket.sendmsg",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
    }
)
NATIVE_EVENTS = frozenset({"ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle"})
PATH_EVENTS: dict[str, tuple[int, ...]] = {
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.truncate": (0,),
    "os.utime": (0,),
    "os.rename": (0, 1),
    "os.link": (1,),
    "os.symlink": (1,),
    "shutil.rmtree": (0,),
    "shutil.copyfile": (1,),
    "shutil.copytree": (1,),
    "shutil.move": (0, 1),
    "shutil.chown": (0,),
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class SandboxTimeout(BaseException):
    """Raised into a test past its wall-clock budget (not an `Exception`, so `except
    Exception` in the test does not swallow it)."""


class Events:
    """JSON lines on the stdout the child started with; fd 1 then goes to stderr (pytest's
    report and anything the tests print land in the parent's stderr tail, not the events)."""

    def __init__(self) -> None:
        self._fd = os.dup(1)
        os.dup2(2, 1)

    def emit(self, event: dict[str, Any]) -> None:
        data = (json.dumps(event) + "\n").encode()
        while data:
            data = data[os.write(self._fd, data) :]


class Guard:
    """The audit hook, the replaced socket class and environ, and the per-test budgets."""

    def __init__(self, job: dict[str, Any], events: Events) -> None:
        self.workdir = os.path.realpath(job["workdir"])
        home = job.get("home")
        self.home = os.path.realpath(home) if home else None
        self.events = events
        self.wall_s = float(job["limits"]["test_wall_s"])
        self.cpu_s = float(job["limits"]["test_cpu_s"])
        # the interpreter and the import path may live in a dot-folder (~/.pyenv, ~/.venvs)
        self.readable = tuple(
            os.path.realpath(p) + os.sep
            for p in {sys.prefix, sys.base_prefix, sys.exec_prefix, *sys.path}
            if p and os.path.isabs(p)
        )
        self.current: str | None = None
        self.violations: list[tuple[str, str]] = []
        self._armed = False
        self._busy = False

    def install(self, *, refusals: bool = True) -> None:
        """Arm the budgets and (unless a test of the kernel layers turns them off) the
        refusals; call it after the runner's own imports."""
        signal.signal(signal.SIGALRM, self._alarm)
        if refusals:
            sys.addaudithook(self._hook)
            socket.socket = _socket_class(self)  # type: ignore[misc]
            os.environ = _environ(self)  # noqa: B003  (replaced on purpose: reads are checked)
            self._armed = True

    def violate(self, kind: str, detail: str) -> PermissionError:
        """Record a refusal (the first one of a test is reported); returns the exception."""
        if not self.violations:
            self.events.emit(
                {"event": "violation", "id": self.current, "kind": kind, "detail": detail}
            )
        self.violations.append((kind, detail))
        return PermissionError(errno.EACCES, f"linewright sandbox: {detail}")

    @contextlib.contextmanager
    def per_test(self, test_id: str) -> Iterator[None]:
        """Budgets and violation records for one test (or one probe call, or an import)."""
        self.current, self.violations = test_id, []
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(usage.ru_utime + usage.ru_stime + self.cpu_s) + 1
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
        signal.setitimer(signal.ITIMER_REAL, self.wall_s, 0.25)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0, 0)
            self.current = None

    def _alarm(self, signum: int, frame: Any) -> None:
        if self.current is None:
            return
        if not any(kind == "timeout" for kind, _ in self.violations):
            self.violate("timeout", f"ran longer than {self.wall_s:g} s")
        raise SandboxTimeout(f"ran longer than {self.wall_s:g} s")

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self._armed or self._busy:
            return
        self._busy = True
        try:
            problem = self._check(event, args)
        finally:
            self._busy = False
        if problem is not None:
            raise self.violate(*problem)

    def _check(self, event: str, args: tuple[Any, ...]) -> tuple[str, str] | None:
        if event == "open":
            return self._check_open(args[0], args[1], args[2])
        if event in PATH_EVENTS:
            for index in PATH_EVENTS[event]:
                if index < len(args) and not self._inside(args[index]):
                    return "filesystem", f"changed {args[index]!s} outside its temp dir"
            return None
        if event in PROCESS_EVENTS:
            return "process", f"started a process ({event})"
        if event == "socket.__new__" and args[1] not in (socket.AF_UNIX, -1):
            return "network", "opened a network socket"
        if event in NETWORK_EVENTS:
            return "network", f"used the network ({event})"
        if event in NATIVE_EVENTS:
            return "native", "called native code through ctypes"
        if event in ("os.kill", "os.killpg") and args[0] not in (0, os.getpid()):
            return "signal", f"sent a signal to process {args[0]}"
        return None

    def _check_open(self, path: Any, mode: Any, flags: Any) -> tuple[str, str] | None:
        if isinstance(path, int):
            return None  # an already open descriptor
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & WRITE_FLAGS
        )
        if writes and not self._inside(path):
            return "filesystem", f"wrote to {os.fsdecode(path)} outside its temp dir"
        full = os.path.realpath(os.fsdecode(path))
        if re.fullmatch(r"/proc/[^/]+/environ", full):
            return "secret", f"read {full} (a process environment)"
        if self.home and full.startswith(self.home + os.sep) and not full.startswith(self.readable):
            first = full[len(self.home) + 1 :].split(os.sep, 1)[0]
            if first.startswith("."):
                return "secret", f"read {full} (a private file of the user)"
        return None

    def _inside(self, path: Any) -> bool:
        if isinstance(path, int):
            return True
        full = os.path.realpath(os.fsdecode(path))
        return full == os.devnull or full == self.workdir or full.startswith(self.workdir + os.sep)


def _socket_class(guard: Guard) -> type[socket.socket]:
    original = socket.socket

    class GuardedSocket(original):  # type: ignore[valid-type,misc]
        """`socket.socket` that refuses every family but AF_UNIX."""

        def __init__(self, family: Any = -1, type: Any = -1, proto: int = -1, fileno: Any = None):
            if fileno is None and family != socket.AF_UNIX:  # -1 means AF_INET here
                raise guard.violate("network", "opened a network socket")
            super().__init__(family, type, proto, fileno)

    return GuardedSocket


def _environ(guard: Guard) -> os._Environ[str]:
    base = os.environ

    class GuardedEnviron(os._Environ[str]):
        """`os.environ` refusing names that look like secrets."""

        def __getitem__(self, key: str) -> str:
            if isinstance(key, str) and SECRET_NAME.search(key):
                raise guard.violate("secret", f"read the environment variable {key}")
            return super().__getitem__(key)

    return GuardedEnviron(
        base._data,  # type: ignore[attr-defined]
        base.encodekey,
        base.decodekey,
        base.encodevalue,
        base.decodevalue,
    )
