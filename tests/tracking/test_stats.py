"""Paired per-fold statistics: the corrected resampled t-test, verdicts, the Pareto front."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from nnfs_lab.tracking.stats import (
    comparison_sentence,
    corrected_resampled_ttest,
    family_order,
    paired_comparison,
    pareto_front,
)

ACC = {"metric": "test_accuracy", "higher_is_better": True}


def test_corrected_t_test_matches_a_hand_calculation():
    d = [0.02, 0.03, 0.01, 0.04, 0.00, 0.02]
    # By hand: J = 6, mean 0.02, var(ddof=1) = (0 + 1 + 1 + 4 + 4 + 0) * 1e-4 / 5 = 2e-4,
    # se = sqrt((1/6 + 20/80) * 2e-4) = 0.0091287, t = 0.02 / 0.0091287 = 2.19089.
    res = corrected_resampled_ttest(d, n_train=80, n_test=20)
    assert res["mean"] == pytest.approx(0.02)
    assert res["se"] == pytest.approx(0.0091287, abs=1e-7)
    assert res["t_stat"] == pytest.approx(2.19089, abs=1e-5)
    assert res["df"] == 5
    arr = np.array(d)
    se = math.sqrt((1 / 6 + 20 / 80) * arr.var(ddof=1))
    assert res["p_value"] == pytest.approx(2 * sps.t.sf(arr.mean() / se, 5))
    half = sps.t.ppf(0.975, 5) * se
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((0.02 - half, 0.02 + half))
    # The correction widens the interval: the plain paired t-test would be more confident.
    assert res["p_value"] > sps.ttest_1samp(arr, 0.0).pvalue
    # J is the number of paired folds; passing it explicitly changes 1/J and the df.
    other = corrected_resampled_ttest(d, n_train=80, n_test=20, n_folds_total=3)
    assert other["df"] == 2 and other["se"] != pytest.approx(res["se"])


def test_zero_variance_and_too_few_folds():
    same = corrected_resampled_ttest([0.0] * 5, n_train=80, n_test=20)
    assert same["p_value"] == 1.0 and (same["ci_low"], same["ci_high"]) == (0.0, 0.0)
    assert math.isnan(same["t_stat"])
    const = corrected_resampled_ttest([0.25] * 5, n_train=80, n_test=20)
    assert const["p_value"] == 0.0 and const["t_stat"] == math.inf
    assert const["ci_low"] == const["ci_high"] == 0.25
    one = corrected_resampled_ttest([0.1], n_train=80, n_test=20)
    assert one["mean"] == 0.1 and math.isnan(one["p_value"]) and math.isnan(one["ci_low"])


def _noisy(seed: int, base: float, n: int = 15) -> np.ndarray:
    return base + np.random.default_rng(seed).normal(0, 0.01, n)


def test_clearly_better_family(folds):
    a, b = folds("nnfs", _noisy(0, 0.90)), folds("mlp", _noisy(1, 0.80))
    row = paired_comparison(a, b, **ACC)
    assert (row["a"], row["b"], row["n_pairs"], row["n_failed"]) == ("nnfs", "mlp", 15, 0)
    assert row["verdict"] == "better" and row["p_corrected"] < 1e-6
    d = a.test_accuracy.to_numpy() - b.test_accuracy.to_numpy()
    assert row["mean_diff"] == pytest.approx(d.mean())
    assert row["mean_a"] == pytest.approx(a.test_accuracy.mean())
    assert row["ci_low"] < d.mean() < row["ci_high"] and row["ci_low"] > 0
    assert row["p_wilcoxon"] == pytest.approx(sps.wilcoxon(d).pvalue)
    assert paired_comparison(b, a, **ACC)["verdict"] == "worse"


def test_identical_models_give_no_detectable_difference(folds):
    acc = _noisy(2, 0.85)
    row = paired_comparison(folds("nnfs", acc), folds("mlp", acc), **ACC)
    assert row["verdict"] == "no detectable difference"
    assert row["mean_diff"] == 0.0 and row["p_corrected"] == 1.0
    assert math.isnan(row["p_wilcoxon"])  # no non-zero pair


def test_noise_gives_no_detectable_difference(folds):
    a, b = folds("nnfs", _noisy(3, 0.85, 10)), folds("mlp", _noisy(4, 0.85, 10))
    row = paired_comparison(a, b, **ACC)
    assert row["p_corrected"] > 0.05 and row["verdict"] == "no detectable difference"


def test_failed_folds_are_dropped_and_counted(folds):
    a = folds("nnfs", _noisy(5, 0.9, 10), failed=[0])
    b = folds("mlp", _noisy(6, 0.8, 10), failed=[3, 0])
    row = paired_comparison(a, b, **ACC)
    assert row["n_pairs"] == 8 and row["n_failed"] == 2
    kept = ~np.isin(np.arange(10), [0, 3])
    d = a.test_accuracy.to_numpy()[kept] - b.test_accuracy.to_numpy()[kept]
    assert row["mean_diff"] == pytest.approx(d.mean())
    assert row["mean_b"] == pytest.approx(b.test_accuracy.to_numpy()[kept].mean())
    assert "8 paired folds, 2 dropped (FAILED)" in comparison_sentence(row)


def test_log_loss_lower_is_better(folds):
    acc = np.full(12, 0.8)
    a = folds("nnfs", acc, log_loss=_noisy(7, 0.30, 12))
    b = folds("mlp", acc, log_loss=_noisy(8, 0.45, 12))
    row = paired_comparison(a, b, metric="test_log_loss", higher_is_better=False)
    assert row["mean_diff"] < 0 and row["verdict"] == "better"
    assert paired_comparison(b, a, metric="test_log_loss", higher_is_better=False)["verdict"] == (
        "worse"
    )


def test_wilcoxon_needs_six_nonzero_pairs(folds):
    a = folds("nnfs", [0.9, 0.8, 0.85, 0.95, 0.9, 0.7])
    b = folds("mlp", [0.8, 0.75, 0.8, 0.9, 0.9, 0.6])  # one zero difference: 5 non-zero
    assert math.isnan(paired_comparison(a, b, **ACC)["p_wilcoxon"])


def test_without_two_pairs_nothing_is_concluded(folds):
    a, b = folds("nnfs", [0.9, 0.8], failed=[1]), folds("mlp", [0.7, 0.6])
    row = paired_comparison(a, b, **ACC)
    assert row["n_pairs"] == 1 and row["verdict"] == "not evaluated"
    assert comparison_sentence(row) == (
        "nnfs vs mlp on test accuracy: not evaluated (1 paired fold, 1 dropped (FAILED))"
    )


def test_sentence_reads_the_result():
    row = {"a": "nnfs", "b": "mlp", "metric": "test_accuracy", "n_pairs": 15, "n_failed": 0,
           "mean_diff": 0.021, "ci_low": 0.004, "ci_high": 0.038, "p_corrected": 0.02,
           "p_wilcoxon": 0.031, "alpha": 0.05, "verdict": "better"}  # fmt: skip
    assert comparison_sentence(row) == (
        "nnfs is better than mlp on test accuracy: +0.021 (95% CI +0.004 to +0.038, "
        "corrected t-test p = 0.02, Wilcoxon p = 0.031, 15 paired folds)"
    )
    tie = comparison_sentence({**row, "verdict": "no detectable difference", "p_wilcoxon": np.nan})
    assert tie.startswith("nnfs vs mlp: no detectable difference on test accuracy: +0.021")
    assert "Wilcoxon p = n/a" in tie


def test_pareto_front():
    pts = pd.DataFrame({
        "trial": [0, 1, 2, 3, 4, 5, 6, 7, 8],
        "ms_per_epoch": [1.0, 2.0, 2.0, 3.0, 0.5, 4.0, np.nan, 5.0, 4.0],
        "val_accuracy_mean": [0.80, 0.85, 0.90, 0.88, 0.70, 0.95, 0.99, 0.95, 0.95],
    })  # fmt: skip
    # 1 is beaten by 2 (same time, more accurate), 3 by 2 (faster, more accurate), 7 by 5 (as
    # accurate, faster); 8 duplicates 5 (one is kept); 6 has no time.
    front = pareto_front(pts)
    assert list(front.trial) == [4, 0, 2, 5]
    assert list(front.ms_per_epoch) == sorted(front.ms_per_epoch)


def test_family_order_puts_nnfs_first():
    assert family_order(["mlp", "nnfs", "mlp", "xgb"]) == ["nnfs", "mlp", "xgb"]
