"""Kernel filters the sandbox child puts on itself: Landlock and seccomp.

- Landlock: writes only below the sandbox folder (and to /dev/null); TCP bind/connect denied
  (ABI 4+); no signals to, and no abstract Unix sockets of, processes outside (ABI 6+).
- seccomp: no new processes (fork, vfork, clone without CLONE_THREAD; clone3 answers ENOSYS
  so threads fall back to clone), no exec, no ptrace, no io_uring, no socket but AF_UNIX.
  This holds for root too, where RLIMIT_NPROC does not.

Both need `no_new_privs`, which also means nothing the tests run gains privileges.
Standard library only; Linux only (elsewhere each function answers "not applied").
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
from typing import Any

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2

# Landlock (include/uapi/linux/landlock.h); the syscall numbers are the same on every arch.
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
FS_WRITE_FILE = 1 << 1
FS_WRITES = FS_WRITE_FILE | sum(1 << bit for bit in range(4, 13))  # remove_*, make_*
FS_REFER, FS_TRUNCATE = 1 << 13, 1 << 14
NET_BIND_CONNECT_TCP = 0b11
SCOPE_ABSTRACT_UNIX_AND_SIGNAL = 0b11

# seccomp: audit arch and syscall numbers
ARCHES: dict[str, dict[str, int]] = {
    "x86_64": {
        "arch": 0xC000003E,
        "fork": 57,
        "vfork": 58,
        "execve": 59,
        "execveat": 322,
        "ptrace": 101,
        "io_uring_setup": 425,
        "clone": 56,
        "clone3": 435,
        "socket": 41,
        "socketpair": 53,
    },
    "aarch64": {
        "arch": 0xC00000B7,
        "execve": 221,
        "execveat": 281,
        "ptrace": 117,
        "io_uring_setup": 425,
        "clone": 220,
        "clone3": 435,
        "socket": 198,
        "socketpair": 199,
    },
}
DENIED = ("fork", "vfork", "execve", "execveat", "ptrace", "io_uring_setup")
LD_W_ABS, JEQ_K, JSET_K, RET_K = 0x20, 0x15, 0x45, 0x06
RET_ALLOW = 0x7FFF0000
CLONE_THREAD, AF_UNIX = 0x00010000, 1


def _errno(code: int) -> int:
    return 0x00050000 | code


class _RulesetAttr(ctypes.Structure):
    _fields_ = (("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64))


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


class _Program(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_char_p))


def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def landlock(workdir: str) -> list[str]:
    """Restrict writes to `workdir`, TCP and signals; returns ["landlock:abiN"] or []."""
    libc = _libc()
    abi = libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 1:
        return []
    fs = FS_WRITES | (FS_REFER if abi >= 2 else 0) | (FS_TRUNCATE if abi >= 3 else 0)
    attr = _RulesetAttr(
        fs,
        NET_BIND_CONNECT_TCP if abi >= 4 else 0,
        SCOPE_ABSTRACT_UNIX_AND_SIGNAL if abi >= 6 else 0,
    )
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        return []
    try:
        file_rights = FS_WRITE_FILE | (FS_TRUNCATE if abi >= 3 else 0)
        rules = ((workdir, fs), (os.devnull, file_rights))
        if not all(_allow(libc, ruleset, path, rights) for path, rights in rules):
            return []
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return []
        if libc.syscall(SYS_RESTRICT_SELF, ruleset, 0) != 0:
            return []
    finally:
        os.close(ruleset)
    return [f"landlock:abi{abi}"]


def _allow(libc: Any, ruleset: int, path: str, rights: int) -> bool:
    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    try:
        rule = _PathBeneath(rights, fd)
        return bool(libc.syscall(SYS_ADD_RULE, ruleset, 1, ctypes.byref(rule), 0) == 0)
    finally:
        os.close(fd)


def seccomp_program(machine: str) -> bytes | None:
    """The BPF filter for `machine` (see the module docstring), or None if unknown."""
    numbers = ARCHES.get(machine)
    if numbers is None:
        return None
    eperm, enosys = _errno(errno.EPERM), _errno(errno.ENOSYS)
    code: list[tuple[int, int, int, int]] = [
        (LD_W_ABS, 0, 0, 4),  # arch: another ABI (i386 on x86_64) gets nothing
        (JEQ_K, 1, 0, numbers["arch"]),
        (RET_K, 0, 0, eperm),
        (LD_W_ABS, 0, 0, 0),  # syscall number
    ]
    for name in DENIED:
        if name in numbers:
            code += [(JEQ_K, 0, 1, numbers[name]), (RET_K, 0, 0, eperm)]
    code += [(JEQ_K, 0, 1, numbers["clone3"]), (RET_K, 0, 0, enosys)]
    code += _check_arg(numbers["clone"], JSET_K, CLONE_THREAD)
    for name in ("socket", "socketpair"):
        code += _check_arg(numbers[name], JEQ_K, AF_UNIX)
    code.append((RET_K, 0, 0, RET_ALLOW))
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in code)


def _check_arg(number: int, test: int, value: int) -> list[tuple[int, int, int, int]]:
    """For syscall `number`: allow when args[0] passes `test` against `value`, else EPERM."""
    return [
        (JEQ_K, 0, 4, number),
        (LD_W_ABS, 0, 0, 16),  # low 32 bits of args[0]
        (test, 0, 1, value),
        (RET_K, 0, 0, RET_ALLOW),
        (RET_K, 0, 0, _errno(errno.EPERM)),
    ]


def seccomp() -> list[str]:
    """Install the filter on this process (and its future threads); ["seccomp"] or []."""
    program = seccomp_program(platform.machine())
    if program is None:
        return []
    libc = _libc()
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _Program(len(program) // 8, ctypes.cast(buffer, ctypes.c_char_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return []
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        return []
    return ["seccomp"]
