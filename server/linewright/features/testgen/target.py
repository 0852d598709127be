"""The function or method under test: found with tree-sitter at the cursor, described with
what the prompts, the input derivation and the test runner need.

Python only for now: other languages get a `TestgenError`. Supporting one means a finder
here, a derivation of inputs and a runner for its test framework.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node, Tree

from linewright.core.syntax.languages import LanguageSpec
from linewright.core.syntax.nodes import Definition, definitions, definitions_at, import_ranges
from linewright.features.testgen.layout import module_name, project_root
from linewright.features.testgen.records import TestgenError

MAX_HELPERS = 3
HELPER_CHARS = 1500


@dataclass(frozen=True)
class Target:
    """A function or method to test, and its context."""

    name: str
    class_name: str | None
    kind: str
    """"function", "method", "staticmethod" or "classmethod"."""
    module: str
    """Dotted import path, from the workspace layout."""
    path: Path
    sys_path_root: Path
    """The `sys.path` entry `module` is importable from."""
    root: Path
    """The project (workspace) folder."""
    text: str
    """The whole module as the editor holds it."""
    source: str
    """The definition with its decorators, dedented, with "\\n" line breaks (like every
    piece of code here but `text`)."""
    signature: str
    docstring: str | None
    imports: tuple[str, ...]
    helpers: tuple[str, ...]
    """Same-file definitions the target calls (module functions, sibling methods)."""
    class_context: str | None
    """For methods: the class header and its `__init__`."""
    def_line: int
    """1-based line of the `def`."""
    last_line: int
    is_async: bool
    is_generator: bool

    @property
    def qualname(self) -> str:
        """`Class.method` or `function`."""
        return f"{self.class_name}.{self.name}" if self.class_name else self.name

    @property
    def import_name(self) -> str:
        """What a test imports: the class for methods, else the function."""
        return self.class_name or self.name

    @property
    def import_line(self) -> str:
        """`from module import name`."""
        return f"from {self.module} import {self.import_name}"

    def function_ast(self) -> ast.FunctionDef | ast.AsyncFunctionDef:
        """The definition, parsed by Python's own parser."""
        node = ast.parse(self.source).body[0]
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        return node


def find_target(
    tree: Tree | None,
    spec: LanguageSpec | None,
    byte_offset: int,
    path: Path,
    text: str,
    workspace: Path | None = None,
) -> Target:
    """The function or method at `byte_offset`; raises `TestgenError` when there is none.

    A cursor in a nested function picks the importable function around it.
    """
    if spec is None or spec.name != "python" or tree is None:
        raise TestgenError("test generation supports Python files only, for now")
    chain = definitions_at(tree, byte_offset, spec)
    function, owner = _importable(chain)
    root = project_root(path, workspace)
    module, sys_path_root = module_name(path, root)
    source = _dedented(_with_decorators(function.node), text)
    parsed = _parsed(source, function.name_text)
    return Target(
        name=parsed.name,
        class_name=owner.name_text if owner else None,
        kind=_kind(parsed, owner),
        module=module,
        path=path,
        sys_path_root=sys_path_root,
        root=root,
        text=text,
        source=source,
        signature=_lf(function.header),
        docstring=ast.get_docstring(parsed),
        imports=_imports(tree, spec),
        helpers=_helpers(tree, spec, parsed, owner, text),
        class_context=_class_context(owner, text) if owner else None,
        def_line=function.node.start_point[0] + 1,
        last_line=function.node.end_point[0] + 1,
        is_async=isinstance(parsed, ast.AsyncFunctionDef),
        is_generator=_yields(parsed),
    )


def name_at(tree: Tree | None, spec: LanguageSpec | None, byte_offset: int) -> str | None:
    """`Class.method` or `function` testable at `byte_offset`, or None: a tree lookup only
    (no file access), cheap enough for every code action request."""
    if spec is None or spec.name != "python" or tree is None:
        return None
    try:
        function, owner = _importable(definitions_at(tree, byte_offset, spec))
    except TestgenError:
        return None
    name = function.name_text or "?"
    return f"{owner.name_text}.{name}" if owner else name


def _parsed(source: str, name: str | None) -> ast.FunctionDef | ast.AsyncFunctionDef:
    try:
        parsed = ast.parse(source).body[0]
    except SyntaxError as exc:
        raise TestgenError(f"`{name}` does not parse: {exc.msg}") from exc
    assert isinstance(parsed, (ast.FunctionDef, ast.AsyncFunctionDef))
    return parsed


