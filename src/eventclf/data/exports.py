"""Readers for annotation-tool exports: Label Studio JSON, doccano JSONL and brat standoff.

Browser-based tools (Label Studio, doccano) count offsets in UTF-16 code units, as
JavaScript strings do, so an emoji before a span shifts it by one per emoji. With
``offsets="auto"`` the reader decides per record: where the export stores the span's text
(Label Studio) the reading that reproduces it wins; where it does not (doccano), the reading
whose spans start and end on word boundaries wins, and a record where both or neither do is
an error that asks for ``offsets`` to be set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from eventclf.data.readers import Item, _list_of_objects, iter_json_lines
from eventclf.data.records import (
    Loc,
    ReadReport,
    check_label,
    check_span,
    check_text,
    decode_utf8,
    make_article,
    make_sentence_row,
)
from eventclf.errors import DataError
from eventclf.labels import LabelSet

__all__ = ["read_brat", "read_doccano", "read_labelstudio"]

RawSpan = tuple[object, object, object, object]


def _convert_utf16(text: str, spans: Sequence[RawSpan]) -> list[RawSpan] | None:
    """Spans with UTF-16 offsets converted to Python offsets (None if one is impossible)."""
    from eventclf.data.records import utf16_to_codepoints

    table = utf16_to_codepoints(text)
    if table is None:
        return list(spans)
    out: list[RawSpan] = []
    for start, end, label, claimed in spans:
        if not (isinstance(start, int) and isinstance(end, int)):
            return None
        if not (0 <= start < len(table) and 0 <= end < len(table)):
            return None
        s, e = table[start], table[end]
        if s < 0 or e < 0:
            return None
        out.append((s, e, label, claimed))
    return out


def _fits(text: str, spans: Sequence[RawSpan], *, check_text: bool) -> bool:
    for start, end, _label, claimed in spans:
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            return False
        if check_text:
            if claimed is not None and text[start:end] != claimed:
                return False
        else:
            before = text[start - 1] if start > 0 else " "
            after = text[end] if end < len(text) else " "
            inner = text[start:end]
            if before.isalnum() and inner[0].isalnum():
                return False
            if after.isalnum() and inner[-1].isalnum():
                return False
    return True


def resolve_offsets(
    text: object, spans: list[RawSpan], offsets: str, loc: Loc, *, has_text: bool
) -> list[RawSpan]:
    """Turn spans counted in ``offsets`` units into Python offsets (see module docstring)."""
    if not isinstance(text, str) or offsets == "codepoints":
        return spans
    converted = _convert_utf16(text, spans)
    if offsets == "utf16":
        if converted is None:
            raise loc.error(
                "offsets fall inside a character or outside the text when read as UTF-16 "
                "code units",
                field="offsets",
                expected="UTF-16 offsets (offsets: utf16)",
            )
        return converted
    if converted is None or converted == spans:
        return spans
    as_cp = _fits(text, spans, check_text=has_text)
    as_16 = _fits(text, converted, check_text=has_text)
    if as_16 and not as_cp:
        return converted
    if as_cp and not as_16:
        return spans
    if has_text:  # neither reading reproduces the stored span text: report it as such
        return spans
    raise loc.error(
        "the text has characters outside the Basic Multilingual Plane (e.g. emoji), and the "
        "spans fit both as Python offsets and as UTF-16 code units"
        if as_cp
        else "the spans fit neither as Python offsets nor as UTF-16 code units",
        field="offsets",
        expected="offsets: codepoints or offsets: utf16 set explicitly",
    )


# --- Label Studio ---------------------------------------------------------------------------


def _pick_annotation(task: dict[str, Any], loc: Loc) -> dict[str, Any]:
    anns = task.get("annotations")
    if anns is None:
        anns = task.get("completions")  # exports from Label Studio < 1.0
    if not isinstance(anns, list):
        raise loc.error(
            "task has no annotations list",
            field="annotations",
            expected="a list of annotations",
            found=anns,
        )
    done = [a for a in anns if isinstance(a, dict) and not a.get("was_cancelled")]
    if not done:
        raise loc.error(
            "task has no completed annotation",
            field="annotations",
            expected="at least one annotation that was not cancelled",
            hint="use --lenient to skip unannotated tasks",
        )
    truth = [a for a in done if a.get("ground_truth")]
    return (truth or done)[0]


def _labelstudio_task(
    task: object, loc: Loc, labels: LabelSet | None, offsets: str, report: ReadReport
) -> Item:
    if not isinstance(task, dict):
        return loc.error("task is not a JSON object", expected="a task object", found=task)
    task_id = task.get("id")
    if task_id is not None:
        loc = loc.with_record(str(task_id))
    data = task.get("data")
    if not isinstance(data, dict):
        return loc.error("task has no data object", field="data", expected='{"text": ...}')
    text = data.get("text")
    if text is None:
        strings = [k for k, v in data.items() if isinstance(v, str)]
        if len(strings) == 1:
            text = data[strings[0]]
    try:
        ann = _pick_annotation(task, loc)
        results = _list_of_objects(ann.get("result", []), loc, "annotations.result")
        spans: list[RawSpan] = []
        fields: list[str] = []
        for i, res in enumerate(results):
            if res.get("type") != "labels":
                continue  # choices, relations, text areas: not span labels
            value = res.get("value")
            field = f"annotations.result[{i}].value"
            if not isinstance(value, dict):
                raise loc.error("result has no value", field=field, expected="an object")
            names = value.get("labels")
            if not isinstance(names, list) or not names:
                raise loc.error(
                    "span has no labels",
                    field=f"{field}.labels",
                    expected="a non-empty list of label names",
                    found=names,
                )
            for name in names:
                spans.append((value.get("start"), value.get("end"), name, value.get("text")))
                fields.append(field)
        spans = resolve_offsets(text, spans, offsets, loc, has_text=True)
        meta = {k: v for k, v in data.items() if k != "text" and isinstance(k, str)}
        meta["labelstudio_annotation_id"] = ann.get("id")
        return make_article(
            loc=loc,
            article_id=task_id,
            text=text,
            spans=spans,
            metadata=meta,
            labels=labels,
            report=report,
            span_fields=fields,
        )
    except DataError as exc:
        return exc


def read_labelstudio(
    path: Path, labels: LabelSet | None, offsets: str, report: ReadReport
) -> Iterator[Item]:
    """Label Studio "JSON" export: a list of tasks with span (``labels``) results."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        yield DataError(f"cannot open: {exc.strerror}", file=name)
        return
    try:
        doc = json.loads(decode_utf8(raw, name))
    except DataError as exc:
        yield exc
        return
    except RecursionError:
        yield DataError("JSON nested too deeply", file=name, expected="a list of tasks")
        return
    except json.JSONDecodeError as exc:
        yield DataError(
            "invalid JSON",
            file=name,
            line=exc.lineno,
            expected="a Label Studio JSON export",
            found=exc.msg,
        )
        return
    if isinstance(doc, dict):
        doc = [doc]  # a single task
    if not isinstance(doc, list):
        yield DataError(
            "not a Label Studio export",
            file=name,
            expected="a JSON list of tasks",
            found=type(doc).__name__,
        )
        return
    for i, task in enumerate(doc):
        yield _labelstudio_task(task, Loc(name, None, f"#{i}"), labels, offsets, report)


