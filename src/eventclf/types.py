"""Plain frozen records that flow through eventclf."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Annotation",
    "Article",
    "LabelledSentence",
    "Sentence",
    "Span",
    "TaggedEvent",
]


@dataclass(frozen=True)
class Span:
    """A character range ``[start, end)`` into an article's text."""

    start: int
    end: int


@dataclass(frozen=True)
class Annotation:
    """A labelled character span ``[start, end)`` into an article's text."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class Article:
    """An annotated document.

    ``annotations`` are spans into ``text``. ``sentence_labels`` is set instead for a
    sentence-level record (``{"text", "labels"}``): the whole text is one sentence with
    those labels and is never split. ``group`` says which records travel together when
    splitting into train/dev/test (the article id, or a sentence row's ``doc_id``).
    ``origin`` is where the record came from (``file:line``), for messages.
    """

    id: str
    text: str
    annotations: tuple[Annotation, ...] = ()
    unsure: tuple[Span, ...] = ()
    sentence_labels: tuple[str, ...] | None = None
    group: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False)
    origin: str = field(default="", compare=False)

    @property
    def is_sentence(self) -> bool:
        """True for a sentence-level record (pre-split text with labels)."""
        return self.sentence_labels is not None


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article: ``article_text[start:end] == text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class LabelledSentence:
    """A sentence with its labels, as it goes into a dataset."""

    article_id: str
    group: str
    sentence_index: int
    start: int
    end: int
    text: str
    labels: tuple[str, ...]
    unsure: bool = False


@dataclass(frozen=True)
class TaggedEvent:
    """An event found by a model: a sentence that carries ``label`` with ``score``."""

    label: str
    score: float
    start: int
    end: int
    text: str
