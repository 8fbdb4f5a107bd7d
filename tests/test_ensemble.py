"""The ensemble backend: members trained on the same data, scores averaged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import eventclf
from eventclf.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "configs" / "examples.yaml"
WORD = {"backend": "linear", "char_ngrams": None, "C": 4.0}
CHAR = {"backend": "linear", "word_ngrams": [1, 1], "char_ngrams": [3, 4], "C": 1.0}
TEXTS = [
    "The navy began a five-day exercise off the coast on Monday.",
    "Poland signed a contract for 96 Apache helicopters.",
    "The ministry warned that any incursion would be met with force.",
    "Shares rose after the bank raised its forecast.",
]


def _train(tmp: Path, name: str, model: dict[str, Any]) -> Path:
    return eventclf.train(
        EXAMPLES, {"model": model}, output_dir=tmp / name, cache_dir=str(tmp / "cache")
    )


def test_scores_are_the_weighted_mean_of_the_members(tmp_path: Path) -> None:
    word = eventclf.load(_train(tmp_path, "word", WORD))
    char = eventclf.load(_train(tmp_path, "char", CHAR))
    both = _train(
        tmp_path, "both", {"backend": "ensemble", "members": [WORD, CHAR], "weights": [3, 1]}
    )
    tagger = eventclf.load(both)
    expected = 0.75 * word.predict_proba(TEXTS) + 0.25 * char.predict_proba(TEXTS)
    np.testing.assert_allclose(tagger.predict_proba(TEXTS), expected, rtol=1e-12)
    # Saved as two member folders of the members' own (non-pickle) files.
    files = json.loads((both / "meta.json").read_text())["files"]
    assert any(f.startswith("model/member-0/") for f in files)
    assert any(f.startswith("model/member-1/") for f in files)
    assert tagger.tag(TEXTS[0])  # tags like any model


def test_equal_weights_by_default(tmp_path: Path) -> None:
    both = _train(tmp_path, "both", {"backend": "ensemble", "members": [WORD, CHAR]})
    info = json.loads((both / "meta.json").read_text())["backend_info"]
    assert info["weights"] == [0.5, 0.5]
    assert [m["params"]["C"] for m in info["members"]] == [4.0, 1.0]


def test_seed_offsets_give_alike_members_their_own_seeds(tmp_path: Path) -> None:
    model = {"backend": "ensemble", "members": [WORD, WORD, CHAR], "seed_offsets": [0, 1, 0]}
    both = eventclf.train(
        EXAMPLES,
        {"model": model, "training": {"seed": 5}},
        output_dir=tmp_path / "m",
        cache_dir=str(tmp_path / "cache"),
    )
    info = json.loads((both / "meta.json").read_text())["backend_info"]
    assert [m["seed"] for m in info["members"]] == [5, 6, 5]
    assert eventclf.load(both).predict_proba(TEXTS).shape == (4, 3)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ({"backend": "ensemble", "members": [WORD]}, "at least 2"),
        ({"backend": "ensemble", "members": [WORD, CHAR], "weights": [1]}, "2 members"),
        ({"backend": "ensemble", "members": [WORD, CHAR], "weights": [0, 0]}, "not all 0"),
        ({"backend": "ensemble", "members": [WORD, {"backend": "svm"}]}, "svm"),
        ({"backend": "ensemble", "members": [WORD, CHAR], "seed_offsets": [0]}, "2 members"),
        ({"backend": "ensemble", "members": [WORD, WORD]}, "members 0 and 1 have the same"),
        (
            {"backend": "ensemble", "members": [WORD, CHAR, WORD], "seed_offsets": [1, 0, 1]},
            "members 0 and 2 have the same settings and seed",
        ),
    ],
)
def test_bad_ensemble_configs_are_named(tmp_path: Path, model: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _train(tmp_path, "bad", model)
