"""Check a draft corpus part and deal its articles into the fixed train/dev/test splits.

A draft is JSONL, one article per line, written sentence by sentence so that nobody counts
offsets by hand::

    {"id": "pb-001", "title": "...", "title_labels": [], "date": "2024-03-02",
     "dateline": "LAGOS, March 2 (Global Wire) -",          # optional, starts paragraph one
     "byline": "By Ada Obi",                                 # optional, own line
     "paragraphs": [[["First sentence.", []], ["Second one.", ["threat_statement"]]], ...]}

The script builds the article text the way docs/annotation-guidelines.md section 1 lays it out
(headline, blank line, optional byline line, paragraphs separated by blank lines, sentences joined
by one space), turns every labelled sentence into a whole-sentence span, and checks that
eventclf's ``rules`` splitter finds exactly the drafted sentences. Any mismatch is an error that
names the article and the sentence, so the draft can be fixed before anything is written.

    python data/corpus/add_part.py --check DRAFT.jsonl      # validate only
    python data/corpus/add_part.py DRAFT.jsonl              # validate, then append to the splits

Dealing follows data/corpus/README.md: the draft's articles are grouped by their set of labels,
ordered by a hash of their id within each group, and dealt 70/15/15 to train/dev/test from one
interleaved cycle of 20 slots that runs on across the groups.
Existing articles never move; ids already in the corpus are refused.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from eventclf.data.sentences import split_sentences
from eventclf.labels import DEFAULT_LABELS

CORPUS = Path(__file__).resolve().parent
SPLITS = ("train", "dev", "test")
LABELS = frozenset(DEFAULT_LABELS)
KEYS = {"id", "title", "title_labels", "date", "dateline", "byline", "paragraphs"}


class DraftError(ValueError):
    pass


def _labels(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise DraftError(f"{where}: labels must be a list of strings, found {value!r}")
    unknown = sorted(set(value) - LABELS)
    if unknown:
        raise DraftError(f"{where}: unknown label(s) {unknown}; expected some of {sorted(LABELS)}")
    return sorted(set(value))


def build_article(draft: dict[str, Any], where: str) -> dict[str, Any]:
    """The native record for one draft article, with whole-sentence spans."""
    extra = set(draft) - KEYS
    if extra:
        raise DraftError(f"{where}: unknown field(s) {sorted(extra)}; expected {sorted(KEYS)}")
    for key in ("id", "title", "date"):
        if not isinstance(draft.get(key), str) or not draft[key].strip():
            raise DraftError(f"{where}: field {key!r} must be a non-empty string")
    where = f"{where} ({draft['id']})"
    paragraphs = draft.get("paragraphs")
    if not isinstance(paragraphs, list) or not paragraphs:
        raise DraftError(f"{where}: 'paragraphs' must be a non-empty list of paragraphs")

    pieces: list[str] = []
    sentences: list[tuple[int, int, list[str], str]] = []
    cursor = 0

    def add(text: str, labels: list[str], sep: str) -> None:
        nonlocal cursor
        if text != text.strip() or not text:
            raise DraftError(f"{where}: sentence has surrounding whitespace or is empty: {text!r}")
        if "\n" in text:
            raise DraftError(f"{where}: sentence contains a line break: {text!r}")
        if pieces:
            pieces.append(sep)
            cursor += len(sep)
        pieces.append(text)
        sentences.append((cursor, cursor + len(text), labels, text))
        cursor += len(text)

    add(draft["title"].strip(), _labels(draft.get("title_labels", []), f"{where} title"), "")
    byline = draft.get("byline")
    if byline:
        add(byline, [], "\n\n")
    dateline = draft.get("dateline")
    for p, paragraph in enumerate(paragraphs):
        if not isinstance(paragraph, list) or not paragraph:
            raise DraftError(f"{where} paragraph {p + 1}: expected a non-empty list of sentences")
        for s, item in enumerate(paragraph):
            spot = f"{where} paragraph {p + 1} sentence {s + 1}"
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                raise DraftError(f'{spot}: expected ["sentence", [labels]], found {item!r}')
            text, labels = item[0], _labels(item[1], spot)
            if p == 0 and s == 0 and dateline:
                text = f"{dateline} {text}"
            add(text, labels, "\n\n" if s == 0 else " ")
    text = "".join(pieces)

    found = split_sentences(text)
    wanted = [(a, b) for a, b, _, _ in sentences]
    if found != wanted:
        found_set = set(found)
        for a, b, _, sentence in sentences:
            if (a, b) not in found_set:
                pieces_found = [text[x:y] for x, y in found if x < b and y > a]
                raise DraftError(
                    f"{where}: the splitter does not find this sentence as drafted: {sentence!r}; "
                    f"it finds {pieces_found!r}. Rephrase it, or split it as the splitter does."
                )
    annotations = [
        {"start": a, "end": b, "label": label} for a, b, labels, _ in sentences for label in labels
    ]
    return {
        "id": draft["id"],
        "title": draft["title"].strip(),
        "date": draft["date"],
        "source": "eventclf corpus",
        "text": text,
        "annotations": annotations,
    }


def read_draft(path: Path) -> list[dict[str, Any]]:
    articles, errors = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            articles.append(build_article(json.loads(line), where))
        except json.JSONDecodeError as exc:
            errors.append(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})")
        except DraftError as exc:
            errors.append(str(exc))
    ids = [a["id"] for a in articles]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        errors.append(f"{path}: duplicate article ids {dupes}")
    if errors:
        raise DraftError("\n".join(errors))
    return articles


def deal(articles: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for article in articles:
        groups[tuple(sorted({a["label"] for a in article["annotations"]}))].append(article)
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in SPLITS}
    # One cycle of 20 slots (14 train, 3 dev, 3 test) runs on across the groups, so that small
    # groups still reach dev and test and the whole part comes out 70/15/15.
    cycle = [0, 14, 17, 1, 2, 15, 3, 4, 18, 5, 6, 16, 7, 8, 19, 9, 10, 11, 12, 13]
    position = 0
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda a: hashlib.sha256(a["id"].encode()).hexdigest())
        for article in members:
            slot = cycle[position % 20]
            position += 1
            out["train" if slot < 14 else "dev" if slot < 17 else "test"].append(article)
    return out


def summary(articles: list[dict[str, Any]]) -> str:
    sentences = sum(len(split_sentences(a["text"])) for a in articles)
    counts = {label: 0 for label in sorted(LABELS)}
    for article in articles:
        for ann in article["annotations"]:
            counts[ann["label"]] += 1
    empty = sum(1 for a in articles if not a["annotations"])
    return f"{len(articles)} articles, {sentences} sentences, spans {counts}, {empty} with no event"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("drafts", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="validate only; write nothing")
    args = parser.parse_args(argv)
    try:
        articles = [a for path in args.drafts for a in read_draft(path)]
    except DraftError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(summary(articles))
    if args.check:
        return 0
    existing = {
        json.loads(line)["id"]
        for name in SPLITS
        for line in (CORPUS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    clash = sorted(existing & {a["id"] for a in articles})
    if clash:
        print(f"ids already in the corpus: {clash}", file=sys.stderr)
        return 1
    for name, chunk in deal(articles).items():
        with (CORPUS / f"{name}.jsonl").open("a", encoding="utf-8") as handle:
            for article in chunk:
                handle.write(json.dumps(article, ensure_ascii=False) + "\n")
        print(f"{name}: +{len(chunk)} articles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
