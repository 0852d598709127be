"""Which path expressions in a test stay inside pytest's temporary folder: the safety review
(`safety`) lets a test write there and nowhere else.

Rooted: a tmp fixture parameter (`tmp_path`, `tmpdir` and their factories, unless the test's
preamble defines a fixture of that name), `root / part`, `root.joinpath(part, ...)`,
`os.path.join(root, part, ...)`, `str(root)`, `Path(root)`, `f"{root}/..."`, a few
methods that stay in place (`mktemp`, `resolve`, `with_suffix`), and a name bound only to
rooted paths. A part is a literal that neither climbs out (`..`) nor starts over (`/etc`,
`C:`, `~`), an f-string of such, or a name bound only to parts (or looping over a literal
list of them, or over `range`). Anything else, a parametrized name included, is not trusted.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

FIXTURES = frozenset({"tmp_path", "tmpdir", "tmp_path_factory", "tmpdir_factory"})
METHODS = frozenset(
    {"joinpath", "join", "mktemp", "mkdir", "getbasetemp", "resolve", "absolute", "with_suffix"}
)
FUNCTIONS = frozenset({"join", "str", "fspath", "Path", "PurePath", "PosixPath", "local"})
ROOT = re.compile(r"^([/\\~]|[A-Za-z]:)")
CLIMB = re.compile(r"(^|[/\\])\.\.($|[/\\])")

Binding = tuple[str, ast.expr | None]
"""How a name gets a value: ("value", expr), ("each", iterable), ("fixture" | "other", None)."""


class TmpPaths:
    """Rooted paths and safe parts in one test function."""

    def __init__(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, overridden: set[str]
    ) -> None:
        bindings = _bindings(function, FIXTURES - overridden)
        self.parts: set[str] = set()
        self.tmp: set[str] = set()
        _grow(self.parts, bindings, self.part, tmp=False)
        _grow(self.tmp, bindings, self.rooted, tmp=True)

    def rooted(self, node: ast.expr | None) -> bool:
        """A path inside a tmp fixture's folder."""
        if isinstance(node, ast.Name):
            return node.id in self.tmp
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return self.rooted(node.left) and self.part(node.right)
        if isinstance(node, ast.JoinedStr) and node.values:
            head, rest = node.values[0], node.values[1:]
            return (
                isinstance(head, ast.FormattedValue)
                and head.conversion == -1
                and head.format_spec is None
                and self.rooted(head.value)
                and not CLIMB.search(_text(rest))
                and all(self.part(v) for v in rest if isinstance(v, ast.FormattedValue))
            )
        if not isinstance(node, ast.Call) or node.keywords:
            return False
        func, args = node.func, node.args
        if isinstance(func, ast.Attribute) and func.attr in METHODS and self.rooted(func.value):
            return all(self.part(a) for a in args)
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return (
            name in FUNCTIONS
            and bool(args)
            and self.rooted(args[0])
            and all(self.part(a) for a in args[1:])
        )

    def part(self, node: ast.expr | None) -> bool:
        """A relative path part that cannot climb out or start over."""
        if isinstance(node, ast.Constant):
            value = node.value
            return isinstance(value, int) or (isinstance(value, str) and _relative(value))
        if isinstance(node, ast.FormattedValue):
            return node.format_spec is None and self.part(node.value)
        if isinstance(node, ast.JoinedStr):
            return _relative(_text(node.values)) and all(
                self.part(v) for v in node.values if isinstance(v, ast.FormattedValue)
            )
        return isinstance(node, ast.Name) and node.id in self.parts


def _relative(text: str) -> bool:
    return not ROOT.search(text) and not CLIMB.search(text)


def _text(values: list[ast.expr]) -> str:
    """An f-string's literal text, each formatted value standing in as `x`."""
    return "".join(str(v.value) if isinstance(v, ast.Constant) else "x" for v in values)


def _bindings(
    function: ast.FunctionDef | ast.AsyncFunctionDef, fixtures: frozenset[str]
) -> dict[str, list[Binding]]:
    """Every way each name in the function gets a value."""
    found: dict[str, list[Binding]] = {}
    spec = function.args
    params = [*spec.posonlyargs, *spec.args, *spec.kwonlyargs, spec.vararg, spec.kwarg]
    for param in params:
        if param is not None:
            kind = "fixture" if param.arg in fixtures else "other"
            found.setdefault(param.arg, []).append((kind, None))
    for node in ast.walk(function):
        pairs: list[tuple[ast.expr, Binding]] = []
        if isinstance(node, ast.Assign):
            pairs = [(t, ("value", node.value)) for t in node.targets]
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            pairs = [(node.target, ("value", node.value))]
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            pairs = [(node.target, ("each", node.iter))]
        for target, binding in pairs:
            plain = isinstance(target, ast.Name)
            for name in (n for n in ast.walk(target) if isinstance(n, ast.Name)):
                found.setdefault(name.id, []).append(binding if plain else ("other", None))
        for other in _other_bindings(node, params, found):
            found.setdefault(other, []).append(("other", None))
    return found


def _other_bindings(
    node: ast.AST, params: list[ast.arg | None], found: dict[str, list[Binding]]
) -> list[str]:
    """Names `node` binds to something unknown: `with ... as`, `except ... as`, `+=`,
    `global`, a nested function's or lambda's parameter."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id not in found:
        return [node.id]  # parents come first in ast.walk: Assign and For have been seen
    if isinstance(node, ast.arg) and all(node is not p for p in params):
        return [node.arg]
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return list(node.names)
    if isinstance(node, ast.ExceptHandler) and node.name:
        return [node.name]
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _grow(
    names: set[str],
    bindings: dict[str, list[Binding]],
    test: Callable[[ast.expr | None], bool],
    tmp: bool,
) -> None:
    """Add the names whose every binding passes `test` (given the names so far), to a
    fixpoint. `tmp`: the tmp fixtures count, and looping over `range` does not."""

    def accepts(kind: str, node: ast.expr | None) -> bool:
        if kind == "value":
            return test(node)
        if kind == "each" and isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return all(test(e) for e in node.elts)
        if kind == "each":
            return (
                not tmp and isinstance(node, ast.Call) and getattr(node.func, "id", "") == "range"
            )
        return tmp and kind == "fixture"

    grown = True
    while grown:
        grown = False
        for name, ways in bindings.items():
            if name not in names and all(accepts(*way) for way in ways):
                names.add(name)
                grown = True
