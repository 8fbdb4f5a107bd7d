"""Run every benchmark in one go and collect the tables in benchmarks/RESULTS.md.

Usage, from the repository root: ``make bench`` (or ``.venv/bin/python benchmarks/run.py``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = [
    ("splitters.py", "results/splitters.md"),
    ("linear.py", "results/linear.md"),
    ("accuracy.py", "results/accuracy.md"),
    ("transformer.py", "results/transformer.md"),
    ("stream.py", "results/stream.md"),
]


def main() -> int:
    sections = [
        "# Benchmark results",
        "",
        "Produced by `make bench` (benchmarks/run.py); each section is one script's output, "
        "measured side by side with the stock tool in the same run. Figures only: no sentence "
        "from ../shared is copied here.",
        "",
    ]
    for script, result in PARTS:
        print(f"== {script}", file=sys.stderr)
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / script)],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        text = (ROOT / "benchmarks" / result).read_text(encoding="utf-8")
        # Each script's headings go one level down under the page title.
        sections.append(
            "\n".join("#" + line if line.startswith("#") else line for line in text.splitlines())
            + "\n"
        )
    (ROOT / "benchmarks" / "RESULTS.md").write_text("\n".join(sections), encoding="utf-8")
    print((ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
