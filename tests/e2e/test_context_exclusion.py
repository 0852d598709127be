"""Content exclusion end to end: secrets and git-ignored files never reach the backend.

A scripted llama.cpp server on loopback records every request body it receives; the editor
opens a `.env` holding a secret, a git-ignored file and a normal file, then asks for a
completion in another file that shares names with all three (so each would be picked as
extra context if it were allowed).
"""

from __future__ import annotations

import asyncio
import pathlib

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import start
from tests.support.faultserver import Json, Reply, Request, serve

SECRET = "sk-live-4f9a1c7e"
IGNORED = "IGNORED_MARKER_93b1"
NORMAL = "NORMAL_MARKER_27d5"
PROPS = {"default_generation_settings": {"n_ctx": 4096}, "model_path": "/m/q.gguf"}
ANSWER = {"content": "compute_total(items)\n", "stop_type": "eos", "model": "q"}
FILES = {
    ".env": f"API_TOKEN={SECRET}\nDATABASE_URL=postgres://db/app\n",
    "generated/client.py": f"{IGNORED} = compute_total(items)\nAPI_TOKEN = None\n",
    "util.py": f"def compute_total(items):\n    return sum(items) + {NORMAL}\n",
}
CURRENT = (
    "from util import compute_total\n"
    "API_TOKEN = DATABASE_URL = None\n"
    f"{IGNORED} = {NORMAL} = 0\n"
    "items = [1, 2]\n"
    "total = "
)


def llama(request: Request) -> Reply:
    """A llama.cpp server with FIM tokens that answers every completion the same."""
    return Json(PROPS) if request.path == "/props" else Json(ANSWER)


def workspace(root: pathlib.Path) -> dict[str, str]:
    """A git repository with a `.gitignore`; returns uri -> text of the files to open."""
    (root / ".git").mkdir()
    (root / ".gitignore").write_text("generated/\n")
    opened = {}
    for name, text in {**FILES, "main.py": CURRENT}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        opened[path.as_uri()] = text
    return opened


def did_open(client: LanguageClient, uri: str, text: str) -> None:
    language = "python" if uri.endswith(".py") else "plaintext"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language, version=1, text=text
            )
        )
    )


async def test_secrets_and_ignored_files_never_reach_the_backend(
    bare_client: LanguageClient, tmp_path: pathlib.Path
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    opened = workspace(root)
    with serve(llama, max_connections=32, lifetime_s=60.0) as server:
        options = {
            "backend": {"kind": "llamacpp", "url": server.url, "timeoutS": 5},
            "completion": {"debounceMs": 0},
            "flag": {"enabled": False},
        }
        await start(bare_client, "vscode", options, root)
        for uri, text in opened.items():
            did_open(bare_client, uri, text)
        main = (root / "main.py").as_uri()
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=main),
            position=types.Position(line=4, character=len("total = ")),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
        result = await asyncio.wait_for(
            bare_client.text_document_inline_completion_async(params), 30
        )
        bodies = [body.decode("utf-8") for body in server.bodies()]
    assert isinstance(result, types.InlineCompletionList) and result.items
    completions = [body for body in bodies if "input_prefix" in body]
    assert completions, server.paths()
    assert all(SECRET not in body and "DATABASE_URL=postgres" not in body for body in bodies)
    assert all(IGNORED + " = compute_total" not in body for body in bodies)
    # The normal file is offered as context: the exclusion is not simply "no context".
    assert any(NORMAL in body and "def compute_total" in body for body in completions)
