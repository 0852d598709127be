"""seccomp on the sandbox child: which system calls it may make, whatever code runs.

No new processes (fork, vfork, clone without CLONE_THREAD; clone3 answers ENOSYS so
threads fall back to clone), no exec, no ptrace-like access to other processes, no
io_uring, no mounts or namespace changes, no socket but AF_UNIX; on x86_64 no x32 system
call (numbers from 0x40000000, aliases of the same calls) and, everywhere, no other ABI.
This holds for root too, where RLIMIT_NPROC does not.

No reaching a socket of another process: `connect`, `sendmsg`, `sendmmsg` and `sendto`
with an address answer EACCES (not a trap: glibc's user lookups try nscd's socket and fall
back to files). Only socket pairs made inside (asyncio's self-pipe) carry data. A Unix
socket file in a folder the child may read (the project's) is otherwise reachable: a
read-only mount does not stop `connect`.

A refused call traps (SIGSYS): the runner's handler (`guard.Guard`) records it for the
running test, so a test that swallows the error is still dropped; a test that ignores or
blocks SIGSYS is killed by it, and the parent reports that death the same way.

Needs `no_new_privs`, which also means nothing the tests run gains privileges.
Standard library only; Linux only (elsewhere it answers "not applied").
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct
from typing import Any

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2

# seccomp: audit arch and syscall numbers
ARCHES: dict[str, dict[str, int]] = {
    "x86_64": {
        "arch": 0xC000003E,
        "fork": 57,
        "vfork": 58,
        "execve": 59,
        "execveat": 322,
        "ptrace": 101,
        "clone": 56,
        "clone3": 435,
        "socket": 41,
        "socketpair": 53,
        "mount": 165,
        "umount2": 166,
        "pivot_root": 155,
        "unshare": 272,
        "setns": 308,
        "process_vm_readv": 310,
        "process_vm_writev": 311,
        "connect": 42,
        "sendto": 44,
        "sendmsg": 46,
        "sendmmsg": 307,
    },
    "aarch64": {
        "arch": 0xC00000B7,
        "execve": 221,
        "execveat": 281,
        "ptrace": 117,
        "clone": 220,
        "clone3": 435,
        "socket": 198,
        "socketpair": 199,
        "mount": 40,
        "umount2": 39,
        "pivot_root": 41,
        "unshare": 97,
        "setns": 268,
        "process_vm_readv": 270,
        "process_vm_writev": 271,
        "connect": 203,
        "sendto": 206,
        "sendmsg": 211,
        "sendmmsg": 269,
    },
}
UNIFIED = {  # the same numbers on every architecture
    "io_uring_setup": 425,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "pidfd_getfd": 438,
    "mount_setattr": 442,
}
DENIED = (
    "fork",
    "vfork",
    "execve",
    "execveat",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "unshare",
    "setns",
    *UNIFIED,
)
REFUSED = ("connect", "sendmsg", "sendmmsg")
"""Answered EACCES (see the module docstring)."""
LD_W_ABS, JEQ_K, JGE_K, JSET_K, RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
RET_ALLOW, RET_TRAP = 0x7FFF0000, 0x00030000
X32_SYSCALL_BIT = 0x40000000
CLONE_THREAD, AF_UNIX = 0x00010000, 1


def _errno(code: int) -> int:
    return 0x00050000 | code


class _Program(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_char_p))


def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def seccomp_program(machine: str) -> bytes | None:
    """The BPF filter for `machine` (see the module docstring), or None if unknown."""
    known = ARCHES.get(machine)
    if known is None:
        return None
    numbers = {**UNIFIED, **known}
    code: list[tuple[int, int, int, int]] = [
        (LD_W_ABS, 0, 0, 4),  # arch: another ABI (i386 on x86_64) gets nothing
        (JEQ_K, 1, 0, numbers["arch"]),
        (RET_K, 0, 0, RET_TRAP),
        (LD_W_ABS, 0, 0, 0),  # syscall number
    ]
    if machine == "x86_64":
        code += [(JGE_K, 0, 1, X32_SYSCALL_BIT), (RET_K, 0, 0, RET_TRAP)]
    for name in DENIED:
        if name in numbers:
            code += [(JEQ_K, 0, 1, numbers[name]), (RET_K, 0, 0, RET_TRAP)]
    code += [(JEQ_K, 0, 1, numbers["clone3"]), (RET_K, 0, 0, _errno(errno.ENOSYS))]
    for name in REFUSED:
        code += [(JEQ_K, 0, 1, numbers[name]), (RET_K, 0, 0, _errno(errno.EACCES))]
    code += _refuse_unless_zero(numbers["sendto"], 4, _errno(errno.EACCES))
    code += _check_arg(numbers["clone"], JSET_K, CLONE_THREAD)
    for name in ("socket", "socketpair"):
        code += _check_arg(numbers[name], JEQ_K, AF_UNIX)
    code.append((RET_K, 0, 0, RET_ALLOW))
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in code)


def _check_arg(number: int, test: int, value: int) -> list[tuple[int, int, int, int]]:
    """For syscall `number`: allow when args[0] passes `test` against `value`, else trap."""
    return [
        (JEQ_K, 0, 4, number),
        (LD_W_ABS, 0, 0, 16),  # low 32 bits of args[0]
        (test, 0, 1, value),
        (RET_K, 0, 0, RET_ALLOW),
        (RET_K, 0, 0, RET_TRAP),
    ]


def _refuse_unless_zero(number: int, index: int, action: int) -> list[tuple[int, int, int, int]]:
    """For syscall `number`: allow when args[index] is 0 (both halves), else `action`."""
    low = 16 + 8 * index
    return [
        (JEQ_K, 0, 6, number),
        (LD_W_ABS, 0, 0, low),
        (JEQ_K, 0, 3, 0),
        (LD_W_ABS, 0, 0, low + 4),
        (JEQ_K, 0, 1, 0),
        (RET_K, 0, 0, RET_ALLOW),
        (RET_K, 0, 0, action),
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
