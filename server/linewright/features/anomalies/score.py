"""Features of one line and the decision rule: is this line an anomaly, and how much.

Pure functions of an `Observation` (what the model said) and a `LineContext` (the line and
what the model saw). FLAG flags a line when the model's own line differs notably and the
model is confident in its alternative. Measured on SmolLM2-135M, whole-line comparisons
rank highest the lines no model can predict (signatures, first statements, new names), at
chance level for bugs. So the rule works token by token on the written line, scored by the
model with teacher forcing: at each token, how much more probability the model gives its own
first choice than the written token (confident *and* different, FLAG's two conditions, at
the one place where they hold). Positions where surprise says nothing about bugs are left
out: tokens of a name that appears nowhere in the context (the model cannot know it), tokens
inside string literals, and the line's first token (which statement comes next is a guess).
"""

from __future__ import annotations

import builtins
import difflib
import keyword
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from linewright.config import FlagSettings
from linewright.features.anomalies.regenerate import Observation, mean
from linewright.features.anomalies.select import normalise
from linewright.features.anomalies.window import LineContext

_LEXEME = re.compile(r"\w+|[^\w\s]")
_WORD_CHAR = re.compile(r"\w")
_C_FAMILY_KEYWORDS = (
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "bool", "true", "false", "NULL",
    "nullptr", "this", "new", "delete", "class", "public", "private", "protected", "virtual",
    "template", "typename", "namespace", "using", "throw", "try", "catch", "var", "let",
    "function", "typeof", "instanceof", "undefined", "null", "func", "package", "import",
    "range", "map", "chan", "go", "defer", "select", "type", "interface", "fn", "mut", "impl",
    "trait", "pub", "use", "mod", "match", "loop", "self", "Self", "crate", "super",
)  # fmt: skip
KNOWN_WORDS = frozenset([*keyword.kwlist, *keyword.softkwlist, *dir(builtins), *_C_FAMILY_KEYWORDS])
"""Words a model knows without seeing them in the context: keywords and Python builtins."""


@dataclass(frozen=True)
class Features:
    """Everything the rule looks at, for one line."""

    same: bool
    """The model's greedy line is the written one (modulo whitespace)."""
    anomaly: float
    """max over the eligible written tokens of P(model's choice) - P(written token), 0..1."""
    anomaly_token: str
    """The written token where that maximum is reached ("" when none or not scored)."""
    expected_token: str
    """The model's first choice at that position ("" when none or not scored)."""
    distance: float | None
    """Normalised Levenshtein distance between the lines (lexemes joined by spaces), 0..1;
    None while the model's line has not been asked (lines that are not flagged)."""
    similarity: float | None
    """Token-level similarity of the two lines (difflib ratio over lexemes), 0..1."""
    confidence: float | None
    """exp(mean log-probability) of the model's greedy line, 0..1."""
    original_logprob: float | None
    """Mean teacher-forced log-probability of the written line (None: not scored)."""
    comment_distance: int
    duplicate: bool


@dataclass(frozen=True)
class Verdict:
    """The rule's answer for one line."""

    score: float
    """0..1; flagged when at least `min_score`."""
    flagged: bool
    severity: str
    """"warning" or "information" (meaningful when flagged)."""


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def lexemes(code: str) -> list[str]:
    """Words and single punctuation characters: `a+b` and `a + b` give the same list."""
    return _LEXEME.findall(code)


def string_mask(text: str) -> list[bool]:
    """Per character: inside a quoted string literal ('...', "...", `...`), quotes included."""
    mask = [False] * len(text)
    quote, i = "", 0
    while i < len(text):
        char = text[i]
        if quote or char in "\"'`":
            mask[i] = True
        if quote and char == "\\" and i + 1 < len(text):
            mask[i + 1] = True
            i += 1
        elif quote and char == quote:
            quote = ""
        elif not quote and char in "\"'`":
            quote = char
        i += 1
    return mask


