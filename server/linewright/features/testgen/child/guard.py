"""Python-level containment of the sandbox child: it names the offence for the drop reason.

Installed after pytest and coverage are imported and before any generated code runs:
- an audit hook (PEP 578) refusing process creation, network sockets, writes outside the
  sandbox folder, reads of secret files (any process's environment, dot-folders of the
  real home that are not the interpreter's), reads that Landlock refuses (when it
  restricts reads: the guard names what the kernel would deny), native code through
  ctypes, and signals to other processes;
- replaced objects (`wrappers.py`): `socket.socket`, `os.environ`/`os.environb`, the `os`
  functions taking a directory descriptor (resolved and checked like a path), and
  `signal.signal` for SIGSYS;
- a SIGSYS handler, armed even when the refusals are off: seccomp traps a forbidden system
  call (made by native code, or by Python with the guard off) and it is recorded here;
- per-test budgets: wall-clock seconds (SIGALRM raises `SandboxTimeout`; the parent kills
  a test that outlives it) and CPU seconds (RLIMIT_CPU re-armed before each test).

Every refusal is recorded and written to the event stream at once, so a test that
swallows the exception is still dropped, and one that then kills the process is blamed.
Code set on defeating this layer can (it runs in the same process); the kernel layers
(`kernel.py`) still hold then.
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
import sysconfig
from collections.abc import Callable, Iterator
from typing import Any

from . import disk, wrappers
from .reads import Reads

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
READ_AT = frozenset({"open", "stat", "lstat", "access", "readlink"})
TRAPPED = (
    "made a system call the sandbox forbids "
    "(a new process, exec, a mount, another process's memory or a network socket)"
)


class SandboxTimeout(BaseException):
    """Raised into a test past its wall-clock budget (not an `Exception`, so `except
    Exception` in the test does not swallow it)."""


class Events:
    """JSON lines on the stdout the child started with, each after the run's nonce (so the
    parent ignores lines a test forges); fd 1 then goes to stderr (pytest's report and
    anything the tests print land in the parent's stderr tail, not the events)."""

    emit: Callable[[dict[str, Any]], None]

    def __init__(self, nonce: str) -> None:
        fd = os.dup(1)
        os.dup2(2, 1)
        prefix = nonce.encode() + b" "  # kept in this closure only, not on the object

        def emit(event: dict[str, Any]) -> None:
            data = prefix + json.dumps(event).encode() + b"\n"
            while data:
                data = data[os.write(fd, data) :]

        self.emit = emit


class Guard:
    """The audit hook, the replaced socket class and environ, and the per-test budgets."""

    def __init__(self, job: dict[str, Any], events: Events, reads: Reads | None) -> None:
        self.workdir = os.path.realpath(job["workdir"])
        home = job.get("home")
        self.home = os.path.realpath(home) if home else None
        self.events = events
        self.reads = reads
        """What Landlock lets the child read, when it restricts reads."""
        self.disk = (
            int(job["limits"].get("disk_mb", 0)) * 1024 * 1024 if job.get("measure_disk") else 0
        )
        """Without bwrap's tmpfs: the work folder's size is checked after each test too."""
        self.wall_s = float(job["limits"]["test_wall_s"])
        self.cpu_s = float(job["limits"]["test_cpu_s"])
        # the interpreter and its packages may live in a dot-folder (~/.pyenv, ~/.venvs);
        # project roots may not open the rest (a project at ~ must not expose ~/.ssh)
        paths = sysconfig.get_paths()
        self.readable = tuple(
            os.path.realpath(p).rstrip(os.sep) + os.sep
            for p in {
                sys.prefix,
                sys.base_prefix,
                sys.exec_prefix,
                paths["purelib"],
                paths["platlib"],
                *job["extra_path"],
                job["tools"],
                job["workdir"],
            }
            if p and os.path.isabs(p)
        )
        self._readlink = os.readlink
        self.current: str | None = None
        self.violations: list[tuple[str, str]] = []
        self._armed = False
        self._busy = False

    def install(self, *, refusals: bool = True) -> None:
        """Arm the budgets and (unless a test of the kernel layers turns them off) the
        refusals; call it after the runner's own imports."""
        signal.signal(signal.SIGALRM, self._alarm)
        if hasattr(signal, "SIGSYS"):
            signal.signal(signal.SIGSYS, self._trapped)
        if refusals:
            sys.addaudithook(self._hook)
            socket.socket = wrappers.socket_class(self.violate)  # type: ignore[misc]
            # replaced on purpose: reads are checked
            os.environ = wrappers.environ(os.environ, self.violate)  # noqa: B003
            if hasattr(os, "environb"):
                os.environb = wrappers.environ(os.environb, self.violate)
            wrappers.guard_at_functions(self.check_at)
            wrappers.guard_sigsys(self.violate)
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
            if self.disk and disk.size(self.workdir, self.disk) > self.disk:
                self.violate("filesize", f"wrote more than {self.disk >> 20} MiB in its temp dir")
                disk.empty(self.workdir)
            self.current = None

    def _alarm(self, signum: int, frame: Any) -> None:
        if self.current is None:
            return
        if not any(kind == "timeout" for kind, _ in self.violations):
            self.violate("timeout", f"ran longer than {self.wall_s:g} s")
        raise SandboxTimeout(f"ran longer than {self.wall_s:g} s")

    def _trapped(self, signum: int, frame: Any) -> None:
        """SIGSYS: seccomp refused a system call (it returned garbage; raise instead)."""
        error = self.violate("native", TRAPPED)
        if self.current is not None:
            raise error

    def check_at(self, call: str, fd: int, path: Any, flags: Any) -> None:
        """An `os` call relative to a directory descriptor: allowed inside the work folder
        (then checked like a path), refused elsewhere (the audit hook cannot see where)."""
        folder = self._folder_of(fd)
        reads = call in READ_AT and not (isinstance(flags, int) and flags & WRITE_FLAGS)
        if folder is None or not self._inside(folder):
            where = folder or "an unknown folder"
            raise self.violate(
                "secret" if reads else "filesystem",
                f"called os.{call} with a directory descriptor for {where}, outside its temp dir",
            )
        target = os.path.join(folder, os.fsdecode(path)) if path is not None else folder
        if call == "open":
            problem = self._check_open(target, None, flags)
        elif reads or self._inside(target):
            problem = None
        else:
            problem = ("filesystem", f"changed {target} outside its temp dir")
        if problem is not None:
            raise self.violate(*problem)

    def _folder_of(self, fd: Any) -> str | None:
        if not isinstance(fd, int) or isinstance(fd, bool):
            return None
        try:
            if sys.platform.startswith("linux"):
                folder = self._readlink(f"/proc/self/fd/{fd}")
            else:
                import fcntl

                command = getattr(fcntl, "F_GETPATH", None)  # macOS
                raw = fcntl.fcntl(fd, command, bytes(1024)) if command else b""
                folder = os.fsdecode(raw.rstrip(b"\0"))
        except (OSError, ValueError, TypeError):
            return None
        return folder if folder.startswith(os.sep) else None

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
        if re.fullmatch(r"/proc/.+/environ", full):
            return "secret", f"read {full} (a process environment)"
        if self.home and full.startswith(self.home + os.sep) and not full.startswith(self.readable):
            first = full[len(self.home) + 1 :].split(os.sep, 1)[0]
            if first.startswith("."):
                return "secret", f"read {full} (a private file of the user)"
        if self.reads and not writes and not self.reads.allows(full) and os.path.exists(full):
            return "secret", f"read {full} (outside the folders it may read)"
        return None

    def _inside(self, path: Any) -> bool:
        if isinstance(path, int):
            return True
        full = os.path.realpath(os.fsdecode(path))
        return full == os.devnull or full == self.workdir or full.startswith(self.workdir + os.sep)
