"""Packaging promises: the public API imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys


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


def test_public_api() -> None:
    import eventclf

    for name in eventclf.__all__:
        assert getattr(eventclf, name) is not None, name
    assert callable(eventclf.train) and callable(eventclf.load)
