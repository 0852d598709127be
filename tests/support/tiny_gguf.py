"""Tiny, deterministic GGUF model for tests that need a real llama.cpp server.

This module owns the test model: a ~270 KB `llama`-architecture GGUF (F16,
2 layers, n_embd 64) with random weights from a fixed seed, generated from
scratch with `gguf.GGUFWriter` (no downloads).  The bytes are identical on
every run, so greedy (temperature 0) output is reproducible.  It carries:

* a SentencePiece-style ("llama") vocab with all 256 byte-fallback tokens, so
  any text (code, unicode, newlines) tokenizes and detokenizes losslessly;
* FIM control tokens (``<|fim_prefix|>`` ... ``<|file_sep|>``) wired to the
  ``tokenizer.ggml.fim_*_token_id`` keys, so ``/infill`` (with
  ``input_extra``) works;
* a ChatML chat template, so ``/v1/chat/completions`` works.

The weights are rigged so the model never samples control or byte tokens: it
emits printable gibberish (ASCII chars, Python-ish words, spaces, newlines)
that depends on the prompt, and never stops on its own (no EOS).  Callers must
always pass a small ``n_predict`` / ``max_tokens``: without one a request runs
until the context is full (~15 s at n_ctx 4096).
"""

from __future__ import annotations

import os
import pathlib

import gguf
import numpy as np

SEED = 1234
N_EMBD = 64
N_HEAD = 4
N_HEAD_KV = 2  # GQA, like real code models
N_FF = 128
N_LAYER = 2
N_CTX_TRAIN = 8192
LAYER_SCALE = 0.5  # layers only nudge the bigram walk; larger falls into short loops

CONTROL = ["<s>", "</s>"]
FIM = {
    gguf.Keys.Tokenizer.FIM_PRE_ID: "<|fim_prefix|>",
    gguf.Keys.Tokenizer.FIM_SUF_ID: "<|fim_suffix|>",
    gguf.Keys.Tokenizer.FIM_MID_ID: "<|fim_middle|>",
    gguf.Keys.Tokenizer.FIM_PAD_ID: "<|fim_pad|>",
    gguf.Keys.Tokenizer.FIM_REP_ID: "<|repo_name|>",
    gguf.Keys.Tokenizer.FIM_SEP_ID: "<|file_sep|>",
}
CHATML = ["<|im_start|>", "<|im_end|>"]
WORDS = (
    "def return import from class self None True False if else elif for while in"
    " not and or is with as try except raise pass print lambda yield the to of"
)

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def _vocab() -> tuple[list[str], list[float], list[int]]:
    """Return (tokens, scores, types); ids 0/1/2 are unk/bos/eos as llama.cpp expects."""
    tokens: list[str] = []
    scores: list[float] = []
    types: list[int] = []

    def add(text: str, score: float, ttype: gguf.TokenType) -> None:
        if text not in tokens:
            tokens.append(text)
            scores.append(score)
            types.append(int(ttype))

    add("<unk>", 0.0, gguf.TokenType.UNKNOWN)
    for text in CONTROL + list(FIM.values()) + CHATML:
        add(text, 0.0, gguf.TokenType.CONTROL)
    # Byte fallback: llama.cpp looks these up by the exact "<0x%02X>" spelling.
    for b in range(256):
        add(f"<0x{b:02X}>", 0.0, gguf.TokenType.BYTE)
    # SentencePiece writes spaces as U+2581; single printable chars come first.
    # Newline/tab are normal tokens (not only bytes) so generations can span lines.
    for c in ["\u2581", "\n", "\t"] + [chr(c) for c in range(0x21, 0x7F)]:
        add(c, -1000.0, gguf.TokenType.NORMAL)
    # The SPM merge loop only joins pairs whose concatenation is in the vocab,
    # so every prefix of a word must be a token too; longer pieces score higher
    # so they win the merge order.
    for piece in [*("\u2581" + word for word in WORDS.split()), "\u2581" * 4]:
        for end in range(2, len(piece) + 1):
            add(piece[:end], float(end), gguf.TokenType.NORMAL)
    return tokens, scores, types


