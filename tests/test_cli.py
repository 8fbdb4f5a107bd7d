"""The command line: each command works, and bad input exits non-zero with a message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import shared_path
from eventclf.cli import main

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "exports"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "model"
    assert (
        main(
            [
                "train",
                str(REPO / "configs" / "linear.yaml"),
                "--output",
                str(out),
                "--set",
                "training.seed=5",
            ]
        )
        == 0
    )
    return out


@pytest.mark.parametrize(
    ("source", "fmt"),
    [
        ("labelstudio.json", "labelstudio"),
        ("doccano-entities.jsonl", "doccano"),
        ("brat", "brat"),
        ("sentences.csv", "csv"),
    ],
)
def test_convert_each_export(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, source: str, fmt: str
) -> None:
    out = tmp_path / "out.jsonl"
    code, _, err = run(
        capsys, "convert", str(FIXTURES / source), "--format", fmt, "--output", str(out)
    )
    assert code == 0, err
    records = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert records and "wrote" in err
    # What convert writes reads back as the native format, unchanged.
    again = tmp_path / "again.jsonl"
    assert run(capsys, "convert", str(out), "--format", "jsonl", "--output", str(again))[0] == 0
    assert again.read_text("utf-8") == out.read_text("utf-8")


def test_convert_bad_input_lists_errors_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "a", "text": "x", "annotations": [{"start": 0, "end": 9, '
        '"label": "arms_sale"}]}\n{nope\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    code, _, err = run(capsys, "convert", str(bad), "--output", str(out))
    assert code == 1
    assert "2 bad record(s)" in err and "line 1" in err and "line 2" in err
    assert not out.exists()
    code, _, err = run(capsys, "convert", str(bad), "--output", str(out), "--lenient")
    assert code == 1  # every record is bad
    assert "every record is bad" in err


def test_stats(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "stats", str(REPO / "data" / "examples" / "articles.jsonl"))
    assert code == 0
    assert "articles: 24" in out and "arms_sale:" in out
    code, out, _ = run(capsys, "stats", "--config", str(REPO / "configs" / "linear.yaml"))
    assert code == 0 and "train:" in out and "dev:" in out and "test:" in out


def test_train_info_predict_evaluate(
    capsys: pytest.CaptureFixture[str], model: Path, tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "info", str(model))
    assert code == 0 and "backend linear" in out and "macro" in out
    article = REPO / "data" / "examples" / "new-article.txt"
    code, out, _ = run(capsys, "predict", str(model), str(article), "--all-sentences")
    assert code == 0
    (rec,) = [json.loads(x) for x in out.splitlines()]
    text = article.read_text("utf-8")
    assert rec["id"] == "new-article.txt"
    assert all(text[e["start"] : e["end"]] == e["text"] for e in rec["events"])
    assert all(
        set(s["scores"]) == {"arms_sale", "military_exercise", "threat_statement"}
        for s in rec["sentences"]
    )
    code, out, err = run(
        capsys,
        "evaluate",
        str(model),
        str(FIXTURES / "sentences.csv"),
        "--output",
        str(tmp_path / "rep"),
    )
    assert code == 0, err
    assert "macro" in out and (tmp_path / "rep" / "report.md").exists()
    assert (tmp_path / "rep" / "sentences-pr.png").exists()


def test_predict_bad_line_keeps_the_others(
    capsys: pytest.CaptureFixture[str], model: Path, tmp_path: Path
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": "a", "text": "Navy drills began."}\n{broken\n{"id": "b", "text": "Talks ended."}\n',
        encoding="utf-8",
    )
    code, out, err = run(capsys, "predict", str(model), str(src))
    assert code == 1
    assert [json.loads(x)["id"] for x in out.splitlines()] == ["a", "b"]
    assert "line 2" in err


def test_predict_labelstudio_output_round_trips(
    capsys: pytest.CaptureFixture[str], model: Path, tmp_path: Path
) -> None:
    src = tmp_path / "in.jsonl"
    text = "🚀🚀 Warships began joint naval drills. The minister warned of retaliation."
    src.write_text(json.dumps({"id": "e1", "text": text}) + "\n", encoding="utf-8")
    out = tmp_path / "tasks.json"
    code, _, _ = run(
        capsys,
        "predict",
        str(model),
        str(src),
        "--output-format",
        "labelstudio",
        "--output",
        str(out),
    )
    assert code == 0
    tasks = json.loads(out.read_text("utf-8"))
    results = tasks[0]["predictions"][0]["result"]
    for res in results:  # offsets in UTF-16 code units, as Label Studio counts
        v = res["value"]
        assert (
            text.encode("utf-16-le")[2 * v["start"] : 2 * v["end"]].decode("utf-16-le") == v["text"]
        )


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["train", "nope.yaml"], "config file not found"),
        (["train", "configs/linear.yaml", "--set", "model.C"], "expected KEY=VALUE"),
        (["train", "configs/linear.yaml", "--set", "model.bogus=1"], "model.bogus: unknown key"),
        (["info", "nowhere"], "no such model directory"),
        (["stats", "missing.jsonl"], "file not found"),
    ],
)
def test_errors_exit_non_zero_without_traceback(
    capsys: pytest.CaptureFixture[str], argv: list[str], match: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 1 and match in err and err.startswith("eventclf: error:")


def test_console_script_on_the_seed_article(model: Path) -> None:
    seed = shared_path("seeds", "russia-arms-central-asia.txt")
    proc = subprocess.run(
        [sys.executable, "-m", "eventclf.cli", "predict", str(model), str(seed)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)
    text = seed.read_text("utf-8")
    assert all(text[e["start"] : e["end"]] == e["text"] for e in rec["events"])
    # The events sit on the annotated sentences, with their exact offsets.
    gold_rows = shared_path("seeds", "russia-arms-central-asia.sentences.jsonl").read_text("utf-8")
    gold = {
        (g["start"], g["end"]): set(g["labels"]) for g in map(json.loads, gold_rows.splitlines())
    }
    found = {(e["start"], e["end"], e["label"]) for e in rec["events"]}
    right = {f for f in found if f[2] in gold.get(f[:2], set())}
    assert len(right) >= 0.8 * len(found), sorted(found - right)
    for label in ("arms_sale", "military_exercise", "threat_statement"):
        wanted = {k for k, v in gold.items() if label in v}
        hits = {f[:2] for f in right if f[2] == label}
        assert len(hits) >= len(wanted) / 2, (label, sorted(wanted - hits))


def test_predict_resume_after_a_crash(
    capsys: pytest.CaptureFixture[str], model: Path, tmp_path: Path
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(
            json.dumps({"id": f"a{i}", "text": f"Navy drills {i} began."}) + "\n" for i in range(10)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    assert run(capsys, "predict", str(model), str(src), "--output", str(out))[0] == 0
    full = out.read_text("utf-8")
    lines = full.splitlines(keepends=True)
    out.write_text("".join(lines[:4]) + lines[4][:7], encoding="utf-8")  # a torn line
    code, _, err = run(capsys, "predict", str(model), str(src), "--output", str(out), "--resume")
    assert code == 0 and "resuming after 4" in err
    assert out.read_text("utf-8") == full
