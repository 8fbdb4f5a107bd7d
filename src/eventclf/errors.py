"""One exception family: every user-facing failure in eventclf is an :class:`EventclfError`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "DataError",
    "DataErrors",
    "EventclfError",
    "MissingDependencyError",
    "ModelError",
]


class EventclfError(Exception):
    """Base class of every error eventclf raises on purpose."""


@dataclass(frozen=True)
class Where:
    """Where a bad record sits: file, line (1-based) or record id, and field."""

    file: str | None = None
    line: int | None = None
    record: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.record is not None:
            parts.append(f"record {self.record!r}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts) if parts else "<input>"


class DataError(EventclfError):
    """A bad input record: says where, what was expected and what was found."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        line: int | None = None,
        record: str | None = None,
        field: str | None = None,
        expected: str | None = None,
        found: object = None,
        hint: str | None = None,
    ) -> None:
        self.where = Where(file=file, line=line, record=record, field=field)
        self.problem = problem
        self.expected = expected
        self.found = found
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        msg = f"{self.where}: {self.problem}"
        if self.expected is not None:
            msg += f"; expected {self.expected}"
        if self.found is not None:
            found = self.found if isinstance(self.found, str) else repr(self.found)
            if len(found) > 120:
                found = found[:117] + "..."
            msg += f", found {found}"
        if self.hint:
            msg += f" ({self.hint})"
        return msg


class DataErrors(EventclfError):
    """Several bad records found while validating a whole input (at most ``limit`` listed)."""

    def __init__(self, errors: Sequence[DataError], *, limit: int, more: bool) -> None:
        self.errors = list(errors)
        self.more = more
        head = f"{len(self.errors)} bad record(s)" + (
            f"; stopped after the first {limit}" if more else ""
        )
        lines = [head] + [f"  - {e}" for e in self.errors]
        super().__init__("\n".join(lines))


class ConfigError(EventclfError):
    """A run config that cannot be used: names the file, the dotted key and what is allowed."""


class ModelError(EventclfError):
    """A model directory that is missing, damaged, tampered with or of an unknown format."""


class MissingDependencyError(EventclfError):
    """An optional dependency (an extra) is not installed."""
