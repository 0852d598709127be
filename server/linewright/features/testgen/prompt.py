"""Prompts asking a model for pytest tests of a target, in the context variants that matter:
the signature and docstring only; plus the body; plus the helpers it calls; plus an
existing test file of the project as a style example.

Chat models get a system and a user message; completion-only backends get the start of a
test file to continue (`def test_<name>`), and the answer is that prefix plus the text.
"""

from __future__ import annotations

import textwrap

from linewright.core.llm.types import ChatMessage, ChatRequest, CompletionRequest
from linewright.features.testgen.target import Target

VARIANTS = ("signature", "body", "helpers", "style")
TESTS_ASKED = 4
SOURCE_CHARS = 6000
SYSTEM = (
    "You are an expert Python developer who writes pytest unit tests. Reply with one "
    "```python code block that contains only imports and test functions."
)


def context(target: Target, variant: str) -> str:
    """The code the model is shown for `variant`."""
    parts = [*target.imports, ""] if target.imports else []
    function = _signature_only(target) if variant == "signature" else target.source[:SOURCE_CHARS]
    if target.class_context:
        if target.name == "__init__":
            parts.append(target.class_context)
        else:
            parts.append(target.class_context + "\n" + textwrap.indent(function, "    "))
    else:
        parts.append(function)
    if variant in ("helpers", "style"):
        parts += ["", *target.helpers]
    return "\n".join(parts).strip() + "\n"


def _signature_only(target: Target) -> str:
    """Decorators, signature and docstring, with `...` for the body."""
    lines = target.source.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(("def ", "async def ")))
    doc = f'"""{target.docstring}"""' if target.docstring else ""
    body = textwrap.indent(doc, "    ") + "\n" if doc else ""
    return "\n".join([*lines[:start], target.signature.strip()]) + "\n" + body + "    ...\n"


def example_call(target: Target) -> str:
    """How a test calls the target: `f(...)`, `Stack(...).push(...)`, `Stack(...)`."""
    if not target.class_name:
        return f"{target.name}(...)"
    if target.name == "__init__":
        return f"{target.class_name}(...)"
    if target.kind == "method":
        return f"{target.class_name}(...).{target.name}(...)"
    return f"{target.class_name}.{target.name}(...)"


def user_message(target: Target, variant: str, style: str | None) -> str:
    """The request: the code, what to import, how to call it, what to check."""
    lines = [
        f"Here is `{target.qualname}` from the Python module `{target.module}`:",
        "",
        f"```python\n{context(target, variant)}```",
        "",
        f"Write {TESTS_ASKED} pytest test functions for `{target.qualname}`.",
        f"Start the file with `{target.import_line}`.",
        f"Each test is a function named `test_...` that calls `{example_call(target)}` and "
        "checks the result with `assert`. Cover typical inputs, edge cases and errors "
        "(with `pytest.raises`). Do not copy or redefine the code under test.",
    ]
    if variant == "style" and style:
        lines += ["", "Follow the style of this existing test file:", "", f"```python\n{style}```"]
    return "\n".join(lines)


def variants(count: int, has_style: bool) -> list[str]:
    """`count` variants in order, cycling; "style" only when there is an example."""
    usable = [v for v in VARIANTS if v != "style" or has_style]
    return [usable[i % len(usable)] for i in range(count)]


def chat_request(
    target: Target, variant: str, style: str | None, max_tokens: int, temperature: float, seed: int
) -> ChatRequest:
    """The chat request for one variant."""
    messages = (
        ChatMessage("system", SYSTEM),
        ChatMessage("user", user_message(target, variant, style)),
    )
    return ChatRequest(
        messages, max_tokens=max_tokens, temperature=temperature, stop=("\n```\n",), seed=seed
    )


def completion_prefix(target: Target, variant: str, style: str | None) -> str:
    """A test file to continue: the code as a comment-free module excerpt, then the tests."""
    head = f"# {target.module}\n{context(target, variant)}\n\n"
    if variant == "style" and style:
        head = f"# an existing test file\n{style}\n\n{head}"
    return (
        f"{head}# tests for {target.qualname}\nimport pytest\n\n{target.import_line}\n\n\n"
        f"def test_{target.name.strip('_')}"
    )


def completion_request(
    target: Target, variant: str, style: str | None, max_tokens: int, temperature: float, seed: int
) -> CompletionRequest:
    """The completion request for one variant (the answer continues `def test_<name>`)."""
    return CompletionRequest(
        prefix=completion_prefix(target, variant, style),
        stop=("\nif __name__", "\n# tests for", "\n```"),
        max_tokens=max_tokens,
        temperature=temperature,
        seed=seed,
    )
