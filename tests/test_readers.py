"""Readers: every supported export reads to the expected articles; bad input is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventclf import DataError, DataErrors, EventclfError, read_articles
from eventclf.data.readers import ReadReport, detect_format, read_all
from eventclf.labels import LabelSet

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
LABELS = LabelSet()


def _expected(name: str) -> list[dict[str, object]]:
    lines = (FIXTURES / "expected" / f"{name}.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _as_records(path: Path, fmt: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for art in read_articles(path, format=fmt, labels=LABELS):
        if art.is_sentence:
            out.append({"text": art.text, "labels": list(art.sentence_labels or ())})
        else:
            anns = sorted((a.start, a.end, a.label) for a in art.annotations)
            out.append({"id": art.id, "text": art.text, "annotations": anns})
    return out


@pytest.mark.parametrize(
    ("fixture", "fmt"),
    [
        ("labelstudio.json", "labelstudio"),
        ("doccano-label.jsonl", "doccano"),
        ("doccano-entities.jsonl", "doccano"),
        ("brat", "brat"),
        ("brat-discontinuous", "brat"),
        ("sentences.csv", "csv"),
    ],
)
def test_export_reads_to_expected_articles(fixture: str, fmt: str) -> None:
    got = _as_records(FIXTURES / fixture, fmt)
    want = []
    for rec in _expected(Path(fixture).stem if fmt != "brat" else fixture):
        if "annotations" in rec:
            anns = sorted((a["start"], a["end"], a["label"]) for a in rec["annotations"])  # type: ignore[index,union-attr]
            want.append({"id": rec["id"], "text": rec["text"], "annotations": anns})
        else:
            want.append({"text": rec["text"], "labels": rec["labels"]})
    assert got == want
    # The same with the format detected from the name and content.
    assert _as_records(FIXTURES / fixture, "auto") == want


def test_utf16_offsets_land_on_the_right_text() -> None:
    """Label Studio counts offsets in UTF-16 code units: emoji before a span shift them."""
    arts = {a.id: a for a in read_articles(FIXTURES / "labelstudio.json", labels=LABELS)}
    text = arts["58"].text
    assert any(ord(c) > 0xFFFF for c in text)
    for ann in arts["58"].annotations:
        span = text[ann.start : ann.end]
        assert span == span.strip() and span[0].isupper()


def test_detect_format() -> None:
    assert detect_format(FIXTURES / "labelstudio.json") == "labelstudio"
    assert detect_format(FIXTURES / "doccano-label.jsonl") == "doccano"
    assert detect_format(FIXTURES / "doccano-entities.jsonl") == "doccano"
    assert detect_format(FIXTURES / "brat") == "brat"
    assert detect_format(FIXTURES / "brat" / "yellow_sea_drills.ann") == "brat"
    assert detect_format(FIXTURES / "sentences.csv") == "csv"
    assert detect_format(Path("data/examples/articles.jsonl")) == "jsonl"


# --- bad input: each case names file, line or record, and field -----------------------------

ARTICLE = {
    "id": "a1",
    "text": "Troops held drills. Nothing else.",
    "annotations": [{"start": 0, "end": 19, "label": "military_exercise"}],
}


def _line(**changes: object) -> str:
    rec = dict(ARTICLE) | changes
    return json.dumps({k: v for k, v in rec.items() if v is not ...})


BAD_JSONL = [
    ("invalid-json", '{"id": "a1", "text": ', r"line 1: invalid JSON"),
    ("not-an-object", "[1, 2]", r"line 1: record is not a JSON object"),
    ("missing-text", _line(text=...), r"line 1, record 'a1', field 'text': missing text"),
    ("empty-text", _line(text="   "), r"field 'text': empty text"),
    ("text-not-string", _line(text=5), r"field 'text': text is not a string.*found int"),
    (
        "offset-outside",
        _line(annotations=[{"start": 0, "end": 99, "label": "arms_sale"}]),
        r"field 'annotations\[0\]': span offsets fall outside the text; expected 0 <= start",
    ),
    (
        "start-after-end",
        _line(annotations=[{"start": 9, "end": 3, "label": "arms_sale"}]),
        r"annotations\[0\]'.*start is not before its end.*start=9, end=3",
    ),
    (
        "zero-length",
        _line(annotations=[{"start": 3, "end": 3, "label": "arms_sale"}]),
        r"start is not before its end",
    ),
    (
        "offset-not-int",
        _line(annotations=[{"start": "0", "end": 5, "label": "arms_sale"}]),
        r"field 'annotations\[0\].start': span start is not an integer",
    ),
    (
        "unknown-label",
        _line(annotations=[{"start": 0, "end": 5, "label": "coup"}]),
        r"field 'annotations\[0\].label': unknown label 'coup'; expected one of \['arms_sale'",
    ),
    (
        "span-text-disagrees",
        _line(annotations=[{"start": 0, "end": 6, "label": "arms_sale", "text": "Tanks!"}]),
        r"annotations\[0\].text': span text disagrees with its offsets; expected 'Troops'",
    ),
    ("no-annotations", _line(annotations=...), r"neither annotations nor labels"),
    ("annotations-not-list", _line(annotations={"start": 0}), r"annotations is not a list"),
    ("missing-id", _line(id=...), r"field 'id': missing or empty article id"),
    ("both-kinds", _line(labels=[]), r"both annotations and labels"),
    (
        "sentence-bad-labels",
        json.dumps({"text": "x y", "labels": "arms_sale"}),
        r"field 'labels': labels is not a list",
    ),
    ("deeply-nested", "[" * 100_000 + "]" * 100_000, r"line 1: JSON nested too deeply"),
]


@pytest.mark.parametrize(("case", "content", "match"), BAD_JSONL, ids=[c[0] for c in BAD_JSONL])
def test_bad_jsonl_record_is_named(tmp_path: Path, case: str, content: str, match: str) -> None:
    path = tmp_path / f"{case}.jsonl"
    path.write_text(content + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=match) as info:
        list(read_articles(path, format="jsonl", labels=LABELS))
    assert str(path) in str(info.value)


def test_duplicate_article_ids(tmp_path: Path) -> None:
    path = tmp_path / "dupes.jsonl"
    path.write_text(_line() + "\n" + _line() + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line 2, record 'a1', field 'id': duplicate article id"):
        list(read_articles(path, labels=LABELS))


def test_non_utf8_bytes(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(
        _line(text="Caf\xe9 drills.").encode("utf-8").replace(b"\\u00e9", b"\xe9") + b"\n"
    )
    with pytest.raises(DataError, match=r"line 1: bytes that are not UTF-8.*byte 0xe9"):
        list(read_articles(path, labels=LABELS))


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_file_is_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(content)
    with pytest.raises(DataError, match=r"empty.jsonl: no records"):
        list(read_articles(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope.jsonl: file not found"):
        list(read_articles(tmp_path / "nope.jsonl"))


def test_bom_crlf_and_long_articles_are_accepted(tmp_path: Path) -> None:
    body = "Officials spoke.\r\n" * 20_000 + "The navy held drills.\r\nEnd."
    start = body.index("The navy")
    rec = {
        "id": "long",
        "text": body,
        "annotations": [{"start": start, "end": start + 21, "label": "military_exercise"}],
    }
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(rec).encode() + b"\r\n")
    (art,) = read_articles(path, labels=LABELS)
    assert art.text == body  # offsets refer to the text as given, CRLF included
    assert art.text[art.annotations[0].start : art.annotations[0].end] == "The navy held drills."


def test_exact_duplicate_span_is_kept_once_and_reported(tmp_path: Path) -> None:
    ann = {"start": 0, "end": 19, "label": "military_exercise"}
    other = {"start": 0, "end": 19, "label": "threat_statement"}
    path = tmp_path / "dup-spans.jsonl"
    path.write_text(_line(annotations=[ann, ann, other]) + "\n", encoding="utf-8")
    report = ReadReport()
    (art,) = read_articles(path, labels=LABELS, report=report)
    assert [a.label for a in art.annotations] == ["military_exercise", "threat_statement"]
    assert report.duplicate_spans == 1
    assert "kept once" in report.notes[0]


def test_unknown_fields_are_kept_as_metadata(tmp_path: Path) -> None:
    path = tmp_path / "meta.jsonl"
    path.write_text(
        _line(outlet="Wire", title="T", unsure=[{"start": 20, "end": 33}]) + "\n", encoding="utf-8"
    )
    (art,) = read_articles(path, labels=LABELS)
    assert art.metadata["outlet"] == "Wire"
    assert art.metadata["title"] == "T"
    assert [(u.start, u.end) for u in art.unsure] == [(20, 33)]


def test_lenient_skips_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([_line(), "{oops", _line(id="a2", text="")]) + "\n", "utf-8")
    report = ReadReport()
    arts = list(read_articles(path, labels=LABELS, lenient=True, report=report))
    assert [a.id for a in arts] == ["a1"]
    assert len(report.skipped) == 2
    assert "line 2" in str(report.skipped[0]) and "line 3" in str(report.skipped[1])


def test_read_all_lists_up_to_20_errors(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(["{bad"] * 30) + "\n", "utf-8")
    with pytest.raises(DataErrors, match=r"20 bad record\(s\); stopped after the first 20"):
        list(read_all([path]))
    path.write_text("\n".join([_line(), "{bad", _line(id="a3"), "{bad"]) + "\n", "utf-8")
    with pytest.raises(DataErrors) as info:
        list(read_all([path]))
    assert [e.where.line for e in info.value.errors] == [2, 4]


BAD_EXPORTS = [
    ("ls-not-list.json", "labelstudio", '"hello"', r"not a Label Studio export"),
    ("ls-invalid.json", "labelstudio", "[{", r"ls-invalid.json, line 1: invalid JSON"),
    (
        "ls-bad-text.json",
        "labelstudio",
        json.dumps(
            [
                {
                    "id": 7,
                    "data": {"text": "Tanks sold."},
                    "annotations": [
                        {
                            "result": [
                                {
                                    "type": "labels",
                                    "value": {
                                        "start": 0,
                                        "end": 5,
                                        "text": "Ships",
                                        "labels": ["arms_sale"],
                                    },
                                }
                            ]
                        }
                    ],
                }
            ]
        ),
        r"record '7', field 'annotations.result\[0\].value.text': span text disagrees",
    ),
    (
        "ls-no-annotation.json",
        "labelstudio",
        json.dumps([{"id": 8, "data": {"text": "Tanks sold."}, "annotations": []}]),
        r"record '8', field 'annotations': task has no completed annotation",
    ),
    (
        "dc-bad-span.jsonl",
        "doccano",
        json.dumps({"id": 3, "text": "Tanks sold.", "label": [[0, 5]]}),
        r"line 1, record '3', field 'label\[0\]': span is not \[start, end, label\]",
    ),
    (
        "dc-unknown.jsonl",
        "doccano",
        json.dumps(
            {
                "id": 4,
                "text": "Tanks sold.",
                "entities": [{"id": 1, "label": "PER", "start_offset": 0, "end_offset": 5}],
            }
        ),
        r"record '4', field 'entities\[0\].label': unknown label 'PER'",
    ),
    (
        "rows.csv",
        "csv",
        "sentence,labels\nTanks sold.,arms_sale\n",
        r"rows.csv, line 1: CSV header lacks column\(s\) \['text'\]",
    ),
    (
        "rows2.csv",
        "csv",
        "text,labels\nTanks sold.,arms_sale;coup\n",
        r"rows2.csv, line 2, field 'labels\[1\]': unknown label 'coup'",
    ),
    ("rows3.csv", "csv", 'text,labels\n"",arms_sale\n', r"rows3.csv, line 2, field 'text': empty"),
]


@pytest.mark.parametrize(
    ("name", "fmt", "content", "match"), BAD_EXPORTS, ids=[c[0] for c in BAD_EXPORTS]
)
def test_bad_export_is_named(tmp_path: Path, name: str, fmt: str, content: str, match: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=match):
        list(read_articles(path, format=fmt, labels=LABELS))


def _brat(tmp_path: Path, text: str, ann: str) -> Path:
    (tmp_path / "doc.txt").write_text(text, encoding="utf-8")
    (tmp_path / "doc.ann").write_text(ann, encoding="utf-8")
    return tmp_path / "doc.ann"


@pytest.mark.parametrize(
    ("ann", "match"),
    [
        ("T1\tarms_sale 0 5\tShips\n", r"doc.ann, line 1, record 'doc', field 'T1': span text"),
        ("T1\tarms_sale zero 5\tTanks\n", r"line 1.*malformed offsets"),
        ("T1 arms_sale 0 5 Tanks\n", r"line 1.*malformed text-bound annotation"),
        ("T1\tarms_sale 0 50\tTanks\n", r"span offsets fall outside the text"),
    ],
)
def test_bad_brat_is_named(tmp_path: Path, ann: str, match: str) -> None:
    with pytest.raises(DataError, match=match):
        list(read_articles(_brat(tmp_path, "Tanks sold.", ann), labels=LABELS))


def test_brat_missing_ann(tmp_path: Path) -> None:
    (tmp_path / "lonely.txt").write_text("Tanks sold.", encoding="utf-8")
    with pytest.raises(DataError, match=r"lonely.ann: brat annotation file not found"):
        list(read_articles(tmp_path, format="brat"))


def test_doccano_ambiguous_utf16_asks_for_offsets(tmp_path: Path) -> None:
    text = "🚀 Big news today. Navy drills here now."
    rec = {"id": 1, "text": text, "label": [[0, 1, "military_exercise"]]}
    path = tmp_path / "amb.jsonl"
    path.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    # Span [0, 1) is the rocket in code points and half of it in UTF-16: only one reading fits.
    (art,) = read_articles(path, format="doccano", labels=LABELS)
    assert art.text[0:1] == "🚀"
    start = len("🚀 Big news today. ") + 1  # UTF-16 offset of "Navy"
    rec["label"] = [[start, start + 4, "military_exercise"]]
    path.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    (art,) = read_articles(path, format="doccano", labels=LABELS)
    ann = art.annotations[0]
    assert text[ann.start : ann.end] == "Navy"
    (art,) = read_articles(path, format="doccano", labels=LABELS, offsets="codepoints")
    assert text[art.annotations[0].start : art.annotations[0].end] == "avy "


# --- property-based: no input makes a reader fail any other way ------------------------------


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=400), fmt=st.sampled_from(["jsonl", "doccano", "labelstudio", "csv"])
)
def test_readers_raise_only_eventclf_errors_on_bytes(tmp_path: Path, data: bytes, fmt: str) -> None:
    path = (
        tmp_path / f"fuzz.{'json' if fmt == 'labelstudio' else 'csv' if fmt == 'csv' else 'jsonl'}"
    )
    path.write_bytes(data)
    try:
        for art in read_articles(path, format=fmt, labels=LABELS):
            for a in art.annotations:
                assert 0 <= a.start < a.end <= len(art.text)
    except EventclfError:
        pass


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 60) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "text",
                    "annotations",
                    "labels",
                    "start",
                    "end",
                    "label",
                    "unsure",
                    "entities",
                    "doc_id",
                    "data",
                    "result",
                    "value",
                    "type",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    records=st.lists(_json_values, min_size=1, max_size=4),
    fmt=st.sampled_from(["jsonl", "doccano", "labelstudio"]),
)
def test_readers_raise_only_eventclf_errors_on_json(
    tmp_path: Path, records: list[object], fmt: str
) -> None:
    path = tmp_path / "fuzz.json"
    if fmt == "labelstudio":
        path.write_text(json.dumps(records), encoding="utf-8")
    else:
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    try:
        for art in read_articles(path, format=fmt, labels=LABELS):
            assert art.text.strip()
            for a in art.annotations:
                assert 0 <= a.start < a.end <= len(art.text)
    except EventclfError:
        pass
