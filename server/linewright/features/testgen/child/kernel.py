"""Kernel-level containment of the sandbox child; these layers hold even against code
that gets around Python (ctypes, C extensions).

- network: a new network namespace (only a down loopback), so nothing is reachable;
- processes: a new PID namespace, so every process a test starts dies with the run, and
  `RLIMIT_NPROC` (enforced for non-root users; root first drops to `nobody` when the files
  the tests need are world-readable);
- procfs: a mount namespace (private, so nothing leaks back) with a /proc of the new PID
  namespace, where no process outside the sandbox (the language server included) exists;
- resources: CPU seconds, address space, file size, open files, no core dumps;
- `landlock.py`: reads only from an allow-list (`landlock-reads`), writes only below the
  work folder; `filters.py` (seccomp): no new processes, exec, mounts or sockets but
  AF_UNIX, each refusal trapped and reported.

Each step is best effort: `enter()` returns the names of the layers that were applied and
of those that were not, for the parent to report. Standard library only.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import socket
import stat
import sys
from typing import Any, NoReturn

from . import filters, landlock
from .reads import Reads

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 0x4000, 1 << 18
PR_SET_PDEATHSIG = 1
NOBODY = 65534
MIB = 1024 * 1024
LAYERS = (
    "userns",
    "netns",
    "pidns",
    "procfs",
    "nobody",
    "rlimits",
    "landlock",
    "landlock-reads",
    "seccomp",
)


def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    text = ctypes.c_char_p
    libc.mount.argtypes = (text, text, text, ctypes.c_ulong, ctypes.c_void_p)
    return libc


def enter(job: dict[str, Any], reads: Reads) -> tuple[list[str], list[str]]:
    """Apply every kernel layer `job` asks for; returns (applied, not applied)."""
    wanted = set(job.get("layers", LAYERS)) & set(LAYERS)
    if os.getuid() != 0 and not job.get("bwrap"):
        wanted.discard("nobody")  # only root changes user
    if not sys.platform.startswith("linux"):  # reported missing, never tried
        limits = _limits(job["limits"], nproc=os.getuid() != 0) if "rlimits" in wanted else []
        return limits, sorted(wanted - {"rlimits"})
    applied: list[str] = []
    if job.get("bwrap"):
        applied += _walled(wanted)  # bwrap made them: check they are there
    else:
        _die_with_parent()
        # root that cannot become `nobody` (files it needs are private) keeps no
        # capability over the host either: it goes into a user namespace of its own
        private = os.getuid() == 0 and not _readable_by_nobody(job["readable"])
        applied += _namespaces(wanted, private) if wanted & {"netns", "pidns"} else []
    if "procfs" in applied:
        reads.below.append(os.path.realpath("/proc/self"))
    dropped = "nobody" in applied or (
        "nobody" in wanted and _drop_root(job["workdir"], job["readable"])
    )
    if dropped and "nobody" not in applied:
        applied.append("nobody")
    if "rlimits" in wanted:
        # bwrap's `nobody` is the host's uid: root's processes are never counted
        counted = not (job.get("bwrap") and job.get("host_uid") == 0)
        applied += _limits(job["limits"], nproc=(dropped or os.getuid() != 0) and counted)
    if "landlock" in wanted:
        applied += landlock.landlock(job["workdir"], reads if "landlock-reads" in wanted else None)
    if "seccomp" in wanted:
        applied += filters.seccomp()
    missing = sorted(wanted - {name.split(":")[0] for name in applied})
    return applied, missing


def too_weak(lacking: list[str]) -> str:
    """The fatal error of a child that must not run generated code with these layers gone."""
    return (
        "test generation needs a sandbox: bubblewrap (bwrap) is not installed or does not "
        f"work here, and this kernel lacks {', '.join(lacking)}; install bubblewrap, or set "
        "linewright.testgen.allowUnsandboxed to run tests with the layers that do hold"
    )


def _die_with_parent() -> None:
    """Without bwrap: killed with the language server (a `kill -9` of it leaves nothing)."""
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _walled(wanted: set[str]) -> list[str]:
    """The layers bwrap made, each checked from inside: only loopback, the PID namespace's
    own /proc (we are not its first process: bwrap is), and the user `nobody`."""
    found = []
    try:
        with open("/proc/self/uid_map", encoding="ascii") as file:
            if file.read().split() != ["0", "0", "4294967295"]:
                found.append("userns")
    except OSError:
        pass
    try:
        names = [name for _, name in socket.if_nameindex()]
    except OSError:
        names = ["?"]
    if "netns" in wanted and names == ["lo"]:
        found.append("netns")
    try:
        with open("/proc/1/comm", encoding="ascii", errors="replace") as file:
            first = file.read().strip()
    except OSError:
        first = ""
    if wanted & {"pidns", "procfs"} and first == "bwrap" and os.getpid() < 16:
        found += sorted(wanted & {"pidns", "procfs"})
    if "nobody" in wanted and os.getuid() == NOBODY and os.getgid() == NOBODY:
        found.append("nobody")
    return found


def _namespaces(wanted: set[str], confine_root: bool) -> list[str]:
    """New network, PID and mount namespaces, in a new user namespace when not root, or
    when root is to be confined: then it is root of that namespace only (no
    `sethostname`, no device nodes on the host)."""
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    flags = (CLONE_NEWNET if "netns" in wanted else 0) | (CLONE_NEWPID if "pidns" in wanted else 0)
    flags |= CLONE_NEWNS if flags & CLONE_NEWPID and "procfs" in wanted else 0
    users = (CLONE_NEWUSER, 0) if confine_root else (CLONE_NEWUSER if uid else 0,)
    tries = [
        (a, u)
        for u in users
        for a in (flags, flags & ~CLONE_NEWNS, flags & ~CLONE_NEWNS & ~CLONE_NEWPID)
    ]
    for attempt, user in tries:
        if attempt and libc.unshare(attempt | user) == 0:
            break
    else:
        return []
    if user:  # map ourselves, so files keep their owners
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    # private first: a /proc mounted here must not propagate to the namespace we came from
    private = False
    if attempt & CLONE_NEWNS:
        private = libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0
    applied = ["netns"] if attempt & CLONE_NEWNET else []
    applied += ["userns"] if user else []
    if attempt & CLONE_NEWPID:
        # the next child is the namespace's init, which ignores default-action signals
        # (SIGXCPU included); it only reaps, and the runner is its child
        _fork_and_relay()
        _fork_and_relay()
        applied.append("pidns")
        flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
        if private and libc.mount(b"proc", b"/proc", b"proc", flags, None) == 0:
            applied.append("procfs")
    return applied


def _write(path: str, text: str) -> None:
    with open(path, "w") as file:
        file.write(text)


def _fork_and_relay() -> None:
    """Fork; the parent waits and exits as its child did (a signal as 128 + number)."""
    pid = os.fork()
    if pid == 0:
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        return
    _relay(pid)


def _relay(pid: int) -> NoReturn:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def _readable_by_nobody(readable: list[str]) -> bool:
    return all(_world_readable(path) for path in [*readable, sys.executable, os.__file__])


def _drop_root(workdir: str, readable: list[str]) -> bool:
    """As root, become `nobody` (so RLIMIT_NPROC holds) if it can read what the tests need."""
    if os.getuid() != 0 or not _readable_by_nobody(readable):
        return False
    os.chown(workdir, NOBODY, NOBODY)
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)
    return True


def _world_readable(path: str) -> bool:
    """Whether others may read `path` and traverse every folder above it."""
    path = os.path.realpath(path)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return True  # nothing to read there
    need = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    if mode & need != need:
        return False
    parent = os.path.dirname(path)
    while parent and parent != os.path.dirname(parent):
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(parent)
    return True


def _limits(limits: dict[str, Any], *, nproc: bool) -> list[str]:
    """Resource limits; the CPU limit is re-armed per test by `guard.Guard.per_test`."""
    wanted = {
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_AS: int(limits["memory_mb"]) * MIB,
        resource.RLIMIT_FSIZE: int(limits["file_mb"]) * MIB,
        resource.RLIMIT_NOFILE: 256,
        resource.RLIMIT_CPU: int(limits["cpu_total_s"]),
    }
    if nproc:
        wanted[resource.RLIMIT_NPROC] = int(limits["nproc"])
    for kind, value in wanted.items():
        _, hard = resource.getrlimit(kind)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        hard_value = value + 2 if kind == resource.RLIMIT_CPU else value
        if hard != resource.RLIM_INFINITY:
            hard_value = min(hard_value, hard)
        resource.setrlimit(kind, (value, hard_value))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-big write fails with EFBIG instead
    return ["rlimits", *(["nproc"] if nproc else [])]
