"""Building validated :class:`Article` objects from raw records, shared by every reader.

Each reader turns its format into calls to :func:`make_article` or :func:`make_sentence_row`,
which check every field and raise :class:`DataError` naming the file, line or record, and
field. Offsets are Python string indices into the text as given (end exclusive); readers of
browser-made exports convert UTF-16 code units first (:func:`utf16_to_codepoints`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from eventclf.errors import DataError
from eventclf.labels import LabelSet
from eventclf.types import Annotation, Article, Span

__all__ = [
    "Loc",
    "ReadReport",
    "decode_utf8",
    "make_article",
    "make_sentence_row",
    "utf16_to_codepoints",
]

log = logging.getLogger("eventclf")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Loc:
    """Where a record sits, for error messages."""

    file: str
    line: int | None = None
    record: str | None = None

    def error(self, problem: str, *, field: str | None = None, **kw: Any) -> DataError:
        return DataError(
            problem, file=self.file, line=self.line, record=self.record, field=field, **kw
        )

    def with_record(self, record: str | None) -> Loc:
        return Loc(self.file, self.line, record)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass
class ReadReport:
    """What a read did besides yielding articles: skipped records and notes, never silent."""

    records: int = 0
    skipped: list[DataError] = field(default_factory=list)
    duplicate_spans: int = 0
    notes: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        self.notes.append(message)
        log.warning(message)

    def summary(self) -> str:
        parts = [f"{self.records} record(s) read"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} bad record(s) skipped (--lenient)")
        if self.duplicate_spans:
            parts.append(f"{self.duplicate_spans} exact duplicate span(s) kept once")
        return "; ".join(parts)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_text(value: object, loc: Loc, field: str = "text") -> str:
    if value is None:
        raise loc.error("missing text", field=field, expected="a non-empty string")
    if not isinstance(value, str):
        raise loc.error(
            "text is not a string",
            field=field,
            expected="a non-empty string",
            found=type(value).__name__,
        )
    if not value.strip():
        raise loc.error("empty text", field=field, expected="a non-empty string", found=value)
    bad = _SURROGATE.search(value)
    if bad is not None:
        raise loc.error(
            "text holds an unpaired UTF-16 surrogate (not a character)",
            field=field,
            expected="valid Unicode text",
            found=f"\\u{ord(bad.group()):04x} at {bad.start()}",
        )
    return value


def check_span(start: object, end: object, text: str, loc: Loc, field: str) -> tuple[int, int]:
    """Validate ``[start, end)`` against ``text``; return it as ints."""
    for name, value in (("start", start), ("end", end)):
        if not _is_int(value):
            raise loc.error(
                f"span {name} is not an integer",
                field=f"{field}.{name}",
                expected="an integer character offset",
                found=value,
            )
    start, end = cast(int, start), cast(int, end)  # checked above
    if start >= end:
        raise loc.error(
            "span start is not before its end",
            field=field,
            expected="start < end",
            found=f"start={start}, end={end}",
        )
    if start < 0 or end > len(text):
        raise loc.error(
            "span offsets fall outside the text",
            field=field,
            expected=f"0 <= start < end <= {len(text)} (the text's length)",
            found=f"start={start}, end={end}",
        )
    return start, end


def check_label(label: object, labels: LabelSet | None, loc: Loc, field: str) -> str:
    if not isinstance(label, str) or not label:
        raise loc.error(
            "label is not a non-empty string", field=field, expected="a label name", found=label
        )
    if labels is not None and label not in labels:
        raise loc.error(
            f"unknown label {label!r}",
            field=field,
            expected=f"one of {list(labels.names)}",
            hint="add it to data.labels in the config, or fix the record",
        )
    return label


def check_span_text(claimed: object, start: int, end: int, text: str, loc: Loc, field: str) -> None:
    """Where a format stores the span's text too, it must agree with the offsets."""
    if claimed is None:
        return
    actual = text[start:end]
    if not isinstance(claimed, str) or claimed != actual:
        raise loc.error(
            "span text disagrees with its offsets",
            field=field,
            expected=f"{actual!r} (text[{start}:{end}])",
            found=claimed,
        )


