"""No lost work and clear failures: killed runs, missing extras."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import eventclf
from eventclf.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_killed_training_leaves_the_previous_model_intact(tmp_path: Path) -> None:
    target = eventclf.train(
        REPO / "configs" / "examples.yaml",
        output_dir=tmp_path / "model",
        cache_dir=str(tmp_path / "c"),
    )
    meta_before = (target / "meta.json").read_text()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "eventclf.cli",
            "train",
            str(REPO / "configs" / "examples.yaml"),
            "--output",
            str(target),
            "--overwrite",
            "--set",
            "training.seed=99",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if list(tmp_path.glob(".model.tmp-*")):  # the new model is being written: kill now
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait()
    if proc.returncode == 0:
        pytest.skip("the run finished before it could be killed mid-save")
    assert (target / "meta.json").read_text() == meta_before
    eventclf.load(target)  # the old model still loads
    for leftover in tmp_path.glob(".model.tmp-*"):
        with pytest.raises(eventclf.ModelError):
            eventclf.load(leftover)


def test_missing_extra_gives_one_clear_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    monkeypatch.delitem(sys.modules, "eventclf.models.transformer", raising=False)
    code = main(
        ["train", str(REPO / "configs" / "transformer.yaml"), "--output", str(tmp_path / "m")]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "eventclf: error: the transformer backend needs torch and transformers" in err
    assert "pip install 'eventclf[transformers]'" in err and "Traceback" not in err


def test_label_set_that_does_not_match_the_data(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(
        [
            "train",
            str(REPO / "configs" / "examples.yaml"),
            "--output",
            str(tmp_path / "m"),
            "--set",
            "data.labels=[arms_sale, military_exercise]",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "unknown label 'threat_statement'" in err and "add it to data.labels" in err


def test_predict_output_is_complete_lines_as_it_goes(model_dir: Path, tmp_path: Path) -> None:
    """Results are written while the input is still being read (streaming)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "eventclf.cli", "predict", str(model_dir), "--batch-size", "1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    for i in range(200):  # more than the output flush interval
        proc.stdin.write(json.dumps({"id": f"a{i}", "text": "Navy drills began."}) + "\n")
    proc.stdin.flush()
    first = proc.stdout.readline()  # arrives before stdin is closed
    assert json.loads(first)["id"] == "a0"
    proc.stdin.close()
    rest = proc.stdout.read().splitlines()
    proc.stdout.close()
    assert proc.wait() == 0 and len(rest) == 199


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return eventclf.train(
        REPO / "configs" / "examples.yaml",
        output_dir=tmp_path_factory.mktemp("m") / "model",
        cache_dir=str(tmp_path_factory.mktemp("c")),
    )
