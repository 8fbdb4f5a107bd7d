"""The linear backend end to end: train -> save -> load -> same answers; predict API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import eventclf
from eventclf import ModelError
from eventclf.config import LinearModelConfig
from eventclf.models.linear import LinearBackend, NgramFeatures

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "configs" / "examples.yaml"
SENTENCES = [
    "The ministry signed a contract for 12 attack helicopters and spare parts.",
    "Warships began a week of joint naval drills off the coast on Monday.",
    "The general warned that any incursion would be met with force.",
    "Parliament approved the budget after a long debate.",
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "linear"
    cache = tmp_path_factory.mktemp("cache")
    return eventclf.train(CONFIG, output_dir=out, cache_dir=str(cache))


def test_overfit_small_data() -> None:
    texts = [s for s in SENTENCES for _ in range(5)]
    y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]] * 1)
    y = np.repeat(y, 5, axis=0)
    model = LinearBackend(LinearModelConfig(C=50.0), seed=0).fit(texts, y)
    pred = model.predict_proba(SENTENCES) >= 0.5
    assert (pred == np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]], bool)).all()


@pytest.mark.parametrize("binary", [True, False])
def test_features_equal_scikit_learns(binary: bool) -> None:
    """The cached-per-token features are exactly TfidfVectorizer's (word and char_wb)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [*SENTENCES, "Drills, drills and more DRILLS!", "U.S.-made F-16s arrive."]
    params = LinearModelConfig(binary=binary)
    feats = NgramFeatures(params).fit(texts)
    for kind, ours, vocab, ngrams in (
        (
            "word",
            feats.word_matrix([feats._tokens(t) for t in texts]),
            feats.word_vocab_,
            params.word_ngrams,
        ),
        ("char_wb", feats.char_matrix(texts), feats.char_vocab_, params.char_ngrams),
    ):
        stock = TfidfVectorizer(
            analyzer=kind,
            ngram_range=ngrams,
            binary=binary,
            sublinear_tf=not binary,
            token_pattern=r"\w+" if kind == "word" else None,
        )
        ref = stock.fit_transform(texts)
        order = [stock.vocabulary_[g] for g in vocab]
        assert sorted(stock.vocabulary_) == vocab
        assert np.allclose(ours.toarray(), ref[:, order].toarray())
    # Second call: served from the token cache, same numbers.
    assert np.allclose(feats.char_matrix(texts).toarray(), feats.char_matrix(texts).toarray())


def test_round_trip_gives_identical_scores(model_dir: Path) -> None:
    tagger = eventclf.load(model_dir)
    again = eventclf.load(model_dir)
    a = tagger.predict_proba(SENTENCES)
    assert a.shape == (4, 3)
    assert np.array_equal(a, again.predict_proba(SENTENCES))
    one_by_one = np.vstack([tagger.predict_proba([s]) for s in SENTENCES])
    assert np.allclose(a, one_by_one)


def test_model_directory_contents(model_dir: Path) -> None:
    meta = json.loads((model_dir / "meta.json").read_text())
    assert meta["backend"] == "linear"
    assert meta["labels"] == ["arms_sale", "military_exercise", "threat_statement"]
    assert len(meta["thresholds"]) == 3 and meta["format_version"] == 1
    assert len(meta["data_fingerprint"]) == 64
    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert set(metrics) == {"dev", "dev@0.5", "test", "test@0.5"}
    assert set(metrics["test"]) == {*meta["labels"], "micro", "macro"}
    assert set(metrics["test"]["macro"]) == {"precision", "recall", "f1", "support"}
    for name in (
        "config.yaml",
        "README.md",
        "evaluation/report.md",
        "evaluation/test-pr.png",
        "evaluation/test-confusion.png",
        "model/linear.safetensors",
        "model/vocab.json",
    ):
        assert (model_dir / name).is_file(), name
    assert not any(p.suffix in (".pkl", ".pickle", ".joblib") for p in model_dir.rglob("*"))


def test_same_config_and_seed_give_the_same_model(model_dir: Path, tmp_path: Path) -> None:
    again = eventclf.train(CONFIG, output_dir=tmp_path / "again", cache_dir=str(tmp_path / "c"))
    for name in ("metrics.json", "config.yaml", "model/vocab.json", "evaluation/test-errors.jsonl"):
        assert (model_dir / name).read_bytes() == (again / name).read_bytes(), name
    m1, m2 = (json.loads((d / "meta.json").read_text()) for d in (model_dir, again))
    assert m1["thresholds"] == m2["thresholds"]
    a, b = eventclf.load(model_dir), eventclf.load(again)
    assert np.array_equal(a.predict_proba(SENTENCES), b.predict_proba(SENTENCES))


def test_existing_directory_is_refused_without_overwrite(model_dir: Path) -> None:
    with pytest.raises(ModelError, match=r"already exists; pass --overwrite"):
        eventclf.train(CONFIG, output_dir=model_dir)


def test_tag_and_tag_many(model_dir: Path) -> None:
    tagger = eventclf.load(model_dir)
    text = "Navy drills\n\n" + " ".join(SENTENCES)
    events = tagger.tag(text)
    assert events, "expected at least one event"
    for ev in events:
        assert text[ev.start : ev.end] == ev.text
        assert ev.label in tagger.labels and 0 <= ev.score <= 1
    arts = [text, {"id": "x", "text": "Nothing happened."}, eventclf.Article("y", text)]
    results = list(tagger.tag_many(arts, batch_size=2, with_sentences=True))
    assert [r.id for r in results] == ["0", "x", "y"]
    assert results[0].events == events == results[2].events
    assert all(len(s.scores) == 3 for s in results[0].sentences)
    # Batch size never changes the answers.
    big = list(tagger.tag_many(arts, batch_size=1000))
    assert [r.events for r in big] == [r.events for r in results]


def test_char_ngrams_off(tmp_path: Path) -> None:
    out = eventclf.train(
        CONFIG,
        {"model.char_ngrams": None},
        output_dir=tmp_path / "m",
        cache_dir=str(tmp_path / "c"),
    )
    tagger = eventclf.load(out)
    assert tagger.predict_proba(SENTENCES).shape == (4, 3)
