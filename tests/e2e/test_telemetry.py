"""Suggestion telemetry end to end: the real server over stdio, the real store on disk."""

from __future__ import annotations

import asyncio
import pathlib

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from linewright.core.telemetry import FILE_NAME, Event, load_events
from tests.e2e.conftest import SERVER, start, tiny_options
from tests.e2e.test_completion import URI, completion_params, inline_params, open_doc

REJECTION_WAIT_S = 5.0
SOURCE = 'def add(a, b):\n    """Return the sum."""\n    # \n'
BODY = types.Position(line=2, character=6)
"""After the "# " of a comment line: the tiny model's gibberish is fine there (in code the
completion pipeline drops it as a syntax error)."""


@pytest.fixture(autouse=True)
def state_dir(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """A store per test: the server started by the test inherits this environment."""
    folder = tmp_path / "state"
    monkeypatch.setenv("LINEWRIGHT_STATE_DIR", str(folder))
    return folder


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def quitting_client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    """A connected client whose test ends the session itself (shutdown + exit)."""
    yield


def stored(state_dir: pathlib.Path) -> list[Event]:
    return load_events(state_dir / FILE_NAME)


async def wait_for_outcome(state_dir: pathlib.Path, outcome: str) -> list[Event]:
    """The store's events once one has `outcome` (or after REJECTION_WAIT_S)."""
    for _ in range(int(REJECTION_WAIT_S / 0.1)):
        events = stored(state_dir)
        if any(e.outcome == outcome for e in events):
            return events
        await asyncio.sleep(0.1)
    return stored(state_dir)


async def shown_inline_item(client: LanguageClient) -> types.InlineCompletionItem:
    """Open the test document, get an inline suggestion and report it shown."""
    open_doc(client, SOURCE)
    result = await client.text_document_inline_completion_async(inline_params(BODY))
    assert isinstance(result, types.InlineCompletionList) and result.items
    item = result.items[0]
    assert item.command is not None and item.command.arguments
    client.protocol.notify("linewright/didShowCompletion", {"id": item.command.arguments[0]})
    return item


def type_text(client: LanguageClient, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=BODY, end=BODY), text=text
                )
            ],
        )
    )


async def accept(client: LanguageClient, command: types.Command) -> None:
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
    )


async def test_shown_then_accepted_inline_item_is_stored_with_features(
    bare_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    await start(bare_client, "vscode", tiny_options(tiny_model_path), tmp_path)
    item = await shown_inline_item(bare_client)
    assert isinstance(item.insert_text, str) and item.command is not None
    type_text(bare_client, item.insert_text, version=2)  # the editor inserts, then runs the command
    await accept(bare_client, item.command)
    events = await wait_for_outcome(tmp_path / "state", "accepted")
    sid = item.command.arguments[0]  # type: ignore[index]
    assert [(e.suggestion_id, e.outcome) for e in events] == [(sid, "shown"), (sid, "accepted")]
    accepted = events[1]
    assert (accepted.language, accepted.trigger) == ("python", "invoked")
    features = accepted.features
    assert (features["node_kind"], features["line"], features["column"]) == ("comment", 2, 6)
    assert (features["char_before"], features["char_after"]) == ("space", "newline")
    assert features["length"] == len(item.insert_text)
    assert features["lines"] == item.insert_text.count("\n") + 1
    assert isinstance(features["mean_logprob"], float)
    assert features["parse_ok"] in (True, False)
    assert {"prefix", "suffix", "text"}.isdisjoint(features), "no code without opt-in"
    assert all(item.insert_text not in str(v) for v in features.values())


async def test_shown_item_typed_over_is_rejected(
    bare_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    await start(bare_client, "vscode", tiny_options(tiny_model_path), tmp_path)
    item = await shown_inline_item(bare_client)
    type_text(bare_client, "zzz_not_the_suggestion", version=2)
    events = await wait_for_outcome(tmp_path / "state", "rejected")
    assert [e.outcome for e in events] == ["shown", "rejected"]
    assert events[1].suggestion_id == item.command.arguments[0]  # type: ignore[union-attr,index]
    assert events[1].features["reason"] == "moved_on"


async def test_partial_acceptance_records_the_length(
    bare_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    await start(bare_client, "vscode", tiny_options(tiny_model_path), tmp_path)
    item = await shown_inline_item(bare_client)
    sid = item.command.arguments[0]  # type: ignore[union-attr,index]
    bare_client.protocol.notify(
        "linewright/didPartiallyAcceptCompletion", {"id": sid, "acceptedLength": 3}
    )
    type_text(bare_client, str(item.insert_text)[:3], version=2)
    events = await wait_for_outcome(tmp_path / "state", "partially_accepted")
    await asyncio.sleep(2.5)  # longer than the grace: a partial acceptance is not rejected
    events = stored(tmp_path / "state")
    assert [e.outcome for e in events] == ["shown", "partially_accepted"]
    assert events[1].features["accepted_length"] == 3


async def test_completion_item_command_is_recorded_for_clients_without_inline(
    bare_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    await start(bare_client, "emacs", tiny_options(tiny_model_path), tmp_path)
    open_doc(bare_client, SOURCE)
    result = await bare_client.text_document_completion_async(completion_params(BODY))
    assert isinstance(result, types.CompletionList) and result.items
    command = result.items[0].command
    assert command is not None
    await accept(bare_client, command)
    await accept(bare_client, command)  # clients that run it twice count once
    events = await wait_for_outcome(tmp_path / "state", "accepted")
    assert [(e.suggestion_id, e.outcome) for e in events] == [
        (command.arguments[0], "accepted")  # type: ignore[index]
    ]


async def test_code_is_stored_only_when_opted_in(
    bare_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    options = {**tiny_options(tiny_model_path), "telemetry": {"includeCode": True}}
    await start(bare_client, "vscode", options, tmp_path)
    item = await shown_inline_item(bare_client)
    events = await wait_for_outcome(tmp_path / "state", "shown")
    assert events[0].features["text"] == item.insert_text
    assert events[0].features["prefix"].endswith('"""Return the sum."""\n    # ')


async def test_disabled_telemetry_writes_nothing(
    bare_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    options = {**tiny_options(tiny_model_path), "telemetry": {"enabled": False}}
    await start(bare_client, "vscode", options, tmp_path)
    item = await shown_inline_item(bare_client)
    assert item.command is not None
    await accept(bare_client, item.command)
    assert not (tmp_path / "state" / FILE_NAME).exists()


async def test_stats_command_summarises_the_store(
    bare_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    await start(bare_client, "vscode", tiny_options(tiny_model_path), tmp_path)
    item = await shown_inline_item(bare_client)
    assert item.command is not None
    await accept(bare_client, item.command)
    result = await bare_client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="linewright.telemetryStats", arguments=[])
    )
    python = result["summary"]["by_language"]["python"]
    assert (python["shown"], python["accepted"], python["acceptance_rate"]) == (1, 1, 1.0)
    assert result["path"] == str(tmp_path / "state" / FILE_NAME)
    assert "  python" in result["text"] and "100.0%" in result["text"]


async def test_suggestion_still_shown_at_exit_is_rejected(
    quitting_client: LanguageClient, tiny_model_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    await start(quitting_client, "vscode", tiny_options(tiny_model_path), tmp_path)
    await shown_inline_item(quitting_client)
    await wait_for_outcome(tmp_path / "state", "shown")
    await quitting_client.shutdown_session()
    events = await wait_for_outcome(tmp_path / "state", "rejected")
    assert [e.outcome for e in events] == ["shown", "rejected"]
    assert events[1].features["reason"] == "exit"
