"""train(config) -> model directory: build the dataset, fit the backend, tune thresholds on
dev, evaluate, and save everything atomically."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from eventclf.config import RunConfig, load_config
from eventclf.data.dataset import DatasetReport, build
from eventclf.errors import ConfigError, ModelError
from eventclf.evaluate import metrics_table, tune_thresholds, write_report
from eventclf.labels import LabelSet
from eventclf.models.base import RunContext, get_backend
from eventclf.persistence import library_versions, write_model_dir

__all__ = ["train"]

log = logging.getLogger("eventclf")


def _matrix(split: Any) -> tuple[list[str], np.ndarray, list[str]]:
    texts = list(split["text"])
    y = np.asarray(split["labels"], dtype=np.int8)
    ids = [f"{a}#{i}" for a, i in zip(split["article_id"], split["sentence_index"], strict=True)]
    return texts, y, ids


def train(
    config: str | Path | Mapping[str, Any] | RunConfig,
    overrides: Mapping[str, Any] | None = None,
    *,
    output_dir: str | Path | None = None,
    overwrite: bool = False,
    cache_dir: str | None = None,
    resume: bool = False,
    progress: bool = False,
) -> Path:
    """Train the model a config describes and save it; return the model directory.

    ``overrides`` are dotted keys (``{"training.seed": 3}``), as ``--set`` on the CLI.
    The model goes to ``output_dir``, else ``training.output_dir``, else
    ``models/<config name>``; an existing directory is refused unless ``overwrite``.
    ``resume`` continues a transformer run from its last checkpoint in ``training.run_dir``;
    ``progress`` shows progress bars.
    """
    cfg = config if isinstance(config, RunConfig) else load_config(config, overrides)
    target = Path(output_dir or cfg.training.output_dir or Path("models") / cfg.name)
    if target.exists() and not overwrite:
        raise ModelError(f"{target} already exists; pass --overwrite to replace it")
    backend_cls = get_backend(cfg.model.backend)  # fails early if the extra is missing
    for member in getattr(cfg.model, "members", []):
        get_backend(member.backend)
    labels = cfg.data.label_set
    started = time.perf_counter()
    dd, report = build(cfg, cache_dir=cache_dir)
    if "train" not in dd:
        raise ConfigError(
            "the training split is empty: give a source with split: train or a non-zero "
            "data.split.train"
        )
    texts, y, _ = _matrix(dd["train"])
    if not y.any():
        raise ConfigError("the training data has no labelled sentence; nothing to learn")
    context = RunContext(
        # Checkpoints sit beside the model directory, so two runs never share them.
        run_dir=Path(cfg.training.run_dir or target.parent / f".{target.name}.run"),
        resume=resume,
        device=cfg.training.device,
        progress=progress,
    )
    backend = backend_cls(cfg.model, seed=cfg.training.seed, context=context)  # type: ignore[call-arg]
    eval_sets = {name: _matrix(dd[name]) for name in ("dev", "test") if name in dd}
    dev = eval_sets.get("dev")
    backend.fit(texts, y, dev=(dev[0], dev[1]) if dev else None)
    fit_seconds = time.perf_counter() - started
    if int(os.environ.get("RANK", "0")) != 0:  # torchrun / accelerate: rank 0 saves
        return target

    ev = cfg.evaluation
    notes: list[str] = []
    # Scores of the evaluation splits, computed once: for tuning and for the reports.
    eval_proba = {name: backend.predict_proba(x[0]) for name, x in eval_sets.items()}
    thresholds = [ev.threshold] * len(labels)
    if ev.thresholds == "tune":
        if dev is None:
            notes.append(f"no dev split: thresholds fixed at {ev.threshold:.2f} instead of tuned")
        else:
            thresholds, tune_notes = tune_thresholds(
                dev[1],
                eval_proba["dev"],
                low=ev.min_threshold,
                high=ev.max_threshold,
                default=ev.threshold,
                names=labels.names,
                prevalence=ev.prevalence,
                bootstrap=ev.bootstrap,
                seed=cfg.training.seed,
            )
            notes += tune_notes
    for note in notes:
        log.warning(note)

    def write_files(tmp: Path) -> None:
        (tmp / "model").mkdir()
        backend.save(tmp / "model")
        metrics: dict[str, Any] = {}
        eval_dir = tmp / "evaluation"
        for name, (s_texts, s_y, s_ids) in eval_sets.items():
            metrics |= write_report(
                eval_dir,
                split=name,
                texts=s_texts,
                ids=s_ids,
                y_true=s_y,
                proba=eval_proba[name],
                thresholds=thresholds,
                labels=labels,
                title=f"{cfg.name}: {name} split",
            )
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", "utf-8")
        (tmp / "config.yaml").write_text(
            yaml.safe_dump(cfg.dump(), sort_keys=False, allow_unicode=True), "utf-8"
        )
        (tmp / "README.md").write_text(
            model_card(cfg, labels, thresholds, metrics, report, notes), "utf-8"
        )

    meta = {
        "eventclf_model": True,
        "name": cfg.name,
        "backend": cfg.model.backend,
        "backend_info": backend.describe(),
        "labels": labels.to_list(),
        "thresholds": [round(float(t), 6) for t in thresholds],
        "splitter": cfg.data.splitter,
        "overlap": cfg.data.overlap.model_dump(mode="json"),
        "data_fingerprint": report.fingerprint,
        "dataset": report.to_dict(),
        "versions": library_versions(),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "train_seconds": round(fit_seconds, 3),
        "notes": notes,
    }
    return write_model_dir(target, meta=meta, write_files=write_files, overwrite=overwrite)


def model_card(
    cfg: RunConfig,
    labels: LabelSet,
    thresholds: list[float],
    metrics: dict[str, Any],
    report: DatasetReport,
    notes: list[str],
) -> str:
    """The model directory's README.md."""
    sources = "\n".join(
        f"- `{s.path}` ({s.format}{', split ' + s.split if s.split else ''})"
        for s in cfg.data.sources
    )
    counts = "\n".join(
        f"- {split}: {report.split_articles.get(split, 0)} articles, "
        f"{report.split_sentences.get(split, 0)} sentences; labels "
        + ", ".join(f"{k} {v}" for k, v in report.label_counts.get(split, {}).items())
        for split in ("train", "dev", "test")
    )
    model = json.dumps(cfg.model.model_dump(mode="json"))
    return f"""# eventclf model: {cfg.name}

Multi-label sentence classifier for political and military events in news text.

## Labels and thresholds
{chr(10).join(f"- `{n}`: threshold {t:.3f}" for n, t in zip(labels, thresholds, strict=True))}

A sentence carries a label when its score reaches the label's threshold
({"tuned for F1 on the dev split" if cfg.evaluation.thresholds == "tune" else "fixed"}).

## Data
{sources}

{counts}

Sentences marked unsure and left out: {report.unsure_dropped}. Near-duplicates removed from the
evaluation side: {report.near_duplicates_removed}.
Data fingerprint (SHA-256): `{report.fingerprint}`.

## Settings
Backend `{cfg.model.backend}`: `{model}`; seed {cfg.training.seed}; sentence splitter
`{cfg.data.splitter}`. The full resolved config is `config.yaml`.

## Scores
{metrics_table(metrics, labels) if metrics else "No dev or test split: not evaluated."}

{chr(10).join("Note: " + n for n in notes)}

## Intended use and limits
For finding candidate arms sales, military exercises and threat statements in English news,
sentence by sentence, for analysts who check what it finds. Scores come from the data above:
text of another register, language or period will score differently, and the dev/test figures
are only as good as their size (see support). Not for decisions about people without review.
"""
