"""A model's answer -> candidate tests: one per test function, each with the imports and
helpers of its answer.

Models wrap code in prose and fences, get cut off mid-test, import the target from a module
that does not exist (`from solution import f`), copy the code under test into the answer,
or write unittest classes. The code is taken from the fences, parsed whole or else chunk by
chunk (a cut-off last test is dropped as not parsing), imports of the target are pointed at
the real module, copies of the target are removed, and unittest methods are turned into
pytest functions where that is mechanical (`pytestify`).
"""

from __future__ import annotations

import ast
import re

from linewright.features.testgen.pytestify import convert_class
from linewright.features.testgen.records import Candidate, Dropped
from linewright.features.testgen.target import Target

FENCE = re.compile(r"```[ \t]*(?:python|py|Python)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
TOP_LEVEL = re.compile(r"^(?:@|def |async def |class |import |from |[A-Za-z_]\w*\s*=)")


def code_of(text: str) -> str:
    """The code in a model answer: its fenced blocks, else everything from the first line
    that looks like code; with "\\n" line breaks, whatever the model wrote."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = FENCE.findall(text)
    if blocks:
        return "\n\n".join(block.strip("\n") for block in blocks) + "\n"
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if TOP_LEVEL.match(line)), len(lines))
    return "\n".join(lines[start:]) + "\n"


def parse_answer(text: str, target: Target, origin: str) -> tuple[list[Candidate], list[Dropped]]:
    """Candidates from one answer, and the test functions that could not be used."""
    statements, dropped, cut = _statements(code_of(text), origin)
    preamble: list[str] = []
    tests: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str]] = []
    for node, source in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
            "test"
        ):
            tests.append((node, source))
        elif isinstance(node, ast.ClassDef) and _is_test_class(node):
            converted, failed = convert_class(node)
            tests += [(function, "") for function in converted]
            dropped += [Dropped(name, origin, "smell", why) for name, why in failed]
        else:
            kept = _preamble_statement(node, target, source)
            if kept:
                preamble.append(kept)
    candidates = [
        Candidate(t.name, _source(t, source), tuple(preamble), origin, _fixes(t.name in cut))
        for t, source in tests
    ]
    if not candidates and not dropped:  # prose, an echo of the prompt, or nothing at all
        dropped = [Dropped("(answer)", origin, "no-test", "the answer held no test function")]
    return candidates, dropped


def _fixes(was_cut: bool) -> tuple[str, ...]:
    return (
        ("cut back to its last complete statement (the answer was truncated)",) if was_cut else ()
    )


def _statements(
    code: str, origin: str
) -> tuple[list[tuple[ast.stmt, str]], list[Dropped], set[str]]:
    """Top-level statements of `code`; when it does not parse, those of each chunk that does,
    a chunk cut off mid-statement (the answer hit its token limit) cut back to what parses.
    Each statement comes with the text its positions refer to; also returns the names of
    the test functions that were cut back."""
    try:
        return [(node, code) for node in ast.parse(code).body], [], set()
    except SyntaxError:
        pass
    found: list[tuple[ast.stmt, str]] = []
    dropped: list[Dropped] = []
    cut: set[str] = set()
    for chunk in _chunks(code):
        try:
            found += [(node, chunk) for node in ast.parse(chunk).body]
            continue
        except SyntaxError as exc:
            error = exc
        lines = chunk.splitlines()
        for end in range(len(lines) - 1, 1, -1):
            text = "\n".join(lines[:end]) + "\n"
            try:
                body = ast.parse(text).body
            except SyntaxError:
                continue
            found += [(node, text) for node in body]
            cut.update(n.name for n in body if isinstance(n, ast.FunctionDef))
            break
        else:
            match = re.search(r"def\s+(test\w*)", chunk)
            if match:
                detail = f"does not parse: {error.msg} (line {error.lineno})"
                dropped.append(Dropped(match.group(1), origin, "parse", detail))
    return found, dropped, cut


def _chunks(code: str) -> list[str]:
    """Split at top-level statement starts; decorators stay with what they decorate."""
    chunks: list[list[str]] = [[]]
    for line in code.splitlines():
        starts = TOP_LEVEL.match(line) is not None
        previous = chunks[-1][-1] if chunks[-1] else ""
        if starts and chunks[-1] and not previous.startswith("@"):
            chunks.append([])
        chunks[-1].append(line)
    return ["\n".join(c) + "\n" for c in chunks if c]


def _is_test_class(node: ast.ClassDef) -> bool:
    bases = {ast.unparse(b) for b in node.bases}
    return node.name.startswith("Test") or any(b.endswith("TestCase") for b in bases)


def _source(node: ast.AST, code: str) -> str:
    segment = ast.get_source_segment(code, node) if code else None
    if segment is None or getattr(node, "decorator_list", None):
        return ast.unparse(node) + "\n"
    return segment + "\n"


def _preamble_statement(node: ast.stmt, target: Target, code: str) -> str | None:
    """A non-test statement as the candidates need it, or None to leave it out."""
    names = {target.import_name, target.name}
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return None if node.name in names else _source(node, code)
    if isinstance(node, ast.ImportFrom):
        imported = {alias.name for alias in node.names}
        if imported & names:  # `from solution import f`: the real module
            node = ast.ImportFrom(target.module, node.names, 0)
        return ast.unparse(node)
    if isinstance(node, ast.Import):
        aliases = []
        for alias in node.names:
            bound = alias.asname or alias.name
            uses_target = re.search(
                rf"\b{re.escape(bound)}\.{re.escape(target.import_name)}\b", code
            )
            aliases.append(ast.alias(target.module, bound) if uses_target else alias)
        return ast.unparse(ast.Import(aliases))
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return ast.unparse(node)
    return None  # `unittest.main()`, `if __name__ == "__main__":`, bare calls
