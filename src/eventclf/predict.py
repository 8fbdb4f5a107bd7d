"""The Tagger: text or articles -> sentences -> scores -> thresholds -> events.

Thresholds and the turning of scores into events live here only, shared by every backend.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eventclf.data.sentences import get_splitter
from eventclf.errors import EventclfError, ModelError
from eventclf.labels import LabelSet
from eventclf.models.base import Backend, get_backend
from eventclf.persistence import verify_model_dir
from eventclf.types import Article, TaggedEvent

__all__ = ["ScoredSentence", "TaggedArticle", "Tagger", "load"]


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence of the input with every label's score."""

    start: int
    end: int
    text: str
    scores: dict[str, float]


@dataclass(frozen=True)
class TaggedArticle:
    """The result for one input article, in input order."""

    id: str
    events: list[TaggedEvent]
    sentences: list[ScoredSentence] = field(default_factory=list)

    def to_dict(self, *, all_sentences: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "events": [
                {
                    "label": e.label,
                    "score": round(e.score, 6),
                    "start": e.start,
                    "end": e.end,
                    "text": e.text,
                }
                for e in self.events
            ],
        }
        if all_sentences:
            out["sentences"] = [
                {
                    "start": s.start,
                    "end": s.end,
                    "text": s.text,
                    "scores": {k: round(v, 6) for k, v in s.scores.items()},
                }
                for s in self.sentences
            ]
        return out


ArticleLike = str | Article | Mapping[str, Any]


class Tagger:
    """Tags news text with a trained model (see :func:`load`)."""

    def __init__(
        self,
        backend: Backend,
        labels: LabelSet,
        thresholds: Sequence[float],
        *,
        splitter: str = "rules",
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        if len(thresholds) != len(labels):
            raise ModelError(
                f"{len(thresholds)} thresholds for {len(labels)} labels; expected one per label"
            )
        self.backend = backend
        self.labels = labels
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.splitter_name = splitter
        self._split = get_splitter(splitter)
        self.meta = dict(meta or {})

    def predict_proba(self, sentences: Sequence[str]) -> np.ndarray:
        """Scores in ``[0, 1]``, shape ``(len(sentences), len(labels))``, label-set order."""
        if isinstance(sentences, str):
            raise TypeError("predict_proba takes a sequence of sentences, not one string")
        if not len(sentences):
            return np.zeros((0, len(self.labels)))
        return np.asarray(self.backend.predict_proba(list(sentences)), dtype=np.float64)

    def tag(self, text: str) -> list[TaggedEvent]:
        """The events of one article: one per (sentence, label) over its threshold."""
        return next(self.tag_many([text])).events

    def tag_many(
        self,
        items: Iterable[ArticleLike],
        *,
        batch_size: int = 1024,
        with_sentences: bool = False,
    ) -> Iterator[TaggedArticle]:
        """Tag texts, :class:`Article` objects or ``{"id", "text"}`` mappings, lazily.

        Sentences of many articles are scored together in batches of about ``batch_size``
        sentences; results come back in input order, one per input item.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        counter = itertools.count()
        pending: list[tuple[str, str, list[tuple[int, int]]]] = []
        n_sent = 0
        for item in items:
            art_id, text = self._unpack(item, next(counter))
            bounds = self._split(text)
            pending.append((art_id, text, bounds))
            n_sent += len(bounds)
            if n_sent >= batch_size:
                yield from self._flush(pending, with_sentences)
                pending, n_sent = [], 0
        if pending:
            yield from self._flush(pending, with_sentences)

    @staticmethod
    def _unpack(item: ArticleLike, index: int) -> tuple[str, str]:
        if isinstance(item, str):
            return str(index), item
        if isinstance(item, Article):
            return item.id, item.text
        if isinstance(item, Mapping):
            text = item.get("text")
            if not isinstance(text, str):
                raise EventclfError(
                    f"input #{index}: field 'text' must be a string, found {type(text).__name__}"
                )
            return str(item.get("id", index)), text
        raise TypeError(f"cannot tag a {type(item).__name__}; expected str, Article or mapping")

    def _flush(
        self, pending: list[tuple[str, str, list[tuple[int, int]]]], with_sentences: bool
    ) -> Iterator[TaggedArticle]:
        texts = [text[s:e] for _, text, bounds in pending for s, e in bounds]
        proba = self.predict_proba(texts)
        hits = proba >= self.thresholds
        names = self.labels.names
        row = 0
        for art_id, _, bounds in pending:
            events: list[TaggedEvent] = []
            sentences: list[ScoredSentence] = []
            for s, e in bounds:
                for j in np.flatnonzero(hits[row]):
                    events.append(TaggedEvent(names[j], float(proba[row, j]), s, e, texts[row]))
                if with_sentences:
                    sentences.append(
                        ScoredSentence(
                            s, e, texts[row], {n: float(proba[row, j]) for j, n in enumerate(names)}
                        )
                    )
                row += 1
            yield TaggedArticle(art_id, events, sentences)


def load(
    model_dir: str | Path, *, device: str | None = None, quantize: bool | str = False
) -> Tagger:
    """Load a model directory (checked first: checksums, format version, no pickles).

    ``device`` ("cpu", "cuda"; default: a GPU when there is one) and ``quantize`` (faster CPU
    inference) apply to the transformer backend. ``quantize=True`` or ``"int8"``: int8 dynamic
    quantisation that keeps the first two layers' feed-forward outputs in full precision (small
    accuracy cost); ``"int8-all"`` quantises every layer (larger cost); ``"bf16"``: bfloat16
    weights, for CPUs with native bf16 (smallest cost). Figures in benchmarks/RESULTS.md.
    """
    path = Path(model_dir)
    meta = verify_model_dir(path)
    try:
        labels = LabelSet(meta["labels"])
        backend_cls = get_backend(meta["backend"])
    except EventclfError as exc:
        raise ModelError(f"{path}: {exc}") from None
    backend = backend_cls.load(path / "model", meta.get("backend_info", {}), device=device)
    if quantize:
        if not hasattr(backend, "quantize"):
            raise ModelError(
                f"{path}: the {meta['backend']!r} backend has no reduced-precision mode"
            )
        backend.quantize("int8" if quantize is True else str(quantize))
    return Tagger(
        backend, labels, meta["thresholds"], splitter=meta.get("splitter", "rules"), meta=meta
    )
