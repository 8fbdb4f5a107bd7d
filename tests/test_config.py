"""The typed run config: unknown keys, wrong types and impossible values are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventclf import ConfigError, load_config

REPO = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_configs_are_valid() -> None:
    for path in sorted((REPO / "configs").glob("*.yaml")):
        cfg = load_config(path)
        assert cfg.name == path.stem
        for src in cfg.data.sources:
            if "/shared/" in src.path and not Path(src.path).exists():
                continue  # configs that add ../shared data run where it is present
            assert Path(src.path).exists(), src.path
    defaults = [load_config(REPO / "configs" / f"{n}.yaml") for n in ("linear", "transformer")]
    assert all("shared" not in s.path for c in defaults for s in c.data.sources)


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    cfg = load_config(_write(tmp_path, "data:\n  sources: [data/a.jsonl]\n"))
    assert Path(cfg.data.sources[0].path) == tmp_path / "data" / "a.jsonl"


def test_overrides_are_validated_like_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "data:\n  sources: [a.jsonl]\n")
    cfg = load_config(path, {"training.seed": "7", "model.C": 0.5, "model.char_ngrams": "null"})
    assert cfg.training.seed == 7 and cfg.model.C == 0.5 and cfg.model.char_ngrams is None
    with pytest.raises(
        ConfigError, match=r"run.yaml: invalid config\n  - model.C: .*greater than 0"
    ):
        load_config(path, {"model.C": -1})
    with pytest.raises(ConfigError, match=r"override 'data.sources.5.path'.*list of 1"):
        load_config(path, {"data.sources.5.path": "x"})


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("data:\n  sources: [a.jsonl]\n  sourcez: 1\n", r"data.sourcez: unknown key"),
        ("data:\n  sources: [a.jsonl]\nmodle: {}\n", r"modle: unknown key"),
        ("data:\n  sources: [a.jsonl]\ntraining:\n  seed: many\n", r"training.seed: .*integer"),
        (
            "data:\n  sources: [a.jsonl]\n  split: {train: 0.9, dev: 0.2, test: 0.1}\n",
            r"data.split: .*must be 1.0, found 1.2",
        ),
        ("data:\n  sources: []\n", r"data.sources: .*at least 1"),
        ("training: {seed: 1}\n", r"data: required key is missing"),
        ("data:\n  sources: [a.jsonl]\nmodel: {backend: forest}\n", r"model: .*forest"),
        ("data:\n  sources: [a.jsonl]\n  labels: [arms_sale, arms_sale]\n", r"more than once"),
        ("data:\n  sources: [a.jsonl]\nmodel: {word_ngrams: [3, 1]}\n", r"1 <= low <= high"),
        ("- just\n- a list\n", r"expected a mapping of sections"),
        ("data: [unclosed\n", r"not valid YAML"),
    ],
)
def test_bad_config_is_named(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_config(_write(tmp_path, text))


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope.yaml: config file not found"):
        load_config(tmp_path / "nope.yaml")
