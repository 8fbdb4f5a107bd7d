"""Fine-tuning throughput of eventclf's transformer backend beside a stock Trainer, in one run.

Run from the repository root: ``.venv/bin/python benchmarks/training.py [--base minilm]
[--sentences 640] [--batch-size 32] [--device cpu|cuda]``. Both sides fine-tune the same
encoder for one epoch on the same sentences (the corpus train split, repeated as needed) at the
same batch size, from the same initial weights, and report the Trainer's own
``train_samples_per_second``:

- stock: what a hand-rolled Hugging Face script does with default settings: a ``datasets``
  Dataset tokenised with ``map`` (truncation at ``max_length``), ``Trainer`` with
  ``DataCollatorWithPadding`` and default ``TrainingArguments`` (fp32, random batches, no
  evaluation, no checkpoints);
- eventclf: ``TransformerBackend.fit`` as ``configs/transformer.yaml`` runs it (length-grouped
  batches, bf16 on a GPU, BCE loss, one checkpoint per epoch), without a dev split.

Results go to ``benchmarks/results/training.md``. On a GPU machine pass ``--device cuda`` (the
default picks a GPU when there is one); benchmarks/gpu/run.sh runs it there at batch size 64 on
20,000 sentences. ``--results`` writes the table elsewhere.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "training.md"


def corpus_rows(n: int) -> tuple[list[str], np.ndarray, list[str]]:
    from eventclf.config import load_config
    from eventclf.data.dataset import build_dataset

    config = load_config(ROOT / "configs" / "linear.yaml")
    data = build_dataset(config)
    train = data["train"]
    labels = list(config.data.label_set)
    texts = list(train["text"])
    y = np.asarray(train["labels"], dtype=np.float32)
    reps = n // max(len(texts), 1) + 1
    return (texts * reps)[:n], np.tile(y, (reps, 1))[:n], labels


def stock(base: str, texts: list[str], y: np.ndarray, args: argparse.Namespace, out: str) -> float:
    import datasets
    import torch
    import transformers

    transformers.set_seed(0)
    tokenizer = transformers.AutoTokenizer.from_pretrained(base)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=y.shape[1], problem_type="multi_label_classification"
    )
    ds = datasets.Dataset.from_dict({"text": texts, "labels": y.tolist()})
    ds = ds.map(
        lambda b: tokenizer(b["text"], truncation=True, max_length=args.max_length),
        batched=True,
        remove_columns=["text"],
    )
    training_args = transformers.TrainingArguments(
        output_dir=out,
        per_device_train_batch_size=args.batch_size,
        num_train_epochs=1,
        save_strategy="no",
        report_to=[],
        disable_tqdm=True,
        use_cpu=args.device == "cpu" or not torch.cuda.is_available(),
    )
    trainer = transformers.Trainer(
        model=model,
        args=training_args,
        train_dataset=ds,
        data_collator=transformers.DataCollatorWithPadding(tokenizer),
    )
    return float(trainer.train().metrics["train_samples_per_second"])


def ours(base: str, texts: list[str], y: np.ndarray, args: argparse.Namespace, out: str) -> float:
    from eventclf.config import TransformerModelConfig
    from eventclf.models.base import RunContext
    from eventclf.models.transformer import TransformerBackend

    params = TransformerModelConfig(
        base=base, epochs=1, batch_size=args.batch_size, max_length=args.max_length
    )
    backend = TransformerBackend(
        params, seed=0, context=RunContext(run_dir=Path(out), device=args.device)
    )
    backend.fit(texts, y)
    rates = [row["train_samples_per_second"] for row in backend.history_ if "train_runtime" in row]
    return float(rates[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="minilm")
    parser.add_argument("--sentences", type=int, default=640)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--results", type=Path, default=RESULTS, help="markdown output")
    args = parser.parse_args()
    import torch
    import transformers

    from eventclf.models.transformer import pick_device, resolve_base

    base = resolve_base(args.base)
    device = pick_device(args.device)
    texts, y, _ = corpus_rows(args.sentences)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        r_stock = stock(base, texts, y, args, tmp + "/stock")
        t1 = time.perf_counter()
        r_ours = ours(base, texts, y, args, tmp + "/ours")
        t2 = time.perf_counter()
    gpu = torch.cuda.get_device_name(0) if device.type == "cuda" else "none"
    lines = [
        "# Transformer fine-tuning throughput vs the stock Trainer",
        "",
        f"- date: {datetime.date.today().isoformat()}",
        f"- machine: {platform.platform()}, os.cpu_count()={os.cpu_count()}, torch threads "
        f"{torch.get_num_threads()}, device: {device.type}, GPU: {gpu}",
        f"- torch {torch.__version__}, transformers {transformers.__version__}",
        f"- encoder: {args.base} ({base}); {len(texts)} corpus train sentences, one epoch, "
        f"batch size {args.batch_size}, max_length {args.max_length}",
        "",
        "| what | samples/s | vs stock | wall time |",
        "| --- | ---: | ---: | ---: |",
        f"| stock `Trainer` (defaults, fp32, dynamic padding) | {r_stock:,.1f} | 1.00x "
        f"| {t1 - t0:.0f} s |",
        f"| eventclf `TransformerBackend.fit` | {r_ours:,.1f} | {r_ours / r_stock:.2f}x "
        f"| {t2 - t1:.0f} s |",
        "",
        "samples/s is each Trainer's own `train_samples_per_second`; wall time includes model "
        "loading and tokenisation.",
        "",
    ]
    text = "\n".join(lines)
    args.results.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
