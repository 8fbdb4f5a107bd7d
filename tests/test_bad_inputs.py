"""A corpus of malformed inputs (tests/fixtures/bad/, listed in cases.json), one per problem.

For every bad case: ``eventclf.read_articles`` raises a DataError whose message names the
file, the line or record and the field (the case's ``error`` regex); ``eventclf stats``
prints the same as ``eventclf: error: ...`` and exits 1 without a traceback; with
``lenient=True`` a multi-record file keeps and skips the counts in the manifest, and a
file with nothing good still raises. Cases with a ``bug`` document the expected behaviour
of a reader bug (``xfail(strict=True)`` in the tests listed in ``bug_in``).

Accepted cases (a UTF-8 BOM, CRLF line ends, ``\\u0000`` escaped in a JSON string) must read
to exactly the articles listed.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

import eventclf
import eventclf.cli
from eventclf.data.readers import ReadReport, read_articles
from eventclf.data.sentences import split_sentences

BAD = Path(__file__).parent / "fixtures" / "bad"
MANIFEST: dict[str, Any] = json.loads((BAD / "cases.json").read_text(encoding="utf-8"))
LABELS = ["arms_sale", "military_exercise", "threat_statement"]
assert MANIFEST["labels"] == LABELS
CASES: list[dict[str, Any]] = MANIFEST["cases"]
ACCEPTED: list[dict[str, Any]] = MANIFEST["accepted"]


def _params(cases: list[dict[str, Any]], test: str) -> list[Any]:
    params = []
    for case in cases:
        marks = []
        if "bug" in case and test in case["bug_in"]:
            marks.append(pytest.mark.xfail(strict=True, reason=case["bug"]))
        params.append(pytest.param(case, id=case["path"], marks=marks))
    return params


def _as_records(articles: list[eventclf.Article]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for art in articles:
        if art.is_sentence:
            out.append({"text": art.text, "labels": list(art.sentence_labels or ())})
        else:
            anns = [[a.start, a.end, a.label] for a in art.annotations]
            out.append({"id": art.id, "text": art.text, "annotations": anns})
    return out


# --- the manifest itself -------------------------------------------------------------------


def test_manifest_lists_every_fixture_and_nothing_else() -> None:
    listed = [c["path"] for c in CASES + ACCEPTED]
    assert len(listed) == len(set(listed)), "a path is listed twice"
    for rel in listed:
        assert (BAD / rel).exists(), rel
    on_disk = set()
    for p in BAD.rglob("*"):
        if p.is_file() and p.name != "cases.json":
            rel = p.relative_to(BAD).as_posix()
            # brat cases are folders: a file belongs to the case whose folder holds it
            owner = next((x for x in listed if rel == x or rel.startswith(x + "/")), None)
            assert owner is not None, f"{rel} is not in cases.json"
            on_disk.add(owner)
    assert on_disk == set(listed)


def test_manifest_cases_are_well_formed() -> None:
    for case in CASES:
        assert case["format"] in ("jsonl", "labelstudio", "doccano", "brat", "csv"), case
        re.compile(case["error"])
        # every regex names the file (its path under fixtures/bad/)
        assert case["error"].startswith(re.escape(case["path"].split("/")[0])), case["path"]
        if "bug" in case:
            assert set(case["bug_in"]) <= {"read", "cli", "lenient"}, case["path"]
    fixtures = [p for p in BAD.rglob("*") if p.is_file() and p.name != "cases.json"]
    big = [p for p in fixtures if p.stat().st_size > 1024 and "deeply-nested" not in p.name]
    assert not big, f"fixtures should stay tiny: {big}"


# --- bad inputs ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", _params(CASES, "read"))
def test_read_articles_names_the_problem(case: dict[str, Any]) -> None:
    path = BAD / case["path"]
    with pytest.raises(eventclf.DataError, match=case["error"]):
        list(eventclf.read_articles(path, format=case["format"], labels=LABELS))


@pytest.mark.parametrize("case", _params(CASES, "cli"))
def test_cli_stats_reports_the_problem(
    case: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    path = BAD / case["path"]
    code = eventclf.cli.main(["stats", str(path), "--format", case["format"]])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code == 1, err
    assert err.startswith("eventclf: error:"), err
    assert re.search(case["error"], err), err


@pytest.mark.parametrize("case", _params(CASES, "lenient"))
def test_lenient_keeps_and_skips(case: dict[str, Any]) -> None:
    path = BAD / case["path"]
    report = ReadReport()
    reading = read_articles(path, format=case["format"], labels=LABELS, lenient=True, report=report)
    if "lenient" not in case:  # one record, or a whole-file problem: nothing to keep
        with pytest.raises(eventclf.EventclfError):
            list(reading)
        return
    kept = list(reading)
    assert len(kept) == case["lenient"]["kept"], [str(e) for e in report.skipped]
    assert len(report.skipped) == case["lenient"]["skipped"], [str(e) for e in report.skipped]
    assert re.search(case["error"], str(report.skipped[0]))


# --- accepted inputs -----------------------------------------------------------------------


@pytest.mark.parametrize("case", _params(ACCEPTED, "read"))
def test_accepted_input_reads_to_the_expected_articles(case: dict[str, Any]) -> None:
    path = BAD / case["path"]
    report = ReadReport()
    got = list(read_articles(path, format=case["format"], labels=LABELS, report=report))
    assert _as_records(got) == case["articles"]
    assert not report.skipped and not report.notes


@pytest.mark.parametrize("case", _params(ACCEPTED, "cli"))
def test_accepted_input_passes_cli_stats(
    case: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code = eventclf.cli.main(["stats", str(BAD / case["path"]), "--format", case["format"]])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "error" not in err and "Traceback" not in out + err


# --- a 50 MB single-article file -----------------------------------------------------------


def test_50mb_single_article_reads_and_splits(tmp_path: Path) -> None:
    para = (
        "Officials met in the capital on Monday to discuss the budget for the coming year. "
        "The talks, which ran late, ended without a deal.\n\n"
    )
    n = 50_000_000 // len(para) + 1
    tail = "The navy will hold drills near the strait next week. Dealers sold 12 tanks to the army."
    text = para * n + tail
    drills = text.rindex("The navy will hold drills")
    tanks = text.rindex("sold 12 tanks")
    anns = [
        {"start": drills, "end": drills + 25, "label": "military_exercise"},
        {"start": tanks, "end": tanks + 13, "label": "arms_sale", "text": "sold 12 tanks"},
    ]
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "big", "text": text, "annotations": anns}) + "\n")
    assert path.stat().st_size > 50_000_000

    started = time.perf_counter()
    (art,) = eventclf.read_articles(path, format="jsonl", labels=LABELS)
    spans = split_sentences(art.text)
    elapsed = time.perf_counter() - started

    assert art.id == "big" and art.text == text
    assert [(a.start, a.end, a.label) for a in art.annotations] == [
        (drills, drills + 25, "military_exercise"),
        (tanks, tanks + 13, "arms_sale"),
    ]
    assert art.text[tanks : tanks + 13] == "sold 12 tanks"
    # two sentences per paragraph, then the two of the tail, in order and without overlap
    assert len(spans) == 2 * n + 2
    starts = [s for s, _ in spans]
    assert all(e0 <= s1 for (_, e0), (s1, _) in itertools.pairwise(spans))
    first, second = para.split(". ", 1)
    for i in (0, n // 2, n - 1):
        s, e = spans[2 * i]
        assert text[s:e] == first + "."
        s, e = spans[2 * i + 1]
        assert text[s:e] == second.rstrip()
    assert [text[s:e] for s, e in spans[-2:]] == [
        "The navy will hold drills near the strait next week.",
        "Dealers sold 12 tanks to the army.",
    ]
    # each annotation lies inside one sentence: the right one
    for ann in art.annotations:
        i = bisect.bisect_right(starts, ann.start) - 1
        assert spans[i][0] <= ann.start < ann.end <= spans[i][1]
        assert i in (len(spans) - 2, len(spans) - 1)
    assert elapsed < 15, f"reading and splitting 50 MB took {elapsed:.1f}s"
