"""Sentence splitting: the tricky set, the seed article, and invariants for every splitter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import shared_path
from eventclf.data.sentences import SPLITTERS, get_splitter, split_sentences
from eventclf.errors import ConfigError

TRICKY = Path(__file__).parent / "data" / "tricky_sentences.jsonl"
CASES = [json.loads(line) for line in TRICKY.read_text(encoding="utf-8").splitlines()]

PIECES = [
    *"aZé.!?…,;:—-\"'“”‘’()[] \t\n\r\xa0\u2028\x0b\x1c\x00😀",
    *("word", "The", "It", "Gen.", "Lt.", "U.S.", "a.m.", "No.", "Inc.", "J.", "e.g."),
    *("3.5", "$1.2", "...", "  ", "\n\n", "\r\n", '." ', "?' ", ". The ", ". he "),
]
TEXTS = st.one_of(st.text(), st.lists(st.sampled_from(PIECES), max_size=40).map("".join))


def check_invariants(text: str, spans: list[tuple[int, int]]) -> None:
    prev_end = 0
    covered = [False] * len(text)
    for start, end in spans:
        assert prev_end <= start < end <= len(text), (start, end)
        piece = text[start:end]
        assert piece == piece.strip(), piece
        for i in range(start, end):
            covered[i] = True
        prev_end = end
    dropped = [i for i, c in enumerate(text) if not c.isspace() and not covered[i]]
    assert not dropped, dropped


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_tricky_case(case: dict[str, object]) -> None:
    text = case["text"]
    assert isinstance(text, str)
    assert [text[s:e] for s, e in split_sentences(text)] == case["sentences"]


def test_tricky_set_is_well_formed() -> None:
    assert len(CASES) >= 50
    assert len({c["name"] for c in CASES}) == len(CASES)
    for case in CASES:
        pos = 0
        for sentence in case["sentences"]:
            found = case["text"].find(sentence, pos)
            assert found >= 0, (case["name"], sentence)
            pos = found + len(sentence)


@pytest.mark.parametrize("name", sorted(SPLITTERS))
@settings(max_examples=200, deadline=None)
@given(text=TEXTS)
def test_invariants(name: str, text: str) -> None:
    check_invariants(text, get_splitter(name)(text))


@pytest.mark.parametrize("name", sorted(SPLITTERS))
@pytest.mark.parametrize("text", ["", " ", "\n\r\n\t", "\x00", ".", "😀. 😀", "a\r\nb"])
def test_edge_inputs(name: str, text: str) -> None:
    check_invariants(text, get_splitter(name)(text))


def test_seed_article_boundaries() -> None:
    text = shared_path("seeds", "russia-arms-central-asia.txt").read_text(encoding="utf-8")
    lines = shared_path("seeds", "russia-arms-central-asia.sentences.jsonl").read_text("utf-8")
    expected = [(r["start"], r["end"]) for r in map(json.loads, lines.splitlines())]
    assert split_sentences(text) == expected


def test_lines_splitter() -> None:
    text = "  First line.  Still first\n\n second line \r\nthird"
    assert [text[s:e] for s, e in get_splitter("lines")(text)] == [
        "First line.  Still first",
        "second line",
        "third",
    ]


def test_syntok_rejoins_after_titles() -> None:
    text = "Gen. Mark Milley met Lt. Col. Dana Smith. They talked."
    spans = get_splitter("syntok")(text)
    assert [text[s:e] for s, e in spans] == [
        "Gen. Mark Milley met Lt. Col. Dana Smith.",
        "They talked.",
    ]


def test_unknown_splitter() -> None:
    with pytest.raises(ConfigError, match=r"unknown sentence splitter 'nope'.*'lines'.*'rules'"):
        get_splitter("nope")
