"""Apply a relabelling review to the corpus splits.

A review is JSONL, one decision per line, naming a sentence by article id and offsets::

    {"id": "sb-018", "start": 412, "end": 520, "label": "threat_statement",
     "rule": "10.2", "why": "U.N. official warns of catastrophic war"}

Every decision adds ``label`` to that sentence, or removes it where the row has
``"action": "remove"`` (the default action is ``"add"``). The script checks each one before writing
anything: the article exists, ``start:end`` is exactly one sentence to eventclf's ``rules``
splitter (as every corpus span is), the sentence is not marked ``unsure``, and the label is
known. A decision already applied is counted and left as it is, so running a review twice
changes nothing. Articles keep their split; only their annotations change.

    python data/corpus/apply_review.py --check data/corpus/reviews/threat-widening.jsonl
    python data/corpus/apply_review.py data/corpus/reviews/threat-widening.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from eventclf.data.sentences import split_sentences
from eventclf.labels import DEFAULT_LABELS

CORPUS = Path(__file__).resolve().parent
SPLITS = ("train", "dev", "test")
KEYS = {"id", "start", "end", "label", "rule", "why"}
ACTIONS = ("add", "remove")


class ReviewError(ValueError):
    pass


def read_review(path: Path) -> list[dict[str, Any]]:
    decisions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ReviewError(f"{where}: invalid JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not KEYS <= set(row) <= KEYS | {"action"}:
            raise ReviewError(
                f"{where}: expected exactly the fields {sorted(KEYS)}, and optionally 'action'"
            )
        row.setdefault("action", "add")
        if row["action"] not in ACTIONS:
            raise ReviewError(f"{where}: action {row['action']!r} is not one of {ACTIONS}")
        if not isinstance(row["start"], int) or not isinstance(row["end"], int):
            raise ReviewError(f"{where}: start and end must be integers")
        if row["label"] not in DEFAULT_LABELS:
            raise ReviewError(f"{where}: label {row['label']!r} is not one of {DEFAULT_LABELS}")
        decisions.append({**row, "where": where})
    return decisions


def apply(decisions: list[dict[str, Any]], splits: dict[str, list[dict[str, Any]]]) -> int:
    """Add (or remove) each decision's label in its article in ``splits``; return how many
    changed something."""
    by_id = {article["id"]: article for rows in splits.values() for article in rows}
    sentences: dict[str, set[tuple[int, int]]] = {}
    changed = 0
    for row in decisions:
        where = row["where"]
        article = by_id.get(row["id"])
        if article is None:
            raise ReviewError(f"{where}: no article {row['id']!r} in the corpus")
        span = (row["start"], row["end"])
        if article["id"] not in sentences:
            sentences[article["id"]] = set(split_sentences(article["text"]))
        if span not in sentences[article["id"]]:
            raise ReviewError(
                f"{where}: {row['id']} [{span[0]}:{span[1]}] is not one sentence to the splitter"
            )
        if any((u["start"], u["end"]) == span for u in article.get("unsure", [])):
            raise ReviewError(f"{where}: {row['id']} [{span[0]}:{span[1]}] is marked unsure")
        ann = {"start": span[0], "end": span[1], "label": row["label"]}
        present = ann in article["annotations"]
        if present == (row["action"] == "add"):
            continue  # already applied
        if present:
            article["annotations"].remove(ann)
        else:
            article["annotations"].append(ann)
            article["annotations"].sort(key=lambda a: (a["start"], a["end"], a["label"]))
        changed += 1
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("reviews", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="validate only; write nothing")
    args = parser.parse_args(argv)
    splits = {
        name: [
            json.loads(line)
            for line in (CORPUS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        for name in SPLITS
    }
    try:
        decisions = [row for path in args.reviews for row in read_review(path)]
        changed = apply(decisions, splits)
    except ReviewError as exc:
        print(exc, file=sys.stderr)
        return 1
    unchanged = len(decisions) - changed
    print(f"{len(decisions)} decisions, {changed} changed the corpus, {unchanged} already applied")
    if args.check or not changed:
        return 0
    for name, rows in splits.items():
        text = "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in rows)
        (CORPUS / f"{name}.jsonl").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
