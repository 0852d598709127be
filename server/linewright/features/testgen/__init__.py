"""Unit-test generation that proves its tests by running them.

`TestgenFeature.generate(target)`: tests derived from executions (always, no model needed)
plus the model's tests (several prompt variants), all verified in the sandbox (parse,
import, pass on the current code, add line/branch coverage, no smells), rendered as a
`FileEdit` creating or extending the project's test file (an extension of its current
text, the editor's when open, that is run whole in the sandbox first; a separate file when
it fails there). Nothing here writes a file: the LSP command sends the edit to the editor,
the CLI writes it with `--write`.

Stages: `target` (what to test) -> `derive` + `prompt`/`answers` (candidates) ->
`verify` (`smells`, `sandbox`, `measure`) -> `layout` + `render` + `verify.place`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from linewright.config import TestgenSettings
from linewright.core.documents import Document
from linewright.core.errors import BackendError, BackendTimeout, UnsupportedOperation
from linewright.core.llm.types import Backend
from linewright.core.positions import Position
from linewright.features.testgen import derive, layout, measure, prompt, render
from linewright.features.testgen.answers import parse_answer
from linewright.features.testgen.records import REASONS, Candidate, Dropped, TestgenError, Verdict
from linewright.features.testgen.sandbox import Limits, Sandbox, interpreter
from linewright.features.testgen.target import Target, find_target, name_at
from linewright.features.testgen.verify import place, subject_of, verify

__all__ = ["Reader", "TestgenError", "TestgenFeature", "TestgenResult", "read_disk"]

log = logging.getLogger(__name__)
MIN_TOKENS = 64
Progress = Callable[[str, int], None]
"""(message, percentage) callback."""
Reader = Callable[[Path], str | None]
"""The current text of a file, or None when there is none."""


@dataclass(frozen=True)
class TestgenResult:
    """Kept tests, dropped ones with reasons, coverage reached, and the edit to offer."""

    __test__ = False

    target: Target
    verdict: Verdict
    edit: render.FileEdit | None
    notes: tuple[str, ...] = ()
    seconds: float = 0.0
    candidates: dict[str, int] = field(default_factory=dict)
    """How many candidates each source gave ("derived", "model")."""
    probes: dict[str, int] = field(default_factory=dict)
    """Outcomes of the calls tried for derived tests ("value", "raises", "timeout"...)."""

    def summary(self) -> str:
        """One paragraph for people: kept, coverage, dropped by reason, where it goes."""
        kept, cover = len(self.verdict.kept), self.verdict.coverage
        text = f"{kept} verified test{'s' * (kept != 1)} for `{self.target.qualname}`"
        pairs = (("line", cover.line_rate), ("branch", cover.branch_rate))
        rates = [f"{name} coverage {rate:.0%}" for name, rate in pairs if rate is not None]
        if rates and kept:
            text += f" ({', '.join(rates)})"
        counts = self.drop_counts()
        if counts:
            listed = ", ".join(f"{n} {REASONS.get(r, r)}" for r, n in counts.items())
            text += f"; dropped {sum(counts.values())}: {listed}"
        if self.edit is not None:
            verb = "new file" if self.edit.create else "added to"
            text += f". {verb} {self.edit.path}"
        return text + "".join(f". {note}" for note in self.notes)

    def drop_counts(self) -> dict[str, int]:
        """Dropped candidates per reason, most frequent first."""
        counts: dict[str, int] = {}
        for dropped in self.verdict.dropped:
            counts[dropped.reason] = counts.get(dropped.reason, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: -item[1]))

    def to_json(self) -> dict[str, Any]:
        """The machine-readable result (the CLI's --json and the LSP command's answer)."""
        cover = self.verdict.coverage
        return {
            "target": self.target.qualname,
            "module": self.target.module,
            "kept": [
                {"name": c.name, "origin": c.origin, "fixes": list(c.fixes)}
                for c in self.verdict.kept
            ],
            "dropped": [d.__dict__ for d in self.verdict.dropped],
            "line_coverage": cover.line_rate,
            "branch_coverage": cover.branch_rate,
            "file": str(self.edit.path) if self.edit else None,
            "create": self.edit.create if self.edit else None,
            "text": self.edit.text if self.edit else None,
            "sandbox": list(self.verdict.layers),
            "notes": list(self.notes),
            "seconds": round(self.seconds, 2),
            "probes": self.probes,
        }


class TestgenFeature:
    """Generates verified tests with the current backend and settings."""

    __test__ = False

    def __init__(self, backend: Callable[[], Backend], settings: Callable[[], TestgenSettings]):
        self._backend = backend
        self._settings = settings

    def target_at(self, doc: Document, position: Position, workspace: Path | None) -> Target:
        """The function or method at `position`, with its context (raises `TestgenError`)."""
        parsed = urlparse(doc.uri)
        path = Path(unquote(parsed.path) if parsed.scheme else doc.uri)
        offset = doc.byte_offset_at(position)
        return find_target(doc.tree, doc.language, offset, path, doc.text, workspace)

    def name_at(self, doc: Document, position: Position) -> str | None:
        """What the code action would offer tests for at `position`, or None."""
        return name_at(doc.tree, doc.language, doc.byte_offset_at(position))

    async def generate(
        self,
        target: Target,
        progress: Progress | None = None,
        *,
        use_model: bool | None = None,
        read: Reader | None = None,
    ) -> TestgenResult:
        """Derive, ask, verify, render. Raises `TestgenError` when nothing can run.

        `read` gives the current text of a file (None when it does not exist): the editor's
        buffer for open files; the disk by default."""
        started = time.perf_counter()
        settings = self._settings()
        report = progress or (lambda message, percent: None)
        sandbox = Sandbox(
            _limits(settings),
            interpreter(settings.python, target.root),
            allow_unsandboxed=bool(getattr(settings, "allow_unsandboxed", False)),
        )
        universe = measure.universe(target)
        report("deriving tests from executions", 5)
        derived, probes = await _derive(target, sandbox, universe, settings)
        notes: list[str] = []
        model: list[Candidate] = []
        pre_dropped: list[Dropped] = []
        if settings.use_model if use_model is None else use_model:
            model, pre_dropped, notes = await self._ask(target, settings, report)
        total = len(derived) + len(model)
        report(f"running {total} candidate tests in the sandbox", 70)
        verdict = await verify(target, model + derived, sandbox, universe, settings.max_tests)
        verdict = Verdict(
            verdict.kept, tuple(pre_dropped) + verdict.dropped, verdict.coverage, verdict.layers
        )
        edit = None
        if verdict.kept:
            report("checking the test file with the new tests", 90)
            files, unread = _places(target, read or read_disk)
            verdict, edit, placing = await place(target, verdict, sandbox, universe, files)
            notes += unread + placing
        report("done", 100)
        counts = {"derived": len(derived), "model": len(model) + len(pre_dropped)}
        seconds = time.perf_counter() - started
        return TestgenResult(target, verdict, edit, tuple(notes), seconds, counts, probes)

    async def _ask(
        self, target: Target, settings: TestgenSettings, report: Progress
    ) -> tuple[list[Candidate], list[Dropped], list[str]]:
        """Model candidates from each prompt variant. A timeout halves the length asked for
        next; another backend failure ends the asking. Either is noted for the summary."""
        destination = layout.destination(target.path, target.module, target.root)
        style = layout.style_example(target.root, destination)
        ask = _Asking(self._backend(), target, style, settings)
        planned = prompt.variants(settings.model_requests, style is not None)
        found: list[Candidate] = []
        dropped: list[Dropped] = []
        notes: list[str] = []
        for number, variant in enumerate(planned):
            percent = 20 + 45 * number // len(planned)
            report(f"asking the model ({variant}, {number + 1}/{len(planned)})", percent)
            try:
                text = await ask.answer(variant, number)
            except BackendTimeout as exc:
                ask.tokens //= 2
                notes = [f"The model timed out ({exc}); shorter answers were asked for"]
                if ask.tokens < MIN_TOKENS:
                    break
                continue
            except BackendError as exc:
                log.warning("testgen: model failed: %s", exc)
                notes = [f"The model failed ({exc}); the other tests are still verified"]
                break
            candidates, unusable = parse_answer(text, target, f"model:{variant}")
            found += candidates
            dropped += unusable
        return found, dropped, notes


class _Asking:
    """Asks one backend for tests: chat when it has it (else completion), at a length that
    shrinks when answers time out."""

    def __init__(
        self, backend: Backend, target: Target, style: str | None, settings: TestgenSettings
    ) -> None:
        self.backend, self.target, self.style, self.settings = backend, target, style, settings
        self.tokens = settings.max_tokens
        self.chat: bool | None = None

    async def answer(self, variant: str, number: int) -> str:
        """The answer text for `variant` (the `number`th request: the seed, and a first
        request per variant is greedy, repeats sample)."""
        if self.chat is None:
            self.chat = (await self.backend.info()).supports_chat
        temperature = 0.0 if number < len(prompt.VARIANTS) else self.settings.temperature
        args = (self.target, variant, self.style, self.tokens, temperature, number)
        if self.chat:
            try:
                return (await self.backend.chat(prompt.chat_request(*args))).text
            except UnsupportedOperation:
                self.chat = False
        answer = await self.backend.complete(prompt.completion_request(*args))
        return f"def test_{self.target.name.strip('_')}" + answer.text


async def _derive(
    target: Target, sandbox: Sandbox, universe: measure.Universe, settings: TestgenSettings
) -> tuple[list[Candidate], dict[str, int]]:
    """Characterisation tests from a probe run of the target on derived inputs, and how
    the calls ended."""
    if settings.derived_cases <= 0:
        return [], {}
    setup, cases = derive.cases(target, settings.derived_cases)
    run = await sandbox.probe(subject_of(target), setup, [(c.id, c.expr) for c in cases])
    if run.import_error is not None:
        violation = run.import_error.get("violation")
        detail = violation[1] if violation else run.import_error.get("message", "")
        raise TestgenError(f"`{target.module}` does not import in the sandbox: {detail}")
    if run.error and not run.done:
        raise TestgenError(run.error)
    outcomes: dict[str, int] = {}
    for event in run.done.values():
        key = event["violation"][0] if event.get("violation") else event.get("outcome", "?")
        outcomes[key] = outcomes.get(key, 0) + 1
    tests = derive.characterise(target, cases, run.done, universe, settings.max_tests)
    return tests, outcomes


def _places(target: Target, read: Reader) -> tuple[list[tuple[Path, str | None]], list[str]]:
    """Where the tests may go, with the current texts: the project's test file for the
    module, and when that exists a separate file beside it for tests that do not fit. A
    test file that cannot be read is left alone (noted), so the verified tests still go to
    the separate file; only when that cannot be read either does the run fail."""
    destination = layout.destination(target.path, target.module, target.root)
    try:
        found = [(destination, read(destination))]
    except TestgenError as exc:
        other = layout.fallback(destination)
        return [(other, read(other))], [f"{destination.name} was left alone ({exc})"]
    if found[0][1] is not None:
        other = layout.fallback(destination)
        found.append((other, read(other)))
    return found, []


def read_disk(path: Path) -> str | None:
    """The file's text on disk, None when there is no file (the CLI's reader)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:  # never offer to overwrite what we cannot read
        raise TestgenError(f"cannot read {path}: {exc}") from exc


def _limits(settings: TestgenSettings) -> Limits:
    return Limits(
        test_wall_s=settings.test_timeout_s,
        test_cpu_s=settings.test_cpu_s,
        memory_mb=settings.memory_mb,
        file_mb=settings.file_size_mb,
    )
