"""What a kept test may import and reach (`safety.py` checks against it): the module under
test, pytest, and standard-library modules that compute and do not reach out.

A module in `WHOLE` may be used with any public attribute but those in `EXCEPT`; a module
in `PARTIAL` only with the attributes listed. Anything else (a module not named here, an
attribute not listed, a private `_name`) is not proven safe and the test is dropped.
Left out on purpose: whatever resolves a string to an object or code (`importlib`,
`pkgutil`, `pydoc`, `timeit`, `inspect`, `gc`, `typing.get_type_hints`, `string.Formatter`,
`logging.config`), runs or reaches processes, files or the network (`os` but `os.path`,
`subprocess`, `shutil`, `tempfile`, `socket`), native code (`ctypes`), and pickles.
"""

from __future__ import annotations

import ast

WHOLE = frozenset(
    {"math", "cmath", "re", "itertools", "functools", "collections", "collections.abc",
     "fractions", "decimal", "dataclasses", "enum", "statistics", "heapq", "bisect", "copy",
     "numbers", "random", "textwrap", "unicodedata", "datetime", "calendar", "time", "json",
     "array", "struct", "base64", "binascii", "hashlib", "hmac", "zlib", "abc", "difflib",
     "reprlib", "operator", "contextlib", "warnings", "keyword", "secrets", "pprint",
     "typing", "pathlib", "os.path", "pytest", "zoneinfo", "uuid", "string", "ipaddress",
     "graphlib", "locale", "html", "codecs", "csv", "weakref", "errno"}
)  # fmt: skip
EXCEPT: dict[str, frozenset[str]] = {
    "typing": frozenset({"get_type_hints", "ForwardRef", "evaluate_forward_ref"}),
    "contextlib": frozenset({"chdir"}),
    "string": frozenset({"Formatter"}),
    "uuid": frozenset({"uuid1", "getnode"}),  # may run a program to find the MAC address
    "locale": frozenset({"setlocale"}),
    "codecs": frozenset({"open", "register", "lookup"}),
    "pytest": frozenset({"main", "register_assert_rewrite", "importorskip"}),
    "csv": frozenset(),
    "time": frozenset({"tzset"}),
}
PARTIAL: dict[str, frozenset[str]] = {
    "os": frozenset(
        {"path", "sep", "linesep", "curdir", "pardir", "extsep", "altsep", "pathsep", "name",
         "fspath", "fsencode", "fsdecode", "PathLike", "getcwd", "listdir", "scandir", "walk",
         "stat", "lstat", "cpu_count", "getpid", "strerror", "devnull"}
    ),
    "sys": frozenset(
        {"maxsize", "maxunicode", "version", "version_info", "platform", "byteorder",
         "float_info", "int_info", "hash_info", "float_repr_style", "implementation",
         "getrecursionlimit", "getsizeof", "getdefaultencoding", "getfilesystemencoding",
         "exc_info", "exception", "stdout", "stderr", "hexversion"}
    ),
    "types": frozenset(
        {"SimpleNamespace", "MappingProxyType", "GeneratorType", "CoroutineType",
         "AsyncGeneratorType", "MethodType", "BuiltinFunctionType", "NoneType", "GenericAlias",
         "UnionType"}
    ),
    "io": frozenset(
        {"StringIO", "BytesIO", "TextIOWrapper", "BufferedReader", "IOBase", "TextIOBase",
         "UnsupportedOperation", "open", "SEEK_SET", "SEEK_CUR", "SEEK_END"}
    ),
    "asyncio": frozenset(
        {"run", "gather", "sleep", "wait_for", "wait", "create_task", "ensure_future",
         "get_event_loop", "new_event_loop", "get_running_loop", "set_event_loop", "Queue",
         "LifoQueue", "PriorityQueue", "QueueEmpty", "QueueFull", "Event", "Lock", "Semaphore",
         "BoundedSemaphore", "Condition", "Barrier", "TimeoutError", "CancelledError",
         "InvalidStateError", "iscoroutinefunction", "iscoroutine", "isfuture", "Future", "Task",
         "timeout", "shield", "as_completed", "all_tasks", "current_task", "Runner", "TaskGroup",
         "FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED"}
    ),
    "unittest": frozenset({"mock", "TestCase", "SkipTest", "skip", "skipIf", "expectedFailure"}),
    "unittest.mock": frozenset(
        {"Mock", "MagicMock", "AsyncMock", "NonCallableMock", "NonCallableMagicMock",
         "PropertyMock", "call", "ANY", "sentinel", "DEFAULT", "patch", "create_autospec",
         "mock_open", "seal"}
    ),
    "threading": frozenset(
        {"Thread", "Lock", "RLock", "Event", "Condition", "Semaphore", "BoundedSemaphore",
         "Barrier", "Timer", "current_thread", "get_ident", "active_count", "main_thread",
         "local"}
    ),
    "concurrent": frozenset({"futures"}),
    "concurrent.futures": frozenset(
        {"ThreadPoolExecutor", "Future", "as_completed", "wait", "TimeoutError",
         "FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED", "CancelledError"}
    ),
    "logging": frozenset(
        {"getLogger", "DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "NOTSET",
         "Logger", "LogRecord", "getLevelName", "disable", "captureWarnings", "Handler",
         "Formatter", "LoggerAdapter", "NullHandler", "StreamHandler", "Filter"}
    ),
}  # fmt: skip
HARMLESS_DUNDERS = frozenset({"__name__", "__doc__", "__version__", "__qualname__"})


def module_allowed(module: str) -> bool:
    """Whether `import module` (dotted) is allowed (the module under test aside)."""
    return module in WHOLE or module in PARTIAL


def attribute_allowed(module: str, attr: str) -> bool:
    """Whether `module.attr` (an attribute or a submodule) is allowed."""
    if attr.startswith("_") and attr not in HARMLESS_DUNDERS:
        return False
    if module_allowed(f"{module}.{attr}") and attr in PARTIAL.get(module, {attr}):
        return True
    if module in WHOLE:
        return attr not in EXCEPT.get(module, frozenset())
    return attr in PARTIAL.get(module, frozenset())


def foreign_names(source: str) -> set[str]:
    """Names a module's code binds to modules (or their attributes) that are not allowed,
    e.g. `sp` for `import subprocess as sp`: a test may not reach them through it."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not module_allowed(alias.name):
                    found.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                allowed = module_allowed(node.module) and attribute_allowed(node.module, alias.name)
                if not allowed:
                    found.add(alias.asname or alias.name)
    return found
