"""FIM templates: rendered prompts (golden), name guessing, stop merging, token scrubbing."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from linewright.core.llm import fim
from linewright.core.llm.types import CompletionRequest, ExtraChunk

GOLDEN = pathlib.Path(__file__).parents[1] / "golden" / "llm" / "fim.json"
RENDER_CASES = json.loads(GOLDEN.read_text(encoding="utf-8"))["render"]


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in RENDER_CASES])
def test_render_fim_golden(case: dict[str, Any]) -> None:
    extra = [ExtraChunk(**chunk) for chunk in case["extra"]]
    template = fim.TEMPLATES[case["template"]]
    rendered = fim.render_fim(
        template, case["prefix"], case["suffix"], extra, filename=case.get("filename", "")
    )
    assert rendered == case["expected"]


def test_every_family_has_a_template() -> None:
    names = {"none", "qwen", "starcoder", "codellama", "deepseek", "codestral", "codegemma"}
    assert set(fim.TEMPLATES) == names
    assert all(name == t.name for name, t in fim.TEMPLATES.items())


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        pytest.param("qwen2.5-coder:1.5b-base", "qwen", id="ollama-qwen"),
        pytest.param("Qwen/Qwen2.5-Coder-7B", "qwen", id="hf-qwen"),
        pytest.param("/models/qwen2.5-coder-1.5b-q8_0.gguf", "qwen", id="gguf-path-qwen"),
        pytest.param("Qwen3-Coder-30B-A3B", "qwen", id="qwen3-coder"),
        pytest.param("Qwen2.5-7B-Instruct", None, id="qwen-not-coder"),
        pytest.param("CodeQwen1.5-7B", "starcoder", id="codeqwen-uses-starcoder-tokens"),
        pytest.param("bigcode/starcoder2-3b", "starcoder", id="starcoder2"),
        pytest.param("codellama:7b-code", "codellama", id="codellama"),
        pytest.param("CodeLlama-13b-hf", "codellama", id="codellama-hf"),
        pytest.param("code_llama_7b.gguf", "codellama", id="code-llama-underscores"),
        pytest.param("deepseek-coder-6.7b-base", "deepseek", id="deepseek-coder"),
        pytest.param("deepseek-chat", None, id="deepseek-not-coder"),
        pytest.param("codestral-latest", "codestral", id="codestral"),
        pytest.param("codegemma:2b", "codegemma", id="codegemma"),
        pytest.param("gpt-4o-mini", None, id="unknown"),
        pytest.param("", None, id="empty"),
    ],
)
def test_guess_template(model: str, expected: str | None) -> None:
    assert fim.guess_template(model) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(None, None, id="none-given"),
        pytest.param("auto", None, id="auto"),
        pytest.param("Qwen", "qwen", id="case-insensitive"),
        pytest.param("none", "none", id="prefix-only"),
        pytest.param("gpt5", None, id="unknown-falls-back-to-auto"),
    ],
)
def test_known_template(name: str | None, expected: str | None) -> None:
    assert fim.known_template(name) == expected


@pytest.mark.parametrize(
    ("text", "template", "expected"),
    [
        pytest.param("x = 1<|endoftext|>", None, "x = 1", id="qwen-eos"),
        pytest.param("a<|fim_middle|>b<|file_sep|>", None, "ab", id="qwen-markers"),
        pytest.param("a<fim_suffix>b<file_sep>", None, "ab", id="starcoder"),
        pytest.param("return 1 <EOT>", None, "return 1 ", id="codellama"),
        pytest.param("x<｜fim▁hole｜>y", None, "xy", id="deepseek"),
        pytest.param("x<|file_separator|>", None, "x", id="codegemma"),
        pytest.param("cfg[PREFIX]", None, "cfg[PREFIX]", id="codestral-markers-kept-by-default"),
        pytest.param("x[SUFFIX]y", "codestral", "xy", id="codestral-markers-with-template"),
        pytest.param("<pre>html</pre>", None, "<pre>html</pre>", id="lowercase-html-untouched"),
        pytest.param("plain code", None, "plain code", id="nothing-to-strip"),
    ],
)
def test_strip_fim_tokens(text: str, template: str | None, expected: str) -> None:
    chosen = fim.TEMPLATES[template] if template else None
    assert fim.strip_fim_tokens(text, chosen) == expected


def test_pattern_prefers_longest_token() -> None:
    # `<|fim_prefix|>` must not leave a stray `|` from a shorter overlapping spelling.
    assert fim.FIM_TOKEN_PATTERN.sub("", "<|fim_prefix|><fim_prefix>") == ""


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        pytest.param("a.py", "#", id="python"),
        pytest.param("src/main.RS", "//", id="rust-upper"),
        pytest.param("q.sql", "--", id="sql"),
        pytest.param("init.el", ";", id="elisp"),
        pytest.param("Makefile", "#", id="no-extension"),
        pytest.param("", "#", id="empty"),
    ],
)
def test_line_comment_for(filename: str, expected: str) -> None:
    assert fim.line_comment_for(filename) == expected


def test_commented_preamble() -> None:
    extra = [
        ExtraChunk("a.ts", "export const A = 1;\n\nexport const B = 2;"),
        ExtraChunk("b.ts", ""),
    ]
    expected = "// File: a.ts\n// export const A = 1;\n//\n// export const B = 2;\n// File: b.ts\n"
    assert fim.commented_preamble(extra, "//") == expected
    assert fim.commented_preamble([], "#") == ""


@pytest.mark.parametrize(
    ("request_", "template", "expected"),
    [
        pytest.param(
            CompletionRequest(prefix="x = ", stop=("\n",)),
            "qwen",
            ("x = ", ("\n",)),
            id="no-suffix-plain-continuation",
        ),
        pytest.param(
            CompletionRequest(prefix="x = ", suffix="", stop=("\n", "<|file_sep|>")),
            "qwen",
            (
                "<|fim_prefix|>x = <|fim_suffix|><|fim_middle|>",
                ("<|endoftext|>", "\n", "<|file_sep|>", "<|fim_pad|>", "<|repo_name|>"),
            ),
            id="end-token-first-then-caller-stops-deduplicated",
        ),
        pytest.param(
            CompletionRequest(prefix="x = ", extra=(ExtraChunk("a.py", "A = 1"),)),
            "none",
            ("# File: a.py\n# A = 1\nx = ", ()),
            id="extra-without-suffix-prefix-only",
        ),
    ],
)
def test_fim_prompt(
    request_: CompletionRequest, template: str, expected: tuple[str, tuple[str, ...]]
) -> None:
    assert fim.fim_prompt(fim.TEMPLATES[template], request_) == expected


def test_prefix_with_extra() -> None:
    plain = CompletionRequest(prefix="x")
    assert fim.prefix_with_extra(plain) == "x"
    with_extra = CompletionRequest(prefix="x", extra=(ExtraChunk("m.go", "package m"),))
    assert fim.prefix_with_extra(with_extra) == "// File: m.go\n// package m\nx"