def _tensors(n_vocab: int, suppressed: np.ndarray) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)

    def mat(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float16)

    ones = np.ones(N_EMBD, dtype=np.float32)
    n_embd_kv = N_EMBD // N_HEAD * N_HEAD_KV
    # Residual dim 0 is a constant "bias" channel: every embedding has a large
    # value there and no layer writes to it (row 0 of the output projections
    # is zero), so after the final RMS norm it is always clearly positive.
    embd = rng.standard_normal((n_vocab, N_EMBD)) * 0.5
    embd[:, 0] = 4.0
    out: dict[str, np.ndarray] = {"token_embd.weight": embd.astype(np.float16)}
    for i in range(N_LAYER):
        attn_out, ffn_down = mat(N_EMBD, N_EMBD) * LAYER_SCALE, mat(N_EMBD, N_FF) * LAYER_SCALE
        attn_out[0] = 0
        ffn_down[0] = 0
        out |= {
            f"blk.{i}.attn_norm.weight": ones,
            f"blk.{i}.attn_q.weight": mat(N_EMBD, N_EMBD),
            f"blk.{i}.attn_k.weight": mat(n_embd_kv, N_EMBD),
            f"blk.{i}.attn_v.weight": mat(n_embd_kv, N_EMBD),
            f"blk.{i}.attn_output.weight": attn_out,
            f"blk.{i}.ffn_norm.weight": ones,
            f"blk.{i}.ffn_gate.weight": mat(N_FF, N_EMBD),
            f"blk.{i}.ffn_up.weight": mat(N_FF, N_EMBD),
            f"blk.{i}.ffn_down.weight": ffn_down,
        }
    # Output head: a noisy "bigram" model.  Normal token c's embedding is the
    # head row of a fixed random successor, so greedy decoding walks a long
    # permutation cycle (varied text, newlines included) instead of repeating
    # one token; attention perturbs it, so the prompt matters too.  The
    # strongly negative weight on the bias channel pushes control/byte tokens
    # far below: output is always printable, never EOS, FIM tokens or bad UTF-8.
    normal = np.flatnonzero(~suppressed)
    head = np.zeros((n_vocab, N_EMBD))
    cycle = rng.permutation(normal)  # one cycle through every normal token
    head[np.roll(cycle, -1)] = embd[cycle] * 0.3
    head[:, 0] = np.where(suppressed, -10.0, 0.0)
    out["output_norm.weight"] = ones
    out["output.weight"] = head.astype(np.float16)
    return out


def write_tiny_gguf(path: pathlib.Path) -> pathlib.Path:
    """Write the tiny test model to `path` (idempotent; returns path)."""
    path = pathlib.Path(path)
    tokens, scores, types = _vocab()
    # Write to a sibling temp file and rename, so concurrent test workers
    # never observe a half-written model.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    w = gguf.GGUFWriter(tmp, "llama")
    w.add_name("linewright-tiny-test")
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    w.add_context_length(N_CTX_TRAIN)
    w.add_embedding_length(N_EMBD)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(N_FF)
    w.add_head_count(N_HEAD)
    w.add_head_count_kv(N_HEAD_KV)
    w.add_rope_dimension_count(N_EMBD // N_HEAD)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(len(tokens))

    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_unk_token_id(tokens.index("<unk>"))
    w.add_bos_token_id(tokens.index("<s>"))
    w.add_eos_token_id(tokens.index("</s>"))
    w.add_pad_token_id(tokens.index("<unk>"))
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    # No implicit leading "▁": keeps tokenize/detokenize an exact round trip
    # and does not shift code prefixes by a space.
    w.add_add_space_prefix(False)
    for key, text in FIM.items():
        w.add_uint32(key, tokens.index(text))
    w.add_chat_template(CHAT_TEMPLATE)

    suppressed = np.array([t != int(gguf.TokenType.NORMAL) for t in types])
    for name, data in _tensors(len(tokens), suppressed).items():
        w.add_tensor(name, data)

    try:
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
