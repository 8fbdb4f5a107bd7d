"""Labelled sentences -> ``datasets.DatasetDict``, split by article.

Rows are generated straight into an on-disk Arrow file (``Dataset.from_generator``), so a
large input is never held as Python lists. Articles (or the rows of one ``doc_id``) stay
together: sources with a fixed ``split`` go there whole, the others are divided by the
configured fractions, stratified by which labels an article carries and deterministic for a
seed. Sentences of dev/test whose normalised text already occurs in an earlier split (the
same wire copy in two outlets) are removed from the evaluation side and counted.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eventclf.config import RunConfig, load_config
from eventclf.data.labelling import label_article
from eventclf.data.readers import ReadReport, read_all
from eventclf.data.sentences import get_splitter
from eventclf.errors import EventclfError

__all__ = ["DatasetReport", "build", "build_dataset", "data_fingerprint", "normalise"]

SPLITS = ("train", "dev", "test")
_ROWS_VERSION = "3"  # bump when _rows changes what it yields
_NON_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """The text near-duplicates share: lower case, punctuation and spacing removed."""
    return _NON_WORD.sub(" ", text.lower()).strip()


def _key(text: str) -> str:
    """A short digest of the normalised text (empty for text with no word in it)."""
    norm = normalise(text)
    return hashlib.blake2b(norm.encode(), digest_size=8).hexdigest() if norm else ""


@dataclass
class DatasetReport:
    """What building a dataset did, for logs, stats and the model card."""

    articles: int = 0
    sentences: int = 0
    unsure_dropped: int = 0
    near_duplicates_removed: dict[str, int] = field(default_factory=dict)
    split_articles: dict[str, int] = field(default_factory=dict)
    split_sentences: dict[str, int] = field(default_factory=dict)
    label_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    read: ReadReport = field(default_factory=ReadReport)
    fingerprint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "sentences": self.sentences,
            "unsure_dropped": self.unsure_dropped,
            "near_duplicates_removed": self.near_duplicates_removed,
            "split_articles": self.split_articles,
            "split_sentences": self.split_sentences,
            "label_counts": self.label_counts,
            "bad_records_skipped": len(self.read.skipped),
            "duplicate_spans": self.read.duplicate_spans,
            "fingerprint": self.fingerprint,
        }


def data_fingerprint(paths: list[str]) -> str:
    """SHA-256 over the sources' bytes (folders: every file, in name order)."""
    h = hashlib.sha256()
    for p in map(Path, paths):
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            h.update(str(f.name).encode())
            if f.exists():
                with f.open("rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
    return h.hexdigest()


def _rows(cfg_json: str, report: ReadReport, counts: Counter[str]) -> Iterator[dict[str, Any]]:
    cfg = RunConfig.model_validate_json(cfg_json)
    data = cfg.data
    labels = data.label_set
    splitter = get_splitter(data.splitter)
    drop = set(data.drop_quality)
    for n_src, src in enumerate(data.sources):
        for article in read_all(
            [src.path],
            format=src.format,
            labels=labels,
            offsets=src.offsets,
            lenient=data.lenient,
            report=report,
        ):
            counts["articles"] += 1
            quality = article.metadata.get("quality")
            dropped_quality = isinstance(quality, str) and quality in drop
            for sent in label_article(article, splitter, data.overlap):
                if sent.unsure or dropped_quality:
                    counts["unsure"] += 1
                    continue
                yield {
                    "text": sent.text,
                    "labels": labels.encode(sent.labels),
                    "article_id": sent.article_id,
                    "group": f"{n_src}\x1f{src.path}\x1f{sent.group}",
                    "sentence_index": sent.sentence_index,
                    "start": sent.start,
                    "end": sent.end,
                    "fixed_split": src.split or "",
                    "dedupe_key": _key(sent.text),
                }


def _assign_groups(
    groups: list[str], labels: list[list[int]], fixed: list[str], cfg: RunConfig
) -> dict[str, str]:
    """Split name per group: fixed where given, else stratified by label presence."""
    signature: dict[str, tuple[int, ...]] = {}
    assigned: dict[str, str] = {}
    for g, row, fx in zip(groups, labels, fixed, strict=True):
        if fx:
            assigned[g] = fx
            continue
        prev = signature.get(g, (0,) * len(row))
        signature[g] = tuple(max(a, b) for a, b in zip(prev, row, strict=True))
    seed = cfg.data.split_seed if cfg.data.split_seed is not None else cfg.training.seed
    fractions = {
        "train": cfg.data.split.train,
        "dev": cfg.data.split.dev,
        "test": cfg.data.split.test,
    }
    strata: dict[tuple[int, ...], list[str]] = defaultdict(list)
    for g, sig in signature.items():
        strata[sig].append(g)
    total = dict.fromkeys(SPLITS, 0)
    n_total = 0
    for sig in sorted(strata):
        members = sorted(strata[sig], key=lambda g: hashlib.sha1(f"{seed}:{g}".encode()).digest())
        taken = dict.fromkeys(SPLITS, 0)
        for n, g in enumerate(members, start=1):
            n_total += 1
            # Largest deficit in this stratum first, then overall: proportional allocation
            # even when strata are small.
            name = max(
                SPLITS,
                key=lambda s: (
                    round(fractions[s] * n - taken[s], 9),
                    fractions[s] * n_total - total[s],
                ),
            )
            taken[name] += 1
            total[name] += 1
            assigned[g] = name
    return assigned


def build(
    config: RunConfig | str | Path | Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    *,
    cache_dir: str | None = None,
) -> tuple[Any, DatasetReport]:
    """Build the DatasetDict of a run config; return it with a :class:`DatasetReport`."""
    import datasets
    from datasets.exceptions import DatasetGenerationError

    cfg = config if isinstance(config, RunConfig) else load_config(config, overrides)
    labels = cfg.data.label_set
    report = DatasetReport()
    report.fingerprint = data_fingerprint([s.path for s in cfg.data.sources])
    features = datasets.Features(
        {
            "text": datasets.Value("string"),
            "labels": datasets.List(datasets.Value("int8"), length=len(labels)),
            "article_id": datasets.Value("string"),
            "group": datasets.Value("string"),
            "sentence_index": datasets.Value("int32"),
            "start": datasets.Value("int64"),
            "end": datasets.Value("int64"),
            "fixed_split": datasets.Value("string"),
            "dedupe_key": datasets.Value("string"),
        }
    )
    cfg_json = json.dumps(cfg.dump(), sort_keys=True)
    # The cache key: config, data bytes, the columns, and the code that makes the rows.
    from eventclf import __version__

    key = "\x1f".join([cfg_json, report.fingerprint, repr(features), __version__, _ROWS_VERSION])
    fingerprint = hashlib.sha256(key.encode()).hexdigest()[:32]
    counts: Counter[str] = Counter()
    bars = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        full = datasets.Dataset.from_generator(
            _rows,
            features=features,
            gen_kwargs={"cfg_json": cfg_json, "report": report.read, "counts": counts},
            cache_dir=cache_dir,
            fingerprint=fingerprint,
        )
    except DatasetGenerationError as exc:
        cause = exc.__cause__
        while cause is not None and not isinstance(cause, EventclfError):
            cause = cause.__cause__
        if cause is not None:
            raise cause from None
        raise
    finally:
        if bars:
            datasets.enable_progress_bars()
    if not counts:  # loaded from the cache: the generator did not run
        counts["articles"] = len(set(full["group"]))
    report.articles = counts["articles"]
    report.unsure_dropped = counts["unsure"]
    report.sentences = len(full)

    groups, rows, fixed = full["group"], full["labels"], full["fixed_split"]
    assignment = _assign_groups(groups, rows, fixed, cfg)
    split_of = [assignment[g] for g in groups]
    keys = list(full["dedupe_key"]) if cfg.data.dedupe_across_splits else None
    seen: set[str] = set()
    out = {}
    for name in SPLITS:
        idx = [i for i, s in enumerate(split_of) if s == name]
        if keys is not None:
            kept = [i for i in idx if keys[i] not in seen or not keys[i]]
            report.near_duplicates_removed[name] = len(idx) - len(kept)
            seen.update(keys[i] for i in idx)
            idx = kept
        if not idx:
            continue
        part = full.select(idx)
        out[name] = part
        report.split_sentences[name] = len(idx)
        report.split_articles[name] = len({groups[i] for i in idx})
        report.label_counts[name] = {
            lab: int(sum(rows[i][j] for i in idx)) for j, lab in enumerate(labels)
        }
        report.label_counts[name]["none"] = int(sum(1 for i in idx if not any(rows[i])))
    return datasets.DatasetDict(out), report


def build_dataset(
    config: RunConfig | str | Path | Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    *,
    cache_dir: str | None = None,
) -> Any:
    """``datasets.DatasetDict`` with the config's splits (train, dev, test where non-empty).

    Columns: ``text``, ``labels`` (multi-hot in label-set order), ``article_id``,
    ``group``, ``sentence_index``, ``start``, ``end``, ``fixed_split``, ``dedupe_key``
    (a digest of the normalised text, for near-duplicate checks).
    """
    return build(config, overrides, cache_dir=cache_dir)[0]
