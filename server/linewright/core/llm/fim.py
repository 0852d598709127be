"""Fill-in-the-middle prompt templates per model family, and scrubbing of leaked FIM tokens.

Backends with native infilling (llama.cpp `/infill`, OpenAI `suffix`, Ollama `suffix`) let
the server build the prompt; every other path renders one of `TEMPLATES` here. The special
token spellings come from each family's tokenizer: a wrong byte means the server tokenizes
the marker as plain text and the model sees garbage. The "none" template is prefix-only: the
model just continues the prefix and the caller uses the suffix in post-processing only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from linewright.core.llm.types import CompletionRequest, ExtraChunk

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FimTemplate:
    """How one model family spells a fill-in-the-middle prompt."""

    name: str
    prefix: str = ""
    """Marker before the code above the cursor (with any spaces the family expects)."""
    suffix: str = ""
    """Marker before the code below the cursor."""
    middle: str = ""
    """Marker after which the model writes the missing middle."""
    stop: tuple[str, ...] = ()
    """Strings that end a completion, most important first (OpenAI keeps only four)."""
    suffix_first: bool = False
    """Suffix section before the prefix section (Codestral)."""
    file_sep: str | None = None
    """Token opening each extra file (`<sep>path\\ntext`); None: extra goes in comments."""
    tokens: tuple[str, ...] = ()
    """Every special token of the family, scrubbed from output when this template is used."""
    prefix_only: bool = False
    """No FIM at all: the prompt is the prefix (the "none" template)."""


_QWEN_TOKENS = (
    "<|fim_prefix|>",
    "<|fim_suffix|>",
    "<|fim_middle|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
    "<|endoftext|>",
)
_STARCODER_TOKENS = (
    "<fim_prefix>",
    "<fim_suffix>",
    "<fim_middle>",
    "<fim_pad>",
    "<repo_name>",
    "<file_sep>",
    "<|endoftext|>",
)
_DEEPSEEK_TOKENS = ("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", "<｜end▁of▁sentence｜>")
_CODEGEMMA_TOKENS = ("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|file_separator|>")

TEMPLATES: Mapping[str, FimTemplate] = {
    t.name: t
    for t in (
        FimTemplate(name="none", prefix_only=True),
        FimTemplate(
            name="qwen",
            prefix="<|fim_prefix|>",
            suffix="<|fim_suffix|>",
            middle="<|fim_middle|>",
            stop=("<|endoftext|>", "<|file_sep|>", "<|fim_pad|>", "<|repo_name|>"),
            file_sep="<|file_sep|>",
            tokens=_QWEN_TOKENS,
        ),
        FimTemplate(
            name="starcoder",
            prefix="<fim_prefix>",
            suffix="<fim_suffix>",
            middle="<fim_middle>",
            stop=("<|endoftext|>", "<file_sep>", "<fim_pad>", "<repo_name>"),
            file_sep="<file_sep>",
            tokens=_STARCODER_TOKENS,
        ),
        FimTemplate(
            name="codellama",
            # Meta's reference infilling format: the spaces are part of the markers.
            prefix="<PRE> ",
            suffix=" <SUF>",
            middle=" <MID>",
            stop=("<EOT>",),
            tokens=("<PRE>", "<SUF>", "<MID>", "<EOT>"),
        ),
        FimTemplate(
            name="deepseek",
            prefix="<｜fim▁begin｜>",
            suffix="<｜fim▁hole｜>",
            middle="<｜fim▁end｜>",
            stop=("<｜end▁of▁sentence｜>", "<|EOT|>"),
            tokens=(*_DEEPSEEK_TOKENS, "<|EOT|>"),
        ),
        FimTemplate(
            name="codestral",
            # Mistral's FIM order: suffix first, then prefix; generation follows the prefix.
            prefix="[PREFIX]",
            suffix="[SUFFIX]",
            suffix_first=True,
            tokens=("[PREFIX]", "[SUFFIX]", "[MIDDLE]"),
        ),
        FimTemplate(
            name="codegemma",
            prefix="<|fim_prefix|>",
            suffix="<|fim_suffix|>",
            middle="<|fim_middle|>",
            stop=("<|file_separator|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
            file_sep="<|file_separator|>",
            tokens=_CODEGEMMA_TOKENS,
        ),
    )
}

# Codestral's bracket markers are left out of the global scrub: `config[PREFIX]` is plausible
# code. They are removed only when the caller says the Codestral template is in use. The
# match is case-sensitive, so HTML's `<pre>` survives CodeLlama's `<PRE>`.
_AMBIGUOUS = frozenset({"[PREFIX]", "[SUFFIX]", "[MIDDLE]"})
_SCRUBBED = sorted(
    {tok for t in TEMPLATES.values() for tok in t.tokens if tok not in _AMBIGUOUS},
    key=lambda tok: (-len(tok), tok),
)
FIM_TOKEN_PATTERN = re.compile("|".join(re.escape(tok) for tok in _SCRUBBED))
"""Matches the special tokens of every template (except Codestral's bracket markers)."""

# (needle in the lower-cased model name, template); first match wins, so the more specific
# names come first (CodeQwen 1.5 uses StarCoder's tokens, Qwen2.5-Coder its own).
_NAME_HINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("codeqwen",), "starcoder"),
    (("qwen", "coder"), "qwen"),
    (("starcoder",), "starcoder"),
    (("santacoder",), "starcoder"),
    (("codellama",), "codellama"),
    (("code-llama",), "codellama"),
    (("deepseek", "coder"), "deepseek"),
    (("codestral",), "codestral"),
    (("codegemma",), "codegemma"),
)

