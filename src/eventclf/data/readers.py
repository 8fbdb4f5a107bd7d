"""Readers: native JSONL, Label Studio, doccano, brat and CSV -> :class:`Article`.

Every reader validates every record and reports a bad one as a :class:`DataError` that names
the file, the line or record id, and the field. :func:`read_articles` raises at the first bad
record (or, with ``lenient=True``, skips it and records it in a :class:`ReadReport`);
:func:`read_all` validates whole files and lists up to ``max_errors`` errors before stopping.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from eventclf.data.records import Loc, ReadReport, make_article, make_sentence_row
from eventclf.errors import ConfigError, DataError, DataErrors
from eventclf.labels import LabelSet
from eventclf.types import Article

_ESCAPED = re.compile("[\udc80-\udcff]")

__all__ = [
    "FORMATS",
    "ReadReport",
    "detect_format",
    "iter_json_lines",
    "read_all",
    "read_articles",
]

FORMATS = ("jsonl", "labelstudio", "doccano", "brat", "csv")
OFFSET_UNITS = ("auto", "codepoints", "utf16")
NATIVE_KEYS = {"id", "text", "annotations", "unsure", "labels", "doc_id"}

Item = Article | DataError
RecordReader = Callable[[Path, "LabelSet | None", str, ReadReport], Iterator[Item]]


def _registry() -> dict[str, RecordReader]:
    from eventclf.data import exports

    return {
        "jsonl": _read_native,
        "labelstudio": exports.read_labelstudio,
        "doccano": exports.read_doccano,
        "brat": exports.read_brat,
        "csv": _read_csv,
    }


def detect_format(path: str | Path) -> str:
    """Guess a file's format from its extension and, for ``.jsonl``, its first record."""
    p = Path(path)
    if p.is_dir() or p.suffix == ".ann":
        return "brat"
    if p.suffix == ".txt" and p.with_suffix(".ann").exists():
        return "brat"
    if p.suffix == ".csv":
        return "csv"
    if p.suffix == ".json":
        return "labelstudio"
    if p.suffix in (".jsonl", ".ndjson"):
        return _sniff_jsonl(p)
    raise ConfigError(
        f"{p}: cannot tell the format from the name; pass format= (--format) as one of "
        f"{list(FORMATS)}"
    )


