"""The bundled corpus (data/corpus) and the tool that adds drafted parts to it."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from eventclf import read_articles, split_sentences
from eventclf.labels import DEFAULT_LABELS

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "data" / "corpus"
SPLITS = ("train", "dev", "test")


def _load_script(name: str) -> ModuleType:
    """Import one of the corpus scripts in data/corpus (they are not part of the package)."""
    spec = importlib.util.spec_from_file_location(name, CORPUS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


add_part = _load_script("add_part")
apply_review = _load_script("apply_review")


@pytest.fixture(scope="module")
def corpus() -> dict[str, list]:
    return {
        name: list(read_articles(CORPUS / f"{name}.jsonl", labels=DEFAULT_LABELS))
        for name in SPLITS
    }


def test_no_article_in_two_splits(corpus: dict[str, list]) -> None:
    ids = Counter(a.id for articles in corpus.values() for a in articles)
    assert [i for i, n in ids.items() if n > 1] == []


def test_every_span_is_one_whole_sentence(corpus: dict[str, list]) -> None:
    bad = []
    for articles in corpus.values():
        for article in articles:
            sentences = set(split_sentences(article.text))
            bad += [
                (article.id, a.start, a.end)
                for a in article.annotations
                if (a.start, a.end) not in sentences
            ]
            bad += [
                (article.id, u.start, u.end)
                for u in article.unsure
                if (u.start, u.end) not in sentences
            ]
    assert bad == []


def test_corpus_size_and_label_floor(corpus: dict[str, list]) -> None:
    """The issue's floor: 150 articles, 1,500 sentences, 250 sentences per label."""
    articles = [a for part in corpus.values() for a in part]
    sentences = sum(len(split_sentences(a.text)) for a in articles)
    per_label = Counter(
        label for a in articles for (_, label) in {(x.start, x.label) for x in a.annotations}
    )
    assert len(articles) >= 150 and sentences >= 1500
    assert min(per_label[label] for label in DEFAULT_LABELS) >= 250, per_label
    assert sum(1 for a in articles if not a.annotations) >= 50


DRAFT = {
    "id": "zz-001",
    "title": "Navy warns ships away from drill zone",
    "title_labels": ["military_exercise", "threat_statement"],
    "date": "2024-03-02",
    "byline": "By Ada Obi",
    "dateline": "LAGOS, March 2 (Global Wire) -",
    "paragraphs": [
        [
            [
                "The navy began a three-day exercise off the coast on Saturday.",
                ["military_exercise"],
            ],
            ["Officials met Gen. Bello in the U.S. capital last week.", []],
        ],
        [["No other vessels were reported in the area.", []]],
    ],
}


def test_draft_becomes_whole_sentence_spans(tmp_path: Path) -> None:
    article = add_part.build_article(DRAFT, "draft.jsonl:1")
    text = article["text"]
    assert text.startswith("Navy warns ships away from drill zone\n\nBy Ada Obi\n\nLAGOS, March 2")
    spans = [(text[a["start"] : a["end"]], a["label"]) for a in article["annotations"]]
    assert spans == [
        ("Navy warns ships away from drill zone", "military_exercise"),
        ("Navy warns ships away from drill zone", "threat_statement"),
        (
            "LAGOS, March 2 (Global Wire) - The navy began a three-day exercise off the coast on "
            "Saturday.",
            "military_exercise",
        ),
    ]
    # The record passes eventclf's own reader with the same spans.
    path = tmp_path / "part.jsonl"
    path.write_text(json.dumps(article) + "\n", encoding="utf-8")
    (parsed,) = read_articles(path, labels=DEFAULT_LABELS)
    assert [(a.start, a.end) for a in parsed.annotations] == [
        (a["start"], a["end"]) for a in article["annotations"]
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"paragraphs": [[["It met Gen. Smith. Then it left.", []]]]}, "does not find"),
        ({"paragraphs": [[["Fine.", ["arms"]]]]}, "unknown label"),
        ({"colour": "red"}, "unknown field"),
        ({"paragraphs": [[["Two lines\nhere.", []]]]}, "line break"),
        ({"date": ""}, "'date'"),
    ],
)
def test_bad_draft_names_article_and_problem(change: dict, message: str) -> None:
    with pytest.raises(add_part.DraftError, match=message) as info:
        add_part.build_article({**DRAFT, **change}, "draft.jsonl:7")
    assert "draft.jsonl:7" in str(info.value)


