"""The model directory format: what a trained model is on disk, and how it is checked.

```
MODEL/
  meta.json      format version, versions, backend, labels, thresholds, data fingerprint,
                 and the SHA-256 of every other file (checked before anything is loaded)
  config.yaml    the resolved run config
  metrics.json   {split: {label | "micro" | "macro": {precision, recall, f1, support}}}
  README.md      the model card
  model/         the backend's files (safetensors, JSON, tokenizer text files; never pickle)
```

Saving is atomic: everything is written to a hidden sibling folder, which is renamed into
place only when complete (a replaced model is moved aside first and removed after), so an
interrupted run never leaves a directory that loads. Loading refuses a newer format, any
file of a kind a model never holds (only the data formats in :data:`ALLOWED_SUFFIXES` are
accepted: a pickle, a skops or joblib file, a torch ``.bin`` is refused whatever its name
says), any file not listed in ``meta.json``, and any file whose checksum differs.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eventclf.errors import ModelError

__all__ = [
    "ALLOWED_SUFFIXES",
    "FORMAT_VERSION",
    "read_meta",
    "verify_model_dir",
    "write_model_dir",
]

FORMAT_VERSION = 1
META = "meta.json"
#: The only kinds of file a model directory may hold: data, never code or pickles.
ALLOWED_SUFFIXES = (
    ".json",
    ".safetensors",
    ".yaml",
    ".md",
    ".png",
    ".jsonl",
    ".txt",
    ".model",
)
_PICKLE_SUFFIXES = (
    ".pkl",
    ".pickle",
    ".joblib",
    ".bin",
    ".pt",
    ".pth",
    ".ckpt",
    ".npy",
)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in (
        "eventclf",
        "scikit-learn",
        "numpy",
        "scipy",
        "skops",
        "datasets",
        "torch",
        "transformers",
    ):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            continue
    return out


def write_model_dir(
    target: Path,
    *,
    meta: dict[str, Any],
    write_files: Callable[[Path], None],
    overwrite: bool,
) -> Path:
    """Write a model directory atomically.

    ``write_files(tmp)`` writes everything but ``meta.json`` into ``tmp``; then the
    checksums are added to ``meta`` and it is written last, and ``tmp`` is renamed to
    ``target``.
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise ModelError(
            f"{target} already exists; pass --overwrite (overwrite=True) to replace it, "
            "or choose another --output"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        write_files(tmp)
        files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        meta = {
            **meta,
            "format_version": FORMAT_VERSION,
            "files": {f: _sha256(tmp / f) for f in files},
        }
        (tmp / META).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", "utf-8")
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def read_meta(model_dir: str | Path) -> dict[str, Any]:
    """``meta.json`` of a model directory, with its format version checked."""
    path = Path(model_dir)
    if not path.is_dir():
        raise ModelError(f"{path}: no such model directory")
    meta_path = path / META
    if not meta_path.is_file():
        raise ModelError(
            f"{path}: not a model directory (no {META}); it may be an interrupted save"
        )
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"{meta_path}: unreadable ({exc})") from None
    if not isinstance(meta, dict):
        raise ModelError(f"{meta_path}: expected a JSON object")
    version = meta.get("format_version")
    if not isinstance(version, int):
        raise ModelError(f"{meta_path}: format_version missing or not an integer")
    if version > FORMAT_VERSION:
        raise ModelError(
            f"{path}: model format {version} is newer than this eventclf reads "
            f"(format {FORMAT_VERSION}); upgrade eventclf (pip install -U eventclf)"
        )
    for key in ("backend", "labels", "thresholds", "files"):
        if key not in meta:
            raise ModelError(f"{meta_path}: required key {key!r} is missing")
    return meta


def verify_model_dir(model_dir: str | Path) -> dict[str, Any]:
    """Check a model directory before anything in it is loaded; return its meta."""
    path = Path(model_dir)
    meta = read_meta(path)
    listed: dict[str, str] = meta["files"]
    present = {
        p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file() or p.is_symlink()
    } - {META}
    for name in sorted(present):
        if (path / name).is_symlink():
            raise ModelError(f"{path}: {name} is a symbolic link; model files must be plain files")
        if name.endswith(_PICKLE_SUFFIXES):
            raise ModelError(
                f"{path}: refusing to load: {name} looks like a pickle file, and eventclf "
                "models never contain pickles (it may execute code when loaded)"
            )
        if not name.endswith(ALLOWED_SUFFIXES):
            raise ModelError(
                f"{path}: refusing to load: {name} is not a kind of file eventclf models hold "
                f"(allowed: {', '.join(ALLOWED_SUFFIXES)})"
            )
    unexpected = sorted(present - set(listed))
    if unexpected:
        raise ModelError(
            f"{path}: refusing to load: file(s) not recorded in {META}: {unexpected} "
            "(the directory was modified after saving)"
        )
    missing = sorted(set(listed) - present)
    if missing:
        raise ModelError(f"{path}: file(s) listed in {META} are missing: {missing}")
    for name, digest in listed.items():
        if _sha256(path / name) != digest:
            raise ModelError(
                f"{path}: refusing to load: {name} does not match its checksum in {META} "
                "(the file was modified or damaged after saving)"
            )
    return meta
