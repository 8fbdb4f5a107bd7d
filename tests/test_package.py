"""Packaging promises: the public API imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_import_does_not_import_torch() -> None:
    code = (
        "import sys, eventclf\n"
        "import eventclf.cli, eventclf.predict, eventclf.training, eventclf.data.dataset\n"
        "eventclf.load, eventclf.train, eventclf.read_articles\n"
        "heavy = [m for m in ('torch', 'transformers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_linear_predict_path_does_not_import_torch(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[1]
    code = (
        "import sys, eventclf\n"
        f"d = eventclf.train({str(repo / 'configs' / 'examples.yaml')!r}, "
        f"output_dir={str(tmp_path / 'm')!r}, cache_dir={str(tmp_path / 'c')!r})\n"
        "assert eventclf.load(d).tag('The navy held drills.') is not None\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_public_api() -> None:
    import eventclf

    for name in eventclf.__all__:
        assert getattr(eventclf, name) is not None, name
    assert callable(eventclf.train) and callable(eventclf.load)