# --- doccano --------------------------------------------------------------------------------


def _doccano_spans(rec: dict[str, Any], loc: Loc) -> list[RawSpan]:
    spans: list[RawSpan] = []
    if "entities" in rec:
        ents = _list_of_objects(rec["entities"], loc, "entities")
        for ent in ents:
            spans.append((ent.get("start_offset"), ent.get("end_offset"), ent.get("label"), None))
        return spans
    for i, item in enumerate(rec["label"]):
        if not (isinstance(item, list) and len(item) == 3):
            raise loc.error(
                "span is not [start, end, label]",
                field=f"label[{i}]",
                expected="[start, end, label]",
                found=item,
            )
        spans.append((item[0], item[1], item[2], None))
    return spans


def read_doccano(
    path: Path, labels: LabelSet | None, offsets: str, report: ReadReport
) -> Iterator[Item]:
    """doccano JSONL: ``label: [[start, end, LABEL]]``, ``entities: [...]`` or, for text
    classification exports, ``label: [LABEL, ...]`` (a sentence row)."""
    for item in iter_json_lines(path):
        if isinstance(item, DataError):
            yield item
            continue
        loc, rec = item
        rec_id = rec.get("id")
        loc = loc.with_record(str(rec_id) if rec_id is not None else None)
        text = rec.get("text", rec.get("data"))
        meta = {
            k: v for k, v in rec.items() if k not in ("id", "text", "data", "label", "entities")
        }
        try:
            if "entities" not in rec and "label" not in rec:
                raise loc.error(
                    "record has neither label nor entities",
                    field="label",
                    expected='"label": [[start, end, "LABEL"], ...] or "entities": [...]',
                )
            raw_label = rec.get("label")
            if (
                "entities" not in rec
                and isinstance(raw_label, list)
                and all(isinstance(x, str) for x in raw_label)
                and raw_label
            ):
                yield make_sentence_row(
                    loc=loc,
                    row_id=str(rec_id) if rec_id is not None else f"{path.stem}:{loc.line}",
                    text=text,
                    row_labels=raw_label,
                    metadata=meta,
                    labels=labels,
                    report=report,
                )
                continue
            if "entities" not in rec and not isinstance(raw_label, list):
                raise loc.error(
                    "label is not a list",
                    field="label",
                    expected="[[start, end, LABEL], ...]",
                    found=raw_label,
                )
            spans = resolve_offsets(text, _doccano_spans(rec, loc), offsets, loc, has_text=False)
            field = "entities" if "entities" in rec else "label"
            yield make_article(
                loc=loc,
                article_id=rec_id if rec_id is not None else f"{path.stem}:{loc.line}",
                text=text,
                spans=spans,
                metadata=meta,
                labels=labels,
                report=report,
                spans_field=field,
            )
        except DataError as exc:
            yield exc


