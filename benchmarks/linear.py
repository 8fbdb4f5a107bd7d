"""The linear baseline side by side with a stock scikit-learn pipeline of the same kind.

Run from the repository root: ``.venv/bin/python benchmarks/linear.py`` (``make bench``).
Measures, in one run on this machine:

- training time from 1k to 100k sentences, eventclf vs stock (ratio);
- prediction throughput in sentences/s: stock ``pipeline.predict_proba`` on pre-split
  sentences, eventclf ``Tagger.predict_proba`` on the same sentences, and eventclf
  ``Tagger.tag_many`` on whole articles (sentence splitting included);
- peak traced memory (tracemalloc) of training and of prediction;
- accuracy on the corpus test split and, when ../shared is beside the checkout, on
  ``data/public/real-test.jsonl`` (all rows, and the strict subset), both models trained on
  the same data (configs/linear.yaml) with thresholds tuned on the corpus dev split.

The stock pipeline: ``FeatureUnion`` of word and ``char_wb`` ``TfidfVectorizer``s and
``OneVsRestClassifier(LogisticRegression(liblinear))`` with the settings of configs/linear.yaml
(n-gram ranges, binary or sublinear TF, C, class weights): the same features and model, so the
accuracy columns should agree and the speed columns compare implementations.
Scaling sets of more sentences than the corpus has are the corpus sentences resampled with
random word dropout (so that the vocabulary keeps growing); they measure time, not accuracy.
Results go to ``benchmarks/results/linear.md`` (figures only, no sentence from ../shared).
"""

from __future__ import annotations

import datetime
import gc
import os
import platform
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EVENTCLF_SHARED", ROOT.parent / "shared"))
RESULTS = ROOT / "benchmarks" / "results" / "linear.md"
CONFIG = ROOT / "configs" / "linear.yaml"
SIZES = (1_000, 10_000, 100_000)


