"""The transformer backend on a tiny random BERT built here (no download, CPU, seconds)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the transformers extra is not installed")
transformers = pytest.importorskip("transformers", reason="the transformers extra is not installed")

import eventclf  # noqa: E402

SENTENCES = [
    ("The ministry ordered twelve helicopters and missiles.", ["arms_sale"]),
    ("Warships held joint naval drills near the coast.", ["military_exercise"]),
    ("The general warned of retaliation against any attack.", ["threat_statement"]),
    ("Parliament approved the budget after a debate.", []),
    ("Farmers sold grain at the market on Monday.", []),
    ("Navy drills ended and the general warned rivals.", ["military_exercise", "threat_statement"]),
]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer BERT with a word-level vocabulary of the test text."""
    folder = tmp_path_factory.mktemp("tiny-bert")
    words = sorted({w.strip(".,").lower() for s, _ in SENTENCES for w in s.split()})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words, "."]
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    wordpiece = Tokenizer(models.WordPiece({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=True)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    wordpiece.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    tok = transformers.PreTrainedTokenizerFast(
        tokenizer_object=wordpiece,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    assert tok.unk_token_id not in tok("navy drills")["input_ids"]
    tok.save_pretrained(folder)
    config = transformers.BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        initializer_range=0.5,
    )
    torch.manual_seed(0)
    transformers.BertModel(config).save_pretrained(folder, safe_serialization=True)
    return folder


def _config(tmp_path: Path, base: Path, **model: object) -> dict[str, object]:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "".join(json.dumps({"text": s, "labels": labs}) + "\n" for s, labs in SENTENCES * 4),
        encoding="utf-8",
    )
    return {
        "name": "tiny",
        "data": {
            "sources": [{"path": str(rows), "split": "train"}, {"path": str(rows), "split": "dev"}],
            "dedupe_across_splits": False,
        },
        "model": {
            "backend": "transformer",
            "base": str(base),
            "max_length": 16,
            "epochs": 10,
            "batch_size": 4,
            "learning_rate": 3e-3,
            "warmup_ratio": 0.0,
            "early_stopping_patience": None,
            **model,
        },
        "training": {"seed": 3, "run_dir": str(tmp_path / "run"), "device": "cpu"},
        "evaluation": {"thresholds": "fixed"},
    }


def _train(tmp_path: Path, base: Path, name: str = "m", **model: object) -> Path:
    """Train the tiny config on ``base`` into tmp_path/name; returns the model directory."""
    return eventclf.train(
        _config(tmp_path, base, **model),
        output_dir=tmp_path / name,
        cache_dir=str(tmp_path / "c"),
    )


@pytest.mark.parametrize("mode", ["finetune", "frozen"])
def test_overfit_save_reload_same_answers(tmp_path: Path, tiny_bert: Path, mode: str) -> None:
    model_dir = _train(tmp_path, tiny_bert, "model", mode=mode)
    assert not list(model_dir.rglob("*.bin")) and not list(model_dir.rglob("*.pt"))
    assert (model_dir / "model" / "model.safetensors").exists()
    tagger = eventclf.load(model_dir, device="cpu")
    texts = [s for s, _ in SENTENCES]
    proba = tagger.predict_proba(texts)
    gold = np.array([[lab in labs for lab in tagger.labels] for _, labs in SENTENCES])
    if mode == "finetune":  # the tiny encoder learns the six sentences by heart
        assert ((proba >= 0.5) == gold).all(), proba.round(2)
    else:  # a random frozen encoder only has to beat chance on what it was fitted on
        assert ((proba >= 0.5) == gold).mean() > 0.7
    again = eventclf.load(model_dir, device="cpu")
    assert np.allclose(again.predict_proba(texts), proba, atol=1e-6)
    one_by_one = np.vstack([tagger.predict_proba([t]) for t in texts])
    assert np.allclose(one_by_one, proba, atol=1e-5)
    reversed_ = tagger.predict_proba(texts[::-1])  # order kept despite length sorting
    assert np.allclose(reversed_[::-1], proba, atol=1e-5)


@pytest.mark.parametrize("pos_weight", [None, 3.0])
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.3])
def test_bce_loss_is_smallest_at_the_smoothed_targets(
    smoothing: float, pos_weight: float | None
) -> None:
    from eventclf.models.transformer import bce_loss

    weight = None if pos_weight is None else torch.tensor([pos_weight])
    grid = torch.linspace(-8, 8, 1601)
    for label, target in ((1.0, 1 - smoothing / 2), (0.0, smoothing / 2)):
        losses = torch.stack(
            [bce_loss(z.reshape(1, 1), torch.tensor([[label]]), weight, smoothing) for z in grid]
        )
        best = torch.sigmoid(grid[int(torch.argmin(losses))]).item()
        # Unsmoothed the loss falls all the way to the grid's end; smoothed it turns at the
        # smoothed target, whatever the positive weight.
        end = torch.sigmoid(grid[-1] if label else grid[0]).item()
        assert best == pytest.approx(end if smoothing == 0 else target, abs=2e-3), label
    labels = torch.tensor([[1.0, 0.0]])
    weighted = bce_loss(torch.zeros(1, 2), labels, pos_weight=torch.tensor([3.0, 1.0]))
    assert weighted.item() == pytest.approx(4 * np.log(2) / 2, rel=1e-6)


