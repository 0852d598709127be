"""The FLAG dev corpus: real, correct functions with one injected single-line bug each.

Python: functions and methods (6-40 lines) from pure-Python modules of the running
interpreter's standard library (`PY_MODULES`; missing ones are skipped). C: the functions in
`tests/bench/flag_c/*.c` (written for this corpus; `gcc -fsyntax-only` clean). Each sample is
a small file: the module's imports (C: its `#include`s and type definitions), then the
function (a method keeps its class line). `flag_mutants` injects one bug; the untouched text
is the "fixed" version, the false-positive control. Samples are split into dev (tuning)
and test (reporting) halves by a hash of their id, so the split never depends on the seed.

Run `python tests/bench/flag_corpus.py --python 5 --c 2` to print a few samples.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import pathlib
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # run as a script too

from linewright.core.syntax.languages import language_named, parser_for
from linewright.features.anomalies.select import select_lines
from tests.bench.flag_mutants import mutate

C_DIR = pathlib.Path(__file__).with_name("flag_c")
PY_MODULES = (
    "textwrap", "heapq", "bisect", "statistics", "fractions", "colorsys", "shlex", "difflib",
    "calendar", "fnmatch", "posixpath", "base64", "csv", "ipaddress", "random", "functools",
    "copy", "pprint", "reprlib", "gettext", "tokenize", "argparse", "configparser", "shutil",
    "tempfile", "filecmp", "netrc", "mimetypes", "sched", "queue", "string", "quopri",
    "json.encoder", "json.decoder", "urllib.parse", "email.utils", "html", "zipfile",
    "tarfile", "wave", "plistlib", "graphlib", "dataclasses", "enum", "inspect", "ast",
)  # fmt: skip
MIN_LINES, MAX_LINES = 6, 40
C_PRELUDE_TYPES = ("struct_specifier", "type_definition", "preproc_include")


@dataclass(frozen=True)
class Sample:
    """One function with one injected bug."""

    id: str
    language: str
    fixed: str
    buggy: str
    line: int
    """0-based line of the bug (the same line number in both versions)."""
    operator: str
    split: str
    start: int
    """0-based first line of the function (the lines above are its file's prelude)."""

    @property
    def suffix(self) -> str:
        """File extension."""
        return ".py" if self.language == "python" else ".c"


@dataclass(frozen=True)
class _Function:
    id: str
    prelude: str
    text: str


def _split(sample_id: str) -> str:
    return "dev" if hashlib.sha256(sample_id.encode()).digest()[0] % 2 == 0 else "test"


def _lines(source: bytes, node: Node) -> str:
    start = source.rfind(b"\n", 0, node.start_byte) + 1
    return source[start : node.end_byte].decode()


def python_functions() -> Iterator[_Function]:
    """Functions and methods of `PY_MODULES`, in a fixed order."""
    parser = parser_for(language_named("python"))  # type: ignore[arg-type]
    for module in PY_MODULES:
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            continue
        source = pathlib.Path(spec.origin).read_bytes()
        root = parser.parse(source).root_node
        imports = [
            _lines(source, n)
            for n in root.children
            if n.type in ("import_statement", "import_from_statement")
        ]
        prelude = "\n".join(imports) + "\n\n\n" if imports else ""
        for node in root.children:
            yield from _python_defs(module, source, node, prelude, None)


def _python_defs(
    module: str, source: bytes, node: Node, prelude: str, cls: Node | None
) -> Iterator[_Function]:
    if node.type == "decorated_definition":
        node = node.child_by_field_name("definition") or node
    if node.type == "class_definition" and cls is None:
        body = node.child_by_field_name("body")
        for child in body.children if body else []:
            yield from _python_defs(module, source, child, prelude, node)
    elif node.type == "function_definition":
        name = (node.child_by_field_name("name") or node).text or b""
        rows = node.end_point[0] - node.start_point[0] + 1
        if MIN_LINES <= rows <= MAX_LINES:
            head = _lines(source, cls).split("\n", 1)[0] + "\n" if cls is not None else ""
            owner = f"{(cls.child_by_field_name('name') or cls).text.decode()}." if cls else ""  # type: ignore[union-attr]
            yield _Function(
                f"python:{module}:{owner}{name.decode()}", prelude, head + _lines(source, node)
            )


def c_functions() -> Iterator[_Function]:
    """Functions of `flag_c/*.c`, with their file's includes and type definitions."""
    parser = parser_for(language_named("c"))  # type: ignore[arg-type]
    for path in sorted(C_DIR.glob("*.c")):
        source = path.read_bytes()
        root = parser.parse(source).root_node
        prelude_parts = [
            _lines(source, n)
            for n in root.children
            if n.type in C_PRELUDE_TYPES
            or (n.type == "declaration" and b"struct" in (n.text or b""))
        ]
        prelude = "\n".join(prelude_parts) + "\n\n"
        for node in root.children:
            if node.type != "function_definition":
                continue
            declarator = node.child_by_field_name("declarator")
            while declarator is not None and declarator.type != "function_declarator":
                declarator = declarator.child_by_field_name("declarator")
            name = declarator.child_by_field_name("declarator") if declarator else None
            label = (name.text or b"?").decode() if name else "?"
            yield _Function(f"c:{path.stem}:{label}", prelude, _lines(source, node))


def make_sample(function: _Function, language: str, seed: int) -> Sample | None:
    """`function` with one bug on a line the scanner looks at, or None when none fits."""
    spec = language_named(language)
    assert spec is not None
    parser = parser_for(spec)
    fixed = function.prelude + function.text
    source = fixed.encode()
    tree = parser.parse(source)
    if tree.root_node.has_error:
        return None
    scanned = {
        line.number
        for line in select_lines(fixed, tree, spec, max_line_chars=240, duplicate_similarity=0.9)
    }
    func = _last_function(tree.root_node)
    if func is None:
        return None
    body = {row for row in scanned if row > func.start_point[0]}
    rng = random.Random(f"{seed}:{function.id}")
    for edit in mutate(func, body, language, rng):
        buggy = edit.apply(source)
        if buggy == source or parser.parse(buggy).root_node.has_error:
            continue
        line = source[: edit.start].count(b"\n")
        return Sample(
            function.id,
            language,
            fixed,
            buggy.decode(),
            line,
            edit.operator,
            _split(function.id),
            func.start_point[0],
        )
    return None


def _last_function(root: Node) -> Node | None:
    found = None
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            if found is None or node.start_byte > found.start_byte:
                found = node
            continue
        stack.extend(node.children)
    return found


def build(python: int, c: int, seed: int = 0) -> list[Sample]:
    """Up to `python` + `c` samples, functions drawn at random (with `seed`) from all."""
    out: list[Sample] = []
    for language, functions, wanted in (
        ("python", list(python_functions()), python),
        ("c", list(c_functions()), c),
    ):
        random.Random(seed).shuffle(functions)
        picked = 0
        for function in functions:
            if picked >= wanted:
                break
            sample = make_sample(function, language, seed)
            if sample is not None:
                out.append(sample)
                picked += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", type=int, default=5)
    parser.add_argument("--c", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for sample in build(args.python, args.c, args.seed):
        fixed = sample.fixed.split("\n")[sample.line]
        buggy = sample.buggy.split("\n")[sample.line]
        print(f"{sample.id} [{sample.split}] {sample.operator} line {sample.line + 1}")
        print(f"  - {fixed.strip()}\n  + {buggy.strip()}")


if __name__ == "__main__":
    main()
