"""Input values for a parameter, from its type hint, the literals in the function body and
the calls its docstring shows (`docstring_examples`). Deterministic: the same function gets the same
values every time, so derived tests are stable.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import Any

POOL_SIZE = 12
BASE: dict[str, list[Any]] = {
    "int": [0, 1, 2, 3, -1, 5, 10, 7, 100, -10, 4, 12],
    "float": [0.0, 1.5, -2.5, 3.0, 0.1, 10.0, 2.0, -1.0],
    "str": ["", "a", "abc", "Hello World", "aBc", "racecar", "hello world", "12345", "a1b2", " "],
    "bool": [True, False],
    "bytes": [b"", b"abc", b"\x00\xff"],
    "none": [None],
    "complex": [0j, 1 + 2j],
}
ANY = [0, 1, "a", [1, 2, 3], -1, "abc", 2.5, None, [], True, 10, "Hello World"]
ALIASES = {
    "List": "list",
    "Sequence": "list",
    "Iterable": "list",
    "Collection": "list",
    "MutableSequence": "list",
    "Iterator": "list",
    "Dict": "dict",
    "Mapping": "dict",
    "MutableMapping": "dict",
    "Tuple": "tuple",
    "Set": "set",
    "FrozenSet": "set",
    "frozenset": "set",
    "AbstractSet": "set",
    "Text": "str",
    "None": "none",
    "NoneType": "none",
}

Shape = tuple[Any, ...]
"""("int",), ("list", elem), ("tuple", elems, variadic), ("dict", key, value),
("set", elem), ("union", options), ("any",)."""


def shape_of(annotation: ast.expr | None) -> Shape:
    """What a type hint asks for; anything unknown is ("any",)."""
    if annotation is None:
        return ("any",)
    if isinstance(annotation, ast.Constant):
        if annotation.value is None:
            return ("none",)
        if isinstance(annotation.value, str):  # a forward reference
            try:
                return shape_of(ast.parse(annotation.value, mode="eval").body)
            except SyntaxError:
                return ("any",)
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return ("union", (shape_of(annotation.left), shape_of(annotation.right)))
    if isinstance(annotation, ast.Subscript):
        return _generic(_name(annotation.value), annotation.slice)
    name = _name(annotation)
    if name in BASE:
        return (name,)
    if name in ("list", "tuple", "set"):
        return (name, ("any",)) if name != "tuple" else ("tuple", (("any",),), True)
    if name == "dict":
        return ("dict", ("str",), ("any",))
    return ("any",)


def _name(node: ast.expr) -> str:
    raw = (
        node.id
        if isinstance(node, ast.Name)
        else node.attr
        if isinstance(node, ast.Attribute)
        else ""
    )
    return ALIASES.get(raw, raw)


def _generic(base: str, index: ast.expr) -> Shape:
    args = list(index.elts) if isinstance(index, ast.Tuple) else [index]
    shapes = [shape_of(a) for a in args if not (isinstance(a, ast.Constant) and a.value is ...)]
    if base in ("list", "set"):
        return (base, shapes[0] if shapes else ("any",))
    if base == "tuple":
        variadic = any(isinstance(a, ast.Constant) and a.value is ... for a in args)
        return ("tuple", tuple(shapes) or (("any",),), variadic)
    if base == "dict":
        return ("dict", *[*shapes, ("any",), ("any",)][:2])
    if base == "Optional":
        return ("union", (("none",), shapes[0] if shapes else ("any",)))
    if base == "Union":
        return ("union", tuple(shapes))
    return ("any",)


def shape_of_value(value: Any) -> Shape:
    """The shape of an example value (what its docstring shows the function taking)."""
    for name, kind in (
        ("bool", bool),
        ("int", int),
        ("float", float),
        ("str", str),
        ("bytes", bytes),
    ):
        if isinstance(value, kind):
            return (name,)
    if value is None:
        return ("none",)
    if isinstance(value, (list, set, frozenset)):
        inner = shape_of_value(next(iter(value))) if value else ("int",)
        return ("list" if isinstance(value, list) else "set", inner)
    if isinstance(value, tuple):
        return ("tuple", tuple(shape_of_value(v) for v in value), False)
    if isinstance(value, dict):
        key, item = next(iter(value.items()), ("a", 1))
        return ("dict", shape_of_value(key), shape_of_value(item))
    return ("any",)


def pool(shape: Shape, constants: dict[str, list[Any]], depth: int = 0) -> list[Any]:
    """Values of `shape`, the function's own literals among the first."""
    kind = shape[0]
    if kind in BASE:
        return unique(constants.get(kind, [])[:6] + BASE[kind])[:POOL_SIZE]
    if kind == "union":
        options = [pool(s, constants, depth) for s in shape[1]]
        mixed = [v for values in zip(*options, strict=False) for v in values] + [
            v for o in options for v in o
        ]
        return unique(mixed)[:POOL_SIZE]
    if depth >= 2 or kind == "any":
        return list(ANY) if kind == "any" and depth < 2 else [0, "a"]
    if kind in ("list", "set"):
        items = pool(shape[1], constants, depth + 1)
        rows = _collections(items)
        return unique([set(r) if kind == "set" else r for r in rows])
    if kind == "tuple":
        elements, variadic = shape[1], shape[2]
        if variadic:
            return [tuple(r) for r in _collections(pool(elements[0], constants, depth + 1))]
        pools = [pool(s, constants, depth + 1) for s in elements]
        return unique([tuple(p[(i + j) % len(p)] for j, p in enumerate(pools)) for i in range(6)])
    if kind == "dict":
        keys, items = pool(shape[1], constants, depth + 1), pool(shape[2], constants, depth + 1)
        maps = [
            dict(zip(keys[i : i + n], items[i + 1 : i + 1 + n], strict=False))
            for i, n in ((0, 0), (0, 1), (1, 2), (0, 3))
        ]
        return unique(maps)
    return list(ANY)


