"""The typed run config: one YAML file per training run, unknown keys rejected.

A config has four sections (``data``, ``model``, ``training``, ``evaluation``); every field
has a documented default below. Relative data paths are resolved against the config file's
folder. ``load_config(path, overrides={"training.seed": 3})`` applies dotted overrides (the
CLI's ``--set training.seed=3``) before validation, so an override is checked like the file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from eventclf.errors import ConfigError
from eventclf.evaluate import ALWAYS_DROP
from eventclf.labels import DEFAULT_LABELS, LabelSet

__all__ = [
    "DataConfig",
    "EvaluationConfig",
    "LinearModelConfig",
    "RunConfig",
    "Source",
    "TrainingConfig",
    "TransformerModelConfig",
    "apply_overrides",
    "load_config",
]

FormatName = Literal["auto", "jsonl", "labelstudio", "doccano", "brat", "csv"]
SplitName = Literal["train", "dev", "test"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """One input file (or brat folder)."""

    path: str
    format: FormatName = "auto"
    #: How span offsets are counted in browser-made exports: auto, codepoints or utf16.
    offsets: Literal["auto", "codepoints", "utf16"] = "auto"
    #: Put the whole source in this split; sources without one are split by fraction.
    split: SplitName | None = None


class SplitFractions(_Strict):
    """Fractions of articles (grouped by article or doc_id) for sources without a split."""

    train: float = Field(0.7, ge=0, le=1)
    dev: float = Field(0.15, ge=0, le=1)
    test: float = Field(0.15, ge=0, le=1)

    @model_validator(mode="after")
    def _sum_to_one(self) -> SplitFractions:
        total = self.train + self.dev + self.test
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"train + dev + test must be 1.0, found {total:g}")
        return self


class OverlapPolicy(_Strict):
    """When a span labels a sentence: overlap counted in non-whitespace characters.

    A sentence gets the span's label when the overlap has at least ``min_chars`` characters
    and covers at least ``min_fraction`` of the span or of the sentence (``min_fraction: 0``
    means any overlap). A span crossing a sentence boundary labels each sentence it
    substantially covers.
    """

    min_chars: int = Field(1, ge=1)
    min_fraction: float = Field(0.2, ge=0, le=1)


class DataConfig(_Strict):
    #: The label set, in column order.
    labels: list[str] = Field(default_factory=lambda: list(DEFAULT_LABELS), min_length=1)
    #: Input files: a path or {path, format, offsets, split}.
    sources: list[Source] = Field(min_length=1)
    split: SplitFractions = SplitFractions()
    #: Seed of the article split (default: training.seed).
    split_seed: int | None = None
    #: Sentence splitter by name (see eventclf.data.sentences.SPLITTERS).
    splitter: str = "rules"
    overlap: OverlapPolicy = OverlapPolicy()
    #: Remove dev/test sentences whose normalised text also occurs in an earlier split.
    dedupe_across_splits: bool = True
    #: Skip bad records (counted and listed) instead of stopping.
    lenient: bool = False
    #: Sentence rows whose `quality` is one of these are left out of training and evaluation.
    drop_quality: list[str] = Field(default_factory=lambda: list(ALWAYS_DROP))

    @field_validator("sources", mode="before")
    @classmethod
    def _path_shorthand(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"path": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("labels")
    @classmethod
    def _valid_labels(cls, value: list[str]) -> list[str]:
        try:
            LabelSet(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value

    @property
    def label_set(self) -> LabelSet:
        return LabelSet(self.labels)


class LinearModelConfig(_Strict):
    """TF-IDF over words and in-word character n-grams, one logistic regression per label."""

    backend: Literal["linear"] = "linear"
    word_ngrams: tuple[int, int] = (1, 2)
    #: In-word character n-gram range (sklearn's char_wb); null turns them off.
    char_ngrams: tuple[int, int] | None = (2, 5)
    lowercase: bool = True
    min_df: int = Field(1, ge=1)
    max_features: int | None = Field(None, ge=1)
    sublinear_tf: bool = True
    #: Count each n-gram once per sentence (binary TF) instead of (sublinear) counts.
    binary: bool = True
    #: Inverse regularisation strength of the logistic regressions.
    C: float = Field(4.0, gt=0)
    #: "balanced" reweights rare labels; null gives every sentence the same weight.
    class_weight: Literal["balanced"] | None = "balanced"
    max_iter: int = Field(2000, ge=1)

    @field_validator("word_ngrams", "char_ngrams")
    @classmethod
    def _range(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not 1 <= value[0] <= value[1]:
            raise ValueError(f"expected [low, high] with 1 <= low <= high, found {list(value)}")
        return value


class TransformerModelConfig(_Strict):
    """A fine-tuned encoder with a multi-label (sigmoid) classification head."""

    backend: Literal["transformer"] = "transformer"
    #: "minilm" (the packaged all-MiniLM-L6-v2), a local model folder, or a hub name.
    base: str = "minilm"
    #: "finetune": train the whole encoder; "frozen": mean-pooled embeddings + a linear head.
    mode: Literal["finetune", "frozen"] = "finetune"
    #: Tokens per sentence; longer sentences are truncated and counted.
    max_length: int = Field(128, ge=8, le=4096)
    epochs: float = Field(4.0, gt=0)
    batch_size: int = Field(32, ge=1)
    #: Sentences per inference batch; None: 32 on the CPU (measured fastest there, int8 and
    #: fp32 alike), 256 on a GPU.
    eval_batch_size: int | None = Field(None, ge=1)
    #: CPU inference: worker threads sharing the batches, each on an equal share of torch's
    #: threads; None: torch's thread count, at most 4 (1: one worker on all threads). Only
    #: calls from the main thread with no other call in progress use them.
    cpu_workers: int | None = Field(None, ge=1)
    gradient_accumulation_steps: int = Field(1, ge=1)
    learning_rate: float = Field(5e-5, gt=0)
    weight_decay: float = Field(0.01, ge=0)
    #: Fraction of the training steps spent warming the learning rate up (then linear decay).
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    #: BCE positive-class weights: "balanced" (negatives/positives per label, capped) or null.
    pos_weight: Literal["balanced"] | None = None
    #: Label smoothing for the BCE targets: 1 becomes 1 - s/2 and 0 becomes s/2, so the
    #: model stops pushing every likely sentence into the saturated top of the score range.
    label_smoothing: float = Field(0.0, ge=0, lt=0.5)
    #: Stop after this many evaluations without a better dev macro-F1 (null: never).
    early_stopping_patience: int | None = Field(2, ge=1)
    #: Mixed precision: "auto" is bf16 (or fp16) on a GPU, fp32 on the CPU.
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    #: Regularisation of the frozen mode's logistic-regression head.
    head_C: float = Field(4.0, gt=0)


MemberConfig = Annotated[LinearModelConfig | TransformerModelConfig, Field(discriminator="backend")]


class EnsembleModelConfig(_Strict):
    """Several backends trained on the same data; their scores are averaged."""

    backend: Literal["ensemble"] = "ensemble"
    #: The member models, each configured as under `model` (linear or transformer).
    members: list[MemberConfig] = Field(min_length=2)
    #: Weight of each member in the average (null: equal weights); normalised to sum to 1.
    weights: list[float] | None = None
    #: Member i trains with training.seed + seed_offsets[i] (null: every member uses
    #: training.seed). Members configured alike need different offsets to differ: averaging
    #: fine-tuned encoders trained from different seeds steadies their scores.
    seed_offsets: list[int] | None = None

    @model_validator(mode="after")
    def _weights_match(self) -> EnsembleModelConfig:
        if self.weights is not None:
            if len(self.weights) != len(self.members):
                raise ValueError(
                    f"weights has {len(self.weights)} entries for {len(self.members)} members"
                )
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be >= 0 and not all 0")
        if self.seed_offsets is not None and len(self.seed_offsets) != len(self.members):
            raise ValueError(
                f"seed_offsets has {len(self.seed_offsets)} entries for {len(self.members)} members"
            )
        offsets = self.member_seed_offsets
        seen: dict[tuple[str, int], int] = {}
        for i, member in enumerate(self.members):
            key = (member.model_dump_json(), offsets[i])
            if key in seen:
                raise ValueError(
                    f"members {seen[key]} and {i} have the same settings and seed and would "
                    "train the same model; give them different seed_offsets"
                )
            seen[key] = i
        return self

    @property
    def member_seed_offsets(self) -> list[int]:
        return self.seed_offsets or [0] * len(self.members)

    @property
    def normalised_weights(self) -> list[float]:
        w = self.weights or [1.0] * len(self.members)
        return [x / sum(w) for x in w]


ModelConfig = Annotated[
    LinearModelConfig | TransformerModelConfig | EnsembleModelConfig,
    Field(discriminator="backend"),
]


class TrainingConfig(_Strict):
    seed: int = 13
    #: Where the model directory goes (default: models/<config file stem>).
    output_dir: str | None = None
    #: Working folder for checkpoints of long runs (default: .<model dir name>.run beside it).
    run_dir: str | None = None
    #: Device for training: "auto" (a GPU when there is one), "cpu" or "cuda".
    device: Literal["auto", "cpu", "cuda"] = "auto"


class EvaluationConfig(_Strict):
    #: "tune": per-label thresholds that maximise F1 on the dev split; "fixed": all at `threshold`.
    thresholds: Literal["tune", "fixed"] = "tune"
    threshold: float = Field(0.5, gt=0, lt=1)
    #: Tuned thresholds are kept inside [min_threshold, max_threshold].
    min_threshold: float = Field(0.05, gt=0, lt=1)
    max_threshold: float = Field(0.95, gt=0, lt=1)
    #: Expected share of sentences carrying each label in the text to be tagged; tuning
    #: reweights dev negatives to match it (null: tune on dev as it is). See docs/config.md.
    prevalence: float | None = Field(None, gt=0, lt=1)
    #: Resamples of dev whose median F1-maximising threshold is taken (0: one maximum on dev).
    bootstrap: int = Field(0, ge=0, le=10_000)


class RunConfig(_Strict):
    data: DataConfig
    model: ModelConfig = LinearModelConfig()
    training: TrainingConfig = TrainingConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    #: Name of the run (default: the config file's stem).
    name: str = "run"

    @model_validator(mode="before")
    @classmethod
    def _default_backend(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("model"), dict):
            value = {**value, "model": {"backend": "linear", **value["model"]}}
        return value

    def dump(self) -> dict[str, Any]:
        """The resolved config as plain data (what is saved with a model)."""
        return self.model_dump(mode="json")


def _set_dotted(tree: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node: Any = tree
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(
                    f"override {key!r}: {'.'.join(parts[:i]) or '<root>'} is a list of "
                    f"{len(node)}; expected an index 0..{len(node) - 1}, found {part!r}"
                )
            if last:
                node[int(part)] = value
            else:
                node = node[int(part)]
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"override {key!r}: {'.'.join(parts[:i])} is not a section")
        if last:
            node[part] = value
        else:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif isinstance(child, str) and part == "sources":
                child = node[part] = [child]
            node = child


def apply_overrides(tree: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Set dotted keys (``"training.seed"``); string values are read as YAML scalars."""
    for key, value in overrides.items():
        if isinstance(value, str):
            with contextlib.suppress(yaml.YAMLError):
                value = yaml.safe_load(value) if value.strip() else value
        _set_dotted(tree, key, value)
    return tree


