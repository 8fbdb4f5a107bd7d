"""Sentence splitters side by side: accuracy on the tricky set and the seed article, and speed.

Run from the repository root: ``.venv/bin/python benchmarks/splitters.py``. Prints a markdown
table and writes it to ``benchmarks/results/splitters.md``.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path

from eventclf.data.sentences import get_splitter

ROOT = Path(__file__).resolve().parents[1]
TRICKY = ROOT / "tests" / "data" / "tricky_sentences.jsonl"
SEEDS = Path(os.environ.get("EVENTCLF_SHARED", ROOT.parent / "shared")) / "seeds"
SEED = SEEDS / "russia-arms-central-asia"
RESULTS = ROOT / "benchmarks" / "results" / "splitters.md"
N_SENTENCES = 20_000

Span = tuple[int, int]
Splitter = Callable[[str], list[Span]]


def from_starts(text: str, starts: Iterable[int]) -> list[Span]:
    """Spans between sentence start offsets, whitespace trimmed."""
    edges = [0, *sorted({s for s in starts if 0 < s < len(text)}), len(text)]
    spans = []
    for a, b in itertools.pairwise(edges):
        piece = text[a:b]
        left, right = a + len(piece) - len(piece.lstrip()), a + len(piece.rstrip())
        if right > left:
            spans.append((left, right))
    return spans


def syntok_plain(text: str) -> list[Span]:
    from syntok import segmenter

    return from_starts(text, (s[0].offset for p in segmenter.analyze(text) for s in p if s))


def make_pysbd() -> Splitter:
    import pysbd

    seg = pysbd.Segmenter(language="en", clean=False)

    def split(text: str) -> list[Span]:
        starts, pos = [], 0
        for sentence in seg.segment(text):
            found = text.find(sentence.strip(), pos)
            if found >= 0:  # a sentence pysbd altered is merged into the one before
                starts.append(found)
                pos = found + len(sentence.strip())
        return from_starts(text, starts)

    return split


def blingfire_split(text: str) -> list[Span]:
    import blingfire

    return from_starts(text, (s for s, _ in blingfire.text_to_sentences_and_offsets(text)[1]))


def synthetic_news(n: int, seed: int = 13) -> tuple[list[str], int]:
    """Articles of news-like ~25-word sentences, at least ``n`` sentences in all.

    Each article has 3-8 paragraphs of 2-5 sentences, joined by spaces or by blank lines.
    Returns the articles and their number of sentences.
    """
    rng = random.Random(seed)
    subjects = [
        "The defence ministry",
        "Gen. Mark Ellison",
        "Two U.S. officials",
        "Lt. Col. Dana Reyes",
        "The U.N. Security Council",
        "Rep. Alice Tran",
        "A spokesman for Taiga Corp.",
        "Officials in the capital",
        "Dr. Helen Park",
        "The alliance",
    ]
    verbs = [
        "said on Thursday that",
        "told reporters on Aug. 26 that",
        "warned late on Monday that",
        "confirmed in a statement that",
        "said at 10 a.m. local time that",
    ]
    clauses = [
        "the army would hold joint exercises with its neighbours near the border",
        "new orders for helicopters and air defence systems had been received",
        "the $1.2 billion deal for 3.5 million rounds of ammunition was signed",
        "militants crossing the frontier posed a threat to the whole region",
        "troops from the U.K. and the E.U. would join the drills in Sept. this year",
    ]
    fillers = ["after", "weeks", "of", "talks", "in", "the", "region", "despite", "protests"]
    articles, total = [], 0
    while total < n:
        paragraphs = []
        for _ in range(rng.randint(3, 8)):
            para = []
            for _ in range(rng.randint(2, 5)):
                words = f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(clauses)}".split()
                words += rng.sample(fillers, max(0, 25 - len(words)))
                sentence = " ".join(words)
                para.append(f'"{sentence}," he said.' if rng.random() < 0.1 else sentence + ".")
            total += len(para)
            paragraphs.append(" ".join(para))
        articles.append(rng.choice([" ", "\n\n"]).join(paragraphs))
    return articles, total


def tricky_score(split: Splitter, cases: list[dict[str, object]]) -> int:
    right = 0
    for case in cases:
        text = str(case["text"])
        right += [text[s:e] for s, e in split(text)] == case["sentences"]
    return right


def seed_score(split: Splitter) -> str:
    txt, labelled = SEED.with_suffix(".txt"), SEED.with_suffix(".sentences.jsonl")
    if not (txt.exists() and labelled.exists()):
        return "skipped: ../shared absent"
    text = txt.read_text(encoding="utf-8")
    lines = labelled.read_text(encoding="utf-8").splitlines()
    expected = [(r["start"], r["end"]) for r in map(json.loads, lines)]
    got = split(text)
    found = len(set(got) & set(expected))
    extra = len(set(got) - set(expected))
    verdict = "exact" if got == expected else f"{extra} other span(s)"
    return f"{found}/{len(expected)} ({verdict})"


def speed(split: Splitter, articles: list[str], n: int) -> float:
    """Sentences per second (``n`` reference sentences), article by article, best of 3 runs."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for text in articles:
            split(text)
        best = min(best, time.perf_counter() - t0)
        if best > 5:
            break
    return n / best


def main() -> int:
    cases = [json.loads(line) for line in TRICKY.read_text(encoding="utf-8").splitlines()]
    splitters: dict[str, Splitter] = {
        "rules (eventclf default)": get_splitter("rules"),
        "syntok": syntok_plain,
        "syntok + title re-join (eventclf 'syntok')": get_splitter("syntok"),
        "pysbd": make_pysbd(),
        "blingfire": blingfire_split,
    }
    articles, n = synthetic_news(N_SENTENCES)
    rows = []
    for name, split in splitters.items():
        rate = speed(split, articles, n)
        rows.append((name, tricky_score(split, cases), seed_score(split), rate))
    base = rows[0][3]
    pkgs = ", ".join(f"{p} {version(p)}" for p in ("syntok", "pysbd", "blingfire"))
    lines = [
        "# Sentence splitters",
        "",
        f"- date: {datetime.date.today().isoformat()}",
        f"- machine: {platform.platform()}, {platform.machine()}, os.cpu_count()={os.cpu_count()}",
        f"- python {platform.python_version()}; {pkgs}",
        f"- speed: one process, one core, {len(articles)} synthetic news-like articles, {n:,} "
        "sentences of ~25 words (paragraphs joined by spaces or blank lines), split one article "
        "at a time, best of up to 3 runs; offsets included (pysbd's recovered by searching each "
        "sentence in the text)",
        f"- tricky set: `tests/data/tricky_sentences.jsonl`, cases fully right out of {len(cases)}",
        "- seed: labelled sentence spans of the seed article found exactly, and whether the "
        "output has no other spans",
        "",
        "| splitter | tricky set | seed article | sentences/s | vs rules |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, tricky, seed, rate in rows:
        lines.append(
            f"| {name} | {tricky}/{len(cases)} | {seed} | {rate:,.0f} | {rate / base:.3f}x |"
        )
    report = "\n".join(lines) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
