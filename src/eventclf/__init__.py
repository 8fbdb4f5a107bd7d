"""eventclf: find arms sales, military exercises and threat statements in news text.

The public API is small and imports nothing heavy (no torch) until it is used::

    import eventclf
    model_dir = eventclf.train("configs/linear.yaml")
    tagger = eventclf.load(model_dir)
    events = tagger.tag(text)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventclf.errors import (
    ConfigError,
    DataError,
    DataErrors,
    EventclfError,
    MissingDependencyError,
    ModelError,
)
from eventclf.labels import DEFAULT_LABELS, LabelSet
from eventclf.types import Annotation, Article, LabelledSentence, Sentence, Span, TaggedEvent

if TYPE_CHECKING:
    from eventclf.config import RunConfig, load_config
    from eventclf.data.dataset import build_dataset
    from eventclf.data.readers import read_articles
    from eventclf.data.sentences import split_sentences
    from eventclf.predict import Tagger, load
    from eventclf.training import train

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_LABELS",
    "Annotation",
    "Article",
    "ConfigError",
    "DataError",
    "DataErrors",
    "EventclfError",
    "LabelSet",
    "LabelledSentence",
    "MissingDependencyError",
    "ModelError",
    "RunConfig",
    "Sentence",
    "Span",
    "TaggedEvent",
    "Tagger",
    "build_dataset",
    "load",
    "load_config",
    "read_articles",
    "split_sentences",
    "train",
]

_LAZY = {
    "RunConfig": "eventclf.config",
    "load_config": "eventclf.config",
    "build_dataset": "eventclf.data.dataset",
    "read_articles": "eventclf.data.readers",
    "split_sentences": "eventclf.data.sentences",
    "Tagger": "eventclf.predict",
    "load": "eventclf.predict",
    "train": "eventclf.training",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'eventclf' has no attribute {name!r}")
