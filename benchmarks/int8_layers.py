"""Which Linear layers int8 rounds worst: the study behind ``quantize("int8")``'s layer choice.

Run from the repository root: ``.venv/bin/python benchmarks/int8_layers.py [--model DIR]``
(default ``models/transformer``). On the corpus dev split (the set for choices, with
real-dev) it measures:

- for each Linear layer, the mean absolute change of the logits when that layer alone is
  quantised to int8 (800 dev sentences drawn with a fixed seed), largest first;
- macro-F1 at the model's tuned thresholds on the corpus dev split and on real-dev (when
  ``../shared`` is present) for full precision, the int8 mode (the first half's feed-forward
  layers kept out of int8), the rule it replaced (the first two feed-forward output layers
  kept in fp32) and int8-all.

Results go to ``benchmarks/results/int8-layers.md``. Figures only; no sentence is written.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EVENTCLF_SHARED", ROOT.parent / "shared"))
RESULTS = ROOT / "benchmarks" / "results" / "int8-layers.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "transformer")
    parser.add_argument("--sentences", type=int, default=800)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("skipped: torch is not installed (the transformers extra)", file=sys.stderr)
        return 0
    import eventclf
    from eventclf.evaluate import evaluation_rows
    from eventclf.models.transformer import _is_early_ffn, cpu_has_native_bf16
    from transformer import macro  # benchmarks/transformer.py: macro-F1 at tuned thresholds

    warnings.simplefilter("ignore")  # torch.ao's deprecation notices
    from torch.ao.quantization import quantize_dynamic

    tagger = eventclf.load(args.model, device="cpu")
    backend: Any = tagger.backend
    full = backend.model_
    dev_x, dev_y, _, _ = evaluation_rows(tagger, ROOT / "data" / "corpus" / "dev.jsonl")
    pick = np.random.default_rng(0).choice(len(dev_x), min(args.sentences, len(dev_x)), False)
    sample = [dev_x[i] for i in pick]

    def logits(p: np.ndarray) -> np.ndarray:
        p = np.clip(p, 1e-7, 1 - 1e-7)
        return np.asarray(np.log(p / (1 - p)))

    ref = logits(tagger.predict_proba(sample))
    names = [n for n, m in full.named_modules() if isinstance(m, torch.nn.Linear)]
    change = []
    for name in names:
        backend.model_ = quantize_dynamic(copy.deepcopy(full), {name}, dtype=torch.qint8)
        change.append((float(np.abs(logits(tagger.predict_proba(sample)) - ref).mean()), name))
    backend.model_ = full
    n_layers = int(full.config.num_hidden_layers)

    sets = [("corpus dev", dev_x, dev_y)]
    real_dev = SHARED / "data" / "public" / "real-dev.jsonl"
    if real_dev.exists():
        x, y, _, _ = evaluation_rows(tagger, real_dev)
        sets.append(("real-dev", x, y))

    early_kind = "bf16" if cpu_has_native_bf16() else "fp32"
    variants: list[tuple[str, Any]] = [
        ("full precision", None),
        (f"int8 (default; early FFN in {early_kind})", True),
    ]
    old = {n for n in names if n.endswith(("layer.0.output.dense", "layer.1.output.dense"))}
    variants.append(("int8, previous rule (two FFN outputs fp32)", set(names) - old))
    variants.append(("int8-all", "int8-all"))
    rows = []
    for label, mode in variants:
        model = tagger
        if isinstance(mode, set):  # a layer set of our own: quantise it on the loaded model
            backend.model_ = quantize_dynamic(copy.deepcopy(full), mode, dtype=torch.qint8)
        elif mode is not None:  # None: the loaded full-precision model as it is
            model = eventclf.load(args.model, device="cpu", quantize=mode)
        cells = [f"{macro(model, x, y):.3f}" for _, x, y in sets]
        rows.append(f"| {label} | {' | '.join(cells)} |")
        backend.model_ = full

    lines = [
        "# Which layers int8 rounds worst",
        "",
        f"- date: {datetime.date.today().isoformat()}; model: {args.model.name} "
        f"({n_layers} layers); {len(sample)} corpus-dev sentences for the layer scan",
        "- 'early FFN': a feed-forward layer (intermediate or output) in the first half of "
        "the layers: what `quantize('int8')` keeps out of int8",
        "",
        "| layer quantised alone | mean abs logit change | early FFN |",
        "| --- | ---: | :---: |",
    ]
    ranked = sorted(change, reverse=True)
    for value, name in ranked[:12]:
        early = "yes" if _is_early_ffn(name, n_layers) else ""
        lines.append(f"| {name} | {value:.4f} | {early} |")
    if len(ranked) > 12:
        lines.append(f"| (the other {len(ranked) - 12} layers) | at most {ranked[12][0]:.4f} | |")
    lines += [
        "",
        "Macro-F1 at the model's tuned thresholds:",
        "",
        f"| model | {' | '.join(name for name, _, _ in sets)} |",
        f"| --- | {' | '.join('---:' for _ in sets)} |",
        *rows,
    ]
    if len(sets) == 1:
        lines += ["", f"real-dev skipped: {real_dev} absent"]
    text = "\n".join(lines) + "\n"
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