def _sniff_jsonl(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            for raw in fh:
                if raw.strip():
                    first = json.loads(raw.decode("utf-8-sig"))
                    break
            else:
                return "jsonl"
    except (OSError, ValueError, RecursionError):
        return "jsonl"  # the native reader reports the problem with its line number
    if isinstance(first, dict) and (
        "entities" in first or (isinstance(first.get("label"), list) and "labels" not in first)
    ):
        return "doccano"
    return "jsonl"


def read_articles(
    path: str | Path,
    *,
    format: str = "auto",
    labels: LabelSet | Iterable[str] | None = None,
    offsets: str = "auto",
    lenient: bool = False,
    report: ReadReport | None = None,
) -> Iterator[Article]:
    """Yield the articles of one file (or brat folder), validating every record.

    ``format`` is one of :data:`FORMATS` or ``"auto"`` (from the name and content).
    ``labels``: the allowed label names (default: no check). ``offsets`` says how span
    offsets are counted in browser-made exports (``auto``, ``codepoints`` or ``utf16``).
    Raises :class:`DataError` at the first bad record, unless ``lenient``: then bad records
    are skipped and listed in ``report.skipped``.
    """
    report = report if report is not None else ReadReport()
    yielded = 0
    for item in _scan(path, format, labels, offsets, report):
        if isinstance(item, DataError):
            if not lenient:
                raise item
            report.skipped.append(item)
            continue
        yielded += 1
        yield item
    if yielded == 0 and report.skipped:
        raise DataError(
            f"every record is bad ({len(report.skipped)} skipped)",
            file=str(path),
            expected="at least one valid record",
            found=str(report.skipped[0]),
        )


def _scan(
    path: str | Path,
    format: str,
    labels: LabelSet | Iterable[str] | None,
    offsets: str,
    report: ReadReport,
) -> Iterator[Item]:
    """Articles and bad records of one input, in order; whole-file problems come as errors."""
    p = Path(path)
    if not p.exists():
        yield DataError("file not found", file=str(p), expected="an existing file or folder")
        return
    fmt = detect_format(p) if format == "auto" else format
    readers = _registry()
    if fmt not in readers:
        raise ConfigError(f"unknown data format {fmt!r}; expected one of {list(FORMATS)}")
    if offsets not in OFFSET_UNITS:
        raise ConfigError(f"unknown offsets unit {offsets!r}; expected one of {OFFSET_UNITS}")
    label_set = labels if isinstance(labels, LabelSet) or labels is None else LabelSet(labels)
    seen_ids: set[str] = set()
    records = 0
    for item in readers[fmt](p, label_set, offsets, report):
        records += 1
        if isinstance(item, Article) and not item.is_sentence:
            if item.id in seen_ids:
                item = DataError(
                    "duplicate article id",
                    file=item.origin.rsplit(":", 1)[0] or str(p),
                    line=_line_of(item.origin),
                    record=item.id,
                    field="id",
                    expected="ids unique within the input",
                )
            else:
                seen_ids.add(item.id)
        yield item
    report.records += records
    if records == 0:
        yield DataError("no records", file=str(p), expected="at least one record")


def _line_of(origin: str) -> int | None:
    tail = origin.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def read_all(
    paths: Iterable[str | Path],
    *,
    format: str = "auto",
    labels: LabelSet | Iterable[str] | None = None,
    offsets: str = "auto",
    lenient: bool = False,
    max_errors: int = 20,
    report: ReadReport | None = None,
) -> Iterator[Article]:
    """Yield the articles of several files, validating them whole.

    Unlike :func:`read_articles`, a bad record does not stop the scan: errors are gathered
    (up to ``max_errors``) and raised together as :class:`DataErrors` at the end. Callers
    that write output must therefore write it somewhere temporary and keep it only when
    the whole input was valid. With ``lenient`` bad records are skipped and counted.
    """
    report = report if report is not None else ReadReport()
    errors: list[DataError] = []
    for path in paths:
        good = bad = 0
        for item in _scan(path, format, labels, offsets, report):
            if isinstance(item, Article):
                good += 1
                yield item
                continue
            if lenient:
                bad += 1
                report.skipped.append(item)
                continue
            errors.append(item)
            if len(errors) >= max_errors:
                raise DataErrors(errors, limit=max_errors, more=True)
        if lenient and bad and not good:
            raise DataError(
                f"every record is bad ({bad} skipped)",
                file=str(path),
                expected="at least one valid record",
                found=str(report.skipped[-bad]),
            )
    if errors:
        raise DataErrors(errors, limit=max_errors, more=False)


# --- line-oriented helpers ------------------------------------------------------------------


def iter_json_lines(path: Path) -> Iterator[tuple[Loc, Any] | DataError]:
    """Parse a JSON Lines file: ``(loc, value)`` per non-blank line, or the line's error.

    Reads bytes and decodes each line strictly as UTF-8 (a BOM at the start is allowed, CRLF
    line ends are accepted), so a bad line never hides the others.
    """
    name = str(path)
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield DataError(f"cannot open: {exc.strerror}", file=name)
        return
    with fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            loc = Loc(name, lineno)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield loc.error(
                    "bytes that are not UTF-8",
                    expected="UTF-8 text",
                    found=f"byte {raw[exc.start]:#04x} at column {exc.start + 1}",
                    hint="re-save the file as UTF-8",
                )
                continue
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except RecursionError:
                yield loc.error("JSON nested too deeply", expected="one JSON object per line")
                continue
            except ValueError as exc:
                yield loc.error("invalid JSON", expected="one JSON object per line", found=str(exc))
                continue
            if not isinstance(value, dict):
                yield loc.error(
                    "record is not a JSON object",
                    expected="one JSON object per line",
                    found=type(value).__name__,
                )
                continue
            yield loc, value


def _native_record(
    loc: Loc, rec: dict[str, Any], labels: LabelSet | None, report: ReadReport
) -> Article:
    has_spans, has_labels = "annotations" in rec, "labels" in rec
    if has_spans and has_labels:
        raise loc.error(
            "record has both annotations and labels",
            field="annotations",
            expected="an article with span annotations or a sentence row with labels",
        )
    if has_labels:
        row_id = rec.get("id")
        return make_sentence_row(
            loc=loc.with_record(str(row_id) if row_id is not None else None),
            row_id=str(row_id) if row_id is not None else f"{Path(loc.file).stem}:{loc.line}",
            text=rec.get("text"),
            row_labels=rec["labels"],
            group=rec.get("doc_id"),
            metadata={k: v for k, v in rec.items() if k not in NATIVE_KEYS},
            labels=labels,
            report=report,
        )
    if not has_spans:
        raise loc.error(
            "record has neither annotations nor labels",
            field="annotations",
            expected='"annotations": [{"start", "end", "label"}] ([] for no event), '
            'or "labels": [...] for a sentence row',
        )
    article_loc = loc.with_record(str(rec.get("id")))
    anns = _list_of_objects(rec["annotations"], article_loc, "annotations")
    unsure = _list_of_objects(rec.get("unsure", []), article_loc, "unsure")
    return make_article(
        loc=loc,
        article_id=rec.get("id"),
        text=rec.get("text"),
        spans=[(a.get("start"), a.get("end"), a.get("label"), a.get("text")) for a in anns],
        unsure=[(u.get("start"), u.get("end")) for u in unsure],
        metadata={k: v for k, v in rec.items() if k not in NATIVE_KEYS},
        labels=labels,
        report=report,
    )


def _list_of_objects(value: object, loc: Loc, field: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise loc.error(
            f"{field} is not a list", field=field, expected="a list of objects", found=value
        )
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise loc.error(
                "not an object",
                field=f"{field}[{i}]",
                expected='{"start": int, "end": int, ...}',
                found=item,
            )
    return value


def _read_native(
    path: Path, labels: LabelSet | None, offsets: str, report: ReadReport
) -> Iterator[Item]:
    del offsets  # native offsets are always Python string indices
    for item in iter_json_lines(path):
        if isinstance(item, DataError):
            yield item
            continue
        loc, rec = item
        try:
            yield _native_record(loc, rec, labels, report)
        except DataError as exc:
            yield exc


def _read_csv(
    path: Path, labels: LabelSet | None, offsets: str, report: ReadReport
) -> Iterator[Item]:
    """CSV of sentences: a header with ``text`` and ``labels`` (``;``-separated) columns."""
    del offsets
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield DataError(f"cannot open: {exc.strerror}", file=name)
        return
    # Undecodable bytes become lone surrogates, so that one bad row is reported as that row.
    content = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(content, newline=""), strict=True)
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        yield DataError(f"unreadable CSV header: {exc}", file=name, line=1)
        return
    if header is None:
        return  # no records: read_articles reports the empty file
    missing = [c for c in ("text", "labels") if c not in header]
    if missing:
        yield DataError(
            f"CSV header lacks column(s) {missing}",
            file=name,
            line=1,
            expected="a header with at least text,labels",
            found=",".join(header),
        )
        return
    while True:
        first_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield DataError(
                f"unreadable CSV row: {exc}",
                file=name,
                line=first_line,
                expected="cells quoted as in RFC 4180 (a quote inside a cell doubled)",
            )
            if reader.line_num < first_line:  # nothing consumed: stop rather than spin
                return
            continue
        loc = Loc(name, first_line)
        if None in row:
            yield loc.error(
                "row has more cells than the header",
                expected=f"{len(header)} cells",
                found=f"{len(header) + len(row[None])} cells",
            )
            continue
        if any(v is None for v in row.values()):
            yield loc.error(
                "row has fewer cells than the header",
                expected=f"{len(header)} cells ({','.join(header)})",
                found=f"{sum(v is not None for v in row.values())} cells",
            )
            continue
        if any("\x00" in v for v in row.values()):
            yield loc.error("raw NUL byte in a cell (a binary file?)", expected="UTF-8 text")
            continue
        bad = next((v for v in row.values() if _ESCAPED.search(v)), None)
        if bad is not None:
            byte = ord(_ESCAPED.search(bad).group()) - 0xDC00  # type: ignore[union-attr]
            yield loc.error(
                "bytes that are not UTF-8",
                expected="UTF-8 text",
                found=f"byte {byte:#04x}",
                hint="re-save the file as UTF-8",
            )
            continue
        raw_labels = row.get("labels") or ""
        row_id = row.get("id") or f"{path.stem}:{first_line}"
        try:
            yield make_sentence_row(
                loc=loc.with_record(row.get("id") or None),
                row_id=row_id,
                text=row.get("text"),
                row_labels=[x.strip() for x in raw_labels.split(";") if x.strip()],
                group=row.get("doc_id") or None,
                metadata={
                    k: v for k, v in row.items() if k not in NATIVE_KEYS and v not in (None, "")
                },
                labels=labels,
                report=report,
            )
        except DataError as exc:
            yield exc