# --- brat -----------------------------------------------------------------------------------


def _brat_pairs(path: Path) -> list[tuple[Path, Path]]:
    if path.is_dir():
        names = sorted({p.with_suffix("") for p in path.rglob("*") if p.suffix in (".txt", ".ann")})
        return [(n.with_suffix(".txt"), n.with_suffix(".ann")) for n in names]
    base = path.with_suffix("")
    return [(base.with_suffix(".txt"), base.with_suffix(".ann"))]


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise DataError(
            "raw NUL byte (a binary file?)",
            file=str(path),
            line=raw[:nul].count(b"\n") + 1,
            expected="UTF-8 text",
        )
    return decode_utf8(raw, str(path))


def _brat_document(txt: Path, ann: Path, labels: LabelSet | None, report: ReadReport) -> Item:
    try:
        if not txt.exists():
            return DataError("brat text file not found", file=str(txt), expected="NAME.txt")
        if not ann.exists():
            return DataError(
                "brat annotation file not found",
                file=str(ann),
                expected=f"{ann.name} beside {txt.name}",
            )
        text = _read_text(txt)
        check_text(text, Loc(str(txt), None, txt.stem))
        spans: list[RawSpan] = []
        for lineno, line in enumerate(_read_text(ann).splitlines(), start=1):
            if not line.startswith("T"):
                continue  # notes (#), attributes (A/M), relations (R), events (E), norms (N)
            loc = Loc(str(ann), lineno, txt.stem)
            parts = line.split("\t")
            if len(parts) < 2 or " " not in parts[1]:
                raise loc.error(
                    "malformed text-bound annotation",
                    expected="Tn<TAB>TYPE START END<TAB>text",
                    found=line,
                )
            label, _, offsets = parts[1].partition(" ")
            fragments = []
            for frag in offsets.split(";"):
                bounds = frag.split()
                if len(bounds) != 2 or not all(b.isdigit() for b in bounds):
                    raise loc.error(
                        "malformed offsets",
                        field=parts[0],
                        expected="START END[;START END]",
                        found=offsets,
                    )
                fragments.append((int(bounds[0]), int(bounds[1])))
            claimed = parts[2] if len(parts) > 2 else None
            if claimed is not None:
                pieces = [text[s:e] for s, e in fragments]
                if (
                    all(0 <= s < e <= len(text) for s, e in fragments)
                    and " ".join(pieces) != claimed
                ):
                    raise loc.error(
                        "span text disagrees with its offsets",
                        field=parts[0],
                        expected=repr(" ".join(pieces)),
                        found=claimed,
                    )
            for s, e in fragments:  # a discontinuous span labels each of its fragments
                check_span(s, e, text, loc, parts[0])
            check_label(label, labels, loc, parts[0])
            spans.extend((s, e, label, None) for s, e in fragments)
        return make_article(
            loc=Loc(str(ann), None),
            article_id=txt.stem,
            text=text,
            spans=spans,
            metadata={"brat_file": txt.name},
            labels=labels,
            report=report,
            spans_field="T",
        )
    except DataError as exc:
        return exc


def read_brat(
    path: Path, labels: LabelSet | None, offsets: str, report: ReadReport
) -> Iterator[Item]:
    """brat standoff: a folder of ``NAME.txt`` + ``NAME.ann`` pairs, or one pair."""
    del offsets  # brat counts Unicode characters, as Python does
    for txt, ann in _brat_pairs(path):
        yield _brat_document(txt, ann, labels, report)
