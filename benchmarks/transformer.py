"""Transformer inference side by side with the stock transformers pipeline, in one run.

Run from the repository root: ``.venv/bin/python benchmarks/transformer.py [--model DIR]``
(default: ``models/transformer``, trained by ``eventclf train configs/transformer.yaml``).
On the same model and the same sentences (real news from ../shared/data/public/real-test.jsonl
when present, else the corpus test split) it measures sentences/s of:

- stock: ``transformers.pipeline("text-classification", batch_size=32, top_k=None,
  function_to_apply="sigmoid")`` over the model folder;
- eventclf full precision: ``Tagger.predict_proba`` (bulk tokenisation, length-sorted
  batches padded per batch, ``torch.inference_mode``);
- eventclf int8: the same after dynamic int8 quantisation of the Linear layers (two modes);
  each rate is the best of ``--rounds`` warmed runs (default 3), taken in turns, stock too;
- eventclf bf16: the same with bfloat16 weights (fast on CPUs with native bf16);

and the accuracy cost of int8 and bf16 (macro-F1 on the corpus test split, and on real-dev when
present, with the model's tuned thresholds). On a CUDA device it also runs the GPU path
(bf16) on ``--gpu-sentences`` sentences at two batch sizes; ``--gpu-only`` skips the CPU
rows. Results go to ``benchmarks/results/transformer.md`` (``--results`` elsewhere).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EVENTCLF_SHARED", ROOT.parent / "shared"))
RESULTS = ROOT / "benchmarks" / "results" / "transformer.md"


def rate(fn: Callable[[], Any], n: int, repeat: int = 2) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return n / best


def round_robin(
    contenders: list[tuple[str, Callable[[int], Any]]], n: int, rounds: int
) -> list[tuple[str, float]]:
    """Sentences/s of each contender: the best of ``rounds`` runs, taken in turns.

    ``fn(k)`` tags the first ``k`` sentences; each timed run follows an untimed one on 64
    sentences. One run of each per round, so a slow spell of the machine (a shared host's
    neighbours, clock changes) falls on every contender alike, not on whichever ran in it.
    """
    best = [float("inf")] * len(contenders)
    for _ in range(rounds):
        for i, (_, fn) in enumerate(contenders):
            fn(64)  # warm: the previous contender's weights and threads are in the way
            t0 = time.perf_counter()
            fn(n)
            best[i] = min(best[i], time.perf_counter() - t0)
    return [(name, n / t) for (name, _), t in zip(contenders, best, strict=True)]


def macro(tagger: Any, texts: list[str], y: np.ndarray) -> float:
    from eventclf.evaluate import apply_thresholds, score

    m = score(y, apply_thresholds(tagger.predict_proba(texts), tagger.thresholds), tagger.labels)
    return float(m["macro"]["f1"])


def repeat_to(texts: list[str], n: int) -> list[str]:
    """``texts`` repeated and cut to exactly ``n`` sentences."""
    return (texts * (n // max(len(texts), 1) + 1))[:n]


def stock_pipeline(model_dir: Path, device: str) -> Any:
    """The stock transformers pipeline over the model folder: the baseline of every row."""
    import transformers

    return transformers.pipeline(
        "text-classification",
        model=str(model_dir / "model"),
        batch_size=32,
        top_k=None,
        function_to_apply="sigmoid",
        device=0 if device == "cuda" else -1,
    )


def gpu_rates(
    model_dir: Path, texts: list[str], n: int, device: str = "cuda"
) -> list[tuple[str, float]]:
    """sentences/s on the GPU: the stock pipeline, then eventclf at a few batch sizes.

    ``device="cpu"`` rehearses the same code on the CPU (``--rehearse``), to check the script
    before spending GPU time on it.
    """
    import torch

    import eventclf

    big = repeat_to(texts, n)
    small = big[: max(n // 10, 1)]
    stock = stock_pipeline(model_dir, device)
    stock(small[:256], truncation=True, max_length=128)  # warm-up
    rows = [
        (
            f"stock `pipeline(batch_size=32)`, {device} fp32",
            rate(lambda: stock(small, truncation=True, max_length=128), len(small), 1),
        )
    ]
    tagger = eventclf.load(model_dir, device=device)
    backend: Any = tagger.backend
    for size in (256, 1024):
        backend.params = backend.params.model_copy(update={"eval_batch_size": size})
        tagger.predict_proba(big[:2048])  # warm-up: kernels, autotuning
        if device == "cuda":
            torch.cuda.synchronize()
        rows.append(
            (
                f"eventclf `predict_proba`, {device} {'bf16' if device == 'cuda' else 'fp32'}, "
                f"batch {size}",
                rate(lambda: tagger.predict_proba(big), len(big)),
            )
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(ROOT / "models" / "transformer"))
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each CPU row")
    parser.add_argument(
        "--gpu-sentences",
        type=int,
        default=200_000,
        help="sentences for the GPU rows (the 2,000 of the CPU rows repeated)",
    )
    parser.add_argument(
        "--gpu-only", action="store_true", help="skip the CPU rows (on the lent GPU machine)"
    )
    parser.add_argument(
        "--rehearse",
        action="store_true",
        help="without a GPU, run the GPU rows on the CPU (to check the script, not to measure)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="markdown output")
    args = parser.parse_args()
    import torch
    import transformers

    import eventclf
    from eventclf.evaluate import evaluation_rows
    from eventclf.models.transformer import cpu_has_native_bf16

    model_dir = Path(args.model)
    cuda = torch.cuda.is_available()
    tagger = eventclf.load(model_dir, device="cpu")
    real = SHARED / "data" / "public" / "real-test.jsonl"
    source = real if real.exists() else ROOT / "data" / "corpus" / "test.jsonl"
    texts, _, _, _ = evaluation_rows(tagger, source)
    texts = repeat_to(texts, args.sentences)
    n = len(texts)

    rows: list[tuple[str, float]] = []
    acc: list[str] = []
    r_stock, agree = float("nan"), float("nan")
    if not args.gpu_only:
        stock = stock_pipeline(model_dir, "cpu")
        int8 = eventclf.load(model_dir, device="cpu", quantize=True)
        int8_all = eventclf.load(model_dir, device="cpu", quantize="int8-all")
        bf16 = eventclf.load(model_dir, device="cpu", quantize="bf16")
        # The same fp32 and int8 models on one worker with all of torch's threads (the
        # default shares the batches among single-threaded workers): what the workers add.
        one = {"cpu_workers": 1}
        fp32_one = eventclf.load(model_dir, device="cpu")
        fp32_one.backend.params = fp32_one.backend.params.model_copy(update=one)  # type: ignore[attr-defined]
        int8_one = eventclf.load(model_dir, device="cpu", quantize=True)
        int8_one.backend.params = int8_one.backend.params.model_copy(update=one)  # type: ignore[attr-defined]
        early = "bf16" if cpu_has_native_bf16() else "fp32"
        contenders: list[tuple[str, Callable[[int], Any]]] = [
            (
                "stock `pipeline(batch_size=32)`, CPU fp32",
                lambda k: stock(texts[:k], truncation=True, max_length=128),
            ),
            ("eventclf `predict_proba`, CPU fp32", lambda k: tagger.predict_proba(texts[:k])),
            (
                f"eventclf `predict_proba`, CPU int8 (default: first-half feed-forward in {early})",
                lambda k: int8.predict_proba(texts[:k]),
            ),
            (
                "eventclf `predict_proba`, CPU fp32, one worker on all threads",
                lambda k: fp32_one.predict_proba(texts[:k]),
            ),
            (
                "eventclf `predict_proba`, CPU int8, one worker on all threads",
                lambda k: int8_one.predict_proba(texts[:k]),
            ),
            (
                "eventclf `predict_proba`, CPU int8-all (every layer)",
                lambda k: int8_all.predict_proba(texts[:k]),
            ),
            (
                f"eventclf `predict_proba`, CPU bf16 (native bf16: {cpu_has_native_bf16()})",
                lambda k: bf16.predict_proba(texts[:k]),
            ),
        ]
        rows = round_robin(contenders, n, args.rounds)
        r_stock = rows[0][1]
        # Same scores as the stock pipeline (full precision): a correctness check, not a speed one.
        ref = stock(texts[:64], truncation=True, max_length=128)
        ref_m = np.array(
            [
                [
                    {d["label"]: d["score"] for d in r}[f"LABEL_{j}"]
                    for j in range(len(tagger.labels))
                ]
                for r in ref
            ]
        )
        agree = float(np.abs(ref_m - tagger.predict_proba(texts[:64])).max())

        for name, path in (
            ("corpus test", ROOT / "data" / "corpus" / "test.jsonl"),
            ("real-dev", SHARED / "data" / "public" / "real-dev.jsonl"),
        ):
            if not path.exists():
                acc.append(f"| {name} | skipped: {path} absent | | | | | | |")
                continue
            x, y, _, _ = evaluation_rows(tagger, path)
            a = macro(tagger, x, y)
            cells = [
                f"{v:.3f} | {v - a:+.3f}" for v in (macro(m, x, y) for m in (int8, int8_all, bf16))
            ]
            acc.append(f"| {name} ({len(x)}) | {a:.3f} | {' | '.join(cells)} |")

    gpu_rows: list[tuple[str, float]] = []
    if cuda or args.rehearse:
        gpu_rows = gpu_rates(model_dir, texts, args.gpu_sentences, "cuda" if cuda else "cpu")
    meta = json.loads((model_dir / "meta.json").read_text("utf-8"))
    base = meta["backend_info"].get("base_resolved", "?")
    resolved = model_dir.resolve()
    shown = resolved.relative_to(ROOT) if resolved.is_relative_to(ROOT) else model_dir
    lines = [
        "# Transformer inference vs the stock pipeline",
        "",
        f"- date: {datetime.date.today().isoformat()}",
        f"- machine: {platform.platform()}, os.cpu_count()={os.cpu_count()}, torch threads "
        f"{torch.get_num_threads()}, GPU: {torch.cuda.get_device_name(0) if cuda else 'none'}",
        f"- torch {torch.__version__}, transformers {transformers.__version__}",
        f"- model: {shown} (base {base}, max_length "
        f"{meta['backend_info']['params']['max_length']})",
        f"- sentences: {n} from {'real-test (real news)' if source == real else 'corpus test'}",
        f"- largest score difference, eventclf fp32 vs stock pipeline, 64 sentences: {agree:.2e}"
        if not args.gpu_only
        else "- CPU rows skipped (--gpu-only)",
        "",
        "| what | sentences/s | vs stock |",
        "| --- | ---: | ---: |",
        *[f"| {what} | {r:,.0f} | {r / r_stock:.2f}x |" for what, r in rows],
        *[
            f"| {what} | {r:,.0f} | {r / gpu_rows[0][1]:.2f}x (vs stock GPU) |"
            for what, r in gpu_rows
        ],
        *(
            [
                "",
                f"GPU rows: {args.gpu_sentences:,} sentences (the ones above, repeated), scored "
                "end to end from raw text (tokenising included), best of two runs after a "
                "warm-up; the stock pipeline on a tenth of them.",
            ]
            if gpu_rows
            else []
        ),
        *(
            [
                "",
                "## Accuracy cost of int8 and bf16 (macro-F1, tuned thresholds)",
                "",
                "| data | fp32 | int8 | change | int8-all | change | bf16 | change |",
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
                *acc,
            ]
            if acc
            else []
        ),
        "",
        "GPU rows need the lent GPU machine (benchmarks/gpu/run.sh); "
        + ("measured above." if cuda else "skipped here: this run had no GPU."),
        "",
    ]
    text = "\n".join(lines)
    args.results.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