def _importable(chain: list[Definition]) -> tuple[Definition, Definition | None]:
    """(function, class or None): a module-level function or a method of a module-level
    class, from the definitions around the cursor (outermost first)."""
    if not chain or not _at_module_level(chain[0].node):
        raise TestgenError("put the cursor inside a function or a method")
    first = chain[0]
    if first.node.type == "function_definition":
        return first, None
    if len(chain) > 1 and chain[1].node.type == "function_definition":
        return chain[1], first
    raise TestgenError(f"put the cursor inside a method of `{first.name_text}`")


def _at_module_level(node: Node) -> bool:
    parent = node.parent
    if parent is not None and parent.type == "decorated_definition":
        parent = parent.parent
    return parent is not None and parent.type == "module"


def _with_decorators(node: Node) -> Node:
    parent = node.parent
    return parent if parent is not None and parent.type == "decorated_definition" else node


def _dedented(node: Node, text: str) -> str:
    """The node's text as a top-level block with "\\n" line breaks.

    Its first line lacks the indentation, so it gets the file's own (spaces or tabs: a
    tab-indented body under a space-padded first line has no common margin). "\\r" goes
    first: `dedent` reads a blank "\\r" line as an unindented one.
    """
    raw = _lf((node.text or b"").decode("utf-8", "replace"))
    return textwrap.dedent(_indent_before(node, text) + raw) + "\n"


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _indent_before(node: Node, text: str) -> str:
    """The whitespace left of `node` on its line in `text` (spaces if that is not blank)."""
    row, column = node.start_point  # tree-sitter rows end at \n; columns count bytes
    lines = text.split("\n", row + 1)
    lead = lines[row][:column] if row < len(lines) else ""
    return lead if len(lead) == column and not lead.strip(" \t") else " " * column


def _kind(function: ast.FunctionDef | ast.AsyncFunctionDef, owner: Definition | None) -> str:
    if owner is None:
        return "function"
    names = {d.id for d in function.decorator_list if isinstance(d, ast.Name)}
    for kind in ("staticmethod", "classmethod"):
        if kind in names:
            return kind
    return "method"


def _yields(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the function itself (not a nested one) yields."""
    todo: list[ast.AST] = list(function.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))
    return False


def _imports(tree: Tree, spec: LanguageSpec) -> tuple[str, ...]:
    source = tree.root_node.text or b""
    found = []
    for start, end in import_ranges(tree, spec, max_depth=1):
        if start == 0 or source[start - 1 : start] == b"\n":  # top level only
            found.append(_lf(source[start:end].decode("utf-8", "replace")))
    return tuple(found)


def _helpers(
    tree: Tree,
    spec: LanguageSpec,
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    owner: Definition | None,
    text: str,
) -> tuple[str, ...]:
    """Sources of same-file definitions the function calls: module-level functions and
    classes called by name, and (for methods) sibling methods called via `self`/`cls`."""
    module = _scope_names(tree, spec, tree.root_node)
    siblings = _scope_names(tree, spec, owner.node) if owner else {}
    own = siblings if owner else module  # where a call of `function.name` is recursion
    skip = owner.name_text if owner else None  # the class itself is in `class_context`
    found: list[str] = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Call) or len(found) >= MAX_HELPERS:
            continue
        func, scope, name = node.func, module, None
        if isinstance(func, ast.Name):
            name = func.id
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            scope, name = siblings, func.attr if func.value.id in ("self", "cls") else None
        if name is None or name not in scope or (scope is module and name == skip):
            continue
        if not (scope is own and name == function.name):
            source = _dedented(_with_decorators(scope[name].node), text)[:HELPER_CHARS]
            found += [source] if source not in found else []
    return tuple(found)


def _scope_names(tree: Tree, spec: LanguageSpec, scope: Node) -> dict[str | None, Definition]:
    """The definitions directly in `scope` (the module or a class body), by name."""
    return {
        d.name_text: d
        for d in definitions(tree, spec, byte_range=scope.byte_range)
        if _directly_in(d.node, scope)
    }


def _directly_in(node: Node, scope: Node) -> bool:
    parent = _with_decorators(node).parent
    if scope.type == "module":
        return parent is not None and parent.type == "module"
    return parent is not None and parent.parent is not None and parent.parent.id == scope.id


def _class_context(owner: Definition, text: str) -> str:
    """`class X(Base):` plus its `__init__`, if it has one, indented with four spaces as
    the prompt shows methods (the header alone does not parse: it has no body)."""
    body = owner.node.child_by_field_name("body")
    parts = [_lf(owner.header)]
    for child in body.named_children if body else ():
        function = (
            child.child_by_field_name("definition")
            if child.type == "decorated_definition"
            else child
        )
        name = function.child_by_field_name("name") if function is not None else None
        if name is not None and name.text == b"__init__":
            parts.append(textwrap.indent(_dedented(child, text), "    ").rstrip())
    return "\n".join(parts) + "\n"