def _collections(items: list[Any]) -> list[list[Any]]:
    """Empty, one, several, reversed, with a repeat, longer: what loops and sorts care about."""
    a = items + items  # enough to slice from
    rows = [[], a[1:2], a[1:4], a[1:4][::-1], [a[2], a[2], a[3]], a[0:6], a[3:8]]
    return [list(r) for r in rows]


def unique(values: Iterable[Any]) -> list[Any]:
    seen: list[Any] = []
    for value in values:
        if not any(type(value) is type(s) and value == s for s in seen):
            seen.append(value)
    return seen


def constants(function: ast.AST) -> dict[str, list[Any]]:
    """Literals in the body by kind, with the neighbours of each int (off-by-one inputs)."""
    found: dict[str, list[Any]] = {"int": [], "float": [], "str": []}
    docstrings = {id(n.value) for n in ast.walk(function) if isinstance(n, ast.Expr)}
    for node in ast.walk(function):
        if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
            continue
        if id(node) in docstrings:
            continue
        value = node.value
        if isinstance(value, int) and abs(value) <= 10**6:
            found["int"] += [value, value - 1, value + 1]
        elif isinstance(value, float):
            found["float"].append(value)
        elif isinstance(value, str) and 0 < len(value) <= 30:
            found["str"].append(value)
    return {kind: unique(values) for kind, values in found.items()}


def docstring_examples(
    docstring: str | None, name: str, *, method: bool = False
) -> list[tuple[list[Any], dict[str, Any]]]:
    """Literal argument lists of the calls to `name` written in the docstring
    (`>>> f(1, 2)`, `f([1]) == 3`, `f("a") ➞ True`...)."""
    found: list[tuple[list[Any], dict[str, Any]]] = []
    before = r"(?<![\w])" if method else r"(?<![\w.])"
    for match in re.finditer(before + re.escape(name) + r"\s*\(", docstring or ""):
        text = docstring or ""
        end = _closing(text, match.end() - 1)
        if end is None:
            continue
        try:
            node = ast.parse(text[match.start() : end + 1], mode="eval").body
            assert isinstance(node, ast.Call)
            args = [ast.literal_eval(a) for a in node.args]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
        except (SyntaxError, ValueError, TypeError, AssertionError, MemoryError, RecursionError):
            continue
        if (args, kwargs) not in found:
            found.append((args, kwargs))
    return found


def _closing(text: str, open_index: int) -> int | None:
    """Index of the parenthesis closing the one at `open_index` (quotes respected)."""
    depth, quote = 0, ""
    for index in range(open_index, min(len(text), open_index + 5000)):
        char = text[index]
        if quote:
            quote = "" if char == quote and text[index - 1] != "\\" else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return index
    return None