def novel_word(text: str, start: int, end: int, context: str) -> bool:
    """Whether the token text[start:end] belongs to a name the context never mentions."""
    first = next((i for i in range(start, end) if _WORD_CHAR.match(text[i])), None)
    if first is None:
        return False
    a, b = first, first
    while a > 0 and _WORD_CHAR.match(text[a - 1]):
        a -= 1
    while b < len(text) and _WORD_CHAR.match(text[b]):
        b += 1
    word = text[a:b]
    if word[0].isdigit() or word in KNOWN_WORDS:
        return False
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", context) is None


def eligible(tokens: Sequence[str], context: str) -> list[bool]:
    """Which written tokens may count as evidence (see the module docstring)."""
    text = "".join(tokens)
    strings = string_mask(text)
    out, pos = [], 0
    for index, token in enumerate(tokens):
        start, pos = pos, pos + len(token)
        visible = [strings[i] for i in range(start, pos) if not text[i].isspace()]
        in_string = bool(visible) and all(visible)
        out.append(index > 0 and not in_string and not novel_word(text, start, pos, context))
    return out


def _anomaly(observation: Observation, ctx: LineContext) -> tuple[float, str, str]:
    """The largest P(best) - P(written) over eligible tokens, the written token and the
    model's choice there; from the first divergence when the backend could not score."""
    tokens, written, best = (
        observation.original_tokens,
        observation.original_logprobs,
        observation.best_logprobs,
    )
    if tokens is None or written is None or best is None:
        if observation.divergence is None:
            return 0.0, "", ""
        top, lp = observation.divergence
        return max(0.0, math.exp(top) - math.exp(lp)), "", ""
    choices = observation.best_tokens or ("",) * len(tokens)
    context = ctx.prefix + (ctx.suffix or "")
    found = (0.0, "", "")
    ok = eligible(tokens, context)
    for index, (lp, top) in enumerate(zip(written, best, strict=True)):
        value = math.exp(top) - math.exp(lp)
        if ok[index] and value > found[0]:
            found = (value, tokens[index], choices[index])
    return found


def features(observation: Observation, ctx: LineContext) -> Features:
    """The rule's inputs for one observed line."""
    line = ctx.line
    anomaly, token, expected = _anomaly(observation, ctx)
    same, distance, similarity, confidence = observation.divergence is None, None, None, None
    if observation.alternative is not None:
        original, alternative = lexemes(line.code), lexemes(observation.alternative)
        norm_o, norm_a = " ".join(original), " ".join(alternative)
        same = norm_o == norm_a or normalise(line.code) == normalise(observation.alternative)
        distance = levenshtein(norm_o, norm_a) / max(len(norm_o), len(norm_a), 1)
        matcher = difflib.SequenceMatcher(None, original, alternative, autojunk=False)
        similarity = matcher.ratio()
        alt_lp = mean(observation.alternative_logprobs)
        confidence = math.exp(alt_lp) if alt_lp is not None else 0.0
    return Features(
        same=same,
        anomaly=anomaly,
        anomaly_token=token,
        expected_token=expected,
        distance=distance,
        similarity=similarity,
        confidence=confidence,
        original_logprob=mean(observation.original_logprobs or ()),
        comment_distance=line.comment_distance,
        duplicate=line.duplicate,
    )


def decide(f: Features, settings: FlagSettings) -> Verdict:
    """The decision rule: score = `anomaly`; flagged when score >= `min_score`, a Warning
    from `warning_score` on, else Information. A line the model writes the same way is never
    flagged (the score can only come from a near-tie between two tokens).

    Defaults tuned on the dev split of `tests/bench/flag_corpus` with SmolLM2-135M
    (`tests/bench/flag_tune.py`): min_score 0.8 flags about 15% of the lines (FLAG's own
    search space was 12-17%), warning_score 0.9 about 7%. Comment distance and
    near-duplicates were measured as well and did not separate bugs from correct lines, so
    they are reported but take no part in the score.
    """
    score = 0.0 if f.same else round(f.anomaly, 4)
    flagged = score > 0 and score >= settings.min_score
    severity = "warning" if score >= settings.warning_score else "information"
    return Verdict(score, flagged, severity)
