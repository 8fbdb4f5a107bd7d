"""Scores: per-label precision/recall/F1/support, micro and macro averages, threshold tuning,
and a readable report with plots and the misclassified sentences."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from eventclf.labels import LabelSet

__all__ = ["apply_thresholds", "score", "tune_thresholds", "write_report"]

Metrics = dict[str, dict[str, float]]


def _prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def apply_thresholds(proba: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """0/1 predictions: a label is on when its score reaches its threshold."""
    return (np.asarray(proba) >= np.asarray(thresholds)[None, :]).astype(np.int8)


def score(y_true: np.ndarray, y_pred: np.ndarray, labels: LabelSet) -> Metrics:
    """``{label | "micro" | "macro": {precision, recall, f1, support}}``.

    Macro averages the per-label scores over every label in the set (a label with no
    support and no prediction scores 0, as scikit-learn's ``zero_division=0`` does).
    """
    y_true = np.asarray(y_true).astype(bool)
    y_pred = np.asarray(y_pred).astype(bool)
    out: Metrics = {}
    tps = fps = fns = 0.0
    for j, name in enumerate(labels):
        t, p = y_true[:, j], y_pred[:, j]
        tp, fp, fn = float(np.sum(t & p)), float(np.sum(~t & p)), float(np.sum(t & ~p))
        tps, fps, fns = tps + tp, fps + fp, fns + fn
        prec, rec, f1 = _prf(tp, fp, fn)
        out[name] = {"precision": prec, "recall": rec, "f1": f1, "support": int(t.sum())}
    prec, rec, f1 = _prf(tps, fps, fns)
    out["micro"] = {"precision": prec, "recall": rec, "f1": f1, "support": int(y_true.sum())}
    per = [out[n] for n in labels]
    out["macro"] = {
        k: float(np.mean([m[k] for m in per])) for k in ("precision", "recall", "f1")
    } | {"support": int(y_true.sum())}
    return out


def _best_threshold(t: np.ndarray, s: np.ndarray, weight: float) -> float:
    """The F1-maximising cut on one label's scores (negatives counted ``weight`` times)."""
    order = np.argsort(-s, kind="stable")
    s_sorted, t_sorted = s[order], t[order]
    tp = np.cumsum(t_sorted)
    fp = np.cumsum(~t_sorted) * weight
    # Only cut where the score changes (ties go together).
    last_of_run = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    f1 = 2 * tp / (tp + fp + t.sum())
    f1 = np.where(last_of_run, f1, -1.0)
    best = int(np.argmax(f1))
    nxt = s_sorted[best + 1] if best + 1 < len(s_sorted) else 0.0
    return float((s_sorted[best] + nxt) / 2)


def tune_thresholds(
    y_true: np.ndarray,
    proba: np.ndarray,
    *,
    low: float = 0.05,
    high: float = 0.95,
    default: float = 0.5,
    names: Sequence[str] | None = None,
    prevalence: float | None = None,
    bootstrap: int = 0,
    seed: int = 0,
) -> tuple[list[float], list[str]]:
    """Per-label thresholds maximising F1 on (dev) data, kept in ``[low, high]``.

    Returns the thresholds and notes (a label with no positive example keeps ``default``).
    A chosen threshold sits halfway between the score that gives the best F1 and the next
    lower score, so it does not hug one training example.

    ``prevalence``: the share of sentences expected to carry a label in the text the model
    will tag. When a label is more frequent than that in the tuning data, each negative
    counts as ``w = (pos / neg) / (prevalence / (1 - prevalence))`` false positives, so F1
    is maximised as it would be on text with that prevalence (a corpus rich in events tunes
    thresholds too low for news, where few sentences carry one). None: no reweighting.

    ``bootstrap``: when above 0, each threshold is the median of the F1-maximising cuts on
    that many resamples (with replacement, seeded by ``seed``) of the tuning data, which is
    steadier than one maximum on a dev split of a few hundred positives.
    """
    y_true = np.asarray(y_true).astype(bool)
    proba = np.asarray(proba, dtype=np.float64)
    rng = np.random.default_rng(seed)
    resamples = [rng.integers(0, len(y_true), len(y_true)) for _ in range(bootstrap)]
    thresholds: list[float] = []
    notes: list[str] = []
    for j in range(proba.shape[1]):
        t, s = y_true[:, j], proba[:, j]
        if not t.any():
            thresholds.append(default)
            name = names[j] if names is not None else f"column {j}"
            notes.append(f"{name}: no positive example in the tuning data; threshold {default}")
            continue
        weight = 1.0
        pos_rate = float(t.mean())
        if prevalence is not None and prevalence < pos_rate < 1.0:
            weight = (pos_rate / (1 - pos_rate)) / (prevalence / (1 - prevalence))
        if resamples:
            cuts = [_best_threshold(t[i], s[i], weight) for i in resamples if t[i].any()]
            thr = float(np.median(cuts))
        else:
            thr = _best_threshold(t, s, weight)
        thresholds.append(float(min(max(thr, low), high)))
    return thresholds, notes


def _plots(
    y_true: np.ndarray,
    proba: np.ndarray,
    y_pred: np.ndarray,
    labels: LabelSet,
    out: Path,
    split: str,
) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    files = []
    fig, axes = plt.subplots(1, len(labels), figsize=(3.2 * len(labels), 3), squeeze=False)
    for j, name in enumerate(labels):
        t, p = y_true[:, j].astype(bool), y_pred[:, j].astype(bool)
        m = np.array([[np.sum(~t & ~p), np.sum(~t & p)], [np.sum(t & ~p), np.sum(t & p)]])
        ax = axes[0][j]
        ax.imshow(m, cmap="Blues")
        for (a, b), v in np.ndenumerate(m):
            ax.text(b, a, str(v), ha="center", va="center")
        ax.set_xticks([0, 1], ["pred no", "pred yes"])
        ax.set_yticks([0, 1], ["gold no", "gold yes"])
        ax.set_title(name, fontsize=9)
    fig.tight_layout()
    name = f"{split}-confusion.png"
    fig.savefig(out / name, dpi=90)
    plt.close(fig)
    files.append(name)

    fig, ax = plt.subplots(figsize=(5, 4))
    for j, label in enumerate(labels):
        if y_true[:, j].any():
            prec, rec, _ = precision_recall_curve(y_true[:, j], proba[:, j])
            ax.plot(rec, prec, label=label)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    ax.set_title(f"precision-recall ({split})")
    fig.tight_layout()
    name = f"{split}-pr.png"
    fig.savefig(out / name, dpi=90)
    plt.close(fig)
    files.append(name)
    return files


def _table(metrics: Metrics, labels: LabelSet) -> list[str]:
    rows = ["| label | precision | recall | F1 | support |", "| --- | --- | --- | --- | --- |"]
    for name in [*labels, "micro", "macro"]:
        m = metrics[name]
        rows.append(
            f"| {name} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | "
            f"{int(m['support'])} |"
        )
    return rows


def write_report(
    out: Path,
    *,
    split: str,
    texts: Sequence[str],
    ids: Sequence[str],
    y_true: np.ndarray,
    proba: np.ndarray,
    thresholds: Sequence[float],
    labels: LabelSet,
    title: str,
) -> dict[str, Metrics]:
    """Write ``report.md``, plots and ``<split>-errors.jsonl`` to ``out``; return metrics."""
    out.mkdir(parents=True, exist_ok=True)
    y_pred = apply_thresholds(proba, thresholds)
    metrics = {
        split: score(y_true, y_pred, labels),
        f"{split}@0.5": score(y_true, apply_thresholds(proba, [0.5] * len(labels)), labels),
    }
    plots = _plots(np.asarray(y_true), proba, y_pred, labels, out, split)
    with (out / f"{split}-errors.jsonl").open("w", encoding="utf-8") as fh:
        for i in map(int, np.flatnonzero((np.asarray(y_true) != y_pred).any(axis=1))):
            fh.write(
                json.dumps(
                    {
                        "id": ids[i],
                        "text": texts[i],
                        "gold": list(labels.decode(y_true[i])),
                        "predicted": list(labels.decode(y_pred[i])),
                        "scores": {n: round(float(proba[i, j]), 4) for j, n in enumerate(labels)},
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    lines = [
        f"# {title}",
        "",
        f"{len(texts)} sentences.",
        "",
        "## Tuned thresholds",
        "",
        *_table(metrics[split], labels),
        "",
        "## All thresholds at 0.5",
        "",
        *_table(metrics[f"{split}@0.5"], labels),
        "",
        "Thresholds: " + ", ".join(f"{n} {t:.3f}" for n, t in zip(labels, thresholds, strict=True)),
        "",
        *[f"![{p}]({p})" for p in plots],
        "",
        f"Misclassified sentences: `{split}-errors.jsonl`.",
        "",
    ]
    with (out / "report.md").open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    return metrics


def metrics_table(metrics: dict[str, Any], labels: LabelSet) -> str:
    """Markdown tables for every split in a metrics.json mapping."""
    parts = []
    for split, m in metrics.items():
        parts += [f"**{split}**", "", *_table(m, labels), ""]
    return "\n".join(parts)


STRICT_DROP = ("manual", "borderline")
ALWAYS_DROP = ("unsure", "ambiguous")


def evaluation_rows(
    tagger: Any,
    path: str | Path,
    *,
    format: str = "auto",
    offsets: str = "auto",
    lenient: bool = False,
    strict: bool = False,
) -> tuple[list[str], np.ndarray, list[str], int]:
    """Labelled sentences of any supported file, split and labelled as the model was trained.

    Rows whose ``quality`` is unsure or ambiguous, and sentences overlapping an ``unsure``
    span, are left out; ``strict`` also leaves out ``manual`` and ``borderline`` rows.
    Returns texts, the multi-hot matrix, ids and the number left out.
    """
    from eventclf.config import OverlapPolicy
    from eventclf.data.labelling import label_article
    from eventclf.data.readers import read_all

    drop = set(ALWAYS_DROP) | (set(STRICT_DROP) if strict else set())
    policy = OverlapPolicy.model_validate(tagger.meta.get("overlap", {}))
    labels: LabelSet = tagger.labels
    texts: list[str] = []
    rows: list[list[int]] = []
    ids: list[str] = []
    dropped = 0
    for art in read_all([path], format=format, labels=labels, offsets=offsets, lenient=lenient):
        quality = art.metadata.get("quality")
        for sent in label_article(art, tagger._split, policy):
            if sent.unsure or (isinstance(quality, str) and quality in drop):
                dropped += 1
                continue
            texts.append(sent.text)
            rows.append(labels.encode(sent.labels))
            ids.append(f"{art.id}#{sent.sentence_index}")
    y = np.asarray(rows, dtype=np.int8).reshape(len(rows), len(labels))
    return texts, y, ids, dropped
