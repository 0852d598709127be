"""The prompt for one completion: windows around the cursor, token healing, the request.

Pure functions of a `CompletionContext`; the backend's capabilities arrive as plain flags.
"""

from __future__ import annotations

from dataclasses import dataclass

from linewright.config import CompletionSettings
from linewright.core.llm.types import CompletionRequest, ExtraChunk
from linewright.features.completion.context import CompletionContext, Mode

STOP_MULTI = ("\n\n\n",)
"""Multi-line answers stop at two blank lines (the block cut usually stops earlier)."""


@dataclass(frozen=True)
class Prompt:
    """What is sent, plus `heal`: the tail of the prefix left for the model to rewrite."""

    prefix: str
    suffix: str | None
    heal: str = ""
    extra: tuple[ExtraChunk, ...] = ()


def healing_text(line_prefix: str) -> str:
    """The tail of the prompt to leave for the model to regenerate (token healing).

    A prompt that ends in indentation makes models whose tokenizer merges "spaces + word"
    (the default SmolLM2 among them) answer an empty line: the spaces are already spent and
    the merged token cannot follow. Ending the prompt one whitespace character short lets
    the model write that character together with the next word, as it was trained to
    (measured on SmolLM2: the full indentation gives an empty first line, the line start
    gives a new definition, one space short gives the statement).
    """
    return line_prefix[-1] if line_prefix and not line_prefix.strip() else ""


def build_prompt(ctx: CompletionContext, settings: CompletionSettings, *, fim: bool) -> Prompt:
    """Prefix/suffix windows by character budget; healing for prefix-only models."""
    heal = "" if fim else healing_text(ctx.line_prefix)
    prefix = ctx.prefix[: len(ctx.prefix) - len(heal)]
    prefix = prefix[-settings.prefix_chars :] if settings.prefix_chars else ""
    suffix = ctx.suffix[: settings.suffix_chars] if fim else None
    return Prompt(prefix=prefix, suffix=suffix, heal=heal)


def build_request(prompt: Prompt, mode: Mode, settings: CompletionSettings) -> CompletionRequest:
    """The backend request for a prompt and a gate decision."""
    return CompletionRequest(
        prefix=prompt.prefix,
        suffix=prompt.suffix,
        stop=STOP_MULTI if mode is Mode.MULTI else ("\n",),
        max_tokens=settings.max_tokens if mode is Mode.MULTI else min(settings.max_tokens, 48),
        temperature=settings.temperature,
        top_logprobs=1,
        extra=prompt.extra,
    )
