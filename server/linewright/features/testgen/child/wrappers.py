"""The Python objects the sandbox guard replaces (`guard.Guard.install`), each refusal named:

- `socket.socket`: every family but AF_UNIX (asyncio's self-pipe needs that one);
- `os.environ` and `os.environb` (they share one dict): names that look like secrets;
- the `os` functions that take a directory descriptor (`dir_fd`, `src_dir_fd`,
  `dst_dir_fd`): the audit hook sees only the name relative to that descriptor, so the
  guard resolves it first (`Guard.check_at`);
- `signal.signal` for SIGSYS, the signal that reports a forbidden system call.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

SECRET_NAME = re.compile(
    r"secret|token|passw|pwd|api_?key|access_?key|private_?key|credential|auth|session|cookie",
    re.IGNORECASE,
)
AT_FUNCTIONS: dict[str, tuple[tuple[int, str, str], ...]] = {
    # name -> per path: (its position, its keyword, its directory descriptor's keyword)
    **{
        name: ((0, "path", "dir_fd"),)
        for name in (
            "open",
            "stat",
            "lstat",
            "access",
            "chmod",
            "chown",
            "mkdir",
            "mkfifo",
            "mknod",
            "readlink",
            "rmdir",
            "unlink",
            "remove",
            "utime",
        )
    },
    "symlink": ((1, "dst", "dir_fd"),),
    **{
        name: ((0, "src", "src_dir_fd"), (1, "dst", "dst_dir_fd"))
        for name in ("link", "rename", "replace")
    },
}
Violate = Callable[[str, str], PermissionError]
CheckAt = Callable[[str, int, Any, Any], None]


def socket_class(violate: Violate) -> type[socket.socket]:
    original = socket.socket

    class GuardedSocket(original):  # type: ignore[valid-type,misc]
        """`socket.socket` that refuses every family but AF_UNIX."""

        def __init__(self, family: Any = -1, type: Any = -1, proto: int = -1, fileno: Any = None):
            if fileno is None and family != socket.AF_UNIX:  # -1 means AF_INET here
                raise violate("network", "opened a network socket")
            super().__init__(family, type, proto, fileno)

    return GuardedSocket


def environ(base: Any, violate: Violate) -> Any:
    """A copy of `os.environ` or `os.environb` (over the same data) refusing secret names."""

    class GuardedEnviron(os._Environ):
        """An environment mapping refusing names that look like secrets."""

        def __getitem__(self, key: Any) -> Any:
            name = os.fsdecode(key) if isinstance(key, (str, bytes)) else ""
            if SECRET_NAME.search(name):
                raise violate("secret", f"read the environment variable {name}")
            return super().__getitem__(key)

    return GuardedEnviron(
        base._data, base.encodekey, base.decodekey, base.encodevalue, base.decodevalue
    )


def guard_at_functions(check_at: CheckAt) -> None:
    """Replace the `os` (and `posix`) functions that take directory descriptors."""
    modules = [m for m in (os, sys.modules.get("posix")) if m is not None]
    for name, places in AT_FUNCTIONS.items():
        original = getattr(os, name, None)
        if original is None:
            continue
        wrapper = _at_function(name, original, places, check_at)
        for module in modules:
            if getattr(module, name, None) is original:
                setattr(module, name, wrapper)
        for support in (
            os.supports_dir_fd,
            os.supports_fd,
            os.supports_follow_symlinks,
            os.supports_effective_ids,
        ):
            if original in support:
                support.add(wrapper)


def _at_function(
    name: str,
    original: Callable[..., Any],
    places: tuple[tuple[int, str, str], ...],
    check_at: CheckAt,
) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for index, keyword, fd_keyword in places:
            fd = kwargs.get(fd_keyword)
            if fd is not None:
                path = args[index] if index < len(args) else kwargs.get(keyword)
                flags = args[1] if name == "open" and len(args) > 1 else kwargs.get("flags")
                check_at(name, fd, path, flags)
        return original(*args, **kwargs)

    return wrapper


def guard_sigsys(violate: Violate) -> None:
    """Refuse a new SIGSYS handler: it would hide the report of a forbidden system call."""
    original = signal.signal

    @functools.wraps(original)
    def guarded(signalnum: Any, handler: Any) -> Any:
        if signalnum == getattr(signal, "SIGSYS", None):
            raise violate("signal", "changed the handler of SIGSYS (forbidden system calls)")
        return original(signalnum, handler)

    signal.signal = guarded