def _format_validation(exc: ValidationError, where: str) -> str:
    lines = [f"{where}: invalid config"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
        for tag in (".linear", ".transformer"):  # the discriminator's branch name
            key = key.replace(tag + ".", ".").removesuffix(tag)
        key = key or "<root>"
        if err["type"] == "extra_forbidden":
            lines.append(f"  - {key}: unknown key (check the spelling; see docs/config.md)")
        elif err["type"] == "missing":
            lines.append(f"  - {key}: required key is missing")
        else:
            found = err.get("input")
            shown = repr(found) if not isinstance(found, dict) else "a mapping"
            lines.append(f"  - {key}: {err['msg']} (found {shown[:80]})")
    return "\n".join(lines)


def _resolve_paths(tree: dict[str, Any], base: Path) -> None:
    data = tree.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        return
    resolved = []
    for src in data["sources"]:
        if isinstance(src, str):
            src = {"path": src}
        if isinstance(src, dict) and isinstance(src.get("path"), str):
            p = Path(os.path.expanduser(src["path"]))
            if not p.is_absolute():
                p = Path(os.path.normpath(base / p))
            src = {**src, "path": str(p)}
        resolved.append(src)
    data["sources"] = resolved


def load_config(
    path_or_data: str | Path | Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
) -> RunConfig:
    """Read, override and validate a run config (a YAML file or an already-read mapping)."""
    if isinstance(path_or_data, Mapping):
        tree: Any = dict(path_or_data)
        where, base, stem = "<config>", Path("."), str(tree.get("name", "run"))
    else:
        path = Path(path_or_data)
        where, base, stem = str(path), path.parent, path.stem
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the config: {exc}") from None
        try:
            tree = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if tree is None:
            tree = {}
        if not isinstance(tree, dict):
            raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    tree = apply_overrides(_deep_copy(tree), overrides or {})
    tree.setdefault("name", stem)
    _resolve_paths(tree, base)
    try:
        return RunConfig.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(_format_validation(exc, where)) from None


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
