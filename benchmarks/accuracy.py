"""Accuracy of eventclf models beside a keyword baseline, on every evaluation set we have.

Run from the repository root::

    .venv/bin/python benchmarks/accuracy.py                 # train configs/*.yaml, then measure
    .venv/bin/python benchmarks/accuracy.py --model models/linear --model models/transformer

With no ``--model`` the script trains ``configs/linear.yaml`` and, when it exists and its
backend's extra is installed, ``configs/transformer.yaml`` into a temporary folder (``--train``
does that as well as measuring the ``--model`` directories; ``--config YAML``, repeatable,
trains those configs instead). The linear model trains and is measured in about a minute on 2
CPU cores; fine-tuning the transformer on CPU adds about 10 minutes, so for a quick run use
``--config configs/linear.yaml`` or pass a transformer trained elsewhere with ``--model``.
The tables go to ``benchmarks/results/accuracy.md`` and stdout; the misclassified real-dev
sentences of each model go to ``benchmarks/out/accuracy-real-dev-errors-<model>.jsonl``
(ignored by git). Data
come from ``$EVENTCLF_SHARED`` (default: ``../shared`` beside the checkout); an absent file is
reported as "skipped" and the rest still runs. When a model's training files have changed
since it was trained, the header says so (its corpus-test figures are then suspect).

What the figures mean (every F1 is 2PR / (P + R); "macro" is the unweighted mean over the
three labels, a label with nothing predicted and nothing to find counting 0):

- Sentence sets (corpus test split, public real-test, real-test strict, real-dev, White
  House test): one row per labelled sentence, as ``eventclf.evaluate.evaluation_rows`` gives
  them (articles split and labelled as the model was trained; rows of quality ``unsure`` or
  ``ambiguous`` left out, and ``manual``/``borderline`` too in the strict subset). A label is
  predicted when its score reaches the model's threshold (tuned on the corpus dev split at
  training time). P/R/F1 per label over sentences; support = gold sentences with the label.
- real-dev is the set for choosing settings and studying errors; real-test and the White House
  test are for reporting only.
- VOA (whole articles): each article is tagged with ``Tagger.tag_many`` (splitting included).
  Events that overlap an ``unsure`` span are left out, as are gold spans that do. An event is
  correct when it overlaps a gold span of its label; a gold span is found when an event of its
  label overlaps it. P = correct events / events, R = found spans / gold spans; support = gold
  spans. Overlap means at least one shared non-whitespace character.
- Seed article: the whole text is tagged; a (sentence start, sentence end, label) triple is
  right only when it equals a gold triple exactly. Support = gold triples.
- Keyword baseline: a label is on when its case-insensitive, word-bounded regex
  (``KEYWORDS``) matches the sentence: the same sentences as the first model for the sentence
  sets, the sentences of ``eventclf.data.sentences.split_sentences`` for VOA and the seed.

Figures only: no sentence from the shared data is written to the results.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np
import yaml

import eventclf
from eventclf.data.dataset import data_fingerprint
from eventclf.data.sentences import split_sentences
from eventclf.evaluate import ALWAYS_DROP, STRICT_DROP, apply_thresholds, evaluation_rows, score
from eventclf.labels import LabelSet
from eventclf.predict import Tagger

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EVENTCLF_SHARED", ROOT.parent / "shared"))
RESULTS = ROOT / "benchmarks" / "results" / "accuracy.md"
OUT = ROOT / "benchmarks" / "out"
CONFIGS = (ROOT / "configs" / "linear.yaml", ROOT / "configs" / "transformer.yaml")
BASELINE = "keywords"

KEYWORDS = {
    "arms_sale": re.compile(r"\b(arms|weapons|helicopters|sold|sale|order|tanks)\b", re.I),
    "military_exercise": re.compile(r"\b(drills?|exercises?|manoeuvres)\b", re.I),
    "threat_statement": re.compile(r"\b(warn\w*|threat\w*)\b", re.I),
}

Metrics = dict[str, dict[str, float]]
Event = tuple[str, int, int]  # label, start, end


@dataclass
class Model:
    """A model under test, with what the report says about it."""

    name: str
    path: Path
    config: str
    tagger: Tagger

    @property
    def backend(self) -> str:
        return str(self.tagger.meta.get("backend", "?"))

    @property
    def fingerprint(self) -> str:
        return str(self.tagger.meta.get("data_fingerprint", "?"))


@dataclass
class Section:
    """One data set's results: metrics per system (models, then the baseline)."""

    title: str
    notes: list[str] = field(default_factory=list)
    metrics: dict[str, Metrics] = field(default_factory=dict)
    with_prf: bool = False