@pytest.mark.parametrize("mode", ["finetune", "frozen"])
def test_worker_threads_give_the_same_scores_in_order(
    tmp_path: Path, tiny_bert: Path, mode: str
) -> None:
    model_dir = _train(tmp_path, tiny_bert, mode=mode)
    tagger = eventclf.load(model_dir, device="cpu")
    backend: Any = tagger.backend
    texts = [s for s, _ in SENTENCES] * 3
    backend.params = backend.params.model_copy(update={"eval_batch_size": 2, "cpu_workers": 1})
    serial = tagger.predict_proba(texts)
    threads = torch.get_num_threads()
    for workers in (2, 3, 20):  # 20: more workers than batches and threads
        backend.params = backend.params.model_copy(update={"cpu_workers": workers})
        assert backend._cpu_workers(9) == min(workers, threads, 9)  # capped by both
        assert np.allclose(tagger.predict_proba(texts), serial, atol=1e-5)
        assert torch.get_num_threads() == threads  # restored after the call
    assert np.allclose(tagger.predict_proba(texts[::-1])[::-1], serial, atol=1e-5)


def test_concurrent_callers_get_their_own_scores(tmp_path: Path, tiny_bert: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    tagger = eventclf.load(_train(tmp_path, tiny_bert), device="cpu")
    backend: Any = tagger.backend
    backend.params = backend.params.model_copy(update={"eval_batch_size": 1, "cpu_workers": 2})
    texts = [s for s, _ in SENTENCES]
    calls = [texts[i:] + texts[:i] for i in range(len(texts))] * 3
    expected = [np.vstack([tagger.predict_proba([t]) for t in call]) for call in calls]
    threads = torch.get_num_threads()
    with ThreadPoolExecutor(4) as pool:  # the callers' own threads: each runs its batches
        assert pool.submit(backend._cpu_workers, 9).result() == 1
        got = list(pool.map(tagger.predict_proba, calls))
    assert all(np.allclose(g, e, atol=1e-5) for g, e in zip(got, expected, strict=True))
    assert torch.get_num_threads() == threads
    with ThreadPoolExecutor(1) as fresh:  # a new thread starts from torch's global count
        assert fresh.submit(torch.get_num_threads).result() == threads


def test_fan_out_only_when_no_other_call_is_in_flight(
    tmp_path: Path, tiny_bert: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventclf.models import transformer as backend_module

    tagger = eventclf.load(_train(tmp_path, tiny_bert), device="cpu")
    backend: Any = tagger.backend
    backend.params = backend.params.model_copy(update={"eval_batch_size": 1, "cpu_workers": 2})
    fanned: list[int] = []
    original = backend_module.TransformerBackend._fan_out

    def spy(batches: Any, fn: Any, workers: int) -> Any:
        fanned.append(workers)
        return original(batches, fn, workers)

    monkeypatch.setattr(backend_module.TransformerBackend, "_fan_out", staticmethod(spy))
    texts = [s for s, _ in SENTENCES]
    alone = tagger.predict_proba(texts)
    assert fanned == ([2] if torch.get_num_threads() >= 2 else [])
    monkeypatch.setattr(backend_module, "_in_flight", 1)  # another caller's call in progress
    assert np.allclose(tagger.predict_proba(texts), alone, atol=1e-5)
    assert len(fanned) <= 1 and backend_module._in_flight == 1


def test_truncation_is_counted(tmp_path: Path, tiny_bert: Path) -> None:
    from eventclf.config import TransformerModelConfig
    from eventclf.models.transformer import TransformerBackend

    backend = TransformerBackend(TransformerModelConfig(base=str(tiny_bert), max_length=8))
    backend.tokenizer_ = transformers.AutoTokenizer.from_pretrained(tiny_bert)
    ids = backend._tokenize(["navy drills ended", " ".join(["drills"] * 20)])
    assert backend.truncated_ == 1
    assert len(ids[1]) == 8 and ids[1][-1] == backend.tokenizer_.sep_token_id


@pytest.mark.parametrize("side", ["right", "left"])
def test_padding_matches_the_tokenizer(tiny_bert: Path, side: str) -> None:
    from eventclf.config import TransformerModelConfig
    from eventclf.models.transformer import TransformerBackend

    backend = TransformerBackend(TransformerModelConfig(base=str(tiny_bert)))
    backend.tokenizer_ = transformers.AutoTokenizer.from_pretrained(tiny_bert)
    backend.tokenizer_.padding_side = side
    backend.device_ = torch.device("cpu")
    rows = backend._tokenize([s for s, _ in SENTENCES])
    ours = backend._pad(rows)
    stock = backend.tokenizer_.pad({"input_ids": rows}, padding=True, return_tensors="pt")
    assert sorted(ours) == sorted(stock.keys())
    for key in ours:
        assert torch.equal(ours[key], stock[key]), key
    labels = np.eye(3, dtype=np.float32)
    collated = backend._collate(
        [{"input_ids": r, "labels": y} for r, y in zip(rows[:3], labels, strict=True)]
    )
    three = backend.tokenizer_.pad({"input_ids": rows[:3]}, padding=True, return_tensors="pt")
    assert torch.equal(collated["input_ids"], three["input_ids"])
    assert collated["labels"].dtype == torch.float32 and torch.equal(
        collated["labels"], torch.eye(3)
    )


def test_half_precision_base_fine_tunes_in_float32(tmp_path: Path, tiny_bert: Path) -> None:
    """transformers 5 keeps a checkpoint's dtype; eventclf must still train in float32."""
    import shutil

    half = tmp_path / "half"
    shutil.copytree(tiny_bert, half)
    transformers.BertModel.from_pretrained(tiny_bert).half().save_pretrained(half)
    model_dir = _train(tmp_path, half, epochs=1)
    tagger = eventclf.load(model_dir, device="cpu")
    network = tagger.backend.model_  # type: ignore[attr-defined]
    assert {p.dtype for p in network.parameters()} == {torch.float32}
    assert np.isfinite(tagger.predict_proba(["Navy drills ended."])).all()


@pytest.mark.parametrize("mode", ["finetune", "frozen"])
@pytest.mark.parametrize("native_bf16", [True, False])
def test_int8_quantisation_keeps_answers_close(
    tmp_path: Path,
    tiny_bert: Path,
    monkeypatch: pytest.MonkeyPatch,
    native_bf16: bool,
    mode: str,
) -> None:
    from eventclf.models import transformer as backend_module

    monkeypatch.setattr(backend_module, "cpu_has_native_bf16", lambda: native_bf16)
    model_dir = _train(tmp_path, tiny_bert, mode=mode)
    texts = [s for s, _ in SENTENCES]
    full = eventclf.load(model_dir, device="cpu").predict_proba(texts)
    # The tiny BERT has two layers: the feed-forward layers of the first stay out of int8.
    prefix = "bert." if mode == "finetune" else ""  # the frozen mode keeps the bare encoder
    early = {f"{prefix}encoder.layer.0.intermediate.dense", f"{prefix}encoder.layer.0.output.dense"}
    for quantize in (True, "int8-all"):
        tagger = eventclf.load(model_dir, device="cpu", quantize=quantize)
        assert np.abs(full - tagger.predict_proba(texts)).max() < 0.2
        backend: Any = tagger.backend
        network = backend.model_ if mode == "finetune" else backend.encoder_
        linears = [
            name
            for name, _ in network.named_modules()
            if name.endswith(("dense", "query", "key", "value", "classifier"))
        ]
        assert early <= set(linears) and len(linears) == 2 * 6 + (2 if mode == "finetune" else 1)
        for name in linears:
            module = network.get_submodule(name)
            if quantize is True and name in early:
                wanted = backend_module._BF16Linear if native_bf16 else torch.nn.Linear
                assert type(module) is wanted, name
            else:
                assert type(module).__module__.startswith("torch.ao"), name
    with pytest.raises(eventclf.ConfigError, match="unknown quantisation mode 'int4'"):
        eventclf.load(model_dir, device="cpu", quantize="int4")
    with pytest.raises(eventclf.ConfigError, match="already quantised"):
        tagger.backend.quantize("int8")  # type: ignore[attr-defined]


def test_early_feed_forward_layers_are_found_by_name() -> None:
    from eventclf.models.transformer import _is_early_ffn

    names = [
        "bert.encoder.layer.2.intermediate.dense",
        "bert.encoder.layer.2.output.dense",
        "bert.encoder.layer.2.attention.output.dense",
        "bert.encoder.layer.3.output.dense",
        "bert.pooler.dense",
        "classifier",
    ]
    assert [_is_early_ffn(n, 6) for n in names] == [True, True, False, False, False, False]
    assert _is_early_ffn("encoder.layer.5.output.dense", 12)  # a frozen encoder's names
    assert not _is_early_ffn("encoder.layer.6.output.dense", 12)
    assert _is_early_ffn("encoder.layer.0.output.dense", 1)


@pytest.mark.parametrize("mode", ["finetune", "frozen"])
def test_bf16_inference_keeps_answers_close(tmp_path: Path, tiny_bert: Path, mode: str) -> None:
    model_dir = _train(tmp_path, tiny_bert, mode=mode)
    texts = [s for s, _ in SENTENCES]
    full = eventclf.load(model_dir, device="cpu").predict_proba(texts)
    tagger = eventclf.load(model_dir, device="cpu", quantize="bf16")
    backend: Any = tagger.backend
    network = backend.model_ if mode == "finetune" else backend.encoder_
    assert {p.dtype for p in network.parameters()} == {torch.bfloat16}
    half = tagger.predict_proba(texts)
    assert half.dtype == np.float64 and np.abs(full - half).max() < 0.05
    with pytest.raises(eventclf.ModelError):  # a reduced-precision copy is never saved
        backend.save(tmp_path / "again")


def test_bad_base_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(eventclf.ConfigError, match=r"model.base .*cannot load a tokenizer"):
        _train(tmp_path, tmp_path / "no-such-model")


@pytest.mark.slow
def test_minilm_fine_tunes_beyond_chance(tmp_path: Path) -> None:
    """The packaged MiniLM, fine-tuned for one epoch on the bundled corpus (minutes on a CPU),
    beats the F1 of calling every sentence positive by a wide margin."""
    repo = Path(__file__).resolve().parents[1]
    model_dir = eventclf.train(
        repo / "configs" / "transformer.yaml",
        {"model.epochs": 1, "model.learning_rate": 1e-4},
        output_dir=tmp_path / "minilm",
        cache_dir=str(tmp_path / "c"),
    )
    meta = json.loads((model_dir / "meta.json").read_text())
    test = meta["dataset"]["label_counts"]["test"]
    n = meta["dataset"]["split_sentences"]["test"]
    chance = np.mean([2 * (test[lab] / n) / (1 + test[lab] / n) for lab in meta["labels"]])
    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert metrics["test"]["macro"]["f1"] > chance + 0.2, (metrics["test"]["macro"], chance)


def test_resume_continues_from_the_last_checkpoint(tmp_path: Path, tiny_bert: Path) -> None:
    cfg = _config(tmp_path, tiny_bert, epochs=2)
    eventclf.train(cfg, output_dir=tmp_path / "a", cache_dir=str(tmp_path / "c"))
    run = tmp_path / "run"
    assert sorted(p.name for p in run.glob("checkpoint-*"))  # the run's own working files
    cfg["model"]["epochs"] = 3  # type: ignore[index]
    out = eventclf.train(cfg, output_dir=tmp_path / "b", cache_dir=str(tmp_path / "c"), resume=True)
    history = json.loads((out / "meta.json").read_text())["backend_info"]["history"]
    epochs = [row["epoch"] for row in history if "loss" in row]
    assert epochs[-1] == 3.0 and 1.0 in epochs  # epochs 1-2 came from the checkpoint
    assert not list(out.rglob("*.pt")) and not list(out.rglob("*.pth"))


def test_ensemble_of_linear_and_transformer(tmp_path: Path, tiny_bert: Path) -> None:
    """Members of different backends train together, save, reload and quantise as one model."""
    cfg = _config(tmp_path, tiny_bert)
    transformer_member = cfg["model"]
    linear_member = {"backend": "linear", "C": 4.0}
    cfg["model"] = {"backend": "ensemble", "members": [linear_member, transformer_member]}
    model_dir = eventclf.train(cfg, output_dir=tmp_path / "ens", cache_dir=str(tmp_path / "c"))
    assert (model_dir / "model" / "member-1" / "model.safetensors").exists()
    assert not list(model_dir.rglob("*.bin")) and not list(model_dir.rglob("*.pt"))
    texts = [s for s, _ in SENTENCES]
    tagger = eventclf.load(model_dir, device="cpu")
    proba = tagger.predict_proba(texts)
    assert np.allclose(eventclf.load(model_dir, device="cpu").predict_proba(texts), proba)
    members = tagger.backend.members_  # type: ignore[attr-defined]
    mean = (members[0].predict_proba(texts) + members[1].predict_proba(texts)) / 2
    assert np.allclose(proba, mean, atol=1e-12)
    q = eventclf.load(model_dir, device="cpu", quantize=True).predict_proba(texts)
    assert np.abs(q - proba).max() < 0.2


@pytest.mark.parametrize("flag", [["--int8"], ["--int8", "all"], ["--bf16"]])
def test_cli_predict_int8(
    tmp_path: Path, tiny_bert: Path, capsys: pytest.CaptureFixture[str], flag: list[str]
) -> None:
    from eventclf.cli import main

    model_dir = _train(tmp_path, tiny_bert)
    article = tmp_path / "a.txt"
    article.write_text("The navy held drills. Officials met on Monday.", encoding="utf-8")
    capsys.readouterr()
    assert main(["predict", str(model_dir), str(article), "--device", "cpu", *flag]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["id"]
