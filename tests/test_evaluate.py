"""Threshold tuning and scoring."""

from __future__ import annotations

import numpy as np
import pytest

from eventclf.evaluate import tune_thresholds


def _data(seed: int = 0, n_pos: int = 60, n_neg: int = 140) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(n_pos), np.zeros(n_neg)].astype(int)[:, None]
    proba = np.clip(np.r_[rng.normal(0.7, 0.15, n_pos), rng.normal(0.35, 0.15, n_neg)], 0, 1)
    return y, proba[:, None]


def test_tuned_threshold_maximises_f1() -> None:
    y, p = _data()
    (t,), _ = tune_thresholds(y, p)
    grid = np.linspace(0.05, 0.95, 181)

    def f1(thr: float) -> float:
        pred = p[:, 0] >= thr
        tp = int((pred & (y[:, 0] == 1)).sum())
        return 2 * tp / (pred.sum() + y.sum())

    assert f1(t) >= max(f1(g) for g in grid) - 1e-12


def test_prevalence_equals_repeating_negatives() -> None:
    """Weighting negatives is the same as tuning on data with that share of positives."""
    y, p = _data(n_pos=60, n_neg=140)
    # 60 positives among 60 + 140 * 4 sentences: the share the reweighting should imitate.
    prevalence = 60 / (60 + 140 * 4)
    (weighted,), _ = tune_thresholds(y, p, prevalence=prevalence)
    neg = y[:, 0] == 0
    y_rep = np.r_[y[~neg], np.repeat(y[neg], 4, axis=0)]
    p_rep = np.r_[p[~neg], np.repeat(p[neg], 4, axis=0)]
    (repeated,), _ = tune_thresholds(y_rep, p_rep)
    assert weighted == pytest.approx(repeated)


def test_lower_prevalence_never_lowers_the_threshold() -> None:
    y, p = _data(seed=3)
    plain = tune_thresholds(y, p)[0][0]
    rarer = [tune_thresholds(y, p, prevalence=v)[0][0] for v in (0.2, 0.05, 0.01)]
    assert plain <= rarer[0] <= rarer[1] <= rarer[2]
    assert rarer[2] > plain


def test_prevalence_above_the_dev_share_changes_nothing() -> None:
    y, p = _data()
    assert tune_thresholds(y, p, prevalence=0.5) == tune_thresholds(y, p)


def test_bootstrap_is_seeded_and_near_the_plain_maximum() -> None:
    y, p = _data(seed=5, n_pos=200, n_neg=400)
    plain = tune_thresholds(y, p)[0][0]
    a = tune_thresholds(y, p, bootstrap=50, seed=1)[0][0]
    assert a == tune_thresholds(y, p, bootstrap=50, seed=1)[0][0]
    assert abs(a - plain) < 0.1


def test_bootstrap_is_steadier_than_one_maximum() -> None:
    """Across dev splits drawn from one population, the bootstrap median varies less."""
    plain, boot = [], []
    for seed in range(30):
        y, p = _data(seed=seed, n_pos=60, n_neg=600)
        plain.append(tune_thresholds(y, p)[0][0])
        boot.append(tune_thresholds(y, p, bootstrap=100, seed=seed)[0][0])
    assert np.std(boot) < np.std(plain)