_LINE_COMMENTS: Mapping[str, str] = {
    **dict.fromkeys(("c", "h", "cc", "cpp", "hpp", "cs", "java", "kt", "scala", "swift"), "//"),
    **dict.fromkeys(("js", "jsx", "ts", "tsx", "go", "rs", "dart", "php", "v", "sv"), "//"),
    **dict.fromkeys(("sql", "lua", "hs", "elm", "ada"), "--"),
    **dict.fromkeys(("lisp", "el", "clj", "scm"), ";"),
    **dict.fromkeys(("tex", "erl"), "%"),
}


def guess_template(model_name: str) -> str | None:
    """The template name for a model name or path (e.g. "qwen2.5-coder:1.5b"), or None."""
    name = model_name.lower().replace("_", "-").replace(" ", "-")
    for needles, template in _NAME_HINTS:
        if all(needle in name for needle in needles):
            return template
    return None


def known_template(name: str | None) -> str | None:
    """`name` as a key of `TEMPLATES`; None for "auto", None or an unknown name (logged)."""
    if name is None or name.lower() == "auto":
        return None
    if name.lower() not in TEMPLATES:
        log.warning("unknown FIM template %r; choosing one from the model name", name)
        return None
    return name.lower()


def line_comment_for(filename: str) -> str:
    """The line-comment marker for a file name's extension ("#" when unknown)."""
    _, dot, ext = filename.rpartition(".")
    return _LINE_COMMENTS.get(ext.lower(), "#") if dot else "#"


def commented_preamble(extra: Sequence[ExtraChunk], line_comment: str) -> str:
    """Extra-context chunks as a commented block to put before the prefix.

    For backends and templates without a native extra-context field: the model still sees
    the other files, and the block is inert code in the current file's language.
    """
    lines: list[str] = []
    for chunk in extra:
        lines.append(f"{line_comment} File: {chunk.filename}")
        lines.extend(f"{line_comment} {line}".rstrip() for line in chunk.text.splitlines())
    return "".join(line + "\n" for line in lines)


def render_fim(
    template: FimTemplate,
    prefix: str,
    suffix: str,
    extra: Sequence[ExtraChunk] = (),
    *,
    filename: str = "",
) -> str:
    """The prompt for `template`; `filename` names the current file in repo-level prompts."""
    head = ""
    if extra and template.file_sep:
        head = _repo_context(template.file_sep, extra, filename)
    elif extra:
        prefix = commented_preamble(extra, line_comment_for(filename or extra[0].filename)) + prefix
    if template.prefix_only:
        return prefix
    if template.suffix_first:
        return f"{head}{template.suffix}{suffix}{template.prefix}{prefix}{template.middle}"
    return f"{head}{template.prefix}{prefix}{template.suffix}{suffix}{template.middle}"


def _repo_context(file_sep: str, extra: Sequence[ExtraChunk], filename: str) -> str:
    """Repo-level context: each file after the separator, then the current file's header."""
    parts = [f"{file_sep}{chunk.filename}\n{_with_newline(chunk.text)}" for chunk in extra]
    parts.append(f"{file_sep}{filename}\n")
    return "".join(parts)


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") or not text else text + "\n"


def strip_fim_tokens(text: str, template: FimTemplate | None = None) -> str:
    """`text` without leaked special tokens of any template (and of `template`, if given)."""
    text = FIM_TOKEN_PATTERN.sub("", text)
    if template is not None:
        for token in template.tokens:
            text = text.replace(token, "")
    return text


def wants_fim(request: CompletionRequest) -> bool:
    """Whether `request` needs more than a plain continuation (a suffix or extra files)."""
    return request.suffix is not None or bool(request.extra)


def fim_prompt(template: FimTemplate, request: CompletionRequest) -> tuple[str, tuple[str, ...]]:
    """Prompt and stop strings for `request` rendered with `template`.

    The template's end-of-middle token comes first: servers that keep only a few stop
    strings (OpenAI: four) must still stop where the middle ends.
    """
    if not wants_fim(request):
        return request.prefix, request.stop
    prompt = render_fim(template, request.prefix, request.suffix or "", request.extra)
    stops = (*template.stop[:1], *request.stop, *template.stop[1:])
    return prompt, tuple(dict.fromkeys(stops))


def prefix_with_extra(request: CompletionRequest) -> str:
    """The prefix behind a commented block of the extra files (for native-suffix servers)."""
    if not request.extra:
        return request.prefix
    comment = line_comment_for(request.extra[0].filename)
    return commented_preamble(request.extra, comment) + request.prefix
