"""unittest-style test classes -> plain pytest functions, where that is mechanical.

A `test_*` method converts when, after `self.assertEqual(a, b)` and friends become plain
`assert`s and `self.assertRaises` becomes `pytest.raises`, it no longer uses `self`
(fixtures from `setUp` do not carry over). The others are reported with the reason.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

Build = Callable[[list[ast.expr]], ast.expr]


def _compare(op: ast.cmpop) -> Build:
    return lambda a: ast.Compare(a[0], [op], [a[1]])


ASSERTS: dict[str, tuple[int, Build]] = {
    "assertEqual": (2, _compare(ast.Eq())),
    "assertEquals": (2, _compare(ast.Eq())),
    "assertNotEqual": (2, _compare(ast.NotEq())),
    "assertIs": (2, _compare(ast.Is())),
    "assertIsNot": (2, _compare(ast.IsNot())),
    "assertIn": (2, _compare(ast.In())),
    "assertNotIn": (2, _compare(ast.NotIn())),
    "assertGreater": (2, _compare(ast.Gt())),
    "assertGreaterEqual": (2, _compare(ast.GtE())),
    "assertLess": (2, _compare(ast.Lt())),
    "assertLessEqual": (2, _compare(ast.LtE())),
    "assertTrue": (1, lambda a: a[0]),
    "assertFalse": (1, lambda a: ast.UnaryOp(ast.Not(), a[0])),
    "assertIsNone": (1, lambda a: ast.Compare(a[0], [ast.Is()], [ast.Constant(None)])),
    "assertIsNotNone": (1, lambda a: ast.Compare(a[0], [ast.IsNot()], [ast.Constant(None)])),
    "assertIsInstance": (2, lambda a: ast.Call(ast.Name("isinstance"), a[:2], [])),
    "assertAlmostEqual": (
        2,
        lambda a: ast.Compare(a[0], [ast.Eq()], [ast.Call(_pytest("approx"), [a[1]], [])]),
    ),
}


def _pytest(name: str) -> ast.expr:
    return ast.Attribute(ast.Name("pytest"), name)


def _self_call(node: ast.AST) -> tuple[str, list[ast.expr], list[ast.keyword]] | None:
    """`self.<name>(args...)` -> (name, args, keywords)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        owner = node.func.value
        if isinstance(owner, ast.Name) and owner.id == "self":
            return node.func.attr, node.args, node.keywords
    return None


class _Rewrite(ast.NodeTransformer):
    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        call = _self_call(node.value)
        if call is None:
            return self.generic_visit(node)
        name, args, keywords = call
        if name in ASSERTS and len(args) >= ASSERTS[name][0]:
            count, build = ASSERTS[name]
            message = args[count] if len(args) > count else None
            message = next((k.value for k in keywords if k.arg == "msg"), message)
            return ast.Assert(build(list(args)), message)
        if name == "assertRaises" and len(args) >= 2:
            function, *rest = args[1:]
            raises = ast.Call(_pytest("raises"), [args[0]], [])
            body = ast.Expr(ast.Call(function, rest, keywords))
            return ast.With([ast.withitem(raises)], [body])
        return node

    def visit_withitem(self, node: ast.withitem) -> ast.AST:
        call = _self_call(node.context_expr)
        if call is not None and call[0] in ("assertRaises", "assertRaisesRegex") and call[1]:
            node.context_expr = ast.Call(_pytest("raises"), call[1][:1], [])
        return node


def convert_class(
    node: ast.ClassDef,
) -> tuple[list[ast.FunctionDef | ast.AsyncFunctionDef], list[tuple[str, str]]]:
    """(converted test functions, [(method name, why not)])."""
    converted: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    failed: list[tuple[str, str]] = []
    for method in node.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if not method.name.startswith("test"):
            continue
        body = [_Rewrite().visit(statement) for statement in method.body]
        function = ast.parse(ast.unparse(method)).body[0]
        assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        function.body, function.decorator_list = body, []
        function.args = ast.arguments([], [], None, [], [], None, [])
        ast.fix_missing_locations(function)
        if any(isinstance(n, ast.Name) and n.id == "self" for n in ast.walk(function)):
            failed.append((method.name, "a unittest method that uses the test class's state"))
        else:
            converted.append(function)
    return converted, failed