def stock_pipeline(seed: int, params: Any = None) -> Any:
    """The stock scikit-learn pipeline with the same settings as ``params`` (a
    LinearModelConfig; default: configs/linear.yaml's)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion, make_pipeline

    if params is None:
        from eventclf.config import load_config

        params = load_config(CONFIG).model
    tf = {"sublinear_tf": params.sublinear_tf and not params.binary, "binary": params.binary}
    features = FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=params.word_ngrams, token_pattern=r"\w+", **tf)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=params.char_ngrams, **tf)),
        ]
    )
    clf = OneVsRestClassifier(
        LogisticRegression(
            C=params.C,
            class_weight=params.class_weight,
            solver="liblinear",
            random_state=seed,
            max_iter=params.max_iter,
        )
    )
    return make_pipeline(features, clf)


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_mib(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def resample(
    texts: Sequence[str], y: np.ndarray, n: int, seed: int
) -> tuple[list[str], np.ndarray]:
    rng = random.Random(seed)
    out, rows = [], []
    for _ in range(n):
        i = rng.randrange(len(texts))
        words = texts[i].split()
        kept = [w for w in words if rng.random() > 0.15] or words
        out.append(" ".join(kept))
        rows.append(y[i])
    return out, np.asarray(rows)


def macro_f1(
    y: np.ndarray, proba: np.ndarray, thresholds: Sequence[float], labels: Any
) -> dict[str, float]:
    from eventclf.evaluate import apply_thresholds, score

    m = score(y, apply_thresholds(proba, thresholds), labels)
    return {name: m[name]["f1"] for name in [*labels, "macro"]}


def main() -> int:
    from eventclf.config import load_config
    from eventclf.data.dataset import build
    from eventclf.data.readers import read_articles
    from eventclf.evaluate import evaluation_rows, tune_thresholds
    from eventclf.models.linear import LinearBackend
    from eventclf.predict import Tagger

    cfg = load_config(CONFIG)
    labels = cfg.data.label_set
    dd, _ = build(cfg)
    train_x, train_y = list(dd["train"]["text"]), np.asarray(dd["train"]["labels"])
    dev_x, dev_y = list(dd["dev"]["text"]), np.asarray(dd["dev"]["labels"])
    test_x, test_y = list(dd["test"]["text"]), np.asarray(dd["test"]["labels"])
    seed = cfg.training.seed
    lines: list[str] = []

    # --- accuracy: both trained on the corpus train split, thresholds tuned on dev ----------
    ours = LinearBackend(cfg.model, seed=seed).fit(train_x, train_y)
    stock = stock_pipeline(seed, cfg.model).fit(train_x, train_y)
    thr_ours, _ = tune_thresholds(dev_y, ours.predict_proba(dev_x))
    thr_stock, _ = tune_thresholds(dev_y, stock.predict_proba(dev_x))
    tagger = Tagger(ours, labels, thr_ours)
    evals: list[tuple[str, list[str], np.ndarray]] = [("corpus test", test_x, test_y)]
    real = SHARED / "data" / "public" / "real-test.jsonl"
    if real.exists():
        for strict in (False, True):
            x, y, _, _ = evaluation_rows(tagger, real, strict=strict)
            evals.append((f"real-test{' strict' if strict else ''} ({len(x)})", x, y))
    else:
        lines.append(f"real-test: skipped ({real} is absent)")
    acc_rows = []
    for name, x, y in evals:
        a = macro_f1(y, ours.predict_proba(x), thr_ours, labels)
        b = macro_f1(y, stock.predict_proba(x), thr_stock, labels)
        acc_rows.append(
            f"| {name} | "
            + " | ".join(f"{a[k]:.3f} / {b[k]:.3f}" for k in [*labels, "macro"])
            + " |"
        )

    # --- prediction throughput ---------------------------------------------------------------
    articles = [
        a.text
        for p in ("train", "dev", "test")
        for a in read_articles(ROOT / "data" / "corpus" / f"{p}.jsonl")
    ]
    articles = articles * 10
    from eventclf.data.sentences import split_sentences

    sentences = [a[s:e] for a in articles for s, e in split_sentences(a)]
    n = len(sentences)
    t_stock, _ = timed(lambda: stock.predict_proba(sentences), repeat=3)
    t_proba, _ = timed(lambda: tagger.predict_proba(sentences), repeat=3)
    t_tag, _ = timed(lambda: list(tagger.tag_many(articles)), repeat=3)
    mem_stock = peak_mib(lambda: stock.predict_proba(sentences))
    mem_tag = peak_mib(lambda: list(tagger.tag_many(articles)))
    rows = [
        ("stock pipeline `predict_proba` (pre-split sentences)", t_stock, f"{mem_stock:.0f}"),
        ("eventclf `Tagger.predict_proba` (pre-split sentences)", t_proba, ""),
        (
            "eventclf `Tagger.tag_many` (whole articles, splitting included)",
            t_tag,
            f"{mem_tag:.0f}",
        ),
    ]
    speed = [f"| {what} | {n / t:,.0f} | {t_stock / t:.2f}x | {mem} |" for what, t, mem in rows]

    # --- training time, 1k -> 100k sentences -------------------------------------------------
    train_rows = []
    for size in SIZES:
        x, y = resample(train_x, train_y, size, seed)
        t_o, _ = timed(lambda: LinearBackend(cfg.model, seed=seed).fit(x, y))
        t_s, _ = timed(lambda: stock_pipeline(seed, cfg.model).fit(x, y))
        mem = ""
        if size == 10_000:
            m_o = peak_mib(lambda: LinearBackend(cfg.model, seed=seed).fit(x, y))
            m_s = peak_mib(lambda: stock_pipeline(seed, cfg.model).fit(x, y))
            mem = f"{m_o:.0f} / {m_s:.0f}"
        train_rows.append(f"| {size:,} | {t_o:.2f} | {t_s:.2f} | {t_s / t_o:.2f}x | {mem} |")
        print(f"trained {size}: ours {t_o:.2f}s stock {t_s:.2f}s", file=sys.stderr)

    vers = ", ".join(f"{p} {version(p)}" for p in ("scikit-learn", "numpy", "scipy"))
    out = [
        "# Linear baseline vs stock scikit-learn",
        "",
        f"- date: {datetime.date.today().isoformat()}",
        f"- machine: {platform.platform()}, {platform.machine()}, os.cpu_count()={os.cpu_count()}",
        f"- python {platform.python_version()}; {vers}",
        f"- both models: the settings of configs/linear.yaml ({cfg.model.model_dump_json()}), "
        f"trained on the corpus train split ({len(train_x)} sentences); thresholds tuned on the "
        "corpus dev split",
        "- the features are the same (tested equal to scikit-learn's); eventclf computes them "
        "through a per-token n-gram cache and one sparse product",
        *[f"- {line}" for line in lines],
        "",
        "## Accuracy (F1: eventclf / stock)",
        "",
        "| data | " + " | ".join([*labels, "macro"]) + " |",
        "| --- |" + " --- |" * (len(labels) + 1),
        *acc_rows,
        "",
        f"## Prediction ({n:,} sentences in {len(articles):,} articles, best of 3)",
        "",
        "| what | sentences/s | vs stock | peak MiB (tracemalloc) |",
        "| --- | ---: | ---: | ---: |",
        *speed,
        "",
        "## Training time (seconds; resampled corpus sentences)",
        "",
        "| sentences | eventclf | stock | stock / eventclf | peak MiB eventclf / stock |",
        "| ---: | ---: | ---: | ---: | ---: |",
        *train_rows,
        "",
    ]
    text = "\n".join(out)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
