"""Streaming: ``eventclf predict`` on ever larger JSONL inputs, with its peak memory.

Run from the repository root: ``.venv/bin/python benchmarks/stream.py [--max-mb 1024]``.
Generates JSONL files of news-like articles (corpus articles repeated with fresh ids) of
10 MB, 100 MB and ``--max-mb`` MB under ``benchmarks/out/``, runs ``eventclf predict`` on
each in a child process with the linear model trained by configs/linear.yaml, and reports
wall time, articles/s, sentences/s and the child's peak resident memory (``VmHWM``).
Flat memory across sizes is the claim checked. Results go to ``benchmarks/results/stream.md``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
RESULTS = ROOT / "benchmarks" / "results" / "stream.md"


def make_input(path: Path, size_mb: int, texts: list[str]) -> int:
    """Write articles until the file reaches ``size_mb``; return the article count."""
    target = size_mb * 2**20
    n = written = 0
    with path.open("w", encoding="utf-8") as fh:
        while written < target:
            line = json.dumps({"id": f"a{n}", "text": texts[n % len(texts)]}) + "\n"
            fh.write(line)
            written += len(line.encode())
            n += 1
    return n


# Runs the CLI in a child and reports that child's own peak RSS: VmHWM from /proc (Linux),
# which starts afresh at exec (ru_maxrss would carry the forking parent's size over).
CHILD = (
    "import sys\n"
    "from eventclf.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "hwm = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0].split()[1]\n"
    "print('MAXRSS', hwm, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def run_child(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one ``eventclf`` run in a child process."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - t0
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MAXRSS"))
    return wall, int(line.split()[1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-mb", type=int, default=1024)
    args = parser.parse_args()
    import eventclf
    from eventclf.data.sentences import split_sentences

    OUT.mkdir(parents=True, exist_ok=True)
    model = eventclf.train(
        ROOT / "configs" / "linear.yaml", output_dir=OUT / "stream-model", overwrite=True
    )
    texts = [a.text for a in eventclf.read_articles(ROOT / "data" / "corpus" / "train.jsonl")]
    per_article = sum(len(split_sentences(t)) for t in texts) / len(texts)
    rows = []
    for size in sorted({10, 100, args.max_mb}):
        src = OUT / f"stream-{size}mb.jsonl"
        n = make_input(src, size, texts)
        wall, peak = run_child(
            [
                "predict",
                str(model),
                str(src),
                "--quiet",
                "--output",
                str(OUT / f"stream-{size}mb.out.jsonl"),
            ]
        )
        rows.append(
            f"| {size:,} | {n:,} | {wall:.1f} | {n / wall:,.0f} | "
            f"{n * per_article / wall:,.0f} | {peak:.0f} |"
        )
        print(rows[-1], file=sys.stderr)
        src.unlink()
        (OUT / f"stream-{size}mb.out.jsonl").unlink()
    text = "\n".join(
        [
            "# Streaming prediction: memory stays flat",
            "",
            f"- date: {datetime.date.today().isoformat()}",
            f"- machine: {platform.platform()}, os.cpu_count()={os.cpu_count()}",
            "- `eventclf predict MODEL FILE --output OUT` in a child process, linear model from "
            "configs/linear.yaml; input: corpus articles repeated with fresh ids "
            f"(~{per_article:.1f} sentences each); peak = each child's own VmHWM",
            "",
            "| input MB | articles | seconds | articles/s | sentences/s | peak RSS MiB |",
            "| ---: | ---: | ---: | ---: | ---: | ---: |",
            *rows,
            "",
        ]
    )
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