def test_dealing_is_deterministic_and_stratified() -> None:
    articles = [{"id": f"zz-{i:03d}", "annotations": []} for i in range(40)]
    articles += [{"id": f"yy-{i:03d}", "annotations": [{"label": "arms_sale"}]} for i in range(20)]
    articles += [
        {"id": f"xx-{i:03d}", "annotations": [{"label": "threat_statement"}]} for i in range(5)
    ]
    first, second = add_part.deal(articles), add_part.deal(list(reversed(articles)))
    assert first == second
    assert [len(first[name]) for name in SPLITS] == [45, 10, 10]
    # Every label group reaches dev and test, even a small one.
    for label in ("arms_sale", "threat_statement"):
        counts = [
            sum(1 for a in first[n] if a["annotations"] and a["annotations"][0]["label"] == label)
            for n in SPLITS
        ]
        assert min(counts) >= 1, (label, counts)


def test_every_review_decision_is_in_the_corpus(corpus: dict[str, list]) -> None:
    """Each relabelling in data/corpus/reviews/ was applied to the splits: the last decision on
    a sentence and label (reviews read in name order) is what the corpus holds."""
    spans = {
        (article.id, a.start, a.end, a.label)
        for articles in corpus.values()
        for article in articles
        for a in article.annotations
    }
    reviews = sorted((CORPUS / "reviews").glob("*.jsonl"))
    assert reviews
    last = {
        (row["id"], row["start"], row["end"], row["label"]): row
        for path in reviews
        for row in apply_review.read_review(path)
    }
    wrong = [
        row["where"] for key, row in last.items() if (key in spans) != (row["action"] == "add")
    ]
    assert last and wrong == []


def _review_line(tmp_path: Path, **fields: object) -> Path:
    row = {"id": "zz-001", "start": 0, "end": 37, "label": "threat_statement"}
    row |= {"rule": "10.2", "why": "test"} | fields
    path = tmp_path / "review.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    return path


def _draft_splits() -> tuple[dict[str, list], dict[str, int]]:
    """The draft article as a one-article split, and the span of its third sentence."""
    article = add_part.build_article(DRAFT, "draft.jsonl:1")
    start, end = split_sentences(article["text"])[2]
    return {"train": [article]}, {"start": start, "end": end}


def test_review_adds_a_label_once(tmp_path: Path) -> None:
    splits, span = _draft_splits()
    path = _review_line(tmp_path, **span)
    assert apply_review.apply(apply_review.read_review(path), splits) == 1
    assert apply_review.apply(apply_review.read_review(path), splits) == 0
    assert {**span, "label": "threat_statement"} in splits["train"][0]["annotations"]


def test_review_removes_a_label_once(tmp_path: Path) -> None:
    splits, span = _draft_splits()
    added = _review_line(tmp_path, **span)
    assert apply_review.apply(apply_review.read_review(added), splits) == 1
    removed = _review_line(tmp_path, **span, action="remove")
    assert apply_review.apply(apply_review.read_review(removed), splits) == 1
    assert apply_review.apply(apply_review.read_review(removed), splits) == 0
    assert {**span, "label": "threat_statement"} not in splits["train"][0]["annotations"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"action": "delete"}, "is not one of"),
        ({"start": 0, "end": 10}, "not one sentence"),
        ({"id": "zz-404"}, "no article 'zz-404'"),
        ({"label": "arms"}, "is not one of"),
        ({"start": "0"}, "must be integers"),
    ],
)
def test_bad_review_names_line_and_problem(tmp_path: Path, fields: dict, message: str) -> None:
    splits, _ = _draft_splits()
    path = _review_line(tmp_path, **fields)
    with pytest.raises(apply_review.ReviewError, match=message) as info:
        apply_review.apply(apply_review.read_review(path), splits)
    assert f"{path}:1" in str(info.value)
