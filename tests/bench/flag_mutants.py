"""Single-line bug injection for the FLAG dev corpus: mutation operators over tree-sitter.

Operators (one edit, on one line, the result must still parse): wrong operator, off-by-one
(strict/non-strict comparison, an integer one off), swapped arguments, wrong variable (a
local name replaced by another local of the same function), negated condition, wrong
constant (booleans, small integers). Works for Python and C; `mutate` picks an operator
uniformly among those that apply to the function, then a site uniformly.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

SWAPS = {
    "+": "-", "-": "+", "*": "/", "/": "*", "//": "/", "%": "*", "&": "|", "|": "&",
    "<<": ">>", ">>": "<<", "and": "or", "or": "and", "&&": "||", "||": "&&",
    "==": "!=", "!=": "==", "<": ">", ">": "<", "<=": ">=", ">=": "<=",
    "+=": "-=", "-=": "+=", "*=": "/=", "/=": "*=", "|=": "&=", "&=": "|=",
    "++": "--", "--": "++", "in": "not in", "not in": "in", "is": "is not", "is not": "is",
}  # fmt: skip
OFF_BY_ONE = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
OPERATOR_PARENTS = {
    "binary_operator", "boolean_operator", "comparison_operator", "augmented_assignment",
    "binary_expression", "assignment_expression", "update_expression",
}  # fmt: skip
NEGATIONS = {
    "==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">",
    "is": "is not", "is not": "is", "in": "not in", "not in": "in",
}  # fmt: skip
CONDITIONS = {"if_statement", "elif_clause", "while_statement"}
INTEGERS = {"integer", "number_literal"}
BOOLEANS = {"true": "false", "false": "true", "True": "False", "False": "True"}


@dataclass(frozen=True)
class Edit:
    """Replace bytes [start, end) of the source with `text`."""

    operator: str
    start: int
    end: int
    text: str

    def apply(self, source: bytes) -> bytes:
        """The mutated source."""
        return source[: self.start] + self.text.encode() + source[self.end :]


def walk(node: Node) -> Iterator[Node]:
    """Every node under `node` (itself included), in document order."""
    yield node
    for child in node.children:
        yield from walk(child)


def _text(node: Node) -> str:
    return (node.text or b"").decode()


def _operator_edits(node: Node) -> Iterator[Edit]:
    if node.parent is None or node.parent.type not in OPERATOR_PARENTS or node.is_named:
        return
    op = _text(node)
    if op in SWAPS:
        yield Edit("wrong-operator", node.start_byte, node.end_byte, SWAPS[op])
    if op in OFF_BY_ONE and node.parent.type != "binary_operator":
        yield Edit("off-by-one", node.start_byte, node.end_byte, OFF_BY_ONE[op])


def _constant_edits(node: Node) -> Iterator[Edit]:
    text = _text(node)
    if node.type in INTEGERS and text.isdigit():
        value = int(text)
        yield Edit("off-by-one", node.start_byte, node.end_byte, str(value + 1))
        if value > 0:
            yield Edit("off-by-one", node.start_byte, node.end_byte, str(value - 1))
        other = {0: 1, 1: 0}.get(value, value * 2)
        yield Edit("wrong-constant", node.start_byte, node.end_byte, str(other))
    if text in BOOLEANS and node.type in ("true", "false"):
        yield Edit("wrong-constant", node.start_byte, node.end_byte, BOOLEANS[text])


def _condition_edits(node: Node, language: str) -> Iterator[Edit]:
    parent = node.parent
    if parent is None or parent.type not in CONDITIONS:
        return
    cond = parent.child_by_field_name("condition")
    if cond is None or cond != node:
        return
    text = _text(cond)
    inner_node = cond.named_children[0] if cond.type == "parenthesized_expression" else cond
    if inner_node.type in ("comparison_operator", "binary_expression"):
        ops = [c for c in inner_node.children if not c.is_named and _text(c) in NEGATIONS]
        if len(ops) == 1:  # a comparison is negated by its opposite operator
            op = ops[0]
            yield Edit("negated-condition", op.start_byte, op.end_byte, NEGATIONS[_text(op)])
            return
        if inner_node.type == "comparison_operator":
            return
    if language == "python":
        if cond.type == "not_operator":
            inner = cond.child_by_field_name("argument")
            if inner is not None:
                yield Edit("negated-condition", cond.start_byte, cond.end_byte, _text(inner))
            return
        wrapped = (
            f"({text})" if cond.type in ("boolean_operator", "conditional_expression") else text
        )
        yield Edit("negated-condition", cond.start_byte, cond.end_byte, f"not {wrapped}")
        return
    inner_text = text[1:-1] if text.startswith("(") and text.endswith(")") else text
    if inner_text.startswith("!") and "&&" not in inner_text and "||" not in inner_text:
        yield Edit("negated-condition", cond.start_byte, cond.end_byte, f"({inner_text[1:]})")
    else:
        yield Edit("negated-condition", cond.start_byte, cond.end_byte, f"(!({inner_text}))")


def _swap_edits(node: Node) -> Iterator[Edit]:
    if node.type != "argument_list" or node.start_point[0] != node.end_point[0]:
        return
    args = [c for c in node.named_children if c.type not in ("keyword_argument", "comment")]
    for a, b in itertools.pairwise(args):
        if _text(a) != _text(b) and a.next_named_sibling == b:
            between = node.text[a.end_byte - node.start_byte : b.start_byte - node.start_byte]
            swapped = _text(b) + (between or b", ").decode() + _text(a)
            yield Edit("swapped-arguments", a.start_byte, b.end_byte, swapped)


def local_names(function: Node) -> set[str]:
    """Parameters and assigned names of a function (the plausible wrong variables)."""
    names: set[str] = set()
    for node in walk(function):
        if node.type in ("parameters", "parameter_list"):
            names.update(_text(n) for n in walk(node) if n.type == "identifier")
        elif node.type in ("assignment", "for_statement", "init_declarator", "declaration"):
            target = node.child_by_field_name("left") or node.child_by_field_name("declarator")
            if target is not None and target.type == "identifier":
                names.add(_text(target))
    return names


def _variable_edits(node: Node, names: set[str], rng: random.Random) -> Iterator[Edit]:
    parent = node.parent
    if node.type != "identifier" or _text(node) not in names or parent is None:
        return
    if parent.type in ("parameters", "parameter_list", "keyword_argument", "function_declarator"):
        return
    if parent.type.endswith("declarator") or parent.type == "declaration":
        return  # renaming a C declaration is a redeclaration, not a wrong variable
    others = sorted(names - {_text(node)})
    if others:
        yield Edit("wrong-variable", node.start_byte, node.end_byte, rng.choice(others))


def candidate_edits(
    function: Node, body_rows: set[int], language: str, rng: random.Random
) -> dict[str, list[Edit]]:
    """Every edit per operator whose changed bytes lie on one of `body_rows`."""
    names = local_names(function)
    found: dict[str, list[Edit]] = {}
    for node in walk(function):
        if node.start_point[0] not in body_rows or node.end_point[0] != node.start_point[0]:
            continue
        for edit in (
            *_operator_edits(node),
            *_constant_edits(node),
            *_condition_edits(node, language),
            *_swap_edits(node),
            *_variable_edits(node, names, rng),
        ):
            found.setdefault(edit.operator, []).append(edit)
    return found


def mutate(
    function: Node, body_rows: set[int], language: str, rng: random.Random
) -> Iterator[Edit]:
    """Edits to try, in random order: operator uniformly, then site uniformly."""
    found = candidate_edits(function, body_rows, language, rng)
    operators = sorted(found)
    rng.shuffle(operators)
    for operator in operators:
        edits = found[operator]
        rng.shuffle(edits)
        yield from edits
