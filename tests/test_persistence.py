"""Hostile or damaged model directories are refused before anything in them is loaded."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from pathlib import Path

import pytest

import eventclf
from eventclf import ModelError
from eventclf.persistence import write_model_dir

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("m") / "linear"
    return eventclf.train(
        REPO / "configs" / "examples.yaml",
        output_dir=out,
        cache_dir=str(tmp_path_factory.mktemp("cache")),
    )


@pytest.fixture
def model(trained: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(trained, tmp_path / "copy"))


class Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("pickle executed",))


def test_planted_pickle_is_refused(model: Path) -> None:
    (model / "model" / "head.pkl").write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ModelError, match=r"head.pkl looks like a pickle file"):
        eventclf.load(model)


def test_unlisted_file_is_refused(model: Path) -> None:
    (model / "model" / "extra.json").write_text("{}")
    with pytest.raises(ModelError, match=r"not recorded in meta.json: \['model/extra.json'\]"):
        eventclf.load(model)


def test_modified_weights_are_refused(model: Path) -> None:
    path = model / "model" / "linear.safetensors"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"linear.safetensors does not match its checksum"):
        eventclf.load(model)


@pytest.mark.parametrize("name", ["head.skops", "weights.npz", "loader.py"])
def test_files_of_other_kinds_are_refused_even_when_listed(model: Path, name: str) -> None:
    """Someone rewrote meta.json to list a planted file: its kind alone is refused."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    path = model / "model" / name
    if name.endswith(".skops"):  # a skops file naming a type no eventclf model holds
        sio.dump({"clf": LogisticRegression()}, path)
    else:
        path.write_bytes(b"import os\n")
    meta = json.loads((model / "meta.json").read_text())
    meta["files"][f"model/{name}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (model / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=rf"{name} is not a kind of file eventclf models hold"):
        eventclf.load(model)


def test_newer_format_is_refused(model: Path) -> None:
    meta = json.loads((model / "meta.json").read_text())
    meta["format_version"] = 99
    (model / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=r"model format 99 is newer.*upgrade eventclf"):
        eventclf.load(model)


def test_missing_file_is_refused(model: Path) -> None:
    (model / "model" / "vocab.json").unlink()
    with pytest.raises(ModelError, match=r"missing: \['model/vocab.json'\]"):
        eventclf.load(model)


def test_missing_meta_and_missing_directory(model: Path, tmp_path: Path) -> None:
    (model / "meta.json").unlink()
    with pytest.raises(ModelError, match=r"not a model directory \(no meta.json\)"):
        eventclf.load(model)
    with pytest.raises(ModelError, match=r"no such model directory"):
        eventclf.load(tmp_path / "nothing")


def test_interrupted_save_leaves_the_old_model_intact(trained: Path, tmp_path: Path) -> None:
    target = Path(shutil.copytree(trained, tmp_path / "target"))
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}

    def crash(folder: Path) -> None:
        (folder / "half.json").write_text("{")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_model_dir(target, meta={}, write_files=crash, overwrite=True)
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["target"]  # no temporary left behind
    eventclf.load(target)
