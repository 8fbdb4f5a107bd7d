"""Run every benchmark in one go and collect the tables in benchmarks/RESULTS.md.

Usage, from the repository root: ``make bench`` (or ``.venv/bin/python benchmarks/run.py``).
``benchmarks/run.py stream.py`` reruns only the named scripts (``--collect``: none) and
reassembles RESULTS.md from the others' last results.
It first makes sure the default models exist: ``models/linear`` is retrained from
configs/linear.yaml (seconds); ``models/transformer`` and ``models/ensemble`` are trained from
their configs only when absent (about 15 and 45 minutes on 2 CPU cores). Then each script runs in
turn.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
PARTS = [
    (["splitters.py"], "results/splitters.md"),
    (["linear.py"], "results/linear.md"),
    (
        [
            "accuracy.py",
            *("--model", str(MODELS / "linear")),
            *("--model", str(MODELS / "transformer")),
            *("--model", str(MODELS / "ensemble")),
        ],
        "results/accuracy.md",
    ),
    (["transformer.py", "--model", str(MODELS / "transformer")], "results/transformer.md"),
    (["int8_layers.py", "--model", str(MODELS / "transformer")], "results/int8-layers.md"),
    (["training.py"], "results/training.md"),
    (["stream.py"], "results/stream.md"),
]


def main(only: list[str]) -> int:
    eventclf = str(Path(sys.executable).with_name("eventclf"))
    subprocess.run(
        [eventclf, "train", "configs/linear.yaml", "--overwrite", "--quiet"],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    for name in ("transformer", "ensemble"):
        if not (MODELS / name / "meta.json").exists():
            subprocess.run(
                [eventclf, "train", f"configs/{name}.yaml", "--quiet"],
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
    sections = [
        "# Benchmark results",
        "",
        "Produced by `make bench` (benchmarks/run.py); each section is one script's output, "
        "measured side by side with the stock tool or baseline in the same run. Figures only: "
        "no sentence from ../shared is copied here.",
        "",
    ]
    for argv, result in PARTS:
        if only and argv[0] not in only:
            print(f"== {argv[0]}: last results reused", file=sys.stderr)
        else:
            print(f"== {argv[0]}", file=sys.stderr)
            subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / argv[0]), *argv[1:]],
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
    analysis = (ROOT / "benchmarks" / "error-analysis.md").read_text(encoding="utf-8")
    sections.append(
        "\n".join("#" + line if line.startswith("#") else line for line in analysis.splitlines())
        + "\n"
    )
    (ROOT / "benchmarks" / "RESULTS.md").write_text("\n".join(sections), encoding="utf-8")
    print((ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