# --- scoring helpers ------------------------------------------------------------------------


def _prf(tp: int, n_pred: int, n_gold: int, found: int | None = None) -> dict[str, float]:
    """P = tp / predictions, R = found / gold (found defaults to tp), F1, support = gold."""
    found = tp if found is None else found
    p = tp / n_pred if n_pred else 0.0
    r = found / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "support": n_gold}


def _with_macro(per_label: Metrics, labels: Sequence[str]) -> Metrics:
    keys = ("precision", "recall", "f1")
    macro = {k: float(np.mean([per_label[n][k] for n in labels])) for k in keys}
    macro["support"] = sum(per_label[n]["support"] for n in labels)
    return {**per_label, "macro": macro}


def keyword_matrix(texts: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """The baseline's 0/1 predictions, one column per label in ``labels`` order."""
    return np.array(
        [[bool(KEYWORDS[n].search(t)) for n in labels] for t in texts], dtype=np.int8
    ).reshape(len(texts), len(labels))


def keyword_events(text: str) -> list[Event]:
    """The baseline's events for a whole text: one per (splitter sentence, matching label)."""
    return [
        (name, s, e)
        for s, e in split_sentences(text)
        for name, rx in KEYWORDS.items()
        if rx.search(text, s, e)
    ]


def _overlap(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """True when the two ranges share at least one non-whitespace character."""
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return lo < hi and not text[lo:hi].isspace()


# --- the data sets --------------------------------------------------------------------------


def sentence_set(
    title: str,
    path: Path,
    models: Sequence[Model],
    *,
    strict: bool = False,
    errors_to: Path | None = None,
) -> Section:
    """Sentence-level P/R/F1 of every model and the baseline on one labelled file."""
    sec = Section(title)
    if not path.exists():
        sec.notes.append(f"skipped: {_rel(path)} absent")
        return sec
    labels = models[0].tagger.labels
    quality = _qualities(path)
    base_rows: tuple[list[str], np.ndarray, list[str]] | None = None
    for m in models:
        texts, y, ids, dropped = evaluation_rows(m.tagger, path, strict=strict)
        proba = m.tagger.predict_proba(texts)
        pred = apply_thresholds(proba, m.tagger.thresholds.tolist())
        sec.metrics[m.name] = score(y, pred, labels)
        if base_rows is None:
            base_rows = texts, y, ids
            why = _drop_note(quality, strict)
            sec.notes.append(f"{len(texts)} sentences; {dropped} left out ({why})")
        elif len(texts) != len(base_rows[0]):
            sec.notes.append(f"{m.name}: {len(texts)} sentences (its own splitter/overlap)")
        if errors_to is not None:
            _write_errors(
                errors_to / f"accuracy-real-dev-errors-{m.name}.jsonl",
                m,
                texts,
                ids,
                y,
                pred,
                proba,
            )
            sec.notes.extend(_error_summary(m.name, ids, y, pred, labels, quality))
    if base_rows is None:
        raise ValueError("no model to measure")
    texts, y, ids = base_rows
    pred = keyword_matrix(texts, list(labels))
    sec.metrics[BASELINE] = score(y, pred, labels)
    if errors_to is not None:
        sec.notes.extend(_error_summary(BASELINE, ids, y, pred, labels, quality))
    return sec


def voa_set(path: Path, models: Sequence[Model]) -> Section:
    """Whole-article tagging scored by span overlap (see the module docstring)."""
    sec = Section("VOA articles (whole-article tagging, span overlap)")
    if not path.exists():
        sec.notes.append(f"skipped: {_rel(path)} absent")
        return sec
    labels = list(models[0].tagger.labels)
    articles = list(eventclf.read_articles(path, labels=labels))
    systems: dict[str, list[list[Event]]] = {}
    for m in models:
        systems[m.name] = [
            [(e.label, e.start, e.end) for e in tagged.events]
            for tagged in m.tagger.tag_many({"id": a.id, "text": a.text} for a in articles)
        ]
    systems[BASELINE] = [keyword_events(a.text) for a in articles]

    gold_left_out = sum(
        1
        for a in articles
        for g in a.annotations
        if any(_overlap(a.text, (g.start, g.end), (u.start, u.end)) for u in a.unsure)
    )
    n_gold = sum(len(a.annotations) for a in articles)
    sec.notes.append(
        f"{len(articles)} articles, {n_gold} gold spans ({gold_left_out} overlap an unsure span "
        f"and are left out), {sum(len(a.unsure) for a in articles)} unsure spans"
    )
    for name, per_article in systems.items():
        events = correct = ignored = 0
        counts = {n: Counter[str]() for n in labels}
        for art, evs in zip(articles, per_article, strict=True):
            unsure = [(u.start, u.end) for u in art.unsure]
            golds = [
                g
                for g in art.annotations
                if not any(_overlap(art.text, (g.start, g.end), u) for u in unsure)
            ]
            kept = [ev for ev in evs if not any(_overlap(art.text, ev[1:], u) for u in unsure)]
            ignored += len(evs) - len(kept)
            for label, s, e in kept:
                hit = any(
                    g.label == label and _overlap(art.text, (s, e), (g.start, g.end)) for g in golds
                )
                counts[label]["events"] += 1
                counts[label]["correct"] += hit
                events, correct = events + 1, correct + hit
            for g in golds:
                counts[g.label]["gold"] += 1
                counts[g.label]["found"] += any(
                    label == g.label and _overlap(art.text, (s, e), (g.start, g.end))
                    for label, s, e in kept
                )
        sec.metrics[name] = _with_macro(
            {
                n: _prf(c["correct"], c["events"], c["gold"], found=c["found"])
                for n, c in counts.items()
            },
            labels,
        )
        sec.notes.append(
            f"{name}: {events} events scored ({correct} correct), {ignored} overlapping "
            "unsure spans left out"
        )
    return sec


def seed_set(text_path: Path, gold_path: Path, models: Sequence[Model]) -> Section:
    """Exact (start, end, label) triples on the seed article."""
    sec = Section("Seed article (exact sentence offsets + label)")
    missing = [p for p in (text_path, gold_path) if not p.exists()]
    if missing:
        sec.notes.extend(f"skipped: {_rel(p)} absent" for p in missing)
        return sec
    labels = list(models[0].tagger.labels)
    text = text_path.read_text(encoding="utf-8")
    with gold_path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    gold = {(lab, r["start"], r["end"]) for r in rows for lab in r["labels"]}
    systems: dict[str, set[Event]] = {
        m.name: {(e.label, e.start, e.end) for e in m.tagger.tag(text)} for m in models
    }
    systems[BASELINE] = set(keyword_events(text))
    sec.notes.append(f"{len(rows)} gold sentences, {len(gold)} gold (sentence, label) pairs")
    for name, pred in systems.items():
        per = {
            n: _prf(
                len({p for p in pred & gold if p[0] == n}),
                sum(p[0] == n for p in pred),
                sum(g[0] == n for g in gold),
            )
            for n in labels
        }
        sec.metrics[name] = _with_macro(per, labels)
    return sec


# --- errors on real-dev ---------------------------------------------------------------------


def _qualities(path: Path) -> dict[str, str]:
    """Article id -> its ``quality`` field (sentence rows), for the notes; no text kept."""
    return {
        a.id: str(a.metadata.get("quality", ""))
        for a in eventclf.read_articles(path)
        if a.metadata.get("quality")
    }


def _drop_note(quality: dict[str, str], strict: bool) -> str:
    drop = set(ALWAYS_DROP) | (set(STRICT_DROP) if strict else set())
    dropped = Counter(q for q in quality.values() if q in drop)
    if not dropped:
        return "sentences overlapping unsure spans"
    return "rows of quality " + ", ".join(f"{q}: {n}" for q, n in sorted(dropped.items()))


def _write_errors(
    path: Path,
    model: Model,
    texts: Sequence[str],
    ids: Sequence[str],
    y: np.ndarray,
    pred: np.ndarray,
    proba: np.ndarray,
) -> None:
    labels = model.tagger.labels
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for i in map(int, np.flatnonzero((y != pred).any(axis=1))):
            record = {
                "id": ids[i],
                "text": texts[i],
                "gold": list(labels.decode(y[i])),
                "predicted": list(labels.decode(pred[i])),
                "scores": {n: round(float(proba[i, j]), 4) for j, n in enumerate(labels)},
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def _error_summary(
    name: str,
    ids: Sequence[str],
    y: np.ndarray,
    pred: np.ndarray,
    labels: LabelSet,
    quality: dict[str, str],
) -> list[str]:
    """One line per system: FP/FN per label, and which kinds of row the false positives are."""
    parts = []
    fp_quality: Counter[str] = Counter()
    for j, n in enumerate(labels):
        fp = (pred[:, j] == 1) & (y[:, j] == 0)
        fn = (pred[:, j] == 0) & (y[:, j] == 1)
        parts.append(f"{n} FP {int(fp.sum())} / FN {int(fn.sum())}")
        rows = map(int, np.flatnonzero(fp))
        fp_quality.update(quality.get(ids[i].rsplit("#", 1)[0], "?") for i in rows)
    line = f"errors, {name}: " + "; ".join(parts)
    if quality and fp_quality:
        line += (
            " (false positives by row quality: "
            + ", ".join(f"{q} {c}" for q, c in fp_quality.most_common())
            + ")"
        )
    return [line]


# --- models ---------------------------------------------------------------------------------


def train_models(folder: Path, configs: Sequence[Path]) -> tuple[list[Model], list[str]]:
    """Train ``configs`` into ``folder``; a config that cannot run is skipped, said why."""
    models: list[Model] = []
    notes: list[str] = []
    for cfg in configs:
        if not cfg.exists():
            notes.append(f"skipped: {_rel(cfg)} absent")
            continue
        print(f"training {_rel(cfg)} ...", file=sys.stderr)
        try:
            path = eventclf.train(cfg, output_dir=folder / cfg.stem, overwrite=True)
        except eventclf.MissingDependencyError as exc:
            notes.append(f"skipped: {_rel(cfg)}: {exc}")
            continue
        models.append(Model(cfg.stem, path, _rel(cfg), eventclf.load(path)))
    return models, notes


def load_models(dirs: Iterable[str]) -> list[Model]:
    out = []
    for d in dirs:
        path = Path(d)
        tagger = eventclf.load(path)
        out.append(
            Model(
                str(tagger.meta.get("name") or path.name), path, _rel(path / "config.yaml"), tagger
            )
        )
    return out


def stale_data(model: Model) -> str | None:
    """A note when the model's training files have changed since it was trained."""
    tree = yaml.safe_load((model.path / "config.yaml").read_text(encoding="utf-8"))
    paths = [Path(src["path"]) for src in tree["data"]["sources"]]
    now = data_fingerprint([str(p if p.is_absolute() else ROOT / p) for p in paths])
    if now == model.fingerprint:
        return None
    return (
        f"{model.name}: its training data changed since it was trained (fingerprint now "
        f"`{now[:16]}`); corpus-test figures may count sentences it was trained on"
    )


def _unique_names(models: list[Model]) -> None:
    seen: Counter[str] = Counter()
    for m in models:
        seen[m.name] += 1
        if seen[m.name] > 1 or m.name == BASELINE:
            m.name = f"{m.name}-{seen[m.name]}"


# --- rendering ------------------------------------------------------------------------------


def _rel(path: Path) -> str:
    for base, prefix in ((ROOT, ""), (SHARED, "$EVENTCLF_SHARED/")):
        try:
            return prefix + str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


def render(sec: Section, labels: Sequence[str]) -> list[str]:
    lines = [f"## {sec.title}", ""]
    lines += [f"- {n}" for n in sec.notes]
    if not sec.metrics:
        return [*lines, ""]
    systems = list(sec.metrics)
    first = sec.metrics[systems[0]]
    lines += [
        "",
        "| label (support) | " + " | ".join(f"{s} F1" for s in systems) + " |",
        "| --- |" + " ---: |" * len(systems),
    ]
    for row in [*labels, "macro"]:
        head = row if row == "macro" else f"{row} ({int(first[row]['support'])})"
        cells = " | ".join(f"{sec.metrics[s][row]['f1']:.3f}" for s in systems)
        lines.append(f"| {head} | {cells} |")
    if sec.with_prf:
        lines += [
            "",
            "| label | " + " | ".join(f"{s} P | {s} R" for s in systems) + " |",
            "| --- |" + " ---: |" * (2 * len(systems)),
        ]
        for row in [*labels, "macro"]:
            cells = " | ".join(
                f"{sec.metrics[s][row]['precision']:.3f} | {sec.metrics[s][row]['recall']:.3f}"
                for s in systems
            )
            lines.append(f"| {row} | {cells} |")
    return [*lines, ""]


def header(models: Sequence[Model], notes: Sequence[str]) -> list[str]:
    vers = ", ".join(f"{p} {version(p)}" for p in ("eventclf", "scikit-learn", "numpy"))
    lines = [
        "# Accuracy: eventclf models vs keyword baseline",
        "",
        f"- date: {datetime.date.today().isoformat()}",
        f"- machine: {platform.platform()}, {platform.machine()}, os.cpu_count()={os.cpu_count()}",
        f"- python {platform.python_version()}; {vers}",
        f"- `{BASELINE}` baseline: word-bounded, case-insensitive regexes per label "
        "(see KEYWORDS in benchmarks/accuracy.py)",
        "- figure definitions: module docstring of benchmarks/accuracy.py",
        *[f"- {n}" for n in notes],
        "",
        "| model | backend | config | data fingerprint | thresholds |",
        "| --- | --- | --- | --- | --- |",
    ]
    for m in models:
        thr = ", ".join(f"{t:.3f}" for t in m.tagger.thresholds)
        lines.append(f"| {m.name} | {m.backend} | `{m.config}` | `{m.fingerprint[:16]}` | {thr} |")
    return [*lines, ""]


# --- main -----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="DIR",
        help="a trained model directory (repeatable)",
    )
    ap.add_argument(
        "--train",
        action="store_true",
        help="also train configs/linear.yaml (+ transformer.yaml); the default "
        "when no --model is given",
    )
    ap.add_argument(
        "--config",
        action="append",
        type=Path,
        metavar="YAML",
        help="a config to train (repeatable; default: configs/linear.yaml and "
        "configs/transformer.yaml)",
    )
    ap.add_argument("--results", type=Path, default=RESULTS, help="markdown output")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="eventclf-accuracy-") as tmp:
        notes: list[str] = []
        models: list[Model] = []
        if args.train or not args.model:
            models, notes = train_models(Path(tmp), args.config or CONFIGS)
            chosen = {c.resolve() for c in args.config or CONFIGS}
            notes += [
                f"not run: {_rel(c)} (not among the --config choices)"
                for c in CONFIGS
                if c.exists() and c.resolve() not in chosen
            ]
        models += load_models(args.model)
        if not models:
            print("no model to measure: " + "; ".join(notes), file=sys.stderr)
            return 1
        _unique_names(models)
        notes += [n for n in map(stale_data, models) if n]
        labels = list(models[0].tagger.labels)
        if any(list(m.tagger.labels) != labels for m in models):
            print("the models do not share one label set", file=sys.stderr)
            return 1

        public, seeds = SHARED / "data" / "public", SHARED / "seeds"
        for stale in OUT.glob("accuracy-real-dev-errors-*.jsonl"):
            stale.unlink()  # this script's own output of an earlier run
        real_test = public / "real-test.jsonl"
        sections = [
            sentence_set("Corpus test split (sentences)", ROOT / "data/corpus/test.jsonl", models),
            sentence_set("real-test, all rows (report only)", real_test, models),
            sentence_set("real-test, strict subset (report only)", real_test, models, strict=True),
            sentence_set(
                "real-dev (the set used to choose settings and study errors)",
                public / "real-dev.jsonl",
                models,
                errors_to=OUT,
            ),
            sentence_set(
                "White House test (sentences; report only)",
                SHARED / "data/whitehouse/test.jsonl",
                models,
            ),
            voa_set(SHARED / "data/voa/articles.jsonl", models),
            seed_set(
                seeds / "russia-arms-central-asia.txt",
                seeds / "russia-arms-central-asia.sentences.jsonl",
                models,
            ),
        ]
        sections[1].with_prf = True
        if sections[3].metrics:
            sections[3].notes.append(
                "misclassified sentences per model: "
                "`benchmarks/out/accuracy-real-dev-errors-<model>.jsonl` (git-ignored)"
            )

        lines = header(models, notes)
        for sec in sections:
            lines += render(sec, labels)
    text = "\n".join(lines)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
