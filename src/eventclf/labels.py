"""LabelSet: the one owner of label order <-> column index."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from eventclf.errors import ConfigError

__all__ = ["DEFAULT_LABELS", "LabelSet"]

DEFAULT_LABELS: tuple[str, ...] = ("arms_sale", "military_exercise", "threat_statement")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")


class LabelSet:
    """An ordered, immutable set of label names.

    Column ``i`` of every score matrix and multi-hot vector is ``names[i]``.
    """

    __slots__ = ("_index", "_names")

    def __init__(self, names: Iterable[str] = DEFAULT_LABELS) -> None:
        names = tuple(names)
        if not names:
            raise ConfigError("the label set is empty; expected at least one label name")
        for name in names:
            if not isinstance(name, str) or not _NAME.match(name):
                raise ConfigError(
                    f"label name {name!r} is not allowed; expected letters, digits, '_', '-' "
                    "or '.', starting with a letter"
                )
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError(f"the label set names {dupes} more than once")
        self._names = names
        self._index = {n: i for i, n in enumerate(names)}

    @property
    def names(self) -> tuple[str, ...]:
        return self._names

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LabelSet) and other._names == self._names

    def __hash__(self) -> int:
        return hash(self._names)

    def __repr__(self) -> str:
        return f"LabelSet({list(self._names)!r})"

    def index(self, name: str) -> int:
        return self._index[name]

    def encode(self, labels: Iterable[str]) -> list[int]:
        """Multi-hot vector in label-set order (labels must be members)."""
        vec = [0] * len(self._names)
        for label in labels:
            vec[self._index[label]] = 1
        return vec

    def decode(self, row: Sequence[int] | np.ndarray) -> tuple[str, ...]:
        """Label names whose column is non-zero, in label-set order."""
        return tuple(n for n, v in zip(self._names, row, strict=True) if v)

    def to_list(self) -> list[str]:
        return list(self._names)