def dedupe_annotations(
    annotations: Sequence[Annotation], loc: Loc, report: ReadReport | None
) -> tuple[Annotation, ...]:
    """Keep one of each exact duplicate (same offsets and label), reporting it once."""
    seen: dict[Annotation, None] = {}
    for ann in annotations:
        if ann in seen:
            if report is not None:
                report.duplicate_spans += 1
                report.note(f"{loc}: duplicate span {ann.start}-{ann.end} {ann.label!r} kept once")
            continue
        seen[ann] = None
    return tuple(sorted(seen, key=lambda a: (a.start, a.end, a.label)))


def make_article(
    *,
    loc: Loc,
    article_id: object,
    text: object,
    spans: Sequence[tuple[object, object, object, object]],
    unsure: Sequence[tuple[object, object]] = (),
    metadata: Mapping[str, Any] | None = None,
    labels: LabelSet | None,
    report: ReadReport | None,
    spans_field: str = "annotations",
    span_fields: Sequence[str] | None = None,
) -> Article:
    """A validated article from raw ``(start, end, label, claimed_text_or_None)`` spans.

    Errors name span ``i`` as ``span_fields[i]`` when given, else ``spans_field[i]``.
    """
    if isinstance(article_id, int) and not isinstance(article_id, bool):
        article_id = str(article_id)
    if not isinstance(article_id, str) or not article_id.strip():
        raise loc.error(
            "missing or empty article id",
            field="id",
            expected="a non-empty string",
            found=article_id,
        )
    loc = loc.with_record(article_id)
    body = check_text(text, loc)
    anns = []
    for i, (start, end, label, claimed) in enumerate(spans):
        where = span_fields[i] if span_fields is not None else f"{spans_field}[{i}]"
        s, e = check_span(start, end, body, loc, where)
        check_span_text(claimed, s, e, body, loc, f"{where}.text")
        anns.append(Annotation(s, e, check_label(label, labels, loc, f"{where}.label")))
    unsure_spans = tuple(
        Span(*check_span(s, e, body, loc, f"unsure[{i}]")) for i, (s, e) in enumerate(unsure)
    )
    return Article(
        id=article_id,
        text=body,
        annotations=dedupe_annotations(anns, loc, report),
        unsure=unsure_spans,
        group=article_id,
        metadata=dict(metadata or {}),
        origin=str(loc),
    )


def make_sentence_row(
    *,
    loc: Loc,
    row_id: str,
    text: object,
    row_labels: object,
    group: object = None,
    unsure: bool = False,
    metadata: Mapping[str, Any] | None = None,
    labels: LabelSet | None,
    report: ReadReport | None,
) -> Article:
    """A validated sentence-level record (pre-split text with its labels)."""
    body = check_text(text, loc)
    if not isinstance(row_labels, list):
        raise loc.error(
            "labels is not a list",
            field="labels",
            expected="a list of label names ([] for no event)",
            found=row_labels,
        )
    names = [check_label(x, labels, loc, f"labels[{i}]") for i, x in enumerate(row_labels)]
    if len(set(names)) != len(names) and report is not None:
        report.duplicate_spans += len(names) - len(set(names))
        report.note(f"{loc}: repeated label in labels kept once")
    ordered = tuple(dict.fromkeys(names))
    if group is not None and not isinstance(group, str | int):
        raise loc.error("doc_id is not a string", field="doc_id", expected="a string", found=group)
    return Article(
        id=row_id,
        text=body,
        sentence_labels=ordered,
        unsure=(Span(0, len(body)),) if unsure else (),
        group=str(group) if group is not None else row_id,
        metadata=dict(metadata or {}),
        origin=str(loc),
    )


def decode_utf8(raw: bytes, file: str) -> str:
    """A whole file's bytes as text (a leading BOM dropped); bad bytes are a DataError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            "bytes that are not UTF-8",
            file=file,
            line=raw[: exc.start].count(b"\n") + 1,
            expected="UTF-8 text",
            found=f"byte {raw[exc.start]:#04x}",
            hint="re-save the file as UTF-8",
        ) from None
    return text.removeprefix("\ufeff")


def utf16_to_codepoints(text: str) -> list[int] | None:
    """Map UTF-16 code-unit offsets to Python offsets; ``None`` when they coincide.

    The returned list has ``utf16_len + 1`` entries; an offset inside a surrogate pair
    maps to -1 (it cannot be a span boundary).
    """
    if all(ord(c) <= 0xFFFF for c in text):
        return None
    table: list[int] = []
    for i, ch in enumerate(text):
        table.append(i)
        if ord(ch) > 0xFFFF:
            table.append(-1)
    table.append(len(text))
    return table
