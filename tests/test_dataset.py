"""Span -> sentence labels, and DatasetDict building split by article."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eventclf import ConfigError, DataErrors, build_dataset
from eventclf.config import OverlapPolicy
from eventclf.data.dataset import build, normalise
from eventclf.data.labelling import label_article
from eventclf.data.sentences import split_sentences
from eventclf.types import Annotation, Article, Span

TEXT = "Navy held drills on Monday. Officials met. They warned of retaliation."


def _labels(article: Article, policy: OverlapPolicy | None = None) -> list[tuple[str, ...]]:
    return [s.labels for s in label_article(article, split_sentences, policy or OverlapPolicy())]


def test_trigger_span_labels_its_sentence() -> None:
    start = TEXT.index("drills")
    art = Article("a", TEXT, (Annotation(start, start + 6, "military_exercise"),))
    assert _labels(art) == [("military_exercise",), (), ()]


def test_span_crossing_a_boundary_labels_each_sentence_it_covers() -> None:
    start = TEXT.index("Officials")
    art = Article("a", TEXT, (Annotation(start, len(TEXT), "threat_statement"),))
    assert _labels(art) == [(), ("threat_statement",), ("threat_statement",)]


def test_span_barely_touching_a_sentence_does_not_label_it() -> None:
    # Covers the first sentence and two characters of the second.
    end = TEXT.index("Officials") + 2
    art = Article("a", TEXT, (Annotation(0, end, "military_exercise"),))
    assert _labels(art) == [("military_exercise",), (), ()]
    assert _labels(art, OverlapPolicy(min_fraction=0.0)) == [
        ("military_exercise",),
        ("military_exercise",),
        (),
    ]
    assert _labels(art, OverlapPolicy(min_chars=3, min_fraction=0.0))[1] == ()


def test_whitespace_overlap_does_not_count() -> None:
    end = TEXT.index("Officials")  # the span includes the space after the first sentence
    art = Article("a", TEXT, (Annotation(0, end, "military_exercise"),))
    assert _labels(art, OverlapPolicy(min_fraction=0.0)) == [("military_exercise",), (), ()]


def test_multi_label_and_unsure() -> None:
    s = TEXT.index("They")
    art = Article(
        "a",
        TEXT,
        (
            Annotation(s, len(TEXT), "threat_statement"),
            Annotation(s, len(TEXT), "military_exercise"),
        ),
        unsure=(Span(TEXT.index("Officials"), TEXT.index("Officials") + 5),),
    )
    sents = label_article(art, split_sentences, OverlapPolicy())
    assert sents[2].labels == ("military_exercise", "threat_statement")
    assert [x.unsure for x in sents] == [False, True, False]
    assert all(TEXT[x.start : x.end] == x.text for x in sents)


def _write(path: Path, articles: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    return path


def _article(i: int, label: str | None) -> dict[str, object]:
    text = f"Story {i} opens here. Item {i} number two follows."
    anns = [{"start": 0, "end": text.index(".") + 1, "label": label}] if label else []
    return {"id": f"art-{i}", "text": text, "annotations": anns}


def _config(tmp_path: Path, sources: list[object], **data: object) -> dict[str, object]:
    return {"data": {"sources": sources, **data}, "training": {"seed": 1}}


def test_split_by_article_is_grouped_stratified_and_deterministic(tmp_path: Path) -> None:
    labels = ["arms_sale", "military_exercise", "threat_statement", None]
    src = _write(tmp_path / "a.jsonl", [_article(i, labels[i % 4]) for i in range(40)])
    cfg = _config(tmp_path, [str(src)], dedupe_across_splits=False)
    dd, report = build(cfg, cache_dir=str(tmp_path / "cache"))
    assert set(dd) == {"train", "dev", "test"}
    seen: dict[str, str] = {}
    for split, ds in dd.items():
        for art in ds["article_id"]:
            assert seen.setdefault(art, split) == split  # no article in two splits
    assert report.split_articles == {"train": 28, "dev": 6, "test": 6}
    for split in ("dev", "test"):  # every label reaches every split
        assert all(report.label_counts[split][lab] > 0 for lab in labels[:3])
    assert set(dd["train"].column_names) >= {
        "text",
        "labels",
        "article_id",
        "sentence_index",
        "start",
        "end",
    }
    again = build_dataset(cfg, cache_dir=str(tmp_path / "cache2"))
    assert again["dev"]["article_id"] == dd["dev"]["article_id"]
    other = build_dataset(cfg | {"training": {"seed": 2}}, cache_dir=str(tmp_path / "c3"))
    assert other["dev"]["article_id"] != dd["dev"]["article_id"]


def test_fixed_splits_sentence_rows_and_near_duplicates(tmp_path: Path) -> None:
    train = _write(tmp_path / "train.jsonl", [_article(i, "arms_sale") for i in range(3)])
    rows = [
        {"text": "Story 0 opens here!", "labels": ["arms_sale"], "doc_id": "d1"},  # near-dup
        {"text": "A fresh sentence.", "labels": [], "doc_id": "d1"},
        {"text": "Unsure row.", "labels": [], "quality": "unsure"},
    ]
    dev = _write(tmp_path / "dev.jsonl", rows)
    cfg = _config(
        tmp_path, [{"path": str(train), "split": "train"}, {"path": str(dev), "split": "dev"}]
    )
    dd, report = build(cfg, cache_dir=str(tmp_path / "cache"))
    assert dd["dev"]["text"] == ["A fresh sentence."]
    assert report.near_duplicates_removed["dev"] == 1
    assert report.unsure_dropped == 1
    assert dd["train"].num_rows == 6
    assert dd["train"]["labels"][0] == [1, 0, 0]
    assert normalise("Story 0, opens  HERE!") == "story 0 opens here"


def test_bad_records_are_listed_before_training(tmp_path: Path) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text(json.dumps(_article(1, "coup")) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(DataErrors, match=r"(?s)2 bad record.*unknown label 'coup'.*line 2"):
        build(_config(tmp_path, [str(src)]), cache_dir=str(tmp_path / "cache"))


def test_changed_data_is_not_served_from_a_stale_cache(tmp_path: Path) -> None:
    src = _write(tmp_path / "a.jsonl", [_article(i, "arms_sale") for i in range(5)])
    cfg = _config(tmp_path, [{"path": str(src), "split": "train"}])
    cache = str(tmp_path / "cache")
    assert build_dataset(cfg, cache_dir=cache)["train"].num_rows == 10
    _write(src, [_article(i, "arms_sale") for i in range(7)])
    assert build_dataset(cfg, cache_dir=cache)["train"].num_rows == 14


def test_unknown_splitter_is_a_config_error(tmp_path: Path) -> None:
    src = _write(tmp_path / "a.jsonl", [_article(1, None)])
    with pytest.raises(ConfigError, match=r"nope"):
        build(_config(tmp_path, [str(src)], splitter="nope"), cache_dir=str(tmp_path / "c"))
