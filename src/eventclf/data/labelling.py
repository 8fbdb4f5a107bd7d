"""Span annotations -> sentence labels, by a documented overlap policy.

Overlap is counted in non-whitespace characters, so a span that ends on the space after a
sentence does not reach into the next one. A sentence gets a span's label when the overlap
has at least ``min_chars`` characters and covers at least ``min_fraction`` of the span or
of the sentence. A span crossing a sentence boundary therefore labels each sentence it
substantially covers, and a short trigger span ("drills") labels the sentence around it.
A sentence that overlaps an ``unsure`` span is marked unsure (left out downstream).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

from eventclf.config import OverlapPolicy
from eventclf.types import Article, LabelledSentence

__all__ = ["label_article"]

Splitter = Callable[[str], list[tuple[int, int]]]


def _solid(text: str, start: int, end: int) -> int:
    """Number of non-whitespace characters in ``text[start:end]``."""
    piece = text[start:end]
    return len(piece) - sum(1 for c in piece if c.isspace()) if piece else 0


def label_article(
    article: Article, splitter: Splitter, policy: OverlapPolicy
) -> list[LabelledSentence]:
    """Split an article into sentences and give each its labels."""
    text = article.text
    if article.is_sentence:
        assert article.sentence_labels is not None
        return [
            LabelledSentence(
                article_id=article.id,
                group=article.group,
                sentence_index=0,
                start=0,
                end=len(text),
                text=text,
                labels=article.sentence_labels,
                unsure=bool(article.unsure),
            )
        ]
    bounds = splitter(text)
    starts = [s for s, _ in bounds]
    labels: list[set[str]] = [set() for _ in bounds]
    unsure = [False] * len(bounds)
    sizes = [_solid(text, s, e) for s, e in bounds]

    def overlapping(start: int, end: int) -> Sequence[int]:
        first = max(bisect.bisect_right(starts, start) - 1, 0)
        last = bisect.bisect_left(starts, end)
        return [i for i in range(first, last) if bounds[i][1] > start and bounds[i][0] < end]

    for ann in article.annotations:
        span_size = max(_solid(text, ann.start, ann.end), 1)
        for i in overlapping(ann.start, ann.end):
            s, e = bounds[i]
            shared = _solid(text, max(s, ann.start), min(e, ann.end))
            if shared < policy.min_chars:
                continue
            frac = max(shared / span_size, shared / max(sizes[i], 1))
            if frac >= policy.min_fraction:
                labels[i].add(ann.label)
    for span in article.unsure:
        for i in overlapping(span.start, span.end):
            s, e = bounds[i]
            if _solid(text, max(s, span.start), min(e, span.end)) > 0:
                unsure[i] = True
    return [
        LabelledSentence(
            article_id=article.id,
            group=article.group,
            sentence_index=i,
            start=s,
            end=e,
            text=text[s:e],
            labels=tuple(sorted(labels[i])),
            unsure=unsure[i],
        )
        for i, (s, e) in enumerate(bounds)
    ]
